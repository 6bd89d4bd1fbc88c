import * as assert from "assert";
import { googleForwardingRouteSetProvider as routeSetProvider } from "../../../provider/resources/googleForwardingRouteSet";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { licenseAssignmentSetProvider } from "../../../provider/resources/licenseAssignmentSet";
import { matchesFingerprint } from "../../../provider/resources/mailUser";
import { mailUserSetProvider as provider } from "../../../provider/resources/mailUserSet";
import type { ResourceSetDiff } from "../../../provider/resources/resourceSet";
import { FakeTenant } from "./fakeApis";

type Values = Record<string, unknown>;

const PASSWORD = "Coexist-Pa55word!";
const SERIALIZED = "serialized provider";
const user = (first: string): Values => ({
  name: `${first} Smith`,
  alias: first.toLowerCase(),
  microsoftOnlineServicesId: `${first.toLowerCase()}@contoso.com`,
  routingAddress: `${first.toLowerCase()}@o365.contoso.com`,
});
const users = { "alice@contoso.com": user("Alice"), "bob@contoso.com": user("Bob") };
const setInputs = (items: Values = users, extra: Values = {}): Values => ({ users: items, password: PASSWORD, __provider: SERIALIZED, ...extra });

/** The checked inputs as create, diff and update get them: the engine adds the serialized provider back. */
async function checked(values: Values = setInputs()): Promise<Values> {
  const result = await provider.check!({}, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return { ...result.inputs!, __provider: values.__provider };
}

const itemsOf = (outputs: Values): Record<string, Values> => (outputs.users ?? outputs.routes) as Record<string, Values>;
const routes = { "alice@contoso.com": { forwardTo: "alice@o365.contoso.com" }, "bob@contoso.com": { forwardTo: "bob@o365.contoso.com" } };

describe("resource sets", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

  /** Users at both Google and Exchange, licensed: mailboxes with their routing addresses. */
  const migrated = (...names: string[]): void => {
    for (const name of names) {
      tenant.addGmailUser(`${name}@contoso.com`);
      tenant.addMailUser(`${name}@contoso.com`, { RecipientTypeDetails: "UserMailbox", EmailAddresses: [`SMTP:${name}@contoso.com`, `smtp:${name}@o365.contoso.com`] });
    }
  };

  describe("check", () => {
    it("checks every item with the shared inputs, normalises the keys and keeps each item's checked fields", async () => {
      const result = await checked(setInputs({ "Alice@Contoso.com": user("Alice") }));
      assert.deepStrictEqual(result, {
        password: PASSWORD,
        adopt: false,
        users: { "alice@contoso.com": { ...user("Alice"), displayName: "Alice Smith" } },
        __provider: SERIALIZED,
      });
    });

    it("accepts a set with no items", async () => {
      assert.deepStrictEqual((await checked(setInputs({}))).users, {});
    });

    it("passes a set of items the engine does not know yet at preview", async () => {
      assert.strictEqual((await checked(setInputs(UNKNOWN as unknown as Values))).users, UNKNOWN);
    });

    it("reports failures at the item's property path", async () => {
      const result = await provider.check!(
        {},
        setInputs(
          {
            "alice@contoso.com": { ...user("Alice"), alias: "al ice" },
            bob: user("Bob"),
            "carol@contoso.com": { ...user("Carol"), externalEmailAddress: "x@contoso.com" },
            "Dave@contoso.com": user("Dave"),
            "dave@contoso.com": user("Dave"),
          },
        ),
      );
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => failure.property),
        ['users["alice@contoso.com"].alias', 'users["bob"]', 'users["carol@contoso.com"]', 'users["dave@contoso.com"]'],
      );
      const reasons = (result.failures ?? []).map((failure) => failure.reason).join("\n");
      assert.match(reasons, /MailUser\.alias: "al ice" is not a valid alias/);
      assert.match(reasons, /MailUser\.externalEmailAddress: "bob" is not an email address/);
      assert.match(reasons, /externalEmailAddress cannot be set per item \(externalEmailAddress is the key/);
      assert.match(reasons, /is the same externalEmailAddress as users\["Dave@contoso.com"\]; list each one once/);
    });

    it("reports a failure of a shared input once, never echoing the password", async () => {
      const result = await provider.check!({}, setInputs(users, { password: "short" }));
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => [failure.property, failure.reason]),
        [["password", "MailUser.password: must be at least 8 characters long (Microsoft 365 password rules)"]],
      );
      assert.doesNotMatch(JSON.stringify(result.failures), /short/);
    });
  });

  describe("diff", () => {
    let stored: Values;
    beforeEach(async () => {
      stored = (await provider.create(await checked())).outs as Values;
    });

    const alice = users["alice@contoso.com"];
    const cases: [string, () => Values, boolean, Record<string, string>][] = [
      ["equal values are no change", () => setInputs(), false, {}],
      ["a re-cased key and address are no change", () => setInputs({ "ALICE@contoso.com": { ...alice, routingAddress: "Alice@O365.contoso.com" }, "bob@contoso.com": users["bob@contoso.com"] }), false, {}],
      ["a new item is an ADD", () => setInputs({ ...users, "carol@contoso.com": user("Carol") }), true, { 'users["carol@contoso.com"]': "ADD" }],
      ["a removed item is a DELETE", () => setInputs({ "alice@contoso.com": alice }), true, { 'users["bob@contoso.com"]': "DELETE" }],
      ["a changed item is an UPDATE", () => setInputs({ ...users, "alice@contoso.com": { ...alice, displayName: "Alice S." } }), true, { 'users["alice@contoso.com"]': "UPDATE" }],
      [
        "an item its provider would replace is an UPDATE of the set",
        () => setInputs({ ...users, "alice@contoso.com": { ...alice, microsoftOnlineServicesId: "asmith@contoso.com" } }),
        true,
        { 'users["alice@contoso.com"]': "UPDATE" },
      ],
      ["an item value not known yet is an UPDATE", () => setInputs({ ...users, "alice@contoso.com": { ...alice, routingAddress: UNKNOWN } }), true, { 'users["alice@contoso.com"]': "UPDATE" }],
      ["items not known yet are a change", () => setInputs(UNKNOWN as unknown as Values), true, { users: "UPDATE" }],
      ["a new shared password updates every mail user", () => setInputs(users, { password: "Another-Pa55word" }), true, { 'users["alice@contoso.com"]': "UPDATE", 'users["bob@contoso.com"]': "UPDATE" }],
    ];
    for (const [title, news, changes, kinds] of cases) {
      it(title, async () => {
        const values = news();
        const input = values.users === UNKNOWN ? values : await checked(values);
        const diff = (await provider.diff!("set", stored, input)) as ResourceSetDiff;
        assert.deepStrictEqual(
          { changes: diff.changes, replaces: diff.replaces, kinds: Object.fromEntries(Object.entries(diff.detailedDiff).map(([path, entry]) => [path, entry.kind])) },
          { changes, replaces: [], kinds },
        );
      });
    }

    it("names the changed items in the engine's output, the first 20 and a count of the rest", async () => {
      const many = Object.fromEntries(Array.from({ length: 23 }, (_, index) => [`user${String(index).padStart(2, "0")}@contoso.com`, user(`User${index}`)]));
      await provider.diff!("set", stored, await checked(setInputs({ ...many, "alice@contoso.com": users["alice@contoso.com"] })));
      assert.deepStrictEqual(tenant.notes, [
        `plans 24 of 25 users: delete bob@contoso.com; ${Object.keys(many).slice(0, 19).map((key) => `create ${key}`).join("; ")}; … and 4 more`,
      ]);
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

    it("records the items that succeeded in the engine's partial-state error and names the failed ones", async () => {
      tenant.addMailUser("bob@contoso.com", { DisplayName: "Someone else" });
      const inputs = await checked();
      const error = await provider.create(inputs).then(
        () => assert.fail("bob's create must fail"),
        (failure: Error & { id?: string; properties?: Values }) => failure,
      );
      assert.match(error.message, /MailUserSet: create\/update failed for 1 of 2 users:\n {2}bob@contoso\.com: MailUser: bob@contoso\.com already exists .* set adopt: true/);
      assert.ok(error.id);
      assert.strictEqual(error.properties?.__provider, SERIALIZED);
      assert.deepStrictEqual(Object.keys(itemsOf(error.properties!)), ["alice@contoso.com"]);
      const next = (await provider.diff!(error.id!, error.properties!, inputs)) as ResourceSetDiff;
      assert.deepStrictEqual(Object.keys(next.detailedDiff), ['users["bob@contoso.com"]'], "the next up plans the failed item again");
    });

    it("adds, removes and changes items in one update, writing only for those", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.writes.length = 0;
      const news = await checked(setInputs({ "alice@contoso.com": { ...users["alice@contoso.com"], displayName: "Alice S." }, "carol@contoso.com": user("Carol") }));
      const updated = (await provider.update!(id, outs, news)).outs as Values;
      assert.deepStrictEqual(Object.keys(itemsOf(updated)), ["alice@contoso.com", "carol@contoso.com"]);
      const writes = tenant.writes.map((write) => `${write.call} ${String(write.parameters.Identity ?? write.parameters.ExternalEmailAddress)}`);
      assert.strictEqual(writes[0], `Remove-MailUser ${itemsOf(outs)["bob@contoso.com"].id}`, "removed items go first");
      assert.deepStrictEqual(
        writes.slice(1).sort(),
        ["New-MailUser carol@contoso.com", `Set-MailUser ${itemsOf(outs)["alice@contoso.com"].id}`, `Set-MailUser ${itemsOf(updated)["carol@contoso.com"].id}`].sort(),
      );
      assert.strictEqual(tenant.recipient("alice@contoso.com")?.DisplayName, "Alice S.");
      assert.strictEqual(tenant.recipient("bob@contoso.com"), undefined);
      assert.deepStrictEqual((await provider.diff!(id, updated, news)).changes, false);
    });

    it("a new password resets every mail user's and replaces the set's fingerprint", async () => {
      const { id, outs } = await provider.create(await checked());
      const updated = (await provider.update!(id, outs, await checked(setInputs(users, { password: "Another-Pa55word" })))).outs as Values;
      assert.deepStrictEqual(tenant.writesTo("graph").map((write) => write.parameters.id).sort(), ["alice@contoso.com", "bob@contoso.com"]);
      assert.ok(matchesFingerprint("Another-Pa55word", updated.passwordHash));
    });

    it("a new shared disposition updates every route, stored once for the set", async () => {
      migrated("alice", "bob");
      const { id, outs } = await routeSetProvider.create((await routeSetProvider.check!({}, { routes })).inputs!);
      assert.deepStrictEqual([outs.disposition, "disposition" in itemsOf(outs)["alice@contoso.com"]], ["trash", false]);
      const news = (await routeSetProvider.check!({}, { routes, disposition: "archive" })).inputs!;
      assert.deepStrictEqual(Object.keys(((await routeSetProvider.diff!(id, outs, news)) as ResourceSetDiff).detailedDiff), ['routes["alice@contoso.com"]', 'routes["bob@contoso.com"]']);
      await routeSetProvider.update!(id, outs, news);
      assert.deepStrictEqual([tenant.gmail.get("alice@contoso.com")?.autoForwarding.disposition, tenant.gmail.get("bob@contoso.com")?.autoForwarding.disposition], ["archive", "archive"]);
    });

    it("a sku shortage fails only the users without a seat; the others are licensed and recorded", async () => {
      tenant.addSku("EXCHANGESTANDARD", { enabled: 1, consumed: 0 });
      for (const upn of ["alice@contoso.com", "bob@contoso.com"]) tenant.addMailUser(upn);
      const result = await licenseAssignmentSetProvider.check!({}, { users: { "alice@contoso.com": { usageLocation: "GB" }, "bob@contoso.com": { usageLocation: "GB" } }, sku: "EXCHANGESTANDARD" });
      const inputs = { ...result.inputs!, __provider: SERIALIZED };
      const error = await licenseAssignmentSetProvider.create(inputs).then(
        () => assert.fail("only one seat is free"),
        (failure: Error & { properties?: Values }) => failure,
      );
      assert.match(error.message, /LicenseAssignmentSet: create\/update failed for 1 of 2 users:\n {2}\w+@contoso\.com: LicenseAssignment\.sku: cannot license .*no free EXCHANGESTANDARD seat/);
      const licensed = Object.values(itemsOf(error.properties!));
      assert.strictEqual(licensed.length, 1);
      assert.deepStrictEqual([licensed[0].recipientTypeDetails, licensed[0].assigned, "sku" in licensed[0]], ["UserMailbox", true, false]);
      assert.strictEqual(error.properties!.sku, "EXCHANGESTANDARD", "shared inputs are stored once, for the set");
    });
  });

  describe("read and delete", () => {
    it("drops an item that is gone, so the next diff plans its creation", async () => {
      const inputs = await checked();
      const { id, outs } = await provider.create(inputs);
      tenant.recipients.delete(tenant.recipient("bob@contoso.com")!.Guid);
      const read = await provider.read!(id, outs);
      assert.strictEqual(read.id, id);
      assert.deepStrictEqual(Object.keys(itemsOf(read.props)), ["alice@contoso.com"]);
      assert.strictEqual(read.props.passwordHash, outs.passwordHash);
      const diff = (await provider.diff!(id, read.props, inputs)) as ResourceSetDiff;
      assert.deepStrictEqual(diff.detailedDiff, { 'users["bob@contoso.com"]': { kind: "ADD", inputDiff: true } });
    });

    it("a failed item delete names the item; the others are deleted", async () => {
      migrated("alice", "bob");
      const { id, outs } = await routeSetProvider.create((await routeSetProvider.check!({}, { routes })).inputs!);
      const unavailable = { forwardingAddresses: [], get autoForwarding(): never { throw new Error("Google 503: backend error"); } };
      tenant.gmail.set("bob@contoso.com", unavailable as never);
      await assert.rejects(routeSetProvider.delete!(id, outs), /GoogleForwardingRouteSet: delete failed for 1 of 2 routes:\n {2}bob@contoso\.com: Google 503: backend error\nThe others are deleted; run the command again to retry\./);
      assert.strictEqual(tenant.gmail.get("alice@contoso.com")?.autoForwarding.enabled, false);
    });

    it("deletes every item", async () => {
      const { id, outs } = await provider.create(await checked());
      await provider.delete!(id, outs);
      assert.deepStrictEqual([tenant.recipient("alice@contoso.com"), tenant.recipient("bob@contoso.com")], [undefined, undefined]);
    });
  });
});
