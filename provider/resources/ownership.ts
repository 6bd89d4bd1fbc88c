/**
 * Who owns an object in the tenants. A stack marks what it creates, in a field the API keeps (a
 * connector's or rule's comment, a mail user's custom attribute; a domain, which has no such field,
 * is recorded as created in the state). The mark names the stack (`<project>/<stack>`), so:
 *
 * - an object with this stack's mark is what an interrupted create (or a lost state) left behind,
 *   and is taken over silently;
 * - any other existing object is taken over only with `adopt: true`, and is then restored on
 *   delete (the settings it had are kept in the state), never removed, unless `deleteAdopted`;
 * - delete removes only an object that still carries this stack's mark.
 *
 * Pure, except `stackOwner`, which runs in the Pulumi program, and `createReadingFirst`, which
 * runs the calls it is given.
 */
import { createHash } from "node:crypto";
import { getProject, getStack } from "@pulumi/pulumi/metadata";

/** How the resource came to manage its object; kept in the state. */
export type Ownership = "created" | "adopted";

const MARK_PREFIX = "managed by pulumi-mail-coexistence:";
const MARK = /\[managed by pulumi-mail-coexistence: ([^\]\s]+)\]/;

/** The stack that declares the resource, as marks name it: `<project>/<stack>`. Program side only. */
export function stackOwner(): string {
  return `${getProject()}/${getStack()}`;
}

/** The mark itself, e.g. `[managed by pulumi-mail-coexistence: migration/production]`. */
export function ownerMark(owner: string): string {
  return `[${MARK_PREFIX} ${owner}]`;
}

/** The stack a text's mark names, if it has one. */
export function markedOwner(text: unknown): string | undefined {
  return typeof text === "string" ? MARK.exec(text)?.[1] : undefined;
}

/** A comment that starts with the owner's mark, followed by the user's own comment (if any). */
export function withOwnerMark(owner: string, comment?: string): string {
  const own = withoutOwnerMark(comment);
  return own ? `${ownerMark(owner)} ${own}` : ownerMark(owner);
}

/** The user's part of a marked comment; undefined when nothing but the mark is there. */
export function withoutOwnerMark(text: string | undefined): string | undefined {
  const rest = text?.replace(MARK, "").trim();
  return rest ? rest : undefined;
}

/**
 * A short token derived from the owner and the object's key (6 characters of [a-z0-9]), for a field
 * that must be set in the very call that creates the object, where there is no room for a mark.
 */
export function creationToken(owner: string, key: string): string {
  const digest = createHash("sha256").update(`${owner}\n${key.toLowerCase()}`).digest();
  let token = "";
  for (let index = 0; index < 6; index++) token += "abcdefghijklmnopqrstuvwxyz0123456789"[digest[index] % 36];
  return token;
}

/** An existing object with the name or address the resource wants: whose it is, and how it differs. */
export interface ExistingObject {
  /** The stack its mark names; undefined when it carries no mark. */
  owner?: string;
  /** The settings that do not match the inputs. */
  differences: string[];
}

/**
 * What `create` does about the object it found:
 * - `create`: nothing there;
 * - `keep`: this stack's own, identical (an interrupted create);
 * - `update`: this stack's own, but different: changed to match;
 * - `adopt`: someone else's, and the user set `adopt`: changed to match, restored on delete.
 * Someone else's object without `adopt` is refused with the fix.
 */
export type ExistingObjectAction = "create" | "keep" | "update" | "adopt";

export function actionForExisting(
  resource: string,
  description: string,
  existing: ExistingObject | undefined,
  desired: { owner: string; adopt: boolean },
): ExistingObjectAction {
  if (!existing) return "create";
  if (existing.owner === desired.owner) return existing.differences.length === 0 ? "keep" : "update";
  if (desired.adopt) return "adopt";
  const whose = existing.owner ? `is managed by the stack ${existing.owner}` : "was not created by this stack";
  throw new Error(
    `${resource}: ${description} already exists and ${whose}; it is left as it is. Set adopt: true to take it over ` +
      "(it will be changed to match and restored on delete, never removed, unless deleteAdopted: true), or choose another name.",
  );
}

/** The ownership to record after `actionForExisting`. */
export function ownershipAfter(action: ExistingObjectAction): Ownership {
  return action === "adopt" ? "adopted" : "created";
}

/**
 * What `delete` does with the object:
 * - `leave`: it is no longer this stack's: where the API keeps a mark, the object carries another
 *   stack's mark or none (someone took it over, or re-created it after this stack's object went).
 *   Nothing is done. A state written before marks existed (no `ownership`) with an unmarked object
 *   is the one exception: that object was created by an earlier release of this stack;
 * - `restore`: the stack adopted it: the settings saved at adoption go back, nothing is removed;
 * - `remove`: the stack created it, or adopted it with `deleteAdopted: true`.
 */
export type DeleteAction = "remove" | "restore" | "leave";

export function deleteAction(
  state: { ownership?: Ownership; deleteAdopted?: boolean },
  live: { keepsMark: boolean; owner?: string },
  owner: string,
): DeleteAction {
  const writtenBeforeMarks = state.ownership === undefined && live.owner === undefined;
  if (live.keepsMark && live.owner !== owner && !writtenBeforeMarks) return "leave";
  return state.ownership === "adopted" && !state.deleteAdopted ? "restore" : "remove";
}

/** True for a client error whose call may or may not have been applied (`ApiError.outcomeUnknown`). */
export function isOutcomeUnknown(error: unknown): boolean {
  return (error as { outcomeUnknown?: unknown } | undefined)?.outcomeUnknown === true;
}

/**
 * Runs the call that creates an object, never blindly twice. When its outcome is unknown (no
 * answer, or one that does not prove nothing was done), it reads first: an object there now is
 * returned as `found`, for the caller to judge with `actionForExisting` (what this stack's own call
 * left carries its mark); nothing there → the call is made once more, and read after again if
 * that one's outcome is unknown too.
 */
export async function createReadingFirst<Created, Found>(
  create: () => Promise<Created>,
  find: () => Promise<Found | undefined>,
): Promise<{ created: Created } | { found: Found }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { created: await create() };
    } catch (error) {
      if (!isOutcomeUnknown(error)) throw error;
      const found = await find();
      if (found !== undefined) return { found };
      if (attempt === 2) throw error;
    }
  }
}
