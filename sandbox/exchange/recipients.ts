/**
 * Mail users and mailboxes: New-/Set-/Get-/Remove-MailUser, Get-/Set-Mailbox (exchange-admin-api.md
 * §2.3–§2.5), and the rules on names, aliases and addresses that every mail-enabled object (mail
 * contacts and distribution groups too) shares.
 */
import { randomUUID } from "node:crypto";
import { lagMs } from "../behaviour";
import { acceptedDomains, domainOf, isPrimaryProxy, newRecipient, primaryAddress, removeRecipient, saveRecipient, stripPrefix } from "../directory";
import { exchangeError } from "../http";
import { stableGuid } from "../ids";
import type { DistributionGroupRecord, DomainRecord, EntraUserRecord, RecipientRecord } from "../records";
import {
  CUSTOM_ATTRIBUTE_PARAMETERS,
  NO_CHANGE,
  assertNameFree,
  checkLength,
  checkName,
  customAttributes,
  customAttributeView,
  flag,
  notFound,
  smtpAddress,
  text,
  type Cmdlet,
  type CmdletResult,
  type ExchangeContext,
  type Parameters,
} from "./cmdlet";

const ZERO_GUID = "00000000-0000-0000-0000-000000000000";
/** The AD attribute behind Initials holds at most this many characters. */
const INITIALS_LIMIT = 6;

function recipientView(recipient: RecipientRecord, user: EntraUserRecord | undefined): object {
  const mailbox = recipient.recipientTypeDetails === "UserMailbox";
  return {
    Identity: recipient.name,
    Name: recipient.name,
    DisplayName: recipient.displayName,
    Alias: recipient.alias,
    Guid: recipient.guid,
    RecipientType: mailbox ? "UserMailbox" : "MailUser",
    RecipientTypeDetails: recipient.recipientTypeDetails,
    PrimarySmtpAddress: primaryAddress(recipient),
    EmailAddresses: recipient.emailAddresses,
    "EmailAddresses@odata.type": "#Collection(String)",
    ExternalEmailAddress: recipient.externalEmailAddress ? `SMTP:${recipient.externalEmailAddress}` : null,
    ForwardingSmtpAddress: recipient.forwardingSmtpAddress ? `smtp:${recipient.forwardingSmtpAddress}` : null,
    DeliverToMailboxAndForward: recipient.deliverToMailboxAndForward,
    MicrosoftOnlineServicesID: recipient.microsoftOnlineServicesId,
    WindowsLiveID: recipient.microsoftOnlineServicesId,
    UserPrincipalName: user?.userPrincipalName ?? recipient.microsoftOnlineServicesId,
    ExternalDirectoryObjectId: recipient.externalDirectoryObjectId,
    ExchangeGuid: mailbox ? stableGuid(`mailbox/${recipient.guid}`) : ZERO_GUID,
    SKUAssigned: mailbox,
    WhenCreated: recipient.whenCreated,
    ...customAttributeView(recipient),
  };
}

export function viewOf(context: ExchangeContext): (recipient: RecipientRecord) => object {
  return (recipient) => recipientView(recipient, context.store.get<EntraUserRecord>(context.tenant.tenantId, "user", recipient.externalDirectoryObjectId));
}

/** Get-Recipient's ReducedRecipient also carries the user's names and initials (Get-MailUser/Get-Mailbox do not; Get-User does). */
export function reducedRecipientView(context: ExchangeContext): (recipient: RecipientRecord) => object {
  return (recipient) => {
    const user = context.store.get<EntraUserRecord>(context.tenant.tenantId, "user", recipient.externalDirectoryObjectId);
    return { ...recipientView(recipient, user), FirstName: user?.givenName ?? "", Initials: user?.initials ?? "", LastName: user?.surname ?? "" };
  };
}

export function findRecipient(context: ExchangeContext, identity: string, type?: RecipientRecord["recipientTypeDetails"]): RecipientRecord {
  const tenantId = context.tenant.tenantId;
  const key = identity.toLowerCase();
  const byAddress = context.store.ownerOf(tenantId, "proxy", stripPrefix(key));
  const byUser = context.store.ownerOf(tenantId, "recipientOf", key) ?? context.store.ownerOf(tenantId, "recipientOf", context.store.ownerOf(tenantId, "upn", key) ?? "");
  const direct = byAddress ?? byUser;
  let recipient = direct ? context.store.get<RecipientRecord>(tenantId, "recipient", direct) : context.store.get<RecipientRecord>(tenantId, "recipient", key);
  recipient ??= context.store.withField<RecipientRecord>(tenantId, ["recipient"], "name", key)[0] ?? context.store.withField<RecipientRecord>(tenantId, ["recipient"], "alias", key)[0];
  if (!recipient || (type && recipient.recipientTypeDetails !== type)) throw notFound(identity);
  return recipient;
}

export function recipientsOfType(context: ExchangeContext, types: string[] | undefined): RecipientRecord[] {
  const wanted = types?.map((type) => type.toLowerCase());
  return context.store.list<RecipientRecord>(context.tenant.tenantId, "recipient").filter((entry) => !wanted || wanted.includes(entry.recipientTypeDetails.toLowerCase()));
}

function listOrOne(context: ExchangeContext, parameters: Parameters, type: RecipientRecord["recipientTypeDetails"]): CmdletResult {
  const identity = text(parameters, "identity");
  const recipients = identity ? [findRecipient(context, identity, type)] : recipientsOfType(context, [type]);
  return { objects: recipients, view: viewOf(context) };
}

/** Every address must be an SMTP address in an accepted domain and not held by another recipient. */
export function checkAddresses(context: ExchangeContext, owner: string, proxies: string[]): void {
  const accepted = new Set(acceptedDomains(context.store, context.tenant.tenantId).map((domain) => domain.domainName));
  for (const proxy of proxies) {
    const address = stripPrefix(proxy);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw exchangeError(400, "dataValidation", `The email address "${address}" isn't correct. Please use this format: user name, the @ sign, followed by the domain name.`);
    if (!accepted.has(domainOf(address))) {
      throw exchangeError(
        400,
        "invalidParameter",
        `The domain '${domainOf(address)}' of the address '${address}' isn't an accepted domain for your organization. Add and verify it in Microsoft 365 (with the Email service) first.`,
      );
    }
    const holder = context.store.ownerOf(context.tenant.tenantId, "proxy", address);
    if (holder && holder !== owner) {
      const other = mailObjectWithGuid(context, holder);
      throw exchangeError(
        400,
        "proxyInUse",
        `The proxy address "SMTP:${address}" is already being used by the proxy addresses or LegacyExchangeDN of "${other?.name ?? holder}". Please choose another proxy address.`,
      );
    }
  }
}

/** Full replacement (array) or `{"@odata.type":"#Exchange.GenericHashTable", Add, Remove}` (§1.4, §2.5). */
export function applyEmailAddresses(current: string[], value: unknown): string[] {
  if (Array.isArray(value)) return normalizeProxies(value.map(String));
  if (typeof value === "string") return normalizeProxies([value]);
  if (typeof value === "object" && value !== null) {
    const table = value as Record<string, unknown>;
    if (table["@odata.type"] !== "#Exchange.GenericHashTable") {
      throw exchangeError(
        400,
        "transformation",
        `Cannot process argument transformation on parameter 'EmailAddresses'. Cannot convert value "${JSON.stringify(value)}" to type "Microsoft.Exchange.Data.ProxyAddressCollection". Error: "Error converting value {"JProperty"} to type 'Microsoft.Exchange.Data.ProxyAddress'." Tag the hashtable with "@odata.type": "#Exchange.GenericHashTable".`,
      );
    }
    const entry = (name: string): string[] => {
      const key = Object.keys(table).find((candidate) => candidate.toLowerCase() === name);
      const raw = key ? table[key] : undefined;
      return raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
    };
    const removed = new Set(entry("remove").map(stripPrefix));
    const kept = current.filter((proxy) => !removed.has(stripPrefix(proxy)));
    const added = entry("add").filter((proxy) => !kept.some((existing) => stripPrefix(existing) === stripPrefix(proxy)));
    return normalizeProxies([...kept, ...added]);
  }
  throw exchangeError(400, "parameterBinding", "Cannot bind parameter 'EmailAddresses'. Give an array of addresses or a #Exchange.GenericHashTable with Add/Remove.");
}

/** `a@b` → `smtp:a@b`; several `SMTP:` keep only the last as primary, as Exchange does. */
function normalizeProxies(proxies: string[]): string[] {
  const withPrefix = proxies.map((proxy) => (proxy.includes(":") ? proxy : `smtp:${proxy}`));
  const lastPrimary = withPrefix.map((proxy) => proxy.startsWith("SMTP:")).lastIndexOf(true);
  return withPrefix.map((proxy, index) => (proxy.startsWith("SMTP:") && index !== lastPrimary ? `smtp:${proxy.slice(5)}` : proxy));
}

function withPrimary(proxies: string[], primary: string): string[] {
  const others = proxies.filter((proxy) => stripPrefix(proxy) !== primary.toLowerCase()).map((proxy) => (isPrimaryProxy(proxy) ? `smtp:${proxy.slice(5)}` : proxy));
  return [`SMTP:${primary.toLowerCase()}`, ...others];
}

/** The proxies of `after` that `before` did not have. */
export function addedProxies(before: string[], after: string[]): string[] {
  return after.filter((proxy) => !before.some((existing) => stripPrefix(existing) === stripPrefix(proxy)));
}

/** -DisplayName, -Name and -Alias of a Set- cmdlet on `next`, checked as every mail object's are. */
export function renamed<T extends { guid: string; name: string; alias: string; displayName: string }>(context: ExchangeContext, current: T, next: T, parameters: Parameters): T {
  const result = { ...next, displayName: text(parameters, "displayname") ?? next.displayName };
  const name = text(parameters, "name");
  if (name !== undefined) {
    checkName(name, "Name");
    assertNameFree(mailObjectsWith(context, "name", name), name, current.guid);
    result.name = name;
  }
  const alias = text(parameters, "alias");
  if (alias !== undefined && alias !== current.alias) {
    checkAlias(context, alias, current.guid);
    result.alias = alias;
  }
  return result;
}

/** -EmailAddresses or -PrimarySmtpAddress (not both); the primary stays. */
export function updateAddresses<T extends { emailAddresses: string[] }>(recipient: T, parameters: Parameters): T {
  const emailAddresses = parameters.get("emailaddresses");
  const primary = text(parameters, "primarysmtpaddress");
  if (emailAddresses !== undefined && primary !== undefined) {
    throw exchangeError(400, "invalidParameter", "The EmailAddresses and PrimarySmtpAddress parameters can't be used in the same command. Set one, then the other.");
  }
  let proxies = recipient.emailAddresses;
  if (emailAddresses !== undefined) proxies = applyEmailAddresses(proxies, emailAddresses);
  if (primary !== undefined) proxies = withPrimary(proxies, primary);
  if (!proxies.some(isPrimaryProxy)) {
    throw exchangeError(400, "dataValidation", "The primary SMTP address can't be removed. Keep one SMTP: (upper-case) address in EmailAddresses.");
  }
  return { ...recipient, emailAddresses: proxies };
}

const MAIL_USER_NEW_PARAMETERS = [
  "name",
  "microsoftonlineservicesid",
  "password",
  "externalemailaddress",
  "primarysmtpaddress",
  "alias",
  "displayname",
  "firstname",
  "lastname",
  "initials",
  "resetpasswordonnextlogon",
  "mailboxregion",
];

const newMailUser: Cmdlet = {
  name: "New-MailUser",
  parameters: MAIL_USER_NEW_PARAMETERS,
  required: ["name", "microsoftonlineservicesid", "password"],
  run(context, parameters) {
    const tenantId = context.tenant.tenantId;
    const name = text(parameters, "name") ?? "";
    checkName(name, "Name");
    // The sandbox takes -Password as a plain string or as the module's RSA-encrypted base64; it never stores it.
    text(parameters, "password", "Password");
    const upn = (text(parameters, "microsoftonlineservicesid") ?? "").toLowerCase();
    assertUpnAvailable(context, upn);
    assertNameFree(mailObjectsWith(context, "name", name), name);
    const external = smtpAddress(parameters, "externalemailaddress", "ExternalEmailAddress");
    const accepted = new Set(acceptedDomains(context.store, tenantId).map((domain) => domain.domainName));
    const primary = (text(parameters, "primarysmtpaddress") ?? (external && accepted.has(domainOf(external)) ? external : upn)).toLowerCase();
    const graphLag = lagMs(context.seed.behaviour, "entraUserSeconds", upn, context.seed.faults?.seed);
    const user: EntraUserRecord = {
      id: randomUUID(),
      userPrincipalName: upn,
      displayName: text(parameters, "displayname") ?? name,
      givenName: text(parameters, "firstname"),
      surname: text(parameters, "lastname"),
      initials: initials(parameters),
      // New-MailUser makes a user that can sign in; only Graph (accountEnabled) disables it.
      accountEnabled: true,
      forceChangePasswordNextSignIn: flag(parameters, "resetpasswordonnextlogon") ?? false,
      assignedLicenses: [],
      createdDateTime: new Date().toISOString(),
      ...(graphLag > 0 ? { visibleInGraphAt: Date.now() + graphLag } : {}),
    };
    const alias = text(parameters, "alias") ?? upn.split("@")[0];
    const recipient: RecipientRecord = {
      ...newRecipient(user, "MailUser", [`SMTP:${primary}`]),
      name,
      alias,
      externalEmailAddress: external,
    };
    checkAddresses(context, recipient.guid, recipient.emailAddresses);
    context.store.put(tenantId, "user", user.id, { ...user, mail: primary });
    context.store.claim(tenantId, "upn", upn, user.id);
    saveRecipient(context.store, tenantId, recipient);
    context.store.claim(tenantId, "recipientOf", user.id, recipient.guid);
    return { objects: [viewOf(context)(recipient)] };
  },
};

/** -Initials: at most six characters (the AD `initials` attribute); "" clears it. */
function initials(parameters: Parameters): string | undefined {
  const value = text(parameters, "initials", "Initials");
  if (value !== undefined) checkLength(value, "Initials", INITIALS_LIMIT);
  return value || undefined;
}

/** The MicrosoftOnlineServicesID (= Entra UPN) must be in a verified domain and not held by another user. */
function assertUpnAvailable(context: ExchangeContext, upn: string, self?: string): void {
  const tenantId = context.tenant.tenantId;
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) throw exchangeError(400, "dataValidation", `The MicrosoftOnlineServicesID "${upn}" isn't a valid SMTP address.`);
  const upnDomain = context.store.get<DomainRecord>(tenantId, "domain", domainOf(upn));
  if (!upnDomain?.isVerified) {
    throw exchangeError(400, "invalidParameter", `The domain '${domainOf(upn)}' of MicrosoftOnlineServicesID '${upn}' isn't a verified domain of this tenant. Verify it in Microsoft 365 or use the onmicrosoft.com domain.`);
  }
  const owner = context.store.ownerOf(tenantId, "upn", upn);
  if (owner && owner !== self) throw exchangeError(400, "alreadyExists", `The object '${upn}' already exists.`);
}

const ALIAS_PATTERN = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00A1-\u00FF]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00A1-\u00FF]+)*$/;

/** Alias (mail nickname) syntax and length (Set-MailUser / Set-Mailbox -Alias), unique among recipients. */
export function checkAlias(context: ExchangeContext, alias: string, self: string): void {
  checkName(alias, "Alias");
  if (!ALIAS_PATTERN.test(alias)) {
    throw exchangeError(
      400,
      "dataValidation",
      `Property expression "${alias}" isn't valid. Valid values are: Strings formed with characters from A to Z (uppercase or lowercase), digits from 0 to 9, !, #, $, %, &, ', *, +, -, /, =, ?, ^, _, \`, {, |, } or ~. One or more periods may be embedded in an alias, but each period should be preceded and followed by at least one of the other characters. Unicode characters from U+00A1 to U+00FF are also valid in an alias.`,
    );
  }
  const holder = mailObjectsWith(context, "alias", alias).find((entry) => entry.guid !== self);
  if (holder) throw exchangeError(400, "proxyInUse", `The value "${alias}" of property "Alias" is used by another recipient object (${holder.name}). Please specify a unique value.`);
}

/** Recipients and distribution groups whose name or alias is `value` (case-insensitive): both are unique across them. */
export function mailObjectsWith(context: ExchangeContext, field: "name" | "alias", value: string): { guid: string; name: string; alias: string }[] {
  return context.store.withField(context.tenant.tenantId, ["recipient", "distributionGroup"], field, value);
}

export function mailObjectWithGuid(context: ExchangeContext, guid: string): { name: string } | undefined {
  const tenantId = context.tenant.tenantId;
  return context.store.get<RecipientRecord>(tenantId, "recipient", guid) ?? context.store.get<DistributionGroupRecord>(tenantId, "distributionGroup", guid);
}

/** Initials live on the user behind the recipient; true when they changed. */
function updateInitials(context: ExchangeContext, recipient: RecipientRecord, value: string | undefined): boolean {
  const tenantId = context.tenant.tenantId;
  const user = context.store.get<EntraUserRecord>(tenantId, "user", recipient.externalDirectoryObjectId);
  if (!user || user.initials === value) return false;
  context.store.put(tenantId, "user", user.id, { ...user, initials: value });
  return true;
}

/** Moves the Entra user (and the recipient's MicrosoftOnlineServicesID) to a new UPN. */
function changeUpn(context: ExchangeContext, recipient: RecipientRecord, upn: string): void {
  const tenantId = context.tenant.tenantId;
  const user = context.store.get<EntraUserRecord>(tenantId, "user", recipient.externalDirectoryObjectId);
  if (user) context.store.put(tenantId, "user", user.id, { ...user, userPrincipalName: upn });
  context.store.release(tenantId, "upn", recipient.microsoftOnlineServicesId);
  context.store.claim(tenantId, "upn", upn, recipient.externalDirectoryObjectId);
}

// Set-MailUser/Set-Mailbox -Password changes only the caller's own password (MyBaseOptions user role);
// an administrator's session has no such parameter, so the service answers as for an unknown one.
const ADMIN_PASSWORD_REFUSAL =
  "A parameter cannot be found that matches parameter name 'Password'. Exchange Online offers -Password only to users changing their own password (MyBaseOptions role); set another user's password through Microsoft Graph: PATCH /users/{id} with passwordProfile.";

function setRecipient(type: RecipientRecord["recipientTypeDetails"], cmdletName: string, extra: string[]): Cmdlet {
  return {
    name: cmdletName,
    parameters: ["identity", "emailaddresses", "primarysmtpaddress", "displayname", "name", "alias", ...CUSTOM_ATTRIBUTE_PARAMETERS, ...extra],
    required: ["identity"],
    run(context, parameters) {
      if (parameters.has("password")) throw exchangeError(400, "parameterBinding", ADMIN_PASSWORD_REFUSAL);
      const recipient = findRecipient(context, text(parameters, "identity") ?? "", type);
      const next = renamed(context, recipient, updateAddresses(recipient, parameters), parameters);
      const upn = text(parameters, "microsoftonlineservicesid")?.toLowerCase();
      if (upn !== undefined && upn !== recipient.microsoftOnlineServicesId) {
        assertUpnAvailable(context, upn, recipient.externalDirectoryObjectId);
        next.microsoftOnlineServicesId = upn;
      }
      if (parameters.has("externalemailaddress")) next.externalEmailAddress = smtpAddress(parameters, "externalemailaddress", "ExternalEmailAddress");
      if (parameters.has("forwardingsmtpaddress")) next.forwardingSmtpAddress = smtpAddress(parameters, "forwardingsmtpaddress", "ForwardingSmtpAddress");
      next.deliverToMailboxAndForward = flag(parameters, "delivertomailboxandforward") ?? next.deliverToMailboxAndForward;
      next.customAttributes = customAttributes(recipient, parameters);
      checkAddresses(context, recipient.guid, addedProxies(recipient.emailAddresses, next.emailAddresses));
      const initialsChange = parameters.has("initials") ? updateInitials(context, recipient, initials(parameters)) : false;
      if (JSON.stringify(next) === JSON.stringify(recipient) && !initialsChange) return { objects: [], warnings: [NO_CHANGE(recipient.name)] };
      if (next.microsoftOnlineServicesId !== recipient.microsoftOnlineServicesId) changeUpn(context, recipient, next.microsoftOnlineServicesId);
      saveRecipient(context.store, context.tenant.tenantId, next);
      return { objects: [] };
    },
  };
}

const getMailUser: Cmdlet = {
  name: "Get-MailUser",
  parameters: ["identity", "resultsize", "softdeletedmailuser"],
  run: (context, parameters) => (parameters.get("softdeletedmailuser") === true ? { objects: [] } : listOrOne(context, parameters, "MailUser")),
};

const removeMailUser: Cmdlet = {
  name: "Remove-MailUser",
  parameters: ["identity", "permanentlydelete"],
  required: ["identity"],
  run(context, parameters) {
    const recipient = findRecipient(context, text(parameters, "identity") ?? "", "MailUser");
    removeRecipient(context.store, context.tenant.tenantId, recipient);
    context.store.delete(context.tenant.tenantId, "user", recipient.externalDirectoryObjectId);
    context.store.release(context.tenant.tenantId, "upn", recipient.microsoftOnlineServicesId);
    return { objects: [] };
  },
};

const getMailbox: Cmdlet = {
  name: "Get-Mailbox",
  parameters: ["identity", "resultsize", "recipienttypedetails"],
  run: (context, parameters) => listOrOne(context, parameters, "UserMailbox"),
};

export const recipientCmdlets: Cmdlet[] = [
  newMailUser,
  setRecipient("MailUser", "Set-MailUser", ["externalemailaddress", "microsoftonlineservicesid", "initials", "password"]),
  getMailUser,
  removeMailUser,
  getMailbox,
  setRecipient("UserMailbox", "Set-Mailbox", ["forwardingsmtpaddress", "delivertomailboxandforward", "password"]),
];
