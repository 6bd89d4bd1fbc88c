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
 * - The Google users are the users in the stack plus those the facts name (`googleUsers`,
 *   `googleAddresses`); Google's groups, aliases and domains are the facts' (`googleGroups`,
 *   `googleAddresses`, `googleDomains`, which `coexist inventory` writes), plus each MailUser's
 *   `aliases`, which are its Google aliases.
 * - A Google domain that is not an accepted domain of Microsoft 365 (an alias domain) keeps its MX
 *   at Google.
 * - A TransportRule routes the addresses of its `sentTo`; group members (`sentToMemberOf`) are not
 *   in the stack, so such a rule routes nobody here.
 * - A stack whose Coexistence component is scoped to one batch holds none of the tenant-wide
 *   objects (they are in the tenant stack): it is not a whole tenant, see `holdsTenantWideObjects`.
 *
 * A set resource (MailUserSet, LicenseAssignmentSet, GoogleForwardingRouteSet, DistributionGroupSet) is
 * judged as the per-user resources it stands for, one member per key of its map, each with the set's
 * own fields and dependencies, so every rule reads both granularities alike.
 */
import { domainOf, microsoftMxHost, normalizeAddress } from "../provider/routing/addresses";
import type { AddressKind } from "../provider/routing/tenantAddresses";
import type {
  AcceptedDomainType,
  DistributionGroupState,
  ForwardingDisposition,
  GoogleGroupMemberState,
  GoogleGroupState,
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
  | "DistributionGroup"
  | "MailContact"
  | SetType;

type SetType = "MailUserSet" | "LicenseAssignmentSet" | "GoogleForwardingRouteSet" | "DistributionGroupSet";

/** Per set type: the per-user type of its members, the map holding them, and the member field its keys fill. */
const SET_MEMBERS: Record<SetType, { memberType: CoexistType; items: string; keyField: string }> = {
  MailUserSet: { memberType: "MailUser", items: "users", keyField: "externalEmailAddress" },
  LicenseAssignmentSet: { memberType: "LicenseAssignment", items: "users", keyField: "userPrincipalName" },
  GoogleForwardingRouteSet: { memberType: "GoogleForwardingRoute", items: "routes", keyField: "userEmail" },
  DistributionGroupSet: { memberType: "DistributionGroup", items: "groups", keyField: "primarySmtpAddress" },
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
  /** Every domain Google Workspace receives mail for: primary, secondary and alias domains. */
  googleDomains?: string[];
  /** Every address Google Workspace receives mail at, with its kind and owner (`coexist inventory`). */
  googleAddresses?: GoogleAddressFact[];
  /** The Google groups, with their members (and, optionally, their aliases). */
  googleGroups?: GoogleGroupFact[];
}

/** The kinds of address Google Workspace receives mail at (provider/routing/tenantAddresses.ts). */
export type GoogleAddressKind = Extract<AddressKind, "user" | "user alias" | "alias-domain address" | "group" | "group alias">;

export const GOOGLE_ADDRESS_KINDS: readonly GoogleAddressKind[] = ["user", "user alias", "alias-domain address", "group", "group alias"];

export interface GoogleAddressFact {
  address: string;
  kind: GoogleAddressKind;
  /** The primary address of the user or group it belongs to (the address itself for `user` and `group`). */
  owner: string;
}

export interface GoogleGroupFact {
  email: string;
  aliases?: string[];
  nonEditableAliases?: string[];
  /** Member addresses, or members as the Directory lists them (`type` USER by default, `deliverySettings` ALL_MAIL). */
  members?: (string | GoogleGroupMemberState)[];
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
  /** Its other Google addresses: aliases (the facts', and its MailUser's `aliases`) and alias-domain addresses. */
  aliases: string[];
  nonEditableAliases: string[];
  mailUser?: PlannedResource;
  license?: PlannedResource;
  forwarding?: { resource: PlannedResource; target: string; disposition: ForwardingDisposition };
}

/** Where Google forwards, and whether the Microsoft 365 recipient there is a mailbox by the time it does. */
export type ForwardingTargetStatus =
  | { kind: "mailbox" }
  | { kind: "noRecipient" }
  | { kind: "mailUser"; mailUser?: PlannedResource }
  /** `removedOnDelete`: the route waits for the mailbox, but the licence is taken away on delete with no order between the two. */
  | { kind: "licenseNotAwaited"; license: PlannedResource; removedOnDelete: boolean };

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
  /** The DistributionGroup or MailContact resource holding an address (any of its proxies). */
  groupResourceAt: Map<string, PlannedResource>;
  /** Users whose data copy runs (licensed, not forwarded yet): their mail lands in both systems by design. */
  dataCopyInProgress: string[];
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
    const created: UserPlan = { email, aliases: [], nonEditableAliases: [] };
    users.set(email, created);
    return created;
  };

  const mailUsers = ofType("MailUser").flatMap((resource) => {
    const props = reader(resource);
    const external = props.address("externalEmailAddress");
    const signIn = props.address("microsoftOnlineServicesId");
    const reportedPrimary = props.output("primarySmtpAddress");
    const primary = typeof reportedPrimary === "string" ? normalizeAddress(reportedPrimary) : (external ?? signIn);
    if (!primary) return [];
    const license = licenses.get(signIn ?? "") ?? licenses.get(external ?? "");
    const aliases = (props.list("aliases") ?? []).map(normalizeAddress);
    if (external) {
      const user = Object.assign(userFor(external), { mailUser: resource, license });
      addNew(user.aliases, aliases);
    }
    const reported = props.output("emailAddresses");
    const reportedProxies = Array.isArray(reported) ? reported.map(String).filter((proxy) => /^smtp:/i.test(proxy)).map(bareProxy) : [];
    const licensed = license !== undefined || props.output("recipientTypeDetails") === "UserMailbox";
    return [{ resource, primary, external, license, licensed, proxies: [primary, external, props.address("routingAddress"), ...reportedProxies], aliases }];
  });
  for (const resource of ofType("GoogleForwardingRoute")) {
    const props = reader(resource);
    const email = props.address("userEmail");
    const target = props.address("forwardTo");
    if (!email || !target) continue;
    userFor(email).forwarding = { resource, target, disposition: props.text<ForwardingDisposition>("disposition", "trash") };
  }
  for (const address of facts.googleUsers ?? []) userFor(normalizeAddress(address));
  const groups = googleGroupsOf(facts);
  for (const { address, kind, owner } of facts.googleAddresses ?? []) {
    const [entry, ownerAddress] = [normalizeAddress(address), normalizeAddress(owner)];
    const group = groups.get(ownerAddress);
    if (group) {
      if (kind === "group alias") addNew(group.aliases, [entry]);
      if (kind === "alias-domain address") addNew((group.nonEditableAliases ??= []), [entry]);
      continue;
    }
    const user = userFor(ownerAddress);
    if (kind === "user alias") addNew(user.aliases, [entry]);
    if (kind === "alias-domain address") addNew(user.nonEditableAliases, [entry]);
  }
  // A MailUser's alias that Google has as an alias-domain address is one, not a plain alias.
  for (const user of users.values()) user.aliases = user.aliases.filter((alias) => !user.nonEditableAliases.includes(alias));
  for (const user of users.values()) user.license ??= licenses.get(user.email);

  const userList = [...users.values()].sort((a, b) => a.email.localeCompare(b.email));
  const userDomains = [...new Set(userList.map((user) => domainOf(user.email)))].sort();
  for (const domainName of [...userDomains, ...[...licenses.keys()].map(domainOf)]) {
    if (!accepted.has(domainName)) accepted.set(domainName, { domainName, domainType: "Authoritative" });
  }
  // Exchange Online keeps only the proxy addresses on its accepted domains (the resources report the others).
  const inAcceptedDomain = (address: string | undefined): address is string => address !== undefined && accepted.has(domainOf(address));

  const recipients: RecipientState[] = [];
  const recipientAt = new Map<string, RecipientPlan>();
  const addRecipient = (recipient: RecipientState, mailUser?: PlannedResource, license?: PlannedResource) => {
    recipients.push(recipient);
    for (const address of recipient.emailAddresses) recipientAt.set(address, { recipient, mailUser, license });
  };
  const licensesOfMailUsers = new Set<PlannedResource>();
  for (const { resource, primary, external, license, licensed, proxies, aliases } of mailUsers) {
    if (license) licensesOfMailUsers.add(license);
    addRecipient(
      {
        recipientTypeDetails: licensed ? "UserMailbox" : "MailUser",
        primarySmtpAddress: primary,
        emailAddresses: [...new Set([...proxies.filter((address): address is string => address !== undefined), ...aliases.filter(inAcceptedDomain)])],
        externalEmailAddress: external,
      },
      resource,
      license,
    );
  }
  for (const [upn, license] of licenses) {
    if (licensesOfMailUsers.has(license)) continue;
    addRecipient({ recipientTypeDetails: "UserMailbox", primarySmtpAddress: upn, emailAddresses: [upn] }, undefined, license);
  }
  const groupResourceAt = new Map<string, PlannedResource>();
  for (const resource of ofType("MailContact")) {
    const props = reader(resource);
    const external = props.address("externalEmailAddress");
    const primary = props.address("primarySmtpAddress") ?? external;
    if (!primary) continue;
    const emailAddresses = [...new Set([primary, ...(props.list("emailAddresses") ?? []).map(normalizeAddress).filter(inAcceptedDomain), ...(external ? [external] : [])])];
    addRecipient({ recipientTypeDetails: "MailContact", primarySmtpAddress: primary, emailAddresses, externalEmailAddress: external });
    for (const address of emailAddresses) groupResourceAt.set(address, resource);
  }
  const distributionGroups: DistributionGroupState[] = ofType("DistributionGroup").flatMap((resource) => {
    const props = reader(resource);
    const primary = props.address("primarySmtpAddress");
    if (!primary) return [];
    const emailAddresses = [...new Set([primary, ...(props.list("emailAddresses") ?? []).map(normalizeAddress).filter(inAcceptedDomain)])];
    for (const address of emailAddresses) groupResourceAt.set(address, resource);
    return [
      {
        primarySmtpAddress: primary,
        emailAddresses,
        members: (props.list("members") ?? []).map(normalizeAddress),
        requireSenderAuthenticationEnabled: props.flag("requireSenderAuthenticationEnabled", false),
      },
    ];
  });

  const acceptedDomains = [...accepted.values()];
  const googleUsers: GoogleUserState[] = userList.map((user) => ({
    primaryEmail: user.email,
    aliases: user.aliases,
    ...(user.nonEditableAliases.length > 0 && { nonEditableAliases: user.nonEditableAliases }),
    autoForwarding: user.forwarding && { enabled: true, emailAddress: user.forwarding.target, disposition: user.forwarding.disposition },
  }));
  const googleGroups = [...groups.values()];
  // Google takes aliases only on the domains it hosts.
  const googleDomains = [
    ...new Set([
      ...(facts.googleDomains ?? []).map(normalizeAddress),
      ...userList.flatMap((user) => [user.email, ...user.aliases, ...user.nonEditableAliases].map(domainOf)),
      ...googleGroups.flatMap((group) => [group.email, ...group.aliases, ...(group.nonEditableAliases ?? [])].map(domainOf)),
    ]),
  ].sort();
  const base: Omit<TenantState, "dns"> = {
    exchange: {
      acceptedDomains: acceptedDomains.map(({ domainName, domainType }) => ({ domainName, domainType })),
      outboundConnectors: connectors.map(({ connector }) => connector),
      recipients,
      transportRules,
      ...(distributionGroups.length > 0 && { distributionGroups }),
    },
    google: { domains: googleDomains, users: googleUsers, ...(googleGroups.length > 0 && { groups: googleGroups }) },
  };
  const closureOf = dependencyClosure(resources);
  const scenarios = mxScenarios(acceptedDomains, googleDomains, facts).map(({ assumption, mx }) => ({ assumption, state: { ...base, dns: { mx } } }));
  return {
    resources,
    acceptedDomains,
    routingDomains,
    connectors,
    users: userList,
    scenarios,
    recipientAt,
    groupResourceAt,
    dataCopyInProgress: userList.filter((user) => user.license !== undefined && user.forwarding === undefined).map((user) => user.email),
    dependsOn: (resource, dependency) => closureOf(resource).has(dependency.urn),
    unknowns,
    holdsTenantWideObjects: !resources.some((resource) => resource.type === COEXISTENCE_COMPONENT_TYPE && isBatchScope(resource.props.scope)),
  };
}

/** Appends the items `list` does not hold yet. */
function addNew(list: string[], items: readonly string[]): void {
  for (const item of items) if (!list.includes(item)) list.push(item);
}

/** The facts' Google groups by address, each member as the Directory lists it; groups that only `googleAddresses` names have no members. */
function googleGroupsOf(facts: TenantFacts): Map<string, GoogleGroupState> {
  const groups = new Map<string, GoogleGroupState>();
  const groupFor = (email: string): GoogleGroupState => {
    const existing = groups.get(email);
    if (existing) return existing;
    const created: GoogleGroupState = { email, aliases: [], members: [] };
    groups.set(email, created);
    return created;
  };
  for (const fact of facts.googleGroups ?? []) {
    const group = groupFor(normalizeAddress(fact.email));
    addNew(group.aliases, (fact.aliases ?? []).map(normalizeAddress));
    if (fact.nonEditableAliases?.length) addNew((group.nonEditableAliases ??= []), fact.nonEditableAliases.map(normalizeAddress));
    for (const member of fact.members ?? []) {
      const state: GoogleGroupMemberState = typeof member === "string" ? { email: member, type: "USER" } : { ...member, type: member.type ?? "USER" };
      group.members.push(state.email === undefined ? state : { ...state, email: normalizeAddress(state.email) });
    }
  }
  for (const { address, kind, owner } of facts.googleAddresses ?? []) {
    if (kind === "group" || kind === "group alias") groupFor(normalizeAddress(kind === "group" ? address : owner));
  }
  return groups;
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
  if (tenant.dependsOn(forwarding.resource, license)) return { kind: "mailbox" };
  const removedOnDelete = license.props.onDelete === "remove";
  return waitsForMailbox(forwarding.resource) && !removedOnDelete ? { kind: "mailbox" } : { kind: "licenseNotAwaited", license, removedOnDelete };
}

/**
 * A route that waits for its target to become a mailbox before forwarding (`mailboxTimeoutSeconds`),
 * so it may run beside its licence: enough for `up`, and for `destroy` only while the licence is
 * retained (a removed licence takes the mailbox away, and nothing orders that after the route).
 */
function waitsForMailbox(route: PlannedResource): boolean {
  const { mailboxTimeoutSeconds, requireMailbox } = route.props;
  return typeof mailboxTimeoutSeconds === "number" && mailboxTimeoutSeconds > 0 && requireMailbox !== false;
}

/**
 * The MX positions to check. Domains the facts pin keep their hosts; a Google domain that Microsoft
 * 365 does not accept (an alias domain) points to Google; an accepted domain Google does not host
 * (a routing domain) to Microsoft 365; an accepted domain Google hosts is the admin's cut-over, so
 * it is checked both at Google and at Microsoft 365.
 */
function mxScenarios(acceptedDomains: AcceptedDomainPlan[], googleDomains: string[], facts: TenantFacts): { assumption: string; mx: Record<string, string[]> }[] {
  const pinned = Object.fromEntries(Object.entries(facts.mx ?? {}).map(([domain, hosts]) => [normalizeAddress(domain), hosts]));
  const fixed: Record<string, string[]> = {};
  const open: string[] = [];
  const hostedAtGoogle = new Set(googleDomains);
  const acceptedNames = new Set(acceptedDomains.map((domain) => domain.domainName));
  for (const domainName of acceptedNames) {
    if (Object.hasOwn(pinned, domainName)) continue;
    if (hostedAtGoogle.has(domainName)) open.push(domainName);
    else fixed[domainName] = [microsoftMxHost(domainName)];
  }
  for (const domainName of googleDomains) {
    if (!acceptedNames.has(domainName) && !Object.hasOwn(pinned, domainName)) fixed[domainName] = [GOOGLE_MX_HOST];
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
