import * as assert from "assert";
import {
  aliasDomainProblems,
  aliasDomainsSetting,
  batchesSetting,
  BatchState,
  CoexistenceScope,
  groupByBatch,
  parseGranularity,
  parseScope,
  Phase,
  planDomain,
  planProblems,
  planScope,
  planUser,
  PlanInput,
  routingAddressOf,
  UserPlan,
} from "../../../provider/components/plan";
import type { MigrationUser } from "../../../provider/components/usersCsv";

const user = (email: string, batch: string): MigrationUser => ({
  email,
  firstName: "A",
  lastName: "B",
  displayName: "A B",
  alias: email.split("@")[0],
  batch,
});

const alice = user("alice@contoso.com", "sales");
const bob = user("bob@contoso.com", "finance");

const baseInput = (batches: Record<string, BatchState>, phase: Phase): PlanInput => ({
  primaryDomain: "contoso.com",
  routingDomain: "o365.contoso.com",
  licenseSku: "EXCHANGESTANDARD",
  usageLocation: "US",
  connectorName: "To Google",
  users: [alice, bob],
  batches,
  phase,
});

describe("the coexistence plan", () => {
  describe("per user: a mailbox exists before Google forwards, forwarding goes before the mail user", () => {
    const cases: [BatchState | undefined, Phase, { mailUser: boolean; licensed: boolean; forwarded: boolean }][] = [
      [undefined, "coexistence", { mailUser: true, licensed: false, forwarded: false }],
      ["google", "coexistence", { mailUser: true, licensed: false, forwarded: false }],
      ["migrating", "coexistence", { mailUser: true, licensed: true, forwarded: false }],
      ["migrated", "coexistence", { mailUser: true, licensed: true, forwarded: true }],
      ["migrated", "cutover", { mailUser: true, licensed: true, forwarded: true }],
      ["migrated", "decommissioned", { mailUser: false, licensed: true, forwarded: false }],
    ];
    for (const [state, phase, expected] of cases) {
      it(`batch ${state ?? "(not listed)"} in phase ${phase}`, () => {
        const plan = planUser(alice, { batches: state ? { sales: state } : {}, phase, routingDomain: "o365.contoso.com" });
        assert.deepStrictEqual({ mailUser: plan.mailUser, licensed: plan.licensed, forwarded: plan.forwarded }, expected);
        assert.ok(!plan.forwarded || plan.licensed, "never forwarded without a licensed mailbox");
      });
    }
  });

  it("forwards to the user's local part on the routing domain", () => {
    assert.strictEqual(routingAddressOf(user("Jane.Doe@Contoso.com", "x"), "o365.contoso.com"), "jane.doe@o365.contoso.com");
  });

  describe("per domain: Internal Relay and the connector stay while anyone receives at Google", () => {
    const cases: [Phase, boolean, string, boolean, boolean][] = [
      // phase, anyone at Google, domain type, connector present, connector enabled
      ["coexistence", true, "InternalRelay", true, true],
      ["coexistence", false, "InternalRelay", true, true],
      ["cutover", true, "InternalRelay", true, true],
      ["cutover", false, "Authoritative", true, false],
      ["decommissioned", false, "Authoritative", false, false],
    ];
    for (const [phase, atGoogle, domainType, present, enabled] of cases) {
      it(`${phase}, ${atGoogle ? "users still at Google" : "nobody at Google"}: ${domainType}, connector ${present ? (enabled ? "on" : "off") : "removed"}`, () => {
        const plan = planDomain(phase, atGoogle);
        assert.strictEqual(plan.acceptedDomain.domainType, domainType);
        assert.deepStrictEqual(plan.connector, { present, enabled });
        assert.strictEqual(plan.acceptedDomain.present, phase !== "decommissioned");
        assert.strictEqual(plan.routingDomain, phase !== "decommissioned");
        assert.strictEqual(plan.mxAtMicrosoft, phase !== "coexistence");
      });
    }
  });

  describe("per stack: the scope decides which objects a stack holds", () => {
    const carol = user("carol@contoso.com", "sales");
    const users = [alice, bob, carol];
    const cases: [CoexistenceScope, { tenantWide: boolean; users: string[] }][] = [
      ["all", { tenantWide: true, users: ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"] }],
      ["tenant", { tenantWide: true, users: [] }],
      [{ batch: "sales" }, { tenantWide: false, users: ["alice@contoso.com", "carol@contoso.com"] }],
      [{ batch: "finance" }, { tenantWide: false, users: ["bob@contoso.com"] }],
    ];
    for (const [scope, expected] of cases) {
      it(`scope ${JSON.stringify(scope)}`, () => {
        const plan = planScope(scope, users);
        assert.deepStrictEqual({ tenantWide: plan.tenantWide, users: plan.users.map((u) => u.email) }, expected);
      });
    }
    it("refuses a batch that no user is in, naming scope.batch and the batches there are", () => {
      assert.throws(() => planScope({ batch: "slaes" }, users), /^Error: scope\.batch "slaes" is not a batch of the users CSV; use one of: finance, sales$/);
    });

    const texts: [string, CoexistenceScope][] = [
      ["all", "all"],
      ["tenant", "tenant"],
      ["batch:sales", { batch: "sales" }],
      ["batch:Wave 2", { batch: "Wave 2" }],
    ];
    for (const [text, scope] of texts) {
      it(`reads the setting "${text}"`, () => assert.deepStrictEqual(parseScope(text, "coexist:scope"), scope));
    }
    for (const text of ["", "batch:", "sales", "batches:sales", "Tenant"]) {
      it(`refuses the setting "${text}", naming it and the accepted forms`, () => {
        assert.throws(() => parseScope(text, "coexist:scope"), /^Error: coexist:scope ".*" is not one of all, tenant, batch:<batch name> \(e\.g\. batch:Sales\)$/);
      });
    }
  });

  describe("per batch: a batch-granularity stack holds one set per batch and kind, holding the users whose plan has it", () => {
    const carol = user("carol@contoso.com", "sales");
    const users = [alice, bob, carol];
    const cases: [string, Record<string, BatchState>, Phase, Record<string, { mailUsers: string[]; licensed: string[]; forwarded: string[] }>][] = [
      ["everybody at Google", {}, "coexistence", {
        finance: { mailUsers: ["bob@contoso.com"], licensed: [], forwarded: [] },
        sales: { mailUsers: ["alice@contoso.com", "carol@contoso.com"], licensed: [], forwarded: [] },
      }],
      ["sales migrating", { sales: "migrating" }, "coexistence", {
        finance: { mailUsers: ["bob@contoso.com"], licensed: [], forwarded: [] },
        sales: { mailUsers: ["alice@contoso.com", "carol@contoso.com"], licensed: ["alice@contoso.com", "carol@contoso.com"], forwarded: [] },
      }],
      ["sales migrated, finance migrating", { sales: "migrated", finance: "migrating" }, "cutover", {
        finance: { mailUsers: ["bob@contoso.com"], licensed: ["bob@contoso.com"], forwarded: [] },
        sales: { mailUsers: ["alice@contoso.com", "carol@contoso.com"], licensed: ["alice@contoso.com", "carol@contoso.com"], forwarded: ["alice@contoso.com", "carol@contoso.com"] },
      }],
      ["decommissioned", { sales: "migrated", finance: "migrated" }, "decommissioned", {
        finance: { mailUsers: [], licensed: ["bob@contoso.com"], forwarded: [] },
        sales: { mailUsers: [], licensed: ["alice@contoso.com", "carol@contoso.com"], forwarded: [] },
      }],
    ];
    for (const [title, batches, phase, expected] of cases) {
      it(title, () => {
        const plans = users.map((u) => planUser(u, { batches, phase, routingDomain: "o365.contoso.com" }));
        const emails = (group: UserPlan[]) => group.map((plan) => plan.user.email);
        const groups = groupByBatch(plans).map((g) => [g.batch, { mailUsers: emails(g.mailUsers), licensed: emails(g.licensed), forwarded: emails(g.forwarded) }]);
        assert.deepStrictEqual(groups, Object.entries(expected));
      });
    }
    it("has no batch for no users", () => assert.deepStrictEqual(groupByBatch([]), []));

    for (const text of ["user", "batch"]) {
      it(`reads the granularity "${text}"`, () => assert.strictEqual(parseGranularity(text, "coexist:granularity"), text));
    }
    for (const text of ["", "users", "Batch", "batch:sales"]) {
      it(`refuses the granularity "${text}", naming the setting and the accepted values`, () => {
        assert.throws(() => parseGranularity(text, "coexist:granularity"), /^Error: coexist:granularity ".*" is not one of user, batch$/);
      });
    }
  });

  describe("refuses unsafe plans, naming the fix", () => {
    it("decommission while a batch is still at Google", () => {
      const [problem] = planProblems(baseInput({ sales: "migrated", finance: "migrating" }, "decommissioned"));
      assert.match(problem, /1 user\(s\) in batch\(es\) finance are not migrated yet; migrate them/);
    });
    it("a routing domain that is not a subdomain of the primary domain", () => {
      const input = { ...baseInput({}, "coexistence"), routingDomain: "contoso-mail.com" };
      assert.match(planProblems(input)[0], /must be a subdomain of primaryDomain contoso.com/);
    });
    it("a batch name that no user has (a typo would silently migrate nobody)", () => {
      assert.match(planProblems(baseInput({ slaes: "migrating" }, "coexistence"))[0], /batches: "slaes" has no user in the CSV/);
    });
    it("accepts a safe plan", () => {
      assert.deepStrictEqual(planProblems(baseInput({ sales: "migrated", finance: "migrated" }, "decommissioned")), []);
    });
  });

  describe("alias domains that move with the primary domain: refused when they cannot move", () => {
    const settings = { primaryDomain: "contoso.com", routingDomain: "o365.contoso.com", googleRoutingDomain: "gsuite.contoso.com" };
    const cases: [string, string[], RegExp[]][] = [
      ["accepts Google's alias and secondary domains", ["contoso.net", "Contoso.co.uk"], []],
      ["accepts none", [], []],
      ["refuses the primary domain, which moves anyway", ["CONTOSO.COM"], [/aliasDomains: contoso.com is also the primaryDomain; remove it from aliasDomains/]],
      ["refuses the routing domain", ["o365.contoso.com"], [/is also the routingDomain/]],
      ["refuses the domain whose MX stays at Google for kept groups", ["gsuite.contoso.com"], [/is also the googleRoutingDomain \(its MX stays at Google; it cannot move\)/]],
      ["refuses a domain listed twice", ["contoso.net", "contoso.net"], [/contoso.net is listed twice/]],
      ["refuses what is not a domain name, naming the form", ["contoso"], [/aliasDomains: "contoso" is not a domain name; give Google's alias or secondary domains, e.g. \["contoso.net"\]/]],
    ];
    for (const [name, aliasDomains, expected] of cases) {
      it(name, () => {
        const problems = aliasDomainProblems(aliasDomains, settings);
        assert.strictEqual(problems.length, expected.length, problems.join("\n"));
        expected.forEach((pattern, index) => assert.match(problems[index], pattern));
      });
    }
  });
});

describe("the aliasDomains setting as the stack config gives it", () => {
  it("takes a list of domain names, and nothing for unset", () => {
    assert.deepStrictEqual(aliasDomainsSetting(["contoso.net"]), ["contoso.net"]);
    assert.deepStrictEqual(aliasDomainsSetting(undefined), []);
  });

  it("refuses anything else, naming the setting, the command that sets it right and what it holds", () => {
    assert.throws(() => aliasDomainsSetting("contoso.net", "acme:aliasDomains"), /^Error: acme:aliasDomains must be a list of domain names, e\.g\. `pulumi config set --path 'acme:aliasDomains\[0\]' contoso\.net`; it is "contoso\.net"$/);
    assert.throws(() => aliasDomainsSetting([1]), /coexist:aliasDomains must be a list of domain names.*; it is \[1\]$/);
  });
});

describe("the batches setting as the stack config gives it", () => {
  it("takes an object of batch states, and nothing for unset", () => {
    assert.deepStrictEqual(batchesSetting({ pilot: "migrating" }), { pilot: "migrating" });
    assert.deepStrictEqual(batchesSetting(undefined), {});
  });

  it("refuses text that is not a JSON object (e.g. a typo in the JSON), naming the setting and the command that sets it right", () => {
    assert.throws(() => batchesSetting('{"pilot":migrating}', "acme:batches"), /^Error: acme:batches must be a JSON object of batch name to state \(google, migrating, migrated\), e\.g\. `pulumi config set --path 'acme:batches\.pilot' migrating`; it is "\{\\"pilot\\":migrating\}"$/);
    assert.throws(() => batchesSetting(["pilot"]), /coexist:batches must be a JSON object.*; it is \["pilot"\]$/);
  });
});
