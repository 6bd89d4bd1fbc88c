/**
 * Graph v1.0 users, licences and subscribedSkus (microsoft-graph.md §2). Reads need User.Read.All
 * (or a higher user or directory permission); `PATCH /users` checks each property as the
 * user-update page says, password resets and admin targets included (sandbox/README.md).
 */
import { hasRole } from "../authorization";
import { mailboxConversionSeconds } from "../behaviour";
import { cancelMailboxChange, hasExchangePlan, primaryAddress, recipientOfUser, scheduleMailboxChange } from "../directory";
import { graphError, json, type SandboxRequest, type SandboxResponse } from "../http";
import type { EntraUserRecord, SkuRecord } from "../records";
import { body, insufficientPrivileges, odataContext, pick, requirePermission, resourceNotFound, type GraphContext, type GraphRoute } from "./common";

const USER_READ = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const DEFAULT_USER_PROPERTIES = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];
const USER_PAGE_SIZE = 100;
const MAX_USER_PAGE_SIZE = 999;
const USAGE_LOCATION = /^[A-Z]{2}$/;

export const userRoutes: GraphRoute[] = [
  { method: "GET", pattern: /^\/users$/, permissions: USER_READ, handler: listUsers },
  { method: "GET", pattern: /^\/users\/([^/]+)$/, permissions: USER_READ, handler: (context, request, [id]) => json(200, selectUser(context, request, findUser(context, request, id))) },
  { method: "PATCH", pattern: /^\/users\/([^/]+)$/, handler: updateUser },
  { method: "POST", pattern: /^\/users\/([^/]+)\/assignLicense$/, permissions: ["LicenseAssignment.ReadWrite.All", "Directory.ReadWrite.All", "User.ReadWrite.All"], handler: assignLicense },
  {
    method: "GET",
    pattern: /^\/users\/([^/]+)\/licenseDetails$/,
    permissions: ["LicenseAssignment.Read.All", "LicenseAssignment.ReadWrite.All", ...USER_READ],
    handler: licenseDetails,
  },
  {
    method: "GET",
    pattern: /^\/subscribedSkus$/,
    permissions: ["LicenseAssignment.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", "Organization.Read.All", "Organization.ReadWrite.All"],
    handler: subscribedSkus,
  },
];

function findUser(context: GraphContext, request: SandboxRequest, idOrUpn: string): EntraUserRecord {
  const tenantId = context.tenant.tenantId;
  const id = idOrUpn.includes("@") ? context.store.ownerOf(tenantId, "upn", idOrUpn) : idOrUpn.toLowerCase();
  const user = id ? context.store.get<EntraUserRecord>(tenantId, "user", id) : undefined;
  if (!user || !visibleInGraph(user)) throw resourceNotFound(request, idOrUpn);
  return user;
}

/** An Entra user that New-MailUser just created reaches Graph only after the seed's replication lag. */
function visibleInGraph(user: EntraUserRecord, now = Date.now()): boolean {
  return user.visibleInGraphAt === undefined || user.visibleInGraphAt <= now;
}

/** The user as Graph shows it; proxyAddresses and mail come from the Exchange recipient. */
function fullUser(context: GraphContext, user: EntraUserRecord): Record<string, unknown> {
  const recipient = recipientOfUser(context.store, context.tenant.tenantId, user.id);
  const skus = context.store.list<SkuRecord>(context.tenant.tenantId, "sku");
  const assignedDateTime = user.createdDateTime;
  return {
    id: user.id,
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName ?? null,
    jobTitle: null,
    mail: recipient ? primaryAddress(recipient) : (user.mail ?? null),
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: user.surname ?? null,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled,
    passwordProfile: { forceChangePasswordNextSignIn: user.forceChangePasswordNextSignIn ?? false, forceChangePasswordNextSignInWithMfa: false, password: null },
    usageLocation: user.usageLocation ?? null,
    proxyAddresses: recipient?.emailAddresses ?? [],
    createdDateTime: user.createdDateTime,
    assignedLicenses: user.assignedLicenses,
    assignedPlans: user.assignedLicenses.flatMap((licence) =>
      (skus.find((sku) => sku.skuId === licence.skuId)?.servicePlans ?? []).map((plan) => ({
        assignedDateTime,
        capabilityStatus: licence.disabledPlans.includes(plan.servicePlanId) ? "Deleted" : "Enabled",
        service: /^EXCHANGE_S_/.test(plan.servicePlanName) ? "exchange" : plan.servicePlanName,
        servicePlanId: plan.servicePlanId,
      })),
    ),
    licenseAssignmentStates: user.assignedLicenses.map((licence) => ({
      skuId: licence.skuId,
      assignedByGroup: null,
      disabledPlans: licence.disabledPlans,
      state: "Active",
      error: "None",
      lastUpdatedDateTime: assignedDateTime,
    })),
  };
}

function selection(request: SandboxRequest): string[] {
  const select = request.query.get("$select");
  return select ? select.split(",").map((name) => name.trim()).filter(Boolean) : DEFAULT_USER_PROPERTIES;
}

function selectUser(context: GraphContext, request: SandboxRequest, user: EntraUserRecord): object {
  const properties = selection(request);
  const select = request.query.get("$select");
  return { "@odata.context": odataContext(request, `users(${select ?? ""})/$entity`), ...pick(fullUser(context, user), properties) };
}

function listUsers(context: GraphContext, request: SandboxRequest): SandboxResponse {
  if (request.query.has("$filter") || request.query.has("$search")) {
    throw graphError(request, 400, "Request_UnsupportedQuery", "The sandbox does not emulate $filter or $search on /users; page through the list instead.");
  }
  const top = Number(request.query.get("$top") ?? USER_PAGE_SIZE);
  if (!Number.isInteger(top) || top < 1 || top > MAX_USER_PAGE_SIZE) {
    throw graphError(request, 400, "Request_BadRequest", `Invalid page size specified: '${request.query.get("$top")}'. Must be between 1 and ${MAX_USER_PAGE_SIZE} inclusive.`);
  }
  const offset = decodeSkipToken(request);
  const page = context.store.page<EntraUserRecord>(context.tenant.tenantId, "user", offset, top);
  const properties = selection(request);
  const result: Record<string, unknown> = {
    "@odata.context": odataContext(request, `users(${request.query.get("$select") ?? ""})`),
    value: page.filter((user) => visibleInGraph(user)).map((user) => pick(fullUser(context, user), properties)),
  };
  if (offset + top < context.store.count(context.tenant.tenantId, "user")) {
    const next = new URLSearchParams(request.query);
    next.set("$skiptoken", Buffer.from(`sandbox:${offset + top}`).toString("base64url"));
    result["@odata.nextLink"] = `${request.origin}/v1.0/users?${next.toString()}`;
  }
  return json(200, result);
}

function decodeSkipToken(request: SandboxRequest): number {
  const token = request.query.get("$skiptoken");
  if (!token) return 0;
  const match = /^sandbox:(\d+)$/.exec(Buffer.from(token, "base64url").toString());
  if (!match) throw graphError(request, 400, "Request_BadRequest", "The $skiptoken is invalid; follow @odata.nextLink unchanged.");
  return Number(match[1]);
}

/**
 * `passwordProfile`: a new password (Entra's rule: 8–256 characters from at least three of lower
 * case, upper case, digits and symbols), `forceChangePasswordNextSignIn`, or both. The password is
 * checked, never stored: the sandbox has no sign-in.
 */
function passwordChange(request: SandboxRequest, value: unknown): boolean {
  const profile = value as { password?: unknown; forceChangePasswordNextSignIn?: unknown } | null;
  const force = profile?.forceChangePasswordNextSignIn;
  if (typeof profile !== "object" || profile === null || (profile.password === undefined && force === undefined) || (profile.password !== undefined && typeof profile.password !== "string") || (force !== undefined && typeof force !== "boolean")) {
    throw graphError(request, 400, "Request_BadRequest", "Invalid value specified for property 'passwordProfile' of resource 'User': give {password, forceChangePasswordNextSignIn?}.");
  }
  const password = profile.password;
  if (typeof password === "string") {
    const categories = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((category) => category.test(password)).length;
    if (password.length < 8 || password.length > 256 || categories < 3) {
      throw graphError(request, 400, "Request_BadRequest", "The specified password does not comply with password complexity requirements. Please provide a different password.");
    }
  }
  return force === true;
}

const PROFILE_WRITE = ["User.ReadUpdate.All", "User.ReadWrite.All", "Directory.ReadWrite.All"];
const ACCOUNT_ENABLED_WRITE = [["User.EnableDisableAccount.All", "User.Read.All"], "User.ReadWrite.All", "Directory.ReadWrite.All"];
const PASSWORD_WRITE = ["User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"];
const PASSWORD_ROLES = ["User Administrator", "Privileged Authentication Administrator", "Global Administrator"];
/** What an app needs for a sensitive change to a user who holds an admin role (Graph "who can perform sensitive actions"). */
const ADMIN_TARGET_ROLES = ["Privileged Authentication Administrator", "Global Administrator"];

/** The permissions and roles one property of `PATCH /users` needs (user-update, "Permissions for specific scenarios"). */
function requireToUpdate(context: GraphContext, request: SandboxRequest, target: EntraUserRecord, property: string): void {
  const sensitive = property === "passwordProfile" || property === "accountEnabled";
  const permissions = property === "passwordProfile" ? PASSWORD_WRITE : property === "accountEnabled" ? ACCOUNT_ENABLED_WRITE : PROFILE_WRITE;
  requirePermission(context, request, permissions);
  const adminTarget = (target.directoryRoles ?? []).length > 0;
  if (sensitive && adminTarget && !hasRole(context.caller, ADMIN_TARGET_ROLES)) throw insufficientPrivileges(request);
  if (property === "passwordProfile" && !hasRole(context.caller, PASSWORD_ROLES)) throw insufficientPrivileges(request);
}

function updateUser(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const user = findUser(context, request, id);
  const input = body<Record<string, unknown>>(request);
  const next: EntraUserRecord = { ...user };
  for (const [key, value] of Object.entries(input)) {
    if (key === "proxyAddresses") {
      throw graphError(request, 400, "Request_BadRequest", "Property 'proxyAddresses' is read-only; manage addresses in Exchange (Set-Mailbox/Set-MailUser -EmailAddresses).");
    }
    if (!["usageLocation", "displayName", "accountEnabled", "passwordProfile"].includes(key)) {
      throw graphError(request, 400, "Request_BadRequest", `Property '${key}' is not supported by the sandbox's PATCH /users (supported: usageLocation, displayName, accountEnabled, passwordProfile).`);
    }
    requireToUpdate(context, request, user, key);
    if (key === "usageLocation") {
      if (typeof value !== "string" || !USAGE_LOCATION.test(value)) {
        throw graphError(request, 400, "Request_BadRequest", `Invalid value specified for property 'usageLocation' of resource 'User': give a two-letter ISO 3166 code such as 'GB'.`);
      }
      next.usageLocation = value;
    } else if (key === "displayName" && typeof value === "string") {
      next.displayName = value;
    } else if (key === "accountEnabled") {
      if (typeof value !== "boolean") throw graphError(request, 400, "Request_BadRequest", "Invalid value specified for property 'accountEnabled' of resource 'User': give true or false.");
      next.accountEnabled = value;
    } else if (key === "passwordProfile") {
      next.forceChangePasswordNextSignIn = passwordChange(request, value);
    }
  }
  context.store.put(context.tenant.tenantId, "user", user.id, next);
  return { status: 204 };
}

interface LicenceRequest {
  addLicenses?: { skuId?: string; disabledPlans?: string[] }[];
  removeLicenses?: string[];
}

export type LicenceDecision = { ok: true; assigned: EntraUserRecord["assignedLicenses"] } | { ok: false; message: string };

/** The assignment after `input`, or the documented 400 message (§2.2). */
export function decideLicences(user: EntraUserRecord, skus: SkuRecord[], consumed: Map<string, number>, input: LicenceRequest): LicenceDecision {
  const missing = ["addLicenses", "removeLicenses"].filter((name) => !Array.isArray(input[name as keyof LicenceRequest]));
  if (missing.length > 0) {
    return { ok: false, message: `One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: ${missing.join(", ")}.` };
  }
  const additions = input.addLicenses ?? [];
  if (additions.length > 0 && !user.usageLocation) return { ok: false, message: "License assignment cannot be done for user with invalid usage location." };
  let assigned = [...user.assignedLicenses];
  for (const skuId of input.removeLicenses ?? []) {
    if (!assigned.some((licence) => licence.skuId === skuId)) return { ok: false, message: `User does not have a corresponding license for SKU ${skuId}.` };
    assigned = assigned.filter((licence) => licence.skuId !== skuId);
  }
  for (const addition of additions) {
    const sku = skus.find((entry) => entry.skuId === addition.skuId);
    if (!sku) return { ok: false, message: `License ${addition.skuId ?? "(missing skuId)"} does not correspond to a valid company License.` };
    const alreadyHas = user.assignedLicenses.some((licence) => licence.skuId === sku.skuId);
    if (!alreadyHas && (consumed.get(sku.skuId) ?? 0) >= sku.seats) return { ok: false, message: `Subscription with SKU ${sku.skuId} does not have any available licenses.` };
    assigned = [...assigned.filter((licence) => licence.skuId !== sku.skuId), { skuId: sku.skuId, disabledPlans: addition.disabledPlans ?? [] }];
  }
  return { ok: true, assigned };
}

function assignLicense(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const tenantId = context.tenant.tenantId;
  const user = findUser(context, request, id);
  const skus = context.store.list<SkuRecord>(tenantId, "sku");
  const decision = decideLicences(user, skus, context.store.licenceCounts(tenantId), body<LicenceRequest>(request));
  if (!decision.ok) throw graphError(request, 400, "Request_BadRequest", decision.message);
  const before = hasExchangePlan(user.assignedLicenses, skus);
  const after = hasExchangePlan(decision.assigned, skus);
  context.store.put(tenantId, "user", user.id, { ...user, assignedLicenses: decision.assigned });
  if (before !== after) {
    const recipient = recipientOfUser(context.store, tenantId, user.id);
    const alreadyThere = after ? recipient?.recipientTypeDetails === "UserMailbox" : recipient?.recipientTypeDetails !== "UserMailbox";
    if (alreadyThere) cancelMailboxChange(context.store, tenantId, user.id);
    else scheduleMailboxChange(context.store, tenantId, user.id, after ? "create" : "remove", mailboxConversionSeconds(context.seed.behaviour, user.id, context.seed.faults?.seed));
  }
  return json(200, { "@odata.context": odataContext(request, "users/$entity"), ...pick(fullUser(context, { ...user, assignedLicenses: decision.assigned }), DEFAULT_USER_PROPERTIES.concat("assignedLicenses")) });
}

function licenseDetails(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const user = findUser(context, request, id);
  const skus = context.store.list<SkuRecord>(context.tenant.tenantId, "sku");
  return json(200, {
    "@odata.context": odataContext(request, `users('${user.id}')/licenseDetails`),
    value: user.assignedLicenses.map((licence) => {
      const sku = skus.find((entry) => entry.skuId === licence.skuId);
      return {
        id: `${licence.skuId}-${user.id}`,
        skuId: licence.skuId,
        skuPartNumber: sku?.skuPartNumber ?? null,
        servicePlans: (sku?.servicePlans ?? []).map((plan) => ({
          ...plan,
          provisioningStatus: licence.disabledPlans.includes(plan.servicePlanId) ? "Disabled" : "Success",
          appliesTo: "User",
        })),
      };
    }),
  });
}

function subscribedSkus(context: GraphContext, request: SandboxRequest): SandboxResponse {
  if (request.query.has("$filter")) throw graphError(request, 400, "Request_UnsupportedQuery", "subscribedSkus supports $select only; filter on the client.");
  const consumed = context.store.licenceCounts(context.tenant.tenantId);
  const select = request.query.get("$select")?.split(",").map((name) => name.trim());
  const value = context.store.list<SkuRecord>(context.tenant.tenantId, "sku").map((sku) => {
    const full: Record<string, unknown> = {
      accountId: context.tenant.tenantId,
      accountName: context.tenant.initialDomain.split(".")[0],
      appliesTo: "User",
      capabilityStatus: "Enabled",
      consumedUnits: consumed.get(sku.skuId) ?? 0,
      id: `${context.tenant.tenantId}_${sku.skuId}`,
      skuId: sku.skuId,
      skuPartNumber: sku.skuPartNumber,
      subscriptionIds: [sku.skuId],
      prepaidUnits: { enabled: sku.seats, suspended: 0, warning: 0, lockedOut: 0 },
      servicePlans: sku.servicePlans.map((plan) => ({ ...plan, provisioningStatus: "Success", appliesTo: "User" })),
    };
    return select ? pick(full, select) : full;
  });
  return json(200, { "@odata.context": odataContext(request, "subscribedSkus"), value });
}
