/** New-/Get-DistributionGroup and Add-/Get-DistributionGroupMember: the minimal mail-enabled groups SentToMemberOf needs. */
import { randomUUID } from "node:crypto";
import { acceptedDomains, primaryAddress, stripPrefix } from "../directory";
import { exchangeError, type HttpError } from "../http";
import type { DistributionGroupRecord, RecipientRecord } from "../records";
import { assertNameFree, checkName, enumValue, list, notFound, smtpAddress, text, type Cmdlet, type ExchangeContext } from "./cmdlet";
import { checkAddresses, checkAlias, findRecipient, mailObjectsWith, viewOf } from "./recipients";

function groupView(group: DistributionGroupRecord): object {
  const type = group.groupType === "Security" ? "MailUniversalSecurityGroup" : "MailUniversalDistributionGroup";
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
    WhenCreated: group.whenCreated,
  };
}

/** A group by name, alias, any of its addresses or GUID. */
export function findGroup(context: ExchangeContext, identity: string, missing: () => HttpError = () => notFound(identity)): DistributionGroupRecord {
  const key = stripPrefix(identity);
  const found = context.store
    .list<DistributionGroupRecord>(context.tenant.tenantId, "distributionGroup")
    .find((group) => [group.name, group.alias, group.guid, ...group.emailAddresses.map(stripPrefix)].some((value) => value.toLowerCase() === key));
  if (!found) throw missing();
  return found;
}

/** Without Alias the Name is used, spaces removed and other unsupported characters turned into "?" (Alias doc). */
function aliasFromName(name: string): string {
  return name.replace(/\s+/g, "").replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u00A1-\u00FF]/g, "?");
}

const newDistributionGroup: Cmdlet = {
  name: "New-DistributionGroup",
  parameters: ["name", "alias", "displayname", "primarysmtpaddress", "members", "type"],
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
      members: [...new Set((list(parameters, "members") ?? []).map((member) => findRecipient(context, member).guid))],
      whenCreated: new Date().toISOString(),
    };
    context.store.put(tenantId, "distributionGroup", guid, group);
    context.store.claim(tenantId, "proxy", primary, guid);
    return { objects: [groupView(group)] };
  },
};

const getDistributionGroup: Cmdlet = {
  name: "Get-DistributionGroup",
  parameters: ["identity", "resultsize"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const groups = identity ? [findGroup(context, identity)] : context.store.list<DistributionGroupRecord>(context.tenant.tenantId, "distributionGroup");
    return { objects: groups.map(groupView) };
  },
};

const addDistributionGroupMember: Cmdlet = {
  name: "Add-DistributionGroupMember",
  parameters: ["identity", "member", "bypasssecuritygroupmanagercheck"],
  required: ["identity", "member"],
  run(context, parameters) {
    const group = findGroup(context, text(parameters, "identity") ?? "");
    const member = findRecipient(context, text(parameters, "member") ?? "");
    if (group.members.includes(member.guid)) {
      throw exchangeError(400, "memberAlreadyExists", `The recipient "${member.name}" is already a member of the group "${group.name}".`);
    }
    context.store.put(context.tenant.tenantId, "distributionGroup", group.guid, { ...group, members: [...group.members, member.guid] });
    return { objects: [] };
  },
};

const getDistributionGroupMember: Cmdlet = {
  name: "Get-DistributionGroupMember",
  parameters: ["identity", "resultsize"],
  required: ["identity"],
  run(context, parameters) {
    const group = findGroup(context, text(parameters, "identity") ?? "");
    const members = group.members.flatMap((guid) => context.store.get<RecipientRecord>(context.tenant.tenantId, "recipient", guid) ?? []);
    return { objects: members.map(viewOf(context)) };
  },
};

export const distributionGroupCmdlets: Cmdlet[] = [newDistributionGroup, getDistributionGroup, addDistributionGroupMember, getDistributionGroupMember];
