/**
 * What DistributionGroup and MailContact share: an Exchange recipient object known by its primary
 * SMTP address, whose custom attribute (`ownerAttribute`, CustomAttribute15 by default) carries the
 * mark of the stack that manages it (ownership.ts). Set-DistributionGroup and Set-MailContact keep
 * the custom attributes as Set-MailUser does; New-DistributionGroup and New-MailContact cannot set
 * them, so the creating call names the object with this stack's creation token until the Set that
 * marks it, and an object left between the two calls is known as this stack's.
 *
 * A Google group kept at Google is a mail contact with the group's address; migrated, it is a
 * distribution group with the same address. When a group's plan changes, the create of the new
 * object finds this stack's object of the other kind holding the address and removes it first, so
 * the change is one `pulumi up` (the address is unknown to Exchange for the moment in between).
 */
import type * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject, unlessNotFound } from "../clients";
import { claim, handedOver } from "./claims";
import { planDiff, type FieldRule } from "./diff";
import { emailItem, InputChecker, isUnknown } from "./inputs";
import { note } from "./log";
import { getRecipient } from "./mailUserRecipient";
import { checkOwnerAttribute, creationName, markedValue, parseRecipient, recipientOwner, type Recipient } from "./mailUserPlan";
import { actionForExisting, createReadingFirst, creationToken, deleteAction, ownershipAfter, stackOwner, type ExistingObjectAction, type Ownership } from "./ownership";
import { missingProxies, proxyChanges, smtpAddressesOf } from "./proxyAddresses";
import { createdButNotReady, DynamicResource, engineOutputs } from "./serializable";

/**
 * The inputs both kinds share besides their addresses: names, the mark's attribute, and adoption.
 * The resource's own Args add its name and addresses.
 */
export interface MarkedRecipientArgs {
  /**
   * Mail nickname (unique among recipients). Updated in place.
   * @default the local part of `primarySmtpAddress`
   */
  readonly alias?: pulumi.Input<string>;
  /**
   * Name in the address list. Updated in place.
   * @default the `name`
   */
  readonly displayName?: pulumi.Input<string>;
  /**
   * The custom attribute (`CustomAttribute1` … `CustomAttribute15`) that carries the stack's mark.
   * Pick one your organisation does not use; it cannot change once created.
   * @default "CustomAttribute15"
   */
  readonly ownerAttribute?: pulumi.Input<string>;
  /**
   * Take over an existing recipient with the `primarySmtpAddress` that this stack did not create,
   * instead of failing: it is changed to match and restored on delete, never removed, unless
   * `deleteAdopted`.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Remove an adopted recipient on delete like one the stack created, instead of restoring it.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
}

/** One kind of marked recipient object. */
export interface ObjectKind {
  resource: "DistributionGroup" | "MailContact";
  /** The object in a message, e.g. `distribution group`. */
  noun: string;
  /** Its RecipientTypeDetails. */
  recipientTypes: readonly string[];
  cmdlets: { get: string; set: string; remove: string };
  /** Parameters every Set- and Remove- of this kind takes. */
  always: Record<string, unknown>;
}

export const DISTRIBUTION_GROUP: ObjectKind = {
  resource: "DistributionGroup",
  noun: "distribution group",
  recipientTypes: ["MailUniversalDistributionGroup", "MailUniversalSecurityGroup", "MailNonUniversalGroup"],
  cmdlets: { get: "Get-DistributionGroup", set: "Set-DistributionGroup", remove: "Remove-DistributionGroup" },
  // An app that is none of the group's owners may change it only with this switch (its admin role allows it).
  always: { BypassSecurityGroupManagerCheck: true },
};

export const MAIL_CONTACT: ObjectKind = {
  resource: "MailContact",
  noun: "mail contact",
  recipientTypes: ["MailContact"],
  cmdlets: { get: "Get-MailContact", set: "Set-MailContact", remove: "Remove-MailContact" },
  always: {},
};

export const DEFAULT_OWNER_ATTRIBUTE = "CustomAttribute15";

/** What Exchange shows of a group or contact. */
export type LiveObject = Recipient & { requireSenderAuthenticationEnabled?: boolean };

export function parseObject(found: Record<string, unknown>): LiveObject {
  const requireSender = found.RequireSenderAuthenticationEnabled;
  return { ...parseRecipient(found), ...(typeof requireSender === "boolean" ? { requireSenderAuthenticationEnabled: requireSender } : {}) };
}

export async function findObject(kind: ObjectKind, identity: string): Promise<LiveObject | undefined> {
  const found = await findExchangeObject(kind.cmdlets.get, identity);
  return found ? parseObject(found) : undefined;
}

/** The checked inputs both kinds share. */
export interface DesiredObject {
  name: string;
  alias: string;
  displayName: string;
  primarySmtpAddress: string;
  /** The object's other addresses: those on accepted domains become proxies, the others are reported. */
  emailAddresses?: string[];
  ownerAttribute: string;
  adopt: boolean;
  deleteAdopted: boolean;
  /** `<project>/<stack>` of the program that declares the resource. */
  owner?: string;
  /** The resource (or set) that declares the object. */
  holder?: string;
}

/** What adoption saves, put back on delete. */
export interface SavedObject {
  name?: string;
  alias?: string;
  displayName?: string;
  /** Every proxy as Exchange showed it (`SMTP:` primary). */
  emailAddresses: string[];
  ownerAttributeValue: string;
  requireSenderAuthenticationEnabled?: boolean;
  externalEmailAddress?: string;
  /** A group's members, by primary address. */
  members?: string[];
}

/** The state fields both kinds share besides their inputs. */
export interface ObjectState {
  guid: string;
  /** Every SMTP address the object holds, primary first, as Exchange showed it last. */
  proxyAddresses: string[];
  /** Wanted addresses not added because their domain is not an accepted domain of Exchange Online. */
  unroutableAddresses?: string[];
  ownership: Ownership;
  settingsBeforeAdoption?: SavedObject;
}

/** The stack that declares the resource: its hidden input (the resource classes pass it). */
export function ownerOf(kind: ObjectKind, desired: { owner?: string }): string {
  if (!desired.owner) throw new Error(`${kind.resource}: the input owner is missing; declare the resource with this package's ${kind.resource} class, which passes it.`);
  return desired.owner;
}

/**
 * `check` for what both kinds share after their own fields: the other addresses (never the
 * primary), the owner attribute, adopt, deleteAdopted, owner and holder (whose claim on the
 * primary address is recorded, so that two resources of one program never hold one address).
 */
export function checkSharedInputs(inputs: InputChecker, olds: Record<string, unknown>, kind: ObjectKind, primary: string | undefined): void {
  const addresses = inputs.list("emailAddresses", emailItem, { maxItems: 1000 });
  if (addresses && !isUnknown(addresses) && primary && !isUnknown(primary)) {
    const index = addresses.indexOf(primary);
    if (index >= 0) inputs.problem(`emailAddresses[${index}]`, `${primary} is the primarySmtpAddress; list only the other addresses`);
  }
  const attribute = inputs.text("ownerAttribute", { fallback: DEFAULT_OWNER_ATTRIBUTE, maxLength: 20 });
  checkOwnerAttribute(inputs, attribute, olds.ownerAttribute, kind.noun);
  inputs.boolean("adopt", false);
  inputs.boolean("deleteAdopted", false);
  inputs.owner();
  const holder = inputs.text("holder");
  if (primary && holder && !isUnknown(primary) && !isUnknown(holder)) claim(kind.resource, primary, holder);
}

/** The local part of an address, as an Exchange alias default. */
export function localPart(address: string): string {
  return address.slice(0, address.lastIndexOf("@"));
}

/** The name the creating call gives the object: its name with this stack's creation token for the address. */
export function creatingName(desired: DesiredObject, owner: string): string {
  return creationName(desired.name, creationToken(owner, desired.primarySmtpAddress));
}

/** The stack that owns the object: its mark, else this stack's creation token in its name (an interrupted create). */
export function objectOwner(live: LiveObject, desired: Pick<DesiredObject, "ownerAttribute" | "primarySmtpAddress">, owner: string): string | undefined {
  return recipientOwner(live, desired.ownerAttribute, owner, desired.primarySmtpAddress);
}

/** The Set- parameters both kinds share, with what differs and the addresses Exchange cannot hold. */
export interface ObjectChange {
  parameters: Record<string, unknown>;
  differences: string[];
  unroutable: string[];
}

/**
 * The Set- parameters that bring the names, the mark and the other addresses to what is wanted:
 * Name, Alias, DisplayName when they differ (a name that still carries the creation token too),
 * the mark, and EmailAddresses as an Add/Remove table (`previousAddresses`: those wanted before,
 * removed when no longer wanted; proxies nobody asked for are left alone).
 */
export function sharedChanges(
  live: LiveObject,
  desired: DesiredObject,
  options: { previousAddresses?: string[]; acceptedDomains: ReadonlySet<string>; mark?: string; keep?: string[] },
): ObjectChange {
  const parameters: Record<string, unknown> = {};
  const differences: string[] = [];
  for (const [field, parameter] of [
    ["name", "Name"],
    ["alias", "Alias"],
    ["displayName", "DisplayName"],
  ] as const) {
    if (live[field] !== undefined && live[field] !== desired[field]) {
      parameters[parameter] = desired[field];
      differences.push(field);
    }
  }
  if (options.mark !== undefined && (live.customAttributes[desired.ownerAttribute] ?? "") !== options.mark) parameters[desired.ownerAttribute] = options.mark;
  const previous = (options.previousAddresses ?? []).filter((address) => !(options.keep ?? []).includes(address));
  const proxies = proxyChanges(desired.emailAddresses ?? [], previous, smtpAddressesOf(live.emailAddresses), options.acceptedDomains, live.primarySmtpAddress);
  if (proxies.add.length > 0 || proxies.remove.length > 0) {
    parameters.EmailAddresses = apis().exchange.addRemove({ ...(proxies.add.length > 0 ? { add: proxies.add } : {}), ...(proxies.remove.length > 0 ? { remove: proxies.remove } : {}) });
    differences.push("emailAddresses");
  }
  return { parameters, differences, unroutable: proxies.unroutable };
}

/** Sends one Set- of the kind when there is anything to send. */
export async function setObject(kind: ObjectKind, guid: string, parameters: Record<string, unknown>): Promise<void> {
  if (Object.keys(parameters).length === 0) return;
  await apis().exchange.invoke(kind.cmdlets.set, { Identity: guid, ...parameters, ...kind.always });
}

/** The object as it is after a Set- of these parameters (Set- returns nothing; reading again would cost a call). */
export function afterSet(live: LiveObject, parameters: Record<string, unknown>): LiveObject {
  const next: LiveObject = { ...live, customAttributes: { ...live.customAttributes } };
  if (typeof parameters.Name === "string") next.name = parameters.Name;
  if (typeof parameters.Alias === "string") next.alias = parameters.Alias;
  if (typeof parameters.DisplayName === "string") next.displayName = parameters.DisplayName;
  if (typeof parameters.RequireSenderAuthenticationEnabled === "boolean") next.requireSenderAuthenticationEnabled = parameters.RequireSenderAuthenticationEnabled;
  if (typeof parameters.ExternalEmailAddress === "string") next.externalEmailAddress = parameters.ExternalEmailAddress.toLowerCase();
  for (const [parameter, value] of Object.entries(parameters)) if (/^CustomAttribute\d+$/.test(parameter)) next.customAttributes[parameter] = String(value);
  const addresses = parameters.EmailAddresses;
  if (Array.isArray(addresses)) next.emailAddresses = addresses.map(String);
  else if (addresses && typeof addresses === "object") {
    const table = addresses as { Add?: string | string[]; Remove?: string | string[] };
    const removed = new Set(smtpAddressesOf([table.Remove ?? []].flat()));
    next.emailAddresses = [...live.emailAddresses.filter((proxy) => !removed.has(smtpAddressesOf([proxy])[0])), ...[table.Add ?? []].flat()];
  }
  next.primarySmtpAddress = primaryOf(next.emailAddresses) ?? live.primarySmtpAddress;
  return next;
}

/** The primary SMTP address of a proxy list (the `SMTP:` one). */
export function primaryOf(proxies: readonly string[]): string | undefined {
  const primary = proxies.filter((proxy) => proxy.startsWith("SMTP:")).pop();
  return primary?.slice(5).toLowerCase();
}

/** The state fields both kinds share. */
export function objectState(live: LiveObject, ownership: Ownership, unroutable: string[] | undefined, settingsBeforeAdoption: SavedObject | undefined): ObjectState {
  const proxies = smtpAddressesOf(live.emailAddresses);
  const primary = live.primarySmtpAddress ?? primaryOf(live.emailAddresses);
  return {
    guid: live.guid,
    proxyAddresses: primary ? [primary, ...proxies.filter((address) => address !== primary)] : proxies,
    ...(unroutable && unroutable.length > 0 ? { unroutableAddresses: unroutable } : {}),
    ownership,
    ...(settingsBeforeAdoption ? { settingsBeforeAdoption } : {}),
  };
}

const isKind = (kind: ObjectKind, recipient: Recipient): boolean => kind.recipientTypes.includes(recipient.recipientTypeDetails);

/**
 * Frees the address for an object of `kind` when `holder` (another kind of object) has it: this
 * stack's object of the `other` kind (the group's plan changed) is removed; anything else is
 * refused, naming it.
 */
async function makeRoom(kind: ObjectKind, other: ObjectKind, holder: Recipient, desired: DesiredObject, owner: string): Promise<void> {
  const address = desired.primarySmtpAddress;
  const whose = recipientOwner(holder, desired.ownerAttribute, owner, address);
  if (isKind(other, holder) && whose === owner) {
    await unlessNotFound(apis().exchange.invoke(other.cmdlets.remove, { Identity: holder.guid, Confirm: false, ...other.always }));
    note(kind.resource, `${address}: removed this stack's ${other.noun} ${holder.name ?? holder.guid}, which held the address, to make it a ${kind.noun} (the group's plan changed).`);
    return;
  }
  const by = whose ? `, managed by the stack ${whose}` : "";
  throw new Error(
    `${kind.resource}: ${address} is already held by the ${holder.recipientTypeDetails} ${holder.name ?? holder.guid}${by}, so no ${kind.noun} can have it; ` +
      `remove that address from it (or the object), or choose another address. It is left as it is.`,
  );
}

const TAKE_OVER_NOTES: Record<Exclude<ExistingObjectAction, "create">, string> = {
  keep: "already exists exactly as wanted, with this stack's mark (an earlier run was interrupted?); took it over.",
  update: "already exists with this stack's mark (an earlier run was interrupted?); took it over and changed it to match.",
  adopt: "was not created by this stack; adopted it (adopt: true): its settings are saved and restored on delete. Changed it to match.",
};

/**
 * `create`'s first half. Nothing holds the primary address → `create` (never sent twice blindly: an
 * unknown outcome is read back first); this stack's object of the `other` kind holds it → removed,
 * then created; an object of this kind holds it → taken over as `actionForExisting` decides from its
 * mark and `differences`; anything else → refused.
 */
export async function createOrTakeOverObject(
  kind: ObjectKind,
  other: ObjectKind,
  desired: DesiredObject,
  create: () => Promise<LiveObject>,
  differences: (live: LiveObject) => Promise<string[]>,
): Promise<{ created: LiveObject } | { action: ExistingObjectAction; live: LiveObject }> {
  const owner = ownerOf(kind, desired);
  const address = desired.primarySmtpAddress;
  const holder = await getRecipient(address);
  if (holder && !isKind(kind, holder)) await makeRoom(kind, other, holder, desired, owner);
  let live = holder && isKind(kind, holder) ? await findObject(kind, holder.guid) : undefined;
  if (!live) {
    const outcome = await createReadingFirst(create, () => findObject(kind, address));
    if ("created" in outcome) return outcome;
    note(kind.resource, `creating the ${kind.noun} ${address} got no clear answer; read back, it is there.`);
    live = outcome.found;
  }
  const action = actionForExisting(kind.resource, `${kind.noun} ${address}`, { owner: objectOwner(live, desired, owner), differences: await differences(live) }, { owner, adopt: desired.adopt });
  note(kind.resource, `${kind.noun} ${address} ${TAKE_OVER_NOTES[action as keyof typeof TAKE_OVER_NOTES]}`);
  return { action, live };
}

/** What one kind adds to the shared create and update. */
export interface ObjectSteps<State> {
  /** Brings `live` to the inputs; `created`: New-* has just made it (and set what it takes). */
  reconcile(live: LiveObject, options: { previousAddresses?: string[]; mark?: string; created?: boolean }): Promise<{ live: LiveObject; unroutable: string[] }>;
  state(live: LiveObject, ownership: Ownership, unroutable: string[] | undefined, saved?: SavedObject): State;
}

/**
 * `create`: `createOrTakeOverObject`, then the object brought to the inputs and marked. When that
 * fails, the object is in the state all the same (incomplete), for the next `up` to finish.
 */
export async function createObject<State>(
  kind: ObjectKind,
  other: ObjectKind,
  inputs: Record<string, unknown>,
  desired: DesiredObject,
  steps: ObjectSteps<State> & {
    create(owner: string): Promise<LiveObject>;
    differences(live: LiveObject): Promise<string[]>;
    /** What adoption saves of `live`. */
    saved(live: LiveObject): Promise<SavedObject>;
  },
): Promise<{ id: string; outs: State }> {
  const owner = ownerOf(kind, desired);
  const outcome = await createOrTakeOverObject(kind, other, desired, () => steps.create(owner), steps.differences);
  const created = "created" in outcome;
  const live = created ? outcome.created : outcome.live;
  const adopting = !created && outcome.action === "adopt";
  const saved = adopting ? await steps.saved(live) : undefined;
  const ownership: Ownership = created ? "created" : ownershipAfter(outcome.action);
  try {
    const done = await steps.reconcile(live, { mark: markFor(live, desired, owner, adopting), created });
    return { id: live.guid, outs: steps.state(done.live, ownership, done.unroutable, saved) };
  } catch (error) {
    throw createdButNotReady(
      `${kind.resource}: ${created ? "created" : "took over"} ${desired.primarySmtpAddress} (${live.guid}) but could not finish it: ${(error as Error).message}; run pulumi up again to finish it.`,
      live.guid,
      { ...(steps.state(live, ownership, undefined, saved) as object), incomplete: true },
      inputs,
    );
  }
}

/** `update`: the object (still this stack's) brought to the new inputs. */
export async function updateObject<State>(kind: ObjectKind, id: string, desired: DesiredObject, state: Partial<ObjectState> & { owner?: string; emailAddresses?: string[] }, steps: ObjectSteps<State>): Promise<{ outs: State }> {
  const { live, mark } = await liveForUpdate(kind, id, desired, state.owner);
  const done = await steps.reconcile(live, { previousAddresses: state.emailAddresses, mark });
  return { outs: steps.state(done.live, state.ownership ?? "created", done.unroutable, state.settingsBeforeAdoption) };
}

/** The mark to write: this stack's, keeping what the attribute held when adopting. */
export function markFor(live: LiveObject, desired: DesiredObject, owner: string, adopting: boolean): string {
  return markedValue(owner, live.customAttributes[desired.ownerAttribute], adopting);
}

/** What adoption saves of the object (kind extras added by the caller). */
export function savedObject(live: LiveObject, desired: DesiredObject): SavedObject {
  return {
    name: live.name,
    alias: live.alias,
    displayName: live.displayName,
    emailAddresses: live.emailAddresses,
    ownerAttributeValue: live.customAttributes[desired.ownerAttribute] ?? "",
    ...(live.requireSenderAuthenticationEnabled !== undefined ? { requireSenderAuthenticationEnabled: live.requireSenderAuthenticationEnabled } : {}),
    ...(live.externalEmailAddress ? { externalEmailAddress: live.externalEmailAddress } : {}),
  };
}

/** The existing object for `update`: refused when another stack's mark is on it now. */
export async function liveForUpdate(kind: ObjectKind, id: string, desired: DesiredObject, stateOwner: string | undefined): Promise<{ live: LiveObject; owner: string; mark?: string }> {
  const live = await findObject(kind, id);
  if (!live) {
    throw new Error(`${kind.resource}: the ${kind.noun} ${desired.primarySmtpAddress} (${id}) no longer exists in Exchange Online; run pulumi refresh, then pulumi up to create it again.`);
  }
  const owner = stateOwner ?? ownerOf(kind, desired);
  const liveOwner = objectOwner(live, desired, owner);
  if (liveOwner !== undefined && liveOwner !== owner) {
    throw new Error(
      `${kind.resource}: the ${kind.noun} ${desired.primarySmtpAddress} now carries the mark of the stack ${liveOwner}, which took it over; this stack leaves it alone. ` +
        "Remove the resource from this stack (pulumi state delete <urn>), or take it back with adopt from a new resource.",
    );
  }
  return { live, owner, mark: liveOwner === undefined ? markFor(live, desired, owner, false) : undefined };
}

/**
 * Delete: an object another resource of this deployment declares now is handed over; one that no
 * longer carries this stack's mark is left; an adopted one is restored (`restore`); this stack's
 * own is removed.
 */
export async function deleteObject(kind: ObjectKind, id: string, props: Record<string, unknown>, restore: (live: LiveObject, saved: SavedObject) => Promise<void>): Promise<void> {
  const address = String(props.primarySmtpAddress ?? "");
  if (handedOver(kind.resource, address, props.holder)) return;
  const live = await findObject(kind, id);
  if (!live) {
    note(kind.resource, `the ${kind.noun} ${address} (${id}) is already gone from Exchange Online.`);
    return;
  }
  const owner = String(props.owner ?? "");
  const desired = { ownerAttribute: String(props.ownerAttribute ?? DEFAULT_OWNER_ATTRIBUTE), primarySmtpAddress: address };
  const liveOwner = objectOwner(live, desired, owner);
  const state = { ownership: props.ownership as Ownership | undefined, deleteAdopted: props.deleteAdopted === true };
  switch (deleteAction(state, { keepsMark: true, owner: liveOwner }, owner)) {
    case "leave":
      note(kind.resource, `left the ${kind.noun} ${address} as it is: it ${liveOwner ? `carries the mark of the stack ${liveOwner}` : "no longer carries this stack's mark"}.`);
      return;
    case "restore": {
      const saved = props.settingsBeforeAdoption as SavedObject | undefined;
      if (saved) await restore(live, saved);
      note(kind.resource, saved ? `restored the adopted ${kind.noun} ${address} to its settings before adoption and kept it (deleteAdopted is false).` : `left the adopted ${kind.noun} ${address} as it is: the state holds no settings from before its adoption.`);
      return;
    }
    case "remove":
      await unlessNotFound(apis().exchange.invoke(kind.cmdlets.remove, { Identity: id, Confirm: false, ...kind.always }));
  }
}

/** The Set- parameters that put back what an adopted object had: names, owner attribute, proxies. */
export function restoreParameters(live: LiveObject, saved: SavedObject, ownerAttribute: string): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if (saved.name && saved.name !== live.name) parameters.Name = saved.name;
  if (saved.alias && saved.alias !== live.alias) parameters.Alias = saved.alias;
  if (saved.displayName && saved.displayName !== live.displayName) parameters.DisplayName = saved.displayName;
  if ((live.customAttributes[ownerAttribute] ?? "") !== saved.ownerAttributeValue) parameters[ownerAttribute] = saved.ownerAttributeValue;
  const same = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  if (!same(live.emailAddresses, saved.emailAddresses)) parameters.EmailAddresses = saved.emailAddresses;
  return parameters;
}

/**
 * The engine's diff of either kind: the fields' rules (a new primary address replaces the object,
 * the old one first: names are unique), a wanted address the object no longer holds (drift), and
 * an object whose create or update did not finish (`incomplete`).
 */
export function objectDiff(olds: Record<string, unknown>, news: Record<string, unknown>, fields: FieldRule[]): pulumi.dynamic.DiffResult {
  const planned = planDiff(olds, news, fields, true);
  const drift = !isUnknown(news.emailAddresses) && missingProxies(news.emailAddresses, olds.proxyAddresses, olds.unroutableAddresses).length > 0;
  return { ...planned, changes: planned.changes || drift || olds.incomplete === true };
}

/**
 * read(): the object as Exchange shows it now, `{}` when Exchange says it is gone. `own` adds what
 * only this kind has (read from `live`, else kept from `props`).
 */
export async function readObject(
  kind: ObjectKind,
  id: string,
  props: Record<string, unknown>,
  own: (live: LiveObject) => Record<string, unknown> | Promise<Record<string, unknown>>,
): Promise<pulumi.dynamic.ReadResult> {
  const live = await findObject(kind, id);
  if (!live) return {};
  return {
    id,
    props: engineOutputs({
      ...props,
      name: live.name ?? props.name,
      alias: live.alias ?? props.alias,
      displayName: live.displayName ?? props.displayName,
      ...(await own(live)),
      ...objectState(live, (props.ownership as Ownership | undefined) ?? "created", props.unroutableAddresses as string[] | undefined, props.settingsBeforeAdoption as SavedObject | undefined),
    }),
  };
}

/** The outputs both kinds declare. */
export abstract class MarkedRecipient extends DynamicResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly alias: pulumi.Output<string>;
  declare readonly displayName: pulumi.Output<string>;
  declare readonly primarySmtpAddress: pulumi.Output<string>;
  declare readonly emailAddresses: pulumi.Output<string[] | undefined>;
  /** Exchange object GUID (the resource id). */
  declare readonly guid: pulumi.Output<string>;
  /** Every SMTP address the recipient holds, primary first. */
  declare readonly proxyAddresses: pulumi.Output<string[]>;
  /** `emailAddresses` not added because their domain is not an accepted domain of Exchange Online. */
  declare readonly unroutableAddresses: pulumi.Output<string[] | undefined>;
  /** `created`, or `adopted` (restored, not removed, on delete unless `deleteAdopted`). */
  declare readonly ownership: pulumi.Output<Ownership>;

  /** `props`: the resource's inputs, and its own outputs as `undefined` (the engine fills only the keys it is given). */
  protected constructor(provider: string, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined, type: string) {
    const outputs = { alias: undefined, displayName: undefined, primarySmtpAddress: undefined, guid: undefined, proxyAddresses: undefined, unroutableAddresses: undefined, ownership: undefined };
    super(provider, name, { ...outputs, ...props, owner: stackOwner(), holder: name }, opts, "coexist", type);
  }
}
