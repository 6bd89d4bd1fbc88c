/**
 * The seed's `behaviour`: how faithful to the real services' harder edges the sandbox is. Every
 * knob is optional and the defaults keep the sandbox as kind as it always was; `strict: true`
 * turns every strict behaviour on, with replication lag at test scale (seconds, where the real
 * services take minutes: sandbox/README.md gives the real ranges and their sources).
 */
import { unitHash } from "./ids";

/** `[min, max]` seconds; each object draws its own delay uniformly inside the range. */
export type SecondsRange = [number, number];

export interface LagSeed {
  /** New-MailUser → the Entra user behind it is visible to Graph. */
  entraUserSeconds?: SecondsRange;
  /** Graph verify + Email → the domain is an Exchange accepted domain. */
  acceptedDomainSeconds?: SecondsRange;
  /** Exchange licence assigned → the mail user is a mailbox (the ranged form of licenceConversionDelaySeconds). */
  mailboxConversionSeconds?: SecondsRange;
}

export type ExchangeErrorShape = "pipe" | "json" | "mixed";

export interface BehaviourSeed {
  /** Seconds between assigning an Exchange licence and the mailbox existing in Exchange. */
  licenceConversionDelaySeconds: number;
  /** InvokeCommand page size when the client sends no `Prefer: odata.maxpagesize`. */
  exchangePageSize: number;
  /** Every strict behaviour on: STRICT_LAG where `lag` leaves a point out, null refusal, mixed error shapes. */
  strict?: boolean;
  lag?: LagSeed;
  /** A JSON `null` cmdlet parameter is refused: no source confirms how InvokeCommand binds it. */
  refuseNullParameters?: boolean;
  /** `pipe` (default), `json` (JSON-in-string details) or `mixed` (every observed shape, chosen per request). */
  exchangeErrorShapes?: ExchangeErrorShape;
  /** `sandbox` (default, per-recipient results) or `unreadable` (an output no client can interpret). */
  connectorValidationOutput?: "sandbox" | "unreadable";
}

export const DEFAULT_BEHAVIOUR: BehaviourSeed = { licenceConversionDelaySeconds: 3, exchangePageSize: 1000 };

export const STRICT_LAG: Required<LagSeed> = {
  entraUserSeconds: [2, 5],
  acceptedDomainSeconds: [3, 8],
  mailboxConversionSeconds: [3, 10],
};

const LAG_POINTS = Object.keys(STRICT_LAG) as (keyof LagSeed)[];

/** Names the field, what is wrong and the fix (seed.ts wraps it as a SeedError). */
export type BehaviourProblem = (field: string, problem: string, fix: string) => Error;

/** Checks the knobs, fills defaults and expands `strict`. */
export function parseBehaviour(raw: Record<string, unknown>, fail: BehaviourProblem): BehaviourSeed {
  const behaviour = { ...DEFAULT_BEHAVIOUR, ...raw } as BehaviourSeed;
  if (!(behaviour.licenceConversionDelaySeconds >= 0)) {
    throw fail("behaviour.licenceConversionDelaySeconds", "must be a number of seconds ≥ 0", "Use 3 for the default delay.");
  }
  if (!(behaviour.exchangePageSize >= 1)) throw fail("behaviour.exchangePageSize", "must be ≥ 1", "Use 1000 (the default).");
  if (behaviour.strict !== undefined && typeof behaviour.strict !== "boolean") throw fail("behaviour.strict", `is ${JSON.stringify(behaviour.strict)}`, "Use true or false.");
  if (behaviour.refuseNullParameters !== undefined && typeof behaviour.refuseNullParameters !== "boolean") {
    throw fail("behaviour.refuseNullParameters", `is ${JSON.stringify(behaviour.refuseNullParameters)}`, "Use true or false.");
  }
  oneOf(behaviour.exchangeErrorShapes, ["pipe", "json", "mixed"], "behaviour.exchangeErrorShapes", fail);
  oneOf(behaviour.connectorValidationOutput, ["sandbox", "unreadable"], "behaviour.connectorValidationOutput", fail);
  const lag = (behaviour.lag ?? {}) as Record<string, unknown>;
  if (typeof lag !== "object" || lag === null || Array.isArray(lag)) throw fail("behaviour.lag", `is ${JSON.stringify(lag)}`, "Give an object, e.g. {\"entraUserSeconds\": [2, 5]}.");
  for (const [point, range] of Object.entries(lag)) {
    if (!LAG_POINTS.includes(point as keyof LagSeed)) throw fail(`behaviour.lag.${point}`, "is not a lag point", `Use one of ${LAG_POINTS.join(", ")}.`);
    if (!isRange(range)) throw fail(`behaviour.lag.${point}`, `is ${JSON.stringify(range)}`, "Give [min, max] seconds with 0 ≤ min ≤ max, e.g. [2, 5].");
  }
  return behaviour.strict ? strictBehaviour(behaviour) : behaviour;
}

/** The behaviour with every strict knob on; what the seed set explicitly stays. */
export function strictBehaviour(behaviour: BehaviourSeed): BehaviourSeed {
  return {
    ...behaviour,
    strict: true,
    lag: { ...STRICT_LAG, ...(behaviour.lag ?? {}) },
    refuseNullParameters: behaviour.refuseNullParameters ?? true,
    exchangeErrorShapes: behaviour.exchangeErrorShapes ?? "mixed",
  };
}

function oneOf(value: unknown, allowed: string[], field: string, fail: BehaviourProblem): void {
  if (value !== undefined && !allowed.includes(value as string)) throw fail(field, `is ${JSON.stringify(value)}`, `Use one of ${allowed.map((entry) => `"${entry}"`).join(", ")}.`);
}

function isRange(value: unknown): value is SecondsRange {
  return Array.isArray(value) && value.length === 2 && value.every((entry) => typeof entry === "number" && entry >= 0) && value[0] <= value[1];
}

/**
 * The delay in ms for one object at one lag point: uniform in the range, the same for the same
 * object and `salt` (the fault seed), so a run replays. 0 when the point has no lag.
 */
export function lagMs(behaviour: BehaviourSeed, point: keyof LagSeed, objectKey: string, salt = 0): number {
  const range = behaviour.lag?.[point];
  if (!range) return 0;
  const [min, max] = range;
  return Math.round((min + (max - min) * unitHash(`${salt}/${point}/${objectKey.toLowerCase()}`)) * 1000);
}

/** Licence → mailbox delay in seconds: the ranged lag when set, else the fixed licenceConversionDelaySeconds. */
export function mailboxConversionSeconds(behaviour: BehaviourSeed, userId: string, salt = 0): number {
  return behaviour.lag?.mailboxConversionSeconds ? lagMs(behaviour, "mailboxConversionSeconds", userId, salt) / 1000 : behaviour.licenceConversionDelaySeconds;
}
