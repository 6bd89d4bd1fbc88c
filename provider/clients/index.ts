/**
 * The API clients as the resources reach them: `apis()` loads the client modules on its first
 * call, which is inside a provider method. A Pulumi program that only declares resources never
 * loads the client libraries, and no client or credential is ever held by a closure the engine
 * serializes. Tests replace every API at once with `replaceApis`.
 */
import type { ExchangeObject } from "./exchange";
import { unlessNotFound } from "./errors";
import type { AutoForwarding } from "./google";
import type { Snapshots } from "./snapshots";

export { unlessNotFound };

export interface Apis {
  readonly exchange: typeof import("./exchange");
  readonly graph: typeof import("./graph");
  readonly google: typeof import("./google");
  /** Coalesced reads over this `exchange` and `graph`, shared by the resources of one provider process. */
  readonly snapshots: Snapshots;
}

let loaded: Apis | undefined;
let replacement: Apis | undefined;

export function apis(): Apis {
  return replacement ?? (loaded ??= loadApis());
}

function loadApis(): Apis {
  const exchange: typeof import("./exchange") = require("./exchange");
  const graph: typeof import("./graph") = require("./graph");
  const google: typeof import("./google") = require("./google");
  const { snapshotsOver }: typeof import("./snapshots") = require("./snapshots");
  return { exchange, graph, google, snapshots: snapshotsOver({ exchange, graph }) };
}

/**
 * Starts the base URL checks every write waits for (baseUrl.beforeWrite) without waiting for them:
 * called by a set about to write, they run beside its first reads instead of between its reads and
 * its first write (~0.6 s of each batch stack's destroy). Every write still waits for them, and gets
 * their error.
 */
export function prepareWrites(): void {
  if (replacement) return;
  apis();
  const { beforeWrite }: typeof import("./baseUrl") = require("./baseUrl");
  beforeWrite().catch(() => undefined);
}

/** Sends every call of `apis()` to `fake` until the returned function puts the previous APIs back. */
export function replaceApis(fake: Apis): () => void {
  const previous = replacement;
  replacement = fake;
  return () => {
    replacement = previous;
  };
}

/** The object a Get-* cmdlet returns for an identity; undefined when Exchange says it does not exist. */
export async function findExchangeObject(cmdlet: string, identity: string): Promise<ExchangeObject | undefined> {
  const [found] = (await unlessNotFound(apis().exchange.invoke(cmdlet, { Identity: identity }))) ?? [];
  return found;
}

/** Runs a Remove-* cmdlet; false when the object was already gone. */
export async function removeExchangeObject(cmdlet: string, identity: string): Promise<boolean> {
  return (await unlessNotFound(apis().exchange.invoke(cmdlet, { Identity: identity, Confirm: false }))) !== undefined;
}

/** A mailbox's Gmail forwarding settings; undefined when Google Workspace has no such user. */
export function autoForwardingOf(user: string): Promise<AutoForwarding | undefined> {
  return unlessNotFound(apis().google.getAutoForwarding(user));
}
