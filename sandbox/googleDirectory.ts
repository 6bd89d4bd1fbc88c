/**
 * Directory API (google-workspace.md §2.1): users.get/list, groups.list/get, groups.aliases.list,
 * members.list/get, domains.list and domainAliases.list, at the paths googleapis generates for
 * `admin directory_v1`. Each method checks its documented scopes and an admin subject.
 */
import { domainAliasAddresses } from "./directory";
import { findGoogleGroupByKey, groupAliasDomainAddresses, liveMembers } from "./googleGroups";
import { checkCustomer, checkQuery, page, requireDirectoryAdmin, SCOPE, type GoogleContext, type GoogleRoute } from "./googleRequest";
import { findGoogleUser } from "./googleUsers";
import { googleError, json, type SandboxRequest, type SandboxResponse } from "./http";
import { stableGuid } from "./ids";
import type { GoogleDomainRecord, GoogleGroupRecord, GoogleMemberRecord, GoogleMemberRole, GoogleUserRecord } from "./records";
import { GOOGLE_SCOPE } from "./store";

const USER_SCOPES = ["admin.directory.user", "admin.directory.user.readonly"].map((scope) => SCOPE + scope);
const GROUP_SCOPES = ["admin.directory.group", "admin.directory.group.readonly"].map((scope) => SCOPE + scope);
const MEMBER_SCOPES = [...GROUP_SCOPES, ...["admin.directory.group.member", "admin.directory.group.member.readonly"].map((scope) => SCOPE + scope)];
const DOMAIN_SCOPES = ["admin.directory.domain", "admin.directory.domain.readonly"].map((scope) => SCOPE + scope);

const USERS_PAGE = { defaultSize: 100, max: 500 };
const GROUPS_PAGE = { defaultSize: 200, max: 200 };
const ROLES: GoogleMemberRole[] = ["OWNER", "MANAGER", "MEMBER"];

export const DIRECTORY_ROUTES: GoogleRoute[] = [
  { method: "GET", pattern: /^\/admin\/directory\/v1\/users$/, handler: listUsers },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/users\/([^/]+)$/, handler: getUser },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/groups$/, handler: listGroups },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/groups\/([^/]+)$/, handler: getGroup },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/groups\/([^/]+)\/aliases$/, handler: listGroupAliases },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/groups\/([^/]+)\/members$/, handler: listMembers },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/groups\/([^/]+)\/members\/([^/]+)$/, handler: getMember },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/customer\/([^/]+)\/domains$/, handler: listDomains },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/customer\/([^/]+)\/domainaliases$/, handler: listDomainAliases },
];

function domainsOf(context: GoogleContext): GoogleDomainRecord[] {
  return context.store.list<GoogleDomainRecord>(GOOGLE_SCOPE, "googleDomain");
}

function etag(text: string): string {
  return `"${stableGuid(text)}"`;
}

// ---- users -----------------------------------------------------------------------------------

function getUser(context: GoogleContext, _request: SandboxRequest, [userKey]: string[]): SandboxResponse {
  requireDirectoryAdmin(context, USER_SCOPES);
  const user = findGoogleUser(context.store, userKey.toLowerCase()) ?? context.store.list<GoogleUserRecord>(GOOGLE_SCOPE, "googleUser").find((entry) => entry.id === userKey);
  if (!user) throw googleError(404, "notFound", "Resource Not Found: userKey");
  return json(200, userView(context, user));
}

/**
 * users.list for the customer (`my_customer` or its id) or one of its domains, ordered by primary
 * email; `showDeleted=true` lists the deleted users instead (positive evidence that one is gone).
 */
function listUsers(context: GoogleContext, request: SandboxRequest): SandboxResponse {
  requireDirectoryAdmin(context, USER_SCOPES);
  checkQuery(request, "users.list", ["customer", "domain", "maxResults", "pageToken", "showDeleted"]);
  const domain = scopeOfList(context, request);
  const users = context.store
    .list<GoogleUserRecord>(GOOGLE_SCOPE, request.query.get("showDeleted") === "true" ? "deletedGoogleUser" : "googleUser")
    .filter((user) => !domain || user.primaryEmail.endsWith(`@${domain}`))
    .sort((left, right) => left.primaryEmail.localeCompare(right.primaryEmail));
  const { items, nextPageToken } = page(request, users, USERS_PAGE.defaultSize, USERS_PAGE.max);
  return json(200, {
    kind: "admin#directory#users",
    etag: `"${users.length}"`,
    ...(items.length > 0 ? { users: items.map((user) => userView(context, user)) } : {}),
    ...(nextPageToken ? { nextPageToken } : {}),
  });
}

/** The domain a list is limited to, after checking `customer` or `domain` (one is needed). */
function scopeOfList(context: GoogleContext, request: SandboxRequest, alternative?: string): string | undefined {
  const customer = request.query.get("customer");
  const domain = request.query.get("domain")?.toLowerCase();
  if (!customer && !domain && !(alternative && request.query.get(alternative))) {
    throw googleError(400, "badRequest", `Bad Request: give customer (my_customer or the customer id) or domain${alternative ? ` or ${alternative}` : ""}.`);
  }
  if (customer) checkCustomer(context, customer);
  if (domain && !domainsOf(context).some((entry) => entry.domainName === domain)) throw googleError(403, "forbidden", "Not Authorized to access this resource/api");
  return domain;
}

function userView(context: GoogleContext, user: GoogleUserRecord): object {
  return {
    kind: "admin#directory#user",
    id: user.id,
    etag: `"${user.id}"`,
    primaryEmail: user.primaryEmail,
    name: { givenName: user.givenName, familyName: user.familyName, fullName: `${user.givenName} ${user.familyName}` },
    isAdmin: user.isAdmin,
    isDelegatedAdmin: false,
    suspended: user.suspended,
    ...(user.suspended ? { suspensionReason: "ADMIN" } : {}),
    ...("deletionTime" in user ? { deletionTime: user.deletionTime } : {}),
    archived: false,
    isMailboxSetup: true,
    customerId: context.seed.google.customerId,
    orgUnitPath: "/",
    ...(user.aliases.length > 0 ? { aliases: user.aliases } : {}),
    nonEditableAliases: domainAliasAddresses(user.primaryEmail, domainsOf(context)),
    ...(user.department ? { organizations: [{ department: user.department, primary: true, customType: "" }] } : {}),
  };
}

// ---- groups ----------------------------------------------------------------------------------

function findGroup(context: GoogleContext, groupKey: string): GoogleGroupRecord {
  const group = findGoogleGroupByKey(context.store, groupKey);
  if (!group) throw googleError(404, "notFound", "Resource Not Found: groupKey");
  return group;
}

function groupView(context: GoogleContext, group: GoogleGroupRecord): object {
  const nonEditable = groupAliasDomainAddresses(group, domainsOf(context));
  return {
    kind: "admin#directory#group",
    id: group.id,
    etag: etag(`group/${group.email}/${group.aliases.join(",")}/${group.members.length}`),
    email: group.email,
    name: group.name,
    description: group.description,
    directMembersCount: String(liveMembers(context.store, group, domainsOf(context)).length),
    adminCreated: true,
    ...(group.aliases.length > 0 ? { aliases: group.aliases } : {}),
    ...(nonEditable.length > 0 ? { nonEditableAliases: nonEditable } : {}),
  };
}

/**
 * groups.list: every group of the customer, of one domain, or the groups `userKey` (an address or
 * id of a user or group) is a direct member of; ordered by email.
 */
function listGroups(context: GoogleContext, request: SandboxRequest): SandboxResponse {
  requireDirectoryAdmin(context, GROUP_SCOPES);
  checkQuery(request, "groups.list", ["customer", "domain", "userKey", "maxResults", "pageToken"]);
  const domain = scopeOfList(context, request, "userKey");
  const userKey = request.query.get("userKey");
  const memberEmail = userKey === null ? undefined : memberAddress(context, userKey);
  const domains = domainsOf(context);
  const groups = context.store
    .list<GoogleGroupRecord>(GOOGLE_SCOPE, "googleGroup")
    .filter((group) => !domain || group.email.endsWith(`@${domain}`))
    .filter((group) => memberEmail === undefined || liveMembers(context.store, group, domains).some((member) => member.email === memberEmail))
    .sort((left, right) => left.email.localeCompare(right.email));
  const { items, nextPageToken } = page(request, groups, GROUPS_PAGE.defaultSize, GROUPS_PAGE.max);
  return json(200, {
    kind: "admin#directory#groups",
    etag: etag(`groups/${groups.length}`),
    ...(items.length > 0 ? { groups: items.map((group) => groupView(context, group)) } : {}),
    ...(nextPageToken ? { nextPageToken } : {}),
  });
}

/** The member address a `userKey` names: a user (by any address or id) or a group (by any address or id). */
function memberAddress(context: GoogleContext, key: string): string {
  const user = findGoogleUser(context.store, key.toLowerCase()) ?? context.store.list<GoogleUserRecord>(GOOGLE_SCOPE, "googleUser").find((entry) => entry.id === key);
  const group = user ? undefined : findGoogleGroupByKey(context.store, key);
  if (!user && !group) throw googleError(404, "notFound", "Resource Not Found: userKey");
  return user?.primaryEmail ?? (group as GoogleGroupRecord).email;
}

function getGroup(context: GoogleContext, _request: SandboxRequest, [groupKey]: string[]): SandboxResponse {
  requireDirectoryAdmin(context, GROUP_SCOPES);
  return json(200, groupView(context, findGroup(context, groupKey)));
}

/** groups.aliases.list: the editable aliases (alias-domain addresses are the group's nonEditableAliases). */
function listGroupAliases(context: GoogleContext, _request: SandboxRequest, [groupKey]: string[]): SandboxResponse {
  requireDirectoryAdmin(context, GROUP_SCOPES);
  const group = findGroup(context, groupKey);
  return json(200, {
    kind: "admin#directory#aliases",
    etag: etag(`aliases/${group.email}/${group.aliases.join(",")}`),
    ...(group.aliases.length > 0
      ? { aliases: group.aliases.map((alias) => ({ kind: "admin#directory#alias", id: group.id, etag: etag(`alias/${alias}`), primaryEmail: group.email, alias })) }
      : {}),
  });
}

// ---- members ---------------------------------------------------------------------------------

function memberView(context: GoogleContext, member: GoogleMemberRecord, withDelivery: boolean): object {
  const user = member.email === undefined ? undefined : findGoogleUser(context.store, member.email);
  const group = member.email === undefined || user ? undefined : findGoogleGroupByKey(context.store, member.email);
  const id = member.type === "CUSTOMER" ? context.seed.google.customerId : (user?.id ?? group?.id ?? String(BigInt(`0x${stableGuid(`member/${member.email}`).replace(/-/g, "").slice(0, 15)}`)));
  return {
    kind: "admin#directory#member",
    etag: etag(`member/${member.email ?? "customer"}/${member.role}`),
    id,
    ...(member.email === undefined ? {} : { email: member.email }),
    role: member.role,
    type: member.type,
    ...(user ? { status: user.suspended ? "SUSPENDED" : "ACTIVE" } : group ? { status: "ACTIVE" } : {}),
    ...(withDelivery ? { delivery_settings: member.deliverySettings } : {}),
  };
}

/** Direct members, or with `includeDerivedMembership` the members of nested groups too (each once, nested groups listed as well). */
function membersOf(context: GoogleContext, group: GoogleGroupRecord, derived: boolean): GoogleMemberRecord[] {
  const domains = domainsOf(context);
  const listed: GoogleMemberRecord[] = [];
  const seen = new Set<string>();
  const visit = (current: GoogleGroupRecord, visited: Set<string>) => {
    for (const member of liveMembers(context.store, current, domains)) {
      const key = member.email ?? "(customer)";
      if (!seen.has(key)) {
        seen.add(key);
        listed.push(member);
      }
      const nested = derived && member.type === "GROUP" && member.email ? findGoogleGroupByKey(context.store, member.email) : undefined;
      if (nested && !visited.has(nested.email)) visit(nested, new Set([...visited, nested.email]));
    }
  };
  visit(group, new Set([group.email]));
  return listed;
}

/** members.list: paged by `maxResults` (at most 200) and `pageToken`, filtered by `roles` (OWNER, MANAGER, MEMBER, comma-separated). */
function listMembers(context: GoogleContext, request: SandboxRequest, [groupKey]: string[]): SandboxResponse {
  requireDirectoryAdmin(context, MEMBER_SCOPES);
  checkQuery(request, "members.list", ["includeDerivedMembership", "maxResults", "pageToken", "roles"]);
  const group = findGroup(context, groupKey);
  const roles = request.query.get("roles")?.split(",").map((role) => role.trim().toUpperCase());
  const unknown = roles?.find((role) => !ROLES.includes(role as GoogleMemberRole));
  if (unknown !== undefined) throw googleError(400, "invalid", `Invalid value for roles: ${unknown}; give OWNER, MANAGER or MEMBER, comma-separated.`);
  const members = membersOf(context, group, request.query.get("includeDerivedMembership") === "true").filter((member) => !roles || roles.includes(member.role));
  const { items, nextPageToken } = page(request, members, GROUPS_PAGE.defaultSize, GROUPS_PAGE.max);
  return json(200, {
    kind: "admin#directory#members",
    etag: etag(`members/${group.email}/${members.length}`),
    ...(items.length > 0 ? { members: items.map((member) => memberView(context, member, false)) } : {}),
    ...(nextPageToken ? { nextPageToken } : {}),
  });
}

/** members.get: one direct member by address or id, with its `delivery_settings` (which members.list does not return). */
function getMember(context: GoogleContext, _request: SandboxRequest, [groupKey, memberKey]: string[]): SandboxResponse {
  requireDirectoryAdmin(context, MEMBER_SCOPES);
  const group = findGroup(context, groupKey);
  const key = memberKey.toLowerCase();
  const user = findGoogleUser(context.store, key);
  const wanted = user?.primaryEmail ?? findGoogleGroupByKey(context.store, memberKey)?.email ?? key;
  const found = liveMembers(context.store, group, domainsOf(context)).find((member) => member.email === wanted || (member.type === "CUSTOMER" && memberKey === context.seed.google.customerId));
  if (!found) throw googleError(404, "notFound", "Resource Not Found: memberKey");
  return json(200, memberView(context, found, true));
}

// ---- domains ---------------------------------------------------------------------------------

/** A domain or domain alias as the Directory shows it: verified (the sandbox has no unverified ones). */
function domainEntry(kind: string, domain: GoogleDomainRecord, fields: object): object {
  return { kind, ...fields, verified: true, creationTime: domain.creationTime ?? "0", etag: etag(`${kind}/${domain.domainName}`) };
}

function domainAliasView(domain: GoogleDomainRecord): object {
  return domainEntry("admin#directory#domainAlias", domain, { domainAliasName: domain.domainName, parentDomainName: domain.aliasOf });
}

/** domains.list: the primary and secondary domains, each with its domain aliases. */
function listDomains(context: GoogleContext, request: SandboxRequest, [customer]: string[]): SandboxResponse {
  requireDirectoryAdmin(context, DOMAIN_SCOPES);
  checkQuery(request, "domains.list", []);
  checkCustomer(context, customer);
  const domains = domainsOf(context);
  return json(200, {
    kind: "admin#directory#domains",
    etag: etag(`domains/${domains.map((domain) => domain.domainName).join(",")}`),
    domains: domains
      .filter((domain) => !domain.aliasOf)
      .map((domain) => {
        const aliases = domains.filter((alias) => alias.aliasOf === domain.domainName);
        return domainEntry("admin#directory#domain", domain, {
          domainName: domain.domainName,
          isPrimary: domain.isPrimary,
          ...(aliases.length > 0 ? { domainAliases: aliases.map(domainAliasView) } : {}),
        });
      }),
  });
}

/** domainAliases.list: every domain alias, or those of `parentDomainName`. */
function listDomainAliases(context: GoogleContext, request: SandboxRequest, [customer]: string[]): SandboxResponse {
  requireDirectoryAdmin(context, DOMAIN_SCOPES);
  checkQuery(request, "domainAliases.list", ["parentDomainName"]);
  checkCustomer(context, customer);
  const parent = request.query.get("parentDomainName")?.toLowerCase();
  const aliases = domainsOf(context).filter((domain) => domain.aliasOf && (!parent || domain.aliasOf === parent));
  return json(200, {
    kind: "admin#directory#domainAliases",
    etag: etag(`domainAliases/${aliases.map((domain) => domain.domainName).join(",")}`),
    ...(aliases.length > 0 ? { domainAliases: aliases.map(domainAliasView) } : {}),
  });
}
