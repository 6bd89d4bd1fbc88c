/**
 * `coexist sandbox start|stop|status|reset|seed`: the `coexist` command of pulumi-mail-coexistence
 * runs this when this package is installed. Standard output carries only what a command answers (for
 * `start`, exactly the `export NAME=value` lines, so that `eval "$(coexist sandbox start)"` works);
 * what is said to a person (where the sandbox runs, progress) goes to standard error.
 * Exit codes: 0 done, 1 failed (e.g. no sandbox runs), 2 usage error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { answers, controlRequest, defaultDataDir, readRuntime, seedDataDir, startSandbox, stopDetached, type FaultSettings, type SeedChoice } from "./index";
import type { AcceptedDomainTypeRecord, DomainRecord, EntraUserRecord, GoogleDomainRecord, GoogleUserRecord, RecipientRecord } from "./records";
import { GOOGLE_CREDENTIALS_FILE, type Runtime } from "./runtime";
import { loadSeed } from "./seeding";
import { Store } from "./store";

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** Rows of each tenant that `status` shows without --all. */
const USERS_SHOWN = 25;

const DATA_DIR_OPTION = `  --data-dir <dir>       the sandbox's state (default $COEXIST_SANDBOX_DIR, else ./.sandbox)`;
const SEED_OPTIONS = [
  `  --seed <file>          a seed file (default: the demo tenant, seeds/demo.json of this package)`,
  `  --users <N>            replace the seed's Google users with N generated users`,
  `  --departments <K>      spread the generated users over K departments (default 3)`,
];

const COMMANDS = {
  start: [
    `Usage: coexist sandbox start [--seed <file> | --users <N> [--departments <K>]] [--port <P>] [--faults <json|file>] [--reset] [--strict] [--data-dir <dir>]`,
    ``,
    `Starts the sandbox in the background. Standard output gets only the settings its clients need, as`,
    `\`export NAME=value\` lines (COEXIST_* and NODE_EXTRA_CA_CERTS), for: eval "$(coexist sandbox start)"`,
    `Where it runs and its endpoints go to standard error.`,
    ``,
    `Options:`,
    ...SEED_OPTIONS,
    `  --port <P>             listen on 127.0.0.1:<P> (default: a free port)`,
    `  --faults <json|file>   throttling, errors and latency to inject, e.g. '{"seed":1,"apis":{"graph":{"errorRate":0.1}}}'`,
    `  --reset                load the seed even when the data directory already holds a sandbox's state`,
    `  --strict               every strict behaviour of the real services (replication lag, null refusal, error shapes)`,
    DATA_DIR_OPTION,
  ],
  stop: [`Usage: coexist sandbox stop [--data-dir <dir>]`, ``, `Stops the sandbox that runs for the data directory; its state stays.`, ``, `Options:`, DATA_DIR_OPTION],
  status: [
    `Usage: coexist sandbox status [--all] [--data-dir <dir>]`,
    ``,
    `Where the sandbox runs, its endpoints and settings, the requests it served, and its tenants and`,
    `users: each Microsoft 365 tenant with its domains and recipients, and the Google Workspace tenant`,
    `with its domains and users. Exit code 1 when no sandbox runs for the data directory.`,
    ``,
    `Options:`,
    `  --all                  list every user (default: the first ${USERS_SHOWN} of each tenant)`,
    DATA_DIR_OPTION,
  ],
  reset: [`Usage: coexist sandbox reset [--data-dir <dir>]`, ``, `Puts the tenants back to the seed the data directory was loaded with.`, ``, `Options:`, DATA_DIR_OPTION],
  seed: [
    `Usage: coexist sandbox seed [<file>] [--users <N> [--departments <K>]] [--strict] [--data-dir <dir>]`,
    ``,
    `Loads a new seed into the data directory (the sandbox need not run).`,
    ``,
    `Options:`,
    ...SEED_OPTIONS,
    `  --strict               every strict behaviour of the real services`,
    DATA_DIR_OPTION,
  ],
} as const;

type Command = keyof typeof COMMANDS;

/** `coexist sandbox --help`: one line per command. */
export const SANDBOX_HELP = [
  `Usage: coexist sandbox <command> [options]      (coexist sandbox <command> --help for its options)`,
  ``,
  `A local HTTPS sandbox of both tenants (Microsoft Graph, Exchange Online, Gmail and the Directory):`,
  `  start    start it in the background; stdout: export lines for eval "$(coexist sandbox start)"`,
  `  stop     stop it`,
  `  status   where it runs, its tenants and their users`,
  `  reset    back to the stored seed`,
  `  seed     load a new seed`,
  ``,
].join("\n");

class UsageError extends Error {}

interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  positional: string[];
}

const SWITCHES = new Set(["reset", "strict", "all"]);

export function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = { values: new Map(), switches: new Set(), positional: [] };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (!arg.startsWith("--")) {
      flags.positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (SWITCHES.has(name)) {
      flags.switches.add(name);
      continue;
    }
    const value = args[index + 1];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value.`);
    flags.values.set(name, value);
    index++;
  }
  return flags;
}

function wholeNumber(flags: Flags, name: string): number | undefined {
  const raw = flags.values.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name} must be a whole number ≥ 0 (got "${raw}").`);
  return value;
}

function seedChoice(flags: Flags): SeedChoice {
  return {
    seed: flags.values.get("seed") ?? flags.positional[0],
    users: wholeNumber(flags, "users"),
    departments: wholeNumber(flags, "departments"),
    strict: flags.switches.has("strict"),
  };
}

function faults(flags: Flags): FaultSettings | undefined {
  const raw = flags.values.get("faults");
  if (raw === undefined) return undefined;
  const text = raw.trim().startsWith("{") ? raw : readFileSync(raw, "utf8");
  try {
    return JSON.parse(text) as FaultSettings;
  } catch {
    throw new UsageError(`--faults must be JSON or a JSON file, e.g. '{"seed":1,"apis":{"graph":{"errorRate":0.1}}}'.`);
  }
}

/** The lines a shell or CI needs, one per line (secrets stay in files where possible). */
export function exportLines(runtime: Runtime, dataDir: string): string[] {
  const env = runtime.env;
  const plain = ["NODE_EXTRA_CA_CERTS", "COEXIST_GRAPH_URL", "COEXIST_EXCHANGE_URL", "COEXIST_GOOGLE_URL", "COEXIST_LOGIN_URL", "COEXIST_TENANT_ID", "COEXIST_CLIENT_ID", "COEXIST_CLIENT_SECRET"];
  return [
    ...plain.map((name) => `export ${name}=${env[name]}`),
    `export COEXIST_GOOGLE_CREDENTIALS="$(cat ${join(dataDir, GOOGLE_CREDENTIALS_FILE)})"`,
    `export COEXIST_GOOGLE_ADMIN=${env.COEXIST_GOOGLE_ADMIN}`,
  ];
}

function whereItRuns(runtime: Runtime, dataDir: string): string[] {
  return [
    `Sandbox running at ${runtime.url} (pid ${runtime.pid}, data ${dataDir})`,
    `  Entra ID:  ${runtime.url}/{tenant}/oauth2/v2.0/token`,
    `  Graph:     ${runtime.url}/v1.0`,
    `  Exchange:  ${runtime.url}/adminapi/beta/{tenant}/InvokeCommand`,
    `  Google:    ${runtime.url}/gmail/v1, ${runtime.url}/admin/directory/v1, ${runtime.url}/token`,
    `  Control:   ${runtime.url}/sandbox/{state,stats,faults,dns,mail,reset}`,
    `# Static-token mode (one token for every API of this tenant): export COEXIST_ACCESS_TOKEN=${runtime.env.COEXIST_SANDBOX_STATIC_TOKEN}`,
  ];
}

/** Columns padded to their widest cell, under a header row. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (row: readonly string[]): string => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** What `GET /sandbox/state` answers, as far as `status` shows it. */
export interface SandboxState {
  tenants: {
    tenantId: string;
    initialDomain: string;
    domains: DomainRecord[];
    acceptedDomainTypes: AcceptedDomainTypeRecord[];
    users: EntraUserRecord[];
    recipients: RecipientRecord[];
  }[];
  google: { domains: GoogleDomainRecord[]; users: GoogleUserRecord[] };
}

const RECIPIENT_KINDS: Record<RecipientRecord["recipientTypeDetails"], string> = { UserMailbox: "mailbox", MailUser: "mail user", MailContact: "mail contact" };

function primaryAddress(recipient: RecipientRecord): string {
  return (recipient.emailAddresses.find((address) => address.startsWith("SMTP:")) ?? recipient.emailAddresses[0] ?? "").replace(/^smtp:/i, "");
}

/** `count noun(s):` and a table of the items, the first USERS_SHOWN unless `all`. */
function listing<T>(noun: string, items: readonly T[], all: boolean, header: readonly string[], row: (item: T) => string[]): string[] {
  if (items.length === 0) return [`no ${noun}s`];
  const rows = all ? items : items.slice(0, USERS_SHOWN);
  const more = rows.length < items.length ? [`… and ${items.length - rows.length} more (coexist sandbox status --all)`] : [];
  return [`${items.length} ${noun}(s):`, ...formatTable(header, rows.map(row)), ...more];
}

const indented = (lines: readonly string[]): string[] => lines.map((line) => `  ${line}`);

/** The tenants and their users, each a table with a header row. */
export function describeTenants(state: SandboxState, all: boolean): string[] {
  const lines: string[] = [];
  for (const tenant of state.tenants) {
    const types = new Map(tenant.acceptedDomainTypes.map((entry) => [entry.domainName, entry.domainType]));
    const accounts = new Map(tenant.users.map((user) => [user.userPrincipalName.toLowerCase(), user]));
    const domains = formatTable(
      ["domain", "verified", "services", "accepted domain"],
      tenant.domains.map((domain) => [domain.id, domain.isVerified ? "yes" : "no", domain.supportedServices.join(", ") || "-", types.get(domain.id) ?? "-"]),
    );
    const recipients = [...tenant.recipients].sort((a, b) => primaryAddress(a).localeCompare(primaryAddress(b)));
    const recipientRows = listing("recipient", recipients, all, ["address", "kind", "forwards to", "sign-in", "licences"], (recipient) => {
      const account = accounts.get(recipient.microsoftOnlineServicesId.toLowerCase());
      return [
        primaryAddress(recipient),
        RECIPIENT_KINDS[recipient.recipientTypeDetails],
        recipient.externalEmailAddress?.replace(/^smtp:/i, "") ?? "-",
        account ? (account.accountEnabled ? "allowed" : "blocked") : "-",
        account ? String(account.assignedLicenses.length) : "-",
      ];
    });
    lines.push("", `Microsoft 365 tenant ${tenant.tenantId} (${tenant.initialDomain})`, ...indented(domains), "", ...indented(recipientRows));
  }
  const google = state.google;
  const users = [...google.users].sort((a, b) => a.primaryEmail.localeCompare(b.primaryEmail));
  const userRows = listing("user", users, all, ["address", "name", "department", "status", "forwarding"], (user) => [
    user.primaryEmail,
    `${user.givenName} ${user.familyName}`,
    user.department ?? "-",
    [user.suspended ? "suspended" : "active", ...(user.isAdmin ? ["admin"] : [])].join(", "),
    user.autoForwarding.enabled ? `to ${user.autoForwarding.emailAddress} (${user.autoForwarding.disposition ?? "leaveInInbox"})` : "-",
  ]);
  const domainNames = google.domains.map((domain) => (domain.aliasOf ? `${domain.domainName} (alias)` : domain.domainName));
  lines.push("", `Google Workspace tenant (${domainNames.join(", ")})`, ...indented(userRows));
  return lines;
}

async function run(command: Command, flags: Flags, io: CommandIo): Promise<number> {
  const say = (line: string): void => io.err(`${line}\n`);
  const answer = (line: string): void => io.out(`${line}\n`);
  const dataDir = flags.values.get("data-dir") ?? defaultDataDir();
  const running = readRuntime(dataDir);
  switch (command) {
    case "start": {
      if (running && (await answers(running))) {
        say(`coexist sandbox: a sandbox already runs for ${dataDir} at ${running.url}; \`coexist sandbox stop\` stops it.`);
        return 1;
      }
      const choice = seedChoice(flags);
      const handle = await startSandbox({ ...choice, dataDir, port: wholeNumber(flags, "port") ?? 0, faults: faults(flags), reset: flags.switches.has("reset") }, { detached: true });
      const runtime: Runtime = { pid: handle.pid, port: handle.port, url: handle.url, env: handle.env };
      for (const line of whereItRuns(runtime, dataDir)) say(line);
      say(`\`coexist sandbox status\` lists its tenants and users.`);
      for (const line of exportLines(runtime, dataDir)) answer(line);
      return 0;
    }
    case "stop":
      answer((await stopDetached(dataDir)) ? `Sandbox for ${dataDir} stopped.` : `No sandbox runs for ${dataDir}.`);
      return 0;
    case "status": {
      if (!running || !(await answers(running))) {
        say(`No sandbox runs for ${dataDir} (\`coexist sandbox start\` starts one).`);
        return 1;
      }
      const stats = (await controlRequest(running, "GET", "/sandbox/stats")).body as { total: number };
      const state = (await controlRequest(running, "GET", "/sandbox/state")).body as SandboxState;
      for (const line of [...whereItRuns(running, dataDir), ...exportLines(running, dataDir), `Requests served since start or last stats reset: ${stats.total}`, ...describeTenants(state, flags.switches.has("all"))]) answer(line);
      return 0;
    }
    case "reset": {
      const store = new Store(dataDir);
      try {
        loadSeed(store, store.seed(), say);
      } finally {
        store.close();
      }
      answer(`Sandbox state in ${dataDir} reset to its seed.`);
      return 0;
    }
    case "seed": {
      const started = Date.now();
      say(`Seeding ${dataDir} …`);
      const seed = seedDataDir(dataDir, seedChoice(flags), say);
      answer(`Seeded ${seed.google.users.length} Google users and ${seed.microsoft.length} Microsoft 365 tenant(s) in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
      return 0;
    }
  }
}

function isCommand(name: string | undefined): name is Command {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

/** `coexist sandbox <command> [options]`, with `--help` (or `-h`) on every command. */
export async function runSandboxCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = args;
  const wantsHelp = rest.includes("--help") || rest.includes("-h");
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.out(`${SANDBOX_HELP}\n`);
    return 0;
  }
  if (!isCommand(command)) {
    io.err(`coexist sandbox: unknown command "${command}".\n\n${SANDBOX_HELP}\n`);
    return 2;
  }
  if (wantsHelp) {
    io.out(`${COMMANDS[command].join("\n")}\n`);
    return 0;
  }
  try {
    return await run(command, parseFlags(rest), io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`coexist sandbox ${command}: ${error.message}\n\n${COMMANDS[command].join("\n")}\n`);
    return 2;
  }
}
