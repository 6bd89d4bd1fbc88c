import { normalizeAddress } from "./addresses";
import type { TenantState } from "./types";

/**
 * What an address is. Google: a user's primary address, one of its aliases, one of its addresses
 * at an alias domain; a group's address, alias or alias-domain address. Exchange Online only (no
 * Google address): a recipient's primary address, a distribution group's primary address.
 */
export type AddressKind = "user" | "user alias" | "alias-domain address" | "group" | "group alias" | "recipient" | "distribution group";

export interface TenantAddress {
  address: string;
  kind: AddressKind;
  /** The primary address of the user or group it belongs to (itself for a primary address). */
  owner: string;
}

/** In words, for messages: `user alias of alice@contoso.com`, `group`, `alias-domain address of sales@contoso.com`. */
export function describeAddress(entry: TenantAddress): string {
  return entry.address === entry.owner ? entry.kind : `${entry.kind} of ${entry.owner}`;
}

/** Every address at which the Google tenant receives mail, with its kind; each address once (the first owner wins). */
export function googleAddresses(state: TenantState): TenantAddress[] {
  const entries = new Map<string, TenantAddress>();
  const add = (address: string, kind: AddressKind, owner: string) => {
    const key = normalizeAddress(address);
    if (!entries.has(key)) entries.set(key, { address: key, kind, owner: normalizeAddress(owner) });
  };
  for (const user of state.google.users) {
    add(user.primaryEmail, "user", user.primaryEmail);
    for (const alias of user.aliases) add(alias, "user alias", user.primaryEmail);
    for (const alias of user.nonEditableAliases ?? []) add(alias, "alias-domain address", user.primaryEmail);
  }
  for (const group of state.google.groups ?? []) {
    add(group.email, "group", group.email);
    for (const alias of group.aliases) add(alias, "group alias", group.email);
    for (const alias of group.nonEditableAliases ?? []) add(alias, "alias-domain address", group.email);
  }
  return [...entries.values()];
}

/**
 * Every address of `googleAddresses`, then the primary addresses of the Exchange Online recipients
 * and distribution groups that Google does not have.
 */
export function tenantAddresses(state: TenantState): TenantAddress[] {
  const google = googleAddresses(state);
  const known = new Set(google.map((entry) => entry.address));
  const exchange: TenantAddress[] = [];
  const add = (address: string, kind: AddressKind) => {
    const key = normalizeAddress(address);
    if (known.has(key)) return;
    known.add(key);
    exchange.push({ address: key, kind, owner: key });
  };
  for (const recipient of state.exchange.recipients) add(recipient.primarySmtpAddress, "recipient");
  for (const group of state.exchange.distributionGroups ?? []) add(group.primarySmtpAddress, "distribution group");
  return [...google, ...exchange];
}
