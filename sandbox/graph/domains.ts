/**
 * Graph v1.0 domains (microsoft-graph.md §1): create, verify, enable Email, DNS records, references
 * and delete. Reads need Domain.Read.All (or Domain.ReadWrite.All, Directory.Read.All), every
 * write Domain.ReadWrite.All (the endpoints' permission tables).
 */
import { lagMs } from "../behaviour";
import { domainReferences, verificationCode } from "../directory";
import { graphError, json, type SandboxRequest, type SandboxResponse } from "../http";
import type { DomainRecord, EntraUserRecord } from "../records";
import { body, odataContext, resourceNotFound, type GraphContext, type GraphRoute } from "./common";
import { microsoftMxHost } from "pulumi-mail-coexistence/routing/addresses";

const READ = ["Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All"];
const WRITE = ["Domain.ReadWrite.All"];
const GRAPH_EDITABLE_SERVICES = new Set(["Email", "OfficeCommunicationsOnline", "Yammer"]);

export const domainRoutes: GraphRoute[] = [
  { method: "GET", pattern: /^\/domains$/, permissions: READ, handler: listDomains },
  { method: "POST", pattern: /^\/domains$/, permissions: WRITE, handler: createDomain },
  { method: "GET", pattern: /^\/domains\/([^/]+)$/, permissions: READ, handler: getDomain },
  { method: "PATCH", pattern: /^\/domains\/([^/]+)$/, permissions: WRITE, handler: updateDomain },
  { method: "DELETE", pattern: /^\/domains\/([^/]+)$/, permissions: WRITE, handler: deleteDomain },
  { method: "GET", pattern: /^\/domains\/([^/]+)\/verificationDnsRecords$/, permissions: READ, handler: verificationRecords },
  { method: "GET", pattern: /^\/domains\/([^/]+)\/serviceConfigurationRecords$/, permissions: READ, handler: serviceConfigurationRecords },
  { method: "GET", pattern: /^\/domains\/([^/]+)\/domainNameReferences$/, permissions: READ, handler: domainNameReferences },
  { method: "POST", pattern: /^\/domains\/([^/]+)\/verify$/, permissions: WRITE, handler: verifyDomain },
];

function findDomain(context: GraphContext, request: SandboxRequest, id: string): DomainRecord {
  const domain = context.store.get<DomainRecord>(context.tenant.tenantId, "domain", id.toLowerCase());
  if (!domain) throw resourceNotFound(request, id);
  return domain;
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
  stampExchangeReplication(context, domain, next);
  context.store.put(context.tenant.tenantId, "domain", domain.id, next);
  return { status: 204 };
}

/** A domain that just became verified with Email reaches Exchange's accepted domains only after the seed's lag. */
function stampExchangeReplication(context: GraphContext, before: DomainRecord, after: DomainRecord): void {
  const accepted = (domain: DomainRecord): boolean => domain.isVerified && domain.supportedServices.includes("Email");
  if (!accepted(after)) delete after.acceptedInExchangeAt;
  else if (!accepted(before)) {
    const delay = lagMs(context.seed.behaviour, "acceptedDomainSeconds", after.id, context.seed.faults?.seed);
    if (delay > 0) after.acceptedInExchangeAt = Date.now() + delay;
  }
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


function serviceConfigurationRecords(context: GraphContext, request: SandboxRequest, [id]: string[]): SandboxResponse {
  const domain = findDomain(context, request, id);
  const email = domain.supportedServices.includes("Email");
  const records = email
    ? [
        { "@odata.type": "#microsoft.graph.domainDnsMxRecord", id: `mx-${domain.id}`, isOptional: false, label: domain.id, recordType: "Mx", supportedService: "Email", ttl: 3600, mailExchange: microsoftMxHost(domain.id), preference: 0 },
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
