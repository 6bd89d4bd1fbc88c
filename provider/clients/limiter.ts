/**
 * One adaptive concurrency limiter per API, which finds the service's budget from what the
 * service answers: no API publishes one we could configure (Exchange's InvokeCommand has none at
 * all, Graph's depends on the tenant's size). Additive increase, multiplicative decrease on the
 * calls allowed in flight, with the throttled answers and the budget headers as signals.
 * The algorithm and its reasons: docs/clients.md, "Concurrency limiter".
 */
import type { ApiName } from "./errors";

/** Time as the limiter and the retry policy see it; the simulation tests replace it. */
export const limiterClock = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ConcurrencyBounds {
  /** Calls in flight before anything is known about the service. */
  initial: number;
  min: number;
  /** A safety cap, far above any budget we know of: the service's answers set the real limit. */
  max: number;
}

export const DEFAULT_CONCURRENCY: Readonly<Record<ApiName, ConcurrencyBounds>> = Object.freeze({
  exchange: { initial: 2, min: 1, max: 64 },
  graph: { initial: 4, min: 1, max: 64 },
  google: { initial: 4, min: 1, max: 64 },
});

/** What a successful answer says about the budget (absent: the service did not say). */
export interface BudgetSignals {
  /** Exchange's `Rate-Limit-Remaining`, `Rate-Limit-Limit` and `Rate-Limit-Reset` (exchange-admin-api.md §1.8). */
  rateLimitRemaining?: number;
  rateLimitLimit?: number;
  rateLimitReset?: string;
  /** Graph's `x-ms-throttle-limit-percentage`: the share of a budget used, sent only above 0.8 (microsoft-graph.md §3.2). */
  budgetUsed?: number;
}

/** A header value as the number it holds, or undefined. */
function numberOf(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** The budget signals among an answer's headers. */
export function budgetSignalsOf(header: (name: string) => string | null | undefined): BudgetSignals {
  return {
    rateLimitRemaining: numberOf(header("rate-limit-remaining")),
    rateLimitLimit: numberOf(header("rate-limit-limit")),
    rateLimitReset: header("rate-limit-reset") ?? undefined,
    budgetUsed: numberOf(header("x-ms-throttle-limit-percentage")),
  };
}

/**
 * How a call ended, for the limiter: answered, refused for concurrency (Exchange's "maximum number
 * of concurrent requests per tenant"), refused for rate (any other throttled answer), or anything
 * else (which says nothing about the budget).
 */
export type CallOutcome = { kind: "success"; signals?: BudgetSignals } | { kind: "refused"; reason: "concurrency" | "rate" } | { kind: "other" };

export interface LimiterState {
  /** Calls allowed in flight; fractional, so additive increase can add 1 per round of calls. */
  limit: number;
  /** The concurrency the service last refused at, less one; undefined while nothing was refused (slow start). */
  ceiling?: number;
  /** Successes at the ceiling before one more call in flight is tried. */
  probeAfter: number;
  /** Successes counted at the ceiling since the last change. */
  atCeiling: number;
  /** Decreases so far: a refusal of a call sent before the last decrease was already acted on. */
  epoch: number;
  /** When the limit last changed (a decrease, a probe, a probe that lasted): the next probe comes at most MOST_PROBE_INTERVAL_MS later. */
  changedAt: number;
}

/** What the limiter knew when it let a call go. */
export interface Ticket {
  epoch: number;
  /** Calls in flight, this one included. */
  inFlight: number;
}

/** Successes at the ceiling before the first probe; doubled at each concurrency refusal, up to the most. */
export const FIRST_PROBE_AFTER = 16;
export const MOST_PROBE_AFTER = 256;
/**
 * The longest time at the ceiling without a probe, whatever `probeAfter` says: a process held at
 * one or two calls in flight while other stacks filled the tenant would otherwise wait for 256
 * successes (minutes) before it tried for the budget they left. docs/clients.md, "Stacks that
 * share a tenant".
 */
export const MOST_PROBE_INTERVAL_MS = 25_000;
/** Budget use (Graph) at which growth stops, and at which the limit decreases. */
const BUDGET_HOLD = 0.8;
const BUDGET_DECREASE = 0.9;
/** Share of Exchange's Rate-Limit-Limit left below which growth stops, and the limit decreases. */
const REMAINING_HOLD = 0.1;
const REMAINING_DECREASE = 0.05;
/** The decrease on budget pressure and on a rate refusal. */
const PRESSURE_FACTOR = 0.8;
const RATE_REFUSAL_FACTOR = 0.5;
const PROBE_SUCCESS_FACTOR = 2;

export function initialLimiterState(bounds: ConcurrencyBounds, now: number): LimiterState {
  return { limit: bounds.initial, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 0, changedAt: now };
}

/** "decrease", "hold" or "grow": what an answer's budget signals ask of the limit. */
export function budgetPressure(signals: BudgetSignals | undefined): "decrease" | "hold" | "grow" {
  const used = signals?.budgetUsed;
  const remaining = signals?.rateLimitRemaining;
  const limit = signals?.rateLimitLimit;
  const left = remaining !== undefined && limit ? remaining / limit : undefined;
  if ((used !== undefined && used >= BUDGET_DECREASE) || (left !== undefined && left <= REMAINING_DECREASE)) return "decrease";
  if ((used !== undefined && used >= BUDGET_HOLD) || (left !== undefined && left <= REMAINING_HOLD)) return "hold";
  return "grow";
}

function decreased(state: LimiterState, now: number, limit: number, bounds: ConcurrencyBounds, ceiling = limit, probeAfter = state.probeAfter): LimiterState {
  const kept = Math.max(bounds.min, Math.min(state.limit, limit));
  return { limit: kept, ceiling: Math.max(bounds.min, Math.floor(ceiling)), probeAfter, atCeiling: 0, epoch: state.epoch + 1, changedAt: now };
}

/**
 * The limiter's next state after a call sent with `ticket` ended with `outcome`:
 * - success: grow by 1 per success (the limit doubles each round of calls) until the first
 *   refusal, and after a decrease up to the ceiling; at the ceiling, probe one more after
 *   `probeAfter` successes, or at the first success MOST_PROBE_INTERVAL_MS after the limit last
 *   changed. A probe that lasts a round without a refusal means the budget grew:
 *   it is the new ceiling, and the next probe comes after FIRST_PROBE_AFTER successes (one more
 *   call in flight per probe, never slow start again: against a rate budget with a deep bucket
 *   a probe outlasts its round while the bucket drains, and doubling from there ran into bursts of
 *   429s every few seconds, each also costing a token). Budget signals hold growth (Graph
 *   above 80 % of a budget, Exchange below 10 % of Rate-Limit-Limit left) or decrease the limit
 *   by a fifth (90 %, 5 %).
 * - refused for concurrency: the service takes fewer than the calls then in flight; that less one
 *   is the new limit and ceiling. A failed probe makes the next one wait twice as many successes
 *   (never longer than MOST_PROBE_INTERVAL_MS). When the
 *   budget shrinks (another client shares the tenant), each call sent finds fewer in flight as
 *   the others finish, so the limit follows them down within a round.
 * - refused for rate: halve.
 * A decrease acts once per round: a refusal of a call sent before the last decrease is ignored.
 */
export function nextLimiterState(state: LimiterState, ticket: Ticket, outcome: CallOutcome, bounds: ConcurrencyBounds, now: number): LimiterState {
  const current = ticket.epoch === state.epoch;
  const probing = state.ceiling !== undefined && state.limit > state.ceiling;
  if (outcome.kind === "other") return state;
  if (outcome.kind === "refused") {
    if (!current) return state;
    if (outcome.reason === "rate") return decreased(state, now, state.limit * RATE_REFUSAL_FACTOR, bounds);
    return decreased(state, now, ticket.inFlight - 1, bounds, ticket.inFlight - 1, probing ? Math.min(MOST_PROBE_AFTER, state.probeAfter * 2) : state.probeAfter);
  }
  const pressure = budgetPressure(outcome.signals);
  if (pressure === "decrease") return current ? decreased(state, now, state.limit * PRESSURE_FACTOR, bounds) : state;
  if (pressure === "hold") return state;
  if (state.ceiling === undefined) return { ...state, limit: Math.min(bounds.max, state.limit + 1) };
  if (state.limit < state.ceiling) return { ...state, limit: Math.min(state.ceiling, state.limit + 1) };
  const counted = state.atCeiling + 1;
  if (probing) {
    return counted >= state.limit
      ? { limit: state.limit, ceiling: Math.floor(state.limit * PROBE_SUCCESS_FACTOR), probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: state.epoch, changedAt: now }
      : { ...state, atCeiling: counted };
  }
  if (counted < state.probeAfter && now - state.changedAt < MOST_PROBE_INTERVAL_MS) return { ...state, atCeiling: counted };
  return { ...state, limit: Math.min(bounds.max, state.ceiling + 1), atCeiling: 0, changedAt: now };
}

export class AdaptiveLimiter {
  private state: LimiterState;
  private active = 0;
  private pausedUntil = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly bounds: ConcurrencyBounds) {
    this.state = initialLimiterState(bounds, limiterClock.now());
  }

  /** Calls allowed in flight now. */
  get concurrency(): number {
    return Math.max(this.bounds.min, Math.floor(this.state.limit));
  }

  /** The limit can go no lower: a concurrency refusal now means other clients hold the budget, and only waiting helps. */
  get atMinimum(): boolean {
    return this.concurrency <= this.bounds.min;
  }

  get pausedForMs(): number {
    return Math.max(0, this.pausedUntil - limiterClock.now());
  }

  /**
   * A slot for a call: `retry` for a call that was sent before and is being retried, which goes
   * ahead of the calls that have not been sent yet (behind thousands of set items it would wait
   * minutes, and that wait would count against its retry time budget).
   */
  async acquire(retry = false): Promise<Ticket> {
    await this.sleepOutPause();
    if (this.active < this.concurrency && (retry || this.waiters.length === 0)) {
      this.active++;
    } else {
      // First come, first served: `release` counts the waiter in before waking it, so a slot is
      // handed over rather than raced for (thousands of set items may wait here).
      await new Promise<void>((resolve) => (retry ? this.waiters.unshift(resolve) : this.waiters.push(resolve)));
      await this.sleepOutPause();
    }
    return { epoch: this.state.epoch, inFlight: this.active };
  }

  release(ticket: Ticket, outcome: CallOutcome): void {
    this.active--;
    this.state = nextLimiterState(this.state, ticket, outcome, this.bounds, limiterClock.now());
    if (outcome.kind === "success") this.waitOutRateWindow(outcome.signals);
    while (this.waiters.length > 0 && this.active < this.concurrency) {
      this.active++;
      this.waiters.shift()?.();
    }
  }

  /** Exchange: when fewer calls remain in the rate window than are in flight, nobody starts another until it resets. */
  private waitOutRateWindow(signals: BudgetSignals | undefined): void {
    if (signals?.rateLimitRemaining === undefined || signals.rateLimitRemaining > this.active || !signals.rateLimitReset) return;
    const reset = Date.parse(signals.rateLimitReset);
    if (!Number.isNaN(reset)) this.pause(reset - limiterClock.now());
  }

  // Each caller sleeps out the pause itself: a shared wake-up timer can fire a tick before
  // the clock reaches the end of the pause and leave everyone asleep.
  private async sleepOutPause(): Promise<void> {
    for (let pausedFor = this.pausedForMs; pausedFor > 0; pausedFor = this.pausedForMs) await limiterClock.sleep(pausedFor);
  }

  /** Holds every caller of this API back until `delayMs` from now. */
  pause(delayMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, limiterClock.now() + delayMs);
  }
}

const limiters = new Map<ApiName, AdaptiveLimiter>();

/** The process's limiter for `api`: everything a provider process sends to that API shares it. */
export function limiterFor(api: ApiName): AdaptiveLimiter {
  let limiter = limiters.get(api);
  if (!limiter) {
    limiter = new AdaptiveLimiter(DEFAULT_CONCURRENCY[api]);
    limiters.set(api, limiter);
  }
  return limiter;
}

/** Forgets every limiter, as a new provider process would (tests). */
export function resetLimiters(): void {
  limiters.clear();
}
