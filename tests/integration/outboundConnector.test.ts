import * as assert from "assert";
import { resolveSeed, type Seed } from "pulumi-mail-coexistence-sandbox";
import { invoke } from "../../provider/clients/exchange";
import { ownerMark } from "../../provider/resources/ownership";
import { SandboxStack } from "./sandboxStack";

const base = { name: "To Google", recipientDomains: ["contoso.com"] };
/** The mark of this fixture's stack (`<project>/<stack>`). */
const MARK = ownerMark("outboundConnector/test");

/** The demo tenant, strict (no JSON null accepted, every error shape), with contoso.com Internal Relay so test mail goes through the connector. */
function seed(behaviour: Partial<Seed["behaviour"]> = {}): Seed {
  const strict = resolveSeed({ strict: true });
  strict.microsoft[0].acceptedDomainTypes = { "contoso.com": "InternalRelay" };
  strict.behaviour = { ...strict.behaviour, ...behaviour };
  return strict;
}

describe("OutboundConnector with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const steps = async (args: Record<string, unknown>): Promise<[string, string, string[]][]> => (await env.plan(args)).steps;
  const connector = async (): Promise<Record<string, unknown> | undefined> => (await env.tenant()).connectors[0];

  const connectorNamed = async (name: string): Promise<Record<string, unknown> | undefined> => (await env.tenant()).connectors.find((entry) => entry.name === name);

  before(async () => {
    env = await SandboxStack.start("outboundConnector", seed());
  });
  after(async () => env?.stop());

  it("previews one create and calls no API", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(base), [["create", "connector", []]]);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("creates an OnPremises connector to smtp.google.com that never routes by MX, marked as this stack's, every output filled in", async () => {
    const result = await env.stack.up();
    assert.doesNotMatch(result.stdout + result.stderr, /Undefined value/);
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
    assert.strictEqual(created?.comment, MARK);
    assert.deepStrictEqual(await env.stack.outputs(), {
      smartHosts: ["smtp.google.com"],
      tlsSettings: "None",
      isTransportRuleScoped: false,
      enabled: true,
      adopt: false,
      deleteAdopted: false,
      connectorType: "OnPremises",
      useMxRecord: false,
      ownership: "created",
      isValidated: false,
      validationResult: [],
    });
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
    assert.deepStrictEqual([updated?.smartHosts, updated?.comment, updated?.name], [["aspmx.l.google.com", "alt1.aspmx.l.google.com"], `${MARK} managed by pulumi`, "To Google"]);
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

  describe("an existing connector this stack did not create", () => {
    const partner = { name: "Partner relay", recipientDomains: ["contoso.com"] };
    const foreign = { Name: "Partner relay", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["mail.partner.example"], Comment: "made by hand" };
    const asMadeByHand = { name: "Partner relay", smartHosts: ["mail.partner.example"], comment: "made by hand" };
    const settings = (found: Record<string, unknown> | undefined) => found && { name: found.name, smartHosts: found.smartHosts, comment: found.comment };

    it("is neither taken over nor changed without adopt: the up fails saying so", async () => {
      await invoke("New-OutboundConnector", foreign);
      await env.setArgs(partner);
      const result = await env.stack.run(["up", "--yes", "--skip-preview"], true);
      assert.notStrictEqual(result.code, 0);
      assert.match(result.stdout + result.stderr, /outbound connector "Partner relay" already exists and was not created by this stack; it is left as it is\. Set adopt: true to take it over/);
      assert.deepStrictEqual(settings(await connectorNamed("Partner relay")), asMadeByHand);
      assert.ok(await connectorNamed("To Gmail"), "the replacement failed, so the stack's own connector stays");
    });

    it("is left by destroy, which removes only the stack's own connector", async () => {
      await env.stack.destroy();
      assert.deepStrictEqual((await env.tenant()).connectors.map(settings), [asMadeByHand]);
    });

    it("with adopt, is taken over and marked", async () => {
      await env.setArgs({ ...partner, adopt: true });
      await env.stack.up();
      assert.deepStrictEqual(settings(await connectorNamed("Partner relay")), { name: "Partner relay", smartHosts: ["smtp.google.com"], comment: MARK });
      assert.strictEqual((await env.stack.outputs()).ownership, "adopted");
    });

    it("is restored by destroy, and nothing is removed", async () => {
      await env.stack.destroy();
      assert.deepStrictEqual((await env.tenant()).connectors.map(settings), [asMadeByHand]);
      assert.deepStrictEqual(await env.stack.resources(), []);
    });
  });

  describe("after an interrupted run, with validation output no client can read", () => {
    before(async () => {
      await env.control("POST", "/sandbox/reset", { seed: seed({ connectorValidationOutput: "unreadable" }) });
    });

    it("takes over the connector a killed create left (this stack's mark) silently: no error, no duplicate", async () => {
      await invoke("New-OutboundConnector", { Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"], Comment: MARK });
      await env.setArgs(base);
      await env.resetStats();
      await env.stack.up();
      assert.deepStrictEqual((await env.tenant()).connectors.map((entry) => entry.name), ["To Google"]);
      assert.deepStrictEqual(await env.writes(), []);
    });

    it("does not mark the connector validated when Validate-OutboundConnector's output cannot be read, and says what came back", async () => {
      const { google } = (await env.control("GET", "/sandbox/state")) as { google: { users: { primaryEmail: string }[] } };
      await env.setArgs({ ...base, validationRecipients: [google.users[0].primaryEmail] });
      const result = await env.stack.run(["up", "--yes", "--skip-preview"], true);
      assert.notStrictEqual(result.code, 0);
      assert.match(result.stdout + result.stderr, /the output of Validate-OutboundConnector for To Google could not be read as a result for .*, so the connector is not marked validated\. Received: \[\{"Result":"Completed"\}\]\./);
      assert.strictEqual((await connector())?.isValidated, false);
      assert.strictEqual((await env.stack.outputs()).isValidated, false);
    });
  });
});
