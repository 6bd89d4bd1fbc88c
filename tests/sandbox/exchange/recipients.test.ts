import assert from "node:assert/strict";
import { invoke, invokeWithWarnings } from "../../../provider/clients/exchange";
import { applyEmailAddresses } from "pulumi-mail-coexistence-sandbox/exchange/recipients";
import { failure, graphClient, sandboxForSuite } from "../harness";

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

describe("sandbox mail users: custom attributes, initials and the first sign-in", function () {
  this.timeout(30_000);
  const sandbox = sandboxForSuite();

  it("sets CustomAttribute1..15 on mail users and mailboxes, shows them in every recipient read, and clears them with \"\"", async () => {
    await invoke("New-MailUser", { Name: "mo", MicrosoftOnlineServicesID: "mo@contoso.com", Password: "Sandbox-Passw0rd!", ExternalEmailAddress: "mo@gsuite.contoso.com" });
    await invoke("Set-MailUser", { Identity: "mo@contoso.com", CustomAttribute15: "owner:stack", CustomAttribute1: "a" });
    for (const cmdlet of ["Get-MailUser", "Get-Recipient"]) {
      const [read] = await invoke(cmdlet, { Identity: "mo@contoso.com" });
      assert.deepEqual([read.CustomAttribute1, read.CustomAttribute2, read.CustomAttribute15], ["a", "", "owner:stack"], cmdlet);
    }
    await invoke("Set-MailUser", { Identity: "mo@contoso.com", CustomAttribute1: "" });
    assert.equal((await invoke("Get-MailUser", { Identity: "mo@contoso.com" }))[0].CustomAttribute1, "");
    await invoke("Set-Mailbox", { Identity: "admin@contoso.onmicrosoft.com", CustomAttribute3: "kept" });
    assert.equal((await invoke("Get-Mailbox", { Identity: "admin@contoso.onmicrosoft.com" }))[0].CustomAttribute3, "kept");
    const tooLong = await failure(invoke("Set-MailUser", { Identity: "mo@contoso.com", CustomAttribute2: "x".repeat(1025) }));
    assert.match(tooLong.message, /CustomAttribute2' is too long. The maximum length is 1024/);
    assert.match((await failure(invoke("New-MailUser", { Name: "mo2", MicrosoftOnlineServicesID: "mo2@contoso.com", Password: "x", CustomAttribute1: "a" }))).message, /parameter name 'CustomAttribute1'/);
  });

  it("takes Initials (at most 6 characters) on New- and Set-MailUser and shows them in Get-Recipient", async () => {
    await invoke("New-MailUser", { Name: "nia", MicrosoftOnlineServicesID: "nia@contoso.com", Password: "Sandbox-Passw0rd!", ExternalEmailAddress: "nia@gsuite.contoso.com", Initials: "NK" });
    assert.equal((await invoke("Get-Recipient", { Identity: "nia@contoso.com" }))[0].Initials, "NK");
    await invoke("Set-MailUser", { Identity: "nia@contoso.com", Initials: "NKO" });
    assert.equal((await invoke("Get-Recipient", { Identity: "nia@contoso.com" }))[0].Initials, "NKO");
    assert.match((await failure(invoke("Set-MailUser", { Identity: "nia@contoso.com", Initials: "ABCDEFG" }))).message, /'Initials' is too long. The maximum length is 6/);
    const again = await invokeWithWarnings("Set-MailUser", { Identity: "nia@contoso.com", Initials: "NKO" });
    assert.match(again.warnings[0], /no settings of 'nia' have been modified/);
  });

  it("makes an enabled Entra account whose password must change at first sign-in when ResetPasswordOnNextLogon is true", async () => {
    await invoke("New-MailUser", { Name: "oli", MicrosoftOnlineServicesID: "oli@contoso.com", Password: "Sandbox-Passw0rd!", ResetPasswordOnNextLogon: true });
    const user = await graphClient(sandbox()).api("/users/oli@contoso.com").select("accountEnabled,passwordProfile").get();
    assert.deepEqual([user.accountEnabled, user.passwordProfile.forceChangePasswordNextSignIn], [true, true]);
  });
});
