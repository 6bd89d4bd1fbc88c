import { domainOf, normalizeAddress } from "./addresses";
import type { TenantIndex } from "./tenantIndex";
import type { DistributionGroupState, GoogleGroupState } from "./types";

/** One copy a group expansion makes: the member's address, and the nested groups it was reached through. */
export interface MemberCopy {
  address: string;
  via: string[];
}

/**
 * What one expansion does in one system: a copy per distinct member (a member reached through
 * several nested groups gets one copy; a nested group already expanded is not expanded again, so
 * membership cycles end), the nested groups it went through, and the members it gave no copy to.
 */
export interface Expansion {
  copies: MemberCopy[];
  nested: string[];
  skipped: string[];
}

const NO_DELIVERY = new Set(["NONE", "DISABLED"]);

/** How one system reads its groups, for `walk`. */
interface GroupReader<G> {
  /** The addresses of a group's members (members that get nothing are noted as skipped). */
  members(group: G, expansion: Expansion): string[];
  /** The nested group an address is, to expand in the same pass. */
  nested(address: string): { key: string; group: G } | undefined;
  /** What the copy for a member address is keyed by (its mailbox), or undefined when it gets no copy. */
  copyKey(address: string, expansion: Expansion): string | undefined;
}

/** Breadth-first through nested groups, each expanded once; one copy per key, reached by the shortest chain. */
function walk<G>(topKey: string, top: G, reader: GroupReader<G>): Expansion {
  const expansion: Expansion = { copies: [], nested: [], skipped: [] };
  const byKey = new Map<string, MemberCopy>();
  const expanded = new Set([topKey]);
  const queue: { group: G; via: string[] }[] = [{ group: top, via: [] }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { group, via } = next;
    for (const address of reader.members(group, expansion)) {
      const nested = reader.nested(address);
      if (nested) {
        if (!expanded.has(nested.key)) {
          expanded.add(nested.key);
          expansion.nested.push(nested.key);
          queue.push({ group: nested.group, via: [...via, nested.key] });
        }
        continue;
      }
      const key = reader.copyKey(address, expansion);
      if (key !== undefined && !byKey.has(key)) byKey.set(key, { address: key, via });
    }
  }
  expansion.copies = [...byKey.values()];
  return expansion;
}

/**
 * Google Groups: each member gets the message at its own address. A Workspace user by its primary
 * address (suspended users get nothing), a member outside the Workspace at its address (Gmail sends
 * it out by MX), a `CUSTOMER` member as every active user; members whose delivery setting is
 * `NONE` or `DISABLED` get nothing.
 */
export function expandGoogleGroup(index: TenantIndex, top: GoogleGroupState): Expansion {
  const inWorkspace = (address: string) => index.googleDomains.has(domainOf(address));
  return walk(normalizeAddress(top.email), top, {
    members: (group, expansion) =>
      group.members.flatMap((member) => {
        if (NO_DELIVERY.has(member.deliverySettings ?? "ALL_MAIL")) {
          expansion.skipped.push(`${member.email ?? "every user"} (delivery ${member.deliverySettings})`);
          return [];
        }
        const everyone = member.type === "CUSTOMER" || member.email === undefined;
        return (everyone ? index.state.google.users.filter((user) => !user.suspended).map((user) => user.primaryEmail) : [member.email as string]).map(normalizeAddress);
      }),
    nested: (address) => {
      const group = inWorkspace(address) ? index.googleGroups.get(address) : undefined;
      return group && { key: normalizeAddress(group.email), group };
    },
    copyKey: (address, expansion) => {
      const user = inWorkspace(address) ? index.googleUsers.get(address) : undefined;
      const key = user ? normalizeAddress(user.primaryEmail) : address;
      if (!user?.suspended) return key;
      if (!expansion.skipped.includes(`${key} (suspended)`)) expansion.skipped.push(`${key} (suspended)`);
      return undefined;
    },
  });
}

/** Whether an Exchange group refuses messages that arrived by SMTP (New-DistributionGroup's default: yes). */
export function requiresSenderAuthentication(group: DistributionGroupState): boolean {
  return group.requireSenderAuthenticationEnabled !== false;
}

/**
 * Exchange distribution groups: each member recipient gets a copy at its primary address, once.
 * A nested group that refuses the message (sender not authenticated) is not expanded: its copy
 * goes to the group itself, whose resolution refuses it.
 */
export function expandExchangeGroup(index: TenantIndex, top: DistributionGroupState, authenticated: boolean): Expansion {
  return walk(normalizeAddress(top.primarySmtpAddress), top, {
    members: (group) => group.members.map(normalizeAddress),
    nested: (address) => {
      const group = index.exchangeGroups.get(address);
      return group && (authenticated || !requiresSenderAuthentication(group)) ? { key: normalizeAddress(group.primarySmtpAddress), group } : undefined;
    },
    copyKey: (address) => {
      const holder = index.exchangeGroups.get(address) ?? index.recipients.get(address);
      return holder ? normalizeAddress(holder.primarySmtpAddress) : address;
    },
  });
}
