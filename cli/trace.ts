/**
 * `coexist trace <address> [--from internet|google|m365]` and `coexist trace --all`: reads both
 * live tenants (cli/liveState.ts), runs the routing model and prints the path of the mail, as a
 * table, JSON or a Mermaid diagram. A message to a group has one copy per member: every copy is
 * traced and counted (provider/routing/fanout.ts).
 */
import { isAddress, normalizeAddress } from "../provider/routing/addresses";
import { finalRoutes, finalTraces, tallyRoutes, type DeliveryTally } from "../provider/routing/fanout";
import { createRouter, type Router, type Trace } from "../provider/routing/model";
import { bounceFix, findRoutingProblems, loopFix, ROUTING_RULES, type RoutingProblem } from "../provider/routing/problems";
import { describeAddress, googleAddresses, tenantAddresses } from "../provider/routing/tenantAddresses";
import type { Disposition, FinalDisposition, FinalRoute, Origin, Route, System, TenantState } from "../provider/routing/types";
import { readLiveState, type LiveStateOptions } from "./liveState";
import { argsOrUsage, UsageError } from "./usage";

export const TRACE_HELP = `Usage:
  coexist trace <address> [--from internet|google|m365] [--format table|json|mermaid] [--json]
  coexist trace --all [--data-copy <address>]… [--format table|json|mermaid] [--json]
  coexist trace --help

<address> follows one message hop by hop (every copy, for a group); --all sends a message to every
address both tenants receive mail at (users, their aliases and alias-domain addresses, Google
groups and their aliases, Exchange Online groups and contacts) from every origin, counts each copy,
and reports loops, bounces, split delivery (one recipient landing in Gmail or Exchange Online
depending on the sender) and duplicate copies.

Options:
  --from <origin>                  where the message starts (default internet)
  --format table|json|mermaid      output format (default table); --json is --format json
  --data-copy <address>            a user whose data copy runs (batch "migrating"): its split
                                   delivery is expected and does not fail the trace (repeatable)
  --mx <domain>=<host>[,<host>]    MX hosts of a domain, best first (repeatable)
  --sandbox-dir <dir>              the data directory of the sandbox the endpoints point at, when
                                   NODE_EXTRA_CA_CERTS (its ca.pem) does not name it

DNS: --mx first; for a sandbox (loopback endpoints) its own DNS, read through its control API;
for real tenants the system's resolver. Never from the current folder.

Exit code: 0 every copy is delivered once; 1 a loop, a bounce, a split or duplicate delivery, or an
address neither tenant has; 2 usage error; 3 the tenants could not be read.
`;

const ORIGINS: readonly Origin[] = ["internet", "google", "m365"];
const FORMATS = ["table", "json", "mermaid"] as const;
type Format = (typeof FORMATS)[number];

const ORIGIN_NAMES: Record<Origin, string> = { internet: "the Internet", google: "a Google user", m365: "a Microsoft 365 mailbox" };
const COLUMN_NAMES: Record<Origin, string> = { internet: "from Internet", google: "from Google", m365: "from Microsoft 365" };
const SYSTEM_NAMES: Record<System, string> = { internet: "Internet", google: "Google Workspace", exchange: "Exchange Online" };
const DELIVERED_IN: Record<"google" | "m365" | "internet", string> = { google: "Google Workspace", m365: "Microsoft 365", internet: "outside both tenants" };


interface TraceArgs {
  help: boolean;
  address?: string;
  all: boolean;
  from: Origin;
  format: Format;
  dataCopy: string[];
  live: LiveStateOptions;
}

export interface TraceIo {
  out(text: string): void;
  err(text: string): void;
  readState(options: LiveStateOptions): Promise<TenantState>;
}

const defaultIo: TraceIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readState: readLiveState,
};

export async function runTrace(argv: string[], io: TraceIo = defaultIo): Promise<number> {
  const args = argsOrUsage("trace", TRACE_HELP, () => parseTraceArgs(argv), io.err);
  if (args === undefined) return 2;
  if (args.help) {
    io.out(TRACE_HELP);
    return 0;
  }
  const address = args.address;
  let state: TenantState;
  try {
    // One route needs the forwarding of the Google users it passes, not of the whole Workspace.
    state = await io.readState(address === undefined ? args.live : { ...args.live, forwardingNeeded: (known) => googleUsersOnRoute(known, address, args.from) });
  } catch (error) {
    io.err(`coexist trace: could not read the tenants: ${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  }
  const router = createRouter(state);
  return address === undefined ? traceAll(state, router, args, io) : traceOne(state, router, address, args, io);
}

export function parseTraceArgs(argv: string[]): TraceArgs {
  const args: TraceArgs = { help: false, all: false, from: "internet", format: "table", dataCopy: [], live: { mx: {} } };
  const valueOf = (index: number, flag: string): string => {
    const value = argv[index + 1];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return value;
  };
  const address = (value: string, flag: string): string => {
    const normalized = normalizeAddress(value);
    if (!isAddress(normalized)) throw new UsageError(`${flag} takes an email address, e.g. alice@contoso.com (got "${value}")`);
    return normalized;
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    switch (arg) {
      case "--help":
      case "-h":
        args.help = true;
        return args;
      case "--all":
        args.all = true;
        break;
      case "--json":
        args.format = "json";
        break;
      case "--from": {
        const from = valueOf(index++, arg) as Origin;
        if (!ORIGINS.includes(from)) throw new UsageError(`--from must be one of ${ORIGINS.join(", ")} (got "${from}")`);
        args.from = from;
        break;
      }
      case "--format": {
        const format = valueOf(index++, arg) as Format;
        if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")} (got "${format}")`);
        args.format = format;
        break;
      }
      case "--mx": {
        const value = valueOf(index++, arg);
        const [domain, hosts] = value.split("=");
        if (!domain || hosts === undefined) throw new UsageError(`--mx takes <domain>=<host>[,<host>], e.g. --mx contoso.com=smtp.google.com (got "${value}")`);
        (args.live.mx as Record<string, string[]>)[normalizeAddress(domain)] = hosts.split(",").map((host) => host.trim()).filter(Boolean);
        break;
      }
      case "--sandbox-dir":
        args.live.sandboxDir = valueOf(index++, arg);
        break;
      case "--data-copy":
        args.dataCopy.push(address(valueOf(index++, arg), arg));
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        if (args.address !== undefined) throw new UsageError(`give one address (got "${args.address}" and "${arg}"), or --all`);
        args.address = address(arg, "trace");
    }
  }
  if (args.all === (args.address !== undefined)) throw new UsageError("give an address to trace, or --all");
  return args;
}

/** The primary addresses of the Google users a message to `address` from `from` passes or lands with (including every group copy). */
function googleUsersOnRoute(state: TenantState, address: string, from: Origin): string[] {
  const router = createRouter(state);
  const users = finalRoutes(router.route({ from }, address)).flatMap((end) =>
    end.hops.flatMap((hop) => (hop.system === "google" ? (router.index.googleUsers.get(normalizeAddress(hop.recipient))?.primaryEmail ?? []) : [])),
  );
  return [...new Set(users)];
}

/** Every address one of the tenants holds: Google's (users, aliases, groups) and every Exchange Online proxy address. */
function holders(state: TenantState, { index }: Router): Set<string> {
  return new Set([...googleAddresses(state).map((entry) => entry.address), ...index.recipients.keys(), ...index.exchangeGroups.keys()]);
}

function dispositionText(disposition: Disposition): string {
  if (disposition.kind === "expanded") return `expanded by group ${disposition.group} into ${disposition.members.length} copies`;
  if (disposition.kind === "delivered") {
    const copy = disposition.keptCopyAtGoogle ? " (Gmail kept a copy)" : "";
    return `delivered to ${disposition.mailbox} in ${DELIVERED_IN[disposition.system]}${copy}`;
  }
  return `${disposition.kind === "loop" ? "LOOP" : "BOUNCE"} ${disposition.code} ${disposition.reason} (${SYSTEM_NAMES[disposition.system]})`;
}

/** Every copy delivered, each mailbox once. */
function allDelivered(tally: DeliveryTally): boolean {
  return tally.loops + tally.bounces + tally.duplicates === 0;
}

/** The fix of each copy that does not arrive, once. */
function fixesOf(router: Router, trace: Trace): string[] {
  const fixes = finalTraces(trace).flatMap(({ route, steps }) => {
    if (route.disposition.kind === "delivered") return [];
    return [route.disposition.kind === "loop" ? loopFix(steps) : bounceFix(router.index, steps)];
  });
  return [...new Set(fixes)];
}

/** `4 copies: 3 delivered (Microsoft 365), 1 BOUNCE 550 5.1.1, 1 duplicate` for a group; a single copy as `cell`. */
function copiesText(route: Route, tally: DeliveryTally): string {
  const ends = finalRoutes(route);
  if (route.disposition.kind !== "expanded") return cell(route.disposition);
  const counts = new Map<string, number>();
  for (const { disposition } of ends) counts.set(cell(disposition), (counts.get(cell(disposition)) ?? 0) + 1);
  const parts = [...counts].map(([text, count]) => `${count} ${text}`);
  if (tally.duplicates > 0) parts.push(`${tally.duplicates} duplicate`);
  return `${ends.length} copies: ${parts.join(", ")}`;
}

function traceOne(state: TenantState, router: Router, address: string, { from, format }: TraceArgs, io: TraceIo): number {
  const trace = router.trace({ from }, address);
  const { route } = trace;
  const ends = finalRoutes(route);
  const tally = tallyRoutes(ends);
  const known = holders(state, router).has(address);
  const fixes = fixesOf(router, trace);
  const unknown = known ? undefined : unknownAddressText(address, route.disposition);
  const failed = !known || !allDelivered(tally);
  if (format === "json") {
    io.out(`${JSON.stringify({ address, from, known, route, copies: tally, ...(unknown && { answer: unknown }), ...(fixes.length > 0 && { fix: fixes.join("; ") }) }, null, 2)}\n`);
  } else if (format === "mermaid") {
    io.out(mermaidOfRoute(route, from));
  } else {
    const rows = route.hops.map((hop, index) => [String(index + 1), SYSTEM_NAMES[hop.system], hop.recipient, hop.action]);
    const lines = [`Mail from ${ORIGIN_NAMES[from]} to ${address}`, "", table(["#", "system", "recipient", "action"], rows)];
    if (route.disposition.kind === "expanded") {
      lines.push(`Group ${route.disposition.group} makes ${ends.length} copies:`, "", table(["copy", "member", "result"], copyRows(trace)));
    }
    lines.push(`Result: ${unknown ?? (route.disposition.kind === "expanded" ? copiesText(route, tally) : dispositionText(route.disposition))}`);
    if (tally.duplicated.length > 0) lines.push(`Duplicates: ${tally.duplicated.map(({ mailbox, copies }) => `${mailbox} gets ${copies} copies`).join(", ")}`);
    if (fixes.length > 0) lines.push(`Fix: ${fixes.join("; ")}`);
    io.out(`${lines.join("\n")}\n`);
  }
  return failed ? 1 : 0;
}

/** What happens to mail for an address no tenant holds, in words. */
function unknownAddressText(address: string, disposition: Disposition): string {
  const outcome =
    disposition.kind === "delivered" && disposition.system === "internet"
      ? `mail to it leaves both tenants (${dispositionText(disposition)})`
      : disposition.kind === "delivered" || disposition.kind === "expanded"
        ? dispositionText(disposition)
        : `it bounces: ${disposition.code} ${disposition.reason} (${SYSTEM_NAMES[disposition.system]})`;
  return `no recipient at Google or Microsoft 365 has the address ${address}: ${outcome}`;
}

/** One row per copy of a group's message: the member it is for (after nested groups) and how it ends. */
function copyRows(trace: Trace): string[][] {
  return finalTraces(trace).map(({ route, steps }, index) => {
    const member = [...steps].reverse().find((step) => step.event.kind === "groupMember")?.recipient ?? "";
    return [String(index + 1), member, dispositionText(route.disposition)];
  });
}

export interface AddressRoutes {
  address: string;
  kind: string;
  owner: string;
  routes: Partial<Record<Origin, Route>>;
}

export interface Summary {
  addresses: number;
  origins: Origin[];
  copies: number;
  delivered: number;
  loops: number;
  bounces: number;
  splits: number;
  duplicates: number;
  /** Addresses of suspended Google users, left out: their mail bounces at Google by design (550 5.2.1). */
  suspendedLeftOut: number;
}

export interface AllAddressesCheck {
  results: AddressRoutes[];
  summary: Summary;
  problems: RoutingProblem[];
  failed: boolean;
}

/**
 * A message to every address both tenants receive mail at (suspended Google users left out) from
 * every origin (default: those with a sender), each copy counted; `dataCopy`: users whose split
 * delivery is expected while their data is copied.
 */
export function checkAllAddresses(state: TenantState, dataCopy: string[], origins: Origin[] = originsOf(state), router: Router = createRouter(state)): AllAddressesCheck {
  const suspended = new Set(state.google.users.filter((user) => user.suspended).map((user) => normalizeAddress(user.primaryEmail)));
  const all = tenantAddresses(state);
  const entries = all.filter((entry) => !suspended.has(entry.owner));
  const results: AddressRoutes[] = entries.map((entry) => ({
    address: entry.address,
    kind: describeAddress(entry),
    owner: entry.owner,
    routes: Object.fromEntries(origins.map((origin) => [origin, router.route({ from: origin }, entry.address)])),
  }));
  const problems = findRoutingProblems(
    state,
    entries.map((entry) => entry.address),
    { dataCopyInProgress: dataCopy, origins },
  );
  const summary: Summary = { addresses: entries.length, origins, copies: 0, delivered: 0, loops: 0, bounces: 0, splits: 0, duplicates: 0, suspendedLeftOut: all.length - entries.length };
  for (const { routes } of results) {
    for (const route of Object.values(routes) as Route[]) {
      const tally = tallyRoutes(finalRoutes(route));
      summary.copies += tally.delivered + tally.loops + tally.bounces;
      summary.delivered += tally.delivered;
      summary.loops += tally.loops;
      summary.bounces += tally.bounces;
      summary.duplicates += tally.duplicates;
    }
  }
  summary.splits = problems.filter((problem) => problem.rule === ROUTING_RULES.splitDelivery && problem.severity === "mandatory").length;
  const failed = summary.loops + summary.bounces + summary.splits + summary.duplicates > 0;
  return { results, summary, problems, failed };
}

function traceAll(state: TenantState, router: Router, { format, dataCopy }: TraceArgs, io: TraceIo): number {
  const { results, summary, problems, failed } = checkAllAddresses(state, dataCopy, originsOf(state), router);
  if (format === "json") {
    io.out(`${JSON.stringify({ summary, addresses: results, problems: problems.map(withoutRoute) }, null, 2)}\n`);
  } else if (format === "mermaid") {
    io.out(mermaidOfAll(results));
  } else {
    io.out(tableOfAll(results, summary.origins, summary, problems, failed));
  }
  return failed ? 1 : 0;
}

function tableOfAll(results: AddressRoutes[], origins: Origin[], summary: Summary, problems: RoutingProblem[], failed: boolean): string {
  const rows = results.map(({ address, kind, routes }) => [address, kind, ...origins.map((origin) => copiesText(routes[origin] as Route, tallyRoutes(finalRoutes(routes[origin] as Route))))]);
  const counts = [summary.addresses, summary.origins.length, summary.copies, summary.delivered, summary.loops, summary.bounces, summary.splits, summary.duplicates].map(String);
  const verdict = failed
    ? `Result: FAILED: ${summary.loops} loops, ${summary.bounces} bounces, ${summary.splits} split deliveries, ${summary.duplicates} duplicate copies`
    : "Result: all delivered";
  const notes = summary.suspendedLeftOut > 0 ? [`Left out: ${summary.suspendedLeftOut} address(es) of suspended Google users (their mail bounces at Google by design: 550 5.2.1).`] : [];
  const advice = problems.map((problem) => `- [${problem.severity}] ${problem.rule}: ${problem.message}\n  Fix: ${problem.fix}`);
  return [
    table(["address", "kind", ...origins.map((origin) => COLUMN_NAMES[origin])], rows),
    table(["addresses", "origins", "copies", "delivered", "loops", "bounces", "split deliveries", "duplicates"], [counts]),
    verdict,
    ...notes,
    ...(advice.length > 0 ? ["", "Problems:", ...advice] : []),
  ].join("\n") + "\n";
}

export function withoutRoute(problem: RoutingProblem): Omit<RoutingProblem, "route"> {
  const { route: _route, ...rest } = problem;
  return rest;
}

/** Where mail may start in this tenant: Google and Microsoft 365 only when they have a sender. */
function originsOf(state: TenantState): Origin[] {
  return ORIGINS.filter(
    (origin) =>
      origin === "internet" ||
      (origin === "google" && state.google.users.some((user) => !user.suspended)) ||
      (origin === "m365" && state.exchange.recipients.some((recipient) => recipient.recipientTypeDetails === "UserMailbox")),
  );
}

function cell(disposition: Disposition): string {
  if (disposition.kind === "expanded") return `expanded (${disposition.members.length} copies)`;
  if (disposition.kind === "delivered") return `delivered (${DELIVERED_IN[disposition.system]})`;
  return `${disposition.kind === "loop" ? "LOOP" : "BOUNCE"} ${disposition.code}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((value, column) => (column === row.length - 1 ? value : value.padEnd(widths[column]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** Mermaid label text: quotes and markup characters as entities. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

const MERMAID_HEADER = "flowchart LR\n  classDef failed fill:#fdd,stroke:#c00,color:#600\n  classDef delivered fill:#dfd,stroke:#080,color:#040\n";

function endClass(disposition: FinalDisposition | Disposition): string {
  return disposition.kind === "delivered" ? "delivered" : "failed";
}

/** One message hop by hop; a group's expansion fans out into one branch per copy. */
function mermaidOfRoute(route: Route, from: Origin): string {
  const lines = [`  start(["mail from ${ORIGIN_NAMES[from]}"])`];
  let nodes = 0;
  const walk = (current: Route, previous: string): void => {
    for (const hop of current.hops) {
      const id = `hop${++nodes}`;
      lines.push(`  ${previous} --> ${id}["${label(`${SYSTEM_NAMES[hop.system]}: ${hop.recipient}`)}<br/>${label(hop.action)}"]`);
      previous = id;
    }
    const { disposition } = current;
    const id = `end${++nodes}`;
    if (disposition.kind === "expanded") {
      lines.push(`  ${previous} --> ${id}{{"${label(dispositionText(disposition))}"}}`);
      for (const member of disposition.members) walk(member, id);
    } else {
      lines.push(`  ${previous} --> ${id}(["${label(dispositionText(disposition))}"]):::${endClass(disposition)}`);
    }
  };
  walk(route, "start");
  return `${MERMAID_HEADER}${lines.join("\n")}\n`;
}

const SAMPLE_ADDRESSES = 3;

/** Systems crossed, without repeats in a row. */
function systemsOf(route: Route | FinalRoute): System[] {
  return route.hops.map((hop) => hop.system).filter((system, index, all) => index === 0 || all[index - 1] !== system);
}

/**
 * One chain per distinct path (origin, systems crossed, outcome), labelled with how many addresses
 * take it; a group's path fans out into one end per distinct outcome of its copies, with their count.
 */
function mermaidOfAll(results: AddressRoutes[]): string {
  const paths = new Map<string, { from: Origin; systems: System[]; route: Route; addresses: string[] }>();
  for (const { address, routes } of results) {
    for (const [from, route] of Object.entries(routes) as [Origin, Route][]) {
      const { disposition } = route;
      const outcome = disposition.kind === "expanded" ? `expanded ${disposition.group}` : cell(disposition);
      const key = `${from}|${systemsOf(route).join(">")}|${outcome}`;
      const entry = paths.get(key) ?? { from, systems: systemsOf(route), route, addresses: [] };
      entry.addresses.push(address);
      paths.set(key, entry);
    }
  }
  const lines: string[] = [];
  [...paths.values()].forEach(({ from, systems, route, addresses }, pathIndex) => {
    const id = `p${pathIndex + 1}`;
    const sample = addresses.slice(0, SAMPLE_ADDRESSES).join(", ") + (addresses.length > SAMPLE_ADDRESSES ? ` +${addresses.length - SAMPLE_ADDRESSES}` : "");
    const chain = systems.map((system, index) => `${id}s${index}["${SYSTEM_NAMES[system]}"]`).join(" --> ");
    lines.push(`  subgraph ${id}["${label(`${addresses.length} address(es) from ${ORIGIN_NAMES[from]}: ${sample}`)}"]`);
    const { disposition } = route;
    if (disposition.kind === "expanded") {
      lines.push(`    ${chain} --> ${id}g{{"${label(`group ${disposition.group}`)}"}}`);
      const outcomes = new Map<string, { count: number; disposition: FinalDisposition }>();
      for (const end of finalRoutes(route)) {
        const text = `${cell(end.disposition)} via ${systemsOf({ hops: end.hops.slice(route.hops.length), disposition: end.disposition }).map((system) => SYSTEM_NAMES[system]).join(" → ")}`;
        outcomes.set(text, { count: (outcomes.get(text)?.count ?? 0) + 1, disposition: end.disposition });
      }
      [...outcomes].forEach(([text, { count, disposition: end }], index) => {
        lines.push(`    ${id}g --> ${id}e${index}(["${label(`${count} × ${text}`)}"]):::${endClass(end)}`);
      });
    } else {
      lines.push(`    ${chain} --> ${id}end(["${label(cell(disposition))}"]):::${endClass(disposition)}`);
    }
    lines.push("  end");
  });
  return `${MERMAID_HEADER}${lines.join("\n")}\n`;
}
