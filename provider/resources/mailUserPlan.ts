/**
 * MailUser's decisions, without any API call: what Exchange's answers say, what differs from
 * the inputs, and what to send. The provider (mailUser.ts) reads, asks these, and writes.
 */
import * as pulumi from "@pulumi/pulumi";
import { FieldRule, planDiff, sameIgnoringCase, unlessUnset } from "./diff";
import { isUnknown } from "./inputs";
import { matchesFingerprint } from "./passwordFingerprint";

/** The checked inputs, as create and update receive them. */
export interface DesiredMailUser {
  name: string;
  alias: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  externalEmailAddress: string;
  microsoftOnlineServicesId: string;
  password: string;
  routingAddress: string;
  adopt: boolean;
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
}

export interface RecipientChange {
  cmdlet: "Set-MailUser" | "Set-Mailbox";
  /** Set-* parameters besides Identity and EmailAddresses; empty when nothing differs. */
  parameters: Record<string, string>;
  /** Proxy addresses to add and remove (`smtp:` secondaries). */
  addresses: { add?: string; remove?: string };
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
];
/** A mailbox belongs to its user after migration: only these stay managed (through Set-Mailbox). */
const MAILBOX_FIELDS = new Set(["name", "alias", "displayName", "routingAddress"]);

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

export function isMailbox(recipientTypeDetails: unknown): boolean {
  return typeof recipientTypeDetails === "string" && recipientTypeDetails !== MAIL_USER;
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
  };
}

/**
 * What to send to make `live` match `desired`. A mail user gets every setting; a mailbox only
 * its names and the routing address. A previous routing address is removed from a mail user
 * (Google does not forward to users who are not migrated) but kept on a mailbox.
 */
export function changesToApply(
  live: Recipient,
  desired: Omit<DesiredMailUser, "password" | "adopt">,
  options: { previousRoutingAddress?: string } = {},
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
  const addresses: RecipientChange["addresses"] = {};
  if (!hasSmtpAddress(live.emailAddresses, desired.routingAddress)) addresses.add = `smtp:${desired.routingAddress}`;
  const previous = options.previousRoutingAddress;
  let keptRoutingAddress: string | undefined;
  if (previous && previous.toLowerCase() !== desired.routingAddress.toLowerCase() && hasSmtpAddress(live.emailAddresses, previous)) {
    if (mailbox) keptRoutingAddress = previous;
    else addresses.remove = `smtp:${previous}`;
  }
  return { cmdlet: mailbox ? "Set-Mailbox" : "Set-MailUser", parameters, addresses, differences, ignored, keptRoutingAddress };
}

/** The object as it is after `change` succeeded: Set-* returns nothing, and re-reading it would cost a call. */
export function afterChange(live: Recipient, change: RecipientChange): Recipient {
  const next: Recipient = { ...live };
  for (const [field, parameter] of MAIL_USER_SETTINGS) {
    const value = parameter === undefined ? undefined : change.parameters[parameter];
    if (value !== undefined) (next as unknown as Record<string, string>)[field] = CASE_INSENSITIVE.has(field) ? value.toLowerCase() : value;
  }
  const removed = change.addresses.remove ? bareAddress(change.addresses.remove) : undefined;
  next.emailAddresses = live.emailAddresses.filter((proxy) => bareAddress(proxy) !== removed);
  if (change.addresses.add) next.emailAddresses.push(change.addresses.add);
  return next;
}

/**
 * The engine's diff. A mail user that became a mailbox is not drift; on a mailbox only the
 * names and the routing address are compared. A routing address missing from the refreshed
 * addresses is drift, and so is a password whose fingerprint does not match.
 */
export function planMailUserDiff(olds: Record<string, unknown>, news: Record<string, unknown>): pulumi.dynamic.DiffResult {
  const mailbox = isMailbox(olds.recipientTypeDetails);
  const rules = mailbox ? fields.filter((rule) => MAILBOX_FIELDS.has(rule.field)) : fields;
  const planned = planDiff(olds, news, rules, true);
  const routingAddressMissing =
    typeof news.routingAddress === "string" && !isUnknown(news.routingAddress) && !hasSmtpAddress(olds.emailAddresses as string[], news.routingAddress);
  const passwordChanged =
    !mailbox && typeof news.password === "string" && (isUnknown(news.password) || !matchesFingerprint(news.password, olds.passwordHash));
  return { ...planned, changes: planned.changes || routingAddressMissing || passwordChanged };
}

/**
 * Whether a migrated user's routing address can go: only when Gmail no longer forwards to it (the
 * user's GoogleForwardingRoute is gone, or the Google account is). Until then it stays, because
 * removing it would bounce forwarded mail.
 */
export function routingAddressReleasable(forwarding: { enabled?: boolean | null; emailAddress?: string | null } | undefined, routingAddress: string): boolean {
  return !forwarding?.enabled || (forwarding.emailAddress ?? "").toLowerCase() !== routingAddress.toLowerCase();
}
