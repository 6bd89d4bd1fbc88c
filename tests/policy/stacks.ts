/**
 * Small coexistence stacks as data: what the Coexistence component plans (through
 * provider/components/plan.ts), and the mistakes the policy pack must catch. The same declarations
 * feed the engine fixture (tests/fixtures/policy-stack) and the pure checks.
 */
import { GOOGLE_SMART_HOSTS } from "../../provider/resources/outboundConnector";
import {
  anyUserAtGoogle,
  groupByBatch,
  planDomain,
  planScope,
  planUser,
  type BatchState,
  type CoexistenceScope,
  type DomainPlan,
  type Granularity,
  type Phase,
  type UserPlan,
} from "../../provider/components/plan";
import type { MigrationUser } from "../../provider/components/usersCsv";
import { COEXIST_TYPE_PREFIX, COEXISTENCE_COMPONENT_TYPE, type CoexistType, type PlannedResource, type TenantFacts } from "../../policy/plannedState";

export interface DeclaredResource {
  /** A coexist resource, or the Coexistence component itself (props: its outputs, which hold a split stack's scope). */
  type: CoexistType | "Coexistence";
  name: string;
  props: Record<string, unknown>;
  dependsOn?: string[];
}

export const PRIMARY_DOMAIN = "contoso.com";
export const ROUTING_DOMAIN = "o365.contoso.com";

export function migrationUser(localPart: string, batch: string): MigrationUser {
  const name = localPart[0].toUpperCase() + localPart.slice(1);
  return { email: `${localPart}@${PRIMARY_DOMAIN}`, firstName: name, lastName: "Test", displayName: `${name} Test`, alias: localPart, batch };
}

export interface CoexistencePlan {
  users: MigrationUser[];
  batches: Record<string, BatchState>;
  phase: Phase;
  /** @default "all" */
  scope?: CoexistenceScope;
  /** @default "user" */
  granularity?: Granularity;
}

/** The resources, names and dependsOn the Coexistence component creates for this plan. */
export function coexistenceResources({ users, batches, phase, scope = "all", granularity = "user" }: CoexistencePlan): DeclaredResource[] {
  const input = { batches, phase, routingDomain: ROUTING_DOMAIN };
  const domain = planDomain(phase, anyUserAtGoogle(users, batches));
  const contents = planScope(scope, users);
  const resources: DeclaredResource[] = [];
  if (scope !== "all") resources.push({ type: "Coexistence", name: "coexistence", props: { scope } });
  if (contents.tenantWide) resources.push(...tenantWideResources(domain));
  const plans = contents.users.map((user) => planUser(user, input));
  const context = {
    mailUserDependsOn: contents.tenantWide ? ["routing-domain"] : [],
    licenseDependsOn: contents.tenantWide && domain.acceptedDomain.present ? ["accepted-domain"] : [],
  };
  resources.push(...(granularity === "batch" ? batchSets(plans, context) : userResources(plans, context)));
  return resources;
}

interface UserResourceContext {
  mailUserDependsOn: string[];
  licenseDependsOn: string[];
}

const mailUserProps = ({ user, routingAddress }: UserPlan) => ({ name: user.displayName, alias: user.alias, microsoftOnlineServicesId: user.email, routingAddress });
const LICENSE_PROPS = { sku: "EXCHANGESTANDARD", onDelete: "retain" };
const FORWARDING_PROPS = { disposition: "trash" };

function userResources(plans: UserPlan[], context: UserResourceContext): DeclaredResource[] {
  return plans.flatMap((plan): DeclaredResource[] => {
    const { user } = plan;
    const mailUserName = `mail-user-${user.email}`;
    const licenseName = `licence-${user.email}`;
    return [
      ...(plan.mailUser
        ? [{ type: "MailUser" as const, name: mailUserName, props: { ...mailUserProps(plan), externalEmailAddress: user.email }, dependsOn: context.mailUserDependsOn }]
        : []),
      ...(plan.licensed
        ? [{
            type: "LicenseAssignment" as const,
            name: licenseName,
            props: { userPrincipalName: user.email, usageLocation: "US", ...LICENSE_PROPS },
            dependsOn: [...(plan.mailUser ? [mailUserName] : []), ...context.licenseDependsOn],
          }]
        : []),
      ...(plan.forwarded
        ? [{ type: "GoogleForwardingRoute" as const, name: `forward-${user.email}`, props: { userEmail: user.email, forwardTo: plan.routingAddress, ...FORWARDING_PROPS }, dependsOn: [licenseName] }]
        : []),
    ];
  });
}

/** granularity "batch": one set per batch and kind, a set without users left out. */
function batchSets(plans: UserPlan[], context: UserResourceContext): DeclaredResource[] {
  const byEmail = (group: UserPlan[], item: (plan: UserPlan) => Record<string, unknown>) => Object.fromEntries(group.map((plan) => [plan.user.email, item(plan)]));
  return groupByBatch(plans).flatMap(({ batch, mailUsers, licensed, forwarded }): DeclaredResource[] => {
    const mailUserName = `mail-users-${batch}`;
    const licenseName = `licences-${batch}`;
    const withMailUsers = mailUsers.length > 0 ? [mailUserName] : [];
    return [
      ...(mailUsers.length > 0
        ? [{ type: "MailUserSet" as const, name: mailUserName, props: { users: byEmail(mailUsers, mailUserProps) }, dependsOn: context.mailUserDependsOn }]
        : []),
      ...(licensed.length > 0
        ? [{ type: "LicenseAssignmentSet" as const, name: licenseName, props: { users: byEmail(licensed, () => ({ usageLocation: "US" })), ...LICENSE_PROPS }, dependsOn: [...withMailUsers, ...context.licenseDependsOn] }]
        : []),
      ...(forwarded.length > 0
        ? [{ type: "GoogleForwardingRouteSet" as const, name: `forwards-${batch}`, props: { routes: byEmail(forwarded, ({ routingAddress }) => ({ forwardTo: routingAddress })), ...FORWARDING_PROPS, mailboxTimeoutSeconds: 1800 }, dependsOn: [...withMailUsers, ...context.licenseDependsOn] }]
        : []),
    ];
  });
}

/** The routing domain, the connector to Google and the accepted domain, as the component plans them. */
function tenantWideResources(domain: DomainPlan): DeclaredResource[] {
  const resources: DeclaredResource[] = [{ type: "RoutingDomain", name: "routing-domain", props: { domainName: ROUTING_DOMAIN } }];
  if (domain.connector.present) {
    resources.push({
      type: "OutboundConnector",
      name: "connector",
      props: { name: "Google Workspace coexistence", recipientDomains: [PRIMARY_DOMAIN], smartHosts: GOOGLE_SMART_HOSTS, enabled: domain.connector.enabled },
    });
  }
  if (domain.acceptedDomain.present) {
    resources.push({
      type: "AcceptedDomain",
      name: "accepted-domain",
      props: { domainName: PRIMARY_DOMAIN, domainType: domain.acceptedDomain.domainType },
      dependsOn: domain.connector.present ? ["connector"] : [],
    });
  }
  return resources;
}

/** The declarations as the policy pack sees them (URNs of a stack `test` of project `policy-stack`). */
export function asPlanned(resources: DeclaredResource[]): PlannedResource[] {
  const typeToken = (type: DeclaredResource["type"]) => (type === "Coexistence" ? COEXISTENCE_COMPONENT_TYPE : `${COEXIST_TYPE_PREFIX}${type}`);
  const urnOf = (type: DeclaredResource["type"], name: string) => `urn:pulumi:test::policy-stack::${typeToken(type)}::${name}`;
  const typeOf = new Map(resources.map((resource) => [resource.name, resource.type]));
  return resources.map((resource) => ({
    type: typeToken(resource.type),
    urn: urnOf(resource.type, resource.name),
    name: resource.name,
    props: resource.props,
    dependencies: (resource.dependsOn ?? []).map((name) => urnOf(typeOf.get(name) as DeclaredResource["type"], name)),
  }));
}

/** Applies `change` to the named resource's declaration. */
export function changed(resources: DeclaredResource[], name: string, change: (resource: DeclaredResource) => DeclaredResource | undefined): DeclaredResource[] {
  if (!resources.some((resource) => resource.name === name)) throw new Error(`no resource ${name} in the stack`);
  return resources.flatMap((resource) => (resource.name === name ? (change(resource) ?? []) : [resource]));
}

/** Removes the named resource and every mention of it in dependsOn. */
export function without(resources: DeclaredResource[], name: string): DeclaredResource[] {
  return changed(resources, name, () => undefined).map((resource) => ({
    ...resource,
    dependsOn: resource.dependsOn?.filter((dependency) => dependency !== name),
  }));
}

const ALICE = migrationUser("alice", "pilot");
const BOB = migrationUser("bob", "sales");
const USERS = [ALICE, BOB];

/** The demo's journey: each stage is a safe plan. */
const SAFE_PLANS: Record<string, CoexistencePlan> = {
  "coexistence, nobody migrated": { users: USERS, batches: {}, phase: "coexistence" },
  "pilot batch migrating (licensed)": { users: USERS, batches: { pilot: "migrating" }, phase: "coexistence" },
  "pilot batch migrated (forwarded)": { users: USERS, batches: { pilot: "migrated" }, phase: "coexistence" },
  "pilot batch migrated, sales batch migrating": { users: USERS, batches: { pilot: "migrated", sales: "migrating" }, phase: "coexistence" },
  "cutover with sales still at Google": { users: USERS, batches: { pilot: "migrated", sales: "migrating" }, phase: "cutover" },
  "cutover, everybody migrated": { users: USERS, batches: { pilot: "migrated", sales: "migrated" }, phase: "cutover" },
  decommissioned: { users: USERS, batches: { pilot: "migrated", sales: "migrated" }, phase: "decommissioned" },
  // A tenant split into stacks (Coexistence scope): each stack must pass on its own.
  "tenant stack, pilot batch migrated": { users: USERS, batches: { pilot: "migrated" }, phase: "coexistence", scope: "tenant" },
  "pilot batch's stack, migrated": { users: USERS, batches: { pilot: "migrated" }, phase: "coexistence", scope: { batch: "pilot" } },
  "sales batch's stack at Google, pilot migrated": { users: USERS, batches: { pilot: "migrated" }, phase: "coexistence", scope: { batch: "sales" } },
  "tenant stack at cutover, everybody migrated": { users: USERS, batches: { pilot: "migrated", sales: "migrated" }, phase: "cutover", scope: "tenant" },
};

const PER_BATCH = ", per batch";

/** Every safe stage with per-user resources, and again with the Coexistence component's `granularity: "batch"` (name + PER_BATCH). */
export const SAFE_STAGES: Record<string, DeclaredResource[]> = Object.fromEntries(
  Object.entries(SAFE_PLANS).flatMap(([stage, plan]) => [
    [stage, coexistenceResources(plan)],
    [`${stage}${PER_BATCH}`, coexistenceResources({ ...plan, granularity: "batch" })],
  ]),
);

const PILOT_MIGRATED = SAFE_STAGES["pilot batch migrated (forwarded)"];
const PILOT_MIGRATING = SAFE_STAGES["pilot batch migrating (licensed)"];
const PILOT_MIGRATED_SETS = SAFE_STAGES[`pilot batch migrated (forwarded)${PER_BATCH}`];

export interface UnsafeStack {
  resources: DeclaredResource[];
  /** The policy config's tenant facts (docs/safety-checks.md), when the mistake needs them. */
  facts?: TenantFacts;
  /** The policy that must block (or warn about) it. */
  policy: string;
  /** Words the violation must contain: the user and the fix. */
  mentions: string[];
}

/** The mistakes of the issue, each written as a small stack. */
export const UNSAFE_STACKS: Record<string, UnsafeStack> = {
  "forwarding to a mail user that has no licence": {
    resources: without(PILOT_MIGRATED, "licence-alice@contoso.com"),
    policy: "forward-only-to-licensed-mailbox",
    mentions: ["alice@contoso.com", "554 5.4.14", "Fix: license alice@contoso.com first"],
  },
  "forwarding to a mail user that has no licence, in the stack of its batch": {
    resources: without(SAFE_STAGES["pilot batch's stack, migrated"], "licence-alice@contoso.com"),
    policy: "forward-only-to-licensed-mailbox",
    mentions: ["alice@contoso.com", "mail user without a licence", "Fix: license alice@contoso.com first"],
  },
  "forwarding that does not wait for the licence": {
    resources: changed(PILOT_MIGRATED, "forward-alice@contoso.com", (route) => ({ ...route, dependsOn: [] })),
    policy: "forward-only-to-licensed-mailbox",
    mentions: ["alice@contoso.com", "before the licence is applied", "Fix: add dependsOn: [licence-alice@contoso.com]"],
  },
  "Authoritative while sales still receive at Google": {
    resources: changed(PILOT_MIGRATED, "accepted-domain", (domain) => ({ ...domain, props: { ...domain.props, domainType: "Authoritative" } })),
    policy: "no-authoritative-while-users-at-google",
    mentions: ["bob@contoso.com", "Fix: keep contoso.com Internal Relay"],
  },
  "routing subdomain that is not an accepted domain": {
    resources: without(PILOT_MIGRATED, "routing-domain"),
    policy: "routing-address-on-email-verified-domain",
    mentions: ["alice@contoso.com", "o365.contoso.com", "Fix: add a RoutingDomain for o365.contoso.com"],
  },
  "routing subdomain not verified for Email": {
    resources: changed(PILOT_MIGRATED, "routing-domain", (domain) => ({ ...domain, props: { ...domain.props, isVerified: true, supportedServices: [] } })),
    policy: "routing-address-on-email-verified-domain",
    mentions: ["alice@contoso.com", "does not have Email among its supportedServices", "Fix: verify o365.contoso.com and enable Email"],
  },
  "Internal Relay without the connector": {
    resources: without(PILOT_MIGRATING, "connector"),
    policy: "internal-relay-needs-connector-to-google",
    mentions: ["bob@contoso.com", "contoso.com is an InternalRelay domain", "Fix: create an enabled outbound connector"],
  },
  "forwarding that keeps a copy at Google": {
    resources: changed(PILOT_MIGRATED, "forward-alice@contoso.com", (route) => ({ ...route, props: { ...route.props, disposition: "leaveInInbox" } })),
    policy: "forwarding-keeps-no-copy-at-google",
    mentions: ["alice@contoso.com", "duplicates", "Fix: set disposition \"trash\" on GoogleForwardingRoute forward-alice@contoso.com"],
  },
  // The same mistakes with granularity "batch": the pack judges each member of a set as the per-user resource.
  "forwarding set of a batch without its licence set": {
    resources: without(PILOT_MIGRATED_SETS, "licences-pilot"),
    policy: "forward-only-to-licensed-mailbox",
    mentions: ["alice@contoso.com", "554 5.4.14", "Fix: license alice@contoso.com first", "GoogleForwardingRouteSet forwards-pilot (alice@contoso.com)"],
  },
  "forwarding set without its licence set, in the stack of its batch": {
    resources: without(SAFE_STAGES[`pilot batch's stack, migrated${PER_BATCH}`], "licences-pilot"),
    policy: "forward-only-to-licensed-mailbox",
    mentions: ["alice@contoso.com", "mail user without a licence", "Fix: license alice@contoso.com first"],
  },
  "forwarding set that neither depends on the licence set nor waits for the mailbox": {
    resources: changed(PILOT_MIGRATED_SETS, "forwards-pilot", (routes) => ({ ...routes, props: { ...routes.props, mailboxTimeoutSeconds: 0 } })),
    policy: "forward-only-to-licensed-mailbox",
    mentions: ["alice@contoso.com", "before the licence is applied", "Fix: add dependsOn: [licences-pilot] to GoogleForwardingRouteSet forwards-pilot (alice@contoso.com), or give it mailboxTimeoutSeconds"],
  },
  "forwarding set that waits for the mailbox beside a licence set removed on delete": {
    resources: changed(PILOT_MIGRATED_SETS, "licences-pilot", (licences) => ({ ...licences, props: { ...licences.props, onDelete: "remove" } })),
    policy: "forward-only-to-licensed-mailbox",
    mentions: ["alice@contoso.com", "onDelete \"remove\"", "after the licence is removed", "Fix: add dependsOn: [licences-pilot] to GoogleForwardingRouteSet forwards-pilot (alice@contoso.com)", "or set onDelete \"retain\""],
  },
  "Authoritative while the sales batch's set still receives at Google": {
    resources: changed(PILOT_MIGRATED_SETS, "accepted-domain", (domain) => ({ ...domain, props: { ...domain.props, domainType: "Authoritative" } })),
    policy: "no-authoritative-while-users-at-google",
    mentions: ["bob@contoso.com", "Fix: keep contoso.com Internal Relay"],
  },
  "mail-user sets on a routing subdomain that is not an accepted domain": {
    resources: without(PILOT_MIGRATED_SETS, "routing-domain"),
    policy: "routing-address-on-email-verified-domain",
    mentions: ["alice@contoso.com", "o365.contoso.com", "Fix: add a RoutingDomain for o365.contoso.com"],
  },
  "Internal Relay without the connector, per batch": {
    resources: without(SAFE_STAGES[`pilot batch migrating (licensed)${PER_BATCH}`], "connector"),
    policy: "internal-relay-needs-connector-to-google",
    mentions: ["bob@contoso.com", "contoso.com is an InternalRelay domain", "Fix: create an enabled outbound connector"],
  },
  "forwarding set that keeps a copy at Google": {
    resources: changed(PILOT_MIGRATED_SETS, "forwards-pilot", (routes) => ({ ...routes, props: { ...routes.props, disposition: "leaveInInbox" } })),
    policy: "forwarding-keeps-no-copy-at-google",
    mentions: ["alice@contoso.com", "duplicates", "Fix: set disposition \"trash\" on GoogleForwardingRouteSet forwards-pilot (alice@contoso.com)"],
  },
};

// ---------------------------------------------------------------------------------------------
// Every Google address: aliases, an alias domain and a group, as `coexist inventory` writes them.

export const ALIAS_DOMAIN = "gsuite.contoso.com";
const TEAM = "team@contoso.com";
const ALICE_ALIAS = "alice.a@contoso.com";

/** Alice and Bob with their addresses at the alias domain, Alice's alias, and the group team@ (alias crew@) of both. */
export const GOOGLE_FACTS: TenantFacts = {
  googleDomains: [PRIMARY_DOMAIN, ALIAS_DOMAIN],
  googleAddresses: [
    { address: ALICE.email, kind: "user", owner: ALICE.email },
    { address: ALICE_ALIAS, kind: "user alias", owner: ALICE.email },
    { address: `alice@${ALIAS_DOMAIN}`, kind: "alias-domain address", owner: ALICE.email },
    { address: BOB.email, kind: "user", owner: BOB.email },
    { address: `bob@${ALIAS_DOMAIN}`, kind: "alias-domain address", owner: BOB.email },
    { address: TEAM, kind: "group", owner: TEAM },
    { address: "crew@contoso.com", kind: "group alias", owner: TEAM },
    { address: `team@${ALIAS_DOMAIN}`, kind: "alias-domain address", owner: TEAM },
  ],
  googleGroups: [{ email: TEAM, members: [ALICE.email, { email: BOB.email, type: "USER" }] }],
};

/** The users' other Google addresses on their MailUser (or MailUserSet entry), as the component passes them from the users CSV. */
export function withAliases(resources: DeclaredResource[], aliases: Record<string, string[]>): DeclaredResource[] {
  return resources.map((resource) => {
    if (resource.type === "MailUser" && aliases[resource.props.externalEmailAddress as string]) {
      return { ...resource, props: { ...resource.props, aliases: aliases[resource.props.externalEmailAddress as string] } };
    }
    if (resource.type === "MailUserSet") {
      const users = resource.props.users as Record<string, Record<string, unknown>>;
      return { ...resource, props: { ...resource.props, users: Object.fromEntries(Object.entries(users).map(([email, user]) => [email, aliases[email] ? { ...user, aliases: aliases[email] } : user])) } };
    }
    return resource;
  });
}

const ALIASES = { [ALICE.email]: [ALICE_ALIAS, `alice@${ALIAS_DOMAIN}`], [BOB.email]: [`bob@${ALIAS_DOMAIN}`] };

/** team@ kept at Google: Exchange Online routes its addresses to its alias-domain address, whose MX is Google. */
const TEAM_KEPT: DeclaredResource = { type: "MailContact", name: "contact-team", props: { name: "Team", primarySmtpAddress: TEAM, emailAddresses: ["crew@contoso.com"], externalEmailAddress: `team@${ALIAS_DOMAIN}` } };
const TEAM_MIGRATED: DeclaredResource = {
  type: "DistributionGroup",
  name: "group-team",
  props: { name: "Team", alias: "team", primarySmtpAddress: TEAM, emailAddresses: ["crew@contoso.com", `team@${ALIAS_DOMAIN}`], members: [ALICE.email, BOB.email] },
};
const TEAM_MIGRATED_SET: DeclaredResource = {
  type: "DistributionGroupSet",
  name: "groups",
  props: { groups: { [TEAM]: { name: "Team", alias: "team", emailAddresses: ["crew@contoso.com"], members: [ALICE.email, BOB.email] } } },
};

const ALL_MIGRATED = "cutover, everybody migrated";
const withEveryAddress = (stage: string, ...groups: DeclaredResource[]) => [...withAliases(SAFE_STAGES[stage], ALIASES), ...groups];

/** Safe stages that know every Google address through the policy config. */
export const SAFE_WITH_GOOGLE_FACTS: Record<string, { resources: DeclaredResource[]; facts: TenantFacts }> = {
  "pilot batch migrated, aliases carried, the group not planned yet (Internal Relay relays it to Google)": {
    resources: withEveryAddress("pilot batch migrated (forwarded)"),
    facts: GOOGLE_FACTS,
  },
  "cutover, everybody migrated, the group kept at Google behind a mail contact": { resources: withEveryAddress(ALL_MIGRATED, TEAM_KEPT), facts: GOOGLE_FACTS },
  "cutover, everybody migrated, the group migrated to a distribution group": { resources: withEveryAddress(ALL_MIGRATED, TEAM_MIGRATED), facts: GOOGLE_FACTS },
  "cutover, everybody migrated, the group migrated, per batch": { resources: withEveryAddress(`${ALL_MIGRATED}${PER_BATCH}`, TEAM_MIGRATED_SET), facts: GOOGLE_FACTS },
  "pilot batch migrating: its split delivery is the data copy's, expected": { resources: withEveryAddress("pilot batch migrating (licensed)"), facts: GOOGLE_FACTS },
};

const ALICE_AT_ALIAS_DOMAIN_ONLY: TenantFacts = {
  googleDomains: [PRIMARY_DOMAIN, ALIAS_DOMAIN],
  googleAddresses: [{ address: `alice@${ALIAS_DOMAIN}`, kind: "alias-domain address", owner: ALICE.email }],
  mx: { [ALIAS_DOMAIN]: ["gsuite-contoso-com.mail.protection.outlook.com"] },
};

/** The mistakes of issue 16: an address Google has that the plan loses, split and duplicate delivery. */
export const UNSAFE_WITH_GOOGLE_FACTS: Record<string, UnsafeStack> = {
  "cutover with a group nobody planned": {
    resources: withEveryAddress(ALL_MIGRATED),
    facts: GOOGLE_FACTS,
    policy: "every-google-address-delivered",
    mentions: [
      "team@contoso.com (group), crew@contoso.com (group alias of team@contoso.com)",
      "once contoso.com is Authoritative",
      "550 5.4.1",
      `Fix: plan the group team@contoso.com (groups CSV column plan): "migrate" makes it a DistributionGroup with team@contoso.com, crew@contoso.com`,
      "MailContact team@contoso.com whose externalEmailAddress is team@gsuite.contoso.com",
    ],
  },
  "cutover with a user alias the mail user does not carry": {
    resources: [...withAliases(SAFE_STAGES[ALL_MIGRATED], { [BOB.email]: [`bob@${ALIAS_DOMAIN}`] }), TEAM_KEPT],
    facts: GOOGLE_FACTS,
    policy: "every-google-address-delivered",
    mentions: ["alice.a@contoso.com (user alias of alice@contoso.com)", "Users: alice@contoso.com", "Fix: add alice.a@contoso.com to the aliases of MailUser mail-user-alice@contoso.com"],
  },
  "cutover that moves the MX of the alias domain, which Microsoft 365 does not accept": {
    resources: withAliases(SAFE_STAGES[ALL_MIGRATED], { [ALICE.email]: [`alice@${ALIAS_DOMAIN}`] }),
    facts: ALICE_AT_ALIAS_DOMAIN_ONLY,
    policy: "every-google-address-delivered",
    mentions: ["alice@gsuite.contoso.com (alias-domain address of alice@contoso.com)", "Relay Access Denied", "Fix: verify gsuite.contoso.com in Microsoft 365"],
  },
  "a destroy before cutover removes a migrated user's forwarding and licence resources while her mailbox stays": {
    resources: changed(without(without(PILOT_MIGRATED, "forward-alice@contoso.com"), "licence-alice@contoso.com"), "mail-user-alice@contoso.com", (mailUser) => ({
      ...mailUser,
      props: { ...mailUser.props, recipientTypeDetails: "UserMailbox" },
    })),
    policy: "no-split-delivery",
    mentions: ["mail to alice@contoso.com lands in Gmail when", "and in Exchange Online when a Microsoft 365 mailbox sends it", "Fix: forward the Gmail mailbox of alice@contoso.com to its routing address"],
  },
  "a group that reaches a migrated member at both of her addresses": {
    resources: PILOT_MIGRATED,
    facts: { googleGroups: [{ email: TEAM, members: [ALICE.email, `alice@${ROUTING_DOMAIN}`] }] },
    policy: "no-duplicate-delivery",
    mentions: ["mail from the Internet to team@contoso.com (group) delivers more than one copy to m365:alice@contoso.com (2 copies)", "Fix: let alice@contoso.com be reached through one of these paths only"],
  },
};
