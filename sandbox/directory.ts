/**
 * Rules shared by Graph, Exchange, Google and seeding: which domains Exchange accepts, addresses and
 * proxy-address ownership, new directory records, and the licence → mailbox lifecycle
 * (exchange-admin-api.md §3, mail-routing.md §1.6).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { AcceptedDomainType } from "pulumi-mail-coexistence/routing/types";
import type {
  AcceptedDomainTypeRecord,
  DistributionGroupRecord,
  DomainRecord,
  EntraUserRecord,
  GoogleDomainRecord,
  RecipientRecord,
  SkuRecord,
  TenantRecord,
} from "./records";
import type { Store } from "./store";
import { domainOf } from "pulumi-mail-coexistence/routing/addresses";

export interface AcceptedDomain {
  domainName: string;
  domainType: AcceptedDomainType;
  isDefault: boolean;
  isInitial: boolean;
  matchSubDomains: boolean;
}

/**
 * Exchange's accepted domains: the tenant's verified domains that have the Email service, once
 * the replication lag after Graph enabled Email has passed.
 */
export function acceptedDomains(store: Store, tenantId: string, now = Date.now()): AcceptedDomain[] {
  const types = new Map(store.list<AcceptedDomainTypeRecord>(tenantId, "acceptedDomainType").map((entry) => [entry.domainName, entry]));
  return store
    .list<DomainRecord>(tenantId, "domain")
    .filter((domain) => domain.isVerified && (domain.isInitial || domain.supportedServices.includes("Email")))
    .filter((domain) => domain.acceptedInExchangeAt === undefined || domain.acceptedInExchangeAt <= now)
    .map((domain) => ({
      domainName: domain.id,
      domainType: types.get(domain.id)?.domainType ?? "Authoritative",
      isDefault: domain.isDefault,
      isInitial: domain.isInitial,
      matchSubDomains: types.get(domain.id)?.matchSubDomains ?? false,
    }));
}

export { domainOf };

/** `SMTP:a@b` → `a@b`; an address without a prefix is SMTP (Set-Mailbox doc). */
export function stripPrefix(proxy: string): string {
  const match = /^([a-z0-9]+):(.*)$/i.exec(proxy);
  return (match ? match[2] : proxy).toLowerCase();
}

export function isPrimaryProxy(proxy: string): boolean {
  return proxy.startsWith("SMTP:");
}

export function primaryAddress(recipient: Pick<RecipientRecord, "emailAddresses">): string {
  const primary = recipient.emailAddresses.find(isPrimaryProxy);
  return stripPrefix(primary ?? recipient.emailAddresses[0] ?? "");
}

/** A Workspace domain alias gives every user of its parent domain an address there. */
export function domainAliasAddresses(primaryEmail: string, domains: GoogleDomainRecord[]): string[] {
  const [local, domain] = primaryEmail.split("@");
  return domains.filter((entry) => entry.aliasOf === domain).map((entry) => `${local}@${entry.domainName}`);
}

export function verificationCode(): string {
  return `MS=ms${10_000_000 + (randomBytes(4).readUInt32BE() % 90_000_000)}`;
}

export function newRecipient(
  user: Pick<EntraUserRecord, "id" | "userPrincipalName" | "displayName">,
  type: RecipientRecord["recipientTypeDetails"],
  emailAddresses: string[],
): RecipientRecord {
  const alias = user.userPrincipalName.split("@")[0];
  return {
    guid: randomUUID(),
    name: alias,
    displayName: user.displayName,
    alias,
    recipientTypeDetails: type,
    emailAddresses,
    deliverToMailboxAndForward: false,
    microsoftOnlineServicesId: user.userPrincipalName,
    externalDirectoryObjectId: user.id,
    whenCreated: new Date().toISOString(),
  };
}

export function recipientOfUser(store: Store, tenantId: string, userId: string): RecipientRecord | undefined {
  const guid = store.ownerOf(tenantId, "recipientOf", userId);
  return guid ? store.get<RecipientRecord>(tenantId, "recipient", guid) : undefined;
}

export function saveRecipient(store: Store, tenantId: string, recipient: RecipientRecord): void {
  store.put(tenantId, "recipient", recipient.guid, recipient);
  store.releaseAll(tenantId, "proxy", recipient.guid);
  for (const proxy of recipient.emailAddresses) store.claim(tenantId, "proxy", stripPrefix(proxy), recipient.guid);
}

export function removeRecipient(store: Store, tenantId: string, recipient: RecipientRecord): void {
  store.delete(tenantId, "recipient", recipient.guid);
  store.releaseAll(tenantId, "proxy", recipient.guid);
  store.release(tenantId, "recipientOf", recipient.externalDirectoryObjectId);
  leaveGroups(store, tenantId, recipient.guid);
}

/** A removed recipient or group is no member of any group any more (the directory drops the link). */
export function leaveGroups(store: Store, tenantId: string, guid: string): void {
  for (const group of store.list<DistributionGroupRecord>(tenantId, "distributionGroup")) {
    if (group.members.includes(guid)) store.put(tenantId, "distributionGroup", group.guid, { ...group, members: group.members.filter((member) => member !== guid) });
  }
}

const EXCHANGE_PLAN = /^EXCHANGE_S_/;

/** Whether the user's licences include an enabled Exchange Online service plan. */
export function hasExchangePlan(assigned: EntraUserRecord["assignedLicenses"], skus: SkuRecord[]): boolean {
  return assigned.some((licence) => {
    const sku = skus.find((entry) => entry.skuId === licence.skuId);
    return (sku?.servicePlans ?? []).some((plan) => EXCHANGE_PLAN.test(plan.servicePlanName) && !licence.disabledPlans.includes(plan.servicePlanId));
  });
}

export interface PendingMailboxChange {
  tenantId: string;
  userId: string;
  dueAt: number;
  change: "create" | "remove";
}

/** Schedules the Exchange side of a licence change after the seed's conversion delay. */
export function scheduleMailboxChange(store: Store, tenantId: string, userId: string, change: PendingMailboxChange["change"], delaySeconds: number): void {
  const pending: PendingMailboxChange = { tenantId, userId, dueAt: Date.now() + delaySeconds * 1000, change };
  store.put(tenantId, "pendingMailboxChange", userId, pending);
}

export function cancelMailboxChange(store: Store, tenantId: string, userId: string): void {
  store.delete(tenantId, "pendingMailboxChange", userId);
}

/** Applies every licence → mailbox change that is due; called before each request is served. */
export function applyDueMailboxChanges(store: Store, tenant: TenantRecord, now = Date.now()): void {
  const due = store.list<PendingMailboxChange>(tenant.tenantId, "pendingMailboxChange").filter((pending) => pending.dueAt <= now);
  if (due.length === 0) return;
  store.transaction(() => {
    for (const pending of due) {
      store.delete(tenant.tenantId, "pendingMailboxChange", pending.userId);
      const user = store.get<EntraUserRecord>(tenant.tenantId, "user", pending.userId);
      if (!user) continue;
      const existing = recipientOfUser(store, tenant.tenantId, user.id);
      if (pending.change === "remove") {
        if (existing?.recipientTypeDetails === "UserMailbox") removeRecipient(store, tenant.tenantId, existing);
      } else {
        provisionMailbox(store, tenant, user, existing);
      }
    }
  });
}

/**
 * A licensed cloud user gets a mailbox: a MailUser is converted (its ExternalEmailAddress is
 * cleared; proxies outside accepted domains are dropped), a plain Entra user gets a new mailbox.
 * Either way the mailbox gets `alias@<initial domain>`, as Exchange Online stamps it.
 */
function provisionMailbox(store: Store, tenant: TenantRecord, user: EntraUserRecord, existing: RecipientRecord | undefined): void {
  if (existing?.recipientTypeDetails === "UserMailbox") return;
  const accepted = new Set(acceptedDomains(store, tenant.tenantId).map((domain) => domain.domainName));
  const mailbox = existing ?? newRecipient(user, "UserMailbox", []);
  const kept = mailbox.emailAddresses.filter((proxy) => accepted.has(domainOf(stripPrefix(proxy))));
  if (!kept.some(isPrimaryProxy)) {
    const primaryDomain = accepted.has(domainOf(user.userPrincipalName)) ? domainOf(user.userPrincipalName) : tenant.initialDomain;
    kept.unshift(`SMTP:${mailbox.alias}@${primaryDomain}`);
  }
  const initialAddress = `${mailbox.alias}@${tenant.initialDomain}`;
  const hasInitial = kept.some((proxy) => stripPrefix(proxy) === initialAddress);
  const initialOwner = store.ownerOf(tenant.tenantId, "proxy", initialAddress);
  if (!hasInitial && (initialOwner === undefined || initialOwner === mailbox.guid)) kept.push(`smtp:${initialAddress}`);
  const converted: RecipientRecord = { ...mailbox, recipientTypeDetails: "UserMailbox", emailAddresses: kept, externalEmailAddress: undefined };
  saveRecipient(store, tenant.tenantId, converted);
  store.claim(tenant.tenantId, "recipientOf", user.id, converted.guid);
}

/** Every directory object that references the domain (microsoft-graph.md §1.7). */
export function domainReferences(store: Store, tenantId: string, domain: string): string[] {
  const matches = (address: string | undefined): boolean => address !== undefined && domainOf(address) === domain;
  const users = store
    .list<EntraUserRecord>(tenantId, "user")
    .filter((user) => matches(user.userPrincipalName) || matches(user.mail))
    .map((user) => user.userPrincipalName);
  const recipients = [...store.list<RecipientRecord>(tenantId, "recipient"), ...store.list<DistributionGroupRecord>(tenantId, "distributionGroup")]
    .filter((recipient) => recipient.emailAddresses.some((proxy) => matches(stripPrefix(proxy))))
    .map((recipient) => primaryAddress(recipient));
  return [...new Set([...users, ...recipients])];
}
