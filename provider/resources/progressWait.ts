/**
 * A bounded wait for something another service does in its own time (replication lag), that says
 * while it lasts what it waits for, how long so far, the limit and the setting that changes it.
 */
import { note } from "./log";
import { pollClock, pollUntil } from "./poll";

export interface ProgressWait {
  resource: string;
  /** What is awaited, e.g. "Exchange Online to list o365.contoso.com as an accepted domain". */
  what: string;
  /** The limit; the wait gives up once this much time has passed since its first probe. */
  timeoutSeconds: number;
  /** The resource input that sets the limit, e.g. `RoutingDomain.acceptedDomainTimeoutSeconds`. */
  setting: string;
}

/** How often a wait that goes on says so. */
export const PROGRESS_EVERY_SECONDS = 15;

/** The progress line after `elapsedSeconds` of a wait. */
export function progressLine(wait: ProgressWait, elapsedSeconds: number): string {
  return `waiting for ${wait.what}: ${elapsedSeconds} s so far, at most ${wait.timeoutSeconds} s (${wait.setting}).`;
}

/**
 * Calls `probe` until it returns something other than `undefined` (returned) or the limit passes
 * (then `undefined`). The first probe that comes back empty prints a progress line, and so does
 * the first one after each further `PROGRESS_EVERY_SECONDS`.
 */
export async function waitWithProgress<T>(probe: () => Promise<T | undefined>, wait: ProgressWait): Promise<T | undefined> {
  const start = pollClock.now();
  let nextLineAt = 0;
  return pollUntil(
    async () => {
      const result = await probe();
      const elapsed = pollClock.now() - start;
      if (result === undefined && elapsed >= nextLineAt) {
        note(wait.resource, progressLine(wait, Math.round(elapsed / 1000)));
        nextLineAt = (Math.floor(elapsed / (PROGRESS_EVERY_SECONDS * 1000)) + 1) * PROGRESS_EVERY_SECONDS * 1000;
      }
      return result;
    },
    { timeoutMs: wait.timeoutSeconds * 1000 },
  );
}
