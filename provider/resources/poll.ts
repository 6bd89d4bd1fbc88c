/**
 * Bounded waiting for something another service does in its own time (Exchange showing a new
 * object, a licensed user becoming a mailbox). The clock is an object so tests can replace it
 * and run without real waiting.
 */
export const pollClock = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PollOptions {
  /** Give up once this much time has passed since the first probe. */
  timeoutMs: number;
  /** Wait before the second probe; doubles after each probe. */
  firstDelayMs?: number;
  /** Longest wait between two probes. */
  maxDelayMs?: number;
}

/** The wait after probe `attempt` (1-based): 1 s, 2 s, 4 s, … up to 15 s, never past the deadline. */
export function pollDelay(attempt: number, remainingMs: number, options: Pick<PollOptions, "firstDelayMs" | "maxDelayMs"> = {}): number {
  const first = options.firstDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 15_000;
  const backoff = Math.min(max, first * 2 ** Math.min(attempt - 1, 20));
  return Math.max(0, Math.min(backoff, remainingMs));
}

/**
 * Calls `probe` until it returns something other than `undefined`, or the time is up
 * (then `undefined`). The probe runs at least once, even with a zero timeout.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T | undefined> {
  const deadline = pollClock.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const result = await probe();
    if (result !== undefined) return result;
    const remaining = deadline - pollClock.now();
    if (remaining <= 0) return undefined;
    await pollClock.sleep(pollDelay(attempt, remaining, options));
  }
}
