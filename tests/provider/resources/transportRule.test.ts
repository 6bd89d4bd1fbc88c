import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { ownerMark } from "../../../provider/resources/ownership";
import { desiredRule, newRuleParameters, ruleChanges, ruleFromExchange, transportRuleProvider as provider, type RuleSettings } from "../../../provider/resources/transportRule";
import { OutcomeFaults, useFakeExchange } from "./exchangeObjects";

type Values = Record<string, unknown>;

const OWNER = "migration/production";
const MARK = ownerMark(OWNER);

/** Exchange Online's transport rules and connectors in memory, shaped like Get-* output; records every call. */
class FakeRules {
  readonly rules = new Map<string, Values>();
  readonly connectors = new Map<string, Values>([
    ["to google", { Name: "To Google", IsTransportRuleScoped: true }],
    ["domain route", { Name: "Domain route", IsTransportRuleScoped: false }],
  ]);
  readonly calls: [string, Values][] = [];
  readonly faults = new OutcomeFaults();

  get writes(): [string, Values][] {
    return this.calls.filter(([cmdlet]) => !cmdlet.startsWith("Get-"));
  }

  /** A rule made outside the stack, as Exchange would hold it. */
  add(rule: Values): void {
    this.rules.set(String(rule.Name).toLowerCase(), { State: "Enabled", Priority: this.rules.size, Comments: "", ...rule });
  }

  invoke = async (cmdlet: string, parameters: Values = {}): Promise<Values[]> => {
    this.calls.push([cmdlet, parameters]);
    return this.faults.run(cmdlet, () => this.apply(cmdlet, parameters));
  };

  private apply(cmdlet: string, parameters: Values): Values[] {
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
  }
}

const notMigrated = { name: "Not migrated to Google", outboundConnector: "To Google", sentTo: ["bob@contoso.com"], owner: OWNER };

async function checked(inputs: Values): Promise<Values> {
  const result = await provider.check!({}, inputs);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs;
}

describe("TransportRule", () => {
  let exchange: FakeRules;
  let notes: string[];
  let restore: () => void;
  beforeEach(() => {
    exchange = new FakeRules();
    ({ notes, restore } = useFakeExchange(exchange.invoke));
  });
  afterEach(() => restore());

  describe("check", () => {
    it("fills in the defaults and lower-cases addresses", async () => {
      assert.deepStrictEqual(await checked({ ...notMigrated, sentTo: ["Bob@Contoso.com"] }), { ...notMigrated, enabled: true, adopt: false, deleteAdopted: false });
    });

    const invalid: [string, Values, string, RegExp][] = [
      ["a rule without a condition", { name: "r", outboundConnector: "To Google", owner: OWNER }, "sentTo", /needs a condition: set sentTo .* or sentToMemberOf/],
      ["an empty condition", { ...notMigrated, sentTo: [] }, "sentTo", /needs a condition/],
      ["both conditions", { ...notMigrated, sentToMemberOf: ["not-migrated@contoso.com"] }, "sentToMemberOf", /not both/],
      ["a recipient that is not an address", { ...notMigrated, sentTo: ["bob"] }, "sentTo[0]", /not an email address/],
      ["a group that is not an address", { ...notMigrated, sentTo: undefined, sentToMemberOf: ["Not migrated"] }, "sentToMemberOf[0]", /not an email address/],
      ["no connector", { ...notMigrated, outboundConnector: undefined }, "outboundConnector", /is required/],
      ["a negative priority", { ...notMigrated, priority: -1 }, "priority", /whole number from 0/],
      ["a fractional priority", { ...notMigrated, priority: 1.5 }, "priority", /whole number from 0/],
      ["a name with PowerShell characters", { ...notMigrated, name: "a;b" }, "name", /not allowed/],
      ["no owner (not declared through the class)", { ...notMigrated, owner: "" }, "owner", /set by the resource class/],
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
    const stored = { ...desiredRule({ ...notMigrated, enabled: true }), priority: 3, adopt: false, deleteAdopted: false, owner: OWNER, ownership: "created" };
    const inputs = { ...notMigrated, enabled: true, adopt: false, deleteAdopted: false };
    const cases: [string, Values, Values, { changes: boolean; replaces: string[] }][] = [
      ["the same inputs are no change", stored, {}, { changes: false, replaces: [] }],
      ["re-ordered, re-cased recipients are no change", stored, { sentTo: ["BOB@contoso.com"] }, { changes: false, replaces: [] }],
      ["a priority left to Exchange is no change", stored, { priority: undefined }, { changes: false, replaces: [] }],
      ["a rename replaces the rule", stored, { name: "Still at Google" }, { changes: true, replaces: ["name"] }],
      ["another recipient is an update", stored, { sentTo: ["bob@contoso.com", "amy@contoso.com"] }, { changes: true, replaces: [] }],
      ["a group instead of recipients under a new name is a replacement", stored, { name: "Still at Google", sentTo: undefined, sentToMemberOf: ["g@contoso.com"] }, { changes: true, replaces: ["name"] }],
      ["another connector is an update", stored, { outboundConnector: "To Gmail" }, { changes: true, replaces: [] }],
      ["disabling is an update", stored, { enabled: false }, { changes: true, replaces: [] }],
      ["a priority set is an update", stored, { priority: 0 }, { changes: true, replaces: [] }],
      ["comments are an update", stored, { comments: "managed" }, { changes: true, replaces: [] }],
      ["deleteAdopted is an update (recorded for delete)", stored, { deleteAdopted: true }, { changes: true, replaces: [] }],
      ["a state from before marks is an update that marks the rule", { ...stored, markedBy: undefined, owner: undefined }, {}, { changes: true, replaces: [] }],
    ];
    for (const [title, olds, change, expected] of cases) {
      it(title, async () => {
        const result = await provider.diff!(notMigrated.name, olds, { ...inputs, ...change });
        assert.deepStrictEqual({ changes: result.changes, replaces: result.replaces }, expected);
        assert.strictEqual(result.deleteBeforeReplace, false, "create-before-delete: the recipients are always routed");
      });
    }

    it("refuses to switch a rule from recipients to a group in place (SentTo would need a null), naming the field and both ways out", async () => {
      await assert.rejects(
        provider.diff!(notMigrated.name, stored, { ...inputs, sentTo: undefined, sentToMemberOf: ["g@contoso.com"] }),
        /TransportRule\.sentTo: the change to rule "Not migrated to Google" removes sentTo, which needs clearing with \$null.*Give the rule a new name instead: the replacement is created before this rule is removed.*Set-TransportRule -Identity "Not migrated to Google" -SentTo \$null/,
      );
    });
  });

  describe("create", () => {
    it("creates the rule routing the recipients through the connector, and outputs the priority Exchange gave it", async () => {
      exchange.rules.set("older rule", { Name: "Older rule", State: "Enabled", Priority: 0 });
      const { id, outs } = await provider.create(await checked(notMigrated));
      assert.strictEqual(id, notMigrated.name);
      assert.deepStrictEqual(exchange.writes, [["New-TransportRule", { Enabled: true, Name: notMigrated.name, RouteMessageOutboundConnector: "To Google", SentTo: ["bob@contoso.com"], Comments: MARK }]]);
      assert.strictEqual(outs.priority, 1);
    });

    it("refuses a connector that does not exist, naming the field", async () => {
      await assert.rejects(provider.create(await checked({ ...notMigrated, outboundConnector: "Nowhere" })), /TransportRule\.outboundConnector: there is no outbound connector named "Nowhere"/);
      assert.deepStrictEqual(exchange.writes, []);
    });

    it("refuses a connector that is not rule-scoped, with the fix", async () => {
      await assert.rejects(provider.create(await checked({ ...notMigrated, outboundConnector: "Domain route" })), /is not transport-rule scoped.*set isTransportRuleScoped: true on it/);
    });

    it("takes over this stack's identical rule (an interrupted create) silently, writing nothing", async () => {
      exchange.add({ ...newRuleParameters(desiredRule(await checked(notMigrated))), Enabled: undefined });
      exchange.calls.length = 0;
      const { outs } = await provider.create(await checked(notMigrated));
      assert.deepStrictEqual([exchange.writes, outs.ownership], [[], "created"]);
      assert.match(notes.join("\n"), /with this stack's mark \(an earlier run was interrupted\?\); took it over, nothing written/);
    });

    it("without adopt, refuses an unmarked rule of the same name and changes nothing", async () => {
      exchange.add({ Name: notMigrated.name, SentTo: ["bob@contoso.com"], RouteMessageOutboundConnector: "To Google" });
      await assert.rejects(provider.create(await checked(notMigrated)), /transport rule "Not migrated to Google" already exists and was not created by this stack; it is left as it is\. Set adopt: true/);
      assert.deepStrictEqual(exchange.writes, []);
    });

    it("with adopt, changes a foreign rule to match, marks it and saves its settings for delete", async () => {
      exchange.add({ Name: notMigrated.name, SentTo: ["amy@contoso.com"], RouteMessageOutboundConnector: "To Google", Comments: "by hand" });
      exchange.calls.length = 0;
      const { outs } = await provider.create(await checked({ ...notMigrated, enabled: false, adopt: true }));
      assert.deepStrictEqual(exchange.writes, [
        ["Set-TransportRule", { Identity: notMigrated.name, SentTo: ["bob@contoso.com"], Comments: MARK }],
        ["Disable-TransportRule", { Identity: notMigrated.name, Confirm: false }],
      ]);
      assert.deepStrictEqual([outs.ownership, (outs.settingsBeforeAdoption as Values).sentTo, (outs.settingsBeforeAdoption as Values).comments], ["adopted", ["amy@contoso.com"], "by hand"]);
    });

    it("reads before it retries a New whose outcome is unknown: what it left is taken over, no second New", async () => {
      exchange.faults.next = { cmdlet: "New-TransportRule", applied: true };
      const { outs } = await provider.create(await checked(notMigrated));
      assert.deepStrictEqual(exchange.writes.map(([cmdlet]) => cmdlet), ["New-TransportRule"]);
      assert.strictEqual(outs.ownership, "created");
    });

    it("retries a New whose outcome is unknown once, when reading back finds nothing", async () => {
      exchange.faults.next = { cmdlet: "New-TransportRule", applied: false };
      await provider.create(await checked(notMigrated));
      assert.deepStrictEqual(exchange.writes.map(([cmdlet]) => cmdlet), ["New-TransportRule", "New-TransportRule"]);
      assert.strictEqual(exchange.rules.size, 1);
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

    it("checks a new connector before routing to it", async () => {
      const { outs } = await provider.create(await checked(notMigrated));
      await assert.rejects(provider.update!(notMigrated.name, outs, await checked({ ...notMigrated, outboundConnector: "Domain route" })), /not transport-rule scoped/);
    });

    it("refuses to change a rule that refresh found carrying another stack's mark", async () => {
      const { outs } = await provider.create(await checked(notMigrated));
      exchange.calls.length = 0;
      await assert.rejects(provider.update!(notMigrated.name, { ...outs, markedBy: "migration/dev" }, await checked({ ...notMigrated, enabled: false })), /now carries the mark of the stack migration\/dev/);
      assert.deepStrictEqual(exchange.calls, []);
    });

    it("removes the rule it created, and treats one already gone as removed", async () => {
      const { outs } = await provider.create(await checked(notMigrated));
      await provider.delete!(notMigrated.name, outs);
      assert.strictEqual(exchange.rules.size, 0);
      await provider.delete!(notMigrated.name, outs);
    });

    it("leaves a rule that no longer carries this stack's mark, saying so", async () => {
      const { outs } = await provider.create(await checked(notMigrated));
      exchange.rules.get(notMigrated.name.toLowerCase())!.Comments = ownerMark("migration/dev");
      await provider.delete!(notMigrated.name, outs);
      assert.strictEqual(exchange.rules.size, 1);
      assert.match(notes.at(-1)!, /left transport rule "Not migrated to Google" as it is: it carries the mark of the stack migration\/dev/);
    });

    it("restores an adopted rule, state included, and removes nothing", async () => {
      exchange.add({ Name: notMigrated.name, SentTo: ["amy@contoso.com"], RouteMessageOutboundConnector: "To Google", Comments: "by hand" });
      const { outs } = await provider.create(await checked({ ...notMigrated, enabled: false, adopt: true }));
      exchange.calls.length = 0;
      await provider.delete!(notMigrated.name, outs);
      assert.deepStrictEqual(exchange.writes, [
        ["Set-TransportRule", { Identity: notMigrated.name, SentTo: ["amy@contoso.com"], Comments: "by hand" }],
        ["Enable-TransportRule", { Identity: notMigrated.name, Confirm: false }],
      ]);
      assert.match(notes.at(-1)!, /restored the adopted transport rule "Not migrated to Google" to its settings before adoption and kept it/);
    });

    it("names the command for what an adopted rule's restore cannot put back without a null", async () => {
      exchange.add({ Name: notMigrated.name, SentToMemberOf: ["g@contoso.com"] });
      const { outs } = await provider.create(await checked({ ...notMigrated, adopt: true, sentTo: undefined, sentToMemberOf: ["g@contoso.com"] }));
      await provider.delete!(notMigrated.name, outs);
      assert.match(notes.at(-1)!, /could not put back outboundConnector \(that needs \$null\): run Set-TransportRule -Identity "Not migrated to Google" -RouteMessageOutboundConnector \$null to finish/);
    });

    it("removes an adopted rule with deleteAdopted", async () => {
      exchange.add({ Name: notMigrated.name, SentTo: ["bob@contoso.com"], RouteMessageOutboundConnector: "To Google" });
      const { outs } = await provider.create(await checked({ ...notMigrated, adopt: true, deleteAdopted: true }));
      await provider.delete!(notMigrated.name, outs);
      assert.strictEqual(exchange.rules.size, 0);
    });
  });

  describe("decisions", () => {
    const desired = desiredRule({ ...notMigrated, enabled: true });
    const changeCases: [string, Partial<RuleSettings>, RuleSettings, ReturnType<typeof ruleChanges>][] = [
      ["nothing differs", desired, desired, { set: {}, uncleared: [] }],
      ["enabling is Enable-TransportRule, not a Set", { ...desired, enabled: false }, desired, { set: {}, enable: true, uncleared: [] }],
      ["disabling is Disable-TransportRule", desired, { ...desired, enabled: false }, { set: {}, enable: false, uncleared: [] }],
      ["a priority moved by Exchange is left alone", { ...desired, priority: 4 }, desired, { set: {}, uncleared: [] }],
      ["a priority asked for is set", { ...desired, priority: 4 }, { ...desired, priority: 0 }, { set: { Priority: 0 }, uncleared: [] }],
      ["a removed comment leaves the mark, never a null", { ...desired, comments: "old" }, desired, { set: { Comments: MARK }, uncleared: [] }],
      ["recipients swapped for a group would need SentTo cleared: not sent", desired, { ...desired, sentTo: undefined, sentToMemberOf: ["g@contoso.com"] }, { set: { SentToMemberOf: ["g@contoso.com"] }, uncleared: ["sentTo"] }],
      ["a rename is never a Set", { ...desired, name: "Old" }, desired, { set: {}, uncleared: [] }],
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
        Comments: MARK,
      });
    });

    it("reads Exchange's rule back as this resource's values", () => {
      assert.deepStrictEqual(
        ruleFromExchange({ Name: "R", State: "Disabled", Priority: 2, SentTo: ["Bob@Contoso.com"], SentToMemberOf: [], RouteMessageOutboundConnector: "To Google", Comments: `${MARK} kept` }),
        { name: "R", outboundConnector: "To Google", sentTo: ["bob@contoso.com"], sentToMemberOf: undefined, enabled: false, priority: 2, comments: "kept", markedBy: OWNER },
      );
    });
  });
});
