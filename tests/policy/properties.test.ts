import * as assert from "assert";
import fc from "fast-check";
import { BATCH_STATES, planProblems, type BatchState, type Phase } from "../../provider/components/plan";
import type { MigrationUser } from "../../provider/components/usersCsv";
import { findRoutingProblems, ROUTING_RULES } from "../../provider/routing/problems";
import { checkPlan, formatViolation, POLICIES, type Violation } from "../../policy/checks";
import { planTenant, receivesAtGoogle } from "../../policy/plannedState";
import {
  asPlanned,
  changed,
  coexistenceResources,
  migrationUser,
  PRIMARY_DOMAIN,
  ROUTING_DOMAIN,
  without,
  type CoexistencePlan,
  type DeclaredResource,
} from "./stacks";

const RUNS = { numRuns: 150, seed: 20261127 };
const BATCH_NAMES = ["pilot", "sales", "finance"];
const LOCAL_PARTS = ["alice", "bob", "carol", "dave", "erin", "frank"];

const mandatory = (violations: Violation[]) => violations.filter((violation) => POLICIES[violation.policy].enforcementLevel === "mandatory");

function analyse(resources: DeclaredResource[]) {
  const tenant = planTenant(asPlanned(resources));
  const loopsAndBounces = tenant.scenarios.flatMap(({ assumption, state }) =>
    findRoutingProblems(state)
      .filter((problem) => problem.rule === ROUTING_RULES.loop || problem.rule === ROUTING_RULES.bounce)
      .map((problem) => `${problem.message} (${assumption})`),
  );
  return { tenant, violations: checkPlan(tenant), loopsAndBounces };
}

const usersArbitrary: fc.Arbitrary<MigrationUser[]> = fc
  .uniqueArray(fc.constantFrom(...LOCAL_PARTS), { minLength: 1, maxLength: LOCAL_PARTS.length })
  .chain((localParts) => fc.tuple(...localParts.map((localPart) => fc.constantFrom(...BATCH_NAMES).map((batch) => migrationUser(localPart, batch)))));

type Transition = { kind: "advanceBatch"; batch: string } | { kind: "advancePhase" };

const transitionArbitrary: fc.Arbitrary<Transition> = fc.oneof(
  fc.constantFrom(...BATCH_NAMES).map((batch): Transition => ({ kind: "advanceBatch", batch })),
  fc.constant<Transition>({ kind: "advancePhase" }),
);

const NEXT_PHASE: Record<Phase, Phase> = { coexistence: "cutover", cutover: "decommissioned", decommissioned: "decommissioned" };

/** The plans an admin goes through: batches move forward one state at a time, the phase moves forward when the component allows it. */
function journey(users: MigrationUser[], transitions: Transition[]): CoexistencePlan[] {
  const usedBatches = new Set(users.map((user) => user.batch));
  let plan: CoexistencePlan = { users, batches: {}, phase: "coexistence" };
  const plans = [plan];
  for (const transition of transitions) {
    let next: CoexistencePlan;
    if (transition.kind === "advanceBatch") {
      if (!usedBatches.has(transition.batch) || plan.phase === "decommissioned") continue;
      const current = plan.batches[transition.batch] ?? "google";
      const state = BATCH_STATES[Math.min(BATCH_STATES.indexOf(current) + 1, BATCH_STATES.length - 1)] as BatchState;
      next = { ...plan, batches: { ...plan.batches, [transition.batch]: state } };
    } else {
      next = { ...plan, phase: NEXT_PHASE[plan.phase] };
    }
    const problems = planProblems({
      ...next,
      primaryDomain: PRIMARY_DOMAIN,
      routingDomain: ROUTING_DOMAIN,
      licenseSku: "EXCHANGESTANDARD",
      usageLocation: "US",
      connectorName: "Google Workspace coexistence",
    });
    if (problems.length > 0) continue;
    plan = next;
    plans.push(plan);
  }
  return plans;
}

const journeyArbitrary = fc.tuple(usersArbitrary, fc.array(transitionArbitrary, { maxLength: 12 })).map(([users, transitions]) => journey(users, transitions));

/** One mistake an admin can make by hand, applicable to some stacks. */
interface Mistake {
  name: string;
  applies(resources: DeclaredResource[]): boolean;
  apply(resources: DeclaredResource[]): DeclaredResource[];
}

const named = (resources: DeclaredResource[], type: DeclaredResource["type"]) => resources.filter((resource) => resource.type === type);
const firstForwarding = (resources: DeclaredResource[]) => named(resources, "GoogleForwardingRoute")[0];
const internalRelay = (resources: DeclaredResource[]) => named(resources, "AcceptedDomain").some((domain) => domain.props.domainType === "InternalRelay");

const MISTAKES: Mistake[] = [
  {
    name: "forward before licensing",
    applies: (resources) => firstForwarding(resources) !== undefined,
    apply: (resources) => without(resources, `licence-${firstForwarding(resources).props.userEmail}`),
  },
  {
    name: "forwarding not waiting for the licence",
    applies: (resources) => firstForwarding(resources) !== undefined,
    apply: (resources) => changed(resources, firstForwarding(resources).name, (route) => ({ ...route, dependsOn: [] })),
  },
  {
    name: "forward to an address nobody holds",
    applies: (resources) => firstForwarding(resources) !== undefined,
    apply: (resources) => changed(resources, firstForwarding(resources).name, (route) => ({ ...route, props: { ...route.props, forwardTo: `nobody@${ROUTING_DOMAIN}` } })),
  },
  {
    name: "Authoritative while users are at Google",
    applies: (resources) => internalRelay(resources),
    apply: (resources) => changed(resources, "accepted-domain", (domain) => ({ ...domain, props: { ...domain.props, domainType: "Authoritative" } })),
  },
  {
    name: "remove the connector of an Internal Relay domain",
    applies: (resources) => internalRelay(resources),
    apply: (resources) => without(resources, "connector"),
  },
  {
    name: "disable the connector of an Internal Relay domain",
    applies: (resources) => internalRelay(resources),
    apply: (resources) => changed(resources, "connector", (connector) => ({ ...connector, props: { ...connector.props, enabled: false } })),
  },
  {
    name: "routing domain missing",
    applies: (resources) => named(resources, "MailUser").length > 0,
    apply: (resources) => without(resources, "routing-domain"),
  },
  {
    name: "routing domain without Email",
    applies: (resources) => named(resources, "MailUser").length > 0,
    apply: (resources) => changed(resources, "routing-domain", (domain) => ({ ...domain, props: { ...domain.props, supportedServices: ["OfficeCommunicationsOnline"] } })),
  },
];

describe("the policy pack against random coexistence journeys (fast-check)", () => {
  it("lets through every plan the Coexistence component makes, and the routing model finds no loop or bounce in it", () => {
    const phasesSeen = new Set<Phase>();
    fc.assert(
      fc.property(journeyArbitrary, (plans) => {
        for (const plan of plans) {
          phasesSeen.add(plan.phase);
          const { violations, loopsAndBounces } = analyse(coexistenceResources(plan));
          assert.deepStrictEqual(violations.map(formatViolation), [], `${JSON.stringify(plan.batches)} ${plan.phase}`);
          assert.deepStrictEqual(loopsAndBounces, []);
        }
      }),
      RUNS,
    );
    assert.deepStrictEqual([...phasesSeen].sort(), ["coexistence", "cutover", "decommissioned"], "the journeys reach every phase");
  });

  it("rejects every plan with one of the known mistakes, with a mandatory finding", () => {
    const mistaken = journeyArbitrary.chain((plans) =>
      fc.tuple(fc.constantFrom(...plans), fc.constantFrom(...MISTAKES)).filter(([plan, mistake]) => mistake.applies(coexistenceResources(plan))),
    );
    fc.assert(
      fc.property(mistaken, ([plan, mistake]) => {
        const { violations } = analyse(mistake.apply(coexistenceResources(plan)));
        assert.ok(mandatory(violations).length > 0, `${mistake.name} in ${JSON.stringify(plan.batches)} ${plan.phase} was let through`);
      }),
      RUNS,
    );
  });
});

/** A random hand-written stack: any combination of the coexist resources for a few users. */
const handWrittenStack: fc.Arbitrary<DeclaredResource[]> = fc
  .record({
    users: fc.uniqueArray(fc.constantFrom(...LOCAL_PARTS.slice(0, 4)), { minLength: 1, maxLength: 4 }),
    perUser: fc.array(
      fc.record({
        mailUser: fc.boolean(),
        licensed: fc.boolean(),
        forwarded: fc.boolean(),
        waitsForLicense: fc.boolean(),
        disposition: fc.constantFrom("trash", "archive", "leaveInInbox"),
      }),
      { minLength: 4, maxLength: 4 },
    ),
    routingDomain: fc.constantFrom("verified", "withoutEmail", "absent"),
    acceptedDomain: fc.constantFrom("InternalRelay", "Authoritative", "absent"),
    connector: fc.constantFrom("google", "disabled", "elsewhere", "absent"),
  })
  .map(({ users, perUser, routingDomain, acceptedDomain, connector }) => {
    const resources: DeclaredResource[] = [];
    if (routingDomain !== "absent") {
      resources.push({ type: "RoutingDomain", name: "routing-domain", props: { domainName: ROUTING_DOMAIN, ...(routingDomain === "withoutEmail" && { supportedServices: [] }) } });
    }
    if (connector !== "absent") {
      const smartHosts = connector === "elsewhere" ? ["relay.example.net"] : ["smtp.google.com"];
      resources.push({ type: "OutboundConnector", name: "connector", props: { name: "to Google", recipientDomains: [PRIMARY_DOMAIN], smartHosts, enabled: connector !== "disabled" } });
    }
    if (acceptedDomain !== "absent") resources.push({ type: "AcceptedDomain", name: "accepted-domain", props: { domainName: PRIMARY_DOMAIN, domainType: acceptedDomain } });
    users.forEach((localPart, index) => {
      const email = `${localPart}@${PRIMARY_DOMAIN}`;
      const routingAddress = `${localPart}@${ROUTING_DOMAIN}`;
      const choice = perUser[index];
      if (choice.mailUser) resources.push({ type: "MailUser", name: `mail-user-${email}`, props: { externalEmailAddress: email, microsoftOnlineServicesId: email, routingAddress } });
      if (choice.licensed) resources.push({ type: "LicenseAssignment", name: `licence-${email}`, props: { userPrincipalName: email } });
      if (choice.forwarded) {
        resources.push({
          type: "GoogleForwardingRoute",
          name: `forward-${email}`,
          props: { userEmail: email, forwardTo: routingAddress, disposition: choice.disposition },
          dependsOn: choice.licensed && choice.waitsForLicense ? [`licence-${email}`] : [],
        });
      }
    });
    return resources;
  });

describe("the policy pack against random hand-written stacks (fast-check)", () => {
  it("never lets through a plan in which the routing model finds a loop or a bounce", () => {
    let letThrough = 0;
    fc.assert(
      fc.property(handWrittenStack, (resources) => {
        const { violations, loopsAndBounces } = analyse(resources);
        if (mandatory(violations).length > 0) return;
        letThrough++;
        assert.deepStrictEqual(loopsAndBounces, [], JSON.stringify(resources));
      }),
      RUNS,
    );
    assert.ok(letThrough > 0, "some generated stacks are safe, so the property is not vacuous");
  });

  it("never lets through forwarding whose mailbox may not exist yet, nor Authoritative while someone is at Google", () => {
    fc.assert(
      fc.property(handWrittenStack, (resources) => {
        const { tenant, violations } = analyse(resources);
        if (mandatory(violations).length > 0) return;
        for (const route of named(resources, "GoogleForwardingRoute")) {
          assert.ok(route.dependsOn?.includes(`licence-${route.props.userEmail}`), `${route.name} let through without waiting for its licence`);
        }
        const authoritative = named(resources, "AcceptedDomain").every((domain) => domain.props.domainType === "Authoritative");
        if (authoritative) assert.ok(!tenant.users.some(receivesAtGoogle), "Authoritative let through while users are at Google");
      }),
      RUNS,
    );
  });
});
