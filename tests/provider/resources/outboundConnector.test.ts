import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { UNKNOWN } from "../../../provider/resources/inputs";
import {
  type ConnectorSettings,
  connectorFromExchange,
  desiredConnector,
  isCoveredByRecipientDomains,
  newConnectorParameters,
  outboundConnectorProvider as provider,
  setConnectorParameters,
  validationOutcome,
} from "../../../provider/resources/outboundConnector";
import { useFakeApis } from "./fakeApis";

type Parameters = Record<string, unknown>;

/** Exchange Online's connectors in memory, shaped like Get-OutboundConnector output; records every call. */
class FakeConnectors {
  readonly connectors = new Map<string, Parameters>();
  readonly calls: { cmdlet: string; parameters: Parameters }[] = [];
  validationTasks: Parameters[] = [];

  get writes(): string[] {
    return this.calls.filter((call) => !/^(Get|Validate)-/.test(call.cmdlet)).map((call) => call.cmdlet);
  }

  invoke = async (cmdlet: string, parameters: Parameters = {}): Promise<Parameters[]> => {
    this.calls.push({ cmdlet, parameters });
    const key = String(parameters.Identity ?? parameters.Name ?? "").toLowerCase();
    const found = this.connectors.get(key);
    if (cmdlet.startsWith("New-")) {
      const created = { Enabled: true, UseMXRecord: true, TlsSettings: null, Comment: "", ...parameters };
      this.connectors.set(key, created);
      return [created];
    }
    if (!found) throw new ExchangeError(cmdlet, `The operation couldn't be performed because object '${key}' couldn't be found.`, { status: 404, notFound: true });
    if (cmdlet === "Get-OutboundConnector") return [found];
    if (cmdlet === "Set-OutboundConnector") Object.assign(found, parameters);
    if (cmdlet === "Remove-OutboundConnector") this.connectors.delete(key);
    return cmdlet === "Validate-OutboundConnector" ? this.validationTasks : [];
  };
}

const toGoogle = { name: "To Google", recipientDomains: ["contoso.com"] };

async function checked(inputs: Parameters): Promise<Parameters> {
  const result = await provider.check!({}, inputs);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs;
}

describe("OutboundConnector", () => {
  let exchange: FakeConnectors;
  let restore: () => void;
  beforeEach(() => {
    exchange = new FakeConnectors();
    ({ restore } = useFakeApis({ exchange: { invoke: exchange.invoke } }));
  });
  afterEach(() => restore());

  describe("check", () => {
    it("fills in the seed's defaults: Google's smart host, no required TLS, enabled, not rule-scoped", async () => {
      assert.deepStrictEqual(await checked(toGoogle), {
        name: "To Google",
        recipientDomains: ["contoso.com"],
        smartHosts: ["smtp.google.com"],
        tlsSettings: "None",
        isTransportRuleScoped: false,
        enabled: true,
        adopt: false,
      });
    });

    it("normalises domains, hosts and addresses to lower case", async () => {
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
      const inputs = await checked({ name: UNKNOWN, recipientDomains: UNKNOWN, validationRecipients: ["bob@contoso.com"] });
      assert.strictEqual(inputs.name, UNKNOWN);
    });
  });

  describe("diff", () => {
    const stored = { ...desiredConnector({ ...toGoogle, smartHosts: ["smtp.google.com"], tlsSettings: "None", isTransportRuleScoped: false, enabled: true }), adopt: false };
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
      ["MX routing switched on in the console is drift to repair", { ...stored, useMxRecord: true }, {}, { changes: true, replaces: [] }],
      ["a Partner connector type set in the console is drift to repair", { ...stored, connectorType: "Partner" }, {}, { changes: true, replaces: [] }],
      ["a name unknown during preview may replace", stored, { name: UNKNOWN }, { changes: true, replaces: ["name"] }],
    ];
    for (const [title, olds, change, expected] of cases) {
      it(title, async () => {
        const news = { ...stored, connectorType: undefined, useMxRecord: undefined, ...change };
        const result = await provider.diff!("To Google", olds, news);
        assert.deepStrictEqual({ changes: result.changes, replaces: result.replaces }, expected);
        assert.strictEqual(result.deleteBeforeReplace, false, "create-before-delete: the new name never collides and mail always has a connector");
      });
    }
  });

  describe("create", () => {
    it("creates an OnPremises connector that delivers to the smart hosts, never by MX", async () => {
      const { id, outs } = await provider.create(await checked(toGoogle));
      assert.strictEqual(id, "To Google");
      assert.deepStrictEqual(exchange.calls.map((call) => call.cmdlet), ["Get-OutboundConnector", "New-OutboundConnector"]);
      assert.deepStrictEqual(exchange.calls[1].parameters, {
        Name: "To Google",
        RecipientDomains: ["contoso.com"],
        SmartHosts: ["smtp.google.com"],
        IsTransportRuleScoped: false,
        Enabled: true,
        ConnectorType: "OnPremises",
        UseMXRecord: false,
      });
      assert.strictEqual(outs.useMxRecord, false);
      assert.deepStrictEqual(
        Object.keys(outs).filter((key) => ["comment", "tlsDomain", "validationResult"].includes(key)),
        [],
        "unset optional outputs are left out: the engine cannot carry undefined",
      );
    });

    it("adopts an identical connector left by an interrupted create, writing nothing", async () => {
      await provider.create(await checked(toGoogle));
      exchange.calls.length = 0;
      const { id } = await provider.create(await checked(toGoogle));
      assert.strictEqual(id, "To Google");
      assert.deepStrictEqual(exchange.writes, []);
    });

    it("refuses a different connector of the same name, naming the differences and the fix", async () => {
      await provider.create(await checked({ ...toGoogle, smartHosts: ["mail.example.net"] }));
      await assert.rejects(provider.create(await checked(toGoogle)), /outbound connector "To Google" already exists and differs in smartHosts; set adopt: true to take it over \(it will be changed to match\)/);
    });

    it("with adopt, takes a different connector over and changes only what differs", async () => {
      await provider.create(await checked({ ...toGoogle, smartHosts: ["mail.example.net"], comment: "by hand" }));
      exchange.calls.length = 0;
      await provider.create(await checked({ ...toGoogle, adopt: true }));
      assert.deepStrictEqual(exchange.calls.map((call) => [call.cmdlet, call.parameters]), [
        ["Get-OutboundConnector", { Identity: "To Google" }],
        ["Set-OutboundConnector", { Identity: "To Google", SmartHosts: ["smtp.google.com"], Comment: null }],
      ]);
    });

    it("validates with the given recipients, records the success and outputs the result", async () => {
      exchange.validationTasks = [{ Recipient: "bob@contoso.com", TaskStatus: "Succeeded", Details: "Delivered to bob@contoso.com (google)." }];
      const { outs } = await provider.create(await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] }));
      assert.deepStrictEqual(outs.validationResult, [{ recipient: "bob@contoso.com", succeeded: true, message: "Delivered to bob@contoso.com (google)." }]);
      assert.strictEqual(outs.isValidated, true);
      const record = exchange.calls.at(-1)!;
      assert.strictEqual(record.cmdlet, "Set-OutboundConnector");
      assert.deepStrictEqual([record.parameters.IsValidated, record.parameters.ValidationRecipients], [true, ["bob@contoso.com"]]);
    });

    it("fails when validation fails, with each failed recipient and what Exchange said", async () => {
      exchange.validationTasks = [{ Recipient: "bob@contoso.com", TaskStatus: "Failed", Details: "550 5.1.1 user unknown" }];
      await assert.rejects(
        provider.create(await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] })),
        /validation of To Google failed \(bob@contoso\.com: 550 5\.1\.1 user unknown\)\. The connector is configured; .* run pulumi up again to re-validate/,
      );
    });
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

    it("reports no drift when nothing changed", async () => {
      const inputs = await checked({ ...toGoogle, comment: "managed" });
      const { outs } = await provider.create(inputs);
      const { props } = await provider.read!("To Google", outs);
      assert.strictEqual((await provider.diff!("To Google", props!, inputs)).changes, false);
    });

    it("reports a deleted connector as gone", async () => {
      assert.deepStrictEqual(await provider.read!("To Google", {}), {});
    });
  });

  describe("update and delete", () => {
    it("sends only the changed settings", async () => {
      const { outs } = await provider.create(await checked(toGoogle));
      exchange.calls.length = 0;
      await provider.update!("To Google", outs, await checked({ ...toGoogle, enabled: false, recipientDomains: ["contoso.com", "fabrikam.com"] }));
      assert.deepStrictEqual(exchange.calls.map((call) => [call.cmdlet, call.parameters]), [
        ["Set-OutboundConnector", { Identity: "To Google", RecipientDomains: ["contoso.com", "fabrikam.com"], Enabled: false }],
      ]);
    });

    it("re-validates without a Set when only the validation recipients change", async () => {
      const { outs } = await provider.create(await checked(toGoogle));
      exchange.calls.length = 0;
      await provider.update!("To Google", outs, await checked({ ...toGoogle, validationRecipients: ["bob@contoso.com"] }));
      assert.deepStrictEqual(exchange.calls.map((call) => call.cmdlet), ["Validate-OutboundConnector", "Set-OutboundConnector"]);
      assert.strictEqual(exchange.calls[1].parameters.IsValidated, true);
    });

    it("removes the connector, and treats one already gone as removed", async () => {
      await provider.create(await checked(toGoogle));
      await provider.delete!("To Google", {});
      assert.strictEqual(exchange.connectors.size, 0);
      await provider.delete!("To Google", {});
    });
  });

  describe("decisions", () => {
    const desired = desiredConnector({ ...toGoogle, smartHosts: ["smtp.google.com"], tlsSettings: "DomainValidation", tlsDomain: "mx.google.com", isTransportRuleScoped: false, enabled: true });
    const withoutTls = { ...desired, tlsSettings: "None" as const, tlsDomain: undefined };
    const parameterCases: [string, Parameters, ConnectorSettings, Parameters][] = [
      ["nothing differs", { ...desired }, desired, {}],
      ["TLS turned on sends the setting and its domain", withoutTls, desired, { TlsSettings: "DomainValidation", TlsDomain: "mx.google.com" }],
      ["TLS turned off clears both", desired, withoutTls, { TlsSettings: null, TlsDomain: null }],
      ["console drift to MX routing is undone", { ...desired, useMxRecord: true, connectorType: "Partner" }, desired, { UseMXRecord: false, ConnectorType: "OnPremises" }],
      ["a rename is never a Set", { ...desired, name: "Old name" }, desired, {}],
    ];
    for (const [title, current, target, expected] of parameterCases) {
      it(`Set parameters: ${title}`, () => assert.deepStrictEqual(setConnectorParameters(current, target), expected));
    }

    it("New parameters leave Exchange's defaults (no TLS, no comment) out", () => {
      const parameters = newConnectorParameters(withoutTls);
      assert.deepStrictEqual(Object.keys(parameters).sort(), ["ConnectorType", "Enabled", "IsTransportRuleScoped", "Name", "RecipientDomains", "SmartHosts", "UseMXRecord"]);
    });

    it("reads Exchange's spellings back as this resource's values", () => {
      const found = connectorFromExchange({
        Name: "To Google",
        RecipientDomains: ["smtp:Contoso.com;1"],
        SmartHosts: ["[10.0.0.1]", "SMTP.google.com"],
        TlsSettings: null,
        TlsDomain: null,
        Comment: "",
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
        comment: undefined,
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

    it("validation: a task about the connector (smart host unreachable) fails every recipient", () => {
      const outcome = validationOutcome(
        ["a@contoso.com", "b@contoso.com"],
        [
          { TaskName: "Connect to smart host smtp.google.com", IsTaskSuccessful: false, Error: "timed out" },
          { TaskName: "Send test message to a@contoso.com", IsTaskSuccessful: true },
        ],
      );
      assert.deepStrictEqual(outcome, [
        { recipient: "a@contoso.com", succeeded: false, message: "Connect to smart host smtp.google.com: timed out" },
        { recipient: "b@contoso.com", succeeded: false, message: "Connect to smart host smtp.google.com: timed out" },
      ]);
    });

    it("validation: per-recipient tasks decide per recipient", () => {
      const outcome = validationOutcome(
        ["a@contoso.com", "b@contoso.com"],
        [
          { Recipient: "A@contoso.com", TaskStatus: "Succeeded", Details: "Delivered." },
          { Recipient: "b@contoso.com", TaskStatus: "Failed", Details: "5.4.14 loop" },
        ],
      );
      assert.deepStrictEqual(outcome.map((result) => [result.recipient, result.succeeded, result.message]), [
        ["a@contoso.com", true, "Delivered."],
        ["b@contoso.com", false, "5.4.14 loop"],
      ]);
    });

    it("validation: no output and no error is a success", () => {
      assert.deepStrictEqual(validationOutcome(["a@contoso.com"], []), [{ recipient: "a@contoso.com", succeeded: true, message: "Validate-OutboundConnector reported no failure" }]);
    });
  });
});
