/**
 * The seed: everything both tenants hold when the sandbox starts or is reset. A JSON file
 * (sandbox/seeds/demo.json is the demo) or a generated one (`coexist sandbox seed --users N`).
 */
import { readFileSync } from "node:fs";
import type { AcceptedDomainType } from "../provider/routing/types";
import { DIRECTORY_ROLES, EXCHANGE_MANAGE_AS_APP, GRAPH_PERMISSIONS } from "./authorization";
import { parseBehaviour, type BehaviourSeed } from "./behaviour";
import type { FaultSettings } from "./faults";
import type { AppRecord } from "./records";


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
   */
  apps: AppRecord[];
  domains: DomainSeed[];
  /** Exchange accepted-domain types; a verified Email domain not listed here is Authoritative. */
  acceptedDomainTypes: Record<string, AcceptedDomainType>;
  skus: SkuSeed[];
  users: EntraUserSeed[];
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
  /** Users to generate in addition to `users`. */
  generate?: { users: number; departments: number; domain?: string };
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
}

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
  const apps = array(tenant.apps, `${field}.apps`).map((app, index) => parseApp(app, `${field}.apps[${index}]`));
  if (apps.length === 0) throw new SeedError(`${field}.apps`, "is empty", "Add one app registration with clientId and clientSecret.");
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
  const generated = generate ? generateGoogleUsers(generate.users, generate.departments, generate.domain ?? primary.domainName) : [];
  return {
    customerId: typeof google.customerId === "string" ? google.customerId : "C0sandbox",
    domains: domains.map((domain) => ({ ...domain, domainName: domain.domainName.toLowerCase() })),
    admins: (google.admins as string[] | undefined) ?? [],
    serviceAccount,
    users: [...users, ...generated],
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

/** The demo seed with its generated Google users replaced by `users` users in `departments` departments. */
export function withGeneratedUsers(seed: Seed, users: number, departments: number): Seed {
  const primary = seed.google.domains.find((domain) => domain.isPrimary) ?? seed.google.domains[0];
  const generated = generateGoogleUsers(users, departments, primary.domainName);
  const addresses = new Set(generated.map((user) => user.primaryEmail));
  const admins = seed.google.users.filter((user) => seed.google.admins.includes(user.primaryEmail) && !addresses.has(user.primaryEmail));
  return { ...seed, google: { ...seed.google, users: [...admins, ...generated] } };
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
