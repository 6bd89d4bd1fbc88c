/**
 * The planned resources of a stack as the routing model's TenantState: what Exchange Online and
 * Google Workspace will hold once the update has run. Pure: the policy pack and the property tests
 * feed it plain resource objects.
 *
 * The stack does not hold everything mail routing depends on. Assumptions (docs/safety-checks.md),
 * each overridable through `TenantFacts`:
 * - Every domain of a user in the stack is a verified domain of the Microsoft 365 tenant,
 *   Authoritative unless an AcceptedDomain resource says otherwise.
 * - A RoutingDomain the stack creates becomes verified with Email enabled, and its MX points to
 *   Microsoft 365 (the record its `mxRecord` output tells the admin to publish).
 * - The MX of a user domain is unknown: while the domain has users at Google the plan must be safe
 *   with the MX at Google and with it at Microsoft 365 (the cut-over can happen at any time);
 *   afterwards with it at Microsoft 365.
 * - The Google users are the users in the stack plus `TenantFacts.googleUsers`.
 * - A TransportRule routes the addresses of its `sentTo`; group members (`sentToMemberOf`) are not
 *   in the stack, so such a rule routes nobody here.
 * - A stack whose Coexistence component is scoped to one batch holds none of the tenant-wide
 *   objects (they are in the tenant stack): it is not a whole tenant, see `holdsTenantWideObjects`.
 *
 * A set resource (MailUserSet, LicenseAssignmentSet, GoogleForwardingRouteSet: one per batch) is
 * judged as the per-user resources it stands for, one member per key of its map, each with the set's
 * own fields and dependencies, so every rule reads both granularities alike.
 */
import { domainOf, microsoftMxHost, normalizeAddress } from "../provider/routing/addresses";
import type {
  AcceptedDomainType,
  ForwardingDisposition,
  GoogleUserState,
  OutboundConnectorState,
  RecipientState,
  TenantState,
  TransportRuleState,
} from "../provider/routing/types";

/** Stands for a property the engine will know only when the update runs (preview). */
export const UNKNOWN_VALUE = Symbol("known only when the update runs");

export const COEXIST_TYPE_PREFIX = "pulumi-nodejs:dynamic/coexist:";
export const COEXISTENCE_COMPONENT_TYPE = "coexist:index:Coexistence";

export type CoexistType =
  | "AcceptedDomain"
  | "OutboundConnector"
  | "MailUser"
  | "LicenseAssignment"
  | "GoogleForwardingRoute"
  | "RoutingDomain"
  | "TransportRule"
  | SetType;

type SetType = "MailUserSet" | "LicenseAssignmentSet" | "GoogleForwardingRouteSet";

/** Per set type: the per-user type of its members, the map holding them, and the member field its keys fill. */
const SET_MEMBERS: Record<SetType, { memberType: CoexistType; items: string; keyField: string }> = {
  MailUserSet: { memberType: "MailUser", items: "users", keyField: "externalEmailAddress" },
  LicenseAssignmentSet: { memberType: "LicenseAssignment", items: "users", keyField: "userPrincipalName" },
  GoogleForwardingRouteSet: { memberType: "GoogleForwardingRoute", items: "routes", keyField: "userEmail" },
};

/** One resource of the planned stack: inputs for a new resource, planned outputs for an existing one. */
export interface PlannedResource {
  type: string;
  urn: string;
  name: string;
  props: Record<string, unknown>;
  /** URNs of the resources it depends on. */
  dependencies: string[];
  /** Set for the per-user view of one member of a set resource: the set (whose URN and name it has) and the member's key. */
  member?: { set: PlannedResource; key: string };
}

/** What the stack cannot tell: the pack's policy configuration (docs/safety-checks.md). */
export interface TenantFacts {
  /** MX hosts per domain, best first, as published. A domain given here is checked only with these. */
  mx?: Record<string, string[]>;
  /** Google users that are not in the stack and still receive at Google (addresses). */
  googleUsers?: string[];
  /** Accepted domains of the Microsoft 365 tenant that the stack does not manage, with their type. */
  acceptedDomains?: Record<string, AcceptedDomainType>;
  /** The SPF record (`v=spf1 …`) published per domain, when the stack does not hold it. */
  spf?: Record<string, string>;
}

export const GOOGLE_MX_HOST = "smtp.google.com";
const DEFAULT_SMART_HOSTS = [GOOGLE_MX_HOST];

export interface AcceptedDomainPlan {
  domainName: string;
  domainType: AcceptedDomainType;
  /** The resource that sets it, when the stack manages it. */
  resource?: PlannedResource;
}

export interface RoutingDomainPlan {
  domainName: string;
  resource: PlannedResource;
  /** Why mail to it cannot reach Exchange Online, when its outputs say so. */
  notUsableBecause?: string;
}

/** One Google user and everything the stack plans for them. */
export interface UserPlan {
  email: string;
  mailUser?: PlannedResource;
  license?: PlannedResource;
  forwarding?: { resource: PlannedResource; target: string; disposition: ForwardingDisposition };
}

/** Where Google forwards, and whether the Microsoft 365 recipient there is a mailbox by the time it does. */
export type ForwardingTargetStatus =
  | { kind: "mailbox" }
  | { kind: "noRecipient" }
  | { kind: "mailUser"; mailUser?: PlannedResource }
  | { kind: "licenseNotAwaited"; license: PlannedResource };

export interface MxScenario {
  /** e.g. `MX of contoso.com at Google`; empty when nothing was assumed. */
  assumption: string;
  state: TenantState;
}

export interface PlannedTenant {
  resources: PlannedResource[];
  acceptedDomains: AcceptedDomainPlan[];
  routingDomains: RoutingDomainPlan[];
  connectors: { connector: OutboundConnectorState; resource: PlannedResource }[];
  users: UserPlan[];
  /** One tenant state per MX position the plan must be safe in. */
  scenarios: MxScenario[];
  /** The Microsoft 365 recipient holding an address (any of its proxies). */
  recipientAt: Map<string, RecipientPlan>;
  /** Whether `resource` waits for `dependency` (directly or through other resources). */
  dependsOn(resource: PlannedResource, dependency: PlannedResource): boolean;
  /** Inputs the engine does not know yet, so the checks could not use them. */
  unknowns: { resource: PlannedResource; field: string }[];
  /**
   * False in the stack of one batch (a Coexistence component with `scope: { batch }`): the routing
   * domain, the connector and the accepted domain live in the tenant stack, out of this stack's sight.
   */
  holdsTenantWideObjects: boolean;
}

export interface RecipientPlan {
  recipient: RecipientState;
  mailUser?: PlannedResource;
  license?: PlannedResource;
}

export function coexistTypeOf(resource: PlannedResource): CoexistType | undefined {
  return resource.type.startsWith(COEXIST_TYPE_PREFIX) ? (resource.type.slice(COEXIST_TYPE_PREFIX.length) as CoexistType) : undefined;
}

/** A user receives at Google while Google delivers their mail itself (no forwarding to Microsoft 365). */
export function receivesAtGoogle(user: UserPlan): boolean {
  return user.forwarding === undefined;
}

class PropsReader {
  constructor(
    private readonly resource: PlannedResource,
    private readonly unknowns: PlannedTenant["unknowns"],
  ) {}

  private value(field: string): unknown {
    const value = this.resource.props[field];
    if (value === UNKNOWN_VALUE || (Array.isArray(value) && value.includes(UNKNOWN_VALUE))) {
      this.unknowns.push({ resource: this.resource, field });
      return undefined;
    }
    return value;
  }

  address(field: string): string | undefined {
    const value = this.value(field);
    return typeof value === "string" && value.trim() !== "" ? normalizeAddress(value) : undefined;
  }

  text<T extends string>(field: string, fallback: T): T {
    const value = this.value(field);
    return typeof value === "string" && value !== "" ? (value as T) : fallback;
  }

  flag(field: string, fallback: boolean): boolean {
    const value = this.value(field);
    return typeof value === "boolean" ? value : fallback;
  }

  list(field: string): string[] | undefined {
    const value = this.value(field);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined;
  }

  /** An output the provider reports; absent (not unknown) while the resource is still to be created. */
  output(field: string): unknown {
    const value = this.resource.props[field];
    return value === UNKNOWN_VALUE ? undefined : value;
  }
}

const bareProxy = (proxy: string): string => normalizeAddress(proxy.replace(/^smtp:/i, ""));

/** Every URN a resource depends on, directly or through other resources. */
function dependencyClosure(resources: PlannedResource[]): (resource: PlannedResource) => Set<string> {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const closures = new Map<string, Set<string>>();
  return (resource) => {
    const cached = closures.get(resource.urn);
    if (cached) return cached;
    const seen = new Set<string>();
    const pending = [...resource.dependencies];
    while (pending.length > 0) {
      const urn = pending.pop() as string;
      if (seen.has(urn)) continue;
      seen.add(urn);
      pending.push(...(byUrn.get(urn)?.dependencies ?? []));
    }
    closures.set(resource.urn, seen);
    return seen;
  };
}

/** A set resource as its members; any other resource as itself. A map unknown at preview is reported and yields no member. */
function perUser(resource: PlannedResource, unknowns: PlannedTenant["unknowns"]): PlannedResource[] {
  const set = SET_MEMBERS[coexistTypeOf(resource) as SetType] as (typeof SET_MEMBERS)[SetType] | undefined;
  if (!set) return [resource];
  const { [set.items]: items, ...shared } = resource.props;
  if (items === null || typeof items !== "object") {
    if (items === UNKNOWN_VALUE) unknowns.push({ resource, field: set.items });
    return [];
  }
  return Object.entries(items as Record<string, unknown>).flatMap(([key, item]) => {
    if (item === null || typeof item !== "object") {
      if (item === UNKNOWN_VALUE) unknowns.push({ resource, field: `${set.items}["${key}"]` });
      return [];
    }
    return [{ ...resource, type: `${COEXIST_TYPE_PREFIX}${set.memberType}`, props: { ...shared, ...item, [set.keyField]: key }, member: { set: resource, key } }];
  });
}

export function planTenant(resources: PlannedResource[], facts: TenantFacts = {}): PlannedTenant {
  const unknowns: PlannedTenant["unknowns"] = [];
  const reader = (resource: PlannedResource) => new PropsReader(resource, unknowns);
  const perUserResources = resources.flatMap((resource) => perUser(resource, unknowns));
  const ofType = (type: CoexistType) => perUserResources.filter((resource) => coexistTypeOf(resource) === type);

  const accepted = new Map<string, AcceptedDomainPlan>();
  for (const resource of ofType("AcceptedDomain")) {
    const props = reader(resource);
    const domainName = props.address("domainName");
    if (domainName) accepted.set(domainName, { domainName, domainType: props.text("domainType", "InternalRelay"), resource });
  }
  const routingDomains: RoutingDomainPlan[] = [];
  for (const resource of ofType("RoutingDomain")) {
    const props = reader(resource);
    const domainName = props.address("domainName");
    if (!domainName) continue;
    const services = props.output("supportedServices");
    const notUsableBecause =
      props.output("isVerified") === false
        ? `RoutingDomain ${resource.name} (${domainName}) is not verified`
        : Array.isArray(services) && !services.includes("Email")
          ? `RoutingDomain ${resource.name} (${domainName}) does not have Email among its supportedServices (${services.join(", ") || "none"})`
          : undefined;
    routingDomains.push({ domainName, resource, notUsableBecause });
    if (!notUsableBecause && !accepted.has(domainName)) accepted.set(domainName, { domainName, domainType: "Authoritative", resource });
  }
  for (const [domain, domainType] of Object.entries(facts.acceptedDomains ?? {})) {
    const domainName = normalizeAddress(domain);
    if (!accepted.has(domainName)) accepted.set(domainName, { domainName, domainType });
  }

  const connectors = ofType("OutboundConnector").map((resource) => {
    const props = reader(resource);
    const connector: OutboundConnectorState = {
      name: props.text("name", resource.name),
      enabled: props.flag("enabled", true),
      recipientDomains: props.list("recipientDomains") ?? [],
      smartHosts: props.list("smartHosts") ?? DEFAULT_SMART_HOSTS,
      useMxRecord: false,
      isTransportRuleScoped: props.flag("isTransportRuleScoped", false),
    };
    return { connector, resource };
  });
  const transportRules: TransportRuleState[] = ofType("TransportRule").map((resource) => {
    const props = reader(resource);
    return {
      name: props.text("name", resource.name),
      enabled: props.flag("enabled", true),
      sentTo: (props.list("sentTo") ?? []).map(normalizeAddress),
      routeMessageOutboundConnector: props.text("outboundConnector", ""),
    };
  });

  const licenses = new Map<string, PlannedResource>();
  for (const resource of ofType("LicenseAssignment")) {
    const upn = reader(resource).address("userPrincipalName");
    if (upn) licenses.set(upn, resource);
  }
  const users = new Map<string, UserPlan>();
  const userFor = (email: string): UserPlan => {
    const existing = users.get(email);
    if (existing) return existing;
    const created: UserPlan = { email };
    users.set(email, created);
    return created;
  };
  const recipients: RecipientState[] = [];
  const recipientAt = new Map<string, RecipientPlan>();
  const addRecipient = (recipient: RecipientState, mailUser?: PlannedResource, license?: PlannedResource) => {
    recipients.push(recipient);
    for (const address of recipient.emailAddresses) recipientAt.set(address, { recipient, mailUser, license });
  };
  const licensesOfMailUsers = new Set<PlannedResource>();
  for (const resource of ofType("MailUser")) {
    const props = reader(resource);
    const external = props.address("externalEmailAddress");
    const signIn = props.address("microsoftOnlineServicesId");
    const routingAddress = props.address("routingAddress");
    const reportedPrimary = props.output("primarySmtpAddress");
    const primary = typeof reportedPrimary === "string" ? normalizeAddress(reportedPrimary) : (external ?? signIn);
    if (!primary) continue;
    const license = licenses.get(signIn ?? "") ?? licenses.get(external ?? "");
    if (license) licensesOfMailUsers.add(license);
    const licensed = license !== undefined || props.output("recipientTypeDetails") === "UserMailbox";
    const reported = props.output("emailAddresses");
    const reportedProxies = Array.isArray(reported) ? reported.map(String).filter((proxy) => /^smtp:/i.test(proxy)).map(bareProxy) : [];
    const proxies = [primary, external, routingAddress, ...reportedProxies];
    addRecipient(
      {
        recipientTypeDetails: licensed ? "UserMailbox" : "MailUser",
        primarySmtpAddress: primary,
        emailAddresses: [...new Set(proxies.filter((address): address is string => address !== undefined))],
        externalEmailAddress: external,
      },
      resource,
      license,
    );
    if (external) Object.assign(userFor(external), { mailUser: resource, license });
  }
  for (const [upn, license] of licenses) {
    if (licensesOfMailUsers.has(license)) continue;
    addRecipient({ recipientTypeDetails: "UserMailbox", primarySmtpAddress: upn, emailAddresses: [upn] }, undefined, license);
  }
  for (const resource of ofType("GoogleForwardingRoute")) {
    const props = reader(resource);
    const email = props.address("userEmail");
    const target = props.address("forwardTo");
    if (!email || !target) continue;
    userFor(email).forwarding = { resource, target, disposition: props.text<ForwardingDisposition>("disposition", "trash") };
  }
  for (const address of facts.googleUsers ?? []) userFor(normalizeAddress(address));

  const userList = [...users.values()].sort((a, b) => a.email.localeCompare(b.email));
  const userDomains = [...new Set(userList.map((user) => domainOf(user.email)))].sort();
  for (const domainName of [...userDomains, ...[...licenses.keys()].map(domainOf)]) {
    if (!accepted.has(domainName)) accepted.set(domainName, { domainName, domainType: "Authoritative" });
  }
  const acceptedDomains = [...accepted.values()];
  const googleUsers: GoogleUserState[] = userList.map((user) => ({
    primaryEmail: user.email,
    aliases: [],
    autoForwarding: user.forwarding && { enabled: true, emailAddress: user.forwarding.target, disposition: user.forwarding.disposition },
  }));
  const base: Omit<TenantState, "dns"> = {
    exchange: {
      acceptedDomains: acceptedDomains.map(({ domainName, domainType }) => ({ domainName, domainType })),
      outboundConnectors: connectors.map(({ connector }) => connector),
      recipients,
      transportRules,
    },
    google: { domains: userDomains, users: googleUsers },
  };
  const closureOf = dependencyClosure(resources);
  const scenarios = mxScenarios(acceptedDomains, userList, facts).map(({ assumption, mx }) => ({ assumption, state: { ...base, dns: { mx } } }));
  return {
    resources,
    acceptedDomains,
    routingDomains,
    connectors,
    users: userList,
    scenarios,
    recipientAt,
    dependsOn: (resource, dependency) => closureOf(resource).has(dependency.urn),
    unknowns,
    holdsTenantWideObjects: !resources.some((resource) => resource.type === COEXISTENCE_COMPONENT_TYPE && isBatchScope(resource.props.scope)),
  };
}

/** The component's `scope` output is `{ batch }` in a batch's stack (provider/components/coexistence.ts). */
function isBatchScope(scope: unknown): boolean {
  return typeof scope === "object" && scope !== null && "batch" in scope;
}

/** Whether the Microsoft 365 recipient Gmail forwards to is a mailbox by the time the forwarding starts. */
export function forwardingTargetStatus(tenant: PlannedTenant, forwarding: NonNullable<UserPlan["forwarding"]>): ForwardingTargetStatus {
  const holder = tenant.recipientAt.get(forwarding.target);
  if (holder === undefined) return { kind: "noRecipient" };
  const { mailUser, license } = holder;
  if ([mailUser, license].some((resource) => resource?.props.recipientTypeDetails === "UserMailbox")) return { kind: "mailbox" };
  if (license === undefined) return { kind: "mailUser", mailUser };
  return tenant.dependsOn(forwarding.resource, license) ? { kind: "mailbox" } : { kind: "licenseNotAwaited", license };
}

/**
 * The MX positions to check. Domains the facts pin keep their hosts; accepted domains without
 * Google users (routing domains) point to Microsoft 365; a user domain is checked at Google and at
 * Microsoft 365 while it still has Google users, else only at Microsoft 365.
 */
function mxScenarios(
  acceptedDomains: AcceptedDomainPlan[],
  users: UserPlan[],
  facts: TenantFacts,
): { assumption: string; mx: Record<string, string[]> }[] {
  const pinned = Object.fromEntries(Object.entries(facts.mx ?? {}).map(([domain, hosts]) => [normalizeAddress(domain), hosts]));
  const fixed: Record<string, string[]> = {};
  const open: string[] = [];
  const domainsWithGoogleUsers = new Set(users.map((user) => domainOf(user.email)));
  for (const { domainName } of acceptedDomains) {
    if (Object.hasOwn(pinned, domainName)) continue;
    if (domainsWithGoogleUsers.has(domainName)) open.push(domainName);
    else fixed[domainName] = [microsoftMxHost(domainName)];
  }
  const atMicrosoft = Object.fromEntries(open.map((domain) => [domain, [microsoftMxHost(domain)]]));
  const atGoogle = Object.fromEntries(open.map((domain) => [domain, [GOOGLE_MX_HOST]]));
  if (open.length === 0) return [{ assumption: "", mx: { ...fixed, ...pinned } }];
  const names = open.join(", ");
  return [
    { assumption: `MX of ${names} at Google`, mx: { ...fixed, ...atGoogle, ...pinned } },
    { assumption: `MX of ${names} at Microsoft 365`, mx: { ...fixed, ...atMicrosoft, ...pinned } },
  ];
}
