/**
 * Microsoft Graph v1.0: domains, users, licences, subscribedSkus and $batch
 * (microsoft-graph.md §1–§3).
 */
import type { Seed } from "./seed";
import {
  cancelMailboxChange,
  domainReferences,
  hasExchangePlan,
  primaryAddress,
  recipientOfUser,
  scheduleMailboxChange,
  verificationCode,
} from "./directory";
import { answerOf, graphError, json, jsonBody, type HttpError, type SandboxRequest, type SandboxResponse } from "./http";
import type { DomainRecord, EntraUserRecord, SkuRecord, TenantRecord } from "./records";
import type { Store } from "./store";

export interface GraphContext {
  store: Store;
  tenant: TenantRecord;
  behaviour: Seed["behaviour"];
  /** Throttling decision for one `$batch` step (each step is throttled on its own, §3.3). */
  throttleBatchStep: () => SandboxResponse | undefined;
}

const GRAPH_EDITABLE_SERVICES = new Set(["Email", "OfficeCommunicationsOnline", "Yammer"]);
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
const MAX_BATCH_REQUESTS = 20;
const USAGE_LOCATION = /^[A-Z]{2}$/;

type Handler = (context: GraphContext, request: SandboxRequest, match: string[]) => SandboxResponse;

const ROUTES: { method: string; pattern: RegExp; handler: Handler }[] = [
  { method: "GET", pattern: /^\/domains$/, handler: listDomains },
  { method: "POST", pattern: /^\/domains$/, handler: createDomain },
  { method: "GET", pattern: /^\/domains\/([^/]+)$/, handler: getDomain },
  { method: "PATCH", pattern: /^\/domains\/([^/]+)$/, handler: updateDomain },
  { method: "DELETE", pattern: /^\/domains\/([^/]+)$/, handler: deleteDomain },
  { method: "GET", pattern: /^\/domains\/([^/]+)\/verificationDnsRecords$/, handler: verificationRecords },
  { method: "GET", pattern: /^\/domains\/([^/]+)\/serviceConfigurationRecords$/, handler: serviceConfigurationRecords },
  { method: "GET", pattern: /^\/domains\/([^/]+)\/domainNameReferences$/, handler: domainNameReferences },
  { method: "POST", pattern: /^\/domains\/([^/]+)\/verify$/, handler: verifyDomain },
  { method: "GET", pattern: /^\/users$/, handler: listUsers },
  { method: "GET", pattern: /^\/users\/([^/]+)$/, handler: (context, request, [id]) => json(200, selectUser(context, request, findUser(context, request, id))) },
  { method: "PATCH", pattern: /^\/users\/([^/]+)$/, handler: updateUser },
  { method: "POST", pattern: /^\/users\/([^/]+)\/assignLicense$/, handler: assignLicense },
  { method: "GET", pattern: /^\/users\/([^/]+)\/licenseDetails$/, handler: licenseDetails },
  { method: "GET", pattern: /^\/subscribedSkus$/, handler: subscribedSkus },
  { method: "POST", pattern: /^\/\$batch$/, handler: batch },
];

/** Serves one Graph request; `path` is relative to `/v1.0`. */
export function handleGraph(context: GraphContext, request: SandboxRequest, path: string): SandboxResponse {
  const decoded = path.replace(/\/$/, "");
  const candidates = ROUTES.filter((route) => route.pattern.test(decoded));
  if (candidates.length === 0) {
    throw graphError(request, 400, "BadRequest", `Resource not found for the segment '${decoded.split("/")[1] ?? ""}'. The sandbox does not emulate this Graph path.`);
  }
  const route = candidates.find((candidate) => candidate.method === request.method);
  if (!route) throw graphError(request, 405, "Request_BadRequest", `The HTTP method '${request.method}' is not allowed for '${decoded}'.`);
  const match = (route.pattern.exec(decoded) ?? []).slice(1).map((segment) => decodeURIComponent(segment));
  return route.handler(context, request, match);
}

function body<T>(request: SandboxRequest): T {
  return jsonBody<T>(request, (message) => graphError(request, 400, "BadRequest", message));
}

function odataContext(request: SandboxRequest, fragment: string): string {
  return `${request.origin}/v1.0/$metadata#${fragment}`;
}

// ---- domains ---------------------------------------------------------------------------------

function findDomain(context: GraphContext, request: SandboxRequest, id: string): DomainRecord {
  const domain = context.store.get<DomainRecord>(context.tenant.tenantId, "domain", id.toLowerCase());
  if (!domain) throw notFound(request, id);
  return domain;
}

function notFound(request: SandboxRequest, id: string): HttpError {
  return graphError(request, 404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

/** `verifiedNames`: the tenant's verified domains, to tell a root domain from a subdomain. */
function domainView(request: SandboxRequest, domain: DomainRecord, verifiedNames: string[], availabilityStatus: string | null = null): object {
  return {
    "@odata.context": odataContext(request, "domains/$entity"),
    id: domain.id,
    authenticationType: "Managed",
    availabilityStatus,
    isAdminManaged: true,
    isDefault: domain.isDefault,
    isInitial: domain.isInitial,
    isRoot: domain.isVerified && !verifiedNames.some((other) => domain.id.endsWith(`.${other}`)),
    isVerified: domain.isVerified,
    passwordNotificationWindowInDays: 14,
    passwordValidityPeriodInDays: 2147483647,
    supportedServices: domain.supportedServices,
    state: null,
  };
}

function verifiedDomainNames(context: GraphContext): string[] {
  return context.store
    .list<DomainRecord>(context.tenant.tenantId, "domain")
    .filter((domain) => domain.isVerified)
    .map((domain) => domain.id);
}

function getDomain(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  return json(200, domainView(request, findDomain(context, request, id), verifiedDomainNames(context)));
}

function listDomains(context: GraphContext, request: SandboxRequest): SandboxResponse {
  const domains = context.store.list<DomainRecord>(context.tenant.tenantId, "domain");
  const verified = domains.filter((domain) => domain.isVerified).map((domain) => domain.id);
  return json(200, {
    "@odata.context": odataContext(request, "domains"),
    value: domains.map((domain) => {
      const { "@odata.context": _ignored, ...view } = domainView(request, domain, verified) as Record<string, unknown>;
      return view;
    }),
  });
}

const DOMAIN_NAME = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function createDomain(context: GraphContext, request: SandboxRequest): SandboxResponse {
  const input = body<Record<string, unknown>>(request);
  const extra = Object.keys(input).filter((key) => key !== "id");
  if (extra.length > 0) throw graphError(request, 400, "Request_BadRequest", `Property '${extra[0]}' cannot be set on create; only 'id' is accepted.`);
  const id = typeof input.id === "string" ? input.id.toLowerCase() : "";
  if (!DOMAIN_NAME.test(id)) throw graphError(request, 400, "Request_BadRequest", `Invalid domain name '${String(input.id ?? "")}': give a fully qualified domain name in 'id'.`);
  if (context.store.get(context.tenant.tenantId, "domain", id)) {
    throw graphError(request, 400, "Request_BadRequest", `Another object with the same value for property id already exists.`);
  }
  const claimedElsewhere = context.store.tenants().some((tenant) => tenant.tenantId !== context.tenant.tenantId && context.store.get<DomainRecord>(tenant.tenantId, "domain", id)?.isVerified);
  if (claimedElsewhere) throw graphError(request, 400, "Request_BadRequest", `The domain '${id}' is already verified by another tenant.`);
  const domain: DomainRecord = { id, isVerified: false, isDefault: false, isInitial: false, supportedServices: [], verificationCode: verificationCode() };
  context.store.put(context.tenant.tenantId, "domain", id, domain);
  return json(201, domainView(request, domain, verifiedDomainNames(context)), { Location: `${request.origin}/v1.0/domains/${id}` });
}

function updateDomain(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const domain = findDomain(context, request, id);
  const input = body<Record<string, unknown>>(request);
  const unsupported = Object.keys(input).filter((key) => key !== "supportedServices" && key !== "isDefault");
  if (unsupported.length > 0) throw graphError(request, 400, "Request_BadRequest", `Property '${unsupported[0]}' is read-only or not supported by the sandbox.`);
  if (!domain.isVerified) throw graphError(request, 400, "Request_BadRequest", `Unable to update an unverified domain '${domain.id}'. Verify the domain first.`);
  const next: DomainRecord = { ...domain };
  if (input.supportedServices !== undefined) {
    if (!Array.isArray(input.supportedServices) || input.supportedServices.some((value) => typeof value !== "string")) {
      throw graphError(request, 400, "Request_BadRequest", "Property 'supportedServices' must be an array of strings.");
    }
    const wanted = input.supportedServices as string[];
    const changed = [...symmetricDifference(domain.supportedServices, wanted)];
    const forbidden = changed.find((service) => !GRAPH_EDITABLE_SERVICES.has(service));
    if (forbidden) {
      throw graphError(request, 400, "Request_BadRequest", `The service '${forbidden}' cannot be added or removed through Graph; only Email, OfficeCommunicationsOnline and Yammer can.`);
    }
    next.supportedServices = wanted;
  }
  if (input.isDefault === true) {
    for (const other of context.store.list<DomainRecord>(context.tenant.tenantId, "domain")) {
      if (other.isDefault) context.store.put(context.tenant.tenantId, "domain", other.id, { ...other, isDefault: false });
    }
    next.isDefault = true;
  }
  context.store.put(context.tenant.tenantId, "domain", domain.id, next);
  return { status: 204 };
}

function symmetricDifference(left: string[], right: string[]): Set<string> {
  return new Set([...left.filter((item) => !right.includes(item)), ...right.filter((item) => !left.includes(item))]);
}

function deleteDomain(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const domain = findDomain(context, request, id);
  if (domain.isInitial || domain.isDefault) {
    throw graphError(request, 400, "Request_BadRequest", `The domain '${domain.id}' is the ${domain.isInitial ? "initial" : "default"} domain and cannot be deleted.`);
  }
  const references = domainReferences(context.store, context.tenant.tenantId, domain.id);
  if (references.length > 0) {
    throw graphError(
      request,
      400,
      "Request_BadRequest",
      `Domain '${domain.id}' has ${references.length} object(s) referencing it (e.g. ${references.slice(0, 3).join(", ")}). Remove the references first; list them with GET /domains/${domain.id}/domainNameReferences.`,
    );
  }
  context.store.delete(context.tenant.tenantId, "domain", domain.id);
  context.store.delete(context.tenant.tenantId, "acceptedDomainType", domain.id);
  return { status: 204 };
}

function verificationRecords(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const domain = findDomain(context, request, id);
  const code = domain.verificationCode;
  return json(200, {
    "@odata.context": odataContext(request, `domains('${domain.id}')/verificationDnsRecords`),
    value: [
      { "@odata.type": "#microsoft.graph.domainDnsTxtRecord", id: `txt-${domain.id}`, isOptional: false, label: domain.id, recordType: "Txt", supportedService: "Email", ttl: 3600, text: code },
      {
        "@odata.type": "#microsoft.graph.domainDnsMxRecord",
        id: `mx-${domain.id}`,
        isOptional: false,
        label: domain.id,
        recordType: "Mx",
        supportedService: "Email",
        ttl: 3600,
        mailExchange: `${code.slice(3).toLowerCase()}.msv1.invalid`,
        preference: 32767,
      },
    ],
  });
}

export function exchangeMxHost(domain: string): string {
  return `${domain.replace(/\./g, "-")}.mail.protection.outlook.com`;
}

function serviceConfigurationRecords(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const domain = findDomain(context, request, id);
  const email = domain.supportedServices.includes("Email");
  const records = email
    ? [
        { "@odata.type": "#microsoft.graph.domainDnsMxRecord", id: `mx-${domain.id}`, isOptional: false, label: domain.id, recordType: "Mx", supportedService: "Email", ttl: 3600, mailExchange: exchangeMxHost(domain.id), preference: 0 },
        { "@odata.type": "#microsoft.graph.domainDnsTxtRecord", id: `spf-${domain.id}`, isOptional: false, label: domain.id, recordType: "Txt", supportedService: "Email", ttl: 3600, text: "v=spf1 include:spf.protection.outlook.com -all" },
        { "@odata.type": "#microsoft.graph.domainDnsCnameRecord", id: `cname-${domain.id}`, isOptional: false, label: `autodiscover.${domain.id}`, recordType: "CName", supportedService: "Email", ttl: 3600, canonicalName: "autodiscover.outlook.com" },
      ]
    : [];
  return json(200, { "@odata.context": odataContext(request, `domains('${domain.id}')/serviceConfigurationRecords`), value: records });
}

function domainNameReferences(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const domain = findDomain(context, request, id);
  const referenced = new Set(domainReferences(context.store, context.tenant.tenantId, domain.id));
  const users = context.store.list<EntraUserRecord>(context.tenant.tenantId, "user").filter((user) => referenced.has(user.userPrincipalName) || referenced.has(user.mail ?? ""));
  return json(200, {
    "@odata.context": odataContext(request, "directoryObjects"),
    value: users.map((user) => ({ "@odata.type": "#microsoft.graph.user", id: user.id, userPrincipalName: user.userPrincipalName })),
  });
}

/** A domain verifies when public DNS has its TXT code, or when it is a subdomain of a verified domain (§1.2). */
export function canVerify(domain: string, code: string, txt: Record<string, string[]>, verifiedDomains: string[]): boolean {
  return (txt[domain] ?? []).includes(code) || verifiedDomains.some((parent) => domain.endsWith(`.${parent}`));
}

function verifyDomain(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const domain = findDomain(context, request, id);
  if (domain.isVerified) throw graphError(request, 400, "Request_BadRequest", `Domain '${domain.id}' is already verified.`);
  const verified = verifiedDomainNames(context);
  if (!canVerify(domain.id, domain.verificationCode, context.store.dns().txt, verified)) {
    throw graphError(
      request,
      400,
      "Request_BadRequest",
      `Domain verification failed for '${domain.id}': no TXT record '${domain.verificationCode}' was found in DNS. Publish the record from verificationDnsRecords and retry.`,
    );
  }
  const next = { ...domain, isVerified: true };
  context.store.put(context.tenant.tenantId, "domain", domain.id, next);
  return json(200, domainView(request, next, verified, "AvailableImmediately"));
}

// ---- users -----------------------------------------------------------------------------------

function findUser(context: GraphContext, request: SandboxRequest, idOrUpn: string): EntraUserRecord {
  const tenantId = context.tenant.tenantId;
  const id = idOrUpn.includes("@") ? context.store.ownerOf(tenantId, "upn", idOrUpn) : idOrUpn.toLowerCase();
  const user = id ? context.store.get<EntraUserRecord>(tenantId, "user", id) : undefined;
  if (!user) throw notFound(request, idOrUpn);
  return user;
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

function pick(full: Record<string, unknown>, properties: string[]): Record<string, unknown> {
  return Object.fromEntries(properties.filter((name) => name in full).map((name) => [name, full[name]]));
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
    value: page.map((user) => pick(fullUser(context, user), properties)),
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
 * Entra's password rule: 8–256 characters from at least three of lower case, upper case, digits
 * and symbols. The password is checked, never stored: the sandbox has no sign-in.
 */
function checkPasswordProfile(request: SandboxRequest, value: unknown): void {
  const profile = value as { password?: unknown; forceChangePasswordNextSignIn?: unknown } | null;
  if (typeof profile?.password !== "string" || (profile.forceChangePasswordNextSignIn !== undefined && typeof profile.forceChangePasswordNextSignIn !== "boolean")) {
    throw graphError(request, 400, "Request_BadRequest", "Invalid value specified for property 'passwordProfile' of resource 'User': give {password, forceChangePasswordNextSignIn?}.");
  }
  const password = profile.password;
  const categories = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((category) => category.test(password)).length;
  if (password.length < 8 || password.length > 256 || categories < 3) {
    throw graphError(request, 400, "Request_BadRequest", "The specified password does not comply with password complexity requirements. Please provide a different password.");
  }
}

function updateUser(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const user = findUser(context, request, id);
  const input = body<Record<string, unknown>>(request);
  const next: EntraUserRecord = { ...user };
  for (const [key, value] of Object.entries(input)) {
    if (key === "usageLocation") {
      if (typeof value !== "string" || !USAGE_LOCATION.test(value)) {
        throw graphError(request, 400, "Request_BadRequest", `Invalid value specified for property 'usageLocation' of resource 'User': give a two-letter ISO 3166 code such as 'GB'.`);
      }
      next.usageLocation = value;
    } else if (key === "displayName" && typeof value === "string") {
      next.displayName = value;
    } else if (key === "passwordProfile") {
      checkPasswordProfile(request, value);
    } else if (key === "proxyAddresses") {
      throw graphError(request, 400, "Request_BadRequest", "Property 'proxyAddresses' is read-only; manage addresses in Exchange (Set-Mailbox/Set-MailUser -EmailAddresses).");
    } else {
      throw graphError(request, 400, "Request_BadRequest", `Property '${key}' is not supported by the sandbox's PATCH /users (supported: usageLocation, displayName, passwordProfile).`);
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
    else scheduleMailboxChange(context.store, tenantId, user.id, after ? "create" : "remove", context.behaviour.licenceConversionDelaySeconds);
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

// ---- $batch ----------------------------------------------------------------------------------

interface BatchStep {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: unknown;
}

function batch(context: GraphContext, request: SandboxRequest): SandboxResponse {
  const input = body<{ requests?: BatchStep[] }>(request);
  const steps = input.requests;
  if (!Array.isArray(steps) || steps.length === 0) throw graphError(request, 400, "BadRequest", "Invalid batch payload format: 'requests' must be a non-empty array.");
  if (steps.length > MAX_BATCH_REQUESTS) throw graphError(request, 400, "BadRequest", `Number of batch request steps exceeds the maximum of ${MAX_BATCH_REQUESTS}.`);
  const ids = steps.map((step) => String(step.id ?? ""));
  const duplicate = ids.find((id, index) => id === "" || ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw graphError(request, 400, "BadRequest", `Batch request ids must be present and unique; '${duplicate}' is not.`);
  for (const step of steps) {
    if (typeof step.url !== "string" || /^https?:/i.test(step.url)) throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' needs a relative 'url'.`);
    if (typeof step.method !== "string") throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' needs a 'method'.`);
    if (step.body !== undefined && !Object.keys(step.headers ?? {}).some((name) => name.toLowerCase() === "content-type")) {
      throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' has a body but no Content-Type header.`);
    }
    const dependsOn = (step.dependsOn as string[] | undefined) ?? [];
    if (dependsOn.some((dependency) => !ids.includes(dependency))) throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' depends on an unknown id.`);
  }
  const statuses = new Map<string, number>();
  const responses = steps.map((step) => {
    const id = String(step.id);
    const failedDependency = ((step.dependsOn as string[] | undefined) ?? []).some((dependency) => (statuses.get(dependency) ?? 424) >= 400);
    const response = failedDependency ? failedDependencyResponse(request) : runStep(context, request, step);
    statuses.set(id, response.status);
    const headers: Record<string, string> = { ...(response.headers ?? {}) };
    if (response.body !== undefined) headers["Content-Type"] = "application/json";
    return { id, status: response.status, headers, body: response.body ?? null };
  });
  return json(200, { responses });
}

function failedDependencyResponse(request: SandboxRequest): SandboxResponse {
  return graphError(request, 424, "BadRequest", "Request failed because a request it depends on failed.").response;
}

function runStep(context: GraphContext, outer: SandboxRequest, step: BatchStep): SandboxResponse {
  const throttled = context.throttleBatchStep();
  if (throttled) return throttled;
  const url = new URL(String(step.url).replace(/^\/?/, "/"), "https://batch.invalid");
  const inner: SandboxRequest = {
    ...outer,
    method: String(step.method).toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers: Object.fromEntries(Object.entries(step.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    body: step.body === undefined ? "" : JSON.stringify(step.body),
  };
  // An HttpError inside the transaction rolls the step back; its answer becomes the step's response.
  return answerOf(() => context.store.transaction(() => handleGraph(context, inner, url.pathname)));
}
