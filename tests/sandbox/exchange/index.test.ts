import assert from "node:assert/strict";
import type { Client } from "@microsoft/microsoft-graph-client";
import { ExchangeError, addRemove, invoke, invokeWithWarnings } from "../../../provider/clients/exchange";
import { recipientDomainProblem } from "pulumi-mail-coexistence-sandbox/exchange/connectors";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { FABRIKAM, credential, exchangeToken, failure, graphClient, invokeRaw, startTestSandbox, useSandboxEnvironment } from "../harness";

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

  it("renames a mail user and changes its alias; names and aliases stay unique and valid", async () => {
    const [frank] = await newMailUser("frank", { FirstName: "Frank", LastName: "Fisher" });
    await newMailUser("gina");
    await invoke("Set-MailUser", { Identity: "frank@contoso.com", Name: "Frank Fisher", Alias: "ffisher" });
    const [renamed] = await invoke("Get-MailUser", { Identity: "ffisher" });
    assert.deepEqual([renamed.Guid, renamed.Name, renamed.Alias, renamed.PrimarySmtpAddress], [frank.Guid, "Frank Fisher", "ffisher", "frank@contoso.com"]);
    const takenName = (await failure(invoke("Set-MailUser", { Identity: "gina@contoso.com", Name: "frank fisher" }))) as ExchangeError;
    assert.equal(takenName.alreadyExists, true);
    await invoke("Set-MailUser", { Identity: "gina@contoso.com", Name: "Gina Ölund", Alias: "gina.ölund" });
    assert.equal(((await failure(invoke("Set-MailUser", { Identity: "ffisher", Name: "GINA ÖLUND" }))) as ExchangeError).alreadyExists, true, "names compare case-insensitively beyond ASCII");
    assert.match((await failure(invoke("Set-MailUser", { Identity: "ffisher", Alias: "GINA.ÖLUND" }))).message, /used by another recipient object \(Gina Ölund\)/);
    const takenAlias = await failure(invoke("Set-MailUser", { Identity: "gina@contoso.com", Alias: "FFisher" }));
    assert.match(takenAlias.message, /"FFisher" of property "Alias" is used by another recipient object/);
    assert.match((await failure(invoke("Set-MailUser", { Identity: "gina@contoso.com", Alias: "gina fisher" }))).message, /isn't valid/);
    assert.match((await failure(invoke("Set-MailUser", { Identity: "gina@contoso.com", Alias: ".gina" }))).message, /isn't valid/);
    assert.match((await failure(invoke("Set-MailUser", { Identity: "gina@contoso.com", Name: "n".repeat(65) }))).message, /maximum length is 64/);
    const again = await invokeWithWarnings("Set-MailUser", { Identity: "ffisher", Alias: "ffisher", Name: "Frank Fisher" });
    assert.match(again.warnings[0], /no settings of 'Frank Fisher' have been modified/);
  });

  it("moves a mail user to another MicrosoftOnlineServicesID, which is the Entra UPN: verified domain, unique", async () => {
    const [henry] = await newMailUser("henry");
    await invoke("Set-MailUser", { Identity: "henry@contoso.com", MicrosoftOnlineServicesID: "henry.h@contoso.com" });
    const [moved] = await invoke("Get-MailUser", { Identity: henry.Guid });
    assert.deepEqual([moved.MicrosoftOnlineServicesID, moved.UserPrincipalName, moved.PrimarySmtpAddress], ["henry.h@contoso.com", "henry.h@contoso.com", "henry@contoso.com"]);
    assert.equal((await graph.api(`/users/${henry.ExternalDirectoryObjectId}`).get()).userPrincipalName, "henry.h@contoso.com");
    await newMailUser("henry", { Name: "Henry Two", ExternalEmailAddress: "henry2@contoso.com", PrimarySmtpAddress: "henry2@contoso.com" });
    const taken = (await failure(invoke("Set-MailUser", { Identity: henry.Guid, MicrosoftOnlineServicesID: "henry@contoso.com" }))) as ExchangeError;
    assert.equal(taken.alreadyExists, true);
    const unverified = await failure(invoke("Set-MailUser", { Identity: henry.Guid, MicrosoftOnlineServicesID: "henry@unverified.example" }));
    assert.match(unverified.message, /isn't a verified domain/);
  });

  it("refuses Set-MailUser -Password from an administrator, as Exchange Online does, and never echoes the password", async () => {
    const response = await invokeRaw(sandbox, token, "Set-MailUser", { Identity: "carol@contoso.com", Password: "N3w-Secret-Passw0rd" });
    assert.equal(response.status, 400);
    const message: string = response.body.error.details[0].message;
    assert.match(message, /ParameterBindingException\|A parameter cannot be found that matches parameter name 'Password'.*passwordProfile/);
    assert.equal(message.includes("N3w-Secret-Passw0rd"), false);
  });

  it("returns FirstName and LastName from Get-Recipient (not from Get-MailUser)", async () => {
    await newMailUser("ivy", { FirstName: "Ivy", LastName: "Irwin" });
    const [recipient] = await invoke("Get-Recipient", { Identity: "ivy@contoso.com" });
    assert.deepEqual([recipient.FirstName, recipient.LastName], ["Ivy", "Irwin"]);
    const [mailUser] = await invoke("Get-MailUser", { Identity: "ivy@contoso.com" });
    assert.equal("FirstName" in mailUser, false);
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

  it("renames a mailbox and changes its alias with Set-Mailbox; the alias does not change its addresses", async () => {
    const [before] = await invoke("Get-Mailbox", { Identity: "admin@contoso.onmicrosoft.com" });
    await invoke("Set-Mailbox", { Identity: "admin@contoso.onmicrosoft.com", Name: "Tenant Admin", Alias: "tenant.admin" });
    const [after] = await invoke("Get-Mailbox", { Identity: "tenant.admin" });
    assert.deepEqual([after.Name, after.Alias, after.EmailAddresses], ["Tenant Admin", "tenant.admin", before.EmailAddresses]);
    assert.match((await failure(invoke("Set-Mailbox", { Identity: "tenant.admin", Alias: "carol" }))).message, /used by another recipient object/);
  });

  it("keeps distribution groups: members, SentToMemberOf on rules, names and addresses unique across recipients", async () => {
    const [group] = await invoke("New-DistributionGroup", { Name: "Still at Google", PrimarySmtpAddress: "still-at-google@contoso.com", Members: ["carol@contoso.com"] });
    assert.deepEqual([group.Alias, group.PrimarySmtpAddress, group.RecipientTypeDetails], ["StillatGoogle", "still-at-google@contoso.com", "MailUniversalDistributionGroup"]);
    await invoke("Add-DistributionGroupMember", { Identity: "still-at-google@contoso.com", Member: "dave@contoso.com" });
    assert.match((await failure(invoke("Add-DistributionGroupMember", { Identity: "Still at Google", Member: "dave@contoso.com" }))).message, /already a member of the group/);
    const members = await invoke("Get-DistributionGroupMember", { Identity: "StillatGoogle" });
    assert.deepEqual(members.map((member) => member.PrimarySmtpAddress), ["carol@contoso.com", "dave@contoso.com"]);
    const addressTaken = await failure(newMailUser("still-at-google"));
    assert.match(addressTaken.message, /is already being used by .*Still at Google/);
    assert.equal(((await failure(invoke("New-DistributionGroup", { Name: "still at google", PrimarySmtpAddress: "other@contoso.com" }))) as ExchangeError).alreadyExists, true);
    assert.equal(((await failure(invoke("Get-DistributionGroup", { Identity: "no-such-group@contoso.com" }))) as ExchangeError).notFound, true);

    const [rule] = await invoke("New-TransportRule", { Name: "Group route", SentToMemberOf: ["still-at-google@contoso.com"], RouteMessageOutboundConnector: "Scoped" });
    assert.deepEqual(rule.SentToMemberOf, ["still-at-google@contoso.com"]);
    const unknownGroup = await failure(invoke("Set-TransportRule", { Identity: "Group route", SentToMemberOf: ["no-such-group@contoso.com"] }));
    assert.match(unknownGroup.message, /distribution group 'no-such-group@contoso.com' couldn't be found/);
    await invoke("Remove-TransportRule", { Identity: "Group route" });
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

describe("sandbox Exchange admin API: the app's grants and strict parameter binding", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  const appToken = async (clientId: string): Promise<string> =>
    (await credential(sandbox, { tenantId: sandbox.env.COEXIST_TENANT_ID, clientId, clientSecret: `${clientId}-secret` }).getToken("https://outlook.office365.com/.default")).token;

  before(async () => {
    const demo = readSeedFile(DEMO_SEED_PATH);
    const [contoso, ...others] = demo.microsoft;
    const app = (clientId: string, exchangePermissions: string[], directoryRoles: string[]) => ({ clientId, clientSecret: `${clientId}-secret`, displayName: clientId, graphPermissions: [], exchangePermissions, directoryRoles });
    const apps = [app("recipients", ["Exchange.ManageAsApp"], ["Exchange Recipient Administrator"]), app("reader", ["Exchange.ManageAsApp"], ["Global Reader"]), app("unconsented", [], ["Exchange Administrator"])];
    sandbox = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, strict: true, exchangeErrorShapes: "pipe" }, microsoft: [{ ...contoso, apps: [...contoso.apps, ...apps] }, ...others] } });
  });
  after(() => sandbox.stop());

  it("runs only the cmdlets the app's directory role gives its session; the rest answer 403 like an unknown cmdlet", async () => {
    const recipients = await appToken("recipients");
    assert.equal((await invokeRaw(sandbox, recipients, "Get-Recipient", { ResultSize: "Unlimited" })).status, 200);
    assert.equal((await invokeRaw(sandbox, recipients, "Get-AcceptedDomain")).status, 200);
    const connector = await invokeRaw(sandbox, recipients, "New-OutboundConnector", { Name: "ToGoogle", SmartHosts: ["smtp.google.com"], UseMXRecord: false });
    assert.deepEqual([connector.status, connector.headers.get("x-exceptiontype")], [403, "CmdletAccessDeniedException"]);
    const reader = await appToken("reader");
    assert.equal((await invokeRaw(sandbox, reader, "Get-OutboundConnector")).status, 200);
    assert.equal((await invokeRaw(sandbox, reader, "Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "InternalRelay" })).status, 403);
  });

  it("refuses a token without Exchange.ManageAsApp with 401 and a Bearer challenge", async () => {
    const response = await invokeRaw(sandbox, await appToken("unconsented"), "Get-AcceptedDomain");
    assert.equal(response.status, 401);
    assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer .*error="insufficient_claims"/);
  });

  it("refuses a JSON null parameter value in strict mode, naming why", async () => {
    const token = await exchangeToken(sandbox);
    assert.equal((await invokeRaw(sandbox, token, "New-OutboundConnector", { Name: "ToGoogle", SmartHosts: ["smtp.google.com"], UseMXRecord: false, Comment: "x" })).status, 200);
    const response = await invokeRaw(sandbox, token, "Set-OutboundConnector", { Identity: "ToGoogle", Comment: null });
    assert.equal(response.status, 400);
    assert.match(response.body.error.details[0].message, /ParameterBindingException\|Cannot bind parameter 'Comment' to null: the sandbox refuses null parameter values: no source confirms how InvokeCommand binds them/);
    assert.equal((await invokeRaw(sandbox, token, "Set-OutboundConnector", { Identity: "ToGoogle", Comment: "" })).status, 200, "an empty string still clears");
  });
});
