/**
 * Loading a seed: replaces the whole sandbox state with the seed's tenants, domains, users and
 * Google Workspace, in one transaction (a 10,000-user seed reports progress as it goes).
 */
import { createHmac, randomUUID } from "node:crypto";
import { EXCHANGE_MANAGE_AS_APP, GRAPH_PERMISSIONS } from "./authorization";
import { newRecipient, saveRecipient, verificationCode } from "./directory";
import { newConnectorRecord } from "./exchange/connectors";
import { placeGoogleGroup } from "./googleGroups";
import { findDeletedGoogleUser, placeGoogleUser, putDeletedGoogleUser, resetGooglePolicy } from "./googleUsers";
import { stableGuid } from "./ids";
import type {
  AppRecord,
  ConnectorRecord,
  DistributionGroupRecord,
  DomainRecord,
  EntraUserRecord,
  GoogleDomainRecord,
  GoogleGroupRecord,
  GoogleUserRecord,
  RecipientRecord,
  SkuRecord,
  TenantRecord,
  TransportRuleRecord,
} from "./records";
import { googleUserStatus, type ExchangeSeed, type Seed } from "./seed";
import { GOOGLE_SCOPE, type Store } from "./store";

export type SeedProgress = (message: string) => void;

const PROGRESS_EVERY = 1000;

/** Replaces all state with the seed, in one transaction. */
export function loadSeed(store: Store, seed: Seed, progress: SeedProgress = () => undefined): void {
  const { tokenKey } = store.secrets();
  store.transaction(() => {
    store.db.exec("DELETE FROM docs; DELETE FROM keys;");
    store.setMeta("seed", seed);
    store.setMeta("seedRevision", randomUUID());
    store.setMeta("dns", seed.dns);
    for (const tenant of seed.microsoft) seedTenant(store, tenant, tokenKey, progress);
    seedGoogle(store, seed, progress);
  });
}

/**
 * The app of a seed that lists none (a snapshot of a live tenant): every grant, and a secret made
 * from the data directory's token key, so that it stays the same across resets and is in no file.
 */
function defaultApp(tenantId: string, tokenKey: string): AppRecord {
  return {
    clientId: stableGuid(`app/${tenantId}`),
    clientSecret: createHmac("sha256", tokenKey).update(`app/${tenantId}`).digest("base64url"),
    displayName: "coexist",
    graphPermissions: [...GRAPH_PERMISSIONS],
    exchangePermissions: [EXCHANGE_MANAGE_AS_APP],
    directoryRoles: ["Global Administrator"],
  };
}

function seedTenant(store: Store, tenant: Seed["microsoft"][number], tokenKey: string, progress: SeedProgress): void {
  const scope = tenant.tenantId;
  const apps = tenant.apps.length > 0 ? tenant.apps : [defaultApp(scope, tokenKey)];
  store.put("sandbox", "tenant", scope, { tenantId: scope, initialDomain: tenant.initialDomain, apps } satisfies TenantRecord);
  const hasDefault = tenant.domains.some((domain) => domain.isDefault);
  const initial: DomainRecord = {
    id: tenant.initialDomain,
    isVerified: true,
    isDefault: !hasDefault,
    isInitial: true,
    supportedServices: ["Email", "OfficeCommunicationsOnline"],
    verificationCode: verificationCode(),
  };
  store.put(scope, "domain", initial.id, initial);
  for (const domain of tenant.domains.filter((entry) => entry.name !== tenant.initialDomain)) {
    const record: DomainRecord = {
      id: domain.name,
      isVerified: domain.isVerified,
      isDefault: domain.isDefault === true,
      isInitial: false,
      supportedServices: domain.supportedServices,
      verificationCode: verificationCode(),
    };
    store.put(scope, "domain", record.id, record);
  }
  for (const [domainName, domainType] of Object.entries(tenant.acceptedDomainTypes)) {
    store.put(scope, "acceptedDomainType", domainName, { domainName, domainType, matchSubDomains: false });
  }
  for (const sku of tenant.skus) store.put(scope, "sku", sku.skuId, sku satisfies SkuRecord);
  const usersByUpn = new Map<string, EntraUserRecord>();
  tenant.users.forEach((seedUser, index) => {
    const user: EntraUserRecord = {
      id: randomUUID(),
      userPrincipalName: seedUser.userPrincipalName.toLowerCase(),
      displayName: seedUser.displayName,
      mail: seedUser.userPrincipalName.toLowerCase(),
      usageLocation: seedUser.usageLocation,
      accountEnabled: true,
      directoryRoles: seedUser.directoryRoles,
      assignedLicenses: (seedUser.licenses ?? []).map((partNumber) => ({ skuId: skuIdFor(tenant.skus, partNumber), disabledPlans: [] })),
      createdDateTime: new Date().toISOString(),
    };
    store.put(scope, "user", user.id, user);
    store.claim(scope, "upn", user.userPrincipalName, user.id);
    usersByUpn.set(user.userPrincipalName, user);
    if (user.assignedLicenses.length > 0) {
      const mailbox = newRecipient(user, "UserMailbox", [`SMTP:${user.userPrincipalName}`]);
      store.put(scope, "recipient", mailbox.guid, mailbox);
      store.claim(scope, "proxy", user.userPrincipalName, mailbox.guid);
      store.claim(scope, "recipientOf", user.id, mailbox.guid);
    }
    if ((index + 1) % PROGRESS_EVERY === 0) progress(`  ${tenant.initialDomain}: ${index + 1} Entra users`);
  });
  seedExchange(store, scope, tenant.exchange, usersByUpn);
}

const proxies = (primary: string, others: string[]): string[] => [`SMTP:${primary}`, ...others.filter((address) => address !== primary).map((address) => `smtp:${address}`)];
const localPart = (address: string): string => address.slice(0, address.lastIndexOf("@"));

/** The Exchange Online objects of the seed: recipients (a licensed user's mailbox takes its seed's addresses), groups, connectors, rules. */
function seedExchange(store: Store, scope: string, exchange: ExchangeSeed, usersByUpn: Map<string, EntraUserRecord>): void {
  const whenCreated = new Date().toISOString();
  for (const entry of exchange.recipients) {
    const upn = entry.userPrincipalName?.toLowerCase();
    const user = upn === undefined ? undefined : usersByUpn.get(upn);
    if (upn !== undefined && !user) throw new Error(`Seed exchange.recipients: ${entry.primarySmtpAddress} names the Entra user ${upn}, which is not in users; add it there.`);
    const existingGuid = user ? store.ownerOf(scope, "recipientOf", user.id) : undefined;
    const base = user ? newRecipient(user, entry.type, []) : { ...newRecipient({ id: "", userPrincipalName: entry.primarySmtpAddress, displayName: entry.displayName }, "MailContact", []), microsoftOnlineServicesId: "" };
    const guid = existingGuid ?? base.guid;
    if (existingGuid) store.releaseAll(scope, "proxy", existingGuid);
    const recipient: RecipientRecord = {
      ...base,
      guid,
      externalDirectoryObjectId: user ? user.id : guid,
      name: entry.name,
      displayName: entry.displayName,
      alias: entry.alias ?? localPart(entry.primarySmtpAddress),
      emailAddresses: proxies(entry.primarySmtpAddress, entry.emailAddresses),
      externalEmailAddress: entry.externalEmailAddress?.toLowerCase(),
      forwardingSmtpAddress: entry.forwardingSmtpAddress?.toLowerCase(),
      whenCreated,
    };
    saveRecipient(store, scope, recipient);
    if (user) store.claim(scope, "recipientOf", user.id, guid);
  }
  const groups = exchange.distributionGroups.map(
    (entry): DistributionGroupRecord => ({
      guid: randomUUID(),
      name: entry.name,
      displayName: entry.displayName,
      alias: entry.alias ?? localPart(entry.primarySmtpAddress),
      groupType: "Distribution",
      emailAddresses: proxies(entry.primarySmtpAddress.toLowerCase(), entry.emailAddresses.map((address) => address.toLowerCase())),
      members: [],
      requireSenderAuthenticationEnabled: entry.requireSenderAuthenticationEnabled,
      whenCreated,
    }),
  );
  for (const group of groups) for (const proxy of group.emailAddresses) store.claim(scope, "proxy", proxy.slice(5).toLowerCase(), group.guid);
  exchange.distributionGroups.forEach((entry, index) => {
    const members = entry.members.map((member) => {
      const owner = store.ownerOf(scope, "proxy", member.toLowerCase());
      if (!owner) throw new Error(`Seed exchange.distributionGroups: member ${member} of ${entry.primarySmtpAddress} is no recipient or group of the seed.`);
      return owner;
    });
    store.put(scope, "distributionGroup", groups[index].guid, { ...groups[index], members });
  });
  for (const entry of exchange.outboundConnectors) {
    const connector: ConnectorRecord = { ...newConnectorRecord(entry.name), ...entry };
    store.put(scope, "connector", connector.guid, connector);
  }
  exchange.transportRules.forEach(({ enabled, ...entry }, priority) => {
    const rule: TransportRuleRecord = { guid: randomUUID(), state: enabled ? "Enabled" : "Disabled", priority, comments: "", ...entry };
    store.put(scope, "transportRule", rule.guid, rule);
  });
}

function skuIdFor(skus: SkuRecord[], partNumber: string): string {
  const sku = skus.find((entry) => entry.skuPartNumber === partNumber);
  if (!sku) throw new Error(`Seed user licence ${partNumber} is not one of the tenant's skus; add it to skus or fix the part number.`);
  return sku.skuId;
}

function seedGoogle(store: Store, seed: Seed, progress: SeedProgress): void {
  const domains = seed.google.domains.map(googleDomainRecord);
  for (const domain of domains) store.put(GOOGLE_SCOPE, "googleDomain", domain.domainName, domain);
  resetGooglePolicy(store, seed.google.policy);
  const admins = new Set(seed.google.admins.map((admin) => admin.toLowerCase()));
  const total = seed.google.users.length;
  seed.google.users.forEach((seedUser, index) => {
    const status = googleUserStatus(seedUser);
    const user: GoogleUserRecord = {
      id: String(100000000000000000000n + BigInt(index)),
      primaryEmail: seedUser.primaryEmail,
      givenName: seedUser.givenName,
      familyName: seedUser.familyName,
      department: seedUser.department,
      suspended: status === "suspended",
      aliases: (seedUser.aliases ?? []).map((alias) => alias.toLowerCase()),
      isAdmin: admins.has(seedUser.primaryEmail),
      forwardingAddresses: seedUser.autoForwarding ? [{ forwardingEmail: seedUser.autoForwarding.emailAddress.toLowerCase(), verificationStatus: "accepted" }] : [],
      autoForwarding: seedUser.autoForwarding ? { enabled: true, ...seedUser.autoForwarding, emailAddress: seedUser.autoForwarding.emailAddress.toLowerCase() } : { enabled: false },
    };
    const duplicate = status === "deleted" ? (findDeletedGoogleUser(store, user.primaryEmail) ? user.primaryEmail : undefined) : placeGoogleUser(store, user, domains);
    if (duplicate) throw new Error(`Seed google.users has ${duplicate} twice; give every Google user a unique address.`);
    if (status === "deleted") putDeletedGoogleUser(store, user);
    if ((index + 1) % PROGRESS_EVERY === 0 || index + 1 === total) progress(`  Google: ${index + 1}/${total} users`);
  });
  // A seed stored by an older sandbox has no groups.
  for (const seedGroup of seed.google.groups ?? []) {
    const group: GoogleGroupRecord = { id: groupId(seedGroup.email), ...seedGroup };
    const taken = placeGoogleGroup(store, group, domains);
    if (taken) throw new Error(`Seed google.groups: ${taken} belongs to another user or group; give every user and group unique addresses.`);
  }
}

/** Group ids look like Google's (a 15-character base-36 string), stable per address. */
function groupId(email: string): string {
  return `0${stableGuid(`googleGroup/${email}`).replace(/-/g, "").slice(0, 14)}`;
}

function googleDomainRecord(domain: Seed["google"]["domains"][number]): GoogleDomainRecord {
  return { domainName: domain.domainName, isPrimary: domain.isPrimary === true, aliasOf: domain.aliasOf, creationTime: String(Date.now()) };
}
