import * as assert from "assert";
import { ApiError } from "../../../provider/clients/errors";
import {
  AdaptiveLimiter,
  DEFAULT_CONCURRENCY,
  FIRST_PROBE_AFTER,
  MOST_PROBE_AFTER,
  MOST_PROBE_INTERVAL_MS,
  budgetPressure,
  budgetSignalsOf,
  limiterClock,
  limiterFor,
  nextLimiterState,
  resetLimiters,
  type BudgetSignals,
  type LimiterState,
} from "../../../provider/clients/limiter";
import { withRetry } from "../../../provider/clients/retry";
import { restoreRetryPolicy, useFastRetries } from "./fixture";

const BOUNDS = { initial: 2, min: 1, max: 64 };
/** The time of the table's transitions: within MOST_PROBE_INTERVAL_MS of its states' last change (0). */
const NOW = 5_000;
const CONCURRENCY_TEXT = "You have reached the maximum number of concurrent requests per tenant. Please wait and try again";

describe("adaptive concurrency limiter", () => {
  describe("budgetPressure", () => {
    const cases: Array<{ name: string; signals?: BudgetSignals; expected: string }> = [
      { name: "no signals", expected: "grow" },
      { name: "Graph below 80 % (no header)", signals: {}, expected: "grow" },
      { name: "Graph at 85 %", signals: { budgetUsed: 0.85 }, expected: "hold" },
      { name: "Graph at 95 %", signals: { budgetUsed: 0.95 }, expected: "decrease" },
      { name: "Exchange with most of its window left", signals: { rateLimitRemaining: 29_000, rateLimitLimit: 30_000 }, expected: "grow" },
      { name: "Exchange with 8 % left", signals: { rateLimitRemaining: 2_400, rateLimitLimit: 30_000 }, expected: "hold" },
      { name: "Exchange with 3 % left", signals: { rateLimitRemaining: 900, rateLimitLimit: 30_000 }, expected: "decrease" },
    ];
    for (const { name, signals, expected } of cases) it(`${name} → ${expected}`, () => assert.strictEqual(budgetPressure(signals), expected));

    it("reads the signals from answer headers", () => {
      const headers = new Map([
        ["rate-limit-remaining", "29990"],
        ["rate-limit-limit", "30000"],
        ["rate-limit-reset", "2026-01-01T00:01:00Z"],
        ["x-ms-throttle-limit-percentage", "0.87"],
      ]);
      assert.deepStrictEqual(budgetSignalsOf((name) => headers.get(name)), {
        rateLimitRemaining: 29_990,
        rateLimitLimit: 30_000,
        rateLimitReset: "2026-01-01T00:01:00Z",
        budgetUsed: 0.87,
      });
    });
  });

  describe("nextLimiterState", () => {
    const state = (changes: Partial<LimiterState>): LimiterState => ({ limit: 4, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 3, changedAt: 0, ...changes });
    const ticket = { epoch: 3, inFlight: 4 };
    const success = { kind: "success" as const };
    const cases: Array<{ name: string; from: LimiterState; ticket?: typeof ticket; now?: number; outcome: Parameters<typeof nextLimiterState>[2]; expected: LimiterState }> = [
      { name: "slow start: one more per success until something is refused", from: state({}), outcome: success, expected: state({ limit: 5 }) },
      { name: "never above the maximum", from: state({ limit: 64 }), outcome: success, expected: state({ limit: 64 }) },
      {
        name: "below the ceiling (after a decrease): one more per success",
        from: state({ ceiling: 8 }),
        outcome: success,
        expected: state({ ceiling: 8, limit: 5 }),
      },
      {
        name: "refused at the ceiling: the budget shrank, the limit follows the calls in flight down",
        from: state({ limit: 10, ceiling: 10 }),
        ticket: { epoch: 3, inFlight: 8 },
        outcome: { kind: "refused", reason: "concurrency" },
        expected: { limit: 7, ceiling: 7, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 4, changedAt: NOW },
      },
      {
        name: "at the ceiling: successes are counted toward a probe",
        from: state({ ceiling: 4, atCeiling: 3 }),
        outcome: success,
        expected: state({ ceiling: 4, atCeiling: 4 }),
      },
      {
        name: "at the ceiling, after enough successes: one more is tried",
        from: state({ ceiling: 4, atCeiling: FIRST_PROBE_AFTER - 1 }),
        outcome: success,
        expected: state({ ceiling: 4, limit: 5, atCeiling: 0, changedAt: NOW }),
      },
      {
        name: "at the ceiling, MOST_PROBE_INTERVAL_MS after the last change: one more is tried, however many successes probeAfter asks",
        from: state({ ceiling: 4, atCeiling: 2, probeAfter: MOST_PROBE_AFTER }),
        now: MOST_PROBE_INTERVAL_MS,
        outcome: success,
        expected: state({ ceiling: 4, limit: 5, atCeiling: 0, probeAfter: MOST_PROBE_AFTER, changedAt: MOST_PROBE_INTERVAL_MS }),
      },
      {
        name: "a probe that lasts a round: the budget grew, the probe is the new ceiling and the next probe comes soon (no slow start again)",
        from: state({ ceiling: 4, limit: 5, atCeiling: 4, probeAfter: 64 }),
        outcome: success,
        expected: { limit: 5, ceiling: 10, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 3, changedAt: NOW },
      },
      {
        name: "slow start refused: the calls then in flight less one are the limit and the ceiling",
        from: state({ limit: 11 }),
        ticket: { epoch: 3, inFlight: 11 },
        outcome: { kind: "refused", reason: "concurrency" },
        expected: { limit: 10, ceiling: 10, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 4, changedAt: NOW },
      },
      {
        name: "a probe refused: back to the ceiling, the next probe twice as late",
        from: state({ limit: 11, ceiling: 10 }),
        ticket: { epoch: 3, inFlight: 11 },
        outcome: { kind: "refused", reason: "concurrency" },
        expected: { limit: 10, ceiling: 10, probeAfter: FIRST_PROBE_AFTER * 2, atCeiling: 0, epoch: 4, changedAt: NOW },
      },
      {
        name: "a refusal of a call sent before the last decrease is not acted on again",
        from: state({ limit: 10, ceiling: 10 }),
        ticket: { epoch: 2, inFlight: 12 },
        outcome: { kind: "refused", reason: "concurrency" },
        expected: state({ limit: 10, ceiling: 10 }),
      },
      {
        name: "a rate refusal halves",
        from: state({ limit: 12 }),
        outcome: { kind: "refused", reason: "rate" },
        expected: { limit: 6, ceiling: 6, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 4, changedAt: NOW },
      },
      { name: "never below the minimum", from: state({ limit: 1 }), ticket: { epoch: 3, inFlight: 1 }, outcome: { kind: "refused", reason: "concurrency" }, expected: { limit: 1, ceiling: 1, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 4, changedAt: NOW } },
      { name: "a budget nearly used holds", from: state({}), outcome: { kind: "success", signals: { budgetUsed: 0.85 } }, expected: state({}) },
      {
        name: "a budget used up decreases by a fifth",
        from: state({ limit: 10 }),
        outcome: { kind: "success", signals: { budgetUsed: 0.93 } },
        expected: { limit: 8, ceiling: 8, probeAfter: FIRST_PROBE_AFTER, atCeiling: 0, epoch: 4, changedAt: NOW },
      },
      { name: "other failures change nothing", from: state({ limit: 7 }), outcome: { kind: "other" }, expected: state({ limit: 7 }) },
    ];
    for (const { name, from, outcome, expected, ticket: sent = ticket, now = NOW } of cases) {
      it(name, () => assert.deepStrictEqual(nextLimiterState(from, sent, outcome, BOUNDS, now), expected));
    }
  });

  describe("AdaptiveLimiter", () => {
    it("lets no more than the limit run at once", async () => {
      const limiter = new AdaptiveLimiter({ initial: 1, min: 1, max: 1 });
      const order: string[] = [];
      const first = await limiter.acquire();
      const second = limiter.acquire().then((ticket) => (order.push("second started"), ticket));
      await Promise.resolve();
      order.push("first finished");
      limiter.release(first, { kind: "success" });
      limiter.release(await second, { kind: "success" });
      assert.deepStrictEqual(order, ["first finished", "second started"]);
    });

    it("serves thousands of waiting calls in arrival order, all of them, within the limit", async () => {
      const limiter = new AdaptiveLimiter({ initial: 3, min: 1, max: 3 });
      let running = 0;
      let most = 0;
      const started: number[] = [];
      await Promise.all(
        [...Array(3000).keys()].map(async (index) => {
          const ticket = await limiter.acquire();
          started.push(index);
          most = Math.max(most, ++running);
          await Promise.resolve();
          running--;
          limiter.release(ticket, { kind: "success" });
        }),
      );
      assert.strictEqual(started.length, 3000);
      assert.strictEqual(most, 3);
      assert.deepStrictEqual(started, [...started].sort((a, b) => a - b), "first come, first served");
    });

    it("gives a retried call the next free slot, ahead of calls not sent yet", async () => {
      const limiter = new AdaptiveLimiter({ initial: 1, min: 1, max: 1 });
      const order: string[] = [];
      const first = await limiter.acquire();
      const unsent = limiter.acquire().then((ticket) => (order.push("unsent"), ticket));
      const retried = limiter.acquire(true).then((ticket) => (order.push("retried"), ticket));
      await new Promise((resolve) => setImmediate(resolve));
      limiter.release(first, { kind: "success" });
      limiter.release(await retried, { kind: "success" });
      limiter.release(await unsent, { kind: "success" });
      assert.deepStrictEqual(order, ["retried", "unsent"]);
    });

    it("holds new callers back while paused, then lets them through", async () => {
      const limiter = new AdaptiveLimiter(BOUNDS);
      limiter.pause(20);
      assert.ok(limiter.pausedForMs > 0);
      limiter.release(await limiter.acquire(), { kind: "success" });
      assert.strictEqual(limiter.pausedForMs, 0);
    });

    it("waits for Exchange's rate window to reset when fewer calls remain in it than are in flight", async () => {
      const limiter = new AdaptiveLimiter(BOUNDS);
      const [first, second] = [await limiter.acquire(), await limiter.acquire()];
      limiter.release(first, { kind: "success", signals: { rateLimitRemaining: 1, rateLimitLimit: 30_000, rateLimitReset: new Date(Date.now() + 60_000).toISOString() } });
      limiter.release(second, { kind: "success" });
      assert.ok(limiter.pausedForMs > 50_000, `paused for ${limiter.pausedForMs} ms`);
    });
  });

  describe("withRetry under the limiter", () => {
    beforeEach(() => {
      useFastRetries();
      resetLimiters();
    });
    afterEach(() => {
      restoreRetryPolicy();
      resetLimiters();
    });

    it("holds back only the refused call on a concurrency refusal, everyone at the limiter's minimum and on a rate refusal", async () => {
      // `together` calls at once after a slow start to 10; the last of them is refused once.
      const pausedAfter = async (message: string, together: number): Promise<number> => {
        resetLimiters();
        for (let warm = 0; warm < 8; warm++) await withRetry("exchange", async () => undefined);
        let paused = -1;
        let refused = false;
        await Promise.all(
          Array.from({ length: together }, (_, index) =>
            withRetry("exchange", async () => {
              if (index < together - 1 || refused) return new Promise<void>((resolve) => setImmediate(resolve));
              refused = true;
              setImmediate(() => (paused = limiterFor("exchange").pausedForMs));
              throw new ApiError("exchange", message, { status: 429, retryAfter: "0.05" });
            }),
          ),
        );
        return paused;
      };
      assert.strictEqual(await pausedAfter(CONCURRENCY_TEXT, 5), 0, "refused with 5 in flight: the limit is 4, the others go on");
      assert.ok((await pausedAfter(CONCURRENCY_TEXT, 1)) > 0, "refused with 1 in flight: the limit is at its minimum, everyone waits");
      assert.ok((await pausedAfter("The request was throttled.", 5)) > 0);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The limiter against simulated services, in virtual time (thousands of calls of about a second
// each take milliseconds): it must find each budget from the answers alone.

/** Timers on a virtual clock; `run` moves time to the next timer whenever everything else waits. */
class VirtualTime {
  now = 0;
  private sequence = 0;
  private timers: Array<{ at: number; sequence: number; resolve: () => void }> = [];

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => this.timers.push({ at: this.now + Math.max(0, ms), sequence: this.sequence++, resolve }));

  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const settled = work.finally(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) break;
      if (this.timers.length === 0) throw new Error("every call is waiting on nothing");
      this.timers.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
      const next = this.timers.shift()!;
      this.now = next.at;
      next.resolve();
    }
    return settled;
  }
}

/** A seeded uniform draw, so a simulation replays exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

interface SimulatedService {
  call(observe: (signals: BudgetSignals) => void): Promise<void>;
  refusals: number;
  calls: number;
}

/** Exchange's tenant concurrency: beyond `budget()` calls in flight, the concurrency text with Retry-After 1. */
function concurrencyLimited(time: VirtualTime, budget: () => number, latencyMs: [number, number]): SimulatedService {
  const random = seeded(budget());
  let inFlight = 0;
  const service = {
    refusals: 0,
    calls: 0,
    async call(): Promise<void> {
      service.calls++;
      if (inFlight >= budget()) {
        service.refusals++;
        await time.sleep(100);
        throw new ApiError("exchange", CONCURRENCY_TEXT, { status: 429, retryAfter: "1" });
      }
      inFlight++;
      await time.sleep(latencyMs[0] + (latencyMs[1] - latencyMs[0]) * random());
      inFlight--;
    },
  };
  return service;
}

/** Graph's write budget: a token bucket, 429 with Retry-After when spent, the use of the bucket in a header above 80 %. */
function rateLimited(time: VirtualTime, perSecond: number, depth: number, latencyMs: [number, number]): SimulatedService {
  const random = seeded(perSecond);
  let tokens = depth;
  let at = 0;
  const refill = () => {
    tokens = Math.min(depth, tokens + ((time.now - at) / 1000) * perSecond);
    at = time.now;
  };
  const service = {
    refusals: 0,
    calls: 0,
    async call(observe: (signals: BudgetSignals) => void): Promise<void> {
      service.calls++;
      refill();
      const enough = tokens >= 1;
      tokens = Math.max(-depth, tokens - 1);
      if (!enough) {
        service.refusals++;
        await time.sleep(50);
        throw new ApiError("graph", "Too many requests", { status: 429, retryAfter: String(Math.max(1, Math.ceil((1 - tokens) / perSecond))) });
      }
      await time.sleep(latencyMs[0] + (latencyMs[1] - latencyMs[0]) * random());
      refill();
      const used = 1 - tokens / depth;
      observe(used > 0.8 ? { budgetUsed: used } : {});
    },
  };
  return service;
}

/**
 * Batch stacks destroyed `atOnce` at a time against one tenant: each stack is a new provider process
 * (its own limiter) that starts `startMs` after its worker's previous stack ended and sends `calls`
 * calls at once through withRetry. The virtual seconds it all took.
 */
async function stacksAtOnce(time: VirtualTime, service: SimulatedService, options: { stacks: number; atOnce: number; calls: number; startMs: number }): Promise<number> {
  const queue = Array.from({ length: options.stacks }, (_, index) => index);
  const stack = async (): Promise<void> => {
    const limiter = new AdaptiveLimiter(DEFAULT_CONCURRENCY.exchange);
    await time.sleep(options.startMs);
    await Promise.all(Array.from({ length: options.calls }, () => withRetry("exchange", (_attempt, observe) => service.call(observe), {}, limiter)));
  };
  const worker = async (): Promise<void> => {
    while (queue.shift() !== undefined) await stack();
  };
  await time.run(Promise.all(Array.from({ length: options.atOnce }, worker)));
  return time.now / 1000;
}

/** Runs `calls` calls at once through withRetry (as a set resource does); the virtual seconds they took. */
async function runAll(time: VirtualTime, api: "exchange" | "graph", calls: number, service: (observe: (signals: BudgetSignals) => void) => Promise<void>): Promise<number> {
  await time.run(Promise.all(Array.from({ length: calls }, () => withRetry(api, (_attempt, observe) => service(observe)))));
  return time.now / 1000;
}

describe("adaptive concurrency limiter against simulated services", function () {
  this.timeout(60_000);
  let realClock: typeof limiterClock.now;
  let realSleep: typeof limiterClock.sleep;
  let time: VirtualTime;

  beforeEach(() => {
    time = new VirtualTime();
    [realClock, realSleep] = [limiterClock.now, limiterClock.sleep];
    limiterClock.now = () => time.now;
    limiterClock.sleep = time.sleep;
    resetLimiters();
  });
  afterEach(() => {
    [limiterClock.now, limiterClock.sleep] = [realClock, realSleep];
    resetLimiters();
  });

  for (const budget of [3, 10, 30]) {
    it(`finds Exchange's ${budget} requests in flight: within 1.1× the ideal, at most 2 % refused`, async () => {
      const service = concurrencyLimited(time, () => budget, [500, 2000]);
      const seconds = await runAll(time, "exchange", 2000, (observe) => service.call(observe));
      const ideal = (2000 * 1.25) / budget;
      assert.ok(seconds <= ideal * 1.1, `${seconds.toFixed(1)} s against an ideal of ${ideal.toFixed(1)} s`);
      assert.ok(service.refusals <= 0.02 * 2000, `${service.refusals} refusals`);
    });
  }

  it("follows a budget that shrinks and grows again (another stack shares the tenant for a while)", async () => {
    const budget = () => (time.now > 100_000 && time.now < 300_000 ? 5 : 10);
    const service = concurrencyLimited(time, budget, [500, 2000]);
    const seconds = await runAll(time, "exchange", 4000, (observe) => service.call(observe));
    // 100 s at 10, 200 s at 5, the rest at 10: (4000 × 1.25 − 100 × 10 − 200 × 5) / 10 + 300.
    const ideal = (4000 * 1.25 - 1000 - 1000) / 10 + 300;
    assert.ok(seconds <= ideal * 1.15, `${seconds.toFixed(1)} s against an ideal of ${ideal.toFixed(1)} s`);
    assert.ok(service.refusals <= 0.02 * 4000, `${service.refusals} refusals`);
  });

  it("shares Exchange's 30 in flight between batch stacks destroyed five at a time: none is starved, within 1.3× the ideal", async () => {
    // Each new stack finds the tenant full and is held at one call in flight; without a probe at
    // least every MOST_PROBE_INTERVAL_MS it waited up to 256 successes to try for the budget the
    // others left, and without a pause at the minimum its queued calls were refused in turn.
    const service = concurrencyLimited(time, () => 30, [600, 1300]);
    const seconds = await stacksAtOnce(time, service, { stacks: 20, atOnce: 5, calls: 500, startMs: 2_000 });
    const ideal = (20 * 500 * 0.95) / 30;
    assert.ok(seconds <= ideal * 1.3, `${seconds.toFixed(1)} s against an ideal of ${ideal.toFixed(1)} s`);
    assert.ok(service.refusals <= 0.05 * service.calls, `${service.refusals} refusals in ${service.calls} calls`);
  });

  it("keeps Graph's write budget (20 a second, 200 deep) busy without sustained 429s", async () => {
    const service = rateLimited(time, 20, 200, [300, 900]);
    const seconds = await runAll(time, "graph", 1000, (observe) => service.call(observe));
    const ideal = (1000 - 200) / 20;
    assert.ok(seconds <= ideal * 1.15, `${seconds.toFixed(1)} s against an ideal of ${ideal.toFixed(1)} s`);
    assert.ok(service.refusals <= 0.02 * 1000, `${service.refusals} refusals`);
  });
});
