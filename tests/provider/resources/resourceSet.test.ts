import * as assert from "assert";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { mailUserSetProvider as provider } from "../../../provider/resources/mailUserSet";
import type { ResourceSetDiff } from "../../../provider/resources/resourceSet";
import { FakeTenant } from "./fakeApis";
import { checked, itemsOf, PASSWORD, SERIALIZED, setInputs, user, users, type Values } from "./sets";

/** What every set does, shown with MailUserSet; each set's own behaviour is in its test file. */
describe("resource sets", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

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

  });

  describe("create and update", () => {

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


    it("deletes every item", async () => {
      const { id, outs } = await provider.create(await checked());
      await provider.delete!(id, outs);
      assert.deepStrictEqual([tenant.recipient("alice@contoso.com"), tenant.recipient("bob@contoso.com")], [undefined, undefined]);
    });
  });
});
