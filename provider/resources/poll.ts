import { note } from "./log";

/**
 * Bounded waiting for something another service does in its own time (Exchange showing a new
 * object, Microsoft Graph showing a new user, a licensed user becoming a mailbox). The clock is an
 * object so tests can replace it and run without real waiting.
 */
export const pollClock = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How often a wait says it is still waiting. */
export const PROGRESS_EVERY_MS = 15_000;

/**
 * What a wait tells the person running `pulumi up` while it lasts. Waits with the same `resource`
 * and `waitingFor` share one line (a batch of 500 users waiting at once prints one line every
 * 15 s, not 500), naming how many wait, one of them, the longest wait so far and the limit.
 */
export interface PollProgress {
  /** The resource type, e.g. `LicenseAssignment`. */
  resource: string;
  /** What is awaited, e.g. `Exchange to make licensed users mailboxes (this takes minutes)`. */
  waitingFor: string;
  /** The object this wait is for, e.g. `alice@contoso.com`. */
  subject: string;
  /** The input that sets the limit, named in the line, e.g. `acceptedDomainTimeoutSeconds`. */
  setting?: string;
}

export interface PollOptions {
  /** Give up once this much time has passed since the first probe. */
  timeoutMs: number;
  /** Wait before the second probe; doubles after each probe. */
  firstDelayMs?: number;
  /** Longest wait between two probes. */
  maxDelayMs?: number;
  /** Progress lines while the wait lasts (none when absent). */
  progress?: PollProgress;
  /** Ends the pause before the next probe as soon as it settles (another wait learned the answer). */
  wake?: Promise<unknown>;
}

/** The wait after probe `attempt` (1-based): 1 s, 2 s, 4 s, … up to 15 s, never past the deadline. */
export function pollDelay(attempt: number, remainingMs: number, options: Pick<PollOptions, "firstDelayMs" | "maxDelayMs"> = {}): number {
  const first = options.firstDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 15_000;
  const backoff = Math.min(max, first * 2 ** Math.min(attempt - 1, 20));
  return Math.max(0, Math.min(backoff, remainingMs));
}

interface Waiting {
  subject: string;
  startedAt: number;
  timeoutMs: number;
}

/** The waits of one kind in flight, and when their line was last printed. */
const inFlight = new Map<string, { waits: Set<Waiting>; lastNoteAt: number }>();

/**
 * `waiting for <waitingFor>: alice@contoso.com and 2 more (45 s so far, at most 1800 s, set by
 * <setting>)`: the longest wait is named.
 */
export function progressLine(waitingFor: string, waits: readonly Waiting[], now: number, setting?: string): string {
  const longest = waits.reduce((oldest, wait) => (wait.startedAt < oldest.startedAt ? wait : oldest));
  const others = waits.length > 1 ? ` and ${waits.length - 1} more` : "";
  const limit = `at most ${Math.round(longest.timeoutMs / 1000)} s${setting ? `, set by ${setting}` : ""}`;
  return `waiting for ${waitingFor}: ${longest.subject}${others} (${Math.round((now - longest.startedAt) / 1000)} s so far, ${limit})`;
}

function tracked(progress: PollProgress | undefined, wait: Waiting): { report(): void; done(): void } {
  if (!progress) return { report: () => undefined, done: () => undefined };
  const key = `${progress.resource}\n${progress.waitingFor}`;
  // A wait that starts while none of its kind is in flight says so at once; then every 15 s.
  const group = inFlight.get(key) ?? { waits: new Set<Waiting>(), lastNoteAt: -Infinity };
  if (group.waits.size === 0) group.lastNoteAt = -Infinity;
  group.waits.add(wait);
  inFlight.set(key, group);
  return {
    report() {
      const now = pollClock.now();
      if (now - group.lastNoteAt < PROGRESS_EVERY_MS) return;
      group.lastNoteAt = now;
      note(progress.resource, progressLine(progress.waitingFor, [...group.waits], now, progress.setting));
    },
    done() {
      group.waits.delete(wait);
    },
  };
}

/**
 * Calls `probe` until it returns something other than `undefined`, or the time is up
 * (then `undefined`). The probe runs at least once, even with a zero timeout.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T | undefined> {
  const startedAt = pollClock.now();
  const deadline = startedAt + options.timeoutMs;
  const progress = tracked(options.progress, { subject: options.progress?.subject ?? "", startedAt, timeoutMs: options.timeoutMs });
  try {
    for (let attempt = 1; ; attempt++) {
      const result = await probe();
      if (result !== undefined) return result;
      const remaining = deadline - pollClock.now();
      if (remaining <= 0) return undefined;
      progress.report();
      const pause = pollClock.sleep(pollDelay(attempt, remaining, options));
      await (options.wake ? Promise.race([pause, options.wake]) : pause);
    }
  } finally {
    progress.done();
  }
}
