import * as assert from "assert";
import { mailUserSetProvider as provider } from "../../../provider/resources/mailUserSet";
import { matchesFingerprint } from "../../../provider/resources/passwordFingerprint";
import type { ResourceSetDiff } from "../../../provider/resources/resourceSet";
import { FakeTenant } from "./fakeApis";
import { checked, itemsOf, PASSWORD, setInputs, user, users, type Values } from "./sets";

describe("MailUserSet", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

  describe("check", () => {
    it("reports a failure of a shared input once, never echoing the password", async () => {
      const result = await provider.check!({}, setInputs(users, { password: "short" }));
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => [failure.property, failure.reason]),
        [["password", "MailUser.password: must be 8 to 256 characters with three of: lower case, upper case, digits, symbols (Microsoft Entra ID password rules); or leave it unset to have one generated for each user"]],
      );
      assert.doesNotMatch(JSON.stringify(result.failures), /short/);
    });
  });

  describe("diff", () => {
    let stored: Values;
    beforeEach(async () => {
      stored = (await provider.create(await checked())).outs as Values;
    });

    it("a new shared password updates every mail user", async () => {
      const diff = (await provider.diff!("set", stored, await checked(setInputs(users, { password: "Another-Pa55word" })))) as ResourceSetDiff;
      assert.deepStrictEqual(diff.detailedDiff, { 'users["alice@contoso.com"]': { kind: "UPDATE", inputDiff: true }, 'users["bob@contoso.com"]': { kind: "UPDATE", inputDiff: true } });
    });

    it("a routing address removed out of band is drift of that item only", async () => {
      itemsOf(stored)["alice@contoso.com"].emailAddresses = ["SMTP:alice@contoso.com"];
      const diff = (await provider.diff!("set", stored, await checked())) as ResourceSetDiff;
      assert.deepStrictEqual(Object.keys(diff.detailedDiff), ['users["alice@contoso.com"]']);
    });
  });

  describe("create and update", () => {
    it("creates every item, keeps one password fingerprint for the set and item ids inside the items", async () => {
      const { outs } = await provider.create(await checked());
      assert.ok(matchesFingerprint(PASSWORD, outs.passwordHash));
      assert.deepStrictEqual(Object.keys(itemsOf(outs)), ["alice@contoso.com", "bob@contoso.com"]);
      const alice = itemsOf(outs)["alice@contoso.com"];
      assert.strictEqual(alice.id, tenant.recipient("alice@contoso.com")?.Guid);
      assert.deepStrictEqual(alice.emailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
      assert.ok(!("passwordHash" in alice) && !("adopt" in alice), "set-level outputs are stored once");
      assert.doesNotMatch(JSON.stringify(outs), new RegExp(PASSWORD));
    });

    it("destroys a batch with one Exchange call a user: mail users removed, migrated mailboxes found in the shared list", async () => {
      const names = [...Array(20).keys()].map((i) => `user${i}`);
      const { id, outs } = await provider.create(await checked(setInputs(Object.fromEntries(names.map((name) => [`${name}@contoso.com`, user(name)])))));
      for (const name of names.slice(0, 10)) {
        const recipient = tenant.recipient(`${name}@contoso.com`)!;
        recipient.RecipientTypeDetails = "UserMailbox";
        tenant.addGmailUser(`${name}@contoso.com`);
      }
      tenant.reads.length = 0;
      tenant.writes.length = 0;
      await provider.delete!(id, outs);
      const calls = (prefix: string) => tenant.writes.filter((write) => write.call === prefix).length;
      // The first reads of a process go one by one (a small destroy costs what it did); from then on, one list.
      const singleReads = tenant.reads.filter((read) => read.startsWith("exchange Get-Recipient") && !read.endsWith(" list"));
      assert.deepStrictEqual([calls("Remove-MailUser"), calls("Set-Mailbox")], [10, 10]);
      assert.ok(tenant.reads.includes("exchange Get-Recipient list"));
      assert.ok(singleReads.length <= 8, `${singleReads.length} single reads`);
      assert.strictEqual(tenant.recipients.size, 10, "the mailboxes stay");
    });

    it("lets a migrating batch sign in reading the shared lists: one recipient list and one user list, not one read of each per user", async () => {
      const batch = Object.fromEntries([...Array(20).keys()].map((i) => [`user${i}@contoso.com`, user(`user${i}`)]));
      const { id, outs } = await provider.create(await checked(setInputs(batch)));
      tenant.reads.length = 0;
      tenant.writes.length = 0;
      await provider.update!(id, outs, await checked(setInputs(batch, { signInEnabled: true })));
      const enabled = tenant.writesTo("graph").filter((write) => write.call === "setAccountEnabled");
      assert.strictEqual(enabled.length, 20);
      assert.ok(enabled.every((write) => write.parameters.accountEnabled === true));
      const count = (prefix: string) => tenant.reads.filter((read) => read.startsWith(prefix)).length;
      // The first reads of a process go one by one; from then on, one list of each.
      assert.deepStrictEqual([count("exchange Get-Recipient list"), count("graph listUsers")], [1, 1]);
      assert.ok(count("exchange Get-Recipient ") <= 8 + 1, `${count("exchange Get-Recipient ")} recipient reads`);
      assert.ok(count("graph getUser") <= 8, `${count("graph getUser")} user reads`);
      assert.deepStrictEqual(tenant.writesTo("exchange"), [], "nothing else changes");
    });

    it("a new password resets every mail user's and replaces the set's fingerprint", async () => {
      const { id, outs } = await provider.create(await checked());
      const updated = (await provider.update!(id, outs, await checked(setInputs(users, { password: "Another-Pa55word" })))).outs as Values;
      const resets = tenant.writesTo("graph").filter((write) => write.call === "setPassword");
      assert.deepStrictEqual(resets.map((write) => write.parameters.password), ["Another-Pa55word", "Another-Pa55word"]);
      assert.ok(matchesFingerprint("Another-Pa55word", updated.passwordHash));
    });
  });
});
