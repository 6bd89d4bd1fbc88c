import * as assert from "assert";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { mailUserSetProvider as provider } from "../../../provider/resources/mailUserSet";
import type { ResourceSetDiff } from "../../../provider/resources/resourceSet";
import { FakeTenant } from "./fakeApis";
import { checked, itemsOf, OWNER, PASSWORD, SERIALIZED, setInputs, user, users, type Values } from "./sets";

/** What every set does, shown with MailUserSet; each set's own behaviour is in its test file. */
describe("resource sets", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

  describe("check", () => {
    it("checks every item with the shared inputs, normalizes the keys and keeps each item's checked fields", async () => {
      const result = await checked(setInputs({ "Alice@Contoso.com": user("Alice") }));
      assert.deepStrictEqual(result, {
        password: PASSWORD,
        signInEnabled: false,
        replicationTimeoutSeconds: 900,
        ownerAttribute: "CustomAttribute15",
        adopt: false,
        deleteAdopted: false,
        owner: OWNER,
        holder: "batch",
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
      assert.match(error.message, /MailUserSet: create\/update failed for 1 of 2 users:\n {2}bob@contoso\.com: MailUser: bob@contoso\.com .* already exists and was not created by this stack; .* Set adopt: true/);
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
      const writes = tenant.writesTo("exchange").map((write) => `${write.call} ${String(write.parameters.Identity ?? write.parameters.ExternalEmailAddress)}`);
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

  describe("secret item outputs", () => {
    it("gathers each item's generated password into one set output by key, out of the items, and keeps them on refresh", async () => {
      const { id, outs } = await provider.create(await checked(setInputs(users, { password: undefined })));
      const passwords = outs.initialPasswords as Record<string, string>;
      assert.deepStrictEqual(Object.keys(passwords), ["alice@contoso.com", "bob@contoso.com"]);
      assert.notStrictEqual(passwords["alice@contoso.com"], passwords["bob@contoso.com"]);
      assert.ok(Object.values(itemsOf(outs)).every((item) => !("initialPassword" in item)));
      const read = await provider.read!(id, outs);
      assert.deepStrictEqual(read.props.initialPasswords, passwords);
      assert.strictEqual((await provider.diff!(id, read.props, await checked(setInputs(users, { password: undefined })))).changes, false, "each item sees its own password again");
    });
  });

  describe("a user moved to another set of the stack", () => {
    const single = (name: string): Values => ({ [`${name}@contoso.com`]: user(name[0].toUpperCase() + name.slice(1)) });
    const setOf = (holder: string, items: Values, heldElsewhere: string[] = []): Values => setInputs(items, { password: undefined, holder, heldElsewhere });

    it("is handed over by the set that loses it, whichever set runs first, and the other takes it over: nothing removed, nothing duplicated", async () => {
      const a = await provider.create(await checked(setOf("mail-users-a", { ...single("alice"), ...single("bob") })));
      const b = await provider.create(await checked(setOf("mail-users-b", single("carol"))));
      const alice = tenant.recipient("alice@contoso.com")!.Guid;
      tenant.writes.length = 0;
      // alice moves from a to b, carol from b to a; a's update runs before b's check.
      const aNews = await checked(setOf("mail-users-a", { ...single("bob"), ...single("carol") }, ["alice@contoso.com"]));
      const aUpdated = (await provider.update!(a.id, a.outs, aNews)).outs as Values;
      const bNews = await checked(setOf("mail-users-b", single("alice"), ["bob@contoso.com", "carol@contoso.com"]));
      const bUpdated = (await provider.update!(b.id, b.outs, bNews)).outs as Values;
      assert.deepStrictEqual(tenant.writes.filter((write) => write.call === "Remove-MailUser"), [], "nothing removed");
      assert.strictEqual(tenant.recipients.size, 3, "nothing duplicated");
      assert.strictEqual(tenant.recipient("alice@contoso.com")!.Guid, alice, "the same object");
      assert.deepStrictEqual(Object.keys(itemsOf(aUpdated)).sort(), ["bob@contoso.com", "carol@contoso.com"]);
      assert.deepStrictEqual(Object.keys(itemsOf(bUpdated)), ["alice@contoso.com"]);
      assert.match(tenant.notes.join("\n"), /alice@contoso\.com is declared by another set of this stack now: handed over as it is, nothing removed/);
      assert.match(tenant.notes.join("\n"), /carol@contoso\.com is declared by mail-users-a now: handed over/);
    });

    it("a set the program no longer declares hands its users over to the sets that now declare them, and deletes the rest", async () => {
      const a = await provider.create(await checked(setOf("mail-users-a", { ...single("alice"), ...single("bob") })));
      // The engine deletes the emptied set after every check and update of the deployment: b declares alice.
      await provider.check!({}, setOf("mail-users-b", single("alice")));
      await provider.delete!(a.id, a.outs);
      assert.ok(tenant.recipient("alice@contoso.com"), "alice stays for b");
      assert.strictEqual(tenant.recipient("bob@contoso.com"), undefined, "bob, whom nobody declares, is deleted");
    });

    it("the preview says which users are handed over", async () => {
      const a = await provider.create(await checked(setOf("mail-users-a", { ...single("alice"), ...single("bob") })));
      tenant.notes.length = 0;
      await provider.diff!(a.id, a.outs, await checked(setOf("mail-users-a", single("bob"), ["alice@contoso.com"])));
      assert.deepStrictEqual(tenant.notes, ["plans 1 of 2 users: hand over alice@contoso.com"]);
    });

    it("never hands over a user the set replaces itself", async () => {
      const a = await provider.create(await checked(setOf("mail-users-a", single("alice"))));
      await checked(setOf("mail-users-b", single("bob"), ["alice@contoso.com"]));
      const replaced = { "alice@contoso.com": { ...user("Alice"), firstName: "Alicia" } };
      await provider.update!(a.id, a.outs, await checked(setOf("mail-users-a", replaced)));
      assert.deepStrictEqual(tenant.writesTo("exchange").map((write) => write.call).slice(-3, -1), ["Remove-MailUser", "New-MailUser"]);
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
