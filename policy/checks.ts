/**
 * The safety checks of the policy pack, as a pure function of the planned tenant: each finding
 * names the policy it belongs to, the users and resources involved, and the fix. The routing model
 * (provider/routing) decides what happens to mail; these checks only phrase its findings for a
 * plan and add the ones a single state cannot show (update order, SPF).
 */
import { domainOf, normalizeAddress } from "../provider/routing/addresses";
import { finalRoutes, finalTraces } from "../provider/routing/fanout";
import { googleRoutedAddress } from "../provider/routing/fixes";
import { createRouter, type Router } from "../provider/routing/model";
import { findRoutingProblems, ROUTING_RULES, type RoutingProblem } from "../provider/routing/problems";
import { describeAddress, type TenantAddress } from "../provider/routing/tenantAddresses";
import type { FinalDisposition, Origin, TenantState } from "../provider/routing/types";
import {
  coexistTypeOf,
  forwardingTargetStatus,
  receivesAtGoogle,
  type PlannedResource,
  type PlannedTenant,
  type TenantFacts,
  type UserPlan,
} from "./plannedState";

export type EnforcementLevel = "mandatory" | "advisory";

export interface PolicyDefinition {
  name: string;
  enforcementLevel: EnforcementLevel;
  description: string;
}

/** The pack's policies, in the order they are reported. Names are stable: CI configs refer to them. */
export const POLICIES = {
  forwardingNeedsMailbox: {
    name: "forward-only-to-licensed-mailbox",
    enforcementLevel: "mandatory",
    description: "Google forwards a user only to a routing address whose Microsoft 365 recipient is a licensed mailbox by then (else 554 5.4.14 loop or a bounce).",
  },
  internalRelayNeedsConnector: {
    name: "internal-relay-needs-connector-to-google",
    enforcementLevel: "mandatory",
    description: "An Internal Relay domain has an enabled outbound connector that sends it to Google.",
  },
  noAuthoritativeWhileAtGoogle: {
    name: "no-authoritative-while-users-at-google",
    enforcementLevel: "mandatory",
    description: "A domain stays Internal Relay while any of its users still receives at Google.",
  },
  routingAddressAccepted: {
    name: "routing-address-on-email-verified-domain",
    enforcementLevel: "mandatory",
    description: "Routing addresses are on a domain verified for Email in Microsoft 365 (an accepted domain).",
  },
  noMailLoopOrBounce: {
    name: "no-mail-loop-or-bounce",
    enforcementLevel: "mandatory",
    description: "The routing model delivers mail to every user from the Internet, Google and Microsoft 365, with the MX at either side.",
  },
  everyGoogleAddressDelivered: {
    name: "every-google-address-delivered",
    enforcementLevel: "mandatory",
    description:
      "Every other address Google Workspace receives mail at (user aliases, alias-domain addresses, groups and their aliases) is still delivered: a cutover (Authoritative domain, or MX at Microsoft 365) is refused while one would bounce.",
  },
  noSplitDelivery: {
    name: "no-split-delivery",
    enforcementLevel: "mandatory",
    description: "Mail to a recipient lands in one system whoever sends it, not in Gmail from some senders and in Exchange Online from others (expected only while a user's data copy runs).",
  },
  noDuplicateDelivery: {
    name: "no-duplicate-delivery",
    enforcementLevel: "mandatory",
    description: "A message reaches each mailbox once, even when groups lead to it along two paths.",
  },
  forwardingKeepsNoCopy: {
    name: "forwarding-keeps-no-copy-at-google",
    enforcementLevel: "advisory",
    description: "Gmail forwarding trashes its copy, so the data migration does not copy forwarded mail twice.",
  },
  spfIncludesBothSystems: {
    name: "spf-includes-both-systems",
    enforcementLevel: "advisory",
    description: "While both systems send for a domain, its SPF record includes Google's and Microsoft 365's.",
  },
  routingInputsKnown: {
    name: "routing-inputs-known-at-preview",
    enforcementLevel: "advisory",
    description: "Every input the routing checks need is known at preview.",
  },
} as const satisfies Record<string, PolicyDefinition>;

export type PolicyKey = keyof typeof POLICIES;

/**
 * The rules that judge the tenant-wide objects, or the whole tenant's routes built from them. The
 * stack of one batch cannot see those objects, so these rules do not run there: the tenant stack's
 * plan is checked for them, and `coexist trace --all` checks the live routes after every apply.
 */
const TENANT_WIDE_POLICIES: readonly PolicyKey[] = [
  "internalRelayNeedsConnector",
  "noAuthoritativeWhileAtGoogle",
  "routingAddressAccepted",
  "noMailLoopOrBounce",
  "everyGoogleAddressDelivered",
  "noSplitDelivery",
  "noDuplicateDelivery",
];

export interface Violation {
  policy: PolicyKey;
  message: string;
  fix: string;
  users: string[];
  resources: PlannedResource[];
}

/** The text a policy reports: what is wrong, who and what is involved, and the fix. */
export function formatViolation(violation: Violation): string {
  const lines = [violation.message];
  if (violation.users.length > 0) lines.push(`Users: ${listed(violation.users)}`);
  if (violation.resources.length > 0) lines.push(`Resources: ${listed(violation.resources.map(describeResource))}`);
  lines.push(`Fix: ${violation.fix}`);
  return lines.join("\n");
}

const LISTED_AT_MOST = 10;

function listed(items: string[]): string {
  const shown = items.slice(0, LISTED_AT_MOST).join(", ");
  return items.length > LISTED_AT_MOST ? `${shown} and ${items.length - LISTED_AT_MOST} more` : shown;
}

/** `MailUser mail-user-<email>`; a member of a set as the set and the member's key: `MailUserSet mail-users-<batch> (<email>)`. */
function describeResource(resource: PlannedResource): string {
  if (resource.member) return `${describeResource(resource.member.set)} (${resource.member.key})`;
  return `${coexistTypeOf(resource) ?? resource.type} ${resource.name}`;
}

const GOOGLE_SPF = "include:_spf.google.com";
const MICROSOFT_SPF = "include:spf.protection.outlook.com";

const ORIGIN_NAMES: Record<Origin, string> = {
  internet: "the Internet",
  google: "a Google user",
  m365: "a Microsoft 365 mailbox",
};

export function checkPlan(tenant: PlannedTenant, facts: TenantFacts = {}): Violation[] {
  const problemsByScenario = tenant.scenarios.map((scenario) => ({
    scenario,
    problems: findRoutingProblems(scenario.state, undefined, { addresses: "all", dataCopyInProgress: tenant.dataCopyInProgress }),
  }));
  // Problems that do not depend on the MX are the same in every scenario: take them from the first.
  const stateProblems = problemsByScenario[0]?.problems ?? [];
  const explicit = [
    ...forwardingViolations(tenant),
    ...internalRelayViolations(tenant, stateProblems),
    ...authoritativeViolations(tenant),
    ...routingAddressViolations(tenant, stateProblems),
  ];
  const covered = new Set(explicit.flatMap((violation) => violation.users));
  const loopsAndBounces = loopAndBounceViolations(tenant, problemsByScenario, covered);
  const explained = new Set([...covered, ...loopsAndBounces.flatMap((violation) => violation.users)]);
  const violations = [
    ...explicit,
    ...loopsAndBounces,
    ...googleAddressViolations(tenant, problemsByScenario, explained),
    ...splitDeliveryViolations(tenant, problemsByScenario),
    ...duplicateDeliveryViolations(problemsByScenario, tenant),
    ...keptCopyViolations(tenant, stateProblems),
    ...spfViolations(tenant, facts),
    ...unknownInputViolations(tenant),
  ];
  return tenant.holdsTenantWideObjects ? violations : violations.filter((violation) => !TENANT_WIDE_POLICIES.includes(violation.policy));
}

const routers = new WeakMap<TenantState, Router>();

function routerFor(state: TenantState): Router {
  let router = routers.get(state);
  if (!router) routers.set(state, (router = createRouter(state)));
  return router;
}

/** The first route to one of `users` that does not deliver, in words, across the tenant states given. */
function firstFailure(states: { assumption: string; state: TenantState }[], users: string[]): string | undefined {
  for (const { assumption, state } of states) {
    const router = routerFor(state);
    for (const user of users) {
      for (const origin of originsOf(state)) {
        const failed = finalRoutes(router.route({ from: origin }, user)).find((end) => end.disposition.kind !== "delivered")?.disposition;
        if (failed && failed.kind !== "delivered") return `mail from ${ORIGIN_NAMES[origin]} to ${user}${assumption ? ` (${assumption})` : ""} ${failureText(failed)}`;
      }
    }
  }
  return undefined;
}

function originsOf(state: TenantState): Origin[] {
  const origins: Origin[] = ["internet"];
  if (state.google.users.length > 0) origins.push("google");
  if (state.exchange.recipients.some((recipient) => recipient.recipientTypeDetails === "UserMailbox")) origins.push("m365");
  return origins;
}

function failureText(disposition: Exclude<FinalDisposition, { kind: "delivered" }>): string {
  return `${disposition.kind === "loop" ? "loops" : "bounces"}: ${disposition.code} ${disposition.reason}`;
}

function forwardingViolations(tenant: PlannedTenant): Violation[] {
  return tenant.users.flatMap((user): Violation[] => {
    const forwarding = user.forwarding;
    if (!forwarding) return [];
    const status = forwardingTargetStatus(tenant, forwarding);
    const route = forwarding.resource;
    const consequenceIn = (states: PlannedTenant["scenarios"]) => {
      const failure = firstFailure(states, [user.email]);
      return failure ? `: ${failure}` : "";
    };
    switch (status.kind) {
      case "mailbox":
        return [];
      case "noRecipient":
        return [
          {
            policy: "forwardingNeedsMailbox",
            message: `Google forwards ${user.email} to ${forwarding.target}, but no Microsoft 365 recipient in the plan has that address${consequenceIn(tenant.scenarios)}`,
            fix: `give ${user.email}'s MailUser the routingAddress ${forwarding.target} and license it (LicenseAssignment, batch state "migrating") before forwarding; or remove ${describeResource(route)}`,
            users: [user.email],
            resources: [route],
          },
        ];
      case "mailUser":
        return [
          {
            policy: "forwardingNeedsMailbox",
            message: `Google forwards ${user.email} to ${forwarding.target}, whose Microsoft 365 recipient is a mail user without a licence: it sends the message back to Google${consequenceIn(tenant.scenarios)}`,
            fix: `license ${user.email} first: add a LicenseAssignment for it (batch state "migrating") and make ${describeResource(route)} depend on it; or remove the forwarding`,
            users: [user.email],
            resources: [route, ...(status.mailUser ? [status.mailUser] : [])],
          },
        ];
      case "licenseNotAwaited": {
        const withoutMailbox = (when: string) =>
          tenant.scenarios.map(({ assumption, state }) => ({
            assumption: [assumption, when].filter(Boolean).join(", "),
            state: withMailUserAt(state, tenant, forwarding.target),
          }));
        if (status.removedOnDelete) {
          return [
            {
              policy: "forwardingNeedsMailbox",
              message: `${describeResource(route)} does not depend on ${describeResource(status.license)}, which takes the licence away on delete (onDelete "remove"): a destroy may remove ${user.email}'s mailbox while Google still forwards to it${consequenceIn(withoutMailbox("after the licence is removed"))}`,
              fix: `add dependsOn: [${status.license.name}] to ${describeResource(route)} (waiting for the mailbox is enough only while the licence is retained on delete), or set onDelete "retain" on ${describeResource(status.license)}`,
              users: [user.email],
              resources: [route, status.license],
            },
          ];
        }
        const beforeLicense = withoutMailbox("before the licence is applied");
        return [
          {
            policy: "forwardingNeedsMailbox",
            message: `${describeResource(route)} does not depend on ${describeResource(status.license)}, so the update may switch on Google's forwarding of ${user.email} before Exchange Online has made the mail user a mailbox${consequenceIn(beforeLicense)}`,
            fix: `add dependsOn: [${status.license.name}] to ${describeResource(route)}, or give it mailboxTimeoutSeconds so that it waits for the mailbox (the Coexistence component does), or apply the licence in an earlier update`,
            users: [user.email],
            resources: [route, status.license],
          },
        ];
      }
    }
  });
}

/** The state while the update has not yet converted the recipient at `address` into a mailbox. */
function withMailUserAt(state: TenantState, tenant: PlannedTenant, address: string): TenantState {
  const converted = tenant.recipientAt.get(address)?.recipient;
  const recipients = state.exchange.recipients.map((recipient) =>
    recipient === converted ? { ...recipient, recipientTypeDetails: "MailUser" as const } : recipient,
  );
  return { ...state, exchange: { ...state.exchange, recipients } };
}

function usersAtGoogleIn(tenant: PlannedTenant, domain: string): UserPlan[] {
  return tenant.users.filter((user) => receivesAtGoogle(user) && domainOf(user.email) === domain);
}

/** Whether `text` names `domain` as a whole (not `o365.contoso.com` for `contoso.com`). */
function names(text: string, domain: string): boolean {
  const escaped = domain.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w.-])${escaped}(?![\\w-]|\\.\\w)`).test(text);
}

function internalRelayViolations(tenant: PlannedTenant, problems: RoutingProblem[]): Violation[] {
  return problems
    .filter((problem) => problem.rule === ROUTING_RULES.internalRelayWithoutConnector)
    .map((problem): Violation => {
      const domain = tenant.acceptedDomains.find(({ domainName }) => names(problem.message, domainName));
      const atGoogle = domain ? usersAtGoogleIn(tenant, domain.domainName) : [];
      const connectors = tenant.connectors.filter(({ connector }) => names(problem.message, connector.name)).map(({ resource }) => resource);
      return {
        policy: "internalRelayNeedsConnector",
        message: `${problem.message}${atGoogle.length > 0 ? `; mail for the ${atGoogle.length} user(s) still at Google has no way there` : ""}`,
        fix: `${problem.fix} (OutboundConnector with recipientDomains [${domain?.domainName ?? "the domain"}], enabled, smartHosts at Google)`,
        users: atGoogle.map((user) => user.email),
        resources: [...(domain?.resource ? [domain.resource] : []), ...connectors],
      };
    });
}

function authoritativeViolations(tenant: PlannedTenant): Violation[] {
  return tenant.acceptedDomains
    .filter((domain) => domain.domainType === "Authoritative")
    .flatMap((domain): Violation[] => {
      const atGoogle = usersAtGoogleIn(tenant, domain.domainName);
      if (atGoogle.length === 0) return [];
      const emails = atGoogle.map((user) => user.email);
      const source = domain.resource
        ? `AcceptedDomain ${domain.resource.name} sets it`
        : "the stack does not manage it, so the pack takes the Microsoft 365 default; if it is Internal Relay, say so in the policy config acceptedDomains";
      const consequence =
        firstFailure(tenant.scenarios, emails) ??
        "in an Authoritative domain Exchange Online rejects every address it does not hold (550 5.4.1, 550 5.1.10) instead of relaying it to Google, so any address of these users without an Exchange recipient (an alias, a user added at Google, a removed mail user) bounces";
      return [
        {
          policy: "noAuthoritativeWhileAtGoogle",
          message: `${domain.domainName} is Authoritative in Exchange Online (${source}) while ${emails.length} user(s) still receive at Google: ${consequence}`,
          fix: `keep ${domain.domainName} Internal Relay (AcceptedDomain domainType "InternalRelay") with the outbound connector to Google until every user of it is migrated (Google forwards them to their routing address), or migrate ${listed(emails)} first`,
          users: emails,
          resources: domain.resource ? [domain.resource] : [],
        },
      ];
    });
}

function routingAddressViolations(tenant: PlannedTenant, problems: RoutingProblem[]): Violation[] {
  const accepted = new Set(tenant.acceptedDomains.map((domain) => domain.domainName));
  const byDomain = new Map<string, { users: Set<string>; resources: PlannedResource[] }>();
  const note = (address: unknown, user: string, resource: PlannedResource) => {
    if (typeof address !== "string" || !address.includes("@")) return;
    const domain = domainOf(normalizeAddress(address));
    if (accepted.has(domain) || domain.endsWith(".onmicrosoft.com")) return;
    const entry = byDomain.get(domain) ?? { users: new Set<string>(), resources: [] };
    entry.users.add(user);
    entry.resources.push(resource);
    byDomain.set(domain, entry);
  };
  for (const user of tenant.users) {
    if (user.mailUser) note(user.mailUser.props.routingAddress, user.email, user.mailUser);
    if (user.forwarding) note(user.forwarding.target, user.email, user.forwarding.resource);
  }
  const explicit = [...byDomain].map(([domain, { users, resources }]): Violation => {
    const routingDomain = tenant.routingDomains.find((candidate) => candidate.domainName === domain);
    const why = routingDomain?.notUsableBecause ?? `no RoutingDomain in the stack creates ${domain}, and the policy config acceptedDomains does not list it`;
    const fix = routingDomain
      ? `verify ${domain} and enable Email on it: publish the verificationTxtRecord of RoutingDomain ${routingDomain.resource.name}, then run pulumi up again`
      : `add a RoutingDomain for ${domain} (the Coexistence component creates it), or use a routing domain that is verified for Email`;
    return {
      policy: "routingAddressAccepted",
      message: `routing addresses on ${domain}, which is not an accepted domain verified for Email in Microsoft 365 (${why}): EOP refuses Gmail's forwarded mail with 550 5.4.1 Relay Access Denied, and licensing replaces the addresses with onmicrosoft.com ones`,
      fix,
      users: [...users],
      resources: [...(routingDomain ? [routingDomain.resource] : []), ...resources],
    };
  });
  const covered = new Set(explicit.flatMap((violation) => violation.users));
  const fromModel = problems
    .filter((problem) => problem.rule === ROUTING_RULES.routingAddressNotAccepted && problem.users.some((user) => !covered.has(user)))
    .map((problem): Violation => ({ policy: "routingAddressAccepted", message: problem.message, fix: problem.fix, users: problem.users, resources: resourcesOf(tenant, problem.users) }));
  return [...explicit, ...fromModel];
}

function resourcesOf(tenant: PlannedTenant, emails: string[]): PlannedResource[] {
  const wanted = new Set(emails);
  return tenant.users
    .filter((user) => wanted.has(user.email))
    .flatMap((user) => [user.mailUser, user.license, user.forwarding?.resource].filter((resource): resource is PlannedResource => resource !== undefined));
}

const LOOP_RULES: readonly string[] = [ROUTING_RULES.loop, ROUTING_RULES.bounce, ROUTING_RULES.mailUserTargetsRecipient];

type ScenarioProblems = { scenario: PlannedTenant["scenarios"][number]; problems: RoutingProblem[] }[];

/** The Google addresses that are not a user's own: their findings go to every-google-address-delivered. */
const OTHER_GOOGLE_KINDS: readonly TenantAddress["kind"][] = ["user alias", "alias-domain address", "group", "group alias"];

function isOtherGoogleAddress(problem: RoutingProblem): boolean {
  return problem.address !== undefined && OTHER_GOOGLE_KINDS.includes(problem.address.kind);
}

/**
 * The selected problems of every scenario, grouped by `keyOf`, each fix once and each outcome
 * once, with the MX positions it was found in unless it was found in all of them.
 */
function byKey(
  problemsByScenario: ScenarioProblems,
  keyOf: (problem: RoutingProblem, scenario: PlannedTenant["scenarios"][number]) => string | undefined,
): Map<string, { outcomes: string[]; fixes: string[]; problems: RoutingProblem[] }> {
  const grouped = new Map<string, { assumptions: Map<string, string[]>; fixes: string[]; problems: RoutingProblem[] }>();
  for (const { scenario, problems } of problemsByScenario) {
    for (const problem of problems) {
      const key = keyOf(problem, scenario);
      if (key === undefined) continue;
      const entry = grouped.get(key) ?? { assumptions: new Map<string, string[]>(), fixes: [], problems: [] };
      const assumptions = entry.assumptions.get(problem.message) ?? [];
      if (!assumptions.includes(scenario.assumption)) assumptions.push(scenario.assumption);
      entry.assumptions.set(problem.message, assumptions);
      if (!entry.fixes.includes(problem.fix)) entry.fixes.push(problem.fix);
      entry.problems.push(problem);
      grouped.set(key, entry);
    }
  }
  const everywhere = (assumptions: string[]) => assumptions.length === problemsByScenario.length || assumptions.every((assumption) => assumption === "");
  return new Map(
    [...grouped].map(([key, { assumptions, fixes, problems }]) => [
      key,
      { outcomes: [...assumptions].map(([message, where]) => (everywhere(where) ? message : `${message} (${where.join("; ")})`)), fixes, problems },
    ]),
  );
}

/** Every loop and bounce the model finds at a user's or recipient's own address, one finding per user, except for users a finding above already explains. */
function loopAndBounceViolations(tenant: PlannedTenant, problemsByScenario: ScenarioProblems, covered: Set<string>): Violation[] {
  const grouped = byKey(problemsByScenario, (problem) =>
    LOOP_RULES.includes(problem.rule) && !isOtherGoogleAddress(problem) && !problem.users.every((user) => covered.has(user)) ? problem.users.join(", ") : undefined,
  );
  return [...grouped].map(([key, { outcomes, fixes }]): Violation => {
    const users = key.split(", ");
    return { policy: "noMailLoopOrBounce", message: outcomes.join("; "), fix: fixes.join("; "), users, resources: resourcesOf(tenant, users) };
  });
}

/**
 * Loops and bounces at user aliases, alias-domain addresses, groups and group aliases, one finding
 * per user or group they belong to, naming each address with its kind and the fix in the stack's
 * terms. An alias of a user whose own address already fails, and a group whose failing copies are
 * all for such users, are explained by that user's finding.
 */
function googleAddressViolations(tenant: PlannedTenant, problemsByScenario: ScenarioProblems, explained: Set<string>): Violation[] {
  const groupAddresses = new Set(tenant.scenarios[0]?.state.google.groups?.map((group) => group.email));
  const isGroup = (entry: TenantAddress) => groupAddresses.has(entry.owner);
  const grouped = byKey(problemsByScenario, (problem, scenario) => {
    const entry = problem.address;
    if (!LOOP_RULES.includes(problem.rule) || entry === undefined || !isOtherGoogleAddress(problem)) return undefined;
    if (explained.has(entry.owner)) return undefined;
    if (isGroup(entry) && problem.route?.disposition.kind === "expanded" && failingMembers(scenario.state, problem).every((member) => explained.has(member))) return undefined;
    return entry.owner;
  });
  return [...grouped].map(([owner, { outcomes, problems }]): Violation => {
    const entries = [...new Map(problems.map((problem) => [(problem.address as TenantAddress).address, problem.address as TenantAddress])).values()];
    const group = isGroup(entries[0]);
    const fixes = [...new Set(problems.map((problem) => googleAddressFix(tenant, problem, group)))];
    const authoritative = [...new Set(entries.map((entry) => domainOf(entry.address)))].filter((domain) =>
      tenant.acceptedDomains.some((accepted) => accepted.domainName === domain && accepted.domainType === "Authoritative"),
    );
    const resource = tenant.groupResourceAt.get(owner);
    return {
      policy: "everyGoogleAddressDelivered",
      message: `${listed(entries.map((entry) => `${entry.address} (${describeAddress(entry)})`))} ${entries.length === 1 ? "is" : "are"} not delivered${
        authoritative.length > 0 ? ` once ${authoritative.join(", ")} ${authoritative.length === 1 ? "is" : "are"} Authoritative` : ""
      }: ${outcomes.slice(0, LISTED_AT_MOST).join("; ")}${outcomes.length > LISTED_AT_MOST ? `; and ${outcomes.length - LISTED_AT_MOST} more routes` : ""}`,
      fix: fixes.join("; "),
      users: [owner],
      resources: group ? (resource ? [resource] : []) : resourcesOf(tenant, [owner]),
    };
  });
}

/** The members whose copies of a group's message do not arrive, by their primary address. */
function failingMembers(state: TenantState, problem: RoutingProblem): string[] {
  const router = routerFor(state);
  const address = (problem.address as TenantAddress).address;
  return finalTraces(router.trace(problem.origin ?? { from: "internet" }, address))
    .filter((end) => end.route.disposition.kind !== "delivered")
    .map((end) => {
      const member = [...end.steps].reverse().find((step) => step.event.kind === "groupMember")?.recipient ?? address;
      return normalizeAddress(router.index.googleUsers.get(member)?.primaryEmail ?? member);
    });
}

/** What the stack needs so that one Google address keeps arriving: the address on its user's MailUser, or a plan for its group. */
function googleAddressFix(tenant: PlannedTenant, problem: RoutingProblem, group: boolean): string {
  const entry = problem.address as TenantAddress;
  if (problem.rule !== ROUTING_RULES.bounce || problem.route?.disposition.kind === "expanded" || problem.route?.disposition.system !== "exchange") return problem.fix;
  const domain = domainOf(entry.address);
  const accepted = tenant.acceptedDomains.some((candidate) => candidate.domainName === domain);
  const verify = accepted ? "" : `verify ${domain} in Microsoft 365 (an accepted domain with Email; e.g. AcceptedDomain or the policy config acceptedDomains), then `;
  const keepMx = accepted ? "" : `; or keep the MX of ${domain} at Google while ${entry.owner} is there`;
  if (!group) {
    const mailUser = tenant.users.find((user) => user.email === entry.owner)?.mailUser;
    const carry = mailUser ? `add ${entry.address} to the aliases of ${describeResource(mailUser)} (the users CSV's aliases column)` : `give ${entry.owner}'s Exchange Online recipient the proxy address ${entry.address}`;
    return `${verify}${carry}${keepMx}`;
  }
  const resource = tenant.groupResourceAt.get(entry.owner);
  if (resource) return `${verify}add ${entry.address} to the emailAddresses of ${describeResource(resource)}${keepMx}`;
  const state = tenant.scenarios[0]?.state;
  const googleGroup = state?.google.groups?.find((candidate) => candidate.email === entry.owner);
  const addresses = googleGroup ? [googleGroup.email, ...googleGroup.aliases, ...(googleGroup.nonEditableAliases ?? [])] : [entry.owner];
  const routed = state && googleGroup ? googleRoutedAddress(routerFor(state).index, addresses) : undefined;
  return (
    `plan the group ${entry.owner} (groups CSV column plan): "migrate" makes it a DistributionGroup with ${listed(addresses.filter((address) => address !== routed))}, ` +
    `"keep" leaves it at Google behind a MailContact ${entry.owner} whose externalEmailAddress is ${routed ?? "an address of the group on a domain whose MX stays at Google (its alias-domain address)"}`
  );
}

/** Split delivery, one finding per mailbox; a user whose data copy runs (licensed, not forwarded) is expected to split and is not reported. */
function splitDeliveryViolations(tenant: PlannedTenant, problemsByScenario: ScenarioProblems): Violation[] {
  const grouped = byKey(problemsByScenario, (problem) =>
    problem.rule === ROUTING_RULES.splitDelivery && problem.severity === "mandatory" ? problem.users[problem.users.length - 1] : undefined,
  );
  return [...grouped].map(([mailbox, { outcomes }]): Violation => ({
    policy: "noSplitDelivery",
    message: outcomes.join("; "),
    fix: `forward the Gmail mailbox of ${mailbox} to its routing address with disposition trash (GoogleForwardingRoute after its LicenseAssignment, batch "migrated"), so that every sender reaches Exchange Online; while its data copy runs, keep its LicenseAssignment in the stack without forwarding (batch "migrating"), which the pack expects to split`,
    users: [mailbox],
    resources: resourcesOf(tenant, [mailbox]),
  }));
}

/** Duplicate copies, one finding per address a message was sent to, naming the paths. */
function duplicateDeliveryViolations(problemsByScenario: ScenarioProblems, tenant: PlannedTenant): Violation[] {
  const grouped = byKey(problemsByScenario, (problem) => (problem.rule === ROUTING_RULES.duplicateDelivery ? problem.users.join(", ") : undefined));
  return [...grouped].map(([key, { outcomes, fixes }]): Violation => {
    const users = key.split(", ");
    const resources = users.flatMap((user) => tenant.groupResourceAt.get(user) ?? []);
    return { policy: "noDuplicateDelivery", message: outcomes.join("; "), fix: fixes.join("; "), users, resources };
  });
}

function keptCopyViolations(tenant: PlannedTenant, problems: RoutingProblem[]): Violation[] {
  return problems
    .filter((problem) => problem.rule === ROUTING_RULES.keptCopy)
    .map((problem): Violation => {
      const resources = resourcesOf(tenant, problem.users).filter((resource) => coexistTypeOf(resource) === "GoogleForwardingRoute");
      return {
        policy: "forwardingKeepsNoCopy",
        message: problem.message,
        fix: `set disposition "trash" on ${listed(resources.map(describeResource))}`,
        users: problem.users,
        resources,
      };
    });
}

/**
 * SPF records the stack holds (any resource property that is one, e.g. the Coexistence component's
 * spfRecord output or a DNS record resource), else the policy config's. A record belongs to the
 * mail domain its resource names, else to the first mail domain (the routing domains send nothing).
 */
function spfRecordsOf(tenant: PlannedTenant, facts: TenantFacts): { domain: string; record: string; resource?: PlannedResource }[] {
  const configured = Object.entries(facts.spf ?? {}).map(([domain, record]) => ({ domain: normalizeAddress(domain), record }));
  const routingDomains = new Set(tenant.routingDomains.map((domain) => domain.domainName));
  const mailDomains = tenant.acceptedDomains.map((domain) => domain.domainName).filter((domain) => !routingDomains.has(domain));
  const inStack = tenant.resources.flatMap((resource) =>
    Object.values(resource.props)
      .filter((value): value is string => typeof value === "string" && /^v=spf1(\s|$)/i.test(value.trim()))
      .flatMap((record) => {
        const domain = mailDomains.find((candidate) => Object.values(resource.props).includes(candidate)) ?? mailDomains[0];
        return domain ? [{ domain, record, resource }] : [];
      }),
  );
  return [...inStack, ...configured.filter(({ domain }) => !inStack.some((record) => record.domain === domain))];
}

function spfViolations(tenant: PlannedTenant, facts: TenantFacts): Violation[] {
  return spfRecordsOf(tenant, facts).flatMap(({ domain, record, resource }): Violation[] => {
    const needsGoogle = tenant.users.some((user) => domainOf(user.email) === domain && receivesAtGoogle(user));
    const mailboxes = tenant.scenarios[0]?.state.exchange.recipients.filter((recipient) => recipient.recipientTypeDetails === "UserMailbox") ?? [];
    const needsMicrosoft = mailboxes.some((mailbox) => domainOf(normalizeAddress(mailbox.primarySmtpAddress)) === domain);
    const tokens = record.toLowerCase().split(/\s+/);
    const missing = [...(needsGoogle && !tokens.includes(GOOGLE_SPF) ? [GOOGLE_SPF] : []), ...(needsMicrosoft && !tokens.includes(MICROSOFT_SPF) ? [MICROSOFT_SPF] : [])];
    if (missing.length === 0) return [];
    const senders = [needsGoogle ? "users at Google send from Gmail" : "", needsMicrosoft ? "migrated users send from Microsoft 365" : ""].filter(Boolean).join(" and ");
    return [
      {
        policy: "spfIncludesBothSystems",
        message: `the SPF record of ${domain} ("${record}") lacks ${missing.join(" and ")} while ${senders}: receivers may reject or junk their mail`,
        fix: `publish "v=spf1 ${needsGoogle ? `${GOOGLE_SPF} ` : ""}${MICROSOFT_SPF} ~all" for ${domain} (the Coexistence component's spfRecord output)`,
        users: [],
        resources: resource ? [resource] : [],
      },
    ];
  });
}

function unknownInputViolations(tenant: PlannedTenant): Violation[] {
  return tenant.unknowns.map(({ resource, field }) => ({
    policy: "routingInputsKnown",
    message: `${describeResource(resource)}: ${field} is known only when the update runs, so the routing checks could not use it`,
    fix: "pass a plain value instead of another resource's output, or check the tenants after the update with `coexist trace --all`",
    users: [],
    resources: [resource],
  }));
}
