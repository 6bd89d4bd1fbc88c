/**
 * `coexist snapshot --pseudonymize`: the snapshot with every person's and group's name and every
 * local part replaced by a pseudonym made with HMAC-SHA256 under a salt. The same input gives the
 * same pseudonym across the whole file (ben.adams@contoso.com and ben.adams@o365.contoso.com stay
 * one person), so membership, forwarding targets and the routing stay what they were; domains,
 * departments, connector and rule names are kept (they are the migration's structure, not people).
 * The salt decides whether the pseudonyms can be reversed: with the default one, anyone can try
 * likely names; a salt the admin keeps makes them one-way.
 */
import { createHmac } from "node:crypto";
import type { SnapshotSeed } from "./snapshotSeed";

export const DEFAULT_SALT = "coexist-snapshot";

/** Hex characters of a pseudonym: 40 bits, so that thousands of names meet no collision. */
const PSEUDONYM_LENGTH = 10;

export interface Pseudonyms {
  address(address: string): string;
  localPart(local: string): string;
  name(name: string): string;
}

/** Pseudonyms under `salt`; two different inputs that meet one pseudonym throw (never silently merged). */
export function pseudonyms(salt: string): Pseudonyms {
  const seen = new Map<string, string>();
  const make = (kind: string, text: string): string => {
    const digest = createHmac("sha256", salt).update(`${kind}:${text}`).digest("hex").slice(0, PSEUDONYM_LENGTH);
    const owner = seen.get(`${kind}:${digest}`);
    if (owner !== undefined && owner !== text) throw new Error(`pseudonyms of "${owner}" and "${text}" collide; choose another --salt`);
    seen.set(`${kind}:${digest}`, text);
    return digest;
  };
  const localPart = (local: string): string => (local === "" ? local : `u${make("local", local.toLowerCase())}`);
  return {
    localPart,
    address: (address) => {
      const at = address.lastIndexOf("@");
      return at < 0 ? address : `${localPart(address.slice(0, at))}${address.slice(at)}`;
    },
    name: (name) => (name === "" ? name : `N${make("name", name)}`),
  };
}

/** The snapshot with names and local parts replaced; everything else as it was. */
export function pseudonymizeSnapshot(seed: SnapshotSeed, salt: string): SnapshotSeed {
  const p = pseudonyms(salt);
  const addresses = (list: string[]): string[] => list.map(p.address);
  const optional = (address: string | undefined): string | undefined => (address === undefined ? undefined : p.address(address));
  return {
    ...seed,
    microsoft: seed.microsoft.map((tenant) => ({
      ...tenant,
      users: tenant.users.map((user) => ({ ...user, userPrincipalName: p.address(user.userPrincipalName), displayName: p.name(user.displayName) })),
      exchange: {
        ...tenant.exchange,
        transportRules: tenant.exchange.transportRules.map((rule) => ({ ...rule, sentTo: addresses(rule.sentTo) })),
        recipients: tenant.exchange.recipients.map((recipient) => ({
          ...recipient,
          name: p.name(recipient.name),
          displayName: p.name(recipient.displayName),
          alias: recipient.alias === undefined ? undefined : p.localPart(recipient.alias),
          userPrincipalName: optional(recipient.userPrincipalName),
          primarySmtpAddress: p.address(recipient.primarySmtpAddress),
          emailAddresses: addresses(recipient.emailAddresses),
          externalEmailAddress: optional(recipient.externalEmailAddress),
          forwardingSmtpAddress: optional(recipient.forwardingSmtpAddress),
        })),
        distributionGroups: tenant.exchange.distributionGroups.map((group) => ({
          ...group,
          name: p.name(group.name),
          displayName: p.name(group.displayName),
          alias: group.alias === undefined ? undefined : p.localPart(group.alias),
          primarySmtpAddress: p.address(group.primarySmtpAddress),
          emailAddresses: addresses(group.emailAddresses),
          members: addresses(group.members),
        })),
      },
    })),
    google: {
      ...seed.google,
      admins: addresses(seed.google.admins),
      users: seed.google.users.map((user) => ({
        ...user,
        primaryEmail: p.address(user.primaryEmail),
        givenName: p.name(user.givenName),
        familyName: p.name(user.familyName),
        aliases: addresses(user.aliases ?? []),
        autoForwarding: user.autoForwarding === undefined ? undefined : { ...user.autoForwarding, emailAddress: p.address(user.autoForwarding.emailAddress) },
      })),
      groups: seed.google.groups.map((group) => ({
        ...group,
        email: p.address(group.email),
        name: p.name(group.name),
        description: p.name(group.description),
        aliases: addresses(group.aliases),
        members: group.members.map((member) => (member.email === undefined ? member : { ...member, email: p.address(member.email) })),
      })),
    },
  };
}
