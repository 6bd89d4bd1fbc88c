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

/**
 * Google Groups: each member gets the message at its own address. A Workspace user by its primary
 * address (suspended users get nothing), a member outside the Workspace at its address (Gmail sends
 * it out by MX), a `CUSTOMER` member as every active user; members whose delivery setting is
 * `NONE` or `DISABLED` get nothing.
 */
export function expandGoogleGroup(index: TenantIndex, top: GoogleGroupState): Expansion {
  const expansion: Expansion = { copies: [], nested: [], skipped: [] };
  const byKey = new Map<string, MemberCopy>();
  const expanded = new Set([normalizeAddress(top.email)]);
  const queue: { group: GoogleGroupState; via: string[] }[] = [{ group: top, via: [] }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { group, via } = next;
    for (const member of group.members) {
      if (NO_DELIVERY.has(member.deliverySettings ?? "ALL_MAIL")) {
        expansion.skipped.push(`${member.email ?? "every user"} (delivery ${member.deliverySettings})`);
        continue;
      }
      const everyone = member.type === "CUSTOMER" || member.email === undefined;
      const addresses = everyone ? index.state.google.users.filter((user) => !user.suspended).map((user) => user.primaryEmail) : [member.email as string];
      for (const address of addresses.map(normalizeAddress)) {
        const inWorkspace = index.googleDomains.has(domainOf(address));
        const nested = inWorkspace ? index.googleGroups.get(address) : undefined;
        if (nested) {
          const email = normalizeAddress(nested.email);
          if (!expanded.has(email)) {
            expanded.add(email);
            expansion.nested.push(email);
            queue.push({ group: nested, via: [...via, email] });
          }
          continue;
        }
        const user = inWorkspace ? index.googleUsers.get(address) : undefined;
        const key = user ? normalizeAddress(user.primaryEmail) : address;
        if (user?.suspended) {
          if (!expansion.skipped.includes(`${key} (suspended)`)) expansion.skipped.push(`${key} (suspended)`);
          continue;
        }
        if (!byKey.has(key)) byKey.set(key, { address: key, via });
      }
    }
  }
  expansion.copies = [...byKey.values()];
  return expansion;
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
  const expansion: Expansion = { copies: [], nested: [], skipped: [] };
  const byKey = new Map<string, MemberCopy>();
  const expanded = new Set([normalizeAddress(top.primarySmtpAddress)]);
  const queue: { group: DistributionGroupState; via: string[] }[] = [{ group: top, via: [] }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { group, via } = next;
    for (const address of group.members.map(normalizeAddress)) {
      const nested = index.exchangeGroups.get(address);
      if (nested && (authenticated || !requiresSenderAuthentication(nested))) {
        const primary = normalizeAddress(nested.primarySmtpAddress);
        if (!expanded.has(primary)) {
          expanded.add(primary);
          expansion.nested.push(primary);
          queue.push({ group: nested, via: [...via, primary] });
        }
        continue;
      }
      const holder = nested ?? index.recipients.get(address);
      const key = holder ? normalizeAddress(holder.primarySmtpAddress) : address;
      if (!byKey.has(key)) byKey.set(key, { address: key, via });
    }
  }
  expansion.copies = [...byKey.values()];
  return expansion;
}
