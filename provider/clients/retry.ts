/**
 * The one retry policy for Graph, the Exchange admin API and the Google APIs, each call run under
 * its API's adaptive concurrency limiter (limiter.ts). The libraries' own retry layers are
 * switched off (see each client), so a failed call is retried here and only here. Decisions and
 * defaults: docs/clients.md.
 */
import { ApiError, type ApiName } from "./errors";
import { limiterClock, limiterFor, type AdaptiveLimiter, type BudgetSignals, type CallOutcome } from "./limiter";

export type FailureKind = "throttled" | "unavailable" | "serverError" | "network" | "fatal";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /**
   * HTTP 500 answers a call may get before it gives up (a bug on its side as often as a blip).
   * Only 500s count: a call throttled twice and then answered 500 has had one.
   */
  maxServerErrorAttempts: number;
  /** No retry starts once this much time (first attempt to end of the next wait) would be exceeded. */
  maxElapsedMs: number;
  /** First backoff step when the server gave no Retry-After; doubles per attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  maxServerErrorAttempts: 3,
  maxElapsedMs: 180_000,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
});

let activePolicy: RetryPolicy = { ...DEFAULT_RETRY_POLICY };

/** Changes the policy for this process (the tests shorten it). */
export function setRetryPolicy(changes: Partial<RetryPolicy>): RetryPolicy {
  activePolicy = { ...activePolicy, ...changes };
  return { ...activePolicy };
}

const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "TimeoutError",
]);

const GMAIL_RATE_LIMIT_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded"]);
const EXCHANGE_TENANT_CONCURRENCY = "maximum number of concurrent requests per tenant";

interface FailureFacts {
  status?: number;
  reasons: string[];
  networkCode?: string;
  message: string;
  retryAfter?: string;
  rateLimitReset?: string;
}

function factsOf(error: unknown): FailureFacts {
  const source = (error && typeof error === "object" ? error : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    status: typeof source.status === "number" ? source.status : undefined,
    reasons: Array.isArray(source.reasons) ? source.reasons.filter((r): r is string => typeof r === "string") : [],
    networkCode: text(source.networkCode),
    message: text(source.message) ?? String(error),
    retryAfter: text(source.retryAfter),
    rateLimitReset: text(source.rateLimitReset),
  };
}

/** Whether a throttled answer refused the call for the tenant's concurrency (Exchange's text) or for a rate. */
export function throttleReason(error: unknown): "concurrency" | "rate" {
  return factsOf(error).message.toLowerCase().includes(EXCHANGE_TENANT_CONCURRENCY) ? "concurrency" : "rate";
}

/** What kind of failure this is, from an ApiError (or anything shaped like one). */
export function classifyFailure(error: unknown): FailureKind {
  const facts = factsOf(error);
  if (facts.message.toLowerCase().includes(EXCHANGE_TENANT_CONCURRENCY)) return "throttled";
  if (facts.status === 429) return "throttled";
  if (facts.status === 403 && facts.reasons.some((reason) => GMAIL_RATE_LIMIT_REASONS.has(reason))) return "throttled";
  if (facts.status === 408 || facts.status === 502 || facts.status === 503 || facts.status === 504) return "unavailable";
  if (facts.status === 500) return "serverError";
  if (facts.status === undefined && facts.networkCode && TRANSIENT_NETWORK_CODES.has(facts.networkCode)) return "network";
  return "fatal";
}

export function isRetryable(error: unknown): boolean {
  return classifyFailure(error) !== "fatal";
}

/** Transport failures that happen before a request leaves: nothing can have been applied. */
const NOT_SENT_NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Whether a failed call may have been applied all the same: no answer after the request left
 * (reset, timeout), a 2xx we could not read, 408 or a 5xx. A throttled answer (429, Exchange's
 * concurrency text, Gmail's rate-limit reasons) proves nothing was done, and so do other 4xx
 * answers and failures before sending (refused connection, unknown host, TLS, no token).
 */
export function outcomeIsUnknown(error: unknown): boolean {
  if (classifyFailure(error) === "throttled") return false;
  const { status, networkCode } = factsOf(error);
  if (status !== undefined) return (status >= 200 && status < 300) || status === 408 || status >= 500;
  if (!networkCode || NOT_SENT_NETWORK_CODES.has(networkCode)) return false;
  return !/^ERR_TLS_|CERT|SELF_SIGNED/.test(networkCode);
}

/** What a caller is told when a non-idempotent call was not repeated. */
export const OUTCOME_UNKNOWN_NOTE =
  " (outcome unknown: the call may have been applied, so it was not repeated; read the object, then retry or take it over)";

/** `Retry-After` as milliseconds from `now`: delta-seconds (fractions allowed) or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long to wait before attempt `attempt + 1`. The server's Retry-After wins; a throttled
 * answer without it waits for Rate-Limit-Reset; otherwise jittered exponential backoff
 * (between half and all of base·2^(attempt-1), capped).
 */
export function retryDelayFor(
  error: unknown,
  attempt: number,
  now: number = Date.now(),
  random: () => number = Math.random,
  policy: RetryPolicy = activePolicy,
): number {
  const facts = factsOf(error);
  const serverDelay = parseRetryAfter(facts.retryAfter, now);
  if (serverDelay !== undefined) return serverDelay;
  if (classifyFailure(error) === "throttled") {
    // Exchange's Rate-Limit-Reset is an ISO timestamp, which parseRetryAfter reads as a date.
    const resetDelay = parseRetryAfter(facts.rateLimitReset, now);
    if (resetDelay !== undefined) return resetDelay;
  }
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}

/** What a call has been through, the failure just seen included. */
export interface RetryHistory {
  /** Attempts made, the first included. */
  attempts: number;
  /** Of those, the ones answered with HTTP 500. */
  serverErrors: number;
  /** Of those, the ones refused for throttling (none when absent). */
  throttled?: number;
  elapsedMs: number;
}

/** Whether to try again after this history and a wait of `delayMs` ahead. */
export function shouldRetry(kind: FailureKind, history: RetryHistory, delayMs: number, policy: RetryPolicy = activePolicy): boolean {
  if (kind === "fatal") return false;
  // A throttled answer asks for a wait and proves nothing ran: it is retried for as long as the
  // time budget allows (a tenant shared with another pipeline refuses for concurrency for seconds
  // on end), and does not use up the attempts other failures get.
  if (kind !== "throttled" && history.attempts - (history.throttled ?? 0) >= policy.maxAttempts) return false;
  if (kind === "serverError" && history.serverErrors >= policy.maxServerErrorAttempts) return false;
  return history.elapsedMs + delayMs <= policy.maxElapsedMs;
}

export function sleep(ms: number): Promise<void> {
  return limiterClock.sleep(ms);
}

export interface CallSafety {
  /**
   * False for a call whose repetition could do something twice or answer misleadingly (it
   * creates, validates or sends mail; docs/clients.md lists them): after a failure whose outcome
   * is unknown it is not retried but thrown with `outcomeUnknown` set. Default true.
   */
  idempotent?: boolean;
}

/** What an operation tells `withRetry` besides its result: the budget signals of the answer it got. */
export type ObserveSignals = (signals: BudgetSignals) => void;

/**
 * Runs `operation` under the API's limiter and retries it by the policy. `operation` must throw
 * our ApiError shapes (each client converts its library's errors before they get here), and may
 * report the budget headers of its answer through `observe`. `limiter` is the process's for `api`
 * (the simulation tests give each simulated stack its own).
 */
export async function withRetry<T>(
  api: ApiName,
  operation: (attempt: number, observe: ObserveSignals) => Promise<T>,
  safety: CallSafety = {},
  limiter: AdaptiveLimiter = limiterFor(api),
): Promise<T> {
  let started: number | undefined;
  let serverErrors = 0;
  let throttled = 0;
  for (let attempt = 1; ; attempt++) {
    const ticket = await limiter.acquire(attempt > 1);
    // The time budget runs from the first attempt: waiting for a slot behind thousands of set items is not retrying.
    started ??= limiterClock.now();
    let signals: BudgetSignals | undefined;
    try {
      const result = await operation(attempt, (observed) => (signals = observed));
      limiter.release(ticket, { kind: "success", signals });
      return result;
    } catch (error) {
      const kind = classifyFailure(error);
      const reason = kind === "throttled" ? throttleReason(error) : undefined;
      const outcome: CallOutcome = reason ? { kind: "refused", reason } : { kind: "other" };
      limiter.release(ticket, outcome);
      if (safety.idempotent === false && error instanceof ApiError && outcomeIsUnknown(error)) {
        error.outcomeUnknown = true;
        error.message += OUTCOME_UNKNOWN_NOTE;
        throw error;
      }
      if (kind === "serverError") serverErrors++;
      if (kind === "throttled") throttled++;
      const delay = retryDelayFor(error, attempt, limiterClock.now());
      const elapsedMs = limiterClock.now() - started;
      if (!shouldRetry(kind, { attempts: attempt, serverErrors, throttled, elapsedMs }, delay)) {
        if (kind !== "fatal" && error instanceof ApiError) {
          error.retryNote = ` (gave up after ${attempt} attempt${attempt === 1 ? "" : "s"} in ${Math.round(elapsedMs / 1000)} s)`;
          error.message += error.retryNote;
        }
        throw error;
      }
      // A rate refusal holds every caller of the API back; a concurrency refusal only this call
      // (the lower limit already keeps the others within the tenant's concurrency), unless the
      // limit is at its minimum: then other stacks hold the tenant, and each of our queued calls
      // would be refused in turn, hundreds a minute, instead of waiting.
      if (reason === "rate" || (reason === "concurrency" && limiter.atMinimum)) limiter.pause(delay);
      await sleep(delay);
    }
  }
}
