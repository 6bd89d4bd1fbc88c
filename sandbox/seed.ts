/**
 * The seed: everything both tenants hold when the sandbox starts or is reset. A JSON file
 * (sandbox/seeds/demo.json is the demo) or a generated one (`coexist sandbox seed --users N`).
 */
import { readFileSync } from "node:fs";
import type { AcceptedDomainType, ForwardingDisposition, GoogleDeliverySetting, OutboundConnectorState, TransportRuleState } from "pulumi-mail-coexistence/routing/types";
import { DIRECTORY_ROLES, EXCHANGE_MANAGE_AS_APP, GRAPH_PERMISSIONS } from "./authorization";
import { parseBehaviour, type BehaviourSeed } from "./behaviour";
import type { FaultSettings } from "./faults";
import type { AppRecord, GoogleMemberRecord, GoogleMemberRole, GoogleMemberType, RecipientTypeDetails } from "./records";


export interface Seed {
  microsoft: MicrosoftTenantSeed[];
  google: GoogleSeed;
  /** The sandbox's view of public DNS. */
  dns: { mx: Record<string, string[]>; txt: Record<string, string[]> };
  behaviour: BehaviourSeed;
  faults?: FaultSettings;
  /** Messages the demo and the acceptance tests send through `POST /sandbox/mail`. */
  testMessages: { name: string; from: string; to: string }[];
}

export interface MicrosoftTenantSeed {
  tenantId: string;
  /** `contoso.onmicrosoft.com`: the initial, verified domain. */
  initialDomain: string;
  /**
   * App registrations. `graphPermissions`, `exchangePermissions` and `directoryRoles` left out
   * mean everything: every permission the sandbox checks, Exchange.ManageAsApp, Global Administrator.
   * Left out or empty (a snapshot of a live tenant carries no secret): one app holding everything,
   * its secret made for the data directory when the seed is loaded.
   */
  apps: AppRecord[];
  domains: DomainSeed[];
  /** Exchange accepted-domain types; a verified Email domain not listed here is Authoritative. */
  acceptedDomainTypes: Record<string, AcceptedDomainType>;
  skus: SkuSeed[];
  users: EntraUserSeed[];
  /** Exchange Online objects there before the stack runs (a snapshot of a live tenant has them). */
  exchange: ExchangeSeed;
}

export interface ExchangeSeed {
  outboundConnectors: OutboundConnectorSeed[];
  /** In priority order (the first is priority 0). */
  transportRules: TransportRuleSeed[];
  /** Mail users and mailboxes of the Entra users in `users` (by UPN), and mail contacts. */
  recipients: RecipientSeed[];
  distributionGroups: DistributionGroupSeed[];
}

/** A connector as the routing model reads it. */
export type OutboundConnectorSeed = OutboundConnectorState;

/** A mail-flow rule as the routing model reads it. */
export type TransportRuleSeed = TransportRuleState;

export interface RecipientSeed {
  type: RecipientTypeDetails;
  name: string;
  displayName: string;
  /** Default: the primary address's local part. */
  alias?: string;
  /** The Entra user in `users` behind a mail user or mailbox; a mail contact has none. */
  userPrincipalName?: string;
  primarySmtpAddress: string;
  /** The other SMTP addresses. */
  emailAddresses: string[];
  externalEmailAddress?: string;
  forwardingSmtpAddress?: string;
}

export interface DistributionGroupSeed {
  name: string;
  displayName: string;
  /** Default: the primary address's local part. */
  alias?: string;
  primarySmtpAddress: string;
  /** The other SMTP addresses. */
  emailAddresses: string[];
  /** Primary addresses of member recipients and groups. */
  members: string[];
  requireSenderAuthenticationEnabled: boolean;
}

export interface DomainSeed {
  name: string;
  isVerified: boolean;
  supportedServices: string[];
  isDefault?: boolean;
}

export interface SkuSeed {
  skuId: string;
  skuPartNumber: string;
  seats: number;
  servicePlans: { servicePlanId: string; servicePlanName: string }[];
}

export interface EntraUserSeed {
  userPrincipalName: string;
  displayName: string;
  usageLocation?: string;
  /** skuPartNumbers assigned at seed time; an Exchange plan gives the user a mailbox at once. */
  licenses?: string[];
  /** Entra directory roles the user holds (display names), e.g. ["Global Administrator"]. */
  directoryRoles?: string[];
}

export interface GoogleSeed {
  customerId: string;
  domains: { domainName: string; isPrimary?: boolean; aliasOf?: string }[];
  /** Users allowed to call the Directory API when impersonated. */
  admins: string[];
  serviceAccount: { clientEmail: string; clientId: string; scopes: string[] };
  users: GoogleUserSeed[];
  /**
   * Users to generate in addition to `users`; `aliases` gives generated users (by primary address)
   * their editable aliases.
   */
  generate?: { users: number; departments: number; domain?: string; aliases?: Record<string, string[]> };
  /** Google Groups with their aliases and members. */
  groups: GoogleGroupSeed[];
  /** The admin setting "Allow users to automatically forward incoming email" for the whole Workspace. */
  policy: { autoForwardingAllowed: boolean };
  /**
   * What the static token (`COEXIST_ACCESS_TOKEN` mode) may do on Google: `anyMailbox` (default, a
   * documented deviation: a super admin acting for every mailbox) or `noMailbox` (like a
   * service-account token without `sub`), for tests that must prove they use domain-wide delegation.
   */
  staticToken: StaticTokenReach;
}

export type StaticTokenReach = "anyMailbox" | "noMailbox";

/** A departed user is `suspended` (still in the Directory) or `deleted` (gone, restorable by the control API). */
export type GoogleUserStatus = "active" | "suspended" | "deleted";
export const GOOGLE_USER_STATUSES: GoogleUserStatus[] = ["active", "suspended", "deleted"];

export interface GoogleUserSeed {
  primaryEmail: string;
  givenName: string;
  familyName: string;
  department?: string;
  /** Default "active". */
  status?: GoogleUserStatus;
  /** The older form of `status: "suspended"`, still accepted. */
  suspended?: boolean;
  aliases?: string[];
  /** Gmail automatic forwarding, on (its address a verified forwarding address). */
  autoForwarding?: { emailAddress: string; disposition: ForwardingDisposition };
}

export interface GoogleGroupSeed {
  email: string;
  /** Default: the address's local part. */
  name: string;
  description: string;
  aliases: string[];
  members: GoogleMemberRecord[];
}

const MEMBER_TYPES: GoogleMemberType[] = ["USER", "GROUP", "CUSTOMER"];
const MEMBER_ROLES: GoogleMemberRole[] = ["OWNER", "MANAGER", "MEMBER"];
const DELIVERY_SETTINGS: GoogleDeliverySetting[] = ["ALL_MAIL", "DAILY", "DIGEST", "DISABLED", "NONE"];

export class SeedError extends Error {
  constructor(field: string, problem: string, fix: string) {
    super(`Seed field ${field} ${problem}. ${fix}`);
    this.name = "SeedError";
  }
}

export function readSeedFile(path: string): Seed {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SeedError("(file)", `could not be read from ${path}: ${reason}`, "Pass a JSON seed file such as sandbox/seeds/demo.json.");
  }
  return parseSeed(raw);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a parsed seed, fills defaults and expands `google.generate`. */
export function parseSeed(raw: unknown): Seed {
  const seed = object(raw, "(root)");
  const microsoft = array(seed.microsoft, "microsoft").map((tenant, index) => parseTenant(tenant, `microsoft[${index}]`));
  if (microsoft.length === 0) throw new SeedError("microsoft", "is empty", "Describe at least one Microsoft 365 tenant.");
  const google = parseGoogle(seed.google);
  const dns = object(seed.dns ?? {}, "dns");
  const behaviour: BehaviourSeed = parseBehaviour(object(seed.behaviour ?? {}, "behaviour"), (field, problem, fix) => new SeedError(field, problem, fix));
  return {
    microsoft,
    google,
    dns: { mx: lowerKeys(object(dns.mx ?? {}, "dns.mx")) as Record<string, string[]>, txt: lowerKeys(object(dns.txt ?? {}, "dns.txt")) as Record<string, string[]> },
    behaviour,
    faults: seed.faults as FaultSettings | undefined,
    testMessages: array(seed.testMessages ?? [], "testMessages") as Seed["testMessages"],
  };
}

function parseTenant(raw: unknown, field: string): MicrosoftTenantSeed {
  const tenant = object(raw, field);
  const tenantId = string(tenant.tenantId, `${field}.tenantId`);
  if (!GUID.test(tenantId)) throw new SeedError(`${field}.tenantId`, `is "${tenantId}", not a GUID`, "Use a GUID such as 11111111-2222-3333-4444-555555555555.");
  const initialDomain = string(tenant.initialDomain, `${field}.initialDomain`).toLowerCase();
  if (!initialDomain.endsWith(".onmicrosoft.com")) {
    throw new SeedError(`${field}.initialDomain`, `is "${initialDomain}"`, "The initial domain ends in .onmicrosoft.com, e.g. contoso.onmicrosoft.com.");
  }
  const apps = array(tenant.apps ?? [], `${field}.apps`).map((app, index) => parseApp(app, `${field}.apps[${index}]`));
  const skus = array(tenant.skus ?? [], `${field}.skus`).map((sku, index) => {
    const entry = object(sku, `${field}.skus[${index}]`) as unknown as SkuSeed;
    if (!GUID.test(String(entry.skuId))) throw new SeedError(`${field}.skus[${index}].skuId`, "is not a GUID", "Use the SKU's GUID.");
    if (!(entry.seats >= 0)) throw new SeedError(`${field}.skus[${index}].seats`, "must be a number ≥ 0", "Give the number of prepaid seats.");
    return { ...entry, servicePlans: entry.servicePlans ?? [] };
  });
  return {
    tenantId: tenantId.toLowerCase(),
    initialDomain,
    apps,
    domains: array(tenant.domains ?? [], `${field}.domains`).map((domain, index) => parseDomain(domain, `${field}.domains[${index}]`)),
    acceptedDomainTypes: lowerKeys(object(tenant.acceptedDomainTypes ?? {}, `${field}.acceptedDomainTypes`)) as Record<string, AcceptedDomainType>,
    skus,
    users: (array(tenant.users ?? [], `${field}.users`) as EntraUserSeed[]).map((user, index) => ({
      ...user,
      directoryRoles: user.directoryRoles === undefined ? undefined : names(user.directoryRoles, `${field}.users[${index}].directoryRoles`, Object.keys(DIRECTORY_ROLES)),
    })),
    exchange: parseExchange(object(tenant.exchange ?? {}, `${field}.exchange`), `${field}.exchange`),
  };
}

const RECIPIENT_TYPES: RecipientTypeDetails[] = ["MailUser", "UserMailbox", "MailContact"];

function parseExchange(exchange: Record<string, unknown>, field: string): ExchangeSeed {
  const recipients = array(exchange.recipients ?? [], `${field}.recipients`).map((raw, index) => {
    const entry = object(raw, `${field}.recipients[${index}]`) as unknown as RecipientSeed;
    const at = `${field}.recipients[${index}]`;
    if (!RECIPIENT_TYPES.includes(entry.type)) throw new SeedError(`${at}.type`, `is ${JSON.stringify(entry.type)}`, `Use one of ${RECIPIENT_TYPES.join(", ")}.`);
    if ((entry.type === "MailContact") !== (entry.userPrincipalName === undefined)) {
      throw new SeedError(at, entry.type === "MailContact" ? "is a mail contact with a userPrincipalName" : "has no userPrincipalName", "A mail user or mailbox names its Entra user (in users) by UPN; a mail contact has none.");
    }
    return { ...entry, primarySmtpAddress: string(entry.primarySmtpAddress, `${at}.primarySmtpAddress`).toLowerCase(), emailAddresses: (entry.emailAddresses ?? []).map((address) => address.toLowerCase()) };
  });
  return {
    outboundConnectors: array(exchange.outboundConnectors ?? [], `${field}.outboundConnectors`) as OutboundConnectorSeed[],
    transportRules: array(exchange.transportRules ?? [], `${field}.transportRules`) as TransportRuleSeed[],
    recipients,
    distributionGroups: array(exchange.distributionGroups ?? [], `${field}.distributionGroups`) as DistributionGroupSeed[],
  };
}

function parseApp(raw: unknown, field: string): AppRecord {
  const entry = object(raw, field);
  return {
    clientId: string(entry.clientId, `${field}.clientId`),
    clientSecret: string(entry.clientSecret, `${field}.clientSecret`),
    displayName: typeof entry.displayName === "string" ? entry.displayName : "coexist",
    graphPermissions: entry.graphPermissions === undefined ? [...GRAPH_PERMISSIONS] : names(entry.graphPermissions, `${field}.graphPermissions`, GRAPH_PERMISSIONS),
    exchangePermissions: entry.exchangePermissions === undefined ? [EXCHANGE_MANAGE_AS_APP] : names(entry.exchangePermissions, `${field}.exchangePermissions`, [EXCHANGE_MANAGE_AS_APP]),
    directoryRoles: entry.directoryRoles === undefined ? ["Global Administrator"] : names(entry.directoryRoles, `${field}.directoryRoles`, Object.keys(DIRECTORY_ROLES)),
  };
}

/** A list of names the sandbox knows; a typo would silently grant nothing, so it is refused. */
function names(value: unknown, field: string, known: readonly string[]): string[] {
  const list = array(value, field);
  const unknown = list.find((entry) => typeof entry !== "string" || !known.includes(entry));
  if (unknown !== undefined) throw new SeedError(field, `has ${JSON.stringify(unknown)}, which the sandbox does not know`, `Use names from: ${known.join(", ")}.`);
  return list as string[];
}

function parseDomain(raw: unknown, field: string): DomainSeed {
  const domain = object(raw, field);
  return {
    name: string(domain.name, `${field}.name`).toLowerCase(),
    isVerified: domain.isVerified === true,
    supportedServices: (domain.supportedServices as string[] | undefined) ?? [],
    isDefault: domain.isDefault === true,
  };
}

function parseGoogle(raw: unknown): GoogleSeed {
  const google = object(raw, "google");
  const domains = array(google.domains, "google.domains") as GoogleSeed["domains"];
  const primary = domains.find((domain) => domain.isPrimary) ?? domains[0];
  if (!primary) throw new SeedError("google.domains", "is empty", "List the Workspace's primary domain, e.g. { \"domainName\": \"contoso.com\", \"isPrimary\": true }.");
  const serviceAccount = object(google.serviceAccount, "google.serviceAccount") as unknown as GoogleSeed["serviceAccount"];
  string(serviceAccount.clientEmail, "google.serviceAccount.clientEmail");
  const users = (array(google.users ?? [], "google.users") as GoogleUserSeed[]).map((user, index) => parseGoogleUser(user, `google.users[${index}]`));
  const generate = google.generate as GoogleSeed["generate"];
  const generated = generate ? withAliases(generateGoogleUsers(generate.users, generate.departments, generate.domain ?? primary.domainName), generate.aliases, true) : [];
  const lowerDomains = domains.map((domain) => ({ ...domain, domainName: domain.domainName.toLowerCase() }));
  const allUsers = [...users, ...generated];
  return {
    customerId: typeof google.customerId === "string" ? google.customerId : "C0sandbox",
    domains: lowerDomains,
    admins: (google.admins as string[] | undefined) ?? [],
    serviceAccount,
    users: allUsers,
    groups: parseGroups(google.groups ?? [], allUsers, lowerDomains),
    policy: { autoForwardingAllowed: true, ...object(google.policy ?? {}, "google.policy") } as GoogleSeed["policy"],
    staticToken: parseStaticTokenReach(google.staticToken),
  };
}

/** One status per user: `status`, or the older `suspended: true`; the two must not disagree. */
function parseGoogleUser(user: GoogleUserSeed, field: string): GoogleUserSeed {
  const { suspended, ...rest } = user;
  if (user.status !== undefined && !GOOGLE_USER_STATUSES.includes(user.status)) {
    throw new SeedError(`${field}.status`, `is ${JSON.stringify(user.status)}`, `Use one of ${GOOGLE_USER_STATUSES.join(", ")}.`);
  }
  if (suspended === true && user.status !== undefined && user.status !== "suspended") {
    throw new SeedError(`${field}.suspended`, `is true while status is "${user.status}"`, 'Give only status ("suspended" replaces suspended: true).');
  }
  return { ...rest, primaryEmail: string(user.primaryEmail, `${field}.primaryEmail`).toLowerCase(), status: googleUserStatus(user) };
}

export function googleUserStatus(user: Pick<GoogleUserSeed, "status" | "suspended">): GoogleUserStatus {
  return user.status ?? (user.suspended === true ? "suspended" : "active");
}

function parseStaticTokenReach(value: unknown): StaticTokenReach {
  if (value === undefined) return "anyMailbox";
  if (value === "anyMailbox" || value === "noMailbox") return value;
  throw new SeedError("google.staticToken", `is ${JSON.stringify(value)}`, 'Use "anyMailbox" (the default) or "noMailbox".');
}

const FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Maya", "Noor", "Omar", "Priya"];
const LAST_NAMES = ["Adams", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura"];
const DEPARTMENTS = ["Sales", "Engineering", "Finance", "Marketing", "Support", "Operations", "Legal", "People"];

/** `count` users spread round-robin over `departments` departments; the same arguments give the same users. */
export function generateGoogleUsers(count: number, departments: number, domain: string): GoogleUserSeed[] {
  if (!Number.isInteger(count) || count < 0) throw new SeedError("google.generate.users", `is ${count}`, "Give a whole number of users ≥ 0.");
  if (!Number.isInteger(departments) || departments < 1) {
    throw new SeedError("google.generate.departments", `is ${departments}`, "Give a whole number of departments ≥ 1.");
  }
  const users: GoogleUserSeed[] = [];
  for (let index = 0; index < count; index++) {
    const givenName = FIRST_NAMES[index % FIRST_NAMES.length];
    const familyName = LAST_NAMES[Math.floor(index / FIRST_NAMES.length) % LAST_NAMES.length];
    const round = Math.floor(index / (FIRST_NAMES.length * LAST_NAMES.length));
    const local = `${givenName}.${familyName}${round > 0 ? round + 1 : ""}`.toLowerCase();
    users.push({ primaryEmail: `${local}@${domain.toLowerCase()}`, givenName, familyName, department: departmentName(index % departments) });
  }
  return users;
}

function departmentName(index: number): string {
  const base = DEPARTMENTS[index % DEPARTMENTS.length];
  return index < DEPARTMENTS.length ? base : `${base} ${Math.floor(index / DEPARTMENTS.length) + 1}`;
}

/**
 * The demo seed with its generated Google users replaced by `users` users in `departments`
 * departments; a regenerated user keeps the aliases the seed gave it, and groups lose members that
 * are no longer users.
 */
export function withGeneratedUsers(seed: Seed, users: number, departments: number): Seed {
  const primary = seed.google.domains.find((domain) => domain.isPrimary) ?? seed.google.domains[0];
  const aliasesOf = Object.fromEntries(seed.google.users.filter((user) => user.aliases?.length).map((user) => [user.primaryEmail, user.aliases as string[]]));
  const generated = withAliases(generateGoogleUsers(users, departments, primary.domainName), aliasesOf, false);
  const addresses = new Set(generated.map((user) => user.primaryEmail));
  const admins = seed.google.users.filter((user) => seed.google.admins.includes(user.primaryEmail) && !addresses.has(user.primaryEmail));
  const kept = [...admins, ...generated];
  const known = new Set([...kept.map((user) => user.primaryEmail), ...seed.google.groups.map((group) => group.email)]);
  const workspace = new Set(seed.google.domains.map((domain) => domain.domainName));
  const isMember = (member: GoogleMemberRecord) => member.email === undefined || known.has(member.email) || !workspace.has(member.email.slice(member.email.indexOf("@") + 1));
  const groups = seed.google.groups.map((group) => ({ ...group, members: group.members.filter(isMember) }));
  return { ...seed, google: { ...seed.google, users: kept, groups } };
}

/** Generated users with their aliases from `generate.aliases`; `strict`: every key must be a generated user. */
function withAliases(users: GoogleUserSeed[], aliases: Record<string, string[]> | undefined, strict: boolean): GoogleUserSeed[] {
  const byUser = new Map(Object.entries(aliases ?? {}).map(([user, list]) => [user.toLowerCase(), list.map((alias) => alias.toLowerCase())]));
  const unknown = [...byUser.keys()].find((user) => !users.some((entry) => entry.primaryEmail === user));
  if (strict && unknown) throw new SeedError("google.generate.aliases", `names ${unknown}, which is not a generated user`, "Give aliases of explicit users in google.users[].aliases.");
  return users.map((user) => (byUser.has(user.primaryEmail) ? { ...user, aliases: byUser.get(user.primaryEmail) } : user));
}

/**
 * Google Groups of the seed, checked as the Directory would: addresses unique among users and
 * groups and on a primary or secondary domain; members that are Workspace users or groups of the
 * seed (a member outside the Workspace is a USER); no membership cycles (members.insert refuses them).
 */
function parseGroups(raw: unknown, users: GoogleUserSeed[], domains: GoogleSeed["domains"]): GoogleGroupSeed[] {
  const mailDomains = new Set(domains.filter((domain) => !domain.aliasOf).map((domain) => domain.domainName));
  const workspace = new Set(domains.map((domain) => domain.domainName));
  const taken = new Set(users.filter((user) => googleUserStatus(user) !== "deleted").flatMap((user) => [user.primaryEmail, ...(user.aliases ?? []).map((alias) => alias.toLowerCase())]));
  const entries = array(raw, "google.groups").map((entry, index) => object(entry, `google.groups[${index}]`));
  const groupEmails = new Set(entries.map((entry) => String(entry.email ?? "").toLowerCase()));
  const groups = entries.map((entry, index): GoogleGroupSeed => {
    const field = `google.groups[${index}]`;
    const email = string(entry.email, `${field}.email`).toLowerCase();
    const aliases = (array(entry.aliases ?? [], `${field}.aliases`) as string[]).map((alias) => String(alias).toLowerCase());
    for (const address of [email, ...aliases]) {
      if (!mailDomains.has(address.slice(address.indexOf("@") + 1))) {
        throw new SeedError(field, `has ${address}, which is not on a primary or secondary domain of the Workspace`, "Use a domain of google.domains that is not an alias domain (alias-domain addresses come by themselves).");
      }
      if (taken.has(address)) throw new SeedError(field, `has ${address}, which another user or group already has`, "Give every user and group unique addresses.");
      taken.add(address);
    }
    const members = array(entry.members ?? [], `${field}.members`).map((member, position) => parseMember(object(member, `${field}.members[${position}]`), `${field}.members[${position}]`, groupEmails, workspace, users));
    const listed = members.map((member) => member.email ?? "(customer)");
    const repeated = listed.find((member, position) => listed.indexOf(member) !== position);
    if (repeated) throw new SeedError(`${field}.members`, `lists ${repeated} twice`, "List each member once.");
    const name = typeof entry.name === "string" ? entry.name : email.slice(0, email.indexOf("@"));
    return { email, name, description: typeof entry.description === "string" ? entry.description : "", aliases, members };
  });
  const cycle = membershipCycle(groups);
  if (cycle) throw new SeedError("google.groups", `has a membership cycle (${cycle.join(" → ")})`, "The Directory API refuses cycles in group memberships; remove one of these memberships.");
  return groups;
}

function parseMember(entry: Record<string, unknown>, field: string, groups: Set<string>, workspace: Set<string>, users: GoogleUserSeed[]): GoogleMemberRecord {
  const email = entry.email === undefined ? undefined : string(entry.email, `${field}.email`).toLowerCase();
  const type = (entry.type ?? (email === undefined ? "CUSTOMER" : groups.has(email) ? "GROUP" : "USER")) as GoogleMemberType;
  if (!MEMBER_TYPES.includes(type)) throw new SeedError(`${field}.type`, `is ${JSON.stringify(type)}`, `Use one of ${MEMBER_TYPES.join(", ")} (the Directory reports members outside the Workspace as USER).`);
  if ((type === "CUSTOMER") !== (email === undefined)) throw new SeedError(field, type === "CUSTOMER" ? "is a CUSTOMER member with an email" : "has no email", "A CUSTOMER member (every user) has no email; every other member has one.");
  if (type === "GROUP" && !groups.has(email as string)) throw new SeedError(`${field}.email`, `is ${email}, which is not a group of the seed`, "Add the group to google.groups, or make the member a USER.");
  const inWorkspace = email !== undefined && workspace.has(email.slice(email.indexOf("@") + 1));
  const isUser = users.some((user) => user.primaryEmail === email && googleUserStatus(user) !== "deleted");
  if (type === "USER" && inWorkspace && !isUser) throw new SeedError(`${field}.email`, `is ${email}, which no Workspace user has`, "Give the user's primary address, or a group of the seed with type GROUP.");
  const role = (entry.role ?? "MEMBER") as GoogleMemberRole;
  if (!MEMBER_ROLES.includes(role)) throw new SeedError(`${field}.role`, `is ${JSON.stringify(role)}`, `Use one of ${MEMBER_ROLES.join(", ")}.`);
  const deliverySettings = (entry.deliverySettings ?? "ALL_MAIL") as GoogleDeliverySetting;
  if (!DELIVERY_SETTINGS.includes(deliverySettings)) throw new SeedError(`${field}.deliverySettings`, `is ${JSON.stringify(deliverySettings)}`, `Use one of ${DELIVERY_SETTINGS.join(", ")}.`);
  return { ...(email === undefined ? {} : { email }), type, role, deliverySettings };
}

/** A chain of GROUP memberships that comes back to where it started, if any. */
function membershipCycle(groups: GoogleGroupSeed[]): string[] | undefined {
  const children = new Map(groups.map((group) => [group.email, group.members.filter((member) => member.type === "GROUP").map((member) => member.email as string)]));
  const walk = (email: string, path: string[]): string[] | undefined => {
    if (path.includes(email)) return [...path.slice(path.indexOf(email)), email];
    for (const child of children.get(email) ?? []) {
      const cycle = walk(child, [...path, email]);
      if (cycle) return cycle;
    }
    return undefined;
  };
  for (const group of groups) {
    const cycle = walk(group.email, []);
    if (cycle) return cycle;
  }
  return undefined;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SeedError(field, `is ${JSON.stringify(value)}`, "It must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new SeedError(field, `is ${JSON.stringify(value)}`, "It must be a JSON array.");
  return value;
}

function string(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) throw new SeedError(field, "is missing or empty", "Give a non-empty string.");
  return value;
}

function lowerKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.toLowerCase(), value]));
}
