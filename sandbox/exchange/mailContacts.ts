/**
 * Mail contacts: New-/Set-/Get-/Remove-MailContact. A contact is an external address that Exchange
 * routes out, e.g. the route that keeps a Google group reachable once the domain is Authoritative.
 * In Exchange Online its primary address is its ExternalEmailAddress (New-MailContact has no
 * PrimarySmtpAddress there); other proxies must be on accepted domains.
 */
import { randomUUID } from "node:crypto";
import { primaryAddress, removeRecipient, saveRecipient, stripPrefix } from "../directory";
import { exchangeError } from "../http";
import type { RecipientRecord } from "../records";
import {
  CUSTOM_ATTRIBUTE_PARAMETERS,
  aliasFromName,
  assertNameFree,
  checkName,
  customAttributes,
  customAttributeView,
  smtpAddress,
  text,
  saveUnlessUnchanged,
  type Cmdlet,
  type ExchangeContext,
} from "./cmdlet";
import { addedProxies, applyEmailAddresses, checkAddresses, checkAlias, findRecipient, mailObjectsWith, mailObjectWithGuid, renamed } from "./recipients";

export function contactView(contact: RecipientRecord): object {
  return {
    Identity: contact.name,
    Name: contact.name,
    DisplayName: contact.displayName,
    Alias: contact.alias,
    Guid: contact.guid,
    RecipientType: "MailContact",
    RecipientTypeDetails: "MailContact",
    PrimarySmtpAddress: primaryAddress(contact),
    EmailAddresses: contact.emailAddresses,
    "EmailAddresses@odata.type": "#Collection(String)",
    ExternalEmailAddress: `SMTP:${contact.externalEmailAddress ?? ""}`,
    ExternalDirectoryObjectId: contact.externalDirectoryObjectId,
    WhenCreated: contact.whenCreated,
    ...customAttributeView(contact),
  };
}

/** The external address must be free; it may be on any domain (it is outside the tenant by nature). */
function checkExternalAddress(context: ExchangeContext, owner: string, external: string): void {
  const holder = context.store.ownerOf(context.tenant.tenantId, "proxy", external);
  if (holder && holder !== owner) {
    const name = mailObjectWithGuid(context, holder)?.name ?? holder;
    throw exchangeError(400, "proxyInUse", `The proxy address "SMTP:${external}" is already being used by the proxy addresses or LegacyExchangeDN of "${name}". Please choose another proxy address.`);
  }
}

function requiredExternal(value: string | undefined): string {
  if (!value) throw exchangeError(400, "parameterBinding", "Cannot process command because of one or more missing mandatory parameters: ExternalEmailAddress.");
  return value;
}

const newMailContact: Cmdlet = {
  name: "New-MailContact",
  parameters: ["name", "externalemailaddress", "alias", "displayname"],
  required: ["name", "externalemailaddress"],
  run(context, parameters) {
    const name = text(parameters, "name") ?? "";
    checkName(name, "Name");
    assertNameFree(mailObjectsWith(context, "name", name), name);
    const external = requiredExternal(smtpAddress(parameters, "externalemailaddress", "ExternalEmailAddress"));
    const guid = randomUUID();
    const alias = text(parameters, "alias") ?? aliasFromName(name);
    checkAlias(context, alias, guid);
    checkExternalAddress(context, guid, external);
    const contact: RecipientRecord = {
      guid,
      name,
      displayName: text(parameters, "displayname") ?? name,
      alias,
      recipientTypeDetails: "MailContact",
      emailAddresses: [`SMTP:${external}`],
      externalEmailAddress: external,
      deliverToMailboxAndForward: false,
      microsoftOnlineServicesId: "",
      externalDirectoryObjectId: randomUUID(),
      whenCreated: new Date().toISOString(),
    };
    saveRecipient(context.store, context.tenant.tenantId, contact);
    return { objects: [contactView(contact)] };
  },
};

/**
 * Set-MailContact: a new ExternalEmailAddress replaces the old one, which is not kept as a proxy
 * (and becomes the primary when the old one was); EmailAddresses as on Set-Mailbox.
 */
const setMailContact: Cmdlet = {
  name: "Set-MailContact",
  parameters: ["identity", "name", "displayname", "alias", "externalemailaddress", "emailaddresses", ...CUSTOM_ATTRIBUTE_PARAMETERS],
  required: ["identity"],
  run(context, parameters) {
    const contact = findRecipient(context, text(parameters, "identity") ?? "", "MailContact");
    let next = renamed(context, contact, contact, parameters);
    if (parameters.has("externalemailaddress")) {
      const external = requiredExternal(smtpAddress(parameters, "externalemailaddress", "ExternalEmailAddress"));
      const old = contact.externalEmailAddress ?? "";
      const wasPrimary = primaryAddress(contact) === old;
      const others = next.emailAddresses.filter((proxy) => ![old, external].includes(stripPrefix(proxy)));
      next = { ...next, externalEmailAddress: external, emailAddresses: wasPrimary ? [`SMTP:${external}`, ...others] : [...others, `smtp:${external}`] };
    }
    if (parameters.has("emailaddresses")) next.emailAddresses = applyEmailAddresses(next.emailAddresses, parameters.get("emailaddresses"));
    if (!next.emailAddresses.some((proxy) => proxy.startsWith("SMTP:"))) {
      throw exchangeError(400, "dataValidation", "The primary SMTP address can't be removed. Keep one SMTP: (upper-case) address in EmailAddresses.");
    }
    next.customAttributes = customAttributes(contact, parameters);
    const external = next.externalEmailAddress ?? "";
    checkExternalAddress(context, contact.guid, external);
    checkAddresses(context, contact.guid, addedProxies(contact.emailAddresses, next.emailAddresses).filter((proxy) => stripPrefix(proxy) !== external));
    return saveUnlessUnchanged(contact, next, (changed) => saveRecipient(context.store, context.tenant.tenantId, changed));
  },
};

const getMailContact: Cmdlet = {
  name: "Get-MailContact",
  parameters: ["identity", "resultsize"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const contacts = identity
      ? [findRecipient(context, identity, "MailContact")]
      : context.store.list<RecipientRecord>(context.tenant.tenantId, "recipient").filter((recipient) => recipient.recipientTypeDetails === "MailContact");
    return { objects: contacts, view: contactView };
  },
};

const removeMailContact: Cmdlet = {
  name: "Remove-MailContact",
  parameters: ["identity"],
  required: ["identity"],
  run(context, parameters) {
    removeRecipient(context.store, context.tenant.tenantId, findRecipient(context, text(parameters, "identity") ?? "", "MailContact"));
    return { objects: [] };
  },
};

export const mailContactCmdlets: Cmdlet[] = [newMailContact, setMailContact, getMailContact, removeMailContact];
