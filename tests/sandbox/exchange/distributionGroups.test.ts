import assert from "node:assert/strict";
import { ExchangeError, addRemove, invoke, invokeWithWarnings } from "../../../provider/clients/exchange";
import { DEMO_SEED_PATH } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { failure, sandboxForSuite } from "../harness";

describe("sandbox Exchange distribution groups (New-/Set-/Get-/Remove-DistributionGroup, members)", function () {
  this.timeout(30_000);
  sandboxForSuite();

  before(async () => {
    for (const alias of ["carol", "dave", "erin"]) {
      await invoke("New-MailUser", { Name: alias, MicrosoftOnlineServicesID: `${alias}@contoso.com`, Password: "Sandbox-Passw0rd!", ExternalEmailAddress: `${alias}@gsuite.contoso.com`, PrimarySmtpAddress: `${alias}@contoso.com` });
    }
    await invoke("New-MailContact", { Name: "Support at Google", ExternalEmailAddress: "support@gsuite.contoso.com" });
  });
  const memberAddresses = async (group: string) => (await invoke("Get-DistributionGroupMember", { Identity: group })).map((member) => [member.PrimarySmtpAddress, member.RecipientTypeDetails]);

  it("creates a group that takes authenticated senders only unless told otherwise, with recipients, contacts and groups as members", async () => {
    const [leads] = await invoke("New-DistributionGroup", { Name: "Leads", PrimarySmtpAddress: "leads@contoso.com", Members: ["carol@contoso.com"] });
    assert.equal(leads.RequireSenderAuthenticationEnabled, true);
    const [team] = await invoke("New-DistributionGroup", {
      Name: "Team",
      PrimarySmtpAddress: "team@contoso.com",
      Members: ["dave@contoso.com", "Support at Google", "leads@contoso.com"],
      RequireSenderAuthenticationEnabled: false,
    });
    assert.equal(team.RequireSenderAuthenticationEnabled, false);
    assert.deepEqual(await memberAddresses("team@contoso.com"), [
      ["dave@contoso.com", "MailUser"],
      ["support@gsuite.contoso.com", "MailContact"],
      ["leads@contoso.com", "MailUniversalDistributionGroup"],
    ]);
    const itself = await failure(invoke("Add-DistributionGroupMember", { Identity: "Team", Member: "team@contoso.com" }));
    assert.match(itself.message, /can't be a member of itself/);
  });

  it("removes one member, refuses a recipient that is no member, and replaces every member with Update-DistributionGroupMember", async () => {
    await invoke("Remove-DistributionGroupMember", { Identity: "Team", Member: "dave@contoso.com", Confirm: false });
    const notMember = (await failure(invoke("Remove-DistributionGroupMember", { Identity: "Team", Member: "dave@contoso.com" }))) as ExchangeError;
    assert.match(notMember.message, /"dave" isn't a member of the group "Team"/);
    assert.equal(notMember.status, 400);
    await invoke("Update-DistributionGroupMember", { Identity: "Team", Members: ["erin@contoso.com", "carol@contoso.com"], Confirm: false });
    assert.deepEqual((await memberAddresses("Team")).map(([address]) => address), ["erin@contoso.com", "carol@contoso.com"]);
    await invoke("Update-DistributionGroupMember", { Identity: "Team", Members: [], Confirm: false });
    assert.deepEqual(await memberAddresses("Team"), []);
  });

  it("changes addresses like Set-Mailbox: proxies on accepted domains only, unique across recipients, contacts and groups", async () => {
    await invoke("Set-DistributionGroup", { Identity: "Team", EmailAddresses: addRemove({ add: ["smtp:crew@contoso.com"] }) });
    assert.deepEqual((await invoke("Get-DistributionGroup", { Identity: "crew@contoso.com" }))[0].EmailAddresses, ["SMTP:team@contoso.com", "smtp:crew@contoso.com"]);
    const foreign = await failure(invoke("Set-DistributionGroup", { Identity: "Team", EmailAddresses: addRemove({ add: ["smtp:team@fabrikam.example"] }) }));
    assert.match(foreign.message, /isn't an accepted domain/);
    const taken = await failure(invoke("Set-DistributionGroup", { Identity: "Team", EmailAddresses: addRemove({ add: ["smtp:carol@contoso.com"] }) }));
    assert.match(taken.message, /already being used by .*carol/);
    const both = await failure(invoke("Set-DistributionGroup", { Identity: "Team", PrimarySmtpAddress: "crew@contoso.com", EmailAddresses: ["SMTP:crew@contoso.com"] }));
    assert.match(both.message, /can't be used in the same command/);
    await invoke("Set-DistributionGroup", { Identity: "Team", RequireSenderAuthenticationEnabled: true, CustomAttribute1: "[managed by pulumi-mail-coexistence: p/s]" });
    const [team] = await invoke("Get-DistributionGroup", { Identity: "Team" });
    assert.deepEqual([team.RequireSenderAuthenticationEnabled, team.CustomAttribute1], [true, "[managed by pulumi-mail-coexistence: p/s]"]);
    const again = await invokeWithWarnings("Set-DistributionGroup", { Identity: "Team", RequireSenderAuthenticationEnabled: true });
    assert.match(again.warnings[0], /no settings of 'Team' have been modified/);
  });

  it("lists groups and mail contacts in Get-Recipient, as the real cmdlet does, and filters them by type", async () => {
    const all = await invoke("Get-Recipient", { ResultSize: "Unlimited" }, { list: true });
    const types = new Set(all.map((recipient) => recipient.RecipientTypeDetails));
    assert.ok(["MailUser", "MailContact", "MailUniversalDistributionGroup"].every((type) => types.has(type)), [...types].join(", "));
    const groups = await invoke("Get-Recipient", { RecipientTypeDetails: "MailUniversalDistributionGroup" });
    assert.deepEqual(groups.map((group) => group.PrimarySmtpAddress), ["leads@contoso.com", "team@contoso.com"]);
    assert.equal((await invoke("Get-Recipient", { Identity: "crew@contoso.com" }))[0].Name, "Team");
  });

  it("drops a removed member from every group, and frees a removed group's addresses", async () => {
    await invoke("Add-DistributionGroupMember", { Identity: "Team", Member: "leads@contoso.com" });
    await invoke("Remove-MailUser", { Identity: "carol@contoso.com", Confirm: false });
    assert.deepEqual(await memberAddresses("Leads"), []);
    await invoke("Remove-DistributionGroup", { Identity: "Leads", Confirm: false });
    assert.deepEqual(await memberAddresses("Team"), []);
    assert.equal(((await failure(invoke("Get-DistributionGroup", { Identity: "leads@contoso.com" }))) as ExchangeError).notFound, true);
    const [again] = await invoke("New-DistributionGroup", { Name: "Leads again", PrimarySmtpAddress: "leads@contoso.com" });
    assert.equal(again.PrimarySmtpAddress, "leads@contoso.com");
  });
});

describe("sandbox Exchange groups and contacts under the Exchange Recipient Administrator role", function () {
  this.timeout(30_000);
  const demo = readSeedFile(DEMO_SEED_PATH);
  const [contoso, ...others] = demo.microsoft;
  sandboxForSuite({ seed: { ...demo, microsoft: [{ ...contoso, apps: [{ ...contoso.apps[0], directoryRoles: ["Exchange Recipient Administrator"] }] }, ...others] } });

  it("may manage mail contacts and distribution groups (recipient cmdlets), not connectors", async () => {
    await invoke("New-MailContact", { Name: "Partner", ExternalEmailAddress: "partner@fabrikam.example" });
    await invoke("New-DistributionGroup", { Name: "Partners", PrimarySmtpAddress: "partners@contoso.com", Members: ["partner@fabrikam.example"] });
    await invoke("Set-DistributionGroup", { Identity: "Partners", RequireSenderAuthenticationEnabled: false });
    assert.equal((await invoke("Get-Recipient", { Identity: "Partners" }))[0].RequireSenderAuthenticationEnabled, false);
    assert.equal(((await failure(invoke("New-OutboundConnector", { Name: "ToGoogle", SmartHosts: ["smtp.google.com"], UseMXRecord: false }))) as ExchangeError).status, 403);
  });
});
