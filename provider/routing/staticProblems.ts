import { domainOf, isSubdomainOf, microsoftMxHost, normalizeAddress, systemForHost } from "./addresses";
import { connectorToGoogleFix, GOOGLE_SMART_HOST, smartHostFix } from "./fixes";
import { ROUTING_RULES, type RoutingProblem } from "./rules";
import type { TenantIndex } from "./tenantIndex";
import type { TenantState } from "./types";

/** The checks that need no message: they read the tenant state itself. */
export function staticProblems(index: TenantIndex): RoutingProblem[] {
  return [...keptCopyProblems(index.state), ...internalRelayConnectorProblems(index), ...routingAddressProblems(index), ...mailUserTargetProblems(index)];
}

/** F8: Gmail's copy of forwarded mail is copied again by the data migration. */
function keptCopyProblems(state: TenantState): RoutingProblem[] {
  const byDisposition = new Map<string, { users: string[]; targets: string[] }>();
  for (const user of state.google.users) {
    const forwarding = user.autoForwarding;
    if (!forwarding?.enabled || forwarding.disposition === "trash") continue;
    const group = byDisposition.get(forwarding.disposition) ?? { users: [], targets: [] };
    group.users.push(normalizeAddress(user.primaryEmail));
    group.targets.push(`${normalizeAddress(user.primaryEmail)} → ${normalizeAddress(forwarding.emailAddress)}`);
    byDisposition.set(forwarding.disposition, group);
  }
  return [...byDisposition].map(([disposition, { users, targets }]) => ({
    severity: "advisory",
    rule: ROUTING_RULES.keptCopy,
    users,
    message: `Gmail keeps a copy (${disposition}) of every message it forwards (${targets.join(", ")}): the data migration copies these messages again, as duplicates`,
    fix: `set the forwarding disposition to trash for ${users.join(", ")} (Gmail settings.updateAutoForwarding)`,
  }));
}

/** mail-routing.md §1.1: an InternalRelay domain needs a connector to Google, or mail loops once the MX moves. */
function internalRelayConnectorProblems(index: TenantIndex): RoutingProblem[] {
  const problems: RoutingProblem[] = [];
  for (const [domain, type] of index.acceptedDomains) {
    if (type !== "InternalRelay") continue;
    const selection = index.selectConnector(domain, []);
    const connector = selection?.connector;
    const smartHost = connector?.smartHosts[0];
    if (connector && !connector.useMxRecord && smartHost !== undefined && systemForHost(smartHost) === "google") continue;
    const consequence = `Exchange Online follows the MX of ${domain} for addresses it does not hold; once that MX points to Microsoft 365 the mail loops (554 5.4.14)`;
    const problem = (message: string, fix: string): RoutingProblem => ({
      severity: "mandatory",
      rule: ROUTING_RULES.internalRelayWithoutConnector,
      users: [],
      message,
      fix,
    });
    if (connector === undefined) {
      problems.push(problem(`${domain} is an InternalRelay domain but no enabled outbound connector routes it to Google: ${consequence}`, connectorToGoogleFix(domain)));
    } else if (connector.useMxRecord || smartHost === undefined) {
      problems.push(problem(`outbound connector ${connector.name} for the InternalRelay domain ${domain} delivers by MX: ${consequence}`, smartHostFix(connector.name)));
    } else {
      problems.push(problem(`outbound connector ${connector.name} sends the InternalRelay domain ${domain} to ${smartHost}, which is not Google`, `set SmartHosts ${GOOGLE_SMART_HOST} on outbound connector ${connector.name}`));
    }
  }
  return problems;
}

/** Routing addresses (Gmail forwarding targets, Exchange proxy addresses) on domains Exchange Online does not accept. */
function routingAddressProblems(index: TenantIndex): RoutingProblem[] {
  const ownDomains = [...index.acceptedDomains.keys(), ...index.googleDomains];
  const isOwnSubdomain = (domain: string) => ownDomains.some((own) => isSubdomainOf(domain, own));
  const notAccepted = (domain: string) =>
    !index.acceptedDomains.has(domain) && !index.googleDomains.has(domain) && !domain.endsWith(".onmicrosoft.com");
  const forwardTargets = groupByDomain(
    index.state.google.users.flatMap((user) => {
      const forwarding = user.autoForwarding;
      if (!forwarding?.enabled) return [];
      const target = normalizeAddress(forwarding.emailAddress);
      return notAccepted(domainOf(target)) && isOwnSubdomain(domainOf(target)) ? [{ user: normalizeAddress(user.primaryEmail), address: target }] : [];
    }),
  );
  // A mail contact's own address is its external address, outside the tenant by nature.
  const ownedProxies = [...index.state.exchange.recipients, ...(index.state.exchange.distributionGroups ?? [])].map((holder) => ({
    holder,
    external: "recipientTypeDetails" in holder && holder.recipientTypeDetails === "MailContact" ? normalizeAddress(holder.externalEmailAddress ?? "") : undefined,
  }));
  const proxies = groupByDomain(
    ownedProxies.flatMap(({ holder, external }) =>
      holder.emailAddresses
        .map(normalizeAddress)
        .filter((address) => address !== external && notAccepted(domainOf(address)))
        .map((address) => ({ user: normalizeAddress(holder.primarySmtpAddress), address })),
    ),
  );
  const acceptFix = (domain: string) =>
    `add ${domain} as an accepted domain of Exchange Online (Authoritative) with MX 0 ${microsoftMxHost(domain)}`;
  return [
    ...[...forwardTargets].map(([domain, entries]): RoutingProblem => ({
      severity: "mandatory",
      rule: ROUTING_RULES.routingAddressNotAccepted,
      users: entries.map((entry) => entry.user),
      message: `Gmail forwards to ${domain}, which is not an accepted domain of Exchange Online (${entries.map((e) => `${e.user} → ${e.address}`).join(", ")}): EOP refuses it with 550 5.4.1 Relay Access Denied`,
      fix: `${acceptFix(domain)}, or change these forwarding targets`,
    })),
    ...[...proxies].map(([domain, entries]): RoutingProblem => ({
      severity: "mandatory",
      rule: ROUTING_RULES.routingAddressNotAccepted,
      users: [...new Set(entries.map((entry) => entry.user))],
      message: `Exchange recipients have proxy addresses in ${domain}, which is not an accepted domain (${entries.map((e) => e.address).join(", ")}): licensing replaces them with onmicrosoft.com addresses and mail to them does not reach Exchange Online`,
      fix: `${acceptFix(domain)} before licensing, or remove these proxy addresses`,
    })),
  ];
}

function groupByDomain<T extends { address: string }>(entries: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const entry of entries) {
    const domain = domainOf(entry.address);
    const group = groups.get(domain);
    if (group) group.push(entry);
    else groups.set(domain, [entry]);
  }
  return groups;
}

/** mail-routing.md §1.2: a mail user (or contact) redirecting to another recipient's or group's proxy is unverified behaviour. */
function mailUserTargetProblems(index: TenantIndex): RoutingProblem[] {
  return index.state.exchange.recipients.flatMap((recipient): RoutingProblem[] => {
    if (recipient.recipientTypeDetails === "UserMailbox" || !recipient.externalEmailAddress) return [];
    const target = normalizeAddress(recipient.externalEmailAddress);
    const holder = index.recipients.get(target) ?? index.exchangeGroups.get(target);
    if (holder === undefined || holder === recipient) return [];
    const mailUser = normalizeAddress(recipient.primarySmtpAddress);
    const other = normalizeAddress(holder.primarySmtpAddress);
    const kind = recipient.recipientTypeDetails === "MailContact" ? "mail contact" : "mail user";
    return [
      {
        severity: "mandatory",
        rule: ROUTING_RULES.mailUserTargetsRecipient,
        users: [mailUser, other],
        message: `${kind} ${mailUser} redirects to ${target}, a proxy address of ${other}: Exchange Online's handling of this is not defined`,
        fix: `set the ExternalEmailAddress of ${mailUser} to its own address in Google (${mailUser} or its Google routing address), or remove ${target} from ${other}`,
      },
    ];
  });
}
