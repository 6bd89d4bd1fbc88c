import * as assert from "assert";
import { ApiError } from "../../../provider/clients/errors";
import { limiterFor } from "../../../provider/clients/limiter";
import {
  DEFAULT_RETRY_POLICY,
  classifyFailure,
  isRetryable,
  outcomeIsUnknown,
  parseRetryAfter,
  retryDelayFor,
  shouldRetry,
  withRetry,
  type FailureKind,
} from "../../../provider/clients/retry";
import { restoreRetryPolicy, useFastRetries } from "./fixture";

const NOW = Date.parse("2026-01-01T00:00:00Z");

function failure(facts: ConstructorParameters<typeof ApiError>[2], message = "failed", api: "graph" | "exchange" | "google" = "graph"): ApiError {
  return new ApiError(api, message, facts);
}

describe("retry policy", () => {
  describe("classifyFailure / isRetryable", () => {
    const cases: Array<{ name: string; error: unknown; kind: FailureKind }> = [
      { name: "429", error: failure({ status: 429 }), kind: "throttled" },
      { name: "503", error: failure({ status: 503 }), kind: "unavailable" },
      { name: "504", error: failure({ status: 504 }), kind: "unavailable" },
      { name: "502", error: failure({ status: 502 }), kind: "unavailable" },
      { name: "408", error: failure({ status: 408 }), kind: "unavailable" },
      { name: "500", error: failure({ status: 500 }), kind: "serverError" },
      { name: "400", error: failure({ status: 400 }), kind: "fatal" },
      { name: "404", error: failure({ status: 404 }), kind: "fatal" },
      { name: "401", error: failure({ status: 401 }), kind: "fatal" },
      { name: "Gmail 403 rateLimitExceeded", error: failure({ status: 403, reasons: ["rateLimitExceeded"] }, "x", "google"), kind: "throttled" },
      { name: "Gmail 403 userRateLimitExceeded", error: failure({ status: 403, reasons: ["userRateLimitExceeded"] }, "x", "google"), kind: "throttled" },
      { name: "Gmail 403 dailyLimitExceeded", error: failure({ status: 403, reasons: ["dailyLimitExceeded"] }, "x", "google"), kind: "fatal" },
      { name: "403 forbidden (no delegation)", error: failure({ status: 403, reasons: ["forbidden"] }, "x", "google"), kind: "fatal" },
      {
        name: "Exchange tenant concurrency message on a 400",
        error: failure({ status: 400 }, "You have reached the maximum number of concurrent requests per tenant. Please wait and try again", "exchange"),
        kind: "throttled",
      },
      {
        name: "Exchange tenant concurrency message on a 500",
        error: failure({ status: 500 }, "Maximum Number Of Concurrent Requests Per Tenant reached", "exchange"),
        kind: "throttled",
      },
      { name: "connection reset", error: failure({ networkCode: "ECONNRESET" }), kind: "network" },
      { name: "undici socket error", error: failure({ networkCode: "UND_ERR_SOCKET" }), kind: "network" },
      { name: "per-request timeout", error: failure({ networkCode: "TimeoutError" }), kind: "network" },
      { name: "connection refused (wrong URL)", error: failure({ networkCode: "ECONNREFUSED" }), kind: "fatal" },
      { name: "DNS name not found", error: failure({ networkCode: "ENOTFOUND" }), kind: "fatal" },
      { name: "plain Error", error: new Error("boom"), kind: "fatal" },
      { name: "not an error at all", error: "boom", kind: "fatal" },
    ];
    for (const { name, error, kind } of cases) {
      it(`${name} → ${kind}`, () => {
        assert.strictEqual(classifyFailure(error), kind);
        assert.strictEqual(isRetryable(error), kind !== "fatal");
      });
    }
  });

  describe("outcomeIsUnknown (may a failed create, validation or test mail have been applied?)", () => {
    const cases: Array<{ name: string; error: unknown; unknown: boolean }> = [
      { name: "503", error: failure({ status: 503 }), unknown: true },
      { name: "502 from a gateway", error: failure({ status: 502 }), unknown: true },
      { name: "504", error: failure({ status: 504 }), unknown: true },
      { name: "500", error: failure({ status: 500 }), unknown: true },
      { name: "408", error: failure({ status: 408 }), unknown: true },
      { name: "a 200 whose body could not be read", error: failure({ status: 200 }), unknown: true },
      { name: "connection reset", error: failure({ networkCode: "ECONNRESET" }), unknown: true },
      { name: "our per-request timeout", error: failure({ networkCode: "TimeoutError" }), unknown: true },
      { name: "undici body timeout", error: failure({ networkCode: "UND_ERR_BODY_TIMEOUT" }), unknown: true },
      { name: "a transport failure without a code", error: failure({ networkCode: "ERR_NO_RESPONSE" }), unknown: true },
      { name: "429 (throttled: nothing was done)", error: failure({ status: 429 }), unknown: false },
      { name: "Exchange tenant concurrency text on a 500", error: failure({ status: 500 }, "You have reached the maximum number of concurrent requests per tenant.", "exchange"), unknown: false },
      { name: "Gmail 403 userRateLimitExceeded", error: failure({ status: 403, reasons: ["userRateLimitExceeded"] }, "x", "google"), unknown: false },
      { name: "400 (refused)", error: failure({ status: 400 }), unknown: false },
      { name: "404", error: failure({ status: 404 }), unknown: false },
      { name: "409", error: failure({ status: 409 }), unknown: false },
      { name: "connection refused (never sent)", error: failure({ networkCode: "ECONNREFUSED" }), unknown: false },
      { name: "unknown host (never sent)", error: failure({ networkCode: "ENOTFOUND" }), unknown: false },
      { name: "DNS failure (never sent)", error: failure({ networkCode: "EAI_AGAIN" }), unknown: false },
      { name: "connect timeout (never sent)", error: failure({ networkCode: "UND_ERR_CONNECT_TIMEOUT" }), unknown: false },
      { name: "untrusted certificate (never sent)", error: failure({ networkCode: "DEPTH_ZERO_SELF_SIGNED_CERT" }), unknown: false },
      { name: "a token failure (no status, no network code)", error: failure({}), unknown: false },
    ];
    for (const { name, error, unknown } of cases) {
      it(`${name} → ${unknown ? "unknown" : "known"}`, () => assert.strictEqual(outcomeIsUnknown(error), unknown));
    }
  });

  describe("parseRetryAfter", () => {
    const cases: Array<{ value: string | undefined; expected: number | undefined }> = [
      { value: undefined, expected: undefined },
      { value: "", expected: undefined },
      { value: "7", expected: 7000 },
      { value: "0", expected: 0 },
      { value: "1.5", expected: 1500 },
      { value: "Thu, 01 Jan 2026 00:00:30 GMT", expected: 30_000 },
      { value: "Wed, 31 Dec 2025 23:59:00 GMT", expected: 0 },
      { value: "2026-01-01T00:00:10Z", expected: 10_000 },
      { value: "soon", expected: undefined },
    ];
    for (const { value, expected } of cases) {
      it(`${JSON.stringify(value)} → ${expected}`, () => assert.strictEqual(parseRetryAfter(value, NOW), expected));
    }
  });

  describe("retryDelayFor", () => {
    const half = () => 0;
    const full = () => 1;
    const cases: Array<{ name: string; error: unknown; attempt: number; random: () => number; expected: number }> = [
      { name: "Retry-After seconds win", error: failure({ status: 429, retryAfter: "12" }), attempt: 1, random: full, expected: 12_000 },
      { name: "Retry-After date wins", error: failure({ status: 503, retryAfter: "Thu, 01 Jan 2026 00:00:05 GMT" }), attempt: 3, random: full, expected: 5000 },
      {
        name: "throttled without Retry-After waits for Rate-Limit-Reset",
        error: failure({ status: 429, rateLimitReset: "2026-01-01T00:00:20Z" }),
        attempt: 1,
        random: full,
        expected: 20_000,
      },
      { name: "Rate-Limit-Reset is ignored when not throttled", error: failure({ status: 503, rateLimitReset: "2026-01-01T00:00:20Z" }), attempt: 1, random: full, expected: 1000 },
      { name: "backoff attempt 1, top of jitter", error: failure({ status: 503 }), attempt: 1, random: full, expected: 1000 },
      { name: "backoff attempt 1, bottom of jitter", error: failure({ status: 503 }), attempt: 1, random: half, expected: 500 },
      { name: "backoff doubles", error: failure({ status: 503 }), attempt: 3, random: full, expected: 4000 },
      { name: "backoff is capped", error: failure({ networkCode: "ECONNRESET" }), attempt: 12, random: full, expected: 30_000 },
    ];
    for (const { name, error, attempt, random, expected } of cases) {
      it(name, () => assert.strictEqual(retryDelayFor(error, attempt, NOW, random, DEFAULT_RETRY_POLICY), expected));
    }
  });

  describe("shouldRetry", () => {
    const policy = DEFAULT_RETRY_POLICY;
    const cases: Array<{ kind: FailureKind; attempts: number; serverErrors?: number; throttled?: number; elapsed?: number; delay: number; expected: boolean }> = [
      { kind: "fatal", attempts: 1, delay: 0, expected: false },
      { kind: "throttled", attempts: 1, delay: 1000, expected: true },
      { kind: "throttled", attempts: policy.maxAttempts - 1, delay: 1000, expected: true },
      // Throttled answers are bounded by time, not by count, and do not use up other failures' attempts.
      { kind: "throttled", attempts: policy.maxAttempts * 5, delay: 1000, expected: true },
      { kind: "throttled", attempts: policy.maxAttempts * 5, elapsed: policy.maxElapsedMs - 1000, delay: 1001, expected: false },
      { kind: "unavailable", attempts: policy.maxAttempts + 2, throttled: 3, delay: 1000, expected: true },
      { kind: "unavailable", attempts: policy.maxAttempts + 3, throttled: 3, delay: 1000, expected: false },
      { kind: "serverError", attempts: policy.maxServerErrorAttempts - 1, serverErrors: policy.maxServerErrorAttempts - 1, delay: 1000, expected: true },
      { kind: "serverError", attempts: policy.maxServerErrorAttempts, serverErrors: policy.maxServerErrorAttempts, delay: 1000, expected: false },
      // Throttled attempts before it do not use up a 500's retries.
      { kind: "serverError", attempts: policy.maxServerErrorAttempts + 1, serverErrors: 1, delay: 1000, expected: true },
      { kind: "serverError", attempts: policy.maxAttempts, serverErrors: 1, delay: 1000, expected: false },
      { kind: "unavailable", attempts: 1, elapsed: policy.maxElapsedMs - 1000, delay: 1000, expected: true },
      { kind: "unavailable", attempts: 1, elapsed: policy.maxElapsedMs - 1000, delay: 1001, expected: false },
      { kind: "throttled", attempts: 1, delay: policy.maxElapsedMs + 1, expected: false },
    ];
    for (const { kind, attempts, serverErrors = 0, throttled = 0, elapsed = 0, delay, expected } of cases) {
      it(`${kind}, attempt ${attempts} (${serverErrors} answered 500, ${throttled} throttled), ${elapsed} ms spent, ${delay} ms ahead → ${expected}`, () =>
        assert.strictEqual(shouldRetry(kind, { attempts, serverErrors, throttled, elapsedMs: elapsed }, delay, policy), expected));
    }
  });

  describe("withRetry", () => {
    beforeEach(() => useFastRetries());
    afterEach(() => restoreRetryPolicy());

    it("gives a call that was throttled before its first 500 the 500's own retries", async () => {
      const answers = [{ status: 429, retryAfter: "0" }, { status: 429, retryAfter: "0" }, { status: 500 }, { status: 500 }];
      let calls = 0;
      const result = await withRetry("exchange", async () => {
        const answer = answers[calls++];
        if (answer) throw failure(answer, "failed", "exchange");
        return "done";
      });
      assert.deepStrictEqual([result, calls], ["done", 5]);
    });

    it("retries a throttled call until it succeeds", async () => {
      let calls = 0;
      const result = await withRetry("graph", async () => {
        calls++;
        if (calls < 3) throw failure({ status: 429, retryAfter: "0" });
        return "done";
      });
      assert.strictEqual(result, "done");
      assert.strictEqual(calls, 3);
    });

    it("pauses every caller of the API after a throttled answer", async () => {
      let pausedAfterThrottling = 0;
      let calls = 0;
      await withRetry("google", async () => {
        if (++calls > 1) return;
        setImmediate(() => (pausedAfterThrottling = limiterFor("google").pausedForMs));
        throw failure({ status: 429, retryAfter: "0.05" });
      });
      assert.ok(pausedAfterThrottling > 0, "the limiter was not paused");
    });

    const nonIdempotent = [
      { name: "a 503", error: () => failure({ status: 503 }, "unavailable"), calls: 1, outcomeUnknown: true },
      { name: "a dropped connection", error: () => failure({ networkCode: "ECONNRESET" }, "socket hang up"), calls: 1, outcomeUnknown: true },
      { name: "a refused connection (never sent)", error: () => failure({ networkCode: "ECONNREFUSED" }, "refused"), calls: 1, outcomeUnknown: false },
      { name: "a 400", error: () => failure({ status: 400 }, "bad"), calls: 1, outcomeUnknown: false },
    ];
    for (const { name, error, calls, outcomeUnknown } of nonIdempotent) {
      it(`sends a non-idempotent call once after ${name}${outcomeUnknown ? ", saying the outcome is unknown" : ""}`, async () => {
        let sent = 0;
        const thrown = await withRetry(
          "exchange",
          async () => {
            sent++;
            throw error();
          },
          { idempotent: false },
        ).catch((caught: ApiError) => caught);
        assert.strictEqual(sent, calls);
        assert.strictEqual(thrown.outcomeUnknown, outcomeUnknown);
        assert.strictEqual(/outcome unknown: the call may have been applied, so it was not repeated/.test(thrown.message), outcomeUnknown);
      });
    }

    const repeatedAnyway = [
      { name: "throttled", first: { status: 429, retryAfter: "0" } },
      { name: "not sent (DNS failure)", first: { networkCode: "EAI_AGAIN" } },
    ];
    for (const { name, first } of repeatedAnyway) {
      it(`repeats a non-idempotent call that was ${name}`, async () => {
        let sent = 0;
        const result = await withRetry(
          "graph",
          async () => {
            if (++sent === 1) throw failure(first);
            return "created";
          },
          { idempotent: false },
        );
        assert.deepStrictEqual([result, sent], ["created", 2]);
      });
    }

    /** Runs an operation that always fails with `error`; returns how often it ran and what was thrown. */
    async function alwaysFailing(api: "graph" | "exchange" | "google", error: ApiError): Promise<{ calls: number; message: string }> {
      let calls = 0;
      try {
        await withRetry(api, async () => {
          calls++;
          throw error;
        });
      } catch (thrown) {
        return { calls, message: String(thrown) };
      }
      throw new Error("withRetry resolved although every attempt failed");
    }

    const givingUp = [
      { name: "does not retry a fatal error", api: "graph" as const, error: () => failure({ status: 400 }, "bad request"), calls: 1, message: /^ApiError: bad request$/ },
      {
        name: "gives up after the configured attempts and says so",
        api: "google" as const,
        policy: { maxAttempts: 4 },
        error: () => failure({ status: 503 }, "unavailable"),
        calls: 4,
        message: /unavailable \(gave up after 4 attempts in \d+ s\)/,
      },
      {
        name: "retries a 500 fewer times than a throttled call",
        api: "exchange" as const,
        error: () => failure({ status: 500 }),
        calls: DEFAULT_RETRY_POLICY.maxServerErrorAttempts,
        message: /gave up after 3 attempts/,
      },
      {
        name: "gives up at once when the server asks for a wait beyond the time budget",
        api: "graph" as const,
        policy: { maxElapsedMs: 10_000 },
        error: () => failure({ status: 429, retryAfter: "60" }),
        calls: 1,
        message: /gave up after 1 attempt in/,
      },
    ];
    for (const { name, api, policy, error, calls, message } of givingUp) {
      it(name, async () => {
        if (policy) useFastRetries(policy);
        const outcome = await alwaysFailing(api, error());
        assert.strictEqual(outcome.calls, calls);
        assert.match(outcome.message, message);
      });
    }
  });
});
