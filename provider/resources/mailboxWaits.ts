import { apis } from "../clients";
import type { ExchangeObject } from "../clients/exchange";
import { recipientKeys } from "../clients/snapshots";
import { pollUntil, type PollProgress } from "./poll";

/**
 * The waits of one provider process for licensed users to become mailboxes. LicenseAssignment
 * makes a mailbox and waits for it; a GoogleForwardingRoute with `mailboxTimeoutSeconds` waits
 * for the same mailbox beside it (a batch's routes then start with its licences instead of after
 * all of them). What one wait learns ends the others at once: a mailbox any wait finds, under any
 * of its addresses, and a licensing that failed, so that no route waits out its limit for a
 * mailbox that will not come in this run.
 */
export type MailboxOutcome = { mailbox: ExchangeObject } | { licensingFailed: string };

const listeners = new Map<string, Set<(outcome: MailboxOutcome) => void>>();
const failures = new Map<string, string>();

function announce(keys: readonly string[], outcome: MailboxOutcome): void {
  for (const key of new Set(keys.map((candidate) => candidate.toLowerCase()))) {
    for (const listener of listeners.get(key) ?? []) listener(outcome);
  }
}

/** The recipient if it is a user mailbox now (coalesced with the other waits of the moment), told to every wait for it. */
export async function mailboxNow(identity: string): Promise<ExchangeObject | undefined> {
  const found = await apis().snapshots.mailboxNow(identity);
  if (found) announce([identity, ...recipientKeys(found)], { mailbox: found });
  return found;
}

/** Licensing `userPrincipalName` failed in this run (`reason`: the error): its mailbox will not come now. */
export function licensingFailed(userPrincipalName: string, reason: string): void {
  failures.set(userPrincipalName.toLowerCase(), reason);
  announce([userPrincipalName], { licensingFailed: reason });
}

/**
 * Waits up to `timeoutMs` for `identity` to be a mailbox, probing with the poll's backoff and
 * woken as soon as another wait finds it, or learns that the licensing of `owner` (the user's
 * principal name) failed. `undefined`: the time ran out.
 */
export async function awaitMailbox(identity: string, options: { owner: string; timeoutMs: number; progress: PollProgress }): Promise<MailboxOutcome | undefined> {
  let told: MailboxOutcome | undefined;
  let wakeUp: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => (wakeUp = resolve));
  const listener = (outcome: MailboxOutcome): void => {
    told ??= outcome;
    wakeUp();
  };
  const keys = [...new Set([identity.toLowerCase(), options.owner.toLowerCase()])];
  for (const key of keys) listeners.set(key, (listeners.get(key) ?? new Set()).add(listener));
  try {
    return await pollUntil(
      async () => {
        if (told && "mailbox" in told) return told;
        const found = await mailboxNow(identity);
        if (found) return { mailbox: found };
        const failed = failures.get(options.owner.toLowerCase());
        return failed === undefined ? undefined : { licensingFailed: failed };
      },
      { timeoutMs: options.timeoutMs, progress: options.progress, wake: woken },
    );
  } finally {
    for (const key of keys) {
      listeners.get(key)?.delete(listener);
      if (listeners.get(key)?.size === 0) listeners.delete(key);
    }
  }
}

/** Forgets every licensing failure (tests: each is one deployment). */
export function clearMailboxWaits(): void {
  failures.clear();
}
