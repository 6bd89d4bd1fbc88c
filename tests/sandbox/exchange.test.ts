import assert from "node:assert/strict";
import type { Client } from "@microsoft/microsoft-graph-client";
import { ExchangeError, addRemove, invoke, invokeWithWarnings } from "../../provider/clients/exchange";
import { applyEmailAddresses, recipientDomainProblem } from "../../sandbox/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "../../sandbox/index";
import { readSeedFile } from "../../sandbox/seed";
import { FABRIKAM, credential, exchangeToken, failure, graphClient, invokeRaw, startTestSandbox, useSandboxEnvironment } from "./harness";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";

describe("sandbox Exchange admin API (through provider/clients/exchange.ts and raw InvokeCommand)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;
  let token: string;
  let graph: Client;

  before(async () => {
    const seed = readSeedFile(DEMO_SEED_PATH);
    sandbox = await startTestSandbox({ seed: { ...seed, behaviour: { ...seed.behaviour, licenceConversionDelaySeconds: 1 } } });
    restoreEnvironment = useSandboxEnvironment(sandbox);
    token = await exchangeToken(sandbox);
    graph = graphClient(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  const newMailUser = (alias: string, extra: Record<string, unknown> = {}) =>
    invoke("New-MailUser", {
      Name: alias,
      MicrosoftOnlineServicesID: `${alias}@contoso.com`,
      Password: "Sandbox-Passw0rd!",
      ExternalEmailAddress: `${alias}@contoso.com`,
      PrimarySmtpAddress: `${alias}@contoso.com`,
      ...extra,
    });

  it("lists accepted domains (cmdlet names are case-insensitive) and switches contoso.com to InternalRelay", async () => {
    const domains = await invoke("get-accepteddomain", {});
    assert.deepEqual(domains.map((domain) => [domain.DomainName, domain.DomainType]).sort(), [
      ["contoso.com", "Authoritative"],
      ["contoso.onmicrosoft.com", "Authoritative"],
    ]);
    await invoke("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "InternalRelay" });
    const again = await invokeWithWarnings("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "InternalRelay" });
    assert.match(again.warnings[0], /no settings of 'contoso.com' have been modified/);
    const externalRelay = await failure(invoke("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "ExternalRelay" }));
    assert.equal(externalRelay.status, 400);
  });

  it("creates an outbound connector, refuses a duplicate and the Set-only validation parameters on New", async () => {
    const noHosts = await failure(invoke("New-OutboundConnector", { Name: "ToGoogle", UseMXRecord: false, RecipientDomains: ["contoso.com"] }));
    assert.match(noHosts.message, /SmartHosts must be specified/);
    const [created] = await invoke("New-OutboundConnector", {
      Name: "ToGoogle",
      ConnectorType: "Partner",
      RecipientDomains: ["contoso.com"],
      SmartHosts: ["smtp.google.com"],
      UseMXRecord: false,
      TlsSettings: "EncryptionOnly",
    });
    assert.equal(created.Name, "ToGoogle");
    assert.deepEqual(created.SmartHosts, ["smtp.google.com"]);
    const duplicate = (await failure(invoke("New-OutboundConnector", { Name: "togoogle", SmartHosts: ["smtp.google.com"] }))) as ExchangeError;
    assert.equal(duplicate.alreadyExists, true);
    const setOnly = await failure(invoke("New-OutboundConnector", { Name: "Other", ValidationRecipients: ["a@contoso.com"] }));
    assert.match(setOnly.message, /ValidationRecipients/);
    await invoke("Set-OutboundConnector", { Identity: "ToGoogle", ValidationRecipients: ["ada.adams@contoso.com"], IsValidated: true });
    const [read] = await invoke("Get-OutboundConnector", { Identity: "ToGoogle" });
    assert.equal(read.IsValidated, true);
    assert.equal(recipientDomainProblem("con*toso.com") !== undefined, true);
  });

  it("answers a missing object with 404 and a pipe-delimited ManagementObjectNotFoundException", async () => {
    const response = await invokeRaw(sandbox, token, "Get-MailUser", { Identity: "nobody@contoso.com" });
    assert.equal(response.status, 404);
    const [errorId, type, text] = response.body.error.details[0].message.split("|");
    assert.equal(errorId, "Ex6F9304");
    assert.equal(type, "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException");
    assert.match(text, /couldn't be found/);
    const viaClient = (await failure(invoke("Get-MailUser", { Identity: "nobody@contoso.com" }))) as ExchangeError;
    assert.equal(viaClient.notFound, true);
  });

  it("creates mail users and the Entra user behind them; proxy addresses are unique across all recipients", async () => {
    const [mailUser] = await newMailUser("carol");
    assert.equal(mailUser.RecipientTypeDetails, "MailUser");
    assert.equal(mailUser.PrimarySmtpAddress, "carol@contoso.com");
    const entra = await graph.api("/users/carol@contoso.com").get();
    assert.equal(entra.id, mailUser.ExternalDirectoryObjectId);
    const clash = (await failure(invoke("New-MailUser", { Name: "carol2", MicrosoftOnlineServicesID: "carol2@contoso.com", Password: "x", PrimarySmtpAddress: "carol@contoso.com" }))) as ExchangeError;
    assert.match(clash.message, /is already being used/);
    const sameUpn = (await failure(newMailUser("carol"))) as ExchangeError;
    assert.equal(sameUpn.alreadyExists, true);
  });

  it("refuses a routing address on a domain that is not an accepted Email domain, then accepts it once Graph adds it", async () => {
    await newMailUser("dave");
    const change = { EmailAddresses: addRemove({ add: "smtp:dave@o365.contoso.com" }) };
    const refused = await failure(invoke("Set-MailUser", { Identity: "dave@contoso.com", ...change }));
    assert.match(refused.message, /isn't an accepted domain/);
    await graph.api("/domains").post({ id: "o365.contoso.com" });
    await graph.api("/domains/o365.contoso.com/verify").post({});
    await graph.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
    await invoke("Set-MailUser", { Identity: "dave@contoso.com", ...change });
    const [dave] = await invoke("Get-MailUser", { Identity: "dave@o365.contoso.com" });
    assert.deepEqual(dave.EmailAddresses, ["SMTP:dave@contoso.com", "smtp:dave@o365.contoso.com"]);
  });

  it("rejects an EmailAddresses hashtable without the #Exchange.GenericHashTable tag", async () => {
    const response = await invokeRaw(sandbox, token, "Set-MailUser", { Identity: "carol@contoso.com", EmailAddresses: { Add: ["smtp:c2@contoso.com"] } });
    assert.equal(response.status, 400);
    assert.match(response.body.error.details[0].message, /ParameterTransformationException/);
  });

  it("pages Get-Recipient -RecipientTypeDetails MailUser by Prefer: odata.maxpagesize, following nextLink with the same body", async () => {
    for (const alias of ["page1", "page2", "page3"]) await newMailUser(alias);
    const names: string[] = [];
    let url: string | undefined;
    let pages = 0;
    do {
      const response = await invokeRaw(sandbox, token, "Get-Recipient", { RecipientTypeDetails: "MailUser", ResultSize: "Unlimited" }, { pageSize: 2, url });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body["@adminapi.warnings"], []);
      names.push(...response.body.value.map((recipient: { Name: string }) => recipient.Name));
      url = response.body["@odata.nextLink"];
      pages++;
    } while (url);
    assert.ok(pages >= 3, `expected several pages, got ${pages}`);
    assert.deepEqual(names.filter((name) => name.startsWith("page")), ["page1", "page2", "page3"]);
    const all = await invoke("Get-Recipient", { RecipientTypeDetails: "MailUser" }, { list: true });
    assert.equal(all.length, names.length);
  });

  it("converts a licensed MailUser into a UserMailbox after the conversion delay, and removes it with the licence", async () => {
    const [erin] = await newMailUser("erin");
    await graph.api("/users/erin@contoso.com").patch({ usageLocation: "GB" });
    await graph.api("/users/erin@contoso.com/assignLicense").post({ addLicenses: [{ skuId: EXCHANGE_STANDARD, disabledPlans: [] }], removeLicenses: [] });
    assert.equal((await invoke("Get-Recipient", { Identity: "erin@contoso.com" }))[0].RecipientTypeDetails, "MailUser");
    const mailbox = await eventually(async () => (await invoke("Get-Mailbox", { Identity: "erin@contoso.com" }))[0]);
    assert.equal(mailbox.Guid, erin.Guid);
    assert.equal(mailbox.ExternalEmailAddress, null);
    await graph.api("/users/erin@contoso.com/assignLicense").post({ addLicenses: [], removeLicenses: [EXCHANGE_STANDARD] });
    const gone = await eventually(async () => {
      const error = await failure(invoke("Get-Recipient", { Identity: "erin@contoso.com" }));
      return (error as ExchangeError).notFound ? error : undefined;
    });
    assert.ok(gone);
  });

  it("routes transport rules only to transport-rule-scoped connectors", async () => {
    const notScoped = await failure(invoke("New-TransportRule", { Name: "Route", SentTo: ["carol@contoso.com"], RouteMessageOutboundConnector: "ToGoogle" }));
    assert.match(notScoped.message, /isn't transport-rule scoped/);
    await invoke("New-OutboundConnector", { Name: "Scoped", SmartHosts: ["smtp.google.com"], UseMXRecord: false, IsTransportRuleScoped: true });
    const [rule] = await invoke("New-TransportRule", { Name: "Route", SentTo: ["carol@contoso.com"], RouteMessageOutboundConnector: "Scoped" });
    assert.equal(rule.State, "Enabled");
    const setEnabled = await failure(invoke("Set-TransportRule", { Identity: "Route", Enabled: false }));
    assert.match(setEnabled.message, /parameter name 'Enabled'/);
    await invoke("Disable-TransportRule", { Identity: "Route", Confirm: false });
    assert.equal((await invoke("Get-TransportRule", { Identity: "Route" }))[0].State, "Disabled");
    await invoke("Remove-TransportRule", { Identity: "Route" });
    assert.deepEqual(await invoke("Get-TransportRule", {}), []);
  });

  it("answers an unknown cmdlet with 403 and an empty body, and a token of the other tenant or API with 401", async () => {
    const unknown = await invokeRaw(sandbox, token, "Get-Nothing", {});
    assert.equal(unknown.status, 403);
    assert.equal(unknown.body, undefined);
    const graphToken = (await credential(sandbox).getToken("https://graph.microsoft.com/.default")).token;
    assert.equal((await invokeRaw(sandbox, graphToken, "Get-AcceptedDomain")).status, 401);
    const otherTenant = (await credential(sandbox, FABRIKAM).getToken("https://outlook.office365.com/.default")).token;
    const refused = await invokeRaw(sandbox, otherTenant, "Get-AcceptedDomain");
    assert.equal(refused.status, 401);
    assert.ok(refused.headers.get("www-authenticate"));
  });
});

async function eventually<T>(probe: () => Promise<T | undefined>, attempts = 40): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("condition not reached");
}

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
