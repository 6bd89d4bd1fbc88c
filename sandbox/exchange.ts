/**
 * Exchange Online admin API: `POST /adminapi/beta/{tenant}/InvokeCommand` (exchange-admin-api.md
 * §1–§3). Cmdlet and parameter names are case-insensitive; errors use the pipe-delimited format.
 */
import { createHash, randomUUID } from "node:crypto";
import { systemForHost } from "../provider/routing/addresses";
import { recipientDomainSpecificity } from "../provider/routing/tenantIndex";
import type { AcceptedDomainType } from "../provider/routing/types";
import {
  acceptedDomains,
  domainOf,
  isPrimaryProxy,
  primaryAddress,
  removeRecipient,
  saveRecipient,
  stripPrefix,
  type AcceptedDomain,
} from "./directory";
import { exchangeError, header, json, jsonBody, type HttpError, type SandboxRequest, type SandboxResponse } from "./http";
import type { ConnectorRecord, DistributionGroupRecord, DomainRecord, EntraUserRecord, GoogleUserRecord, RecipientRecord, TenantRecord, TransportRuleRecord } from "./records";
import type { Seed } from "./seed";
import { GOOGLE_SCOPE, newRecipient, type Store } from "./store";

export interface ExchangeContext {
  store: Store;
  tenant: TenantRecord;
  behaviour: Seed["behaviour"];
}

type Parameters = Map<string, unknown>;

interface CmdletResult {
  objects: object[];
  /** Turns a stored object into its wire form; applied to the page only, so a paged list costs one page of views. */
  view?: (object: never) => object;
  warnings?: string[];
}

interface Cmdlet {
  name: string;
  parameters: string[];
  required?: string[];
  run(context: ExchangeContext, parameters: Parameters): CmdletResult;
}

const COMMON_PARAMETERS = ["confirm", "erroraction", "warningaction", "whatif", "verbose", "debug"];
const NAME_LIMIT = 64;
const ZERO_GUID = "00000000-0000-0000-0000-000000000000";
const NO_CHANGE = (identity: string): string => `The command completed successfully but no settings of '${identity}' have been modified.`;
const TRUNCATED = "There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.";

export function invokeCommand(context: ExchangeContext, request: SandboxRequest): SandboxResponse {
  const input = jsonBody<{ CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } }>(request, (message) =>
    exchangeError(400, "parameterBinding", message),
  );
  const cmdletName = input.CmdletInput?.CmdletName;
  if (typeof cmdletName !== "string") throw exchangeError(400, "parameterBinding", "The request body needs CmdletInput.CmdletName, e.g. {\"CmdletInput\":{\"CmdletName\":\"Get-AcceptedDomain\",\"Parameters\":{}}}.");
  const cmdlet = CMDLETS.get(cmdletName.toLowerCase());
  // The real endpoint answers an unknown (or not permitted) cmdlet with 403 and an empty body (§1.7).
  if (!cmdlet) return { status: 403, headers: { "X-ExceptionType": "CmdletAccessDeniedException" }, body: "" };
  const parameters = normalizeParameters(cmdlet, input.CmdletInput?.Parameters ?? {});
  const result = context.store.transaction(() => cmdlet.run(context, parameters));
  return page(context, request, parameters, result);
}

export function cmdletNameOf(body: string): string {
  try {
    const name = (JSON.parse(body) as { CmdletInput?: { CmdletName?: unknown } }).CmdletInput?.CmdletName;
    return typeof name === "string" ? canonicalName(name) : "(none)";
  } catch {
    return "(invalid)";
  }
}

function canonicalName(name: string): string {
  return CMDLETS.get(name.toLowerCase())?.name ?? name;
}

function normalizeParameters(cmdlet: Cmdlet, raw: unknown): Parameters {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw exchangeError(400, "parameterBinding", "CmdletInput.Parameters must be a JSON object.");
  const parameters: Parameters = new Map();
  for (const [name, value] of Object.entries(raw)) {
    const key = name.toLowerCase();
    if (!cmdlet.parameters.includes(key) && !COMMON_PARAMETERS.includes(key)) {
      throw exchangeError(400, "parameterBinding", `A parameter cannot be found that matches parameter name '${name}'.`);
    }
    parameters.set(key, value);
  }
  for (const required of cmdlet.required ?? []) {
    const value = parameters.get(required);
    if (value === undefined || value === null || value === "") {
      throw exchangeError(400, "parameterBinding", `Cannot process command because of one or more missing mandatory parameters: ${required}.`);
    }
  }
  return parameters;
}

// ---- output and paging -----------------------------------------------------------------------

function page(context: ExchangeContext, request: SandboxRequest, parameters: Parameters, result: CmdletResult): SandboxResponse {
  const warnings = [...(result.warnings ?? [])];
  let objects = result.objects;
  const resultSize = parameters.get("resultsize");
  if (resultSize !== undefined && resultSize !== "Unlimited" && !(typeof resultSize === "number" && Number.isInteger(resultSize) && resultSize > 0)) {
    throw exchangeError(400, "parameterBinding", `Cannot bind parameter 'ResultSize' to the value "${String(resultSize)}". Give a whole number > 0 or "Unlimited".`);
  }
  if (typeof resultSize === "number" && objects.length > resultSize) {
    objects = objects.slice(0, resultSize);
    warnings.push(TRUNCATED);
  }
  const pageSize = preferredPageSize(request) ?? context.behaviour.exchangePageSize;
  const offset = Number(request.query.get("$skiptoken") ?? 0);
  const select = request.query.get("$select")?.split(",").map((name) => name.trim());
  const view = result.view ?? ((object: object) => object);
  const value = objects
    .slice(offset, offset + pageSize)
    .map((object) => view(object as never))
    .map((object) => (select ? selectProperties(object, select) : object));
  const body: Record<string, unknown> = {
    "@odata.context": `${request.origin}/adminapi/beta/${context.tenant.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
    "adminapi.warnings@odata.type": "#Collection(String)",
    "@adminapi.warnings": warnings,
    value,
  };
  if (offset + pageSize < objects.length) {
    const next = new URLSearchParams(request.query);
    next.set("$skiptoken", String(offset + pageSize));
    body["@odata.nextLink"] = `${request.origin}${request.path}?${next.toString()}`;
  }
  return json(200, body, { "Content-Type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8" });
}

function preferredPageSize(request: SandboxRequest): number | undefined {
  const match = /odata\.maxpagesize=(\d+)/i.exec(header(request, "prefer") ?? "");
  return match ? Math.max(1, Number(match[1])) : undefined;
}

function selectProperties(object: object, names: string[]): object {
  const lower = names.map((name) => name.toLowerCase());
  return Object.fromEntries(Object.entries(object).filter(([key]) => lower.includes(key.split("@")[0].toLowerCase())));
}

function stableGuid(text: string): string {
  const hex = createHash("sha1").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

// ---- parameter values ------------------------------------------------------------------------

function text(parameters: Parameters, name: string, field = name): string | undefined {
  const value = parameters.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw exchangeError(400, "parameterBinding", `Cannot bind parameter '${field}'. Give a string.`);
  return value;
}

function flag(parameters: Parameters, name: string): boolean | undefined {
  const value = parameters.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw exchangeError(400, "parameterBinding", `Cannot convert value "${String(value)}" to type "System.Boolean" for parameter '${name}'. Use true or false.`);
  return value;
}

function list(parameters: Parameters, name: string): string[] | undefined {
  const value = parameters.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  throw exchangeError(400, "parameterBinding", `Cannot bind parameter '${name}'. Give a string or an array of strings.`);
}

function enumValue<T extends string>(parameters: Parameters, name: string, allowed: readonly T[]): T | undefined {
  const value = text(parameters, name);
  if (value === undefined) return undefined;
  const found = allowed.find((option) => option.toLowerCase() === value.toLowerCase());
  if (!found) {
    throw exchangeError(400, "parameterBinding", `Cannot bind parameter '${name}'. Cannot convert value "${value}" to an allowed value. Specify one of: "${allowed.join(", ")}".`);
  }
  return found;
}

/** ADObjectAlreadyExistsException when another object of the list already has the name. */
function assertNameFree(objects: { name: string; guid: string }[], name: string, self?: string): void {
  if (objects.some((entry) => entry.guid !== self && entry.name.toLowerCase() === name.toLowerCase())) {
    throw exchangeError(400, "alreadyExists", `The object '${name}' already exists.`);
  }
}

/** An object of the list by name or GUID, or the not-found error. */
function findNamed<T extends { name: string; guid: string }>(objects: T[], identity: string): T {
  const key = identity.toLowerCase();
  const found = objects.find((entry) => entry.name.toLowerCase() === key || entry.guid === key);
  if (!found) throw notFound(identity);
  return found;
}

function checkName(name: string, field: string): void {
  if (name.length > NAME_LIMIT) throw exchangeError(400, "dataValidation", `The length of the property '${field}' is too long. The maximum length is ${NAME_LIMIT} and the length of the value provided is ${name.length}.`);
}

// ---- accepted domains ------------------------------------------------------------------------

function acceptedDomainView(tenant: TenantRecord, domain: AcceptedDomain): object {
  return {
    Identity: domain.domainName,
    Name: domain.domainName,
    DomainName: domain.domainName,
    DomainType: domain.domainType,
    Default: domain.isDefault,
    InitialDomain: domain.isInitial,
    MatchSubDomains: domain.matchSubDomains,
    AddressBookEnabled: domain.domainType === "Authoritative",
    Guid: stableGuid(`${tenant.tenantId}/${domain.domainName}`),
    IsValid: true,
  };
}

function findAcceptedDomain(context: ExchangeContext, identity: string): AcceptedDomain {
  const domain = acceptedDomains(context.store, context.tenant.tenantId).find(
    (entry) => entry.domainName === identity.toLowerCase() || stableGuid(`${context.tenant.tenantId}/${entry.domainName}`) === identity.toLowerCase(),
  );
  if (!domain) throw notFound(identity);
  return domain;
}

function notFound(identity: string): HttpError {
  return exchangeError(404, "notFound", `The operation couldn't be performed because object '${identity}' couldn't be found on 'SANDBOX01A001.prod.outlook.com'.`);
}

const getAcceptedDomain: Cmdlet = {
  name: "Get-AcceptedDomain",
  parameters: ["identity", "resultsize"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const domains = identity ? [findAcceptedDomain(context, identity)] : acceptedDomains(context.store, context.tenant.tenantId);
    return { objects: domains.map((domain) => acceptedDomainView(context.tenant, domain)) };
  },
};

const setAcceptedDomain: Cmdlet = {
  name: "Set-AcceptedDomain",
  parameters: ["identity", "domaintype", "matchsubdomains", "outboundonly", "sendingfromdomaindisabled", "sendingtodomaindisabled", "makedefault", "name"],
  required: ["identity"],
  run(context, parameters) {
    for (const onPremisesOnly of ["makedefault", "name"]) {
      if (parameters.has(onPremisesOnly)) {
        throw exchangeError(400, "parameterBinding", `A parameter cannot be found that matches parameter name '${onPremisesOnly === "name" ? "Name" : "MakeDefault"}'. It is available on-premises only.`);
      }
    }
    const domain = findAcceptedDomain(context, text(parameters, "identity") ?? "");
    const requestedType = text(parameters, "domaintype");
    if (requestedType?.toLowerCase() === "externalrelay") {
      throw exchangeError(400, "dataValidation", "ExternalRelay accepted domains are available on-premises only; use InternalRelay to relay unknown recipients to another system.");
    }
    const domainType: AcceptedDomainType = enumValue(parameters, "domaintype", ["Authoritative", "InternalRelay"] as const) ?? domain.domainType;
    const matchSubDomains = flag(parameters, "matchsubdomains") ?? (domainType === "InternalRelay" ? domain.matchSubDomains : false);
    if (matchSubDomains && domainType !== "InternalRelay") {
      throw exchangeError(400, "dataValidation", "MatchSubDomains can only be set on an InternalRelay accepted domain.");
    }
    if (domainType === domain.domainType && matchSubDomains === domain.matchSubDomains) return { objects: [], warnings: [NO_CHANGE(domain.domainName)] };
    context.store.put(context.tenant.tenantId, "acceptedDomainType", domain.domainName, { domainName: domain.domainName, domainType, matchSubDomains });
    return { objects: [] };
  },
};

// ---- outbound connectors ---------------------------------------------------------------------

const CONNECTOR_NEW_PARAMETERS = [
  "name",
  "connectortype",
  "recipientdomains",
  "smarthosts",
  "usemxrecord",
  "tlssettings",
  "tlsdomain",
  "istransportrulescoped",
  "enabled",
  "comment",
  "testmode",
  "routeallmessagesviaonpremises",
  "allaccepteddomains",
  "senderrewritingenabled",
  "cloudservicesmailenabled",
  "connectorsource",
];
const CONNECTOR_SET_PARAMETERS = [...CONNECTOR_NEW_PARAMETERS, "identity", "isvalidated", "lastvalidationtimestamp", "validationrecipients"];
const TLS_SETTINGS = ["EncryptionOnly", "CertificateValidation", "DomainValidation"] as const;

function connectorView(connector: ConnectorRecord): object {
  return {
    Identity: connector.name,
    Name: connector.name,
    Guid: connector.guid,
    Enabled: connector.enabled,
    ConnectorType: connector.connectorType,
    ConnectorSource: "Default",
    RecipientDomains: connector.recipientDomains,
    "RecipientDomains@odata.type": "#Collection(String)",
    SmartHosts: connector.smartHosts,
    "SmartHosts@odata.type": "#Collection(String)",
    UseMXRecord: connector.useMxRecord,
    TlsSettings: connector.tlsSettings,
    TlsDomain: connector.tlsDomain,
    IsTransportRuleScoped: connector.isTransportRuleScoped,
    Comment: connector.comment,
    TestMode: false,
    RouteAllMessagesViaOnPremises: false,
    AllAcceptedDomains: false,
    SenderRewritingEnabled: false,
    CloudServicesMailEnabled: false,
    ValidationRecipients: connector.validationRecipients,
    IsValidated: connector.isValidated,
    LastValidationTimestamp: connector.lastValidationTimestamp,
    WhenCreated: connector.whenCreated,
  };
}

function findConnector(context: ExchangeContext, identity: string): ConnectorRecord {
  return findNamed(context.store.list<ConnectorRecord>(context.tenant.tenantId, "connector"), identity);
}

/** `contoso.com`, `*.contoso.com` or `*`; an embedded wildcard is refused (New-OutboundConnector doc). */
export function recipientDomainProblem(entry: string): string | undefined {
  if (entry === "*") return undefined;
  const name = entry.startsWith("*.") ? entry.slice(2) : entry;
  if (name.includes("*")) return `The value "${entry}" of RecipientDomains is invalid: a wildcard is allowed only as the leading "*." label or as "*".`;
  if (!/^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i.test(name)) return `The value "${entry}" of RecipientDomains is not a valid domain name.`;
  return undefined;
}

function applyConnectorParameters(base: ConnectorRecord, parameters: Parameters): ConnectorRecord {
  const next: ConnectorRecord = { ...base };
  const name = text(parameters, "name");
  if (name !== undefined) {
    checkName(name, "Name");
    next.name = name;
  }
  next.connectorType = enumValue(parameters, "connectortype", ["Partner", "OnPremises"] as const) ?? next.connectorType;
  const domains = list(parameters, "recipientdomains");
  if (domains) {
    const problem = domains.map(recipientDomainProblem).find(Boolean);
    if (problem) throw exchangeError(400, "dataValidation", problem);
    next.recipientDomains = domains.map((domain) => domain.toLowerCase());
  }
  next.smartHosts = list(parameters, "smarthosts") ?? next.smartHosts;
  next.useMxRecord = flag(parameters, "usemxrecord") ?? next.useMxRecord;
  if (parameters.has("tlssettings")) next.tlsSettings = parameters.get("tlssettings") === null ? null : (enumValue(parameters, "tlssettings", TLS_SETTINGS) ?? null);
  if (parameters.has("tlsdomain")) next.tlsDomain = text(parameters, "tlsdomain") ?? null;
  next.isTransportRuleScoped = flag(parameters, "istransportrulescoped") ?? next.isTransportRuleScoped;
  next.enabled = flag(parameters, "enabled") ?? next.enabled;
  if (parameters.has("comment")) next.comment = text(parameters, "comment") ?? "";
  next.validationRecipients = list(parameters, "validationrecipients") ?? next.validationRecipients;
  next.isValidated = flag(parameters, "isvalidated") ?? next.isValidated;
  if (parameters.has("lastvalidationtimestamp")) next.lastValidationTimestamp = text(parameters, "lastvalidationtimestamp") ?? null;
  for (const onPremisesOnly of ["routeallmessagesviaonpremises", "allaccepteddomains", "senderrewritingenabled"]) {
    if (flag(parameters, onPremisesOnly) === true && next.connectorType !== "OnPremises") {
      throw exchangeError(400, "dataValidation", `${onPremisesOnly} can be set only when ConnectorType is OnPremises.`);
    }
  }
  if (!next.useMxRecord && next.smartHosts.length === 0) {
    throw exchangeError(400, "dataValidation", "SmartHosts must be specified when UseMXRecord is $false. Give the smart hosts (e.g. smtp.google.com) or set UseMXRecord to $true.");
  }
  if (next.tlsDomain && next.tlsSettings !== "DomainValidation") {
    throw exchangeError(400, "dataValidation", "TlsDomain can be set only when TlsSettings is DomainValidation.");
  }
  return next;
}

const newOutboundConnector: Cmdlet = {
  name: "New-OutboundConnector",
  parameters: CONNECTOR_NEW_PARAMETERS,
  required: ["name"],
  run(context, parameters) {
    const name = text(parameters, "name") ?? "";
    assertNameFree(context.store.list<ConnectorRecord>(context.tenant.tenantId, "connector"), name);
    const connector = applyConnectorParameters(
      {
        guid: randomUUID(),
        name,
        enabled: true,
        connectorType: "Partner",
        recipientDomains: [],
        smartHosts: [],
        useMxRecord: true,
        isTransportRuleScoped: false,
        tlsSettings: null,
        tlsDomain: null,
        comment: "",
        validationRecipients: [],
        isValidated: false,
        lastValidationTimestamp: null,
        whenCreated: new Date().toISOString(),
      },
      parameters,
    );
    context.store.put(context.tenant.tenantId, "connector", connector.guid, connector);
    return { objects: [connectorView(connector)] };
  },
};

const setOutboundConnector: Cmdlet = {
  name: "Set-OutboundConnector",
  parameters: CONNECTOR_SET_PARAMETERS,
  required: ["identity"],
  run(context, parameters) {
    const connector = findConnector(context, text(parameters, "identity") ?? "");
    const next = applyConnectorParameters(connector, parameters);
    assertNameFree(context.store.list<ConnectorRecord>(context.tenant.tenantId, "connector"), next.name, connector.guid);
    if (JSON.stringify(next) === JSON.stringify(connector)) return { objects: [], warnings: [NO_CHANGE(connector.name)] };
    context.store.put(context.tenant.tenantId, "connector", connector.guid, next);
    return { objects: [] };
  },
};

const getOutboundConnector: Cmdlet = {
  name: "Get-OutboundConnector",
  parameters: ["identity", "istransportrulescoped", "includetestmodeconnectors", "resultsize"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const scoped = flag(parameters, "istransportrulescoped");
    const connectors = identity
      ? [findConnector(context, identity)]
      : context.store.list<ConnectorRecord>(context.tenant.tenantId, "connector").filter((entry) => scoped === undefined || entry.isTransportRuleScoped === scoped);
    return { objects: connectors.map(connectorView) };
  },
};

const removeOutboundConnector: Cmdlet = {
  name: "Remove-OutboundConnector",
  parameters: ["identity"],
  required: ["identity"],
  run(context, parameters) {
    const connector = findConnector(context, text(parameters, "identity") ?? "");
    const rule = context.store
      .list<TransportRuleRecord>(context.tenant.tenantId, "transportRule")
      .find((entry) => entry.routeMessageOutboundConnector.toLowerCase() === connector.name.toLowerCase());
    if (rule) throw exchangeError(400, "dataValidation", `The connector '${connector.name}' is used by the transport rule '${rule.name}'. Remove or change the rule first.`);
    context.store.delete(context.tenant.tenantId, "connector", connector.guid);
    return { objects: [] };
  },
};

/**
 * Tests the connector itself, as the real cmdlet does: each test message goes to the connector's
 * first smart host (or, with UseMXRecord, the recipient domain's first MX host), and succeeds when
 * that system (Google or Exchange Online) has the recipient. Accepted domains, transport rules and
 * the rest of the routing are not involved.
 */
const validateOutboundConnector: Cmdlet = {
  name: "Validate-OutboundConnector",
  parameters: ["identity", "recipients"],
  required: ["identity", "recipients"],
  run(context, parameters) {
    const connector = findConnector(context, text(parameters, "identity") ?? "");
    const objects = (list(parameters, "recipients") ?? []).map((recipient) => {
      const outcome = validationOutcome(context, connector, recipient.toLowerCase());
      return {
        Identity: connector.name,
        TaskName: "SendTestMessage",
        Recipient: recipient,
        TaskStatus: outcome.succeeded ? "Succeeded" : "Failed",
        IsTaskSuccessful: outcome.succeeded,
        Details: outcome.details,
        Hops: outcome.hops,
      };
    });
    return { objects };
  },
};

function validationOutcome(context: ExchangeContext, connector: ConnectorRecord, recipient: string): { succeeded: boolean; details: string; hops: string[] } {
  const domain = domainOf(recipient);
  const inScope = connector.recipientDomains.length === 0 || connector.recipientDomains.some((pattern) => recipientDomainSpecificity(pattern, domain) !== undefined);
  if (!inScope) return { succeeded: false, details: `${recipient} is not in the connector's RecipientDomains (${connector.recipientDomains.join(", ")}).`, hops: [] };
  const host = connector.useMxRecord ? context.store.dns().mx[domain]?.[0] : connector.smartHosts[0];
  if (!host) return { succeeded: false, details: `451 4.4.0 DNS query failed: ${domain} has no MX record.`, hops: [] };
  const system = systemForHost(host);
  const sent = `exchange: sent via connector ${connector.name} to ${host}`;
  if (system === "internet") {
    return { succeeded: false, details: `450 4.4.317 Cannot connect to remote server ${host}: the sandbox models only Google and Microsoft 365 hosts.`, hops: [sent] };
  }
  const refusal = system === "google" ? googleRefusal(context.store, recipient) : exchangeRefusal(context.store, recipient);
  if (refusal) return { succeeded: false, details: refusal, hops: [sent, `${system}: rejected ${recipient}`] };
  return { succeeded: true, details: `250 2.0.0 OK: ${host} accepted the test message for ${recipient}.`, hops: [sent, `${system}: accepted ${recipient}`] };
}

/** Gmail's SMTP answer to RCPT TO, undefined when it accepts the address. */
function googleRefusal(store: Store, address: string): string | undefined {
  const owner = store.ownerOf(GOOGLE_SCOPE, "googleAddress", address);
  const user = owner ? store.get<GoogleUserRecord>(GOOGLE_SCOPE, "googleUser", owner) : undefined;
  if (!user) return `550 5.1.1 The email account that you tried to reach does not exist (${address}).`;
  if (user.suspended) return `550 5.2.1 The email account that you tried to reach is disabled (${address}).`;
  return undefined;
}

/** Exchange Online's answer for an address no tenant of the sandbox holds. */
function exchangeRefusal(store: Store, address: string): string | undefined {
  const held = store.tenants().some((tenant) => store.ownerOf(tenant.tenantId, "proxy", address));
  return held ? undefined : `550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient ${address} not found by SMTP address lookup.`;
}

// ---- recipients ------------------------------------------------------------------------------

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
  };
}

function viewOf(context: ExchangeContext): (recipient: RecipientRecord) => object {
  return (recipient) => recipientView(recipient, context.store.get<EntraUserRecord>(context.tenant.tenantId, "user", recipient.externalDirectoryObjectId));
}

/** Get-Recipient's ReducedRecipient also carries the user's names (Get-MailUser/Get-Mailbox do not; Get-User does). */
function reducedRecipientView(context: ExchangeContext): (recipient: RecipientRecord) => object {
  return (recipient) => {
    const user = context.store.get<EntraUserRecord>(context.tenant.tenantId, "user", recipient.externalDirectoryObjectId);
    return { ...recipientView(recipient, user), FirstName: user?.givenName ?? "", LastName: user?.surname ?? "" };
  };
}

function findRecipient(context: ExchangeContext, identity: string, type?: RecipientRecord["recipientTypeDetails"]): RecipientRecord {
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

function recipientsOfType(context: ExchangeContext, types: string[] | undefined): RecipientRecord[] {
  const wanted = types?.map((type) => type.toLowerCase());
  return context.store.list<RecipientRecord>(context.tenant.tenantId, "recipient").filter((entry) => !wanted || wanted.includes(entry.recipientTypeDetails.toLowerCase()));
}

function listOrOne(context: ExchangeContext, parameters: Parameters, type: RecipientRecord["recipientTypeDetails"]): CmdletResult {
  const identity = text(parameters, "identity");
  const recipients = identity ? [findRecipient(context, identity, type)] : recipientsOfType(context, [type]);
  return { objects: recipients, view: viewOf(context) };
}

/** Every address must be an SMTP address in an accepted domain and not held by another recipient. */
function checkAddresses(context: ExchangeContext, owner: string, proxies: string[]): void {
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

function updateAddresses(recipient: RecipientRecord, parameters: Parameters): RecipientRecord {
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

/** An optional SMTP address parameter (`x@y` or `smtp:x@y`); null or "" clears it. */
function smtpAddress(parameters: Parameters, name: string, field: string): string | undefined {
  const value = text(parameters, name, field);
  if (!value) return undefined;
  const address = stripPrefix(value);
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw exchangeError(400, "dataValidation", `The ${field} "${value}" isn't a valid SMTP address.`);
  return address;
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
    const user: EntraUserRecord = {
      id: randomUUID(),
      userPrincipalName: upn,
      displayName: text(parameters, "displayname") ?? name,
      givenName: text(parameters, "firstname"),
      surname: text(parameters, "lastname"),
      accountEnabled: true,
      assignedLicenses: [],
      createdDateTime: new Date().toISOString(),
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
function checkAlias(context: ExchangeContext, alias: string, self: string): void {
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
function mailObjectsWith(context: ExchangeContext, field: "name" | "alias", value: string): { guid: string; name: string; alias: string }[] {
  return context.store.withField(context.tenant.tenantId, ["recipient", "distributionGroup"], field, value);
}

function mailObjectWithGuid(context: ExchangeContext, guid: string): { name: string } | undefined {
  const tenantId = context.tenant.tenantId;
  return context.store.get<RecipientRecord>(tenantId, "recipient", guid) ?? context.store.get<DistributionGroupRecord>(tenantId, "distributionGroup", guid);
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
    parameters: ["identity", "emailaddresses", "primarysmtpaddress", "displayname", "name", "alias", ...extra],
    required: ["identity"],
    run(context, parameters) {
      if (parameters.has("password")) throw exchangeError(400, "parameterBinding", ADMIN_PASSWORD_REFUSAL);
      const recipient = findRecipient(context, text(parameters, "identity") ?? "", type);
      let next = updateAddresses(recipient, parameters);
      next = { ...next, displayName: text(parameters, "displayname") ?? next.displayName };
      const name = text(parameters, "name");
      if (name !== undefined) {
        checkName(name, "Name");
        assertNameFree(mailObjectsWith(context, "name", name), name, recipient.guid);
        next.name = name;
      }
      const alias = text(parameters, "alias");
      if (alias !== undefined && alias !== recipient.alias) {
        checkAlias(context, alias, recipient.guid);
        next.alias = alias;
      }
      const upn = text(parameters, "microsoftonlineservicesid")?.toLowerCase();
      if (upn !== undefined && upn !== recipient.microsoftOnlineServicesId) {
        assertUpnAvailable(context, upn, recipient.externalDirectoryObjectId);
        next.microsoftOnlineServicesId = upn;
      }
      if (parameters.has("externalemailaddress")) next.externalEmailAddress = smtpAddress(parameters, "externalemailaddress", "ExternalEmailAddress");
      if (parameters.has("forwardingsmtpaddress")) next.forwardingSmtpAddress = smtpAddress(parameters, "forwardingsmtpaddress", "ForwardingSmtpAddress");
      next.deliverToMailboxAndForward = flag(parameters, "delivertomailboxandforward") ?? next.deliverToMailboxAndForward;
      const added = next.emailAddresses.filter((proxy) => !recipient.emailAddresses.some((existing) => stripPrefix(existing) === stripPrefix(proxy)));
      checkAddresses(context, recipient.guid, added);
      if (JSON.stringify(next) === JSON.stringify(recipient)) return { objects: [], warnings: [NO_CHANGE(recipient.name)] };
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

const getRecipient: Cmdlet = {
  name: "Get-Recipient",
  parameters: ["identity", "recipienttypedetails", "recipienttype", "resultsize"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const types = list(parameters, "recipienttypedetails") ?? list(parameters, "recipienttype");
    const recipients = identity ? [findRecipient(context, identity)] : recipientsOfType(context, types);
    return { objects: recipients, view: reducedRecipientView(context) };
  },
};

const getMailbox: Cmdlet = {
  name: "Get-Mailbox",
  parameters: ["identity", "resultsize", "recipienttypedetails"],
  run: (context, parameters) => listOrOne(context, parameters, "UserMailbox"),
};

// ---- transport rules -------------------------------------------------------------------------

function ruleView(context: ExchangeContext, rule: TransportRuleRecord): object {
  const groupAddresses = (rule.sentToMemberOf ?? []).flatMap((guid) => {
    const group = context.store.get<DistributionGroupRecord>(context.tenant.tenantId, "distributionGroup", guid);
    return group ? [primaryAddress(group)] : [];
  });
  return {
    Identity: rule.name,
    Name: rule.name,
    Guid: rule.guid,
    State: rule.state,
    Priority: rule.priority,
    SentTo: rule.sentTo.length > 0 ? rule.sentTo : null,
    "SentTo@odata.type": "#Collection(String)",
    SentToMemberOf: groupAddresses.length > 0 ? groupAddresses : null,
    "SentToMemberOf@odata.type": "#Collection(String)",
    RouteMessageOutboundConnector: rule.routeMessageOutboundConnector,
    Comments: rule.comments,
    Mode: "Enforce",
  };
}

function findRule(context: ExchangeContext, identity: string): TransportRuleRecord {
  return findNamed(context.store.list<TransportRuleRecord>(context.tenant.tenantId, "transportRule"), identity);
}

const RULE_PARAMETERS = ["name", "sentto", "senttomemberof", "routemessageoutboundconnector", "priority", "comments", "mode"];

function applyRuleParameters(context: ExchangeContext, base: TransportRuleRecord, parameters: Parameters): TransportRuleRecord {
  const next = { ...base };
  const name = text(parameters, "name");
  if (name !== undefined) {
    checkName(name, "Name");
    next.name = name;
  }
  if (parameters.has("sentto")) next.sentTo = list(parameters, "sentto")?.map((address) => address.toLowerCase()) ?? [];
  if (parameters.has("senttomemberof")) {
    next.sentToMemberOf = (list(parameters, "senttomemberof") ?? []).map((identity) => {
      const group = findGroup(context, identity, () => exchangeError(400, "invalidParameter", `The distribution group '${identity}' couldn't be found. Create it with New-DistributionGroup first.`));
      return group.guid;
    });
  }
  const connector = text(parameters, "routemessageoutboundconnector");
  if (connector !== undefined) {
    const found = context.store.list<ConnectorRecord>(context.tenant.tenantId, "connector").find((entry) => entry.name.toLowerCase() === connector.toLowerCase());
    if (!found) throw exchangeError(400, "dataValidation", `The outbound connector '${connector}' couldn't be found. Create it with New-OutboundConnector first.`);
    if (!found.isTransportRuleScoped) {
      throw exchangeError(400, "dataValidation", `The outbound connector '${connector}' isn't transport-rule scoped. Set IsTransportRuleScoped $true on it before a rule can route to it.`);
    }
    next.routeMessageOutboundConnector = found.name;
  }
  const priority = parameters.get("priority");
  if (priority !== undefined && priority !== null) {
    if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0) throw exchangeError(400, "parameterBinding", "Cannot bind parameter 'Priority'. Give a whole number ≥ 0.");
    next.priority = priority;
  }
  if (parameters.has("comments")) next.comments = text(parameters, "comments") ?? "";
  return next;
}

const newTransportRule: Cmdlet = {
  name: "New-TransportRule",
  parameters: [...RULE_PARAMETERS, "enabled"],
  required: ["name"],
  run(context, parameters) {
    const name = text(parameters, "name") ?? "";
    const rules = context.store.list<TransportRuleRecord>(context.tenant.tenantId, "transportRule");
    assertNameFree(rules, name);
    const state = flag(parameters, "enabled") === false ? "Disabled" : "Enabled";
    const rule = applyRuleParameters(
      context,
      { guid: randomUUID(), name, state, priority: rules.length, sentTo: [], routeMessageOutboundConnector: "", comments: "" },
      parameters,
    );
    context.store.put(context.tenant.tenantId, "transportRule", rule.guid, rule);
    return { objects: [ruleView(context, rule)] };
  },
};

const setTransportRule: Cmdlet = {
  name: "Set-TransportRule",
  parameters: ["identity", ...RULE_PARAMETERS],
  required: ["identity"],
  run(context, parameters) {
    const rule = findRule(context, text(parameters, "identity") ?? "");
    const next = applyRuleParameters(context, rule, parameters);
    if (JSON.stringify(next) === JSON.stringify(rule)) return { objects: [], warnings: [NO_CHANGE(rule.name)] };
    context.store.put(context.tenant.tenantId, "transportRule", rule.guid, next);
    return { objects: [] };
  },
};

/** Enable-/Disable-TransportRule: Set-TransportRule has no Enabled parameter. */
function switchTransportRule(cmdletName: string, state: TransportRuleRecord["state"]): Cmdlet {
  return {
    name: cmdletName,
    parameters: ["identity"],
    required: ["identity"],
    run(context, parameters) {
      const rule = findRule(context, text(parameters, "identity") ?? "");
      if (rule.state === state) return { objects: [], warnings: [NO_CHANGE(rule.name)] };
      context.store.put(context.tenant.tenantId, "transportRule", rule.guid, { ...rule, state });
      return { objects: [] };
    },
  };
}

const getTransportRule: Cmdlet = {
  name: "Get-TransportRule",
  parameters: ["identity", "resultsize", "state"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const rules = identity ? [findRule(context, identity)] : context.store.list<TransportRuleRecord>(context.tenant.tenantId, "transportRule");
    return { objects: rules.sort((left, right) => left.priority - right.priority).map((rule) => ruleView(context, rule)) };
  },
};

const removeTransportRule: Cmdlet = {
  name: "Remove-TransportRule",
  parameters: ["identity"],
  required: ["identity"],
  run(context, parameters) {
    context.store.delete(context.tenant.tenantId, "transportRule", findRule(context, text(parameters, "identity") ?? "").guid);
    return { objects: [] };
  },
};

// ---- distribution groups ---------------------------------------------------------------------

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
function findGroup(context: ExchangeContext, identity: string, missing: () => HttpError = () => notFound(identity)): DistributionGroupRecord {
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

const CMDLETS = new Map(
  [
    getAcceptedDomain,
    setAcceptedDomain,
    newOutboundConnector,
    setOutboundConnector,
    getOutboundConnector,
    removeOutboundConnector,
    validateOutboundConnector,
    newMailUser,
    setRecipient("MailUser", "Set-MailUser", ["externalemailaddress", "microsoftonlineservicesid", "password"]),
    getMailUser,
    removeMailUser,
    getRecipient,
    getMailbox,
    setRecipient("UserMailbox", "Set-Mailbox", ["forwardingsmtpaddress", "delivertomailboxandforward", "password"]),
    newTransportRule,
    setTransportRule,
    switchTransportRule("Enable-TransportRule", "Enabled"),
    switchTransportRule("Disable-TransportRule", "Disabled"),
    getTransportRule,
    removeTransportRule,
    newDistributionGroup,
    getDistributionGroup,
    addDistributionGroupMember,
    getDistributionGroupMember,
  ].map((cmdlet) => [cmdlet.name.toLowerCase(), cmdlet]),
);

export function isReadCmdlet(name: string): boolean {
  return /^get-/i.test(name);
}
