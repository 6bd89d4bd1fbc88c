/**
 * The `coexist` command line: `coexist help`; `coexist doctor` (what the stack's planned resources
 * need from the live tenants, checked before anything runs); `coexist trace <address> | --all`
 * (hop-by-hop routes through both live tenants or the sandbox); `coexist sandbox
 * start|stop|status|reset|seed`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  answers,
  controlRequest,
  defaultDataDir,
  readRuntime,
  seedDataDir,
  startSandbox,
  stopDetached,
  type FaultSettings,
  type SeedChoice,
} from "../sandbox/index";
import { GOOGLE_CREDENTIALS_FILE, type Runtime } from "../sandbox/runtime";
import { loadSeed } from "../sandbox/seeding";
import { Store } from "../sandbox/store";
import { runDoctor } from "./doctor";
import { runInventory } from "./inventory";
import { runTrace } from "./trace";

const HELP = `coexist — Google Workspace → Microsoft 365 mail-flow coexistence

Usage:
  coexist help
  coexist doctor [--cwd <folder>] [--stack <name>] [--json]           (see \`coexist doctor --help\`)
  coexist trace <address> [--from internet|google|m365] | --all      (see \`coexist trace --help\`)
  coexist inventory --out <dir> [--batch-by department|orgunit]      (see \`coexist inventory --help\`)
  coexist sandbox start  [--seed <file> | --users <N> [--departments <K>]] [--port <P>] [--faults <json|file>] [--reset] [--strict]
  coexist sandbox stop
  coexist sandbox status
  coexist sandbox reset                       back to the stored seed
  coexist sandbox seed   [<file>] [--users <N>] [--departments <K>]   load a new seed

The data directory is $COEXIST_SANDBOX_DIR or ./.sandbox (override with --data-dir <dir>).
`;

export class UsageError extends Error {}

interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  positional: string[];
}

const SWITCHES = new Set(["reset", "strict"]);

export function parseFlags(args: string[]): Flags {
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

function describe(runtime: Runtime, dataDir: string): string {
  return [
    `Sandbox running at ${runtime.url} (pid ${runtime.pid}, data ${dataDir})`,
    `  Entra ID:  ${runtime.url}/{tenant}/oauth2/v2.0/token`,
    `  Graph:     ${runtime.url}/v1.0`,
    `  Exchange:  ${runtime.url}/adminapi/beta/{tenant}/InvokeCommand`,
    `  Google:    ${runtime.url}/gmail/v1, ${runtime.url}/admin/directory/v1, ${runtime.url}/token`,
    `  Control:   ${runtime.url}/sandbox/{state,stats,faults,dns/mx,mail,reset}`,
    ...exportLines(runtime, dataDir),
    `# Static-token mode (one token for every API of this tenant): export COEXIST_ACCESS_TOKEN=${runtime.env.COEXIST_SANDBOX_STATIC_TOKEN}`,
  ].join("\n");
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function sandbox(command: string | undefined, flags: Flags): Promise<void> {
  const dataDir = flags.values.get("data-dir") ?? defaultDataDir();
  const running = readRuntime(dataDir);
  switch (command) {
    case "start": {
      if (running && (await answers(running))) throw new UsageError(`A sandbox already runs for ${dataDir} at ${running.url}; run \`coexist sandbox stop\` first.`);
      const choice = seedChoice(flags);
      const handle = await startSandbox(
        { ...choice, dataDir, port: wholeNumber(flags, "port") ?? 0, faults: faults(flags), reset: flags.switches.has("reset") },
        { detached: true },
      );
      print(describe({ pid: handle.pid, port: handle.port, url: handle.url, env: handle.env }, dataDir));
      return;
    }
    case "stop":
      print((await stopDetached(dataDir)) ? `Sandbox for ${dataDir} stopped.` : `No sandbox runs for ${dataDir}.`);
      return;
    case "status":
      if (running && (await answers(running))) {
        const stats = (await controlRequest(running, "GET", "/sandbox/stats")).body as { total: number };
        print(describe(running, dataDir));
        print(`Requests served since start or last stats reset: ${stats.total}`);
      } else {
        print(`No sandbox runs for ${dataDir}.`);
        process.exitCode = 1;
      }
      return;
    case "reset": {
      const store = new Store(dataDir);
      try {
        loadSeed(store, store.seed(), print);
      } finally {
        store.close();
      }
      print(`Sandbox state in ${dataDir} reset to its seed.`);
      return;
    }
    case "seed": {
      const started = Date.now();
      print(`Seeding ${dataDir} …`);
      const seed = seedDataDir(dataDir, seedChoice(flags), print);
      print(`Seeded ${seed.google.users.length} Google users and ${seed.microsoft.length} Microsoft 365 tenant(s) in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
      return;
    }
    default:
      throw new UsageError(`Unknown sandbox command "${command ?? ""}".\n\n${HELP}`);
  }
}

export async function main(args: string[]): Promise<void> {
  const [group, command, ...rest] = args;
  if (group === undefined || group === "help" || group === "--help") {
    print(HELP);
    return;
  }
  if (group === "sandbox") return sandbox(command, parseFlags(rest));
  if (group === "doctor") {
    process.exitCode = await runDoctor(args.slice(1));
    return;
  }
  if (group === "trace") {
    process.exitCode = await runTrace(args.slice(1));
    return;
  }
  if (group === "inventory") {
    process.exitCode = await runInventory(args.slice(1));
    return;
  }
  throw new UsageError(`Unknown command "${group}".\n\n${HELP}`);
}

if (require.main === module || require.main?.filename.endsWith(join("bin", "coexist.js"))) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`coexist: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}
