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
