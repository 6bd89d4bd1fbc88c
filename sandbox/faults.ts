/**
 * Fault injection and request statistics. Random decisions come from one seeded PRNG per API,
 * drawn in request order, so the same seed and the same requests replay the same faults.
 */

export type FaultApi = "entra" | "graph" | "exchange" | "gmail" | "directory";
export const FAULT_APIS: FaultApi[] = ["entra", "graph", "exchange", "gmail", "directory"];

export type MsRange = [number, number];

/**
 * How long an API takes to answer: a range per operation (an Exchange cmdlet such as
 * `New-MailUser`, or a method and path template such as `POST /users/{id}/assignLicense`), drawn
 * uniformly, plus a rare slow outlier on top. Refusals (throttled answers) take `refusalMs`.
 */
export interface LatencyModel {
  defaultMs: MsRange;
  byOperation?: Record<string, MsRange>;
  /** Share of requests (0–1) that take `outlierMs` longer. */
  outlierRate?: number;
  outlierMs?: MsRange;
  /** A throttled answer is quick: the service refuses before doing the work. @default the operation's range */
  refusalMs?: MsRange;
}

/**
 * Microsoft Graph's identity and access budget per app and tenant (concepts/throttling-limits.md,
 * "Identity and access service limits"): resource units per 10 s by tenant size, writes per 150 s,
 * each a token bucket of request costs (`identityRequestCost`).
 */
export interface IdentityBudget {
  /** Resource units per `perSeconds` for tenants of under 50 users (S), 50–500 (M) and over 500 (L). */
  resourceUnits: { small: number; medium: number; large: number; perSeconds: number };
  writes: { requests: number; perSeconds: number };
  /** Depth of each bucket in seconds of its refill (not published: docs/benchmark.md). */
  burstSeconds: number;
}

export interface ApiFaults {
  /** Share of requests answered with a random 500 or 503 (0–1). */
  errorRate?: number;
  /** Share of requests answered with the API's throttling answer, Retry-After 1 s (0–1). */
  throttleRate?: number;
  /** Share of requests whose connection is destroyed without an answer (0–1). */
  dropRate?: number;
  /** Added latency in ms: a fixed value or a [min, max] range. */
  latencyMs?: number | [number, number];
  /** Latency by operation with outliers; replaces `latencyMs`. */
  latency?: LatencyModel;
  /** Graph only: the identity budget (token buckets of request costs, tenant-size dependent). */
  identityBudget?: IdentityBudget;
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

/** What the fault injector needs to know of a request: its operation, and for Graph its cost. */
export interface FaultRequest {
  /** The statistics' operation: the cmdlet, or method and path template. */
  operation: string;
  method: string;
  /** The API's own path, e.g. `/v1.0/users/jane@contoso.com` for Graph. */
  path: string;
  query?: URLSearchParams;
}

export type FaultDecision =
  | { kind: "pass"; latencyMs: number; headers?: Record<string, string> }
  | { kind: "drop"; latencyMs: number }
  | { kind: "error"; status: 500 | 503; latencyMs: number }
  | {
      kind: "throttle";
      retryAfterSeconds: number;
      reason: "rate" | "concurrency";
      latencyMs: number;
      /** Graph's `x-ms-throttle-information` (e.g. `WriteLimitExceeded`). */
      information?: string;
    };

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

/** The identity budget's tenant sizes (throttling-limits.md: S under 50 users, M 50–500, L above 500). */
export function tenantSizeOf(users: number): "small" | "medium" | "large" {
  return users < 50 ? "small" : users <= 500 ? "medium" : "large";
}

/**
 * Base costs of identity requests that are not 1 (throttling-limits.md, "Identity and access
 * service limits"), by method and path with ids as `{id}`; `me/…` costs apply to `users/{id}/…`.
 */
const IDENTITY_BASE_COSTS: Record<string, number> = {
  "GET /applications": 2,
  "GET /applications/{id}/extensionProperties": 2,
  "GET /contracts": 3,
  "POST /directoryObjects/getByIds": 3,
  "GET /domains/{id}/domainNameReferences": 4,
  "POST /getObjectsById": 3,
  "GET /groups/{id}/members": 3,
  "GET /groups/{id}/transitiveMembers": 5,
  "POST /isMemberOf": 4,
  "POST /users/{id}/checkMemberGroups": 4,
  "POST /users/{id}/checkMemberObjects": 4,
  "POST /users/{id}/getMemberGroups": 2,
  "POST /users/{id}/getMemberObjects": 2,
  "GET /users/{id}/licenseDetails": 2,
  "GET /users/{id}/memberOf": 2,
  "GET /users/{id}/ownedObjects": 2,
  "GET /users/{id}/transitiveMemberOf": 2,
  "GET /oauth2PermissionGrants": 2,
  "GET /oauth2PermissionGrants/{id}": 2,
  "GET /servicePrincipals/{id}/appRoleAssignments": 2,
  "GET /subscribedSkus": 3,
  "GET /users": 2,
};

/**
 * One Graph request's cost against the identity budget: its base cost (1 unless listed), 1 less
 * with `$select`, 1 more with `$expand`, 1 less with `$top` under 20, never below 1; every method
 * but GET is also one write.
 */
export function identityRequestCost(method: string, path: string, query: URLSearchParams = new URLSearchParams()): { resourceUnits: number; writes: number } {
  const template = pathTemplate(path.replace(/^\/(v1\.0|beta)(?=\/)/, "").replace(/^\/me(?=\/|$)/, "/users/{id}"));
  let units = IDENTITY_BASE_COSTS[`${method} ${template}`] ?? 1;
  if (query.has("$select")) units--;
  if (query.has("$expand")) units++;
  const top = Number(query.get("$top"));
  if (query.has("$top") && top < 20) units--;
  return { resourceUnits: Math.max(1, units), writes: method === "GET" ? 0 : 1 };
}

/** A token bucket: `capacity` tokens, refilled at `perSecond`; it may go below zero (throttled requests count too). */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  level(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = now;
    return this.tokens;
  }

  /** Takes `cost`; false when the bucket did not hold it (it is taken all the same, down to −capacity). */
  take(cost: number, now: number): boolean {
    const enough = this.level(now) >= cost;
    this.tokens = Math.max(-this.capacity, this.tokens - cost);
    return enough;
  }

  /** Seconds until `cost` tokens are there. */
  secondsUntil(cost: number, now: number): number {
    return Math.max(0, (cost - this.level(now)) / this.perSecond);
  }

  /** Share of the bucket in use, 0 (full) to 2 (as far below zero as it can go). */
  usage(now: number): number {
    return 1 - this.level(now) / this.capacity;
  }
}

export interface FaultInjectorContext {
  /** Users of the tenant the requests are for (the identity budget's tenant size). */
  tenantUsers?: () => number;
}

export class FaultInjector {
  private readonly random = new Map<FaultApi, () => number>();
  private readonly windows = new Map<FaultApi, { start: number; count: number }>();
  private readonly inFlight = new Map<FaultApi, number>();
  private identity?: { size: string; resourceUnits: TokenBucket; writes: TokenBucket };

  constructor(
    readonly settings: FaultSettings,
    private readonly context: FaultInjectorContext = {},
  ) {
    for (const api of FAULT_APIS) this.random.set(api, seededRandom(apiSeed(settings.seed ?? 1, api)));
  }

  faultsFor(api: FaultApi): ApiFaults {
    return this.settings.apis?.[api] ?? {};
  }

  /**
   * Decides the fate of the next request of `api`; every call draws the same number of values
   * (two more when the API has a latency model).
   */
  decide(api: FaultApi, now = Date.now(), request?: FaultRequest): FaultDecision {
    const faults = this.faultsFor(api);
    const next = this.random.get(api) as () => number;
    const [dropDraw, errorDraw, kindDraw, latencyDraw] = [next(), next(), next(), next()];
    const model = faults.latency;
    const latencyMs = model ? modelLatency(model, request?.operation, latencyDraw, next(), next()) : latency(faults.latencyMs, latencyDraw);
    const refusalMs = model?.refusalMs ? inRange(model.refusalMs, latencyDraw) : latencyMs;
    const throttled = this.throttle(api, request, now);
    if (throttled) return { ...throttled, latencyMs: refusalMs };
    // The deciding request is not in flight yet: `maxConcurrent` others already are → refuse it.
    if (faults.maxConcurrent !== undefined && (this.inFlight.get(api) ?? 0) >= faults.maxConcurrent) {
      return { kind: "throttle", retryAfterSeconds: 1, reason: "concurrency", latencyMs: refusalMs };
    }
    if (dropDraw < (faults.dropRate ?? 0)) return { kind: "drop", latencyMs };
    // Throttling shares the error draw (below throttleRate, then errorRate above it), so settings
    // without throttleRate replay exactly as before.
    const throttleRate = faults.throttleRate ?? 0;
    if (errorDraw < throttleRate) return { kind: "throttle", retryAfterSeconds: 1, reason: "rate", latencyMs };
    if (errorDraw < throttleRate + (faults.errorRate ?? 0)) return { kind: "error", status: kindDraw < 0.5 ? 500 : 503, latencyMs };
    const headers = this.identityHeaders(api, request, now);
    return headers ? { kind: "pass", latencyMs, headers } : { kind: "pass", latencyMs };
  }

  /**
   * Counts one request against the rate limit and the identity budget; a throttling decision once
   * either is spent. Also used for each step of a Graph `$batch` (each is throttled on its own).
   */
  throttle(api: FaultApi, request?: FaultRequest, now = Date.now()): Extract<FaultDecision, { kind: "throttle" }> | undefined {
    const limit = this.faultsFor(api).rateLimit;
    const window = this.currentWindow(api, now);
    window.count++;
    const overBudget = this.chargeIdentityBudget(api, request, now);
    if (limit && window.count > limit.requests) {
      return { kind: "throttle", retryAfterSeconds: Math.max(1, Math.ceil((window.start + limit.perSeconds * 1000 - now) / 1000)), reason: "rate", latencyMs: 0 };
    }
    return overBudget;
  }

  private identityBuckets(api: FaultApi, now: number): { resourceUnits: TokenBucket; writes: TokenBucket } | undefined {
    const budget = api === "graph" ? this.faultsFor(api).identityBudget : undefined;
    if (!budget) return undefined;
    const size = tenantSizeOf(this.context.tenantUsers?.() ?? 0);
    if (this.identity?.size !== size) {
      const units = budget.resourceUnits[size] / budget.resourceUnits.perSeconds;
      const writes = budget.writes.requests / budget.writes.perSeconds;
      this.identity = {
        size,
        resourceUnits: new TokenBucket(units * budget.burstSeconds, units, now),
        writes: new TokenBucket(writes * budget.burstSeconds, writes, now),
      };
    }
    return this.identity;
  }

  private chargeIdentityBudget(api: FaultApi, request: FaultRequest | undefined, now: number): Extract<FaultDecision, { kind: "throttle" }> | undefined {
    const buckets = request && this.identityBuckets(api, now);
    if (!buckets || !request) return undefined;
    const cost = identityRequestCost(request.method, request.path, request.query);
    const unitsHeld = buckets.resourceUnits.take(cost.resourceUnits, now);
    const writesHeld = cost.writes === 0 || buckets.writes.take(cost.writes, now);
    if (unitsHeld && writesHeld) return undefined;
    const waitSeconds = Math.max(buckets.resourceUnits.secondsUntil(cost.resourceUnits, now), buckets.writes.secondsUntil(cost.writes, now));
    return {
      kind: "throttle",
      retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)),
      reason: "rate",
      latencyMs: 0,
      information: writesHeld ? "ResourceUnitLimitExceeded" : "WriteLimitExceeded",
    };
  }

  /** Graph's answer headers under an identity budget: the request's resource units, and the use of the fuller bucket above 0.8. */
  private identityHeaders(api: FaultApi, request: FaultRequest | undefined, now: number): Record<string, string> | undefined {
    const buckets = request && this.identityBuckets(api, now);
    if (!buckets || !request) return undefined;
    const usage = Math.max(buckets.resourceUnits.usage(now), buckets.writes.usage(now));
    return {
      "x-ms-resource-unit": String(identityRequestCost(request.method, request.path, request.query).resourceUnits),
      ...(usage > 0.8 ? { "x-ms-throttle-limit-percentage": usage.toFixed(2) } : {}),
    };
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

function inRange([low, high]: MsRange, draw: number): number {
  return Math.round(low + (high - low) * draw);
}

function latency(setting: ApiFaults["latencyMs"], draw: number): number {
  if (setting === undefined) return 0;
  if (typeof setting === "number") return setting;
  return inRange(setting, draw);
}

function modelLatency(model: LatencyModel, operation: string | undefined, draw: number, outlierDraw: number, outlierSizeDraw: number): number {
  const base = inRange((operation !== undefined ? model.byOperation?.[operation] : undefined) ?? model.defaultMs, draw);
  const outlier = model.outlierMs && outlierDraw < (model.outlierRate ?? 0) ? inRange(model.outlierMs, outlierSizeDraw) : 0;
  return base + outlier;
}

/** The mean latency of `operation` under a model: what the bench's ideal time counts per call. */
export function meanLatencyMs(model: LatencyModel, operation: string): number {
  const [low, high] = model.byOperation?.[operation] ?? model.defaultMs;
  const outlier = model.outlierMs ? (model.outlierRate ?? 0) * ((model.outlierMs[0] + model.outlierMs[1]) / 2) : 0;
  return (low + high) / 2 + outlier;
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
