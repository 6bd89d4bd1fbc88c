/**
 * What the stack's planned resources will need, from the root program's planning inputs: which
 * resources exist now, which only at a later step of the migration, and so which grants must be
 * there now (a missing one fails) and which soon (a missing one warns). Pure.
 */
import { batchStateOf, planScope, type BatchState, type CoexistenceScope, type Phase } from "../provider/components/plan";
import type { MigrationUser } from "../provider/components/usersCsv";
import { requirementKey, requirementsOf, withoutCovered, type Consumer, type NeededRequirement } from "../provider/clients/grants";

/** now: a planned resource makes the call on the next `pulumi up`; later: a later step of the migration (or another stack of this app) will; doctor: only `coexist doctor` does. */
export type Need = "now" | "later" | "doctor";

const RANK: Record<Need, number> = { now: 3, later: 2, doctor: 1 };

export interface PlanningInputs {
  primaryDomain?: string;
  routingDomain?: string;
  /** `coexist:aliasDomains`: Google alias and secondary domains that move with the primary domain. */
  aliasDomains?: string[];
  licenseSku?: string;
  /** The users of the CSV; undefined when no CSV was given (every resource is then assumed). */
  users?: MigrationUser[];
  batches: Record<string, BatchState>;
  phase: Phase;
  scope: CoexistenceScope;
}

export interface ConsumerNeeds {
  now: Consumer[];
  later: Consumer[];
}

const TENANT_WIDE: Consumer[] = ["RoutingDomain", "OutboundConnector", "AcceptedDomain"];
const PER_USER: Consumer[] = ["MailUser", "LicenseAssignment", "GoogleForwardingRoute"];

/**
 * The resources of the plan by when they call the APIs. The tenant-wide objects exist from the
 * first step and are removed at decommission (which needs the same grants); a user is a mail user
 * from the start, licensed once the batch is migrating and forwarded once it is migrated.
 */
export function consumersOf(inputs: PlanningInputs): ConsumerNeeds {
  if (inputs.users === undefined) return { now: [...TENANT_WIDE, ...PER_USER], later: [] };
  const contents = planScope(inputs.scope, inputs.users);
  const now: Consumer[] = contents.tenantWide ? [...TENANT_WIDE] : [];
  const later: Consumer[] = contents.tenantWide ? [] : [...TENANT_WIDE];
  const states = new Set(contents.users.map((user) => batchStateOf(user, inputs.batches)));
  const users = contents.users.length > 0;
  (users ? now : later).push("MailUser");
  (states.has("migrating") || states.has("migrated") ? now : later).push("LicenseAssignment");
  (states.has("migrated") ? now : later).push("GoogleForwardingRoute");
  return { now, later };
}

export interface RankedRequirement extends NeededRequirement {
  need: Need;
}

/**
 * One requirement per distinct need, at the most urgent need of whatever needs it, without those
 * a stronger requirement of the same urgency or more already covers (their uses move to it).
 */
export function plannedRequirements(consumers: ConsumerNeeds): RankedRequirement[] {
  const ranked = new Map<string, RankedRequirement>();
  const groups: Array<[Need, Consumer[]]> = [
    ["now", consumers.now],
    ["later", consumers.later],
    ["doctor", ["coexist doctor"]],
  ];
  for (const [need, group] of groups) {
    for (const requirement of requirementsOf(group)) {
      const key = requirementKey(requirement);
      const known = ranked.get(key);
      if (known) known.neededFor.push(...requirement.neededFor.filter((use) => !known.neededFor.includes(use)));
      else ranked.set(key, { ...requirement, need });
    }
  }
  return withoutCovered([...ranked.values()], (stronger, weaker) => RANK[stronger.need] >= RANK[weaker.need]);
}

export interface SeatDemand {
  /** Batches in scope that the config marks migrating or migrated, with their users. */
  batches: Array<{ batch: string; state: BatchState; users: string[] }>;
}

/** The users who must hold a licence: those of the scope's batches marked migrating or migrated. */
export function seatDemand(inputs: PlanningInputs): SeatDemand {
  if (inputs.users === undefined) return { batches: [] };
  const byBatch = new Map<string, { batch: string; state: BatchState; users: string[] }>();
  for (const user of planScope(inputs.scope, inputs.users).users) {
    const state = batchStateOf(user, inputs.batches);
    if (state === "google") continue;
    const entry = byBatch.get(user.batch) ?? { batch: user.batch, state, users: [] };
    entry.users.push(user.email);
    byBatch.set(user.batch, entry);
  }
  return { batches: [...byBatch.values()].sort((a, b) => a.batch.localeCompare(b.batch)) };
}

/** What the checks of each side work from. */
export interface DoctorContext {
  inputs: PlanningInputs;
  consumers: ConsumerNeeds;
  requirements: RankedRequirement[];
  /** The Google user to try delegation with (`--google-user`); else one is chosen from the CSV. */
  googleUser?: string;
}

export function doctorContext(inputs: PlanningInputs, googleUser?: string): DoctorContext {
  const consumers = consumersOf(inputs);
  return { inputs, consumers, requirements: plannedRequirements(consumers), googleUser };
}
