/**
 * A recipient's other addresses (a mail user's Google aliases, a group's or contact's
 * `emailAddresses`) as Exchange proxy addresses. Exchange Online holds a proxy only on one of its
 * accepted domains (a domain verified in Microsoft 365 with Email); an address on any other domain
 * (e.g. a Google alias domain that stays at Google) is reported, never silently dropped. Pure, but
 * for `acceptedDomainNames`, which reads the accepted domains once per provider process.
 */
import { apis } from "../clients";
import { domainOf } from "../routing/addresses";

/** The bare, lower-cased SMTP addresses of Exchange proxies (`SMTP:a@b`, `smtp:a@b`; other types left out). */
export function smtpAddressesOf(proxies: readonly string[] | undefined): string[] {
  return (proxies ?? []).filter((proxy) => /^smtp:/i.test(proxy) || !proxy.includes(":")).map((proxy) => proxy.replace(/^smtp:/i, "").toLowerCase());
}

/** The addresses Exchange can hold (their domain is accepted) and those it cannot. */
export function splitByAcceptedDomain(addresses: readonly string[], accepted: ReadonlySet<string>): { routable: string[]; unroutable: string[] } {
  const routable: string[] = [];
  const unroutable: string[] = [];
  for (const address of addresses) (accepted.has(domainOf(address)) ? routable : unroutable).push(address.toLowerCase());
  return { routable, unroutable };
}

/** The proxies to add and remove (as `smtp:` secondaries), and the wanted addresses Exchange cannot hold. */
export interface ProxyChanges {
  add: string[];
  remove: string[];
  unroutable: string[];
}

/**
 * What to send so that the object holds the wanted addresses: each wanted address on an accepted
 * domain that the object lacks is added; an address this resource wanted before (`previous`) and
 * no longer does is removed. Any other proxy (one Exchange added itself, e.g. on the
 * onmicrosoft.com domain, or one an admin added) is left alone, and so is the primary address.
 */
export function proxyChanges(wanted: readonly string[], previous: readonly string[] | undefined, live: readonly string[], accepted: ReadonlySet<string>, primary?: string): ProxyChanges {
  const has = new Set(live.map((address) => address.toLowerCase()));
  const { routable, unroutable } = splitByAcceptedDomain(wanted, accepted);
  const wantedSet = new Set(wanted.map((address) => address.toLowerCase()));
  const keep = primary?.toLowerCase();
  return {
    add: routable.filter((address) => !has.has(address)).map((address) => `smtp:${address}`),
    remove: (previous ?? [])
      .map((address) => address.toLowerCase())
      .filter((address) => !wantedSet.has(address) && has.has(address) && address !== keep)
      .map((address) => `smtp:${address}`),
    unroutable,
  };
}

/**
 * Whether the wanted addresses differ from what the object held at the last read: a wanted address
 * it lacks that was not reported unroutable (a proxy someone removed) is drift.
 */
export function missingProxies(wanted: unknown, live: unknown, unroutable: unknown): string[] {
  if (!Array.isArray(wanted)) return [];
  const has = new Set(smtpAddressesOf(Array.isArray(live) ? live.map(String) : []));
  const reported = new Set(Array.isArray(unroutable) ? unroutable.map((address) => String(address).toLowerCase()) : []);
  return wanted.map((address) => String(address).toLowerCase()).filter((address) => !has.has(address) && !reported.has(address));
}

/** The note for addresses Exchange cannot hold, naming them, their domains and the fix. */
export function unroutableNote(subject: string, unroutable: readonly string[], output: string): string {
  const domains = [...new Set(unroutable.map(domainOf))].sort();
  return (
    `${subject}: ${unroutable.join(", ")} not added as proxy addresses: ${domains.join(", ")} ${domains.length === 1 ? "is not an accepted domain" : "are not accepted domains"} of Exchange Online ` +
    `(listed in the ${output} output). Mail from Microsoft 365 senders reaches these addresses only while their domain's MX points at Google. ` +
    `To carry them, verify the domain in Microsoft 365 with Email (a domain verified minutes ago may not be listed yet), then run pulumi refresh and pulumi up.`
  );
}

/** The accepted domains of Exchange Online, shared by the resources of one provider process. */
export function acceptedDomainNames(): Promise<ReadonlySet<string>> {
  return apis().snapshots.acceptedDomains();
}
