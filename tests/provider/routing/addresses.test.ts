import * as assert from "assert";
import { domainOf, microsoftMxHost } from "../../../provider/routing/addresses";

describe("addresses", () => {
  const domains: [string, string][] = [
    ["alice@contoso.com", "contoso.com"],
    ["Alice@O365.Contoso.COM", "o365.contoso.com"],
    ['"a@b"@contoso.com', "contoso.com"],
  ];
  for (const [address, domain] of domains) {
    it(`the domain of ${address} is ${domain}`, () => assert.strictEqual(domainOf(address), domain));
  }

  const mxHosts: [string, string][] = [
    ["contoso.com", "contoso-com.mail.protection.outlook.com"],
    ["o365.contoso.com", "o365-contoso-com.mail.protection.outlook.com"],
    ["Fabrikam.Example", "fabrikam-example.mail.protection.outlook.com"],
  ];
  for (const [domain, host] of mxHosts) {
    it(`the Microsoft 365 MX host of ${domain} is ${host}`, () => assert.strictEqual(microsoftMxHost(domain), host));
  }
});
