import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { UNKNOWN } from "../../../provider/resources/inputs";
import {
  type ConnectorSettings,
  connectorChanges,
  connectorFromExchange,
  desiredConnector,
  isCoveredByRecipientDomains,
  newConnectorParameters,
  outboundConnectorProvider as provider,
  validationOutcome,
} from "../../../provider/resources/outboundConnector";
import { ownerMark } from "../../../provider/resources/ownership";
import { OutcomeFaults, useFakeExchange } from "./exchangeObjects";

type Parameters = Record<string, unknown>;

const OWNER = "migration/production";
const MARK = ownerMark(OWNER);

/** Exchange Online's connectors in memory, shaped like Get-OutboundConnector output; records every call. */
class FakeConnectors {
  readonly connectors = new Map<string, Parameters>();
  readonly calls: { cmdlet: string; parameters: Parameters }[] = [];
  validationTasks: Parameters[] = [];
  readonly faults = new OutcomeFaults();

  get writes(): string[] {
    return this.calls.filter((call) => !/^(Get|Validate)-/.test(call.cmdlet)).map((call) => call.cmdlet);
  }

  /** A connector made outside the stack (an admin, or another stack), as Exchange would hold it. */
  add(parameters: Parameters): void {
    this.connectors.set(String(parameters.Name).toLowerCase(), { Enabled: true, UseMXRecord: true, TlsSettings: null, Comment: "", IsValidated: false, ...parameters });
  }

  invoke = async (cmdlet: string, parameters: Parameters = {}): Promise<Parameters[]> => {
    this.calls.push({ cmdlet, parameters });
    return this.faults.run(cmdlet, () => this.apply(cmdlet, parameters));
  };

  private apply(cmdlet: string, parameters: Parameters): Parameters[] {
    const key = String(parameters.Identity ?? parameters.Name ?? "").toLowerCase();
    const found = this.connectors.get(key);
    if (cmdlet.startsWith("New-")) {
      this.add(parameters);
      return [this.connectors.get(key)!];
    }
    if (!found) throw new ExchangeError(cmdlet, `The operation couldn't be performed because object '${key}' couldn't be found.`, { status: 404, notFound: true });
    if (cmdlet === "Get-OutboundConnector") return [{ ...found }];
    if (cmdlet === "Set-OutboundConnector") Object.assign(found, parameters);
    if (cmdlet === "Remove-OutboundConnector") this.connectors.delete(key);
    return cmdlet === "Validate-OutboundConnector" ? this.validationTasks : [];
  }
}

const toGoogle = { name: "To Google", recipientDomains: ["contoso.com"], owner: OWNER };

async function checked(inputs: Parameters): Promise<Parameters> {
  const result = await provider.check!({}, inputs);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs;
}

/** A create's partial-failure error: the engine records `id` and `properties` and fails the step. */
function createdButNotReady(error: unknown): { id: string; properties: Parameters } {
  const partial = error as { id?: string; properties?: Parameters };
  assert.ok(partial.id && partial.properties, `expected the connector to be recorded, got ${String(error)}`);
  return { id: partial.id, properties: partial.properties };
}

describe("OutboundConnector", () => {
  let exchange: FakeConnectors;
  let notes: string[];
  let restore: () => void;
  beforeEach(() => {
    exchange = new FakeConnectors();
    ({ notes, restore } = useFakeExchange(exchange.invoke));
  });
  afterEach(() => restore());

  describe("check", () => {
    it("fills in the seed's defaults: Google's smart host, no required TLS, enabled, not rule-scoped, nothing adopted", async () => {
      assert.deepStrictEqual(await checked(toGoogle), {
        name: "To Google",
        recipientDomains: ["contoso.com"],
        smartHosts: ["smtp.google.com"],
        tlsSettings: "None",
        isTransportRuleScoped: false,
        enabled: true,
        adopt: false,
        deleteAdopted: false,
        owner: OWNER,
      });
    });

    it("normalizes domains, hosts and addresses to lower case", async () => {
      const inputs = await checked({ ...toGoogle, recipientDomains: ["Contoso.COM"], smartHosts: ["ASPMX.l.google.com."], validationRecipients: ["Bob@Contoso.com"] });
      assert.deepStrictEqual([inputs.recipientDomains, inputs.smartHosts, inputs.validationRecipients], [["contoso.com"], ["aspmx.l.google.com"], ["bob@contoso.com"]]);
    });

    const invalid: [string, Parameters, string, RegExp][] = [
      ["no recipient domains", { ...toGoogle, recipientDomains: [] }, "recipientDomains", /must not be empty/],
      ["a recipient domain that is not a domain", { ...toGoogle, recipientDomains: ["contoso"] }, "recipientDomains[0]", /not a domain name/],
      ["empty smart hosts", { ...toGoogle, smartHosts: [] }, "smartHosts", /must not be empty/],
      ["a smart host that is not a host", { ...toGoogle, smartHosts: ["smtp google com"] }, "smartHosts[0]", /not a host name, IPv4 address or IPv4 CIDR/],
      ["an unknown TLS setting", { ...toGoogle, tlsSettings: "Always" }, "tlsSettings", /not one of None, EncryptionOnly, CertificateValidation, DomainValidation/],
      ["DomainValidation without a domain", { ...toGoogle, tlsSettings: "DomainValidation" }, "tlsDomain", /required with tlsSettings DomainValidation/],
      ["a TLS domain without DomainValidation", { ...toGoogle, tlsDomain: "mx.google.com" }, "tlsDomain", /only used with tlsSettings DomainValidation/],
      ["a validation recipient outside the domains", { ...toGoogle, validationRecipients: ["bob@fabrikam.com"] }, "validationRecipients[0]", /not in the connector's recipientDomains/],
      ["a validation recipient that is not an address", { ...toGoogle, validationRecipients: ["bob"] }, "validationRecipients[0]", /not an email address/],
      ["a name with PowerShell characters", { ...toGoogle, name: "To $Google" }, "name", /not allowed/],
      ["a name over 64 characters", { ...toGoogle, name: "x".repeat(65) }, "name", /limit is 64/],
      ["deleteAdopted that is not a boolean", { ...toGoogle, deleteAdopted: "yes" }, "deleteAdopted", /must be true or false/],
      ["no owner (not declared through the class)", { ...toGoogle, owner: undefined }, "owner", /set by the resource class to the stack's <project>\/<stack>/],
    ];
    for (const [title, inputs, field, reason] of invalid) {
      it(`refuses ${title}, naming ${field}, without calling Exchange`, async () => {
        const { failures } = await provider.check!({}, inputs);
        assert.deepStrictEqual(failures?.map((failure) => failure.property), [field]);
        assert.match(failures![0].reason, reason);
        assert.match(failures![0].reason, new RegExp(`^OutboundConnector\\.${field.replace(/[[\]]/g, "\\$&")}:`));
        assert.deepStrictEqual(exchange.calls, []);
      });
    }

    it("lets a *.domain cover validation recipients on its subdomains", async () => {
      await checked({ ...toGoogle, recipientDomains: ["*.contoso.com"], validationRecipients: ["bob@gsuite.contoso.com"] });
    });

    it("passes values unknown during preview through", async () => {
      const inputs = await checked({ name: UNKNOWN, recipientDomains: UNKNOWN, validationRecipients: ["bob@contoso.com"], owner: OWNER });
      assert.strictEqual(inputs.name, UNKNOWN);
    });
  });

  describe("diff", () => {
    const defaults = { smartHosts: ["smtp.google.com"], tlsSettings: "None", isTransportRuleScoped: false, enabled: true, adopt: false, deleteAdopted: false };
    const stored = { ...desiredConnector({ ...toGoogle, ...defaults }), ...defaults, owner: OWNER, ownership: "created", isValidated: false };
    const cases: [string, Parameters, Parameters, { changes: boolean; replaces: string[] }][] = [
      ["the same inputs are no change", stored, {}, { changes: false, replaces: [] }],
      ["a re-cased name is no change", stored, { name: "TO GOOGLE" }, { changes: false, replaces: [] }],
      ["re-ordered, re-cased recipient domains are no change", { ...stored, recipientDomains: ["a.com", "contoso.com"] }, { recipientDomains: ["CONTOSO.com", "a.com"] }, { changes: false, replaces: [] }],
      ["a rename replaces the connector", stored, { name: "To Gmail" }, { changes: true, replaces: ["name"] }],
      ["a new recipient domain is an update", stored, { recipientDomains: ["contoso.com", "fabrikam.com"] }, { changes: true, replaces: [] }],
      ["another smart host is an update", stored, { smartHosts: ["aspmx.l.google.com"] }, { changes: true, replaces: [] }],
      ["requiring TLS is an update", stored, { tlsSettings: "EncryptionOnly" }, { changes: true, replaces: [] }],
      ["disabling is an update", stored, { enabled: false }, { changes: true, replaces: [] }],
      ["rule scoping is an update", stored, { isTransportRuleScoped: true }, { changes: true, replaces: [] }],
      ["a comment is an update", stored, { comment: "managed" }, { changes: true, replaces: [] }],
      ["validation recipients are an update (they re-validate)", stored, { validationRecipients: ["bob@contoso.com"] }, { changes: true, replaces: [] }],
      ["a validation Exchange does not show as done is an update (validates again)", { ...stored, validationRecipients: ["bob@contoso.com"] }, { validationRecipients: ["bob@contoso.com"] }, { changes: true, replaces: [] }],
      ["a validation Exchange shows as done is no change", { ...stored, validationRecipients: ["bob@contoso.com"], isValidated: true }, { validationRecipients: ["bob@contoso.com"] }, { changes: false, replaces: [] }],
      ["deleteAdopted is an update (recorded for delete)", stored, { deleteAdopted: true }, { changes: true, replaces: [] }],
      ["a state from before marks is an update that marks the connector", { ...stored, markedBy: undefined, owner: undefined }, {}, { changes: true, replaces: [] }],
      ["a mark taken off in the console (found by refresh) is an update that puts it back", { ...stored, markedBy: undefined }, {}, { changes: true, replaces: [] }],
      ["MX routing switched on in the console is drift to repair", { ...stored, useMxRecord: true }, {}, { changes: true, replaces: [] }],
      ["a Partner connector type set in the console is drift to repair", { ...stored, connectorType: "Partner" }, {}, { changes: true, replaces: [] }],
      ["a name unknown during preview may replace", stored, { name: UNKNOWN }, { changes: true, replaces: ["name"] }],
      ["TLS back to none with a new name is a replacement (the new connector has no TLS)", { ...stored, tlsSettings: "EncryptionOnly" }, { name: "To Gmail" }, { changes: true, replaces: ["name"] }],
      ["a TLS setting unknown during preview is an update", { ...stored, tlsSettings: "EncryptionOnly" }, { tlsSettings: UNKNOWN }, { changes: true, replaces: [] }],
    ];
    for (const [title, olds, change, expected] of cases) {
      it(title, async () => {
        const news = { ...toGoogle, ...defaults, ...change };
        const result = await provider.diff!("To Google", olds, news);
        assert.deepStrictEqual({ changes: result.changes, replaces: result.replaces }, expected);
        assert.strictEqual(result.deleteBeforeReplace, false, "create-before-delete: the new name never collides and mail always has a connector");
      });
    }

    const refusals: [string, Parameters, Parameters, RegExp][] = [
      [
        "TLS back to none",
        { tlsSettings: "EncryptionOnly" },
        {},
        /OutboundConnector\.tlsSettings: changing connector "To Google" tlsSettings from "EncryptionOnly" to "None" needs the setting cleared with \$null.*never sends one\. .*Set-OutboundConnector -Identity "To Google" -TlsSettings \$null -TlsDomain \$null.*pulumi refresh and pulumi up\. Or give the connector a new name/,
      ],
      [
        "domain validation given up for encryption only (the TLS domain would need clearing)",
        { tlsSettings: "DomainValidation", tlsDomain: "mx.google.com" },
        { tlsSettings: "EncryptionOnly" },
        /OutboundConnector\.tlsDomain: .*tlsDomain from "mx\.google\.com" to "none".*-TlsSettings EncryptionOnly -TlsDomain \$null/,
      ],
    ];
    for (const [title, old, change, message] of refusals) {
      it(`refuses ${title}, naming the field, why, and the command that does it by hand`, async () => {
        await assert.rejects(provider.diff!("To Google", { ...stored, ...old }, { ...toGoogle, ...defaults, ...change }), message);
        assert.deepStrictEqual(exchange.calls, []);
      });
    }
  });

  describe("create", () => {
    it("creates an OnPremises connector that delivers to the smart hosts, never by MX, marked as this stack's", async () => {
      const { id, outs } = await provider.create(await checked({ ...toGoogle, comment: "to Google" }));
      assert.strictEqual(id, "To Google");
      assert.deepStrictEqual(exchange.calls.map((call) => call.cmdlet), ["Get-OutboundConnector", "New-OutboundConnector"]);
      assert.deepStrictEqual(exchange.calls[1].parameters, {
        Name: "To Google",
        RecipientDomains: ["contoso.com"],
        SmartHosts: ["smtp.google.com"],
        IsTransportRuleScoped: false,
        Enabled: true,
        Comment: `${MARK} to Google`,
        ConnectorType: "OnPremises",
        UseMXRecord: false,
      });
      assert.deepStrictEqual([outs.comment, outs.markedBy, outs.ownership, outs.useMxRecord, outs.validationResult], ["to Google", OWNER, "created", false, []]);
      assert.deepStrictEqual(
        Object.keys(outs).filter((key) => ["tlsDomain", "settingsBeforeAdoption"].includes(key)),
        [],
        "unset optional outputs are left out: the engine cannot carry undefined",
      );
    });

    it("takes over this stack's identical connector (an interrupted create) silently, writing nothing", async () => {
      exchange.add({ ...newConnectorParameters(desiredConnector(await checked(toGoogle))) });
      const { id, outs } = await provider.create(await checked(toGoogle));
      assert.deepStrictEqual([id, outs.ownership], ["To Google", "created"]);
      assert.deepStrictEqual(exchange.writes, []);
      assert.match(notes.join("\n"), /with this stack's mark \(an earlier run was interrupted\?\); took it over, nothing written/);
    });

    it("takes over this stack's connector that differs, changing only what differs", async () => {
      exchange.add({ ...newConnectorParameters(desiredConnector(await checked(toGoogle))), SmartHosts: ["mail.example.net"] });
      await provider.create(await checked(toGoogle));
      assert.deepStrictEqual(exchange.calls.at(-1), { cmdlet: "Set-OutboundConnector", parameters: { Identity: "To Google", SmartHosts: ["smtp.google.com"] } });
    });

    const refused: [string, Parameters, RegExp][] = [
      ["an unmarked connector (an admin's)", { Comment: "made by hand" }, /outbound connector "To Google" already exists and was not created by this stack; it is left as it is\. Set adopt: true/],
      ["an identical connector without a mark", { Comment: "" }, /already exists and was not created by this stack/],
      ["another stack's connector", { Comment: ownerMark("migration/dev") }, /already exists and is managed by the stack migration\/dev/],
    ];
    for (const [title, found, message] of refused) {
      it(`without adopt, refuses ${title} and changes nothing`, async () => {
        exchange.add({ ...newConnectorParameters(desiredConnector(await checked(toGoogle))), ...found });
        await assert.rejects(provider.create(await checked(toGoogle)), message);
        assert.deepStrictEqual(exchange.writes, []);
      });
    }

    it("with adopt, takes a foreign connector over, marks it, and saves its settings for delete", async () => {
      exchange.add({ Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["mail.example.net"], Comment: "by hand" });
      const { outs } = await provider.create(await checked({ ...toGoogle, adopt: true }));
      assert.deepStrictEqual(exchange.calls.map((call) => [call.cmdlet, call.parameters]), [
        ["Get-OutboundConnector", { Identity: "To Google" }],
        ["Set-OutboundConnector", { Identity: "To Google", SmartHosts: ["smtp.google.com"], Comment: MARK }],
      ]);
      assert.strictEqual(outs.ownership, "adopted");
      assert.deepStrictEqual(
        outs.settingsBeforeAdoption,
        { name: "To Google", recipientDomains: ["contoso.com"], smartHosts: ["mail.example.net"], tlsSettings: "None", isTransportRuleScoped: false, enabled: true, comment: "by hand", connectorType: "OnPremises", useMxRecord: false },
      );
      assert.match(notes.join("\n"), /was not created by this stack; adopted it \(adopt: true\): its settings are saved and restored on delete\. Changed smartHosts, comment, markedBy to match/);
    });

    it("with adopt, refuses a foreign connector it could only match by clearing a setting", async () => {
      exchange.add({ Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"], TlsSettings: "EncryptionOnly" });
      await assert.rejects(provider.create(await checked({ ...toGoogle, adopt: true })), /OutboundConnector\.tlsSettings: .*-TlsSettings \$null/);
      assert.deepStrictEqual(exchange.writes, []);
    });

    it("reads before it retries a New whose outcome is unknown: what it left is taken over, no second New", async () => {
      exchange.faults.next = { cmdlet: "New-OutboundConnector", applied: true };
      const { id, outs } = await provider.create(await checked(toGoogle));
      assert.deepStrictEqual([id, outs.ownership], ["To Google", "created"]);
      assert.deepStrictEqual(exchange.writes, ["New-OutboundConnector"]);
      assert.strictEqual(exchange.connectors.size, 1);
      assert.match(notes.join("\n"), /New-OutboundConnector for "To Google" got no clear answer; read back, the outbound connector is there/);
    });

    it("retries a New whose outcome is unknown once, when reading back finds nothing", async () => {
      exchange.faults.next = { cmdlet: "New-OutboundConnector", applied: false };
      await provider.create(await checked(toGoogle));
      assert.deepStrictEqual(exchange.calls.map((call) => call.cmdlet), ["Get-OutboundConnector", "New-OutboundConnector", "Get-OutboundConnector", "New-OutboundConnector"]);
      assert.strictEqual(exchange.connectors.size, 1);
    });

    it("validates with the given recipients and, when every recipient reads as a success, records it and outputs the result", async () => {
      exchange.validationTasks = [{ Recipient: "bob@contoso.com", TaskStatus: "Succeeded", IsTaskSuccessful: true, Details: "Delivered to bob@contoso.com (google)." }];
      const { outs } = await provider.create(await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] }));
      assert.deepStrictEqual(outs.validationResult, [{ recipient: "bob@contoso.com", succeeded: true, message: "Delivered to bob@contoso.com (google)." }]);
      assert.strictEqual(outs.isValidated, true);
      const record = exchange.calls.at(-1)!;
      assert.strictEqual(record.cmdlet, "Set-OutboundConnector");
      assert.deepStrictEqual([record.parameters.IsValidated, record.parameters.ValidationRecipients], [true, ["bob@contoso.com"]]);
    });

    it("fails when validation fails, with each failed recipient and what Exchange said, and records the connector", async () => {
      exchange.validationTasks = [{ Recipient: "bob@contoso.com", TaskStatus: "Failed", Details: "550 5.1.1 user unknown" }];
      const error = await provider.create(await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] })).catch((failure: unknown) => failure);
      assert.match(String(error), /validation of To Google failed \(bob@contoso\.com: 550 5\.1\.1 user unknown\)\. The connector is configured; .* run pulumi up again to re-validate/);
      const { id, properties } = createdButNotReady(error);
      assert.deepStrictEqual([id, properties.isValidated, properties.ownership], ["To Google", false, "created"]);
      assert.ok(!exchange.calls.some((call) => call.parameters.IsValidated !== undefined), "IsValidated is never set");
    });

    const unreadable: [string, Parameters[]][] = [
      ["an output that says neither success nor failure", [{ Result: "Completed" }]],
      ["no output at all", []],
      ["a success for another recipient only", [{ Recipient: "ann@contoso.com", IsTaskSuccessful: true }]],
      ["a connector task without a verdict beside a recipient's success", [{ TaskName: "Connect", Details: "done" }, { Recipient: "bob@contoso.com", IsTaskSuccessful: true }]],
    ];
    for (const [title, tasks] of unreadable) {
      it(`fails closed on ${title}: not validated, with what was received and what to do`, async () => {
        exchange.validationTasks = tasks;
        const error = await provider.create(await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] })).catch((failure: unknown) => failure);
        assert.match(
          String(error),
          /the output of Validate-OutboundConnector for To Google could not be read as a result for bob@contoso\.com, so the connector is not marked validated\. Received: .*Validate this connector.*or remove validationRecipients/,
        );
        assert.ok(String(error).includes(`Received: ${JSON.stringify(tasks)}.`), String(error));
        assert.strictEqual(createdButNotReady(error).properties.isValidated, false);
        assert.ok(!exchange.calls.some((call) => call.parameters.IsValidated !== undefined), "IsValidated is left alone");
      });
    }
  });

  describe("read", () => {
    it("returns the connector as Exchange holds it, so a console edit shows as drift", async () => {
      const { outs } = await provider.create(await checked(toGoogle));
      exchange.connectors.get("to google")!.SmartHosts = ["mail.example.net"];
      const { id, props } = await provider.read!("To Google", outs);
      assert.strictEqual(id, "To Google");
      assert.deepStrictEqual(props!.smartHosts, ["mail.example.net"]);
      const plan = await provider.diff!("To Google", props!, await checked(toGoogle));
      assert.deepStrictEqual([plan.changes, plan.replaces], [true, []]);
    });

    it("reports no drift when nothing changed, the mark read back apart from the comment", async () => {
      const inputs = await checked({ ...toGoogle, comment: "managed" });
      const { outs } = await provider.create(inputs);
      const { props } = await provider.read!("To Google", outs);
      assert.deepStrictEqual([props!.comment, props!.markedBy], ["managed", OWNER]);
      assert.strictEqual((await provider.diff!("To Google", props!, inputs)).changes, false);
    });

    it("reports a deleted connector as gone", async () => {
      assert.deepStrictEqual(await provider.read!("To Google", {}), {});
    });
  });

  describe("update", () => {
    it("sends only the changed settings", async () => {
      const { outs } = await provider.create(await checked(toGoogle));
      exchange.calls.length = 0;
      await provider.update!("To Google", outs, await checked({ ...toGoogle, enabled: false, recipientDomains: ["contoso.com", "fabrikam.com"] }));
      assert.deepStrictEqual(exchange.calls.map((call) => [call.cmdlet, call.parameters]), [
        ["Set-OutboundConnector", { Identity: "To Google", RecipientDomains: ["contoso.com", "fabrikam.com"], Enabled: false }],
      ]);
    });

    it("keeps the mark beside a changed comment", async () => {
      const { outs } = await provider.create(await checked({ ...toGoogle, comment: "old" }));
      exchange.calls.length = 0;
      await provider.update!("To Google", outs, await checked(toGoogle));
      assert.deepStrictEqual(exchange.calls.map((call) => call.parameters), [{ Identity: "To Google", Comment: MARK }]);
    });

    it("marks a connector whose state was written before marks", async () => {
      exchange.add({ Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"] });
      const olds = { ...connectorFromExchange(exchange.connectors.get("to google")!), adopt: false };
      const { outs } = await provider.update!("To Google", olds, await checked(toGoogle));
      assert.deepStrictEqual(exchange.calls.map((call) => call.parameters), [{ Identity: "To Google", Comment: MARK }]);
      assert.strictEqual(outs!.ownership, "created");
    });

    it("records a failed re-validation as not validated, so the next up validates again", async () => {
      exchange.validationTasks = [{ Recipient: "bob@contoso.com", IsTaskSuccessful: true }];
      const inputs = await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] });
      const { outs } = await provider.create(inputs);
      exchange.validationTasks = [{ Recipient: "bob@contoso.com", IsTaskSuccessful: false, Details: "550 5.1.1" }];
      const error = await provider.update!("To Google", outs, await checked({ ...toGoogle, smartHosts: ["aspmx.l.google.com"], validationRecipients: ["bob@contoso.com"] })).catch((failure: unknown) => failure);
      const { properties } = createdButNotReady(error);
      assert.deepStrictEqual([properties.isValidated, properties.smartHosts], [false, ["aspmx.l.google.com"]]);
      assert.strictEqual((await provider.diff!("To Google", properties, await checked({ ...toGoogle, smartHosts: ["aspmx.l.google.com"], validationRecipients: ["bob@contoso.com"] }))).changes, true);
    });

    it("re-validates without a Set when only the validation recipients change", async () => {
      exchange.validationTasks = [{ Recipient: "bob@contoso.com", IsTaskSuccessful: true }];
      const { outs } = await provider.create(await checked(toGoogle));
      exchange.calls.length = 0;
      await provider.update!("To Google", outs, await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] }));
      assert.deepStrictEqual(exchange.calls.map((call) => call.cmdlet), ["Validate-OutboundConnector", "Set-OutboundConnector"]);
      assert.strictEqual(exchange.calls[1].parameters.IsValidated, true);
    });

    it("refuses to change a connector that refresh found carrying another stack's mark", async () => {
      const { outs } = await provider.create(await checked(toGoogle));
      exchange.calls.length = 0;
      await assert.rejects(
        provider.update!("To Google", { ...outs, markedBy: "migration/dev" }, await checked({ ...toGoogle, enabled: false })),
        /outbound connector "To Google" now carries the mark of the stack migration\/dev \(found by refresh\), so it is left as it is/,
      );
      assert.deepStrictEqual(exchange.calls, []);
    });

    it("follows a renamed stack: a mark of the stack's old name is rewritten", async () => {
      const { outs } = await provider.create(await checked(toGoogle));
      exchange.calls.length = 0;
      await provider.update!("To Google", outs, await checked({ ...toGoogle, owner: "migration/prod" }));
      assert.deepStrictEqual(exchange.calls.map((call) => call.parameters), [{ Identity: "To Google", Comment: ownerMark("migration/prod") }]);
    });
  });

  describe("delete", () => {
    it("removes the connector it created, and treats one already gone as removed", async () => {
      const { outs } = await provider.create(await checked(toGoogle));
      await provider.delete!("To Google", outs);
      assert.strictEqual(exchange.connectors.size, 0);
      await provider.delete!("To Google", outs);
    });

    const left: [string, string][] = [
      ["carries no mark any more (re-created by someone)", ""],
      ["carries another stack's mark", ownerMark("migration/dev")],
    ];
    for (const [title, comment] of left) {
      it(`leaves a connector that ${title}, saying so`, async () => {
        const { outs } = await provider.create(await checked(toGoogle));
        exchange.connectors.get("to google")!.Comment = comment;
        await provider.delete!("To Google", outs);
        assert.deepStrictEqual(exchange.writes, ["New-OutboundConnector"]);
        assert.match(notes.at(-1)!, /left outbound connector "To Google" as it is: it carries .*, so it is no longer this stack's/);
      });
    }

    it("removes an unmarked connector of a state written before marks (an earlier release created it)", async () => {
      exchange.add({ Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, SmartHosts: ["smtp.google.com"] });
      await provider.delete!("To Google", { name: "To Google", adopt: false });
      assert.strictEqual(exchange.connectors.size, 0);
    });

    it("restores an adopted connector to its settings before adoption and removes nothing", async () => {
      exchange.add({ Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["mail.example.net"], Comment: "by hand" });
      const { outs } = await provider.create(await checked({ ...toGoogle, adopt: true }));
      exchange.calls.length = 0;
      await provider.delete!("To Google", outs);
      assert.deepStrictEqual(exchange.calls.map((call) => [call.cmdlet, call.parameters]), [
        ["Get-OutboundConnector", { Identity: "To Google" }],
        ["Set-OutboundConnector", { Identity: "To Google", SmartHosts: ["mail.example.net"], Comment: "by hand" }],
      ]);
      assert.strictEqual(exchange.connectors.size, 1);
      assert.match(notes.at(-1)!, /restored the adopted outbound connector "To Google" to its settings before adoption and kept it/);
    });

    it("restores what it can of an adopted connector, and names the command for what needs a null", async () => {
      exchange.add({ Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"] });
      const { outs } = await provider.create(await checked({ ...toGoogle, adopt: true }));
      exchange.connectors.get("to google")!.TlsSettings = "EncryptionOnly";
      await provider.delete!("To Google", outs);
      assert.match(notes.at(-1)!, /It could not put back tlsSettings \(that needs \$null\): run Set-OutboundConnector -Identity "To Google" -TlsSettings \$null -TlsDomain \$null to finish\./);
      assert.strictEqual(exchange.connectors.get("to google")!.Comment, "", "the mark is taken off");
    });

    it("removes an adopted connector with deleteAdopted", async () => {
      exchange.add({ Name: "To Google", ConnectorType: "OnPremises", UseMXRecord: false, RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"] });
      const { outs } = await provider.create(await checked({ ...toGoogle, adopt: true, deleteAdopted: true }));
      await provider.delete!("To Google", outs);
      assert.strictEqual(exchange.connectors.size, 0);
    });
  });

  describe("decisions", () => {
    const desired = desiredConnector({ ...toGoogle, smartHosts: ["smtp.google.com"], tlsSettings: "DomainValidation", tlsDomain: "mx.google.com", isTransportRuleScoped: false, enabled: true });
    const withoutTls = { ...desired, tlsSettings: "None" as const, tlsDomain: undefined };
    const changeCases: [string, Partial<ConnectorSettings>, ConnectorSettings, ReturnType<typeof connectorChanges>][] = [
      ["nothing differs", { ...desired }, desired, { parameters: {}, uncleared: [] }],
      ["TLS turned on sends the setting and its domain", withoutTls, desired, { parameters: { TlsSettings: "DomainValidation", TlsDomain: "mx.google.com" }, uncleared: [] }],
      ["TLS turned off would need clearing both: nothing sent", desired, withoutTls, { parameters: {}, uncleared: ["tlsSettings", "tlsDomain"] }],
      ["console drift to MX routing is undone", { ...desired, useMxRecord: true, connectorType: "Partner" }, desired, { parameters: { UseMXRecord: false, ConnectorType: "OnPremises" }, uncleared: [] }],
      ["a comment removed leaves the mark", { ...desired, comment: "old" }, desired, { parameters: { Comment: MARK }, uncleared: [] }],
      ["a mark and comment both gone is an empty string, never null", desired, { ...desired, markedBy: undefined }, { parameters: { Comment: "" }, uncleared: [] }],
      ["a rename is never a Set", { ...desired, name: "Old name" }, desired, { parameters: {}, uncleared: [] }],
    ];
    for (const [title, current, target, expected] of changeCases) {
      it(`Set parameters: ${title}`, () => assert.deepStrictEqual(connectorChanges(current, target), expected));
    }

    it("New parameters leave Exchange's defaults (no TLS) out and carry the mark", () => {
      const parameters = newConnectorParameters(withoutTls);
      assert.deepStrictEqual(Object.keys(parameters).sort(), ["Comment", "ConnectorType", "Enabled", "IsTransportRuleScoped", "Name", "RecipientDomains", "SmartHosts", "UseMXRecord"]);
      assert.strictEqual(parameters.Comment, MARK);
    });

    it("reads Exchange's spellings back as this resource's values", () => {
      const found = connectorFromExchange({
        Name: "To Google",
        RecipientDomains: ["smtp:Contoso.com;1"],
        SmartHosts: ["[10.0.0.1]", "SMTP.google.com"],
        TlsSettings: null,
        TlsDomain: null,
        Comment: `${MARK} to Google`,
        IsTransportRuleScoped: false,
        Enabled: true,
        ConnectorType: "OnPremises",
        UseMXRecord: false,
        IsValidated: false,
        LastValidationTimestamp: null,
      });
      assert.deepStrictEqual(found, {
        name: "To Google",
        recipientDomains: ["contoso.com"],
        smartHosts: ["10.0.0.1", "smtp.google.com"],
        tlsSettings: "None",
        tlsDomain: undefined,
        isTransportRuleScoped: false,
        enabled: true,
        comment: "to Google",
        markedBy: OWNER,
        connectorType: "OnPremises",
        useMxRecord: false,
        isValidated: false,
        lastValidationTimestamp: undefined,
      });
    });

    const coverage: [string, string[], boolean][] = [
      ["contoso.com", ["contoso.com"], true],
      ["gsuite.contoso.com", ["contoso.com"], false],
      ["gsuite.contoso.com", ["*.contoso.com"], true],
      ["contoso.com", ["*.contoso.com"], false],
      ["fabrikam.com", ["*"], true],
    ];
    for (const [domain, spaces, expected] of coverage) {
      it(`RecipientDomains ${spaces.join(",")} ${expected ? "cover" : "do not cover"} ${domain}`, () => {
        assert.strictEqual(isCoveredByRecipientDomains(domain, spaces), expected);
      });
    }

    const verdicts: [string, string[], Parameters[], [string, string][]][] = [
      [
        "a task about the connector (smart host unreachable) fails every recipient",
        ["a@contoso.com", "b@contoso.com"],
        [{ TaskName: "Connect to smart host smtp.google.com", IsTaskSuccessful: false, Error: "timed out" }, { TaskName: "Send test message to a@contoso.com", IsTaskSuccessful: true }],
        [["a@contoso.com", "failed"], ["b@contoso.com", "failed"]],
      ],
      [
        "per-recipient tasks decide per recipient",
        ["a@contoso.com", "b@contoso.com"],
        [{ Recipient: "A@contoso.com", TaskStatus: "Succeeded", Details: "Delivered." }, { Recipient: "b@contoso.com", TaskStatus: "Failed", Details: "5.4.14 loop" }],
        [["a@contoso.com", "succeeded"], ["b@contoso.com", "failed"]],
      ],
      ["a success named in a task's text counts", ["a@contoso.com"], [{ TaskName: "Send test message to a@contoso.com", IsTaskSuccessful: true }], [["a@contoso.com", "succeeded"]]],
      ["a successful connector task alone says nothing about a recipient", ["a@contoso.com"], [{ TaskName: "Connect to smart host", IsTaskSuccessful: true }], [["a@contoso.com", "unreadable"]]],
      ["a status word this code does not know is unreadable", ["a@contoso.com"], [{ Recipient: "a@contoso.com", TaskStatus: "Completed" }], [["a@contoso.com", "unreadable"]]],
      ["no output is unreadable, never a success", ["a@contoso.com"], [], [["a@contoso.com", "unreadable"]]],
    ];
    for (const [title, recipients, tasks, expected] of verdicts) {
      it(`validation: ${title}`, () => {
        assert.deepStrictEqual(validationOutcome(recipients, tasks).map((result) => [result.recipient, result.verdict]), expected);
      });
    }

    it("validation: a failure carries the task's text", () => {
      const [result] = validationOutcome(["a@contoso.com"], [{ TaskName: "Connect to smart host smtp.google.com", IsTaskSuccessful: false, Error: "timed out" }]);
      assert.strictEqual(result.message, "Connect to smart host smtp.google.com: timed out");
    });
  });
});
