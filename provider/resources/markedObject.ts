/**
 * What OutboundConnector and TransportRule share: an Exchange object named by its identity whose
 * comment carries the mark of the stack that manages it (ownership.ts). Create takes over only
 * this stack's mark silently, update refuses an object refresh found with another stack's mark,
 * and delete removes, restores or leaves it by the mark it still carries.
 */
import { findExchangeObject, removeExchangeObject } from "../clients";
import { note } from "./log";
import { actionForExisting, createReadingFirst, deleteAction, type ExistingObjectAction, type Ownership } from "./ownership";

/** One kind of marked Exchange object. */
export interface MarkedKind<Settings extends { markedBy?: string }> {
  /** The resource type, e.g. `OutboundConnector`. */
  resource: string;
  /** The object in a message, e.g. `outbound connector`. */
  noun: string;
  /** The cmdlets that create, read and remove it, e.g. `New-OutboundConnector`. */
  cmdlets: { create: string; get: string; remove: string };
  /** A Get-* object as the resource's settings (comment without the mark, `markedBy`). */
  parse(found: Record<string, unknown>): Settings;
  /**
   * Puts an adopted object's saved settings back, except those that would need a null: their
   * fields, and the PowerShell command that clears them.
   */
  restore(name: string, live: Settings, saved: Settings): Promise<{ uncleared: string[]; command: string }>;
}

/** What the state of a marked object's resource holds about its ownership. */
export interface MarkedState<Settings> {
  markedBy?: string;
  owner?: string;
  ownership?: Ownership;
  deleteAdopted?: boolean;
  settingsBeforeAdoption?: Settings;
}

const TAKE_OVER_NOTES: Record<Exclude<ExistingObjectAction, "create">, string> = {
  keep: "already exists exactly as wanted, with this stack's mark (an earlier run was interrupted?); took it over, nothing written.",
  update: "already exists with this stack's mark (an earlier run was interrupted?); took it over and changed",
  adopt: "was not created by this stack; adopted it (adopt: true): its settings are saved and restored on delete. Changed",
};

/**
 * Creates the object, or takes over the one of that name as `actionForExisting` decides: `create`
 * runs only when nothing is there (and is never sent twice blindly: an unknown outcome is read back
 * first), `change` brings an existing object to the wanted settings and returns the fields it
 * changed. Returns what the create call answered, or the action taken and the object as found.
 */
export async function createOrTakeOver<Settings extends { markedBy?: string }, Created>(
  kind: MarkedKind<Settings>,
  desired: { name: string; markedBy?: string; adopt: boolean },
  create: () => Promise<Created>,
  differences: (current: Settings) => string[],
  change: (current: Settings) => Promise<string[]>,
): Promise<{ created: Created } | { action: ExistingObjectAction; current: Settings }> {
  const find = (): Promise<Record<string, unknown> | undefined> => findExchangeObject(kind.cmdlets.get, desired.name);
  let existing = await find();
  if (!existing) {
    const outcome = await createReadingFirst(create, find);
    if ("created" in outcome) return outcome;
    note(kind.resource, `${kind.cmdlets.create} for "${desired.name}" got no clear answer; read back, the ${kind.noun} is there.`);
    existing = outcome.found;
  }
  const current = kind.parse(existing);
  const description = `${kind.noun} "${desired.name}"`;
  const action = actionForExisting(kind.resource, description, { owner: current.markedBy, differences: differences(current) }, { owner: desired.markedBy!, adopt: desired.adopt });
  const changed = action === "keep" ? [] : await change(current);
  note(kind.resource, `${description} ${TAKE_OVER_NOTES[action as keyof typeof TAKE_OVER_NOTES]}${changed.length > 0 ? ` ${changed.join(", ")} to match.` : ""}`);
  return { action, current };
}

/**
 * Refuses to change an object that refresh found carrying another stack's mark. The mark of the
 * stack's own earlier name (a renamed stack) is not another stack's.
 */
export function assertNotTakenOver(kind: MarkedKind<{ markedBy?: string }>, id: string, state: MarkedState<unknown>, owner: string): void {
  if (state.markedBy && state.markedBy !== owner && state.markedBy !== state.owner) {
    throw new Error(
      `${kind.resource}: ${kind.noun} "${id}" now carries the mark of the stack ${state.markedBy} (found by refresh), so it is left as it is. ` +
        `If this stack should manage it again, forget it here (pulumi state delete <urn>) and declare it with adopt: true; otherwise remove it from this program.`,
    );
  }
}

/** Delete: removes, restores (adopted) or leaves (no longer this stack's) the object, by the mark it carries now. */
export async function deleteMarked<Settings extends { markedBy?: string }>(kind: MarkedKind<Settings>, id: string, state: MarkedState<Settings>): Promise<void> {
  const found = await findExchangeObject(kind.cmdlets.get, id);
  if (!found) return;
  const live = kind.parse(found);
  const action = deleteAction(state, { keepsMark: true, owner: live.markedBy }, state.owner ?? "");
  if (action === "leave") {
    const whose = live.markedBy ? `the mark of the stack ${live.markedBy}` : "no mark of this stack";
    note(kind.resource, `left ${kind.noun} "${id}" as it is: it carries ${whose}, so it is no longer this stack's (taken over or re-created by someone else).`);
  } else if (action === "restore" && state.settingsBeforeAdoption) {
    const { uncleared, command } = await kind.restore(id, live, state.settingsBeforeAdoption);
    const left = uncleared.length > 0 ? ` It could not put back ${uncleared.join(", ")} (that needs $null): run ${command} to finish.` : "";
    note(kind.resource, `restored the adopted ${kind.noun} "${id}" to its settings before adoption and kept it (deleteAdopted is false).${left}`);
  } else if (action === "restore") {
    note(kind.resource, `left the adopted ${kind.noun} "${id}" as it is: the state holds no settings from before its adoption to restore.`);
  } else {
    await removeExchangeObject(kind.cmdlets.remove, id);
  }
}
