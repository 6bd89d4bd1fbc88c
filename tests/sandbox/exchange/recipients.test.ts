import assert from "node:assert/strict";
import { applyEmailAddresses } from "../../../sandbox/exchange/recipients";

describe("sandbox EmailAddresses updates", () => {
  const current = ["SMTP:a@contoso.com", "smtp:a@contoso.onmicrosoft.com"];
  const cases: [string, unknown, string[]][] = [
    ["add one", { "@odata.type": "#Exchange.GenericHashTable", Add: "smtp:a@o365.contoso.com" }, [...current, "smtp:a@o365.contoso.com"]],
    ["remove one (case-insensitive)", { "@odata.type": "#Exchange.GenericHashTable", remove: ["SMTP:A@CONTOSO.ONMICROSOFT.COM"] }, ["SMTP:a@contoso.com"]],
    ["add an existing address keeps one copy", { "@odata.type": "#Exchange.GenericHashTable", Add: ["smtp:a@contoso.com"] }, current],
    ["full replacement", ["SMTP:b@contoso.com", "c@contoso.com"], ["SMTP:b@contoso.com", "smtp:c@contoso.com"]],
    ["two primaries keep the last", ["SMTP:b@contoso.com", "SMTP:c@contoso.com"], ["smtp:b@contoso.com", "SMTP:c@contoso.com"]],
  ];
  for (const [name, value, expected] of cases) {
    it(name, () => assert.deepEqual(applyEmailAddresses(current, value), expected));
  }
  it("an untagged hashtable is refused", () => assert.throws(() => applyEmailAddresses(current, { Add: "x@contoso.com" })));
});
