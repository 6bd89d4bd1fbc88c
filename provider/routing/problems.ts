import { domainOf, normalizeAddress, systemForHost } from "./addresses";
import type { RouteStep } from "./events";
import { finalRoutes, finalTraces, mailboxKey, tallyRoutes } from "./fanout";
import { bounceFix, groupPath, loopFix } from "./fixes";
import { createRouter, type MessageOrigin, type RoutingOptions, type Trace } from "./model";
import { ROUTING_RULES, type RoutingProblem } from "./rules";
import { staticProblems } from "./staticProblems";
import { describeAddress, tenantAddresses, type TenantAddress } from "./tenantAddresses";
import type { TenantIndex } from "./tenantIndex";
import type { FinalRoute, Origin, System, TenantState } from "./types";

export { bounceFix, loopFix } from "./fixes";
export { ROUTING_RULES, type RoutingProblem, type Severity } from "./rules";

export interface ProblemOptions extends RoutingOptions {
  /**
   * Which addresses to send to when `users` is not given. `primary` (default): Google users' and
   * Exchange recipients' primary addresses. `all`: every address of `tenantAddresses` (user aliases,
   * alias-domain addresses, Google groups and their aliases, Exchange distribution groups too).
   */
  addresses?: "primary" | "all";
  /**
   * Users whose data copy is running (batch "migrating": licensed, not yet forwarded): their mail
   * lands in both systems by design, so their split delivery is advisory, not mandatory.
   */
  dataCopyInProgress?: readonly string[];
  /** Where messages start (default: the Internet, and Google and Microsoft 365 when they have a sender); after decommission, Google has none. */
  origins?: readonly Origin[];
}

/**
 * Routes a message to every known address (or the given ones) from the Internet, from a Google
 * user and from a Microsoft 365 mailbox, and reports every loop, bounce, duplicate copy and split
 * delivery with a fix; adds the checks that need no message. The sender within an origin does not
 * change a route, so one sender per origin stands for all.
 */
export function findRoutingProblems(
  state: TenantState,
  users?: readonly (string | { email: string })[],
  options: ProblemOptions = {},
): RoutingProblem[] {
  const { addresses: which = "primary", dataCopyInProgress = [], origins: wanted, ...routingOptions } = options;
  const router = createRouter(state, routingOptions);
  const { index } = router;
  const kinds = new Map(tenantAddresses(state).map((entry) => [entry.address, entry]));
  const given = users?.map((u) => normalizeAddress(typeof u === "string" ? u : u.email));
  const addresses = given ?? (which === "all" ? [...kinds.keys()] : knownUsers(state));
  const copying = new Set(dataCopyInProgress.map(normalizeAddress));
  const origins = senders(state).filter((origin) => wanted === undefined || wanted.includes(origin.from));
  const problems: RoutingProblem[] = [];
  for (const address of addresses) {
    const target: Target = { address, entry: kinds.get(address) };
    const traces = origins.map((origin) => ({ origin, trace: router.trace(origin, address) }));
    for (const { origin, trace } of traces) problems.push(...routeProblems(index, target, origin, trace));
    problems.push(...splitDeliveryProblems(index, target, traces, copying));
  }
  const concerned = given === undefined ? undefined : new Set(given);
  const tenantWide = staticProblems(index).filter(
    (problem) => concerned === undefined || problem.users.length === 0 || problem.users.some((u) => concerned.has(u)),
  );
  return [...problems, ...tenantWide];
}

interface Target {
  address: string;
  entry?: TenantAddress;
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

/** `alice.a@contoso.com (user alias of alice@contoso.com)`; a user's or recipient's own primary address as it is. */
function named({ address, entry }: Target): string {
  return entry && entry.kind !== "user" && entry.kind !== "recipient" ? `${address} (${describeAddress(entry)})` : address;
}

function problemOf(target: Target, origin: MessageOrigin, trace: Trace, fields: Pick<RoutingProblem, "severity" | "rule" | "message" | "fix">): RoutingProblem {
  return { ...fields, users: [target.address], origin, route: trace.route, ...(target.entry ? { address: target.entry } : {}) };
}

/** Loops and bounces of the message (for a group: of its member copies, one problem per kind), and duplicate copies. */
function routeProblems(index: TenantIndex, target: Target, origin: MessageOrigin, trace: Trace): RoutingProblem[] {
  const { disposition } = trace.route;
  if (disposition.kind !== "expanded") {
    if (disposition.kind === "delivered") return [];
    const isLoop = disposition.kind === "loop";
    return [
      problemOf(target, origin, trace, {
        severity: "mandatory",
        rule: isLoop ? ROUTING_RULES.loop : ROUTING_RULES.bounce,
        message: `mail from ${ORIGIN_NAMES[origin.from]} to ${named(target)} ${isLoop ? "loops" : "bounces"}: ${disposition.code} ${disposition.reason} (from ${
          SYSTEM_NAMES[disposition.system]
        }, after ${trace.route.hops.length} hops)`,
        fix: isLoop ? loopFix(trace.steps) : bounceFix(index, trace.steps),
      }),
    ];
  }
  const ends = finalTraces(trace);
  const failing = (kind: "loop" | "ndr") => ends.filter((end) => end.route.disposition.kind === kind);
  const problems: RoutingProblem[] = [];
  for (const [kind, rule, verb] of [["loop", ROUTING_RULES.loop, "loop"], ["ndr", ROUTING_RULES.bounce, "bounce"]] as const) {
    const failed = failing(kind);
    if (failed.length === 0) continue;
    const copies = failed.map((end) => `${memberOf(end.steps, target.address)} (${outcome(end.route)})`);
    problems.push(
      problemOf(target, origin, trace, {
        severity: "mandatory",
        rule,
        message: `mail from ${ORIGIN_NAMES[origin.from]} to ${named(target)} makes ${ends.length} copies, and ${failed.length} of them ${verb}: ${listed(copies)}`,
        fix: [...new Set(failed.map((end) => (kind === "loop" ? loopFix(end.steps) : bounceFix(index, end.steps))))].join("; "),
      }),
    );
  }
  const tally = tallyRoutes(ends.map((end) => end.route));
  if (tally.duplicates > 0) {
    const paths = (mailbox: string) => ends.filter((end) => end.route.disposition.kind === "delivered" && mailboxKey(end.route.disposition) === mailbox).map((end) => groupPath(end.steps) || target.address);
    problems.push(
      problemOf(target, origin, trace, {
        severity: "mandatory",
        rule: ROUTING_RULES.duplicateDelivery,
        message: `mail from ${ORIGIN_NAMES[origin.from]} to ${named(target)} delivers more than one copy to ${listed(
          tally.duplicated.map(({ mailbox, copies }) => `${mailbox} (${copies} copies)`),
        )}`,
        fix: tally.duplicated
          .map(({ mailbox }) => `let ${mailbox.slice(mailbox.indexOf(":") + 1)} be reached through one of these paths only: ${paths(mailbox).join("; ")}`)
          .join("; "),
      }),
    );
  }
  return problems;
}

const LISTED_AT_MOST = 10;

function listed(items: string[]): string {
  const shown = items.slice(0, LISTED_AT_MOST).join(", ");
  return items.length > LISTED_AT_MOST ? `${shown} and ${items.length - LISTED_AT_MOST} more` : shown;
}

/** The member copy an end belongs to: the last group member on its way, else the address itself. */
function memberOf(steps: readonly RouteStep[], address: string): string {
  return [...steps].reverse().find((step) => step.event.kind === "groupMember")?.recipient ?? address;
}

function outcome(route: FinalRoute): string {
  const { disposition } = route;
  return disposition.kind === "delivered" ? `delivered to ${disposition.mailbox}` : `${disposition.code} from ${SYSTEM_NAMES[disposition.system]}`;
}

const LANDS_IN: Record<"google" | "m365", string> = { google: "Gmail", m365: "Exchange Online" };

/**
 * Split delivery: a mailbox that mail to the address reaches in Gmail from some origins and in
 * Exchange Online from others. The same address in both systems is one person, so the user reads
 * mail in two places (e.g. a destroy removed a migrated user's Gmail forwarding while the MX is
 * still at Google). A migrated user (Gmail forwards to the routing address) lands in Exchange
 * Online from every origin; a user at Google lands in Gmail from every origin.
 */
function splitDeliveryProblems(index: TenantIndex, target: Target, traces: { origin: MessageOrigin; trace: Trace }[], copying: ReadonlySet<string>): RoutingProblem[] {
  const landings = new Map<string, Record<"google" | "m365", Origin[]>>();
  for (const { origin, trace } of traces) {
    for (const { disposition } of finalRoutes(trace.route)) {
      if (disposition.kind !== "delivered" || disposition.system === "internet") continue;
      const entry = landings.get(disposition.mailbox) ?? { google: [], m365: [] };
      if (!entry[disposition.system].includes(origin.from)) entry[disposition.system].push(origin.from);
      landings.set(disposition.mailbox, entry);
    }
  }
  return [...landings].flatMap(([mailbox, systems]): RoutingProblem[] => {
    if (systems.google.length === 0 || systems.m365.length === 0) return [];
    const expected = copying.has(mailbox) || copying.has(target.address);
    const where = (system: "google" | "m365") => `in ${LANDS_IN[system]} when ${systems[system].map((from) => ORIGIN_NAMES[from]).join(" or ")} sends it`;
    const member = mailbox === target.address ? "" : ` (its member ${mailbox})`;
    return [
      {
        severity: expected ? "advisory" : "mandatory",
        rule: ROUTING_RULES.splitDelivery,
        users: [...new Set([target.address, mailbox])],
        message: `mail to ${named(target)}${member} lands ${where("google")}, and ${where("m365")}: ${
          expected ? "expected while its data copy runs, " : ""
        }the user has mail in two mailboxes`,
        fix: splitFix(index, mailbox),
        ...(target.entry ? { address: target.entry } : {}),
      },
    ];
  });
}

/** Send Gmail's copy on to Exchange Online: forward to an address of the mailbox whose MX reaches Exchange Online. */
function splitFix(index: TenantIndex, mailbox: string): string {
  const recipient = index.recipients.get(mailbox);
  const routing = recipient?.emailAddresses.map(normalizeAddress).find((address) => {
    const domain = domainOf(address);
    const mx = index.mx.get(domain)?.[0];
    return index.acceptedDomains.has(domain) && !index.googleDomains.has(domain) && mx !== undefined && systemForHost(mx) === "exchange";
  });
  const to = routing ?? "an address of its Exchange Online mailbox whose MX points to Microsoft 365 (its routing address)";
  return `forward the Gmail mailbox of ${mailbox} to ${to} with disposition trash (GoogleForwardingRoute, batch "migrated"), so that every sender reaches Exchange Online; while its data copy runs (batch "migrating") the split is expected: pass ${mailbox} in dataCopyInProgress`;
}
