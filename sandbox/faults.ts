/**
 * Fault injection and request statistics. Random decisions come from one seeded PRNG per API,
 * drawn in request order, so the same seed and the same requests replay the same faults.
 */

export type FaultApi = "entra" | "graph" | "exchange" | "gmail" | "directory";
export const FAULT_APIS: FaultApi[] = ["entra", "graph", "exchange", "gmail", "directory"];

export interface ApiFaults {
  /** Share of requests answered with a random 500 or 503 (0–1). */
  errorRate?: number;
  /** Share of requests answered with the API's throttling answer, Retry-After 1 s (0–1). */
  throttleRate?: number;
  /** Share of requests whose connection is destroyed without an answer (0–1). */
  dropRate?: number;
  /** Added latency in ms: a fixed value or a [min, max] range. */
  latencyMs?: number | [number, number];
  /** At most `requests` per `perSeconds`-second window; beyond that the API's throttling answer. */
  rateLimit?: { requests: number; perSeconds: number };
  /** Exchange only: requests in flight at once before the tenant-concurrency error. */
  maxConcurrent?: number;
  /** Gmail/Directory only: answer throttling with 403 rateLimitExceeded (default) or 429. */
  throttleStatus?: 403 | 429;
}

export interface FaultSettings {
  seed?: number;
  apis?: Partial<Record<FaultApi, ApiFaults>>;
}

export type FaultDecision =
  | { kind: "pass"; latencyMs: number }
  | { kind: "drop"; latencyMs: number }
  | { kind: "error"; status: 500 | 503; latencyMs: number }
  | { kind: "throttle"; retryAfterSeconds: number; reason: "rate" | "concurrency"; latencyMs: number };

/** mulberry32: tiny, fast, and good enough to spread faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function apiSeed(seed: number, api: FaultApi): number {
  return [...api].reduce((hash, char) => Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0, (seed ^ 2166136261) >>> 0);
}

export function validateFaultSettings(settings: unknown): FaultSettings {
  if (typeof settings !== "object" || settings === null) throw new Error("faults must be a JSON object like {\"seed\":1,\"apis\":{\"graph\":{\"errorRate\":0.1}}}.");
  const { seed, apis } = settings as FaultSettings;
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error("faults.seed must be an integer.");
  for (const [api, faults] of Object.entries(apis ?? {})) {
    if (!FAULT_APIS.includes(api as FaultApi)) throw new Error(`faults.apis.${api} is not an API; use one of ${FAULT_APIS.join(", ")}.`);
    for (const rate of ["errorRate", "dropRate", "throttleRate"] as const) {
      const value = faults?.[rate];
      if (value !== undefined && !(value >= 0 && value <= 1)) throw new Error(`faults.apis.${api}.${rate} must be between 0 and 1.`);
    }
    const limit = faults?.rateLimit;
    if (limit && !(limit.requests >= 1 && limit.perSeconds > 0)) throw new Error(`faults.apis.${api}.rateLimit needs requests ≥ 1 and perSeconds > 0.`);
  }
  return { seed: seed ?? 1, apis: apis ?? {} };
}

const NOMINAL_RATE_LIMIT = { requests: 30000, perSeconds: 60 };

export class FaultInjector {
  private readonly random = new Map<FaultApi, () => number>();
  private readonly windows = new Map<FaultApi, { start: number; count: number }>();
  private readonly inFlight = new Map<FaultApi, number>();

  constructor(readonly settings: FaultSettings) {
    for (const api of FAULT_APIS) this.random.set(api, seededRandom(apiSeed(settings.seed ?? 1, api)));
  }

  faultsFor(api: FaultApi): ApiFaults {
    return this.settings.apis?.[api] ?? {};
  }

  /** Decides the fate of the next request of `api`; every call draws the same number of values. */
  decide(api: FaultApi, now = Date.now()): FaultDecision {
    const faults = this.faultsFor(api);
    const next = this.random.get(api) as () => number;
    const [dropDraw, errorDraw, kindDraw, latencyDraw] = [next(), next(), next(), next()];
    const latencyMs = latency(faults.latencyMs, latencyDraw);
    const throttled = this.throttle(api, now);
    if (throttled) return { ...throttled, latencyMs };
    // The deciding request is not in flight yet: `maxConcurrent` others already are → refuse it.
    if (faults.maxConcurrent !== undefined && (this.inFlight.get(api) ?? 0) >= faults.maxConcurrent) {
      return { kind: "throttle", retryAfterSeconds: 1, reason: "concurrency", latencyMs };
    }
    if (dropDraw < (faults.dropRate ?? 0)) return { kind: "drop", latencyMs };
    // Throttling shares the error draw (below throttleRate, then errorRate above it), so settings
    // without throttleRate replay exactly as before.
    const throttleRate = faults.throttleRate ?? 0;
    if (errorDraw < throttleRate) return { kind: "throttle", retryAfterSeconds: 1, reason: "rate", latencyMs };
    if (errorDraw < throttleRate + (faults.errorRate ?? 0)) return { kind: "error", status: kindDraw < 0.5 ? 500 : 503, latencyMs };
    return { kind: "pass", latencyMs };
  }

  /** Counts one request against the rate limit; a throttling decision once the window is full. */
  throttle(api: FaultApi, now = Date.now()): Extract<FaultDecision, { kind: "throttle" }> | undefined {
    const limit = this.faultsFor(api).rateLimit;
    const window = this.currentWindow(api, now);
    window.count++;
    if (!limit || window.count <= limit.requests) return undefined;
    return { kind: "throttle", retryAfterSeconds: Math.max(1, Math.ceil((window.start + limit.perSeconds * 1000 - now) / 1000)), reason: "rate", latencyMs: 0 };
  }

  /** Exchange's `Rate-Limit-*` answer headers (X §1.8): the configured limit, else its nominal 30000 per minute. */
  rateLimitHeaders(api: FaultApi, now = Date.now()): Record<string, string> {
    const limit = this.faultsFor(api).rateLimit ?? NOMINAL_RATE_LIMIT;
    const window = this.currentWindow(api, now);
    return {
      "Rate-Limit-Limit": String(limit.requests),
      "Rate-Limit-Remaining": String(Math.max(0, limit.requests - window.count)),
      "Rate-Limit-Reset": new Date(window.start + limit.perSeconds * 1000).toISOString(),
    };
  }

  private currentWindow(api: FaultApi, now: number): { start: number; count: number } {
    const windowMs = (this.faultsFor(api).rateLimit ?? NOMINAL_RATE_LIMIT).perSeconds * 1000;
    let window = this.windows.get(api);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(api, window);
    }
    return window;
  }

  enter(api: FaultApi): void {
    this.inFlight.set(api, (this.inFlight.get(api) ?? 0) + 1);
  }

  leave(api: FaultApi): void {
    this.inFlight.set(api, Math.max(0, (this.inFlight.get(api) ?? 0) - 1));
  }
}

function latency(setting: ApiFaults["latencyMs"], draw: number): number {
  if (setting === undefined) return 0;
  if (typeof setting === "number") return setting;
  return Math.round(setting[0] + (setting[1] - setting[0]) * draw);
}

export interface ApiStats {
  requests: number;
  reads: number;
  writes: number;
  /** Per HTTP method and path template (Graph, Gmail) or per cmdlet (Exchange). */
  byOperation: Record<string, number>;
  /** Answers the fault injector gave instead of the API. */
  faults: Record<string, number>;
}

export class RequestStats {
  private apis: Record<string, ApiStats> = {};

  record(api: string, operation: string, read: boolean): void {
    const stats = (this.apis[api] ??= { requests: 0, reads: 0, writes: 0, byOperation: {}, faults: {} });
    stats.requests++;
    if (read) stats.reads++;
    else stats.writes++;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
  }

  recordFault(api: string, kind: string): void {
    const stats = (this.apis[api] ??= { requests: 0, reads: 0, writes: 0, byOperation: {}, faults: {} });
    stats.faults[kind] = (stats.faults[kind] ?? 0) + 1;
  }

  snapshot(): { total: number; apis: Record<string, ApiStats> } {
    return { total: Object.values(this.apis).reduce((sum, stats) => sum + stats.requests, 0), apis: structuredClone(this.apis) };
  }

  reset(): void {
    this.apis = {};
  }
}

/** `/users/jane@contoso.com/assignLicense` → `/users/{id}/assignLicense`, so stats group by operation. */
export function pathTemplate(path: string): string {
  return path
    .split("/")
    .map((segment) => (/[@%]|^[0-9a-f-]{36}$|^\d+$|\.[a-z]{2,}$/i.test(segment) ? "{id}" : segment))
    .join("/");
}
