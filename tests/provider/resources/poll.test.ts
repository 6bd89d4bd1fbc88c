import * as assert from "assert";
import { pollClock, pollDelay, pollUntil, progressLine } from "../../../provider/resources/poll";

describe("waiting for Exchange (licence → mailbox)", () => {
  const cases: [number, number, number][] = [
    // attempt, time left (ms), wait (ms)
    [1, 600_000, 1_000],
    [2, 600_000, 2_000],
    [3, 600_000, 4_000],
    [5, 600_000, 15_000],
    [30, 600_000, 15_000],
    [3, 2_500, 2_500],
    [3, 0, 0],
  ];
  for (const [attempt, remaining, wait] of cases) {
    it(`probe ${attempt} with ${remaining / 1000} s left waits ${wait / 1000} s`, () => {
      assert.strictEqual(pollDelay(attempt, remaining), wait);
    });
  }
});

describe("progress of a wait", () => {
  const waits = [
    { subject: "bob@contoso.com", startedAt: 5_000, timeoutMs: 900_000 },
    { subject: "alice@contoso.com", startedAt: 1_000, timeoutMs: 900_000 },
  ];

  it("names the longest wait, how many more there are, the time so far and the limit", () => {
    assert.strictEqual(progressLine("Microsoft Graph to show new users", waits, 46_000), "waiting for Microsoft Graph to show new users: alice@contoso.com and 1 more (45 s so far, at most 900 s)");
    assert.strictEqual(progressLine("Microsoft Graph to show new users", waits.slice(0, 1), 20_000), "waiting for Microsoft Graph to show new users: bob@contoso.com (15 s so far, at most 900 s)");
  });

  it("names the input that sets the limit", () => {
    assert.strictEqual(
      progressLine("Exchange Online to list the domain", waits.slice(0, 1), 20_000, "acceptedDomainTimeoutSeconds"),
      "waiting for Exchange Online to list the domain: bob@contoso.com (15 s so far, at most 900 s, set by acceptedDomainTimeoutSeconds)",
    );
  });
});

describe("a wait woken by another", () => {
  it("probes again as soon as `wake` settles, without sitting out its pause", async () => {
    const sleep = pollClock.sleep;
    pollClock.sleep = () => new Promise(() => undefined);
    try {
      let probes = 0;
      let wakeUp: () => void = () => undefined;
      const wake = new Promise<void>((resolve) => (wakeUp = resolve));
      const result = pollUntil(async () => (++probes === 2 ? "mailbox" : undefined), { timeoutMs: 600_000, wake });
      await new Promise((resolve) => setImmediate(resolve));
      assert.strictEqual(probes, 1);
      wakeUp();
      assert.strictEqual(await result, "mailbox");
      assert.strictEqual(probes, 2);
    } finally {
      pollClock.sleep = sleep;
    }
  });
});
