/**
 * The safety checks of the policy pack, as a pure function of the planned tenant: each finding
 * names the policy it belongs to, the users and resources involved, and the fix. The routing model
 * (provider/routing) decides what happens to mail; these checks only phrase its findings for a
 * plan and add the ones a single state cannot show (update order, SPF).
 */
import { domainOf, normalizeAddress } from "../provider/routing/addresses";
import { finalRoutes } from "../provider/routing/fanout";
import { createRouter, type Router } from "../provider/routing/model";
import { findRoutingProblems, ROUTING_RULES, type RoutingProblem } from "../provider/routing/problems";
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
const TENANT_WIDE_POLICIES: readonly PolicyKey[] = ["internalRelayNeedsConnector", "noAuthoritativeWhileAtGoogle", "routingAddressAccepted", "noMailLoopOrBounce"];

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
  const problemsByScenario = tenant.scenarios.map((scenario) => ({ scenario, problems: findRoutingProblems(scenario.state) }));
  // Problems that do not depend on the MX are the same in every scenario: take them from the first.
  const stateProblems = problemsByScenario[0]?.problems ?? [];
  const explicit = [
    ...forwardingViolations(tenant),
    ...internalRelayViolations(tenant, stateProblems),
    ...authoritativeViolations(tenant),
    ...routingAddressViolations(tenant, stateProblems),
  ];
  const covered = new Set(explicit.flatMap((violation) => violation.users));
  const violations = [
    ...explicit,
    ...loopAndBounceViolations(tenant, problemsByScenario, covered),
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
        const beforeLicense = tenant.scenarios.map(({ assumption, state }) => ({
          assumption: [assumption, "before the licence is applied"].filter(Boolean).join(", "),
          state: withMailUserAt(state, tenant, forwarding.target),
        }));
        return [
          {
            policy: "forwardingNeedsMailbox",
            message: `${describeResource(route)} does not depend on ${describeResource(status.license)}, so the update may switch on Google's forwarding of ${user.email} before Exchange Online has made the mail user a mailbox${consequenceIn(beforeLicense)}`,
            fix: `add dependsOn: [${status.license.name}] to ${describeResource(route)} (the Coexistence component does), or apply the licence in an earlier update`,
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

/** Every loop and bounce the model finds, one finding per user, except for users a finding above already explains. */
function loopAndBounceViolations(
  tenant: PlannedTenant,
  problemsByScenario: { scenario: PlannedTenant["scenarios"][number]; problems: RoutingProblem[] }[],
  covered: Set<string>,
): Violation[] {
  const byUser = new Map<string, { outcomes: string[]; fixes: string[] }>();
  for (const { scenario, problems } of problemsByScenario) {
    for (const problem of problems) {
      if (!LOOP_RULES.includes(problem.rule) || problem.users.every((user) => covered.has(user))) continue;
      const key = problem.users.join(", ");
      const entry = byUser.get(key) ?? { outcomes: [], fixes: [] };
      const outcomeText = `${problem.message}${scenario.assumption ? ` (${scenario.assumption})` : ""}`;
      if (!entry.outcomes.includes(outcomeText)) entry.outcomes.push(outcomeText);
      if (!entry.fixes.includes(problem.fix)) entry.fixes.push(problem.fix);
      byUser.set(key, entry);
    }
  }
  return [...byUser].map(([key, { outcomes, fixes }]): Violation => {
    const users = key.split(", ");
    return { policy: "noMailLoopOrBounce", message: outcomes.join("; "), fix: fixes.join("; "), users, resources: resourcesOf(tenant, users) };
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
