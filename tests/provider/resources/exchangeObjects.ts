/**
 * What the tests of the tenant-wide Exchange resources (connectors, rules) share: the notes a
 * resource prints, and the failure of a create call whose outcome is unknown.
 */
import { ExchangeError } from "../../../provider/clients/exchange";

const logModule: typeof import("../../../provider/resources/log") = require("../../../provider/resources/log");

/** Collects the resources' notes instead of printing them, until `restore`. */
export function captureNotes(): { notes: string[]; restore: () => void } {
  const notes: string[] = [];
  const original = logModule.note;
  logModule.note = (_resource, message) => void notes.push(message);
  return { notes, restore: () => void (logModule.note = original) };
}

/** The error a client throws when a non-idempotent call got no answer that proves it was not applied. */
export function outcomeUnknown(cmdlet: string): Error {
  return Object.assign(new ExchangeError(cmdlet, `Exchange ${cmdlet} failed: the connection was reset before an answer arrived`, { networkCode: "ECONNRESET" }), { outcomeUnknown: true });
}

/**
 * A fault to inject into the next call of `cmdlet`: the call fails with an unknown outcome, after
 * it was applied (`applied`) or before.
 */
export interface UnknownOutcome {
  cmdlet: string;
  applied: boolean;
}
