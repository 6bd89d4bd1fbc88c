import * as assert from "assert";
import { invoke } from "../../provider/clients/exchange";
import { ownerMark } from "../../provider/resources/ownership";
import { resolveSeed } from "pulumi-mail-coexistence-sandbox";
import { SandboxStack } from "./sandboxStack";

/** The mark of this fixture's stack (`<project>/<stack>`). */
const MARK = ownerMark("transportRule/test");

const connector = { name: "To Google (rule-scoped)", recipientDomains: ["contoso.com"], isTransportRuleScoped: true };
const rule = { name: "Still at Google", sentTo: ["amy@contoso.com"] };

describe("TransportRule with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const steps = async (ruleArgs: Record<string, unknown>, connectorArgs: Record<string, unknown> = connector): Promise<[string, string, string[]][]> =>
    (await env.plan({ connector: connectorArgs, rule: ruleArgs })).steps;
  const rules = async (): Promise<Record<string, unknown>[]> => (await env.tenant()).transportRules;

  before(async () => {
    // Strict: a JSON null (or any unverified form) sent to Exchange fails the test.
    env = await SandboxStack.start("transportRule", resolveSeed({ strict: true }));
  });
  after(async () => env?.stop());

  it("previews the connector and the rule as creates, calling no API", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(rule), [
      ["create", "connector", []],
      ["create", "rule", []],
    ]);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("takes over the connector an interrupted run left (this stack's mark) silently, and creates the rule marked, every output filled in", async () => {
    await invoke("New-OutboundConnector", {
      Name: connector.name,
      ConnectorType: "OnPremises",
      UseMXRecord: false,
      RecipientDomains: ["contoso.com"],
      SmartHosts: ["smtp.google.com"],
      IsTransportRuleScoped: true,
      Comment: MARK,
    });
    await env.resetStats();
    const result = await env.stack.up();
    assert.doesNotMatch(result.stdout + result.stderr, /Undefined value/);
    assert.deepStrictEqual(await env.writes(), ["exchange New-TransportRule"], "no second connector");
    assert.deepStrictEqual((await env.tenant()).connectors.map((entry) => entry.name), [connector.name]);
    const [created] = await rules();
    assert.deepStrictEqual(
      { name: created?.name, sentTo: created?.sentTo, connector: created?.routeMessageOutboundConnector, state: created?.state, comments: created?.comments },
      { name: "Still at Google", sentTo: ["amy@contoso.com"], connector: "To Google (rule-scoped)", state: "Enabled", comments: MARK },
    );
    assert.deepStrictEqual(await env.stack.outputs(), { priority: created?.priority, enabled: true, adopt: false, deleteAdopted: false, ownership: "created" });
  });

  it("reports no changes on a second up and writes nothing", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(rule), []);
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), []);
  });

  const changes: [string, Record<string, unknown>, [string, string, string[]][]][] = [
    ["another recipient as an update", { ...rule, sentTo: ["amy@contoso.com", "ben@contoso.com"] }, [["update", "rule", []]]],
    ["a group instead of recipients, under a new name, as a replacement", { name: "Group still at Google", sentToMemberOf: ["still-at-google@contoso.com"] }, [["replace", "rule", ["name"]]]],
    ["disabling as an update", { ...rule, enabled: false }, [["update", "rule", []]]],
    ["the priority Exchange gave it, set explicitly, as no change", { ...rule, priority: 0 }, []],
    ["another priority as an update", { ...rule, priority: 3 }, [["update", "rule", []]]],
    ["comments as an update", { ...rule, comments: "managed by pulumi" }, [["update", "rule", []]]],
    ["a new name as a replacement", { ...rule, name: "Not migrated yet" }, [["replace", "rule", ["name"]]]],
  ];
  for (const [title, ruleArgs, expected] of changes) {
    it(`previews ${title}, without API writes`, async () => {
      await env.resetStats();
      assert.deepStrictEqual(await steps(ruleArgs), expected);
      assert.deepStrictEqual(await env.writes(), []);
    });
  }

  it("refuses in preview to switch the rule from recipients to a group in place (SentTo would need a null), naming the field and the way out", async () => {
    await env.setArgs({ connector, rule: { name: rule.name, sentToMemberOf: ["still-at-google@contoso.com"] } });
    await env.resetStats();
    const result = await env.stack.run(["preview"], true);
    assert.notStrictEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /TransportRule\.sentTo: the change to rule "Still at Google" removes sentTo, which needs clearing with \$null.*Give the rule a new name instead/);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("previews a renamed connector as its replacement and an update of the rule that names it", async () => {
    assert.deepStrictEqual(await steps(rule, { ...connector, name: "To Gmail (rule-scoped)" }), [
      ["replace", "connector", ["name"]],
      ["update", "rule", []],
    ]);
  });

  it("applies a new recipient in place with one Set", async () => {
    await env.setArgs({ connector, rule: { ...rule, sentTo: ["amy@contoso.com", "ben@contoso.com"] } });
    await env.resetStats();
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), ["exchange Set-TransportRule"]);
    assert.deepStrictEqual((await rules())[0]?.sentTo, ["amy@contoso.com", "ben@contoso.com"]);
  });

  it("finds recipients changed in the console on refresh, and the next up puts them back", async () => {
    await invoke("Set-TransportRule", { Identity: "Still at Google", SentTo: ["eve@contoso.com"] });
    await env.stack.refresh();
    const wanted = { ...rule, sentTo: ["amy@contoso.com", "ben@contoso.com"] };
    assert.deepStrictEqual(await steps(wanted), [["update", "rule", []]]);
    await env.stack.up();
    assert.deepStrictEqual((await rules())[0]?.sentTo, ["amy@contoso.com", "ben@contoso.com"]);
  });

  it("renames the rule by creating the new one before removing the old", async () => {
    await env.setArgs({ connector, rule: { ...rule, name: "Not migrated yet" } });
    await env.stack.up();
    assert.deepStrictEqual((await rules()).map((entry) => entry.name), ["Not migrated yet"]);
  });

  it("removes the rule, then the connector, on destroy", async () => {
    // The sandbox, like Exchange, refuses to remove a connector a rule still routes to.
    await env.stack.destroy();
    const tenant = await env.tenant();
    assert.deepStrictEqual([tenant.transportRules, tenant.connectors], [[], []]);
  });
});
