/**
 * What the tests of the tenant-wide Exchange resources (connectors, rules) share: the notes a
 * resource prints, and the failure of a create call whose outcome is unknown.
 */
import { ExchangeError } from "../../../provider/clients/exchange";
import { useFakeApis } from "./fakeApis";

const logModule: typeof import("../../../provider/resources/log") = require("../../../provider/resources/log");

/** Collects the resources' notes instead of printing them, until `restore`. */
export function captureNotes(): { notes: string[]; restore: () => void } {
  const notes: string[] = [];
  const original = logModule.note;
  logModule.note = (_resource, message) => void notes.push(message);
  return { notes, restore: () => void (logModule.note = original) };
}

/** Sends the resources' Exchange calls to `invoke` and collects their notes, until `restore`. */
export function useFakeExchange(invoke: (cmdlet: string, parameters?: Record<string, unknown>) => Promise<Record<string, unknown>[]>): { notes: string[]; restore: () => void } {
  const apis = useFakeApis({ exchange: { invoke } });
  const captured = captureNotes();
  return {
    notes: captured.notes,
    restore: () => {
      captured.restore();
      apis.restore();
    },
  };
}

/** The error a client throws when a non-idempotent call got no answer that proves it was not applied. */
export function outcomeUnknown(cmdlet: string): Error {
  return Object.assign(new ExchangeError(cmdlet, `Exchange ${cmdlet} failed: the connection was reset before an answer arrived`, { networkCode: "ECONNRESET" }), { outcomeUnknown: true });
}

/** An unknown outcome to inject into the next call of a cmdlet, after the call was applied (`applied`) or before. */
export interface UnknownOutcome {
  cmdlet: string;
  applied: boolean;
}

/** The fault a fake Exchange injects into its next call of one cmdlet. */
export class OutcomeFaults {
  next?: UnknownOutcome;

  /** Runs `apply` for `cmdlet`, failing with an unknown outcome (before or after applying it) when the next fault names it. */
  run<T>(cmdlet: string, apply: () => T): T {
    const fault = this.next?.cmdlet === cmdlet ? this.next : undefined;
    if (fault) this.next = undefined;
    if (fault && !fault.applied) throw outcomeUnknown(cmdlet);
    const result = apply();
    if (fault) throw outcomeUnknown(cmdlet);
    return result;
  }
}
