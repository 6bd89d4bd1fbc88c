import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { desiredRule, newRuleParameters, ruleChanges, ruleFromExchange, transportRuleProvider as provider, type RuleSettings } from "../../../provider/resources/transportRule";
import { useFakeApis } from "./fakeApis";

type Values = Record<string, unknown>;

/** Exchange Online's transport rules and connectors in memory, shaped like Get-* output; records every call. */
class FakeRules {
  readonly rules = new Map<string, Values>();
  readonly connectors = new Map<string, Values>([
    ["to google", { Name: "To Google", IsTransportRuleScoped: true }],
    ["domain route", { Name: "Domain route", IsTransportRuleScoped: false }],
  ]);
  readonly calls: [string, Values][] = [];

  get writes(): [string, Values][] {
    return this.calls.filter(([cmdlet]) => !cmdlet.startsWith("Get-"));
  }

  invoke = async (cmdlet: string, parameters: Values = {}): Promise<Values[]> => {
    this.calls.push([cmdlet, parameters]);
    const key = String(parameters.Identity ?? parameters.Name ?? "").toLowerCase();
    const store = cmdlet.endsWith("OutboundConnector") ? this.connectors : this.rules;
    if (cmdlet === "New-TransportRule") {
      const { Enabled, ...rest } = parameters;
      const created = { State: Enabled === false ? "Disabled" : "Enabled", Priority: this.rules.size, Comments: "", ...rest };
      this.rules.set(key, created);
      return [created];
    }
    const found = store.get(key);
    if (!found) throw new ExchangeError(cmdlet, `The operation couldn't be performed because object '${key}' couldn't be found.`, { status: 404, notFound: true });
    if (cmdlet.startsWith("Get-")) return [found];
    if (cmdlet === "Set-TransportRule") Object.assign(found, parameters);
    if (cmdlet === "Enable-TransportRule" || cmdlet === "Disable-TransportRule") found.State = cmdlet.startsWith("Enable") ? "Enabled" : "Disabled";
    if (cmdlet === "Remove-TransportRule") this.rules.delete(key);
    return [];
  };
}

const notMigrated = { name: "Not migrated to Google", outboundConnector: "To Google", sentTo: ["bob@contoso.com"] };

async function checked(inputs: Values): Promise<Values> {
  const result = await provider.check!({}, inputs);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs;
}

describe("TransportRule", () => {
  let exchange: FakeRules;
  let restore: () => void;
  beforeEach(() => {
    exchange = new FakeRules();
    ({ restore } = useFakeApis({ exchange: { invoke: exchange.invoke } }));
  });
  afterEach(() => restore());

  describe("check", () => {
    it("fills in the defaults and lower-cases addresses", async () => {
      assert.deepStrictEqual(await checked({ ...notMigrated, sentTo: ["Bob@Contoso.com"] }), { ...notMigrated, enabled: true, adopt: false });
    });

    const invalid: [string, Values, string, RegExp][] = [
      ["a rule without a condition", { name: "r", outboundConnector: "To Google" }, "sentTo", /needs a condition: set sentTo .* or sentToMemberOf/],
      ["an empty condition", { ...notMigrated, sentTo: [] }, "sentTo", /needs a condition/],
      ["both conditions", { ...notMigrated, sentToMemberOf: ["not-migrated@contoso.com"] }, "sentToMemberOf", /not both/],
      ["a recipient that is not an address", { ...notMigrated, sentTo: ["bob"] }, "sentTo[0]", /not an email address/],
      ["a group that is not an address", { ...notMigrated, sentTo: undefined, sentToMemberOf: ["Not migrated"] }, "sentToMemberOf[0]", /not an email address/],
      ["no connector", { ...notMigrated, outboundConnector: undefined }, "outboundConnector", /is required/],
      ["a negative priority", { ...notMigrated, priority: -1 }, "priority", /whole number from 0/],
      ["a fractional priority", { ...notMigrated, priority: 1.5 }, "priority", /whole number from 0/],
      ["a name with PowerShell characters", { ...notMigrated, name: "a;b" }, "name", /not allowed/],
    ];
    for (const [title, inputs, field, reason] of invalid) {
      it(`refuses ${title}, naming ${field}, without calling Exchange`, async () => {
        const { failures } = await provider.check!({}, inputs);
        assert.deepStrictEqual(failures?.map((failure) => failure.property), [field]);
        assert.match(failures![0].reason, new RegExp(`^TransportRule\\.${field.replace(/[[\]]/g, "\\$&")}: `));
        assert.match(failures![0].reason, reason);
        assert.deepStrictEqual(exchange.calls, []);
      });
    }

    it("accepts a condition unknown during preview", async () => {
      assert.strictEqual((await checked({ ...notMigrated, sentTo: UNKNOWN })).sentTo, UNKNOWN);
    });
  });

  describe("diff", () => {
    const stored = { ...notMigrated, enabled: true, priority: 3, adopt: false };
    const cases: [string, Values, { changes: boolean; replaces: string[] }][] = [
      ["the same inputs are no change", {}, { changes: false, replaces: [] }],
      ["re-ordered, re-cased recipients are no change", { sentTo: ["BOB@contoso.com"] }, { changes: false, replaces: [] }],
      ["a priority left to Exchange is no change", { priority: undefined }, { changes: false, replaces: [] }],
      ["a rename replaces the rule", { name: "Still at Google" }, { changes: true, replaces: ["name"] }],
      ["another recipient is an update", { sentTo: ["bob@contoso.com", "amy@contoso.com"] }, { changes: true, replaces: [] }],
      ["routing a group instead is an update", { sentTo: undefined, sentToMemberOf: ["not-migrated@contoso.com"] }, { changes: true, replaces: [] }],
      ["another connector is an update", { outboundConnector: "To Gmail" }, { changes: true, replaces: [] }],
      ["disabling is an update", { enabled: false }, { changes: true, replaces: [] }],
      ["a priority set is an update", { priority: 0 }, { changes: true, replaces: [] }],
      ["comments are an update", { comments: "managed" }, { changes: true, replaces: [] }],
    ];
    for (const [title, change, expected] of cases) {
      it(title, async () => {
        const result = await provider.diff!(notMigrated.name, stored, { ...stored, ...change });
        assert.deepStrictEqual({ changes: result.changes, replaces: result.replaces }, expected);
        assert.strictEqual(result.deleteBeforeReplace, false, "create-before-delete: the recipients are always routed");
      });
    }
  });

  describe("create", () => {
    it("creates the rule routing the recipients through the connector, and outputs the priority Exchange gave it", async () => {
      exchange.rules.set("older rule", { Name: "Older rule", State: "Enabled", Priority: 0 });
      const { id, outs } = await provider.create(await checked(notMigrated));
      assert.strictEqual(id, notMigrated.name);
      assert.deepStrictEqual(exchange.writes, [["New-TransportRule", { Enabled: true, Name: notMigrated.name, RouteMessageOutboundConnector: "To Google", SentTo: ["bob@contoso.com"] }]]);
      assert.strictEqual(outs.priority, 1);
    });

    it("refuses a connector that does not exist, naming the field", async () => {
      await assert.rejects(provider.create(await checked({ ...notMigrated, outboundConnector: "Nowhere" })), /TransportRule\.outboundConnector: there is no outbound connector named "Nowhere"/);
      assert.deepStrictEqual(exchange.writes, []);
    });

    it("refuses a connector that is not rule-scoped, with the fix", async () => {
      await assert.rejects(provider.create(await checked({ ...notMigrated, outboundConnector: "Domain route" })), /is not transport-rule scoped.*set isTransportRuleScoped: true on it/);
    });

    it("adopts an identical rule left by an interrupted create, writing nothing", async () => {
      await provider.create(await checked(notMigrated));
      exchange.calls.length = 0;
      await provider.create(await checked(notMigrated));
      assert.deepStrictEqual(exchange.writes, []);
    });

    it("refuses a different rule of the same name unless adopt is set", async () => {
      await provider.create(await checked({ ...notMigrated, sentTo: ["amy@contoso.com"] }));
      await assert.rejects(provider.create(await checked(notMigrated)), /transport rule "Not migrated to Google" already exists and differs in sentTo; set adopt: true/);
    });

    it("with adopt, changes the existing rule to match, state included", async () => {
      await provider.create(await checked({ ...notMigrated, sentTo: ["amy@contoso.com"] }));
      exchange.calls.length = 0;
      await provider.create(await checked({ ...notMigrated, enabled: false, adopt: true }));
      assert.deepStrictEqual(exchange.writes, [
        ["Set-TransportRule", { Identity: notMigrated.name, SentTo: ["bob@contoso.com"] }],
        ["Disable-TransportRule", { Identity: notMigrated.name, Confirm: false }],
      ]);
    });
  });

  describe("read, update and delete", () => {
    it("shows a recipient edited in the console as drift", async () => {
      const inputs = await checked(notMigrated);
      const { outs } = await provider.create(inputs);
      exchange.rules.get(notMigrated.name.toLowerCase())!.SentTo = ["eve@contoso.com"];
      const { props } = await provider.read!(notMigrated.name, outs);
      assert.deepStrictEqual(props!.sentTo, ["eve@contoso.com"]);
      assert.strictEqual((await provider.diff!(notMigrated.name, props!, inputs)).changes, true);
    });

    it("reports no drift for an unchanged rule, and a deleted one as gone", async () => {
      const inputs = await checked(notMigrated);
      const { outs } = await provider.create(inputs);
      const { props } = await provider.read!(notMigrated.name, outs);
      assert.strictEqual((await provider.diff!(notMigrated.name, props!, inputs)).changes, false);
      exchange.rules.clear();
      assert.deepStrictEqual(await provider.read!(notMigrated.name, outs), {});
    });

    it("switches the condition to a group in one Set, clearing the recipients", async () => {
      const { outs } = await provider.create(await checked(notMigrated));
      exchange.calls.length = 0;
      await provider.update!(notMigrated.name, outs, await checked({ ...notMigrated, sentTo: undefined, sentToMemberOf: ["not-migrated@contoso.com"] }));
      assert.deepStrictEqual(exchange.writes, [["Set-TransportRule", { Identity: notMigrated.name, SentTo: null, SentToMemberOf: ["not-migrated@contoso.com"] }]]);
    });

    it("checks a new connector before routing to it", async () => {
      const { outs } = await provider.create(await checked(notMigrated));
      await assert.rejects(provider.update!(notMigrated.name, outs, await checked({ ...notMigrated, outboundConnector: "Domain route" })), /not transport-rule scoped/);
    });

    it("removes the rule, and treats one already gone as removed", async () => {
      await provider.create(await checked(notMigrated));
      await provider.delete!(notMigrated.name, {});
      assert.strictEqual(exchange.rules.size, 0);
      await provider.delete!(notMigrated.name, {});
    });
  });

  describe("decisions", () => {
    const desired = desiredRule({ ...notMigrated, enabled: true });
    const changeCases: [string, Partial<RuleSettings>, RuleSettings, ReturnType<typeof ruleChanges>][] = [
      ["nothing differs", desired, desired, { set: {}, enable: undefined }],
      ["enabling is Enable-TransportRule, not a Set", { ...desired, enabled: false }, desired, { set: {}, enable: true }],
      ["disabling is Disable-TransportRule", desired, { ...desired, enabled: false }, { set: {}, enable: false }],
      ["a priority moved by Exchange is left alone", { ...desired, priority: 4 }, desired, { set: {}, enable: undefined }],
      ["a priority asked for is set", { ...desired, priority: 4 }, { ...desired, priority: 0 }, { set: { Priority: 0 }, enable: undefined }],
      ["a removed comment is cleared", { ...desired, comments: "old" }, desired, { set: { Comments: null }, enable: undefined }],
      ["a rename is never a Set", { ...desired, name: "Old" }, desired, { set: {}, enable: undefined }],
    ];
    for (const [title, current, target, expected] of changeCases) {
      it(`changes: ${title}`, () => assert.deepStrictEqual(ruleChanges(current, target), expected));
    }

    it("New parameters carry only what is set", () => {
      assert.deepStrictEqual(newRuleParameters({ ...desired, sentTo: undefined, sentToMemberOf: ["g@contoso.com"], enabled: false }), {
        Enabled: false,
        Name: notMigrated.name,
        RouteMessageOutboundConnector: "To Google",
        SentToMemberOf: ["g@contoso.com"],
      });
    });

    it("reads Exchange's rule back as this resource's values", () => {
      assert.deepStrictEqual(
        ruleFromExchange({ Name: "R", State: "Disabled", Priority: 2, SentTo: ["Bob@Contoso.com"], SentToMemberOf: [], RouteMessageOutboundConnector: "To Google", Comments: "" }),
        { name: "R", outboundConnector: "To Google", sentTo: ["bob@contoso.com"], sentToMemberOf: undefined, enabled: false, priority: 2, comments: undefined },
      );
    });
  });
});
