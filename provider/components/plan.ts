import type { MigrationGroup } from "./groupsCsv";
import type { MigrationUser } from "./usersCsv";

/** Where a batch of users is in the migration. */
export type BatchState = "google" | "migrating" | "migrated";
/** Where the whole domain is. */
export type Phase = "coexistence" | "cutover" | "decommissioned";

export const BATCH_STATES: readonly BatchState[] = ["google", "migrating", "migrated"];
export const PHASES: readonly Phase[] = ["coexistence", "cutover", "decommissioned"];

export interface PlanInput {
  primaryDomain: string;
  routingDomain: string;
  licenseSku: string;
  /** Usage location for users whose CSV row has none. */
  usageLocation: string;
  connectorName: string;
  users: MigrationUser[];
  /** State per batch name; a batch the CSV uses but this map omits is `google`. */
  batches: Record<string, BatchState>;
  phase: Phase;
}

/** The user-level state that decides which resources a user has. */
export interface UserPlan {
  user: MigrationUser;
  state: BatchState;
  /** `<local part>@<routing domain>`: the address Google forwards to. */
  routingAddress: string;
  /** Exists as a mail user (or, once licensed, a mailbox) managed by the stack. */
  mailUser: boolean;
  licensed: boolean;
  forwarded: boolean;
}

export interface DomainPlan {
  /** The routing subdomain exists (created, verified, Email) until decommission. */
  routingDomain: boolean;
  /** The outbound connector to Google exists; `enabled` says whether it routes. */
  connector: { present: boolean; enabled: boolean };
  /** The primary domain's type while the AcceptedDomain resource exists, or absent. */
  acceptedDomain: { present: boolean; domainType: "InternalRelay" | "Authoritative" };
  /** The primary MX should point at Microsoft 365 (the admin's DNS change at cutover). */
  mxAtMicrosoft: boolean;
}

export function batchStateOf(user: MigrationUser, batches: Record<string, BatchState>): BatchState {
  return batches[user.batch] ?? "google";
}

export function routingAddressOf(user: MigrationUser, routingDomain: string): string {
  return `${user.email.slice(0, user.email.lastIndexOf("@"))}@${routingDomain}`.toLowerCase();
}

/**
 * Which resources one user has. A user is a mail user from the start (Exchange routes mail for
 * them to Google through the connector), licensed once the batch is migrating (the mailbox must
 * exist before anything forwards to it), and forwarded from Google once migrated — until
 * decommission, when forwarding and the mail-user object go and the licence (the mailbox) stays.
 */
export function planUser(user: MigrationUser, input: Pick<PlanInput, "batches" | "phase" | "routingDomain">): UserPlan {
  const state = batchStateOf(user, input.batches);
  const licensed = state !== "google";
  const decommissioned = input.phase === "decommissioned";
  return {
    user,
    state,
    routingAddress: routingAddressOf(user, input.routingDomain),
    mailUser: !decommissioned,
    licensed,
    forwarded: state === "migrated" && !decommissioned,
  };
}

/**
 * The domain-level objects per phase. While any user still receives at Google the primary domain
 * stays Internal Relay with an enabled connector — even after the MX moved (mail-routing.md §4 F5:
 * safe only in that combination). Authoritative comes back, and the connector stops, only when
 * nobody is left at Google; at decommission both are removed (the domain reverts to Authoritative).
 * At decommission the routing domain goes too: by then nothing forwards to it, and deleting each
 * mail-user resource releases its address from the mailbox.
 */
export function planDomain(phase: Phase, anyUserAtGoogle: boolean): DomainPlan {
  const stillRelaying = phase === "coexistence" || anyUserAtGoogle;
  return {
    routingDomain: phase !== "decommissioned",
    connector: { present: phase !== "decommissioned", enabled: stillRelaying },
    acceptedDomain: { present: phase !== "decommissioned", domainType: stillRelaying ? "InternalRelay" : "Authoritative" },
    mxAtMicrosoft: phase !== "coexistence",
  };
}

/**
 * Problems that make a plan unsafe or impossible, each naming the fix. The component refuses to
 * plan while any exists, so nothing is half-applied.
 */
export function planProblems(input: PlanInput): string[] {
  const problems: string[] = [];
  const routing = input.routingDomain.toLowerCase();
  const primary = input.primaryDomain.toLowerCase();
  if (!routing.endsWith(`.${primary}`)) {
    problems.push(`routingDomain ${input.routingDomain} must be a subdomain of primaryDomain ${input.primaryDomain} (e.g. o365.${primary}): Google forwards without verification only to a subdomain of the user's domain`);
  }
  const usedBatches = new Set(input.users.map((u) => u.batch));
  for (const batch of Object.keys(input.batches)) {
    if (!usedBatches.has(batch)) problems.push(`batches: "${batch}" has no user in the CSV; fix the batch name or remove it`);
  }
  for (const [batch, state] of Object.entries(input.batches)) {
    if (!BATCH_STATES.includes(state)) problems.push(`batches.${batch}: "${state}" is not one of ${BATCH_STATES.join(", ")}`);
  }
  const atGoogle = input.users.filter((u) => batchStateOf(u, input.batches) !== "migrated");
  if (input.phase === "decommissioned" && atGoogle.length > 0) {
    const batches = [...new Set(atGoogle.map((u) => u.batch))].sort();
    problems.push(
      `phase decommissioned removes the connector to Google and Internal Relay, but ${atGoogle.length} user(s) in batch(es) ${batches.join(", ")} are not migrated yet; migrate them (state "migrated") first`,
    );
  }
  return problems;
}

/** The domains an alias domain must not be, with the setting that names each. */
export interface DomainSettings {
  primaryDomain: string;
  routingDomain: string;
  googleRoutingDomain?: string;
}

/**
 * The `aliasDomains` setting as the stack config gives it (`setting`: its full name): a list of
 * domain names, `[]` when unset, else an error with the command that sets it right.
 */
export function aliasDomainsSetting(value: unknown, setting = "coexist:aliasDomains"): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((domain) => typeof domain === "string")) return value;
  throw new Error(`${setting} must be a list of domain names, e.g. \`pulumi config set --path '${setting}[0]' contoso.net\`; it is ${JSON.stringify(value)}`);
}

/**
 * `coexist:batches` as read from the stack config (already parsed from JSON where it was JSON):
 * each batch's state, or an error naming the setting and the fix. A state outside BATCH_STATES is
 * left for planProblems to name with the other problems.
 */
export function batchesSetting(value: unknown, setting = "coexist:batches"): Record<string, BatchState> {
  if (value === undefined) return {};
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, BatchState>;
  throw new Error(`${setting} must be a JSON object of batch name to state (${BATCH_STATES.join(", ")}), e.g. \`pulumi config set --path '${setting}.pilot' migrating\`; it is ${JSON.stringify(value)}`);
}

/**
 * Problems with `aliasDomains`: each is a Google alias or secondary domain that moves to Microsoft
 * 365 with the primary domain, so it cannot be the primary domain itself, the routing domain, or
 * the domain whose MX stays at Google for the groups kept there.
 */
export function aliasDomainProblems(aliasDomains: readonly string[], settings: DomainSettings): string[] {
  const problems: string[] = [];
  const taken: [string | undefined, string][] = [
    [settings.primaryDomain, "primaryDomain"],
    [settings.routingDomain, "routingDomain"],
    [settings.googleRoutingDomain, "googleRoutingDomain (its MX stays at Google; it cannot move)"],
  ];
  const seen = new Set<string>();
  for (const domain of aliasDomains) {
    const name = domain.trim().toLowerCase();
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name)) {
      problems.push(`aliasDomains: "${domain}" is not a domain name; give Google's alias or secondary domains, e.g. ["contoso.net"]`);
      continue;
    }
    if (seen.has(name)) problems.push(`aliasDomains: ${name} is listed twice; list each domain once`);
    seen.add(name);
    for (const [other, setting] of taken) {
      if (other?.toLowerCase() === name) problems.push(`aliasDomains: ${name} is also the ${setting}; remove it from aliasDomains`);
    }
  }
  return problems;
}

/**
 * Which part of the set-up one stack holds. A tenant of thousands of users is split into one stack
 * for the tenant-wide objects and one stack per batch (docs/benchmark.md), because the cost of an
 * update grows with the size of the stack's state.
 */
export type CoexistenceScope = "all" | "tenant" | { batch: string };

/** What a stack of the given scope creates. */
export interface ScopePlan {
  /** The routing domain, the connector to Google and the accepted domain. */
  tenantWide: boolean;
  /** The users whose mail user, licence and forwarding the stack holds. */
  users: MigrationUser[];
}

/** The objects a scope gets; refuses a batch that no user of the CSV is in. */
export function planScope(scope: CoexistenceScope, users: MigrationUser[]): ScopePlan {
  if (scope === "all") return { tenantWide: true, users };
  if (scope === "tenant") return { tenantWide: true, users: [] };
  const batchNames = [...new Set(users.map((user) => user.batch))].sort();
  if (!batchNames.includes(scope.batch)) {
    throw new Error(`scope.batch "${scope.batch}" is not a batch of the users CSV; use one of: ${batchNames.join(", ") || "(the CSV has no users)"}`);
  }
  return { tenantWide: false, users: users.filter((user) => user.batch === scope.batch) };
}

const BATCH_SCOPE_PREFIX = "batch:";

/**
 * Reads a scope written as text (stack config): `all`, `tenant` or `batch:<name>`; `setting` names
 * where the text came from in the error.
 */
export function parseScope(text: string, setting: string): CoexistenceScope {
  if (text === "all" || text === "tenant") return text;
  const batch = text.startsWith(BATCH_SCOPE_PREFIX) ? text.slice(BATCH_SCOPE_PREFIX.length).trim() : "";
  if (batch !== "") return { batch };
  throw new Error(`${setting} "${text}" is not one of all, tenant, ${BATCH_SCOPE_PREFIX}<batch name> (e.g. ${BATCH_SCOPE_PREFIX}Sales)`);
}

/**
 * How a stack holds the users: `user` one resource per user and kind (MailUser, LicenseAssignment,
 * GoogleForwardingRoute); `batch` one set resource per batch and kind, because the engine rewrites
 * the whole checkpoint after every step and so an update of thousands of resources is quadratic.
 */
export type Granularity = "user" | "batch";
export const GRANULARITIES: readonly Granularity[] = ["user", "batch"];

/** Reads a granularity written as text (stack config); `setting` names where the text came from in the error. */
export function parseGranularity(text: string, setting: string): Granularity {
  if ((GRANULARITIES as readonly string[]).includes(text)) return text as Granularity;
  throw new Error(`${setting} "${text}" is not one of ${GRANULARITIES.join(", ")}`);
}

/** The users of one batch by the resources their plans give them: the contents of the batch's three set resources. */
export interface BatchGroup {
  batch: string;
  mailUsers: UserPlan[];
  licensed: UserPlan[];
  forwarded: UserPlan[];
}

/** Groups user plans by batch (the CSV's batch column, as `batchStateOf` reads it), batches sorted by name. */
export function groupByBatch(plans: UserPlan[]): BatchGroup[] {
  const groups = new Map<string, BatchGroup>();
  for (const plan of plans) {
    const batch = plan.user.batch;
    const group = groups.get(batch) ?? { batch, mailUsers: [], licensed: [], forwarded: [] };
    if (plan.mailUser) group.mailUsers.push(plan);
    if (plan.licensed) group.licensed.push(plan);
    if (plan.forwarded) group.forwarded.push(plan);
    groups.set(batch, group);
  }
  return [...groups.values()].sort((a, b) => a.batch.localeCompare(b.batch));
}

export function anyUserAtGoogle(users: MigrationUser[], batches: Record<string, BatchState>): boolean {
  return users.some((u) => batchStateOf(u, batches) !== "migrated");
}

/** The combined SPF record for the coexistence period: both systems send for the domain. */
export function coexistenceSpf(phase: Phase): string {
  return phase === "decommissioned"
    ? "v=spf1 include:spf.protection.outlook.com -all"
    : "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all";
}

// -------------------------------------------------------------------------------------------------
// Groups

/** What the groups need besides the groups CSV. */
export interface GroupsPlanInput {
  groups: MigrationGroup[];
  users: MigrationUser[];
  primaryDomain: string;
  /**
   * A domain whose MX stays at Google while groups are kept there (Google's alias domain, e.g.
   * `gsuite.contoso.com`): a kept group's contact sends its mail to the group's address there.
   */
  googleRoutingDomain?: string;
  phase: Phase;
}

/** A group that becomes an Exchange distribution group. */
export interface MigratedGroupPlan {
  group: MigrationGroup;
  /** Member addresses as Exchange knows them: users by their CSV address, groups and outside members by theirs. */
  members: string[];
  /** The CSV users among the members (their mail users must exist first). */
  userMembers: string[];
  /** The planned groups among the members (migrated: distribution groups; kept: contacts). */
  groupMembers: string[];
  /** Outside members, each reached through a mail contact. */
  outsideMembers: string[];
}

/** A group kept at Google, reached through a mail contact. */
export interface KeptGroupPlan {
  group: MigrationGroup;
  /** Where the contact sends the group's mail: the group's address on the Google routing domain. */
  externalEmailAddress: string;
  /** The group's other addresses the contact holds. */
  emailAddresses: string[];
}

export interface GroupsPlan {
  migrated: MigratedGroupPlan[];
  kept: KeptGroupPlan[];
  /** Every outside member of a migrated group, once. */
  outsideMembers: string[];
}

/** The groups as resources: migrated groups with their members resolved, kept groups with their route to Google. */
export function planGroups(input: GroupsPlanInput): GroupsPlan {
  const userByAddress = addressIndex(input.users);
  const groupByAddress = new Map(input.groups.flatMap((group) => [group.email, ...group.aliases].map((address) => [address, group] as const)));
  const migrated = input.groups
    .filter((group) => group.plan === "migrate")
    .map((group): MigratedGroupPlan => {
      const plan: MigratedGroupPlan = { group, members: [], userMembers: [], groupMembers: [], outsideMembers: [] };
      for (const address of group.members) {
        const user = userByAddress.get(address);
        const member = groupByAddress.get(address);
        if (user) plan.userMembers.push(user.email);
        else if (member) plan.groupMembers.push(member.email);
        else if (domainOfAddress(address) !== input.primaryDomain.toLowerCase()) plan.outsideMembers.push(address);
        else continue;
        plan.members.push(user?.email ?? member?.email ?? address);
      }
      return plan;
    });
  const kept = input.groups
    .filter((group) => group.plan === "keep")
    .map((group): KeptGroupPlan => {
      const external = googleRouteOf(group, input.googleRoutingDomain) ?? group.email;
      return { group, externalEmailAddress: external, emailAddresses: group.aliases.filter((address) => address !== external) };
    });
  return { migrated, kept, outsideMembers: [...new Set(migrated.flatMap((plan) => plan.outsideMembers))].sort() };
}

/** The group's address on the Google routing domain, if it has one. */
function googleRouteOf(group: MigrationGroup, googleRoutingDomain: string | undefined): string | undefined {
  const domain = googleRoutingDomain?.toLowerCase();
  return domain ? [group.email, ...group.aliases].find((address) => domainOfAddress(address) === domain) : undefined;
}

const domainOfAddress = (address: string): string => address.slice(address.lastIndexOf("@") + 1).toLowerCase();

/** Every address of the CSV users (address and aliases) → the user. */
function addressIndex(users: MigrationUser[]): Map<string, MigrationUser> {
  return new Map(users.flatMap((user) => [user.email, ...(user.aliases ?? [])].map((address) => [address, user] as const)));
}

const listed = (groups: MigrationGroup[]): string => groups.map((group) => group.email).join(", ");

/** Why the groups cannot be planned as they are, each naming the groups and the fix. */
export function groupProblems(input: GroupsPlanInput): string[] {
  const problems: string[] = [];
  const unplanned = input.groups.filter((group) => group.plan === undefined);
  if (input.phase !== "coexistence" && unplanned.length > 0) {
    problems.push(
      `phase ${input.phase}: group(s) ${listed(unplanned)} have no plan in the groups CSV; from cutover Exchange Online no longer relays addresses it does not hold to Google, so their mail would bounce. ` +
        `Set plan "migrate" (an Exchange distribution group) or "keep" (it stays at Google behind a mail contact) for each`,
    );
  }
  const kept = input.groups.filter((group) => group.plan === "keep");
  if (input.phase === "decommissioned" && kept.length > 0) {
    problems.push(
      `phase decommissioned retires Google Workspace, but group(s) ${listed(kept)} are kept at Google (plan "keep"): their members' Gmail no longer forwards once the forwarding routes go. Plan them "migrate"`,
    );
  }
  if (kept.length > 0 && !input.googleRoutingDomain) {
    problems.push(
      `group(s) ${listed(kept)} are kept at Google, which needs coexist:googleRoutingDomain (googleRoutingDomain): a Google alias domain whose MX stays at Google, e.g. gsuite.${input.primaryDomain}, where each kept group has an address`,
    );
  } else {
    const routeless = kept.filter((group) => !googleRouteOf(group, input.googleRoutingDomain));
    if (routeless.length > 0) {
      problems.push(
        `group(s) ${listed(routeless)} are kept at Google but have no address on the Google routing domain ${input.googleRoutingDomain}: add it to their aliases in the groups CSV (Google gives every group one on each alias domain, e.g. ${localOf(routeless[0].email)}@${input.googleRoutingDomain})`,
      );
    }
  }
  const userByAddress = addressIndex(input.users);
  const groupByAddress = new Map(input.groups.flatMap((group) => [group.email, ...group.aliases].map((address) => [address, group] as const)));
  for (const group of input.groups) {
    const clash = [group.email, ...group.aliases].find((address) => userByAddress.has(address));
    if (clash) problems.push(`group ${group.email}: ${clash} is also an address of the user ${userByAddress.get(clash)!.email} in the users CSV; an address belongs to one user or group`);
    if (group.plan !== "migrate") continue;
    const undecided = group.members.map((address) => groupByAddress.get(address)).filter((member): member is MigrationGroup => member !== undefined && member.plan === undefined);
    if (undecided.length > 0) {
      problems.push(`group ${group.email} is migrated, but its member group(s) ${listed(undecided)} have no plan; plan them too, so that the distribution group can hold them`);
    }
    const unknown = group.members.filter((address) => !userByAddress.has(address) && !groupByAddress.has(address) && domainOfAddress(address) === input.primaryDomain.toLowerCase());
    if (unknown.length > 0) {
      problems.push(
        `group ${group.email} is migrated, but its member(s) ${unknown.join(", ")} in ${input.primaryDomain} are neither users of the users CSV nor groups of the groups CSV, so Exchange has no recipient for them; add them to a CSV or remove them from the group`,
      );
    }
  }
  return problems;
}

const localOf = (address: string): string => address.slice(0, address.lastIndexOf("@"));
