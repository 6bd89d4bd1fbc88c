/**
 * Google Groups as the Workspace holds them: each group's addresses (its email, its aliases, and an
 * address at every alias domain of its domain) share the Workspace's address space with users, and
 * its members are read as Google reads them: a member on a Workspace domain that no live user or
 * group holds (a deleted user) is no member.
 */
import { domainOf } from "pulumi-mail-coexistence/routing/addresses";
import { domainAliasAddresses } from "./directory";
import type { GoogleDomainRecord, GoogleGroupRecord, GoogleMemberRecord } from "./records";
import { GOOGLE_SCOPE, type Store } from "./store";

const GROUP_OWNER = "group:";

/** The group an address (email, alias or alias-domain address) belongs to. */
export function findGoogleGroup(store: Store, address: string): GoogleGroupRecord | undefined {
  const owner = store.ownerOf(GOOGLE_SCOPE, "googleAddress", address);
  return owner?.startsWith(GROUP_OWNER) ? store.get<GoogleGroupRecord>(GOOGLE_SCOPE, "googleGroup", owner.slice(GROUP_OWNER.length)) : undefined;
}

/** A group by address or id (groupKey). */
export function findGoogleGroupByKey(store: Store, key: string): GoogleGroupRecord | undefined {
  return findGoogleGroup(store, key.toLowerCase()) ?? store.list<GoogleGroupRecord>(GOOGLE_SCOPE, "googleGroup").find((group) => group.id === key);
}

export function groupAliasDomainAddresses(group: GoogleGroupRecord, domains: GoogleDomainRecord[]): string[] {
  return domainAliasAddresses(group.email, domains);
}

/** Puts a group into the Workspace with its addresses; the first address already taken is returned instead (nothing is written then). */
export function placeGoogleGroup(store: Store, group: GoogleGroupRecord, domains: GoogleDomainRecord[]): string | undefined {
  const owner = `${GROUP_OWNER}${group.email}`;
  const wanted = [group.email, ...group.aliases, ...groupAliasDomainAddresses(group, domains)];
  const taken = wanted.find((address) => {
    const current = store.ownerOf(GOOGLE_SCOPE, "googleAddress", address);
    return current !== undefined && current !== owner;
  });
  if (taken) return taken;
  store.put(GOOGLE_SCOPE, "googleGroup", group.email, group);
  for (const address of wanted) store.claim(GOOGLE_SCOPE, "googleAddress", address, owner);
  return undefined;
}

/** Whether an address belongs to a live user or group of the Workspace. */
function holdsAddress(store: Store, address: string): boolean {
  return store.ownerOf(GOOGLE_SCOPE, "googleAddress", address) !== undefined;
}

/** The group's members as Google lists them: deleted users have left it. */
export function liveMembers(store: Store, group: GoogleGroupRecord, domains: GoogleDomainRecord[]): GoogleMemberRecord[] {
  const workspace = new Set(domains.map((domain) => domain.domainName));
  return group.members.filter((member) => member.email === undefined || !workspace.has(domainOf(member.email)) || holdsAddress(store, member.email));
}
