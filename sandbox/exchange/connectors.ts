/** New-/Set-/Get-/Remove-/Validate-OutboundConnector (exchange-admin-api.md §2.2). */
import { randomUUID } from "node:crypto";
import { systemForHost } from "pulumi-mail-coexistence/routing/addresses";
import { findGoogleGroup } from "../googleGroups";
import { recipientDomainSpecificity } from "pulumi-mail-coexistence/routing/tenantIndex";
import { domainOf } from "../directory";
import { exchangeError } from "../http";
import type { ConnectorRecord, GoogleUserRecord, TransportRuleRecord } from "../records";
import { GOOGLE_SCOPE, type Store } from "../store";
import { assertNameFree, checkName, enumValue, findNamed, flag, list, saveUnlessUnchanged, text, type Cmdlet, type ExchangeContext, type Parameters } from "./cmdlet";

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

/** A connector as New-OutboundConnector makes it before its parameters apply (a seed's connectors start the same). */
export function newConnectorRecord(name: string): ConnectorRecord {
  return {
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
  };
}

const newOutboundConnector: Cmdlet = {
  name: "New-OutboundConnector",
  parameters: CONNECTOR_NEW_PARAMETERS,
  required: ["name"],
  run(context, parameters) {
    const name = text(parameters, "name") ?? "";
    assertNameFree(context.store.list<ConnectorRecord>(context.tenant.tenantId, "connector"), name);
    const connector = applyConnectorParameters(newConnectorRecord(name), parameters);
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
    return saveUnlessUnchanged(connector, next, (changed) => context.store.put(context.tenant.tenantId, "connector", connector.guid, changed));
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
    // The real output is undocumented (X §2.2): this form has nothing a client could read as success or failure.
    if (context.seed.behaviour.connectorValidationOutput === "unreadable") return { objects: [{ Result: "Completed" }] };
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

/** Gmail's SMTP answer to RCPT TO, undefined when it accepts the address (a user's or a group's). */
function googleRefusal(store: Store, address: string): string | undefined {
  if (findGoogleGroup(store, address)) return undefined;
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

export const connectorCmdlets: Cmdlet[] = [newOutboundConnector, setOutboundConnector, getOutboundConnector, removeOutboundConnector, validateOutboundConnector];
