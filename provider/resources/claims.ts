/**
 * Which resource of the running deployment declares each per-user object, so that a resource
 * whose object another one of the same stack now holds hands it over instead of deleting it.
 *
 * This is what makes moving a user between two sets of one stack (a CSV row moved to another
 * batch with `granularity: "batch"`), or switching the granularity, safe:
 *
 * - the engine calls `check` for every resource the program declares before it runs any step of
 *   that resource, and every dynamic resource of a deployment is served by the same provider
 *   process (the default `pulumi-nodejs` provider), so the claims the checks record here are in
 *   the memory of that process;
 * - a resource the program no longer declares is deleted only after every create and update of
 *   the deployment has finished (the engine's step executor takes its write lock before it
 *   schedules those deletes), so by then every check has run;
 * - a set also gets `heldElsewhere`, the keys the other sets of its stack hold (the Coexistence
 *   component knows them), and its `check` records them here before its own update runs, because
 *   the update of the set losing a user may run before the check of the set gaining it.
 *
 * Nothing is stored: `pulumi destroy` runs no check, so everything it deletes is deleted.
 */
import { note } from "./log";

interface Claimers {
  /** Resources that declare the object. */
  holders: Set<string>;
  /** Resources told that another set of their stack declares it (their `heldElsewhere`). */
  heldElsewhereThan: Set<string>;
}

/** `<kind>\n<key>` → who declares it. */
const claims = new Map<string, Claimers>();

const claimersOf = (kind: string, key: string): Claimers => {
  const id = `${kind}\n${key.toLowerCase()}`;
  let claimers = claims.get(id);
  if (!claimers) claims.set(id, (claimers = { holders: new Set(), heldElsewhereThan: new Set() }));
  return claimers;
};

/** `holder` (a resource's name) declares the object `key` of `kind` (e.g. `MailUser`, `alice@contoso.com`). */
export function claim(kind: string, key: string, holder: string): void {
  claimersOf(kind, key).holders.add(holder);
}

/** Another set of `holder`'s stack declares the object (the Coexistence component says so). */
export function claimElsewhere(kind: string, key: string, holder: string): void {
  claimersOf(kind, key).heldElsewhereThan.add(holder);
}

/**
 * The other resource of this deployment that declares the object, if any. A holder that is not
 * known (a state written before holders were recorded) counts any claim as another's.
 */
export function claimedByAnother(kind: string, key: string, holder: string | undefined): string | undefined {
  const claimers = claims.get(`${kind}\n${key.toLowerCase()}`);
  if (!claimers) return undefined;
  const other = [...claimers.holders].find((claimer) => claimer !== holder);
  if (other) return other;
  const elsewhere = holder === undefined ? claimers.heldElsewhereThan.size > 0 : claimers.heldElsewhereThan.has(holder);
  return elsewhere ? "another set of this stack" : undefined;
}

/** Whether a delete must leave the object to another resource of this deployment; the note says which. */
export function handedOver(kind: string, key: string, holder: unknown): boolean {
  const other = key ? claimedByAnother(kind, key, typeof holder === "string" ? holder : undefined) : undefined;
  if (other) note(kind, `${key} is declared by ${other} now: handed over as it is, nothing removed.`);
  return other !== undefined;
}

/** Forgets every claim (tests). */
export function clearClaims(): void {
  claims.clear();
}
