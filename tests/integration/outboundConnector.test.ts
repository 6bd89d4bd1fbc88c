import * as assert from "assert";
import { resolveSeed } from "../../sandbox/index";
import { invoke } from "../../provider/clients/exchange";
import { SandboxStack } from "./sandboxStack";

const base = { name: "To Google", recipientDomains: ["contoso.com"] };

describe("OutboundConnector with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const steps = async (args: Record<string, unknown>): Promise<[string, string, string[]][]> => (await env.plan(args)).steps;
  const connector = async (): Promise<Record<string, unknown> | undefined> => (await env.tenant()).connectors[0];

  before(async () => {
    // Internal Relay, so the sandbox's Validate-OutboundConnector routes test mail through the connector.
    const seed = resolveSeed({});
    seed.microsoft[0].acceptedDomainTypes = { "contoso.com": "InternalRelay" };
    env = await SandboxStack.start("outboundConnector", seed);
  });
  after(async () => env?.stop());

  it("previews one create and calls no API", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(base), [["create", "connector", []]]);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("creates an OnPremises connector to smtp.google.com that never routes by MX", async () => {
    await env.stack.up();
    const created = await connector();
    assert.deepStrictEqual(
      {
        name: created?.name,
        connectorType: created?.connectorType,
        useMxRecord: created?.useMxRecord,
        smartHosts: created?.smartHosts,
        recipientDomains: created?.recipientDomains,
        tlsSettings: created?.tlsSettings,
        enabled: created?.enabled,
        isTransportRuleScoped: created?.isTransportRuleScoped,
      },
      { name: "To Google", connectorType: "OnPremises", useMxRecord: false, smartHosts: ["smtp.google.com"], recipientDomains: ["contoso.com"], tlsSettings: null, enabled: true, isTransportRuleScoped: false },
    );
  });

  it("reports no changes on a second up and writes nothing", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(base), []);
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), []);
  });

  const changes: [string, Record<string, unknown>, [string, string, string[]]][] = [
    ["another smart host", { smartHosts: ["aspmx.l.google.com"] }, ["update", "connector", []]],
    ["required TLS", { tlsSettings: "EncryptionOnly" }, ["update", "connector", []]],
    ["domain-validated TLS", { tlsSettings: "DomainValidation", tlsDomain: "mx.google.com" }, ["update", "connector", []]],
    ["another recipient domain", { recipientDomains: ["contoso.com", "fabrikam.com"] }, ["update", "connector", []]],
    ["disabled", { enabled: false }, ["update", "connector", []]],
    ["rule-scoped", { isTransportRuleScoped: true }, ["update", "connector", []]],
    ["a comment", { comment: "managed by pulumi" }, ["update", "connector", []]],
    ["validation recipients", { validationRecipients: ["someone@contoso.com"] }, ["update", "connector", []]],
    ["a new name", { name: "To Gmail" }, ["replace", "connector", ["name"]]],
  ];
  for (const [title, change, step] of changes) {
    it(`previews ${title} as ${step[0] === "update" ? "an update" : "a replacement"}, without API writes`, async () => {
      await env.resetStats();
      assert.deepStrictEqual(await steps({ ...base, ...change }), [step]);
      assert.deepStrictEqual(await env.writes(), []);
    });
  }

  it("applies an update in place with one Set", async () => {
    await env.setArgs({ ...base, smartHosts: ["aspmx.l.google.com", "alt1.aspmx.l.google.com"], comment: "managed by pulumi" });
    await env.resetStats();
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), ["exchange Set-OutboundConnector"]);
    const updated = await connector();
    assert.deepStrictEqual([updated?.smartHosts, updated?.comment, updated?.name], [["aspmx.l.google.com", "alt1.aspmx.l.google.com"], "managed by pulumi", "To Google"]);
  });

  it("finds a smart host changed in the console on refresh, and the next up puts it back", async () => {
    await invoke("Set-OutboundConnector", { Identity: "To Google", SmartHosts: ["mail.example.net"], UseMXRecord: false });
    await env.stack.refresh();
    assert.deepStrictEqual(await steps({ ...base, smartHosts: ["aspmx.l.google.com", "alt1.aspmx.l.google.com"], comment: "managed by pulumi" }), [["update", "connector", []]]);
    await env.stack.up();
    assert.deepStrictEqual((await connector())?.smartHosts, ["aspmx.l.google.com", "alt1.aspmx.l.google.com"]);
  });

  it("validates with the given recipients and outputs the result", async () => {
    const { google } = (await env.control("GET", "/sandbox/state")) as { google: { users: { primaryEmail: string }[] } };
    const atGoogle = google.users[0].primaryEmail;
    await env.setArgs({ ...base, validationRecipients: [atGoogle] });
    await env.stack.up();
    const [result] = (await env.stack.outputs()).validationResult as { recipient: string; succeeded: boolean }[];
    assert.deepStrictEqual([result.recipient, result.succeeded], [atGoogle, true]);
    assert.strictEqual((await connector())?.isValidated, true);
  });

  it("fails the up when validation fails, naming the recipient", async () => {
    await env.setArgs({ ...base, validationRecipients: ["nobody-at-all@contoso.com"] });
    const result = await env.stack.run(["up", "--yes", "--skip-preview"], true);
    assert.notStrictEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /validation of To Google failed \(nobody-at-all@contoso\.com: /);
  });

  it("renames by creating the new connector before deleting the old", async () => {
    await env.setArgs({ ...base, name: "To Gmail" });
    await env.resetStats();
    await env.stack.up();
    assert.deepStrictEqual((await env.tenant()).connectors.map((entry) => entry.name), ["To Gmail"]);
    const writes = await env.writes();
    assert.ok(writes.includes("exchange New-OutboundConnector") && writes.includes("exchange Remove-OutboundConnector"), writes.join(", "));
    const [resource] = await env.stack.resources();
    assert.strictEqual(resource.id, "To Gmail");
  });

  it("removes the connector on destroy", async () => {
    await env.stack.destroy();
    assert.deepStrictEqual((await env.tenant()).connectors, []);
    assert.deepStrictEqual(await env.stack.resources(), []);
  });
});
