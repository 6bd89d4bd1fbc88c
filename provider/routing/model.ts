import {
  domainOf,
  gmailForwardEnvelopeSender,
  isAddress,
  isNullMx,
  normalizeAddress,
  systemForHost,
} from "./addresses";
import { describeEvent, type RouteStep, type RoutingEvent } from "./events";
import { expandExchangeGroup, expandGoogleGroup, requiresSenderAuthentication, type Expansion, type MemberCopy } from "./groups";
import { indexTenant, type TenantIndex } from "./tenantIndex";
import type { DistributionGroupState, FinalDisposition, GoogleGroupState, Hop, Origin, RecipientState, Route, System, TenantState } from "./types";

/**
 * Loop limits. Neither system publishes how many `Received:` headers one pass adds or at how many
 * it stops, so these are parameters (defaults and their sources: docs/routing-model.md).
 */
export interface RoutingOptions {
  /** `Received:` headers one pass through Gmail adds. Default 1. */
  gmailReceivedHeadersPerPass?: number;
  /** Gmail stops a message whose `Received:` headers would exceed this: `554 5.4.6`. Default 50. */
  gmailMaxHops?: number;
  /** `Received:` headers one pass through EOP/Exchange Online adds (front door, hub, mailbox). Default 3. */
  exchangeReceivedHeadersPerPass?: number;
  /** Exchange Online stops a message whose `Received:` headers would exceed this: `554 5.4.14`. Default 30. */
  exchangeMaxHopCount?: number;
  /** Mail-user redirects and mailbox forwards one message may take in the tenant (`X-LD-Processed`). Default 3. */
  exchangeRedirectLimit?: number;
}

export const DEFAULT_ROUTING_OPTIONS: Readonly<Required<RoutingOptions>> = {
  gmailReceivedHeadersPerPass: 1,
  gmailMaxHops: 50,
  exchangeReceivedHeadersPerPass: 3,
  exchangeMaxHopCount: 30,
  exchangeRedirectLimit: 3,
};

const MAX_OPTION_VALUE = 10_000;

export function resolveRoutingOptions(options: RoutingOptions = {}): Required<RoutingOptions> {
  const resolved: Required<RoutingOptions> = { ...DEFAULT_ROUTING_OPTIONS };
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(DEFAULT_ROUTING_OPTIONS, name)) {
      throw new Error(
        `unknown routing option ${name}; known options: ${Object.keys(DEFAULT_ROUTING_OPTIONS).join(", ")}`,
      );
    }
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1 || value > MAX_OPTION_VALUE) {
      throw new Error(
        `routing option ${name} must be a whole number from 1 to ${MAX_OPTION_VALUE} (got ${String(value)})`,
      );
    }
    resolved[name as keyof RoutingOptions] = value;
  }
  return resolved;
}

export interface MessageOrigin {
  from: Origin;
  /** The sending user; recorded only, since where a message starts decides its route, not who sent it. */
  address?: string;
}

/**
 * A route together with the events behind its hops (for diagnosis). When a group expanded the
 * message, `members` holds one trace per member copy (their routes are the disposition's `members`).
 */
export interface Trace {
  route: Route;
  steps: RouteStep[];
  members?: Trace[];
}

export interface Router {
  index: TenantIndex;
  route(origin: MessageOrigin, recipient: string): Route;
  trace(origin: MessageOrigin, recipient: string): Trace;
}

/**
 * Follows one message hop by hop from its origin to a mailbox, a non-delivery report, a loop, or a
 * group that expands it into one route per member (`finalRoutes` lists every end).
 */
export function routeMessage(
  state: TenantState,
  origin: MessageOrigin,
  recipient: string,
  options?: RoutingOptions,
): Route {
  return createRouter(state, options).route(origin, recipient);
}

/** Indexes the tenant state once, for routing many messages against the same state. */
export function createRouter(state: TenantState, options?: RoutingOptions): Router {
  const context: Context = { index: indexTenant(state), limits: resolveRoutingOptions(options) };
  const trace = (origin: MessageOrigin, recipient: string): Trace => traceMessage(context, origin, recipient);
  return { index: context.index, trace, route: (origin, recipient) => trace(origin, recipient).route };
}

interface Context {
  index: TenantIndex;
  limits: Required<RoutingOptions>;
}

/** Where the message is next. */
type Node =
  | { at: "mx"; from: System; recipient: string }
  | { at: "google"; recipient: string }
  | { at: "exchange"; recipient: string; arrival: "submission" | "smtp" }
  | { at: "resolve"; recipient: string; fromOutside: boolean }
  | { at: "outbound"; recipient: string }
  | { at: "expand"; system: "google" | "exchange"; group: string; groups: string[]; copies: { copy: MemberCopy; node: Node }[] }
  | { at: "end"; disposition: FinalDisposition };

/** Copies of one message the model follows before it calls the fan-out a storm. */
export const MAX_COPIES_PER_MESSAGE = 100_000;

interface Trip {
  steps: RouteStep[];
  /** `Received:` headers the message carries. */
  received: number;
  /** Mail-user redirects and mailbox forwards in the Exchange tenant (`X-LD-Processed` stamps). */
  redirects: number;
  /** Addresses the message had in the current Exchange pass: transport rules match on them. */
  exchangePassAddresses: string[];
  gmailForwards: { mailbox: string; target: string; keptCopy: boolean }[];
  /** The Gmail forward whose rewritten envelope sender a bounce goes to (a group expansion takes over the envelope). */
  bounceTo?: { mailbox: string; target: string };
  /** Whether Exchange Online sees the message in this pass as from an authenticated (internal) sender. */
  authenticated: boolean;
  /** Groups (`system:address`) that expanded this copy on its way: reaching one again is a loop. */
  groupsOnPath: ReadonlySet<string>;
  /** Shared by every copy of the message. */
  message: { copies: number };
}

const ORIGINS: Record<Origin, (recipient: string) => Node> = {
  internet: (recipient) => ({ at: "mx", from: "internet", recipient }),
  google: (recipient) => ({ at: "google", recipient }),
  m365: (recipient) => ({ at: "exchange", recipient, arrival: "submission" }),
};

function traceMessage(context: Context, origin: MessageOrigin, recipient: string): Trace {
  const address = normalizeAddress(String(recipient));
  if (!isAddress(address)) {
    throw new Error(`recipient "${recipient}" is not an email address; give one like user@contoso.com`);
  }
  const start = Object.hasOwn(ORIGINS, origin.from) ? ORIGINS[origin.from] : undefined;
  if (start === undefined) {
    throw new Error(`origin.from must be one of ${Object.keys(ORIGINS).join(", ")} (got ${String(origin.from)})`);
  }
  const trip: Trip = {
    steps: [],
    received: 0,
    redirects: 0,
    exchangePassAddresses: [],
    gmailForwards: [],
    authenticated: false,
    groupsOnPath: new Set(),
    message: { copies: 1 },
  };
  return follow(context, trip, start(address));
}

function hopsOf(steps: readonly RouteStep[]): Hop[] {
  return steps.map((step) => ({ system: step.system, recipient: step.recipient, action: describeEvent(step.event) }));
}

function follow(context: Context, trip: Trip, start: Node): Trace {
  let node = start;
  while (node.at !== "end" && node.at !== "expand") node = advance(context, trip, node);
  if (node.at === "expand") {
    const { system, group, groups } = node;
    const members = node.copies.map(({ copy, node: first }) => follow(context, memberTrip(trip, system, group, groups, copy), first));
    const disposition = { kind: "expanded" as const, system, group, members: members.map((member) => member.route) };
    return { route: { hops: hopsOf(trip.steps), disposition }, steps: trip.steps, members };
  }
  const disposition = finish(trip, node.disposition);
  return { route: { hops: hopsOf(trip.steps), disposition }, steps: trip.steps };
}

/** The trip of one member's copy: the message as it was at the expansion, with its own steps. */
function memberTrip(parent: Trip, system: System, group: string, groups: string[], copy: MemberCopy): Trip {
  return {
    steps: [{ system, recipient: copy.address, event: { kind: "groupMember", group, via: copy.via } }],
    received: parent.received,
    redirects: parent.redirects,
    exchangePassAddresses: [...parent.exchangePassAddresses],
    gmailForwards: [...parent.gmailForwards],
    authenticated: parent.authenticated,
    groupsOnPath: new Set([...parent.groupsOnPath, ...groups.map((address) => `${system}:${address}`)]),
    message: parent.message,
  };
}

function advance(context: Context, trip: Trip, node: Exclude<Node, { at: "end" } | { at: "expand" }>): Node {
  switch (node.at) {
    case "mx":
      return lookUpMx(context, trip, node.from, node.recipient);
    case "google":
      return arriveAtGoogle(context, trip, node.recipient);
    case "exchange":
      return arriveAtExchange(context, trip, node.recipient, node.arrival);
    case "resolve":
      return resolveInExchange(context, trip, node.recipient, node.fromOutside);
    case "outbound":
      return routeOutOfExchange(context, trip, node.recipient);
  }
}

function record(trip: Trip, system: System, recipient: string, event: RoutingEvent): void {
  trip.steps.push({ system, recipient, event });
}

function ndr(system: System, code: string, reason: string): Node {
  return { at: "end", disposition: { kind: "ndr", code, reason, system } };
}

function loop(system: System, code: string, reason: string): Node {
  return { at: "end", disposition: { kind: "loop", code, reason, system } };
}

function exchangeLoop(): Node {
  return loop("exchange", "554 5.4.14", "Hop count exceeded - possible mail loop ATTR34");
}

function gmailLoop(limits: Required<RoutingOptions>): Node {
  return loop("google", "554 5.4.6", `Message exceeded ${limits.gmailMaxHops} hops, this may indicate a mail loop. - gsmtp`);
}

/** One copy per member, unless the message has fanned out past what the model follows. */
function expand(
  context: Context,
  trip: Trip,
  system: "google" | "exchange",
  recipient: string,
  group: string,
  expansion: Expansion,
  firstNode: (address: string) => Node,
): Node {
  const copies = trip.message.copies + expansion.copies.length;
  if (copies > MAX_COPIES_PER_MESSAGE) {
    record(trip, system, recipient, { kind: "copyLimit", copies, limit: MAX_COPIES_PER_MESSAGE });
    return system === "google" ? gmailLoop(context.limits) : exchangeLoop();
  }
  trip.message.copies = copies;
  record(trip, system, recipient, { kind: "groupExpanded", group, members: expansion.copies.length, nested: expansion.nested, skipped: expansion.skipped });
  const copiesWithNodes = expansion.copies.map((copy) => ({ copy, node: firstNode(copy.address) }));
  return { at: "expand", system, group, groups: [group, ...expansion.nested], copies: copiesWithNodes };
}

function expandAtGoogle(context: Context, trip: Trip, recipient: string, group: GoogleGroupState): Node {
  const email = normalizeAddress(group.email);
  if (trip.groupsOnPath.has(`google:${email}`)) {
    record(trip, "google", recipient, { kind: "groupLoop", group: email });
    return gmailLoop(context.limits);
  }
  return expand(context, trip, "google", recipient, email, expandGoogleGroup(context.index, group), (address) => ({ at: "google", recipient: address }));
}

function expandInExchange(context: Context, trip: Trip, recipient: string, group: DistributionGroupState): Node {
  const primary = normalizeAddress(group.primarySmtpAddress);
  if (!trip.authenticated && requiresSenderAuthentication(group)) {
    record(trip, "exchange", recipient, { kind: "senderNotAuthenticated", group: primary });
    return ndr("exchange", "550 5.7.133", "RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed as sender not authenticated for group");
  }
  if (trip.groupsOnPath.has(`exchange:${primary}`)) {
    record(trip, "exchange", recipient, { kind: "groupLoop", group: primary });
    return exchangeLoop();
  }
  const expansion = expandExchangeGroup(context.index, group, trip.authenticated);
  return expand(context, trip, "exchange", recipient, primary, expansion, (address) => ({ at: "resolve", recipient: address, fromOutside: false }));
}

function lookUpMx(context: Context, trip: Trip, from: System, recipient: string): Node {
  const domain = domainOf(recipient);
  const hosts = context.index.mx.get(domain) ?? [];
  if (hosts.length === 0) {
    record(trip, from, recipient, { kind: "noMx", domain });
    return from === "exchange"
      ? ndr(from, "550 5.4.310", `DNS domain ${domain} does not exist`)
      : ndr(from, "550 5.1.2", `DNS Error: domain name ${domain} not found`);
  }
  if (isNullMx(hosts)) {
    record(trip, from, recipient, { kind: "nullMx", domain });
    return ndr(from, "556 5.1.10", `Recipient address rejected: ${domain} does not accept mail (null MX)`);
  }
  const host = hosts[0];
  const reaches = systemForHost(host);
  record(trip, from, recipient, { kind: "mxLookup", domain, host, reaches });
  return handOff(context, trip, recipient, host, reaches);
}

/** SMTP delivery to a host found by MX or named as a smart host. */
function handOff(context: Context, trip: Trip, recipient: string, host: string, reaches: System): Node {
  if (reaches === "exchange") return { at: "exchange", recipient, arrival: "smtp" };
  if (reaches === "google" && context.index.googleDomains.has(domainOf(recipient))) return { at: "google", recipient };
  record(trip, "internet", recipient, { kind: "deliveredOutside", host, otherGoogleCustomer: reaches === "google" });
  return { at: "end", disposition: { kind: "delivered", system: "internet", mailbox: recipient } };
}

function arriveAtGoogle(context: Context, trip: Trip, recipient: string): Node {
  const { index, limits } = context;
  trip.received += limits.gmailReceivedHeadersPerPass;
  if (trip.received > limits.gmailMaxHops) {
    record(trip, "google", recipient, { kind: "gmailHopLimit", received: trip.received, limit: limits.gmailMaxHops });
    return gmailLoop(limits);
  }
  // Gmail delivers its own domains internally, whatever their MX; anything else a Google user sends goes out by MX.
  if (!index.googleDomains.has(domainOf(recipient))) return { at: "mx", from: "google", recipient };
  const user = index.googleUsers.get(recipient);
  if (user === undefined) {
    const group = index.googleGroups.get(recipient);
    if (group) return expandAtGoogle(context, trip, recipient, group);
    record(trip, "google", recipient, { kind: "gmailUnknownAddress" });
    return ndr(
      "google",
      "550 5.1.1",
      "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. - gsmtp",
    );
  }
  const mailbox = normalizeAddress(user.primaryEmail);
  if (user.suspended) {
    record(trip, "google", recipient, { kind: "gmailSuspended", mailbox });
    return ndr("google", "550 5.2.1", "The email account that you tried to reach is disabled. - gsmtp");
  }
  const forwarding = user.autoForwarding;
  if (forwarding?.enabled && forwarding.emailAddress) {
    const target = normalizeAddress(forwarding.emailAddress);
    record(trip, "google", recipient, { kind: "gmailForward", mailbox, target, disposition: forwarding.disposition });
    trip.gmailForwards.push({ mailbox, target, keptCopy: forwarding.disposition !== "trash" });
    trip.bounceTo = { mailbox, target };
    return index.googleDomains.has(domainOf(target)) ? { at: "google", recipient: target } : { at: "mx", from: "google", recipient: target };
  }
  record(trip, "google", recipient, { kind: "gmailDelivered", mailbox });
  return { at: "end", disposition: { kind: "delivered", system: "google", mailbox } };
}

function arriveAtExchange(context: Context, trip: Trip, recipient: string, arrival: "submission" | "smtp"): Node {
  const { index, limits } = context;
  trip.received += limits.exchangeReceivedHeadersPerPass;
  if (trip.received > limits.exchangeMaxHopCount) {
    record(trip, "exchange", recipient, {
      kind: "exchangeHopLimit",
      received: trip.received,
      limit: limits.exchangeMaxHopCount,
    });
    return exchangeLoop();
  }
  trip.exchangePassAddresses = [];
  trip.authenticated = arrival === "submission";
  const domain = domainOf(recipient);
  if (index.acceptedDomains.has(domain)) return { at: "resolve", recipient, fromOutside: arrival === "smtp" };
  if (arrival === "submission") return { at: "outbound", recipient };
  record(trip, "exchange", recipient, { kind: "relayDenied", domain });
  return ndr("exchange", "550 5.4.1", "Relay Access Denied ATTR35");
}

function resolveInExchange(context: Context, trip: Trip, recipient: string, fromOutside: boolean): Node {
  const { index } = context;
  trip.exchangePassAddresses.push(recipient);
  const domain = domainOf(recipient);
  const found = index.recipients.get(recipient);
  if (found === undefined) {
    const group = index.exchangeGroups.get(recipient);
    if (group) return expandInExchange(context, trip, recipient, group);
    if (index.acceptedDomains.get(domain) === "InternalRelay") {
      record(trip, "exchange", recipient, { kind: "relayedUnknown", domain });
      return { at: "outbound", recipient };
    }
    if (fromOutside) {
      record(trip, "exchange", recipient, { kind: "edgeBlocked", domain });
      return ndr("exchange", "550 5.4.1", "Recipient address rejected: Access denied");
    }
    record(trip, "exchange", recipient, { kind: "recipientNotFound", domain });
    return recipientNotFound();
  }
  const primary = normalizeAddress(found.primarySmtpAddress);
  if (found.recipientTypeDetails === "UserMailbox") {
    if (found.forwardingSmtpAddress) {
      const target = normalizeAddress(found.forwardingSmtpAddress);
      return redirect(context, trip, recipient, { kind: "mailboxForward", mailbox: primary, target }, target);
    }
    record(trip, "exchange", recipient, { kind: "mailboxDelivered", mailbox: primary });
    return { at: "end", disposition: { kind: "delivered", system: "m365", mailbox: primary } };
  }
  if (!found.externalEmailAddress) {
    record(trip, "exchange", recipient, { kind: "mailUserWithoutTarget", mailUser: primary });
    return recipientNotFound();
  }
  const target = normalizeAddress(found.externalEmailAddress);
  const routedOut = isOwnAddress(index, found, target);
  const contact = found.recipientTypeDetails === "MailContact" ? { contact: true } : {};
  return redirect(context, trip, recipient, { kind: "mailUserRedirect", mailUser: primary, target, routedOut, ...contact }, target);
}

function recipientNotFound(): Node {
  return ndr("exchange", "550 5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
}

/** A mail user (or contact) whose external address is one of its own proxies is not resolved again: it routes out. */
function isOwnAddress(index: TenantIndex, recipient: RecipientState, address: string): boolean {
  return index.recipients.get(address) === recipient;
}

function redirect(
  context: Context,
  trip: Trip,
  recipient: string,
  event: Extract<RoutingEvent, { kind: "mailboxForward" | "mailUserRedirect" }>,
  target: string,
): Node {
  const limit = context.limits.exchangeRedirectLimit;
  trip.redirects += 1;
  if (trip.redirects > limit) {
    record(trip, "exchange", recipient, { kind: "redirectLimit", redirects: trip.redirects, limit });
    return exchangeLoop();
  }
  record(trip, "exchange", recipient, event);
  const routedOut = event.kind === "mailUserRedirect" && event.routedOut;
  if (!routedOut && context.index.acceptedDomains.has(domainOf(target))) {
    return { at: "resolve", recipient: target, fromOutside: false };
  }
  return { at: "outbound", recipient: target };
}

function routeOutOfExchange(context: Context, trip: Trip, recipient: string): Node {
  const domain = domainOf(recipient);
  const selection = context.index.selectConnector(domain, [...trip.exchangePassAddresses, recipient]);
  if (selection === undefined) {
    record(trip, "exchange", recipient, { kind: "noConnector", domain });
    return { at: "mx", from: "exchange", recipient };
  }
  const { connector, selectedBy } = selection;
  if (connector.useMxRecord) {
    record(trip, "exchange", recipient, { kind: "connector", name: connector.name, selectedBy });
    return { at: "mx", from: "exchange", recipient };
  }
  const smartHost = connector.smartHosts[0];
  if (smartHost === undefined) {
    record(trip, "exchange", recipient, { kind: "connectorWithoutHost", name: connector.name });
    return ndr("exchange", "550 5.4.4", `Unable to route: connector ${connector.name} has no smart host`);
  }
  const reaches = systemForHost(smartHost);
  record(trip, "exchange", recipient, { kind: "connector", name: connector.name, selectedBy, smartHost, reaches });
  return handOff(context, trip, recipient, smartHost, reaches);
}

/**
 * Notes where Gmail's copy stayed, and where a bounce of a Gmail-forwarded copy goes (the bounce of
 * a group member's copy goes to the group's own bounce handling, which is not modelled).
 */
function finish(trip: Trip, disposition: FinalDisposition): FinalDisposition {
  const forwards = trip.gmailForwards;
  if (disposition.kind === "delivered") {
    return forwards.length === 0 ? disposition : { ...disposition, keptCopyAtGoogle: forwards.some((forward) => forward.keptCopy) };
  }
  const last = trip.bounceTo;
  if (last === undefined) return disposition;
  record(trip, "google", last.mailbox, {
    kind: "bounceToForwarder",
    mailbox: last.mailbox,
    envelopeSender: gmailForwardEnvelopeSender(last.mailbox, last.target),
  });
  return disposition;
}
