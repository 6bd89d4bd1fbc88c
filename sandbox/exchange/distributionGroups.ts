/**
 * Distribution groups: New-/Set-/Get-/Remove-DistributionGroup and Add-/Remove-/Update-/Get-
 * DistributionGroupMember. Members are recipients, mail contacts or other groups; names, aliases
 * and addresses are unique across all of them. A new group takes mail from authenticated senders
 * only, as New-DistributionGroup's RequireSenderAuthenticationEnabled default says.
 */
import { randomUUID } from "node:crypto";
import { acceptedDomains, leaveGroups, primaryAddress, stripPrefix } from "../directory";
import { exchangeError, type HttpError } from "../http";
import type { DistributionGroupRecord, RecipientRecord } from "../records";
import {
  CUSTOM_ATTRIBUTE_PARAMETERS,
  aliasFromName,
  assertNameFree,
  checkName,
  customAttributes,
  customAttributeView,
  enumValue,
  flag,
  list,
  notFound,
  smtpAddress,
  text,
  saveUnlessUnchanged,
  type Cmdlet,
  type ExchangeContext,
} from "./cmdlet";
import { contactView } from "./mailContacts";
import { addedProxies, checkAddresses, checkAlias, findRecipient, mailObjectsWith, reducedRecipientView, renamed, updateAddresses } from "./recipients";

/** The most members one call may give (New-/Update-DistributionGroupMember -Members). */
const MAX_MEMBERS = 10_000;

/** RecipientType and RecipientTypeDetails of a group. */
export function groupTypeDetails(group: DistributionGroupRecord): string {
  return group.groupType === "Security" ? "MailUniversalSecurityGroup" : "MailUniversalDistributionGroup";
}

export function groupView(group: DistributionGroupRecord): object {
  const type = groupTypeDetails(group);
  return {
    Identity: group.name,
    Name: group.name,
    DisplayName: group.displayName,
    Alias: group.alias,
    Guid: group.guid,
    RecipientType: type,
    RecipientTypeDetails: type,
    GroupType: group.groupType === "Security" ? "Universal, SecurityEnabled" : "Universal",
    PrimarySmtpAddress: primaryAddress(group),
    EmailAddresses: group.emailAddresses,
    "EmailAddresses@odata.type": "#Collection(String)",
    RequireSenderAuthenticationEnabled: group.requireSenderAuthenticationEnabled ?? true,
    WhenCreated: group.whenCreated,
    ...customAttributeView(group),
  };
}

/** Get-Recipient's view of any mail object: a mailbox or mail user, a mail contact, a group. */
export function reducedView(context: ExchangeContext): (object: RecipientRecord | DistributionGroupRecord) => object {
  const recipientView = reducedRecipientView(context);
  return (object) => ("members" in object ? groupView(object) : object.recipientTypeDetails === "MailContact" ? contactView(object) : recipientView(object));
}

/** A group by name, alias, any of its addresses or GUID, or undefined. */
export function lookUpGroup(context: ExchangeContext, identity: string): DistributionGroupRecord | undefined {
  const key = stripPrefix(identity);
  return context.store
    .list<DistributionGroupRecord>(context.tenant.tenantId, "distributionGroup")
    .find((group) => [group.name, group.alias, group.guid, ...group.emailAddresses.map(stripPrefix)].some((value) => value.toLowerCase() === key));
}

/** A group by name, alias, any of its addresses or GUID. */
export function findGroup(context: ExchangeContext, identity: string, missing: () => HttpError = () => notFound(identity)): DistributionGroupRecord {
  const found = lookUpGroup(context, identity);
  if (!found) throw missing();
  return found;
}

/** A member: a group, else a recipient (mailbox, mail user or mail contact). */
function findMember(context: ExchangeContext, identity: string): RecipientRecord | DistributionGroupRecord {
  return lookUpGroup(context, identity) ?? findRecipient(context, identity);
}

function saveGroup(context: ExchangeContext, group: DistributionGroupRecord): void {
  const tenantId = context.tenant.tenantId;
  context.store.put(tenantId, "distributionGroup", group.guid, group);
  context.store.releaseAll(tenantId, "proxy", group.guid);
  for (const proxy of group.emailAddresses) context.store.claim(tenantId, "proxy", stripPrefix(proxy), group.guid);
}

/** -Members of New-/Update-: each once, at most 10,000, never the group itself. */
function memberGuids(context: ExchangeContext, group: Pick<DistributionGroupRecord, "guid" | "name">, identities: string[]): string[] {
  if (identities.length > MAX_MEMBERS) throw exchangeError(400, "dataValidation", `The Members parameter takes at most ${MAX_MEMBERS} entries (got ${identities.length}).`);
  const guids = [...new Set(identities.map((identity) => findMember(context, identity).guid))];
  if (guids.includes(group.guid)) throw exchangeError(400, "invalidParameter", `The group "${group.name}" can't be a member of itself.`);
  return guids;
}

const BYPASS = "bypasssecuritygroupmanagercheck";

const newDistributionGroup: Cmdlet = {
  name: "New-DistributionGroup",
  parameters: ["name", "alias", "displayname", "primarysmtpaddress", "members", "type", "requiresenderauthenticationenabled"],
  required: ["name"],
  run(context, parameters) {
    const tenantId = context.tenant.tenantId;
    const name = text(parameters, "name") ?? "";
    checkName(name, "Name");
    assertNameFree(mailObjectsWith(context, "name", name), name);
    const guid = randomUUID();
    const alias = text(parameters, "alias") ?? aliasFromName(name);
    checkAlias(context, alias, guid);
    const defaultDomain = acceptedDomains(context.store, tenantId).find((domain) => domain.isDefault)?.domainName ?? context.tenant.initialDomain;
    const primary = (smtpAddress(parameters, "primarysmtpaddress", "PrimarySmtpAddress") ?? `${alias}@${defaultDomain}`).toLowerCase();
    checkAddresses(context, guid, [primary]);
    const group: DistributionGroupRecord = {
      guid,
      name,
      displayName: text(parameters, "displayname") ?? name,
      alias,
      groupType: enumValue(parameters, "type", ["Distribution", "Security"] as const) ?? "Distribution",
      emailAddresses: [`SMTP:${primary}`],
      members: memberGuids(context, { guid, name }, list(parameters, "members") ?? []),
      requireSenderAuthenticationEnabled: flag(parameters, "requiresenderauthenticationenabled") ?? true,
      whenCreated: new Date().toISOString(),
    };
    saveGroup(context, group);
    return { objects: [groupView(group)] };
  },
};

const setDistributionGroup: Cmdlet = {
  name: "Set-DistributionGroup",
  parameters: ["identity", "name", "displayname", "alias", "primarysmtpaddress", "emailaddresses", "requiresenderauthenticationenabled", BYPASS, ...CUSTOM_ATTRIBUTE_PARAMETERS],
  required: ["identity"],
  run(context, parameters) {
    const group = findGroup(context, text(parameters, "identity") ?? "");
    const next = renamed(context, group, updateAddresses(group, parameters), parameters);
    next.requireSenderAuthenticationEnabled = flag(parameters, "requiresenderauthenticationenabled") ?? group.requireSenderAuthenticationEnabled;
    next.customAttributes = customAttributes(group, parameters);
    checkAddresses(context, group.guid, addedProxies(group.emailAddresses, next.emailAddresses));
    return saveUnlessUnchanged(group, next, (changed) => saveGroup(context, changed));
  },
};

const getDistributionGroup: Cmdlet = {
  name: "Get-DistributionGroup",
  parameters: ["identity", "resultsize"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const groups = identity ? [findGroup(context, identity)] : context.store.list<DistributionGroupRecord>(context.tenant.tenantId, "distributionGroup");
    return { objects: groups, view: groupView };
  },
};

const removeDistributionGroup: Cmdlet = {
  name: "Remove-DistributionGroup",
  parameters: ["identity", BYPASS],
  required: ["identity"],
  run(context, parameters) {
    const tenantId = context.tenant.tenantId;
    const group = findGroup(context, text(parameters, "identity") ?? "");
    context.store.delete(tenantId, "distributionGroup", group.guid);
    context.store.releaseAll(tenantId, "proxy", group.guid);
    leaveGroups(context.store, tenantId, group.guid);
    return { objects: [] };
  },
};

const addDistributionGroupMember: Cmdlet = {
  name: "Add-DistributionGroupMember",
  parameters: ["identity", "member", BYPASS],
  required: ["identity", "member"],
  run(context, parameters) {
    const group = findGroup(context, text(parameters, "identity") ?? "");
    const [member] = memberGuids(context, group, [text(parameters, "member") ?? ""]);
    if (group.members.includes(member)) {
      throw exchangeError(400, "memberAlreadyExists", `The recipient "${findMember(context, member).name}" is already a member of the group "${group.name}".`);
    }
    saveGroup(context, { ...group, members: [...group.members, member] });
    return { objects: [] };
  },
};

const removeDistributionGroupMember: Cmdlet = {
  name: "Remove-DistributionGroupMember",
  parameters: ["identity", "member", BYPASS],
  required: ["identity", "member"],
  run(context, parameters) {
    const group = findGroup(context, text(parameters, "identity") ?? "");
    const member = findMember(context, text(parameters, "member") ?? "");
    if (!group.members.includes(member.guid)) {
      throw exchangeError(400, "memberNotFound", `The recipient "${member.name}" isn't a member of the group "${group.name}".`);
    }
    saveGroup(context, { ...group, members: group.members.filter((guid) => guid !== member.guid) });
    return { objects: [] };
  },
};

/** Update-DistributionGroupMember replaces every member; an empty list leaves the group empty. */
const updateDistributionGroupMember: Cmdlet = {
  name: "Update-DistributionGroupMember",
  parameters: ["identity", "members", BYPASS],
  required: ["identity"],
  run(context, parameters) {
    const group = findGroup(context, text(parameters, "identity") ?? "");
    saveGroup(context, { ...group, members: memberGuids(context, group, list(parameters, "members") ?? []) });
    return { objects: [] };
  },
};

const getDistributionGroupMember: Cmdlet = {
  name: "Get-DistributionGroupMember",
  parameters: ["identity", "resultsize"],
  required: ["identity"],
  run(context, parameters) {
    const group = findGroup(context, text(parameters, "identity") ?? "");
    const tenantId = context.tenant.tenantId;
    const members = group.members.flatMap(
      (guid) => context.store.get<RecipientRecord>(tenantId, "recipient", guid) ?? context.store.get<DistributionGroupRecord>(tenantId, "distributionGroup", guid) ?? [],
    );
    return { objects: members, view: reducedView(context) };
  },
};

export const distributionGroupCmdlets: Cmdlet[] = [
  newDistributionGroup,
  setDistributionGroup,
  getDistributionGroup,
  removeDistributionGroup,
  addDistributionGroupMember,
  removeDistributionGroupMember,
  updateDistributionGroupMember,
  getDistributionGroupMember,
];
