/**
 * Named throttling profiles: budgets and latencies the sandbox answers with, which the provider is
 * never told. It sees only what the real services send: 429 with Retry-After, Exchange's
 * tenant-concurrency text and Rate-Limit-* headers, Graph's x-ms-resource-unit and
 * x-ms-throttle-limit-percentage. Figures and sources: docs/benchmark.md, "Throttling profiles".
 */
import { meanLatencyMs, tenantSizeOf, type ApiFaults, type ApiStats, type FaultSettings, type LatencyModel } from "./faults";

/**
 * Exchange admin API latency per cmdlet, in ms. No source publishes InvokeCommand timings; a
 * cmdlet over REST takes about half a second to two seconds (issue 18), creates are the slowest,
 * and about one call in a hundred takes several seconds more.
 */
export const EXCHANGE_LATENCY: LatencyModel = {
  defaultMs: [500, 1500],
  byOperation: {
    "Get-Recipient": [400, 1000],
    "Get-Mailbox": [400, 1000],
    "Get-MailUser": [400, 1000],
    "Get-AcceptedDomain": [400, 900],
    "Get-OutboundConnector": [400, 900],
    "New-MailUser": [1200, 2200],
    "Set-MailUser": [700, 1500],
    "Set-Mailbox": [700, 1500],
    "Remove-MailUser": [600, 1300],
    "Set-AcceptedDomain": [700, 1400],
    "New-OutboundConnector": [900, 1800],
    "Set-OutboundConnector": [800, 1600],
    "Remove-OutboundConnector": [700, 1400],
    "Validate-OutboundConnector": [4000, 10000],
  },
  outlierRate: 0.01,
  outlierMs: [3000, 8000],
  refusalMs: [50, 150],
};

/** Graph latency per operation, in ms: reads of one object are quick, licence assignment and verification slower. */
export const GRAPH_LATENCY: LatencyModel = {
  defaultMs: [100, 400],
  byOperation: {
    "GET /users/{id}": [80, 250],
    "GET /users": [600, 1500],
    "PATCH /users/{id}": [150, 400],
    "POST /users/{id}/assignLicense": [300, 900],
    "GET /subscribedSkus": [150, 400],
    "POST /domains": [300, 800],
    "POST /domains/{id}/verify": [500, 1500],
    "PATCH /domains/{id}": [200, 600],
    "DELETE /domains/{id}": [300, 900],
  },
  outlierRate: 0.005,
  outlierMs: [1000, 3000],
  refusalMs: [30, 100],
};

/** Gmail settings calls, in ms; creating a forwarding address is the slow one. */
export const GMAIL_LATENCY: LatencyModel = {
  defaultMs: [100, 350],
  byOperation: { "POST /gmail/v1/users/{id}/settings/forwardingAddresses": [300, 800] },
  outlierRate: 0.005,
  outlierMs: [1000, 3000],
  refusalMs: [30, 100],
};

/**
 * Graph's identity and access budget per app and tenant, from Microsoft's table
 * (microsoftgraph/microsoft-graph-docs-contrib concepts/throttling-limits.md, "Identity and access
 * service limits"): 3,500 / 5,000 / 8,000 resource units per 10 s for tenants of under 50 users /
 * 50–500 / over 500, and 3,000 writes per 2 min 30 s. The buckets' depth is not published: 10 s
 * of refill (so writes burst to 200, then 20 a second).
 */
export const GRAPH_IDENTITY_BUDGET = {
  resourceUnits: { small: 3_500, medium: 5_000, large: 8_000, perSeconds: 10 },
  writes: { requests: 3_000, perSeconds: 150 },
  burstSeconds: 10,
};

/** Gmail: 1,200,000 quota units per minute per project at 100 units for the costliest call (google-workspace.md §1.4, §1.7). */
const GMAIL_RATE = { requests: 12_000, perSeconds: 60 };
/** Exchange's Rate-Limit-Limit with its undocumented window (exchange-admin-api.md §1.8). */
const EXCHANGE_RATE = { requests: 30_000, perSeconds: 60 };

function realistic(exchangeInFlight: number): Partial<Record<"graph" | "exchange" | "gmail" | "directory", ApiFaults>> {
  return {
    exchange: { maxConcurrent: exchangeInFlight, rateLimit: EXCHANGE_RATE, latency: EXCHANGE_LATENCY },
    graph: { identityBudget: GRAPH_IDENTITY_BUDGET, latency: GRAPH_LATENCY },
    gmail: { rateLimit: GMAIL_RATE, latency: GMAIL_LATENCY },
    directory: { latency: { defaultMs: [100, 300] } },
  };
}

export const THROTTLING_PROFILES = {
  /** The bench's budgets before the profiles: 3 Exchange requests in flight at 100 ms, Graph 200 requests per 10 s at 50 ms. */
  fixed: {
    exchange: { maxConcurrent: 3, rateLimit: EXCHANGE_RATE, latencyMs: 100 },
    graph: { rateLimit: { requests: 200, perSeconds: 10 }, latencyMs: 50 },
    gmail: { rateLimit: GMAIL_RATE, latencyMs: 50 },
  },
  "exchange-3": realistic(3),
  "exchange-10": realistic(10),
  "exchange-30": realistic(30),
  /** No budget and no latency: for setting up a large tenant quickly before the measured steps. */
  unthrottled: {},
} satisfies Record<string, FaultSettings["apis"]>;

export type ThrottlingProfile = keyof typeof THROTTLING_PROFILES;
export const PROFILE_NAMES = Object.keys(THROTTLING_PROFILES) as ThrottlingProfile[];

/** The sandbox's fault settings for a profile; `seed` fixes every random draw (latency, outliers). */
export function profileFaults(profile: ThrottlingProfile, seed = 7): FaultSettings {
  const apis = THROTTLING_PROFILES[profile];
  if (!apis) throw new Error(`unknown throttling profile ${JSON.stringify(profile)}; use one of ${PROFILE_NAMES.join(", ")}`);
  return { seed, apis };
}

type Budgets = NonNullable<FaultSettings["apis"]>;

/** Mean answer time of `operation` in ms under a profile's latency setting. */
export function meanMs(faults: Budgets[keyof Budgets], operation: string): number {
  if (faults?.latency) return meanLatencyMs(faults.latency, operation);
  const fixed = faults?.latencyMs;
  return typeof fixed === "number" ? fixed : fixed ? (fixed[0] + fixed[1]) / 2 : 0;
}

/**
 * The shortest time a profile's budget allows for these calls (throttled answers not counted),
 * per API, the slowest API winning: Exchange's calls × their mean latency ÷ the requests allowed
 * in flight, or its rate; Graph's writes (and resource units) beyond the identity budget's burst
 * at its refill rate, or its rate; Gmail's rate.
 */
export function budgetSeconds(apis: Record<string, ApiStats>, profile: ThrottlingProfile, tenantUsers: number): number {
  const budgets: Budgets = THROTTLING_PROFILES[profile];
  let slowest = 0;
  for (const [api, stats] of Object.entries(apis)) {
    const faults = budgets[api as keyof Budgets];
    if (!faults) continue;
    const calls = stats.requests - (stats.faults.throttle ?? 0);
    const callsOf = (predicate: (operation: string) => boolean) => Object.entries(stats.byOperation).filter(([name]) => predicate(name)).reduce((sum, [, count]) => sum + count, 0);
    if (faults.rateLimit) slowest = Math.max(slowest, calls / (faults.rateLimit.requests / faults.rateLimit.perSeconds));
    if (faults.maxConcurrent) {
      const busyMs = Object.entries(stats.byOperation).reduce((sum, [name, count]) => sum + count * meanMs(faults, name), 0) * (calls / Math.max(1, stats.requests));
      slowest = Math.max(slowest, busyMs / 1000 / faults.maxConcurrent);
    }
    const identity = faults.identityBudget;
    if (identity) {
      const writes = callsOf((name) => !name.startsWith("GET "));
      const writeRate = identity.writes.requests / identity.writes.perSeconds;
      const unitRate = identity.resourceUnits[tenantSizeOf(tenantUsers)] / identity.resourceUnits.perSeconds;
      slowest = Math.max(slowest, (writes - writeRate * identity.burstSeconds) / writeRate, (calls - unitRate * identity.burstSeconds) / unitRate);
    }
  }
  return slowest;
}
