import * as pulumi from "@pulumi/pulumi";
import { randomUUID } from "node:crypto";
import { prepareWrites } from "../clients";
import { redact } from "../config";
import { claimElsewhere, claimedByAnother, handedOver } from "./claims";
import { isUnknown } from "./inputs";
import { note } from "./log";
import { configureFromStack, createdButNotReady, engineOutputs } from "./serializable";

type Values = Record<string, unknown>;

/**
 * How a set resource maps onto the provider of one of its items. Every state the engine keeps
 * is one record per set (not per item), which is the point: the file backend rewrites its whole
 * checkpoint on every step, so 1,000 per-item resources make an `up` quadratic.
 */
export interface ResourceSetSpec {
  /** Type name for messages, e.g. `MailUserSet`. */
  resource: string;
  /** Input (and output) holding the items by key, e.g. `users`. */
  itemsField: string;
  /** The item provider's input the key fills in, e.g. `externalEmailAddress`. */
  keyField: string;
  /** Set inputs every item gets as its own inputs, e.g. `sku`. */
  sharedFields: readonly string[];
  /** Shared inputs that never go to the outputs, e.g. a password. */
  secretFields?: readonly string[];
  /** The provider of one item, loaded when first needed (dynamic providers are serialized). */
  itemProvider(): pulumi.dynamic.ResourceProvider;
  /** The item provider's resource type, under which the items' keys are claimed (claims.ts), e.g. `MailUser`. */
  itemResource: string;
  /**
   * An item output that is a secret, e.g. a generated password: kept out of the items and gathered
   * by key into one set output (`setField`), which the set resource declares secret.
   */
  secretItemOutput?: { field: string; setField: string };
  /**
   * Outputs the set keeps once instead of per item (e.g. one password fingerprint): each item's
   * diff and update see them as their own old outputs, and they are removed from the items'.
   * `allApplied` is false when some item failed, so a value that would claim it is applied to
   * every item (a new password) can be held back.
   */
  setOutputs?(news: Values, olds: Values | undefined, allApplied: boolean): Values;
  /**
   * Keys of other items of the set that must exist before this one is created or updated (a
   * group whose member is another group of the set); absent: every item at once.
   */
  itemsBefore?(key: string, inputs: Values): string[];
}

/** The engine's kinds of a property diff, as `pulumi preview --diff` shows them. */
export type ItemChangeKind = "ADD" | "DELETE" | "UPDATE";

/** A set's diff: never a replacement; `detailedDiff` names each changed item by its property path. */
export interface ResourceSetDiff extends pulumi.dynamic.DiffResult {
  detailedDiff: Record<string, { kind: ItemChangeKind; inputDiff: boolean }>;
}

/** `handOver`: removed from this set, but another resource of the deployment declares it now (claims.ts). */
type ItemAction = "create" | "delete" | "handOver" | "update" | "replace" | "same";

interface ItemPlan {
  key: string;
  action: ItemAction;
  /** The item's old outputs, including its `id` (absent for a new item). */
  olds?: Values;
  /** The item's checked inputs (absent for a removed item). */
  news?: Values;
  deleteBeforeReplace: boolean;
}

/** The outcome of one item operation: its outputs now (undefined: it does not exist), or why it failed. */
interface ItemOutcome {
  key: string;
  outputs?: Values;
  error?: unknown;
}

/** Items named in a message before the rest are only counted. */
const MAX_LISTED_ITEMS = 20;

/** The first MAX_LISTED_ITEMS lines, then how many more there are. */
function firstListed(lines: string[]): string[] {
  return lines.length > MAX_LISTED_ITEMS ? [...lines.slice(0, MAX_LISTED_ITEMS), `… and ${lines.length - MAX_LISTED_ITEMS} more`] : lines;
}

const propertyPath = (spec: ResourceSetSpec, key: string): string => `${spec.itemsField}[${JSON.stringify(key)}]`;
const isRecord = (value: unknown): value is Values => typeof value === "object" && value !== null && !Array.isArray(value);
const itemsOf = (spec: ResourceSetSpec, values: Values | undefined): Record<string, unknown> => {
  const items = values?.[spec.itemsField];
  return isRecord(items) ? items : {};
};

function pick(values: Values | undefined, fields: readonly string[]): Values {
  return Object.fromEntries(fields.filter((field) => values?.[field] !== undefined).map((field) => [field, values![field]]));
}

function omit(values: Values, fields: readonly string[]): Values {
  return Object.fromEntries(Object.entries(values).filter(([field]) => !fields.includes(field)));
}

const publicSharedFields = (spec: ResourceSetSpec): string[] => spec.sharedFields.filter((field) => !spec.secretFields?.includes(field));

/** The inputs of one item: the set's shared inputs, the item's own, and the key. */
function itemInputs(spec: ResourceSetSpec, set: Values, key: string, own: Values): Values {
  return { ...pick(set, spec.sharedFields), ...own, [spec.keyField]: key };
}

/** Fields the set keeps once for all items (its `setOutputs`), as found in stored set outputs. */
function setLevelFields(spec: ResourceSetSpec, set: Values | undefined): string[] {
  const own = [spec.itemsField, "__provider", ...spec.sharedFields, ...(spec.secretItemOutput ? [spec.secretItemOutput.setField] : [])];
  return spec.setOutputs ? Object.keys(set ?? {}).filter((field) => !own.includes(field)) : [];
}

/** An item's old outputs as its provider wrote them: the set-level values it shares, and its secret output, filled back in. */
function expandItem(spec: ResourceSetSpec, set: Values, key: string, stored: Values): Values {
  const secret = spec.secretItemOutput;
  const secretValue = secret && isRecord(set[secret.setField]) ? (set[secret.setField] as Values)[key] : undefined;
  // The key is the item's key field by construction; a state written before parseRecipient kept a
  // mailbox's null ExternalEmailAddress as "" holds an empty one, which would name no Gmail user.
  return {
    ...pick(set, publicSharedFields(spec)),
    ...pick(set, setLevelFields(spec, set)),
    ...stored,
    [spec.keyField]: stored[spec.keyField] || key,
    ...(secretValue !== undefined ? { [secret!.field]: secretValue } : {}),
  };
}

/** The items' secret outputs by key, as the set stores them (absent when no item has one). */
function gatheredSecrets(spec: ResourceSetSpec, outcomes: ItemOutcome[]): Values {
  const secret = spec.secretItemOutput;
  if (!secret) return {};
  const byKey = Object.fromEntries(outcomes.filter((outcome) => outcome.outputs?.[secret.field] !== undefined).map((outcome) => [outcome.key, outcome.outputs![secret.field]]));
  return Object.keys(byKey).length > 0 ? { [secret.setField]: byKey } : {};
}

/** An item's outputs as the set stores them: what equals the set's shared value, or the set keeps once, left out. */
function compactItem(spec: ResourceSetSpec, setOutputs: Values, itemOutputs: Values): Values {
  const heldBySet = (field: string, value: unknown): boolean =>
    field in setOutputs && (!spec.sharedFields.includes(field) || JSON.stringify(value) === JSON.stringify(setOutputs[field]));
  return Object.fromEntries(
    Object.entries(itemOutputs).filter(
      ([field, value]) => field !== "__provider" && !spec.secretFields?.includes(field) && field !== spec.secretItemOutput?.field && !heldBySet(field, value),
    ),
  );
}

/**
 * The set's `check`: every item is checked by the item provider (with the shared inputs and its
 * key), failures are reported at the item's property path (`users["alice@contoso.com"].alias`),
 * a failure of a shared input once. The checked inputs hold the shared inputs and each item's
 * checked fields under its normalized key.
 */
export async function checkSet(spec: ResourceSetSpec, olds: Values, news: Values): Promise<pulumi.dynamic.CheckResult> {
  const raw = news[spec.itemsField];
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string): void => {
    if (!failures.some((failure) => failure.property === property && failure.reason === reason)) failures.push({ property, reason });
  };
  // The keys the other sets of the stack hold: claimed before this set's own update can run.
  const holder = typeof news.holder === "string" ? news.holder : undefined;
  if (holder && Array.isArray(news.heldElsewhere)) {
    for (const key of news.heldElsewhere) if (typeof key === "string" && !isUnknown(key)) claimElsewhere(spec.itemResource, key, holder);
  }
  if (isUnknown(raw)) return { inputs: news };
  if (raw !== undefined && raw !== null && !isRecord(raw)) {
    fail(spec.itemsField, `${spec.resource}.${spec.itemsField}: must be an object keyed by ${spec.keyField}, e.g. { "alice@contoso.com": { … } }`);
    return { inputs: news, failures };
  }
  const checkedItems: Record<string, unknown> = {};
  let checkedShared: Values = pick(news, spec.sharedFields);
  const normalizedFrom = new Map<string, string>();
  for (const [key, item] of Object.entries(raw ?? {})) {
    const path = propertyPath(spec, key);
    if (isUnknown(item)) {
      checkedItems[key] = item;
      continue;
    }
    if (!isRecord(item)) {
      fail(path, `${spec.resource}.${path}: must be an object of the item's fields, got ${JSON.stringify(item)}`);
      continue;
    }
    const misplaced = Object.keys(item).filter((field) => field === spec.keyField || spec.sharedFields.includes(field));
    if (misplaced.length > 0) {
      fail(path, `${spec.resource}.${path}: ${misplaced.join(", ")} cannot be set per item (${spec.keyField} is the key, the others are set once for the whole set); remove it`);
      continue;
    }
    const oldItem = itemsOf(spec, olds)[key];
    const result = await spec.itemProvider().check!(isRecord(oldItem) ? itemInputs(spec, olds, key, oldItem) : {}, itemInputs(spec, news, key, item));
    if (result.failures && result.failures.length > 0) {
      for (const failure of result.failures) {
        if (spec.sharedFields.includes(failure.property)) fail(failure.property, failure.reason);
        else fail(failure.property === spec.keyField ? path : `${path}.${failure.property}`, failure.reason);
      }
      continue;
    }
    const checked = result.inputs ?? {};
    const normalizedKey = typeof checked[spec.keyField] === "string" ? (checked[spec.keyField] as string) : key;
    const earlier = normalizedFrom.get(normalizedKey);
    if (earlier !== undefined) {
      fail(path, `${spec.resource}.${path}: is the same ${spec.keyField} as ${propertyPath(spec, earlier)}; list each one once`);
      continue;
    }
    normalizedFrom.set(normalizedKey, key);
    checkedShared = pick(checked, spec.sharedFields);
    checkedItems[normalizedKey] = omit(checked, [spec.keyField, ...spec.sharedFields]);
  }
  if (failures.length > 0) return { inputs: news, failures };
  return { inputs: { ...checkedShared, [spec.itemsField]: checkedItems } };
}

/** Per key: only in olds → delete, only in news → create, in both → the item's own diff. */
async function planItems(spec: ResourceSetSpec, olds: Values, news: Values): Promise<ItemPlan[]> {
  const oldItems = itemsOf(spec, olds);
  const newItems = itemsOf(spec, news);
  const keys = [...new Set([...Object.keys(oldItems), ...Object.keys(newItems)])].sort();
  return Promise.all(
    keys.map(async (key): Promise<ItemPlan> => {
      const oldItem = key in oldItems ? expandItem(spec, olds, key, oldItems[key] as Values) : undefined;
      const ownNews = newItems[key];
      const newItem = key in newItems ? (isUnknown(ownNews) ? ownNews : itemInputs(spec, news, key, ownNews as Values)) : undefined;
      if (!oldItem) return { key, action: "create", news: newItem as Values, deleteBeforeReplace: false };
      if (!newItem) return removal(spec, key, oldItem);
      if (isUnknown(newItem)) return { key, action: "update", olds: oldItem, news: newItem as unknown as Values, deleteBeforeReplace: false };
      const diff = await spec.itemProvider().diff!(String(oldItem.id), oldItem, newItem as Values);
      const action: ItemAction = (diff.replaces ?? []).length > 0 ? "replace" : diff.changes === false ? "same" : "update";
      return { key, action, olds: oldItem, news: newItem as Values, deleteBeforeReplace: diff.deleteBeforeReplace === true };
    }),
  );
}

/** An item no longer in the set: deleted, unless another resource of this deployment declares it now (it is handed over). */
function removal(spec: ResourceSetSpec, key: string, olds: Values): ItemPlan {
  const handedOver = claimedByAnother(spec.itemResource, key, typeof olds.holder === "string" ? olds.holder : undefined) !== undefined;
  return { key, action: handedOver ? "handOver" : "delete", olds, deleteBeforeReplace: false };
}

const CHANGE_KIND: Record<Exclude<ItemAction, "same">, ItemChangeKind> = { create: "ADD", delete: "DELETE", handOver: "DELETE", update: "UPDATE", replace: "UPDATE" };

/**
 * Names the changed items in the engine's output. The dynamic-provider layer of @pulumi/pulumi
 * 3.248 forwards only `changes` and `replaces` of a diff, so without this `pulumi preview --diff`
 * would show every item of the set (its stored outputs against its inputs) and not which changed.
 */
function describePlan(spec: ResourceSetSpec, changed: ItemPlan[], total: number): void {
  const listed = firstListed(changed.map((plan) => `${plan.action === "handOver" ? "hand over" : plan.action} ${plan.key}`));
  note(spec.resource, `plans ${changed.length} of ${total} ${spec.itemsField}: ${listed.join("; ")}`);
}

/**
 * The set's `diff`: a change when any item changes, never a replacement (an item that must be
 * replaced is deleted and created again inside the set's update).
 */
export async function diffSet(spec: ResourceSetSpec, olds: Values, news: Values): Promise<ResourceSetDiff> {
  if (isUnknown(news[spec.itemsField])) {
    return { changes: true, replaces: [], detailedDiff: { [spec.itemsField]: { kind: "UPDATE", inputDiff: true } } };
  }
  const plans = await planItems(spec, olds, news);
  const changed = plans.filter((plan) => plan.action !== "same");
  if (changed.length > 0) describePlan(spec, changed, plans.length);
  const detailedDiff = Object.fromEntries(
    changed.map((plan) => [propertyPath(spec, plan.key), { kind: CHANGE_KIND[plan.action as Exclude<ItemAction, "same">], inputDiff: true }]),
  );
  return { changes: changed.length > 0, replaces: [], detailedDiff };
}

/**
 * An item's outputs after a failed create or update that left it in place (the engine's
 * partial-state error, `createdButNotReady`), so the next `up` updates it rather than creating it.
 */
function partialOutputs(error: unknown): Values | undefined {
  const partial = error as { id?: string; properties?: Values };
  return partial.id && isRecord(partial.properties) ? { ...partial.properties, id: partial.id } : undefined;
}

async function createItem(spec: ResourceSetSpec, news: Values): Promise<Values> {
  const { id, outs } = await spec.itemProvider().create(news);
  return { ...outs, id };
}

async function updateItem(spec: ResourceSetSpec, olds: Values, news: Values): Promise<Values> {
  const { outs } = await spec.itemProvider().update!(String(olds.id), olds, news);
  return { ...outs, id: olds.id };
}

async function deleteItem(spec: ResourceSetSpec, olds: Values): Promise<void> {
  await spec.itemProvider().delete!(String(olds.id), olds);
}

/** Replaces an item in the order its diff asks for; on failure, what is left of it. */
async function replaceItem(spec: ResourceSetSpec, plan: ItemPlan): Promise<ItemOutcome> {
  if (plan.deleteBeforeReplace) {
    try {
      await deleteItem(spec, plan.olds!);
    } catch (error) {
      return { key: plan.key, outputs: plan.olds, error };
    }
    return runItem(plan.key, undefined, () => createItem(spec, plan.news!));
  }
  const created = await runItem(plan.key, plan.olds, () => createItem(spec, plan.news!));
  if (created.error) return created;
  try {
    await deleteItem(spec, plan.olds!);
  } catch (error) {
    return { key: plan.key, outputs: created.outputs, error };
  }
  return created;
}

/** Runs one create or update; a failure keeps the partial outputs it reports, else `previous`. */
async function runItem(key: string, previous: Values | undefined, operation: () => Promise<Values>): Promise<ItemOutcome> {
  try {
    return { key, outputs: await operation() };
  } catch (error) {
    return { key, outputs: partialOutputs(error) ?? previous, error };
  }
}

function applyItem(spec: ResourceSetSpec, plan: ItemPlan): Promise<ItemOutcome> {
  switch (plan.action) {
    case "create":
      return runItem(plan.key, undefined, () => createItem(spec, plan.news!));
    case "update":
      return runItem(plan.key, plan.olds, () => updateItem(spec, plan.olds!, plan.news!));
    case "replace":
      return replaceItem(spec, plan);
    case "same":
      return Promise.resolve({ key: plan.key, outputs: plan.olds });
    case "delete":
      return deleteItem(spec, plan.olds!).then(
        () => ({ key: plan.key }),
        (error: unknown) => ({ key: plan.key, outputs: plan.olds, error }),
      );
    case "handOver":
      handedOver(spec.itemResource, plan.key, plan.olds!.holder);
      return Promise.resolve({ key: plan.key });
  }
}

/** "alice@contoso.com: <reason>" for the first failures, then how many more; secrets redacted. */
function describeFailures(spec: ResourceSetSpec, verb: string, failed: ItemOutcome[], total: number): string {
  const listed = firstListed(failed.map((outcome) => `${outcome.key}: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`));
  return redact([`${spec.resource}: ${verb} failed for ${failed.length} of ${total} ${spec.itemsField}:`, ...listed.map((line) => `  ${line}`)].join("\n"));
}

/**
 * The item plans in waves: each item after the items it names in `itemsBefore` (those the set
 * holds). An item in a circle of such names runs in the last wave, with the rest of the circle.
 */
export function inWaves<P extends { key: string; news?: Values }>(spec: Pick<ResourceSetSpec, "itemsBefore">, plans: P[]): P[][] {
  if (!spec.itemsBefore) return [plans];
  const keys = new Set(plans.map((plan) => plan.key.toLowerCase()));
  const before = new Map(
    plans.map((plan) => [plan.key, plan.news && !isUnknown(plan.news) ? spec.itemsBefore!(plan.key, plan.news).map((key) => key.toLowerCase()).filter((key) => keys.has(key) && key !== plan.key.toLowerCase()) : []]),
  );
  const waves: P[][] = [];
  const done = new Set<string>();
  let rest = plans;
  while (rest.length > 0) {
    const ready = rest.filter((plan) => before.get(plan.key)!.every((key) => done.has(key)));
    const wave = ready.length > 0 ? ready : rest;
    waves.push(wave);
    for (const plan of wave) done.add(plan.key.toLowerCase());
    rest = rest.filter((plan) => !wave.includes(plan));
  }
  return waves;
}

/**
 * Creates or updates the set to `news`: removed items are deleted first (their addresses may be
 * reused by new ones), then every other item operation runs at once (in waves when `itemsBefore`
 * orders them). When some fail, the engine's partial-state error records what now exists, so the
 * next `up` plans the rest again.
 */
async function applySet(spec: ResourceSetSpec, id: string, olds: Values | undefined, news: Values): Promise<Values> {
  const plans = await planItems(spec, olds ?? {}, news);
  if (plans.some((plan) => plan.action !== "same" && plan.action !== "handOver")) prepareWrites();
  const removed = (plan: ItemPlan): boolean => plan.action === "delete" || plan.action === "handOver";
  const deletions = await Promise.all(plans.filter(removed).map((plan) => applyItem(spec, plan)));
  const others: ItemOutcome[] = [];
  for (const wave of inWaves(spec, plans.filter((plan) => !removed(plan)))) others.push(...(await Promise.all(wave.map((plan) => applyItem(spec, plan)))));
  const outcomes = [...deletions, ...others];
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  const setLevel = { ...pick(news, publicSharedFields(spec)), ...spec.setOutputs?.(news, olds, failed.length === 0), ...gatheredSecrets(spec, outcomes) };
  const items = Object.fromEntries(
    outcomes.filter((outcome) => outcome.outputs).map((outcome) => [outcome.key, compactItem(spec, setLevel, outcome.outputs!)]),
  );
  const outputs = engineOutputs({ ...setLevel, [spec.itemsField]: items });
  if (failed.length > 0) {
    const changing = plans.filter((plan) => plan.action !== "same").length;
    throw createdButNotReady(
      `${describeFailures(spec, "create/update", failed, changing)}\nThe ${spec.itemsField} that succeeded are recorded; run pulumi up again to retry the others.`,
      id,
      outputs,
      news,
    );
  }
  return outputs;
}

/** Refreshes every item (the item reads share coalesced list reads); an item that is gone is dropped. */
async function readSet(spec: ResourceSetSpec, props: Values): Promise<Values> {
  const stored = itemsOf(spec, props);
  const outcomes = await Promise.all(
    Object.entries(stored).map(async ([key, item]): Promise<ItemOutcome> => {
      const olds = expandItem(spec, props, key, item as Values);
      try {
        const result = await spec.itemProvider().read!(String(olds.id), olds);
        return { key, outputs: result.id ? { ...result.props, id: result.id } : undefined };
      } catch (error) {
        return { key, error };
      }
    }),
  );
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  if (failed.length > 0) throw new Error(describeFailures(spec, "refresh", failed, outcomes.length));
  const setLevel = { ...omit(props, [spec.itemsField, "__provider", ...(spec.secretItemOutput ? [spec.secretItemOutput.setField] : [])]), ...gatheredSecrets(spec, outcomes) };
  const items = Object.fromEntries(outcomes.filter((outcome) => outcome.outputs).map((outcome) => [outcome.key, compactItem(spec, setLevel, outcome.outputs!)]));
  return engineOutputs({ ...setLevel, [spec.itemsField]: items });
}

/**
 * Deletes every item at once (an item another resource of this deployment now declares is handed
 * over instead); item deletes are idempotent, so a failed destroy is simply run again.
 */
async function deleteSet(spec: ResourceSetSpec, props: Values): Promise<void> {
  const plans = Object.entries(itemsOf(spec, props)).map(([key, item]): ItemPlan => removal(spec, key, expandItem(spec, props, key, item as Values)));
  if (plans.some((plan) => plan.action === "delete")) prepareWrites();
  const failed = (await Promise.all(plans.map((plan) => applyItem(spec, plan)))).filter((outcome) => outcome.error !== undefined);
  if (failed.length > 0) {
    throw new Error(`${describeFailures(spec, "delete", failed, plans.length)}\nThe others are deleted; run the command again to retry.`);
  }
}

/** The dynamic provider of a set of items, built on the provider of one item. */
export function resourceSetProvider(spec: ResourceSetSpec): pulumi.dynamic.ResourceProvider {
  return {
    configure: configureFromStack,
    check: (olds, news) => checkSet(spec, olds, news),
    diff: (_id, olds, news) => diffSet(spec, olds, news),
    async create(inputs) {
      const id = randomUUID();
      return { id, outs: await applySet(spec, id, undefined, inputs) };
    },
    async read(id, props) {
      return { id, props: await readSet(spec, props) };
    },
    async update(id, olds, news) {
      return { outs: await applySet(spec, id, olds, news) };
    },
    delete: (_id, props) => deleteSet(spec, props),
  };
}
