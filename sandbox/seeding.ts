/**
 * Loading a seed: replaces the whole sandbox state with the seed's tenants, domains, users and
 * Google Workspace, in one transaction (a 10,000-user seed reports progress as it goes).
 */
import { randomUUID } from "node:crypto";
import { newRecipient, verificationCode } from "./directory";
import { placeGoogleGroup } from "./googleGroups";
import { findDeletedGoogleUser, placeGoogleUser, putDeletedGoogleUser, resetGooglePolicy } from "./googleUsers";
import { stableGuid } from "./ids";
import type { DomainRecord, EntraUserRecord, GoogleDomainRecord, GoogleGroupRecord, GoogleUserRecord, SkuRecord, TenantRecord } from "./records";
import { googleUserStatus, type Seed } from "./seed";
import { GOOGLE_SCOPE, type Store } from "./store";

export type SeedProgress = (message: string) => void;

const PROGRESS_EVERY = 1000;

/** Replaces all state with the seed, in one transaction. */
export function loadSeed(store: Store, seed: Seed, progress: SeedProgress = () => undefined): void {
  store.secrets();
  store.transaction(() => {
    store.db.exec("DELETE FROM docs; DELETE FROM keys;");
    store.setMeta("seed", seed);
    store.setMeta("seedRevision", randomUUID());
    store.setMeta("dns", seed.dns);
    for (const tenant of seed.microsoft) seedTenant(store, tenant, progress);
    seedGoogle(store, seed, progress);
  });
}

function seedTenant(store: Store, tenant: Seed["microsoft"][number], progress: SeedProgress): void {
  const scope = tenant.tenantId;
  store.put("sandbox", "tenant", scope, { tenantId: scope, initialDomain: tenant.initialDomain, apps: tenant.apps } satisfies TenantRecord);
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
    if (user.assignedLicenses.length > 0) {
      const mailbox = newRecipient(user, "UserMailbox", [`SMTP:${user.userPrincipalName}`]);
      store.put(scope, "recipient", mailbox.guid, mailbox);
      store.claim(scope, "proxy", user.userPrincipalName, mailbox.guid);
      store.claim(scope, "recipientOf", user.id, mailbox.guid);
    }
    if ((index + 1) % PROGRESS_EVERY === 0) progress(`  ${tenant.initialDomain}: ${index + 1} Entra users`);
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
      forwardingAddresses: [],
      autoForwarding: { enabled: false },
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
