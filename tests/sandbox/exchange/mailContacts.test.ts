import assert from "node:assert/strict";
import { ExchangeError, addRemove, invoke } from "../../../provider/clients/exchange";
import { failure, sandboxForSuite } from "../harness";

describe("sandbox Exchange mail contacts (New-/Set-/Get-/Remove-MailContact)", function () {
  this.timeout(30_000);
  sandboxForSuite();

  it("creates a contact whose primary address is its external address, on any domain", async () => {
    const [contact] = await invoke("New-MailContact", { Name: "Support at Google", ExternalEmailAddress: "support@gsuite.contoso.com" });
    assert.deepEqual(
      [contact.Alias, contact.PrimarySmtpAddress, contact.ExternalEmailAddress, contact.RecipientTypeDetails, contact.EmailAddresses],
      ["SupportatGoogle", "support@gsuite.contoso.com", "SMTP:support@gsuite.contoso.com", "MailContact", ["SMTP:support@gsuite.contoso.com"]],
    );
    const [partner] = await invoke("New-MailContact", { Name: "Partner", ExternalEmailAddress: "partner@fabrikam.example", Alias: "partner" });
    assert.equal(partner.PrimarySmtpAddress, "partner@fabrikam.example");
  });

  it("has no PrimarySmtpAddress in Exchange Online, and keeps names, aliases and addresses unique", async () => {
    const primary = await failure(invoke("New-MailContact", { Name: "Other", ExternalEmailAddress: "other@fabrikam.example", PrimarySmtpAddress: "other@contoso.com" }));
    assert.match(primary.message, /parameter name 'PrimarySmtpAddress'/);
    assert.equal(((await failure(invoke("New-MailContact", { Name: "Partner", ExternalEmailAddress: "p2@fabrikam.example" }))) as ExchangeError).alreadyExists, true);
    assert.match((await failure(invoke("New-MailContact", { Name: "Partner 2", ExternalEmailAddress: "partner@fabrikam.example" }))).message, /already being used by .*Partner/);
    assert.match((await failure(invoke("New-MailContact", { Name: "Partner 3", ExternalEmailAddress: "p3@fabrikam.example", Alias: "partner" }))).message, /used by another recipient object/);
    assert.match((await failure(invoke("New-MailContact", { Name: "No target" }))).message, /missing mandatory parameters: externalemailaddress/i);
  });

  it("takes an address on an accepted domain as a proxy: the route that keeps a Google group reachable", async () => {
    await invoke("Set-MailContact", { Identity: "support@gsuite.contoso.com", EmailAddresses: addRemove({ add: ["smtp:support@contoso.com"] }) });
    const [contact] = await invoke("Get-MailContact", { Identity: "support@contoso.com" });
    assert.deepEqual(contact.EmailAddresses, ["SMTP:support@gsuite.contoso.com", "smtp:support@contoso.com"]);
    const foreign = await failure(invoke("Set-MailContact", { Identity: "Partner", EmailAddresses: addRemove({ add: ["smtp:partner@other.example"] }) }));
    assert.match(foreign.message, /isn't an accepted domain/);
    const taken = await failure(invoke("New-MailUser", { Name: "support", MicrosoftOnlineServicesID: "support@contoso.com", Password: "Sandbox-Passw0rd!", PrimarySmtpAddress: "support@contoso.com" }));
    assert.match(taken.message, /already being used by .*Support at Google/);
  });

  it("replaces the external address, which was the primary, without keeping the old one", async () => {
    await invoke("Set-MailContact", { Identity: "Partner", ExternalEmailAddress: "partner@fabrikam.example.net" });
    const [partner] = await invoke("Get-MailContact", { Identity: "partner" });
    assert.deepEqual([partner.PrimarySmtpAddress, partner.ExternalEmailAddress, partner.EmailAddresses], ["partner@fabrikam.example.net", "SMTP:partner@fabrikam.example.net", ["SMTP:partner@fabrikam.example.net"]]);
    assert.equal((await invoke("Get-MailContact", {})).length, 2);
    assert.equal(((await failure(invoke("Get-MailUser", { Identity: "partner" }))) as ExchangeError).notFound, true);
  });

  it("removes a contact and frees its addresses", async () => {
    await invoke("Remove-MailContact", { Identity: "Partner", Confirm: false });
    assert.equal(((await failure(invoke("Get-MailContact", { Identity: "Partner" }))) as ExchangeError).notFound, true);
    const [again] = await invoke("New-MailContact", { Name: "Partner", ExternalEmailAddress: "partner@fabrikam.example.net" });
    assert.equal(again.Name, "Partner");
  });
});
