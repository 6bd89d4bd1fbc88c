/**
 * `coexist trace <address> [--from internet|google|m365]` and `coexist trace --all`: reads both
 * live tenants (cli/liveState.ts), runs the routing model and prints the path of the mail, as a
 * table, JSON or a Mermaid diagram. Exit code: 0 every route delivers, 1 a loop or a bounce,
 * 2 a usage error, 3 the tenants could not be read.
 */
import { normalizeAddress } from "../provider/routing/addresses";
import { finalRoutes } from "../provider/routing/fanout";
import { createRouter, type Router } from "../provider/routing/model";
import { bounceFix, findRoutingProblems, loopFix, type RoutingProblem } from "../provider/routing/problems";
import type { Disposition, Origin, Route, System, TenantState } from "../provider/routing/types";
import { readLiveState, type LiveStateOptions } from "./liveState";

export const TRACE_HELP = `Usage:
  coexist trace <address> [--from internet|google|m365] [--format table|json|mermaid] [--json]
  coexist trace --all [--format table|json|mermaid] [--json]
Options:
  --from <origin>       where the message starts (default internet)
  --mx <domain>=<host>[,<host>]   MX hosts of a domain, best first (repeatable); default: the sandbox's DNS, else DNS
  --user <address>      also read this Google user (repeatable); Google users are otherwise found through Exchange Online
Exit code: 0 every route delivers, 1 a loop or a bounce, 2 usage error, 3 the tenants could not be read.
`;

const ORIGINS: readonly Origin[] = ["internet", "google", "m365"];
const FORMATS = ["table", "json", "mermaid"] as const;
type Format = (typeof FORMATS)[number];

const ORIGIN_NAMES: Record<Origin, string> = { internet: "the Internet", google: "a Google user", m365: "a Microsoft 365 mailbox" };
const COLUMN_NAMES: Record<Origin, string> = { internet: "from Internet", google: "from Google", m365: "from Microsoft 365" };
const SYSTEM_NAMES: Record<System, string> = { internet: "Internet", google: "Google Workspace", exchange: "Exchange Online" };
const DELIVERED_IN: Record<"google" | "m365" | "internet", string> = { google: "Google Workspace", m365: "Microsoft 365", internet: "outside both tenants" };

class UsageError extends Error {}

interface TraceArgs {
  address?: string;
  all: boolean;
  from: Origin;
  format: Format;
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
  let args: TraceArgs;
  try {
    args = parseTraceArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`coexist trace: ${error.message}\n\n${TRACE_HELP}`);
    return 2;
  }
  let state: TenantState;
  try {
    state = await io.readState(args.live);
  } catch (error) {
    io.err(`coexist trace: could not read the tenants: ${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  }
  const router = createRouter(state);
  return args.all ? traceAll(state, router, args.format, io) : traceOne(router, args.address as string, args.from, args.format, io);
}

export function parseTraceArgs(argv: string[]): TraceArgs {
  const args: TraceArgs = { all: false, from: "internet", format: "table", live: { mx: {}, googleUsers: [] } };
  const valueOf = (index: number, flag: string): string => {
    const value = argv[index + 1];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return value;
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    switch (arg) {
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
      case "--user":
        args.live.googleUsers?.push(normalizeAddress(valueOf(index++, arg)));
        break;
      default:
        if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
        if (args.address !== undefined) throw new UsageError(`give one address (got "${args.address}" and "${arg}"), or --all`);
        args.address = normalizeAddress(arg);
    }
  }
  if (args.all === (args.address !== undefined)) throw new UsageError("give an address to trace, or --all");
  if (args.address !== undefined) args.live.googleUsers?.push(args.address);
  return args;
}

/** A group's route delivers when every copy it makes does. */
function isDelivered(disposition: Disposition): boolean {
  if (disposition.kind === "expanded") return disposition.members.every((member) => finalRoutes(member).every((end) => end.disposition.kind === "delivered"));
  return disposition.kind === "delivered";
}

function dispositionText(disposition: Disposition): string {
  if (disposition.kind === "expanded") return `expanded by group ${disposition.group} into ${disposition.members.length} copies`;
  if (disposition.kind === "delivered") {
    const copy = disposition.keptCopyAtGoogle ? " (Gmail kept a copy)" : "";
    return `delivered to ${disposition.mailbox} in ${DELIVERED_IN[disposition.system]}${copy}`;
  }
  return `${disposition.kind === "loop" ? "LOOP" : "BOUNCE"} ${disposition.code} ${disposition.reason} (${SYSTEM_NAMES[disposition.system]})`;
}

function traceOne(router: Router, address: string, from: Origin, format: Format, io: TraceIo): number {
  let trace;
  try {
    trace = router.trace({ from }, address);
  } catch (error) {
    io.err(`coexist trace: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const { route } = trace;
  const delivered = isDelivered(route.disposition);
  const fix = delivered ? undefined : route.disposition.kind === "loop" ? loopFix(trace.steps) : bounceFix(router.index, trace.steps);
  if (format === "json") {
    io.out(`${JSON.stringify({ address, from, route, ...(fix && { fix }) }, null, 2)}\n`);
  } else if (format === "mermaid") {
    io.out(mermaidOfRoute(route, from));
  } else {
    const rows = route.hops.map((hop, index) => [String(index + 1), SYSTEM_NAMES[hop.system], hop.recipient, hop.action]);
    io.out(`Mail from ${ORIGIN_NAMES[from]} to ${address}\n\n${table(["#", "system", "recipient", "action"], rows)}\nResult: ${dispositionText(route.disposition)}\n${fix ? `Fix: ${fix}\n` : ""}`);
  }
  return delivered ? 0 : 1;
}

interface UserRoutes {
  user: string;
  routes: Partial<Record<Origin, Route>>;
}

function traceAll(state: TenantState, router: Router, format: Format, io: TraceIo): number {
  const origins = originsOf(state);
  const users = [...new Set([...state.google.users.map((user) => user.primaryEmail), ...state.exchange.recipients.map((recipient) => recipient.primarySmtpAddress)].map(normalizeAddress))].sort();
  const results: UserRoutes[] = users.map((user) => ({ user, routes: Object.fromEntries(origins.map((origin) => [origin, router.route({ from: origin }, user)])) }));
  const problems = findRoutingProblems(state);
  const counts = { delivered: 0, loop: 0, ndr: 0 };
  for (const { routes } of results) for (const route of Object.values(routes)) for (const end of finalRoutes(route as Route)) counts[end.disposition.kind]++;
  const failed = counts.loop + counts.ndr > 0;
  const summary = `${users.length} users × ${origins.length} origins: ${counts.delivered} delivered, ${counts.loop} loops, ${counts.ndr} bounces`;
  if (format === "json") {
    io.out(`${JSON.stringify({ summary: { users: users.length, origins, ...counts }, users: results, problems: problems.map(withoutRoute) }, null, 2)}\n`);
  } else if (format === "mermaid") {
    io.out(mermaidOfAll(results));
  } else {
    const rows = results.map(({ user, routes }) => [user, ...origins.map((origin) => cell((routes[origin] as Route).disposition))]);
    const advice = problems.map((problem) => `- [${problem.severity}] ${problem.rule}: ${problem.message}\n  Fix: ${problem.fix}`);
    io.out(`${table(["user", ...origins.map((origin) => COLUMN_NAMES[origin])], rows)}\n${summary}${failed ? "" : ": all delivered"}\n${advice.length > 0 ? `\nProblems:\n${advice.join("\n")}\n` : ""}`);
  }
  return failed ? 1 : 0;
}

function withoutRoute(problem: RoutingProblem): Omit<RoutingProblem, "route"> {
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

function endNode(id: string, disposition: Disposition): string {
  const shape = `${id}(["${label(dispositionText(disposition))}"])`;
  return `${shape}:::${isDelivered(disposition) ? "delivered" : "failed"}`;
}

function mermaidOfRoute(route: Route, from: Origin): string {
  const lines = [`  start(["mail from ${ORIGIN_NAMES[from]}"])`];
  let previous = "start";
  route.hops.forEach((hop, index) => {
    const id = `hop${index + 1}`;
    lines.push(`  ${previous} --> ${id}["${label(`${SYSTEM_NAMES[hop.system]}: ${hop.recipient}`)}<br/>${label(hop.action)}"]`);
    previous = id;
  });
  lines.push(`  ${previous} --> ${endNode("result", route.disposition)}`);
  return `${MERMAID_HEADER}${lines.join("\n")}\n`;
}

const SAMPLE_USERS = 3;

/** One chain per distinct path (origin, systems crossed, outcome), labelled with how many users take it. */
function mermaidOfAll(results: UserRoutes[]): string {
  const paths = new Map<string, { from: Origin; systems: System[]; disposition: Disposition; users: string[] }>();
  for (const { user, routes } of results) {
    for (const [from, route] of Object.entries(routes) as [Origin, Route][]) {
      const systems = route.hops.map((hop) => hop.system).filter((system, index, all) => index === 0 || all[index - 1] !== system);
      const { disposition } = route;
      const outcome = disposition.kind === "delivered" ? `delivered ${disposition.system}` : disposition.kind === "expanded" ? `expanded ${disposition.group}` : `${disposition.kind} ${disposition.code}`;
      const key = `${from}|${systems.join(">")}|${outcome}`;
      const entry = paths.get(key) ?? { from, systems, disposition, users: [] };
      entry.users.push(user);
      paths.set(key, entry);
    }
  }
  const lines: string[] = [];
  [...paths.values()].forEach(({ from, systems, disposition, users }, pathIndex) => {
    const id = `p${pathIndex + 1}`;
    const sample = users.slice(0, SAMPLE_USERS).join(", ") + (users.length > SAMPLE_USERS ? ` +${users.length - SAMPLE_USERS}` : "");
    const chain = systems.map((system, index) => `${id}s${index}["${SYSTEM_NAMES[system]}"]`).join(" --> ");
    lines.push(`  subgraph ${id}["${label(`${users.length} user(s) from ${ORIGIN_NAMES[from]}: ${sample}`)}"]`);
    lines.push(`    ${chain} --> ${id}end(["${label(cell(disposition))}"]):::${isDelivered(disposition) ? "delivered" : "failed"}`);
    lines.push("  end");
  });
  return `${MERMAID_HEADER}${lines.join("\n")}\n`;
}
