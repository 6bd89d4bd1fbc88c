/**
 * MailUser's decisions, without any API call: what Exchange's answers say, what differs from
 * the inputs, and what to send. The provider (mailUser.ts) reads, asks these, and writes.
 */
import * as pulumi from "@pulumi/pulumi";
import { FieldRule, planDiff, sameIgnoringCase, sameSet, unlessUnset } from "./diff";
import { isUnknown, type InputChecker } from "./inputs";
import { creationToken, markedOwner, withOwnerMark, withoutOwnerMark } from "./ownership";
import { matchesFingerprint } from "./passwordFingerprint";
import { missingProxies, proxyChanges, smtpAddressesOf } from "./proxyAddresses";

/** The checked inputs, as create and update receive them. */
export interface DesiredMailUser {
  name: string;
  alias: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  externalEmailAddress: string;
  microsoftOnlineServicesId: string;
  /** A password the admin supplies; absent: the provider generates one per user. */
  password?: string;
  routingAddress: string;
  /** The user's other addresses (Google aliases, alias-domain addresses), added as proxies on accepted domains. */
  aliases?: string[];
  adopt: boolean;
  deleteAdopted: boolean;
  signInEnabled: boolean;
  replicationTimeoutSeconds: number;
  /** `CustomAttribute1` … `CustomAttribute15`: where the owner's mark lives. */
  ownerAttribute: string;
  /** `<project>/<stack>` of the program that declares the resource. */
  owner?: string;
  /** The resource (or set) that declares the user, e.g. `mail-user-alice@contoso.com`. */
  holder?: string;
}

/** What an adopted recipient had before the stack changed it, put back on delete. */
export interface AdoptedSettings {
  name?: string;
  alias?: string;
  displayName?: string;
  externalEmailAddress?: string;
  /** The owner attribute's value ("" when it was empty). */
  ownerAttributeValue: string;
  /** Whether the routing address was already there (then it stays on delete). */
  hadRoutingAddress: boolean;
  /**
   * The wanted aliases the object already had: they stay on delete, the others go from a mail user.
   * Unknown (an object adopted by another resource of the stack): every alias stays.
   */
  hadAliases?: string[];
  /** The Entra account's sign-in state (undefined when Graph did not show the user). */
  accountEnabled?: boolean;
}

/** What Get-Recipient says about one recipient; a property it did not return is undefined. */
export interface Recipient {
  guid: string;
  recipientTypeDetails: string;
  externalDirectoryObjectId?: string;
  name?: string;
  alias?: string;
  displayName?: string;
  firstName?: string;
  lastName?: string;
  externalEmailAddress?: string;
  microsoftOnlineServicesId?: string;
  primarySmtpAddress?: string;
  emailAddresses: string[];
  /** `CustomAttribute1` … `CustomAttribute15` as returned ("" when empty). */
  customAttributes: Record<string, string>;
}

export interface RecipientChange {
  cmdlet: "Set-MailUser" | "Set-Mailbox";
  /** Set-* parameters besides Identity and EmailAddresses; empty when nothing differs. */
  parameters: Record<string, string>;
  /** Proxy addresses to add and remove (`smtp:` secondaries). */
  addresses: { add?: string[]; remove?: string[] };
  /** Wanted aliases whose domain is not an accepted domain: not sent, reported. */
  unroutableAliases?: string[];
  /** Every input that differs from the object (the password is never known). */
  differences: string[];
  /** Inputs that differ but cannot be set on this object (see MailUserArgs). */
  ignored: string[];
  /** An earlier routing address left on a mailbox, because Google may still forward to it. */
  keptRoutingAddress?: string;
}

const MAIL_USER = "MailUser";

const fields: FieldRule[] = [
  { field: "microsoftOnlineServicesId", replaces: true, equal: sameIgnoringCase },
  { field: "externalEmailAddress", equal: sameIgnoringCase },
  { field: "name" },
  { field: "alias" },
  { field: "displayName" },
  // Set-MailUser cannot change them (Set-User can, but needs more rights); a mail user is cheap to re-create.
  { field: "firstName", replaces: true, equal: unlessUnset() },
  { field: "lastName", replaces: true, equal: unlessUnset() },
  { field: "routingAddress", equal: sameIgnoringCase },
  { field: "aliases", equal: sameSet },
  // Delete reads it from the state; an unset value (a state written before it existed) is false.
  { field: "deleteAdopted", equal: (a, b) => (a === true) === (b === true) },
];
/** Set by New-MailUser only (a change re-creates the mail user). */
const CREATION_ONLY = new Set(["firstName", "lastName"]);
/** A mailbox belongs to its user after migration: only these stay managed (through Set-Mailbox). */
const MAILBOX_FIELDS = new Set(["name", "alias", "displayName", "routingAddress", "aliases", "deleteAdopted"]);

/** Each input and its Set-MailUser parameter; the names are set only by New-MailUser. */
const MAIL_USER_SETTINGS: [keyof DesiredMailUser, string | undefined][] = [
  ["name", "Name"],
  ["alias", "Alias"],
  ["displayName", "DisplayName"],
  ["firstName", undefined],
  ["lastName", undefined],
  ["externalEmailAddress", "ExternalEmailAddress"],
  ["microsoftOnlineServicesId", "MicrosoftOnlineServicesID"],
];
const CASE_INSENSITIVE = new Set<keyof DesiredMailUser>(["externalEmailAddress", "microsoftOnlineServicesId"]);

export const CUSTOM_ATTRIBUTE = /^CustomAttribute(?:[1-9]|1[0-5])$/;

/**
 * `ownerAttribute` in `check`: `CustomAttribute1` … `CustomAttribute15` (any case), and never
 * another than the one the mark was written in (`previous`) on the existing `noun`.
 */
export function checkOwnerAttribute(inputs: InputChecker, attribute: string | undefined, previous: unknown, noun: string): void {
  if (attribute === undefined || isUnknown(attribute)) return;
  const canonical = `CustomAttribute${attribute.replace(/^customattribute/i, "")}`;
  if (!CUSTOM_ATTRIBUTE.test(canonical)) {
    inputs.problem("ownerAttribute", `${JSON.stringify(attribute)} is not one of CustomAttribute1 … CustomAttribute15`);
  } else if (typeof previous === "string" && previous !== canonical) {
    inputs.problem("ownerAttribute", `cannot change from ${previous} to ${canonical}: the stack finds its mark on the existing ${noun} in ${previous}; keep ${previous}`);
  } else {
    inputs.values.ownerAttribute = canonical;
  }
}

/** A mailbox of any kind (`UserMailbox`, `SharedMailbox`, …): what licensing makes of a mail user. */
export function isMailbox(recipientTypeDetails: unknown): boolean {
  return typeof recipientTypeDetails === "string" && /Mailbox$/.test(recipientTypeDetails);
}

/**
 * A recipient a MailUser can stand for: a mail user, or the mailbox it became. A mail contact or a
 * group with the address is another kind of object, which a MailUser never takes over.
 */
export function isUserRecipient(recipientTypeDetails: unknown): boolean {
  return recipientTypeDetails === MAIL_USER || isMailbox(recipientTypeDetails);
}

const bareAddress = (proxy: string): string => proxy.replace(/^smtp:/i, "").toLowerCase();

export function hasSmtpAddress(emailAddresses: readonly string[] | undefined, address: string): boolean {
  return (emailAddresses ?? []).some((proxy) => /^smtp:/i.test(proxy) && bareAddress(proxy) === address.toLowerCase());
}

/** A Get-Recipient object as a Recipient (addresses lower-cased, `SMTP:` prefixes off single addresses). */
export function parseRecipient(object: Record<string, unknown>): Recipient {
  // A null value is one Exchange did not return (a mailbox's ExternalEmailAddress), not an empty one.
  const text = (key: string): string | undefined => (object[key] === undefined || object[key] === null ? undefined : String(object[key]));
  const address = (key: string): string | undefined => {
    const value = text(key);
    return value === undefined ? undefined : bareAddress(value);
  };
  const emailAddresses = Array.isArray(object.EmailAddresses) ? object.EmailAddresses.map(String) : [];
  const customAttributes = Object.fromEntries(
    Object.entries(object)
      .filter(([key]) => CUSTOM_ATTRIBUTE.test(key))
      .map(([key, value]) => [key, String(value ?? "")]),
  );
  return {
    guid: String(object.Guid ?? "").toLowerCase(),
    recipientTypeDetails: String(object.RecipientTypeDetails ?? ""),
    externalDirectoryObjectId: text("ExternalDirectoryObjectId"),
    name: text("Name"),
    alias: text("Alias"),
    displayName: text("DisplayName"),
    firstName: text("FirstName"),
    lastName: text("LastName"),
    externalEmailAddress: address("ExternalEmailAddress"),
    microsoftOnlineServicesId: address("MicrosoftOnlineServicesID") ?? address("WindowsLiveID"),
    primarySmtpAddress: address("PrimarySmtpAddress"),
    emailAddresses,
    customAttributes,
  };
}

/** What `changesToApply` may need besides the object and the inputs. */
export interface ChangeOptions {
  previousRoutingAddress?: string;
  /** The aliases wanted before this change (those no longer wanted are removed). */
  previousAliases?: string[];
  /** The accepted domains of Exchange Online: aliases on other domains are not sent. */
  acceptedDomains?: ReadonlySet<string>;
  mark?: { attribute: string; value: string };
}

/**
 * What to send to make `live` match `desired`. A mail user gets every setting; a mailbox only
 * its names, the routing address and the aliases. A previous routing address is removed from a
 * mail user (Google does not forward to users who are not migrated) but kept on a mailbox. Aliases
 * are added on accepted domains (the others are reported in `unroutableAliases`); an alias no
 * longer wanted is removed, from a mailbox too.
 */
export function changesToApply(
  live: Recipient,
  desired: Pick<DesiredMailUser, "name" | "alias" | "displayName" | "firstName" | "lastName" | "externalEmailAddress" | "microsoftOnlineServicesId" | "routingAddress" | "aliases">,
  options: ChangeOptions = {},
): RecipientChange {
  const mailbox = isMailbox(live.recipientTypeDetails);
  const parameters: Record<string, string> = {};
  const differences: string[] = [];
  const ignored: string[] = [];
  for (const [field, parameter] of MAIL_USER_SETTINGS) {
    const wanted = desired[field as keyof typeof desired] as string | undefined;
    const current = live[field as keyof Recipient] as string | undefined;
    if (wanted === undefined || current === undefined) continue;
    // A mailbox has no external address: conversion cleared it, which is not a difference.
    if (mailbox && field === "externalEmailAddress") continue;
    const same = CASE_INSENSITIVE.has(field) ? wanted.toLowerCase() === current.toLowerCase() : wanted === current;
    if (same) continue;
    differences.push(field);
    if (parameter === undefined || (mailbox && !MAILBOX_FIELDS.has(field))) ignored.push(field);
    else parameters[parameter] = wanted;
  }
  const mark = options.mark;
  if (mark && (live.customAttributes[mark.attribute] ?? "") !== mark.value) parameters[mark.attribute] = mark.value;
  const add: string[] = [];
  const remove: string[] = [];
  if (!hasSmtpAddress(live.emailAddresses, desired.routingAddress)) add.push(`smtp:${desired.routingAddress}`);
  const previous = options.previousRoutingAddress;
  let keptRoutingAddress: string | undefined;
  if (previous && previous.toLowerCase() !== desired.routingAddress.toLowerCase() && hasSmtpAddress(live.emailAddresses, previous)) {
    if (mailbox) keptRoutingAddress = previous;
    else remove.push(`smtp:${previous}`);
  }
  const aliases = proxyChanges(desired.aliases ?? [], options.previousAliases, smtpAddressesOf(live.emailAddresses), options.acceptedDomains ?? new Set(), live.primarySmtpAddress);
  add.push(...aliases.add);
  remove.push(...aliases.remove.filter((proxy) => !remove.includes(proxy) && proxy.toLowerCase() !== `smtp:${desired.routingAddress.toLowerCase()}`));
  if (aliases.add.length > 0 || aliases.remove.length > 0) differences.push("aliases");
  const addresses: RecipientChange["addresses"] = { ...(add.length > 0 ? { add } : {}), ...(remove.length > 0 ? { remove } : {}) };
  return {
    cmdlet: mailbox ? "Set-Mailbox" : "Set-MailUser",
    parameters,
    addresses,
    differences,
    ignored,
    keptRoutingAddress,
    ...(aliases.unroutable.length > 0 ? { unroutableAliases: aliases.unroutable } : {}),
  };
}

/** The object as it is after `change` succeeded: Set-* returns nothing, and re-reading it would cost a call. */
export function afterChange(live: Recipient, change: RecipientChange): Recipient {
  const next: Recipient = { ...live };
  for (const [field, parameter] of MAIL_USER_SETTINGS) {
    const value = parameter === undefined ? undefined : change.parameters[parameter];
    if (value !== undefined) (next as unknown as Record<string, string>)[field] = CASE_INSENSITIVE.has(field) ? value.toLowerCase() : value;
  }
  const attributes = Object.entries(change.parameters).filter(([parameter]) => CUSTOM_ATTRIBUTE.test(parameter));
  next.customAttributes = { ...live.customAttributes, ...Object.fromEntries(attributes) };
  const removed = new Set((change.addresses.remove ?? []).map(bareAddress));
  next.emailAddresses = [...live.emailAddresses.filter((proxy) => !removed.has(bareAddress(proxy))), ...(change.addresses.add ?? [])];
  return next;
}

/**
 * Whether the stack must set a password on the mail user: a supplied password that differs from
 * the one last set (its fingerprint does not match), or no known password at all (none supplied,
 * and none recorded: a state written when one password was shared, or an object taken over whose
 * password the stack never set). A mailbox's password belongs to its user and is never reset.
 */
export function passwordToSet(olds: Record<string, unknown>, news: Record<string, unknown>): "supplied" | "generated" | undefined {
  if (isMailbox(olds.recipientTypeDetails)) return undefined;
  if (typeof news.password === "string") return isUnknown(news.password) || !matchesFingerprint(news.password, olds.passwordHash) ? "supplied" : undefined;
  return typeof olds.initialPassword === "string" && olds.initialPassword !== "" ? undefined : "generated";
}

/**
 * The engine's diff. A mail user that became a mailbox is not drift; on a mailbox only the
 * names and the routing address are compared. A routing address missing from the refreshed
 * addresses is drift, and so is a password to set (passwordToSet) or a sign-in state other than
 * the one wanted (a state that never recorded one included).
 */
export function planMailUserDiff(olds: Record<string, unknown>, news: Record<string, unknown>): pulumi.dynamic.DiffResult {
  const mailbox = isMailbox(olds.recipientTypeDetails);
  // Only New-MailUser sets the names, and an adopted object is never re-created to set them.
  const adopted = olds.ownership === "adopted";
  const rules = mailbox ? fields.filter((rule) => MAILBOX_FIELDS.has(rule.field)) : adopted ? fields.filter((rule) => !CREATION_ONLY.has(rule.field)) : fields;
  const planned = planDiff(olds, news, rules, true);
  const routingAddressMissing =
    typeof news.routingAddress === "string" && !isUnknown(news.routingAddress) && !hasSmtpAddress(olds.emailAddresses as string[], news.routingAddress);
  const aliasMissing = !isUnknown(news.aliases) && missingProxies(news.aliases, olds.emailAddresses, olds.unroutableAliases).length > 0;
  const signInChanged = isUnknown(news.signInEnabled) || (news.signInEnabled ?? false) !== olds.signInEnabled;
  const changes = planned.changes || routingAddressMissing || aliasMissing || passwordToSet(olds, news) !== undefined || signInChanged;
  return { ...planned, changes };
}

// -------------------------------------------------------------------------------------------------
// Ownership (ownership.ts): the mark in a custom attribute, and the creation token in the name.

/** The Exchange name the creating call gives the object: the name, then this stack's creation token. */
export function creationName(name: string, token: string): string {
  const suffix = creationSuffix(token);
  return `${name.slice(0, NAME_LIMIT - suffix.length).trimEnd()}${suffix}`;
}

const NAME_LIMIT = 64;
const creationSuffix = (token: string): string => ` [creating ${token}]`;

/**
 * The stack that owns a recipient: the one its mark names, else this stack when its name carries
 * this stack's creation token for the address (New-MailUser succeeded, the Set-MailUser that marks
 * it did not: an interrupted create), else nobody.
 */
export function recipientOwner(live: Recipient, ownerAttribute: string, owner: string, externalEmailAddress: string): string | undefined {
  const marked = markedOwner(live.customAttributes[ownerAttribute]);
  if (marked) return marked;
  return live.name?.endsWith(creationSuffix(creationToken(owner, externalEmailAddress))) ? owner : undefined;
}

/**
 * Written after the mark of an adopted recipient, so that any resource of the stack that later takes
 * it over (a set it moves to) knows it was adopted, and restores rather than removes it.
 */
const ADOPTED_TAG = "[adopted]";

/**
 * The owner attribute's value with this stack's mark. A new object: the mark alone. Adopting: the
 * mark, the adopted tag and what the object had there (another stack's mark taken off). Taking over
 * this stack's own object: its mark and text as they are.
 */
export function markedValue(owner: string, current: string | undefined, adopting = false): string {
  const text = markedOwner(current) ? withoutOwnerMark(current) : current || undefined;
  if (!adopting) return withOwnerMark(owner, text);
  return withOwnerMark(owner, text ? `${ADOPTED_TAG} ${text}` : ADOPTED_TAG);
}

/**
 * An object this stack adopted, as its mark says (taken over by another resource of the stack
 * than the one that adopted it): what it had in the owner attribute is known, the rest is not.
 */
export function adoptedByMark(live: Recipient, ownerAttribute: string): (AdoptedSettings & { recipientTypeDetails: string }) | undefined {
  const text = withoutOwnerMark(live.customAttributes[ownerAttribute]);
  if (!text?.startsWith(ADOPTED_TAG)) return undefined;
  return { ownerAttributeValue: text.slice(ADOPTED_TAG.length).trim(), hadRoutingAddress: true, recipientTypeDetails: live.recipientTypeDetails };
}

/** What adoption saves, so that delete can put it back. */
export function adoptedSettingsOf(live: Recipient, ownerAttribute: string, routingAddress: string, accountEnabled: boolean | undefined, aliases: readonly string[] = []): AdoptedSettings {
  const hadAliases = aliases.filter((alias) => hasSmtpAddress(live.emailAddresses, alias));
  return {
    name: live.name,
    alias: live.alias,
    displayName: live.displayName,
    externalEmailAddress: live.externalEmailAddress,
    ownerAttributeValue: live.customAttributes[ownerAttribute] ?? "",
    hadRoutingAddress: hasSmtpAddress(live.emailAddresses, routingAddress),
    hadAliases,
    ...(accountEnabled !== undefined ? { accountEnabled } : {}),
  };
}

/**
 * The Set-* call that gives an adopted recipient back what it had: its names (and external address
 * while a mail user), its owner attribute, no routing address unless it had one or Gmail may
 * still forward there (`releasable` false), and, while a mail user, none of the `aliases` it did
 * not have (a mailbox keeps them: its user receives mail at them now).
 */
export function restoreChange(live: Recipient, saved: AdoptedSettings, ownerAttribute: string, routingAddress: string, releasable: boolean, aliases: readonly string[] = []): RecipientChange {
  const mailbox = isMailbox(live.recipientTypeDetails);
  const parameters: Record<string, string> = {};
  const restore = (field: "name" | "alias" | "displayName" | "externalEmailAddress", parameter: string): void => {
    const value = saved[field];
    if (value !== undefined && value !== "" && value !== live[field]) parameters[parameter] = value;
  };
  restore("name", "Name");
  restore("alias", "Alias");
  restore("displayName", "DisplayName");
  if (!mailbox) restore("externalEmailAddress", "ExternalEmailAddress");
  if ((live.customAttributes[ownerAttribute] ?? "") !== saved.ownerAttributeValue) parameters[ownerAttribute] = saved.ownerAttributeValue;
  const remove: string[] = [];
  if (!saved.hadRoutingAddress && releasable && hasSmtpAddress(live.emailAddresses, routingAddress)) remove.push(`smtp:${routingAddress}`);
  const had = new Set((saved.hadAliases ?? []).map((alias) => alias.toLowerCase()));
  if (!mailbox && saved.hadAliases !== undefined) remove.push(...aliases.filter((alias) => !had.has(alias.toLowerCase()) && hasSmtpAddress(live.emailAddresses, alias)).map((alias) => `smtp:${alias.toLowerCase()}`));
  const addresses: RecipientChange["addresses"] = remove.length > 0 ? { remove } : {};
  return { cmdlet: mailbox ? "Set-Mailbox" : "Set-MailUser", parameters, addresses, differences: Object.keys(parameters), ignored: [] };
}

/**
 * Whether a migrated user's routing address can go: only when Gmail no longer forwards to it (the
 * user's GoogleForwardingRoute is gone, or the Google account is). Until then it stays, because
 * removing it would bounce forwarded mail.
 */
export function routingAddressReleasable(forwarding: { enabled?: boolean | null; emailAddress?: string | null } | undefined, routingAddress: string): boolean {
  return !forwarding?.enabled || (forwarding.emailAddress ?? "").toLowerCase() !== routingAddress.toLowerCase();
}
