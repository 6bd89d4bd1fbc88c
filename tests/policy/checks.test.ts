import * as assert from "assert";
import { checkPlan, formatViolation, POLICIES, type Violation } from "../../policy/checks";
import { planTenant, UNKNOWN_VALUE, type TenantFacts } from "../../policy/plannedState";
import { asPlanned, changed, SAFE_STAGES, SAFE_WITH_GOOGLE_FACTS, UNSAFE_STACKS, UNSAFE_WITH_GOOGLE_FACTS, type DeclaredResource } from "./stacks";

function violationsOf(resources: DeclaredResource[], facts: TenantFacts = {}): Violation[] {
  return checkPlan(planTenant(asPlanned(resources), facts), facts);
}

const policyName = (violation: Violation) => POLICIES[violation.policy].name;

describe("the safety checks on a planned stack", () => {
  for (const [stage, resources] of Object.entries(SAFE_STAGES)) {
    it(`find nothing wrong in the safe stage "${stage}"`, () => {
      assert.deepStrictEqual(violationsOf(resources).map(formatViolation), []);
    });
  }

  for (const [stage, { resources, facts }] of Object.entries(SAFE_WITH_GOOGLE_FACTS)) {
    it(`find nothing wrong in the safe stage "${stage}", knowing every Google address`, () => {
      assert.deepStrictEqual(violationsOf(resources, facts).map(formatViolation), []);
    });
  }

  for (const [mistake, { resources, facts, policy, mentions }] of Object.entries({ ...UNSAFE_STACKS, ...UNSAFE_WITH_GOOGLE_FACTS })) {
    it(`report "${mistake}" under ${policy}, naming the user and the fix`, () => {
      const all = violationsOf(resources, facts);
      const found = all.filter((violation) => policyName(violation) === policy);
      assert.strictEqual(found.length, 1, `expected one ${policy} finding, got: ${all.map(formatViolation).join("\n---\n")}`);
      const text = formatViolation(found[0]);
      for (const words of mentions) assert.ok(text.includes(words), `"${words}" missing from:\n${text}`);
    });
  }

  it("explain a loop once, under the rule that names its cause, not again as a generic loop", () => {
    const policies = violationsOf(UNSAFE_STACKS["forwarding to a mail user that has no licence"].resources).map(policyName);
    assert.deepStrictEqual(policies, ["forward-only-to-licensed-mailbox"]);
  });

  it("report what the named rules do not explain under no-mail-loop-or-bounce, per user, with the model's fix", () => {
    const facts: TenantFacts = { mx: { "contoso.com": [] } };
    const found = violationsOf(SAFE_STAGES["pilot batch migrated (forwarded)"], facts);
    assert.deepStrictEqual(found.map((violation) => [policyName(violation), violation.users]), [
      ["no-mail-loop-or-bounce", ["alice@contoso.com"]],
      ["no-mail-loop-or-bounce", ["bob@contoso.com"]],
    ]);
    const text = formatViolation(found[1]);
    assert.match(text, /mail from the Internet to bob@contoso\.com bounces: 550 5\.1\.2/);
    assert.match(text, /Fix: .*publish the MX record of contoso\.com/);
  });

  it("warn when the configured SPF record lacks Google's include while users are still at Google", () => {
    const resources = SAFE_STAGES["pilot batch migrated (forwarded)"];
    const facts: TenantFacts = { spf: { "contoso.com": "v=spf1 include:spf.protection.outlook.com -all" } };
    const [spf] = violationsOf(resources, facts);
    assert.strictEqual(policyName(spf), "spf-includes-both-systems");
    assert.match(formatViolation(spf), /lacks include:_spf\.google\.com/);
    assert.match(formatViolation(spf), /Fix: publish "v=spf1 include:_spf\.google\.com include:spf\.protection\.outlook\.com ~all"/);
    const complete = { spf: { "contoso.com": "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all" } };
    assert.deepStrictEqual(violationsOf(resources, complete), []);
  });

  it("read an SPF record the stack itself holds, and accept Microsoft's alone once nobody is left at Google", () => {
    const spfRecord: DeclaredResource = { type: "TransportRule", name: "dns-spf", props: { zone: "contoso.com", txt: "v=spf1 include:_spf.google.com ~all" } };
    const [spf] = violationsOf([...SAFE_STAGES["pilot batch migrating (licensed)"], spfRecord]);
    assert.match(formatViolation(spf), /lacks include:spf\.protection\.outlook\.com/);
    assert.match(formatViolation(spf), /TransportRule dns-spf/);
    const decommissioned: DeclaredResource = { ...spfRecord, props: { zone: "contoso.com", txt: "v=spf1 include:spf.protection.outlook.com -all" } };
    assert.deepStrictEqual(violationsOf([...SAFE_STAGES.decommissioned, decommissioned]), []);
  });

  it("name an input that is unknown at preview instead of guessing it", () => {
    const resources = changed(SAFE_STAGES["pilot batch migrated (forwarded)"], "forward-alice@contoso.com", (route) => ({
      ...route,
      props: { ...route.props, forwardTo: UNKNOWN_VALUE },
    }));
    const found = violationsOf(resources);
    assert.deepStrictEqual(found.map(policyName), ["routing-inputs-known-at-preview"]);
    assert.match(formatViolation(found[0]), /GoogleForwardingRoute forward-alice@contoso\.com: forwardTo is known only when the update runs/);
  });

  it("name a set member's unknown input by its set and key, and an unknown map by the set", () => {
    const stage = SAFE_STAGES["pilot batch migrated (forwarded), per batch"];
    const unknownTarget = changed(stage, "forwards-pilot", (routes) => ({ ...routes, props: { ...routes.props, routes: { "alice@contoso.com": { forwardTo: UNKNOWN_VALUE } } } }));
    assert.deepStrictEqual(violationsOf(unknownTarget).map(formatViolation).map((text) => text.split("\n")[0]), [
      "GoogleForwardingRouteSet forwards-pilot (alice@contoso.com): forwardTo is known only when the update runs, so the routing checks could not use it",
    ]);
    const unknownMap = changed(stage, "forwards-pilot", (routes) => ({ ...routes, props: { ...routes.props, routes: UNKNOWN_VALUE } }));
    assert.deepStrictEqual(violationsOf(unknownMap).map(formatViolation).map((text) => text.split("\n")[0]), [
      "GoogleForwardingRouteSet forwards-pilot: routes is known only when the update runs, so the routing checks could not use it",
    ]);
  });

  it("judge a stack without the tenant-wide objects as a whole tenant unless its Coexistence component is scoped to a batch", () => {
    const batchStack = SAFE_STAGES["pilot batch's stack, migrated"];
    assert.deepStrictEqual(violationsOf(batchStack), []);
    const unscoped = violationsOf(batchStack.filter((resource) => resource.type !== "Coexistence")).map(policyName);
    assert.deepStrictEqual(unscoped, ["routing-address-on-email-verified-domain"]);
  });

  it("take a domain's type from the policy config when the stack does not manage it", () => {
    const resources = SAFE_STAGES["coexistence, nobody migrated"].filter((resource) => resource.type !== "AcceptedDomain");
    const [authoritative] = violationsOf(resources);
    assert.strictEqual(policyName(authoritative), "no-authoritative-while-users-at-google");
    assert.match(formatViolation(authoritative), /the stack does not manage it/);
    assert.deepStrictEqual(violationsOf(resources, { acceptedDomains: { "contoso.com": "InternalRelay" } }), []);
  });
});
