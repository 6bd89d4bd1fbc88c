import { domainOf, isSubdomainOf, microsoftMxHost, normalizeAddress, systemForHost } from "./addresses";
import type { RouteStep, RoutingEvent } from "./events";
import { createRouter, type MessageOrigin, type RoutingOptions, type Trace } from "./model";
import type { TenantIndex } from "./tenantIndex";
import type { Origin, Route, System, TenantState } from "./types";

export type Severity = "mandatory" | "advisory";

export interface RoutingProblem {
  /** `mandatory`: mail is lost, bounced or looping (or will be at the next step); `advisory`: it works with a cost. */
  severity: Severity;
  /** Stable identifier of the check, e.g. `mail-loop`. */
  rule: string;
  /** The users concerned (addresses); empty for a tenant-wide problem. */
  users: string[];
  message: string;
  /** What an admin changes to solve it. */
  fix: string;
  /** For problems found by routing a message: where it started, and its route. */
  origin?: MessageOrigin;
  route?: Route;
}

export const ROUTING_RULES = {
  loop: "mail-loop",
  bounce: "bounce",
  keptCopy: "gmail-forwarding-keeps-copy",
  internalRelayWithoutConnector: "internal-relay-without-connector",
  routingAddressNotAccepted: "routing-address-domain-not-accepted",
  mailUserTargetsRecipient: "mail-user-targets-exchange-recipient",
} as const;

/**
 * Routes a message to every known user (Google users and Exchange recipients, or the given ones)
 * from the Internet, from a Google user and from a Microsoft 365 mailbox, and reports every loop
 * and bounce with a fix; adds the checks that need no message. The sender within an origin does
 * not change a route, so one sender per origin stands for all.
 */
export function findRoutingProblems(
  state: TenantState,
  users?: readonly (string | { email: string })[],
  options?: RoutingOptions,
): RoutingProblem[] {
  const router = createRouter(state, options);
  const { index } = router;
  const recipients = users === undefined ? knownUsers(state) : users.map((u) => normalizeAddress(typeof u === "string" ? u : u.email));
  const origins = senders(state);
  const problems: RoutingProblem[] = [];
  for (const user of recipients) {
    for (const origin of origins) {
      const problem = routeProblem(index, user, origin, router.trace(origin, user));
      if (problem) problems.push(problem);
    }
  }
  const concerned = users === undefined ? undefined : new Set(recipients);
  const staticProblems = [
    ...keptCopyProblems(state),
    ...internalRelayConnectorProblems(index),
    ...routingAddressProblems(index),
    ...mailUserTargetProblems(index),
  ].filter((problem) => concerned === undefined || problem.users.length === 0 || problem.users.some((u) => concerned.has(u)));
  return [...problems, ...staticProblems];
}

function knownUsers(state: TenantState): string[] {
  const addresses = [
    ...state.google.users.map((user) => user.primaryEmail),
    ...state.exchange.recipients.map((recipient) => recipient.primarySmtpAddress),
  ];
  return [...new Set(addresses.map(normalizeAddress))];
}

function senders(state: TenantState): MessageOrigin[] {
  const googleSender = state.google.users.find((user) => !user.suspended);
  const mailbox = state.exchange.recipients.find((recipient) => recipient.recipientTypeDetails === "UserMailbox");
  const origins: MessageOrigin[] = [{ from: "internet" }];
  if (googleSender) origins.push({ from: "google", address: normalizeAddress(googleSender.primaryEmail) });
  if (mailbox) origins.push({ from: "m365", address: normalizeAddress(mailbox.primarySmtpAddress) });
  return origins;
}

const ORIGIN_NAMES: Record<Origin, string> = {
  internet: "the Internet",
  google: "a Google Workspace user",
  m365: "a Microsoft 365 mailbox",
};

const SYSTEM_NAMES: Record<System, string> = {
  internet: "the sending server",
  google: "Gmail",
  exchange: "Exchange Online",
};

function routeProblem(index: TenantIndex, user: string, origin: MessageOrigin, trace: Trace): RoutingProblem | undefined {
  const { disposition } = trace.route;
  if (disposition.kind === "delivered") return undefined;
  const isLoop = disposition.kind === "loop";
  return {
    severity: "mandatory",
    rule: isLoop ? ROUTING_RULES.loop : ROUTING_RULES.bounce,
    users: [user],
    message: `mail from ${ORIGIN_NAMES[origin.from]} to ${user} ${isLoop ? "loops" : "bounces"}: ${disposition.code} ${
      disposition.reason
    } (from ${SYSTEM_NAMES[disposition.system]}, after ${trace.route.hops.length} hops)`,
    fix: isLoop ? loopFix(trace.steps) : bounceFix(index, trace.steps),
    origin,
    route: trace.route,
  };
}

type EventOf<K extends RoutingEvent["kind"]> = Extract<RoutingEvent, { kind: K }>;

function eventsOf<K extends RoutingEvent["kind"]>(steps: readonly RouteStep[], kind: K): EventOf<K>[] {
  return steps.flatMap((step) => (step.event.kind === kind ? [step.event as EventOf<K>] : []));
}

function uniqueText(items: string[]): string {
  return [...new Set(items)].join(", ");
}

const GOOGLE_SMART_HOST = "smtp.google.com";

function connectorToGoogleFix(domain: string): string {
  return `create an enabled outbound connector with RecipientDomains ${domain}, SmartHosts ${GOOGLE_SMART_HOST} and UseMXRecord $false`;
}

function smartHostFix(connector: string): string {
  return `set UseMXRecord $false and SmartHosts ${GOOGLE_SMART_HOST} on outbound connector ${connector}`;
}

/** What sends the message round, from the events of its route. */
export function loopFix(steps: readonly RouteStep[]): string {
  const gmailForwards = eventsOf(steps, "gmailForward");
  const mailUserRedirects = eventsOf(steps, "mailUserRedirect");
  const mailboxForwards = eventsOf(steps, "mailboxForward");
  // F1 and F9: Gmail forwards to an address whose Exchange object sends the message back.
  const forwardsSoFar: EventOf<"gmailForward">[] = [];
  for (const step of steps) {
    if (step.event.kind === "gmailForward") forwardsSoFar.push(step.event);
    const gmailForward = forwardsSoFar.find((forward) => forward.target === step.recipient);
    if (gmailForward === undefined) continue;
    if (step.event.kind === "mailUserRedirect") {
      return `license ${step.event.mailUser} (make the mail user a mailbox) before Google forwards to ${gmailForward.target}, or remove the Gmail forwarding of ${gmailForward.mailbox}`;
    }
    if (step.event.kind === "mailboxForward") {
      return `remove the ForwardingSmtpAddress ${step.event.target} of mailbox ${step.event.mailbox}, or the Gmail forwarding of ${gmailForward.mailbox} to ${gmailForward.target}: forward in one direction only`;
    }
  }
  const backIntoExchange = steps.find(
    (step) => step.system === "exchange" && step.event.kind === "mxLookup" && step.event.reaches === "exchange",
  );
  if (backIntoExchange) {
    const domain = domainOf(backIntoExchange.recipient);
    const [mxConnector] = eventsOf(steps, "connector").filter((event) => event.smartHost === undefined);
    const cause = `the MX of ${domain} points back to Exchange Online`;
    return mxConnector ? `${smartHostFix(mxConnector.name)}: ${cause}` : `${connectorToGoogleFix(domain)}: ${cause}`;
  }
  if (gmailForwards.length > 0) {
    return `remove one of the Gmail forwardings that send the message round: ${uniqueText(
      gmailForwards.map((event) => `${event.mailbox} → ${event.target}`),
    )}`;
  }
  const redirects = [
    ...mailUserRedirects.map((event) => `mail user ${event.mailUser} → ${event.target}`),
    ...mailboxForwards.map((event) => `mailbox ${event.mailbox} → ${event.target}`),
  ];
  if (redirects.length > 0) return `change one of the redirects that send the message round: ${uniqueText(redirects)}`;
  return `break the loop between ${uniqueText(steps.map((step) => step.system))}: see the route`;
}

/** What to change so that the bounced message arrives, from the step that bounced it. */
export function bounceFix(index: TenantIndex, steps: readonly RouteStep[]): string {
  const bounced = [...steps].reverse().find((step) => step.event.kind !== "bounceToForwarder");
  if (bounced === undefined) return "see the route";
  const address = bounced.recipient;
  const domain = domainOf(address);
  const forward = eventsOf(steps, "gmailForward").find((event) => event.target === address);
  const orForwarding = forward ? `, or change the Gmail forwarding of ${forward.mailbox}` : "";
  const event = bounced.event;
  switch (event.kind) {
    case "edgeBlocked":
      return forward
        ? `add ${address} as a proxy address of ${forward.mailbox}'s Exchange object and license it as a mailbox${orForwarding}`
        : `create an Exchange recipient for ${address}, or set ${domain} to InternalRelay with an outbound connector to Google while the address exists only in Google`;
    case "recipientNotFound":
      return `create an Exchange recipient for ${address} (a mail user pointing to Google while the user is still there), or set ${domain} to InternalRelay with an outbound connector to Google`;
    case "mailUserWithoutTarget":
      return `set the ExternalEmailAddress of mail user ${event.mailUser}`;
    case "relayDenied":
      return `add ${domain} as an accepted domain of Exchange Online (Authoritative), or point its MX elsewhere${orForwarding}`;
    case "noMx":
      return `${mxFix(index, domain)}${orForwarding}`;
    case "nullMx":
      return `${domain} accepts no mail (null MX): correct the address ${address}${orForwarding}`;
    case "gmailUnknownAddress":
      return gmailUnknownFix(index, steps, address);
    case "gmailSuspended":
      return `reactivate the Google account ${event.mailbox} (a suspended account bounces and forwards nothing), or move its addresses to an active user`;
    case "connectorWithoutHost":
      return `give outbound connector ${event.name} a smart host, or set UseMXRecord $true`;
    default:
      return "see the route";
  }
}

function mxFix(index: TenantIndex, domain: string): string {
  if (index.acceptedDomains.has(domain)) {
    return `publish the MX record of ${domain}: 0 ${microsoftMxHost(domain)}`;
  }
  if (index.googleDomains.has(domain)) return `publish the MX record of ${domain}: 1 ${GOOGLE_SMART_HOST}`;
  return `${domain} has no MX record: publish one or correct the address`;
}

function gmailUnknownFix(index: TenantIndex, steps: readonly RouteStep[], address: string): string {
  const exchangeRecipient = index.recipients.get(address);
  if (exchangeRecipient && steps.every((step) => step.system === "google")) {
    return `${address} exists in Exchange Online, but Google delivers ${domainOf(address)} internally and has no user for it: keep its Google account with forwarding to its routing address, or add a Gmail routing rule that sends unrecognised internal recipients to Microsoft 365`;
  }
  if (eventsOf(steps, "relayedUnknown").length > 0) {
    return `${address} has neither an Exchange recipient nor a Google user or alias: create it where the user lives (a Google user plus an Exchange mail user), or correct the address`;
  }
  return `create a Google user or alias for ${address}, or correct the address`;
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
  const proxies = groupByDomain(
    index.state.exchange.recipients.flatMap((recipient) =>
      recipient.emailAddresses
        .map(normalizeAddress)
        .filter((address) => notAccepted(domainOf(address)))
        .map((address) => ({ user: normalizeAddress(recipient.primarySmtpAddress), address })),
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

/** mail-routing.md §1.2: a mail user redirecting to another recipient's proxy is unverified behaviour. */
function mailUserTargetProblems(index: TenantIndex): RoutingProblem[] {
  return index.state.exchange.recipients.flatMap((recipient): RoutingProblem[] => {
    if (recipient.recipientTypeDetails !== "MailUser" || !recipient.externalEmailAddress) return [];
    const target = normalizeAddress(recipient.externalEmailAddress);
    const holder = index.recipients.get(target);
    if (holder === undefined || holder === recipient) return [];
    const mailUser = normalizeAddress(recipient.primarySmtpAddress);
    const other = normalizeAddress(holder.primarySmtpAddress);
    return [
      {
        severity: "mandatory",
        rule: ROUTING_RULES.mailUserTargetsRecipient,
        users: [mailUser, other],
        message: `mail user ${mailUser} redirects to ${target}, a proxy address of ${other}: Exchange Online's handling of this is not defined`,
        fix: `set the ExternalEmailAddress of ${mailUser} to its own address in Google (${mailUser} or its Google routing address), or remove ${target} from ${other}`,
      },
    ];
  });
}
