import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { controlRequest, DEMO_SEED_PATH, readRuntime, startSandbox, type FaultSettings, type SandboxHandle, type Seed } from "pulumi-mail-coexistence-sandbox";
import type { ApiStats } from "pulumi-mail-coexistence-sandbox/faults";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import type { BaselineOperation, BaselineSettings } from "./baseline";
import { repoRoot } from "./engine-env";
import { Stack } from "./stack";

// `npm run bench`: the root program against the sandbox throttled to the documented budgets, for
// N users, next to the seed's manual method as a sequential loop (scripts/baseline.ts). Writes
// bench/results/latest.json (one row per N and operation), latest-details.json (calls per API and
// operation, per process memory) and latest.svg. Budgets and method: docs/benchmark.md.
//
//   npm run bench [-- --max-n 1000 | --ns 100,1000] [--operations up,refresh] [--merge]

const OPERATIONS = ["up", "batch", "noop", "preview", "refresh", "destroy"] as const;
type Operation = (typeof OPERATIONS)[number];
const BASELINE_OF: Partial<Record<Operation, BaselineOperation>> = { up: "setup", batch: "batch", refresh: "refresh", destroy: "destroy" };
const DEFAULT_NS = [100, 1_000, 5_000, 10_000];
const BATCH_SIZE = 500;

/**
 * The throttle budgets (docs/benchmark.md): Graph 3,000 writes per 150 s per app and tenant
 * (microsoft-graph.md §3.2), counted on every request in 10 s windows; Exchange 1–3 requests at a
 * time per tenant and Rate-Limit-Limit 30,000 (exchange-admin-api.md §1.8, window undocumented:
 * the sandbox's 60 s); Gmail 1,200,000 units per minute per project at 100 units for the
 * costliest call (google-workspace.md §1.4, §1.7). Latency stands in for the services' own time.
 */
export const BUDGET = {
  graph: { requests: 200, perSeconds: 10, latencyMs: 50 },
  exchange: { requests: 30_000, perSeconds: 60, maxConcurrent: 3, latencyMs: 100 },
  gmail: { requests: 12_000, perSeconds: 60, latencyMs: 50 },
} as const;

function budgetFaults(): FaultSettings {
  return {
    seed: 7,
    apis: {
      graph: { rateLimit: { requests: BUDGET.graph.requests, perSeconds: BUDGET.graph.perSeconds }, latencyMs: BUDGET.graph.latencyMs },
      exchange: {
        rateLimit: { requests: BUDGET.exchange.requests, perSeconds: BUDGET.exchange.perSeconds },
        maxConcurrent: BUDGET.exchange.maxConcurrent,
        latencyMs: BUDGET.exchange.latencyMs,
      },
      gmail: { rateLimit: { requests: BUDGET.gmail.requests, perSeconds: BUDGET.gmail.perSeconds }, latencyMs: BUDGET.gmail.latencyMs },
    },
  };
}

/** The shortest time the budget allows for these calls: the slowest API's rate or concurrency bound. */
export function idealSeconds(callsByApi: Record<string, number>): number {
  let slowest = 0;
  for (const [api, calls] of Object.entries(callsByApi)) {
    const budget = BUDGET[api as keyof typeof BUDGET];
    if (!budget) continue;
    const byRate = calls / (budget.requests / budget.perSeconds);
    const concurrency = "maxConcurrent" in budget ? budget.maxConcurrent : Infinity;
    slowest = Math.max(slowest, byRate, (calls * budget.latencyMs) / 1000 / concurrency);
  }
  return slowest;
}

export interface BenchRow {
  n: number;
  operation: Operation;
  wallSeconds: number;
  idealSeconds: number;
  baselineSeconds: number | null;
  apiReads: number;
  apiWrites: number;
  peakRssMiB: number;
  stateBytes: number;
}

interface RowDetails {
  n: number;
  operation: Operation;
  /** Requests per API and operation (cmdlet for Exchange), throttled answers included. */
  apis: Record<string, ApiStats>;
  peakRssMiBByProcess: Record<string, number>;
  baselineApis?: Record<string, ApiStats>;
}

interface Options {
  ns: number[];
  operations: Operation[];
  /** Keep the rows of other N from the existing results (a long run done in parts). */
  merge: boolean;
  outDir: string;
  /** Where the engine writes its Go CPU and memory profiles (`pulumi --profiling`), one prefix per N and operation. */
  engineProfileDir?: string;
  /** The component's `granularity`: one resource per user, or three per batch (docs/benchmark.md). */
  granularity: Granularity;
  /** Skip the sequential baseline (hours at 10,000 users): its rows get `baselineSeconds: null`. */
  baseline: boolean;
}

const GRANULARITIES = ["user", "batch"] as const;
type Granularity = (typeof GRANULARITIES)[number];

function parseOptions(argv: string[]): Options {
  let ns = DEFAULT_NS;
  let operations: Operation[] = [...OPERATIONS];
  let merge = false;
  let engineProfileDir: string | undefined;
  let granularity: Granularity = "batch";
  let baseline = true;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--max-n") {
      const max = Number(value);
      if (!Number.isInteger(max) || max < 1) throw new Error(`--max-n takes a whole number of users, got ${value}`);
      ns = DEFAULT_NS.filter((n) => n <= max);
      i++;
    } else if (argv[i] === "--ns") {
      ns = (value ?? "").split(",").map(Number);
      if (ns.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--ns takes a comma-separated list of user counts, got ${value}`);
      i++;
    } else if (argv[i] === "--merge") {
      merge = true;
    } else if (argv[i] === "--no-baseline") {
      baseline = false;
    } else if (argv[i] === "--granularity") {
      if (!GRANULARITIES.includes(value as Granularity)) throw new Error(`--granularity takes ${GRANULARITIES.join(" or ")}, got ${value}`);
      granularity = value as Granularity;
      i++;
    } else if (argv[i] === "--engine-profile") {
      if (!value) throw new Error("--engine-profile takes a folder for the engine's profiles");
      engineProfileDir = path.resolve(value);
      i++;
    } else if (argv[i] === "--operations") {
      operations = (value ?? "").split(",") as Operation[];
      if (operations.some((operation) => !OPERATIONS.includes(operation))) throw new Error(`--operations takes some of ${OPERATIONS.join(",")}, got ${value}`);
      i++;
    } else {
      throw new Error(`unknown option ${argv[i]}: use --max-n N, --ns 100,1000, --operations up,refresh, --granularity user|batch, --no-baseline, --merge or --engine-profile DIR`);
    }
  }
  if (ns.length === 0) throw new Error("no N to run: --max-n is below 100");
  return { ns, operations, merge, outDir: path.join(repoRoot, "bench", "results"), engineProfileDir, granularity, baseline };
}

// ---------------------------------------------------------------------------------------------
// Peak memory: VmHWM of every process under this one (engine, language host, program, provider
// plugin), sampled while a command runs. The sandbox's processes are not counted.

function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return children;
}

function processLabel(pid: number): string {
  const command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const text = command.join(" ");
  if (text.includes("dynamic-provider")) return "provider";
  if (text.includes("pulumi-language-nodejs")) return "language host";
  if (/\bnode\b/.test(path.basename(command[0] ?? "")) && text.includes("cmd/run")) return "program";
  return path.basename(command[0] ?? String(pid));
}

class MemorySampler {
  private readonly peaks = new Map<number, { label: string; kib: number }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly excluded: Set<number>) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), 200);
  }

  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    const byLabel: Record<string, number> = {};
    for (const { label, kib } of this.peaks.values()) byLabel[label] = Math.max(byLabel[label] ?? 0, Math.round(kib / 1024));
    return byLabel;
  }

  private sample(): void {
    const children = childrenByParent();
    const pending = [...(children.get(process.pid) ?? [])];
    while (pending.length) {
      const pid = pending.pop() as number;
      if (this.excluded.has(pid)) continue;
      pending.push(...(children.get(pid) ?? []));
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        if (!hwm) continue;
        // Read each time: the provider plugin starts as a shell shim that execs node.
        const label = processLabel(pid);
        this.peaks.set(pid, { label, kib: Math.max(Number(hwm[1]), this.peaks.get(pid)?.kib ?? 0) });
      } catch {
        // Gone already; its last sample stands.
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

async function control(sandbox: SandboxHandle, method: string, route: string, body?: unknown): Promise<unknown> {
  const runtime = readRuntime(sandbox.dataDir);
  if (!runtime) throw new Error("the sandbox runtime file is missing");
  const response = await controlRequest(runtime, method, route, body);
  if (response.status >= 300) throw new Error(`sandbox ${method} ${route}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function apiStats(sandbox: SandboxHandle): Promise<Record<string, ApiStats>> {
  return ((await control(sandbox, "GET", "/sandbox/stats")) as { apis: Record<string, ApiStats> }).apis;
}

/** Calls that reached an API's budget: throttled answers are counted by the sandbox but cost nothing. */
function budgetedCalls(apis: Record<string, ApiStats>): Record<string, number> {
  return Object.fromEntries(Object.entries(apis).map(([api, stats]) => [api, stats.requests - (stats.faults.throttle ?? 0)]));
}

/** Reads or writes of the managed APIs; sign-in (the Entra token endpoint) is not a change to the tenant. */
function sum(apis: Record<string, ApiStats>, field: "reads" | "writes"): number {
  return Object.entries(apis).reduce((total, [api, stats]) => total + (api === "entra" ? 0 : stats[field]), 0);
}

/** The demo seed with enough licences for every user. */
function benchSeed(n: number): Seed {
  const seed = readSeedFile(DEMO_SEED_PATH);
  for (const tenant of seed.microsoft) for (const sku of tenant.skus) sku.seats = Math.max(sku.seats, n + 100);
  return seed;
}

interface GoogleUser {
  primaryEmail: string;
  givenName: string;
  familyName: string;
  department?: string;
}

/** Generated names repeat past a few hundred users (`farid.brown2@`), and an Exchange Name must be unique: the display name carries the round. */
function usersCsv(users: GoogleUser[]): string {
  const rows = users.map((u) => {
    const round = /(\d+)@/.exec(u.primaryEmail)?.[1];
    return [u.primaryEmail, u.givenName, u.familyName, `${u.givenName} ${u.familyName}${round ? ` ${round}` : ""}`, u.department ?? ""].join(",");
  });
  return ["email,firstName,lastName,displayName,batch", ...rows].join("\n") + "\n";
}

const SETTINGS: BaselineSettings = {
  primaryDomain: "contoso.com",
  routingDomain: "o365.contoso.com",
  licenseSku: "EXCHANGESTANDARD",
  usageLocation: "US",
  connectorName: "Google Workspace coexistence",
  password: "Bench-Passw0rd!",
};

async function startBenchSandbox(n: number): Promise<SandboxHandle> {
  return startSandbox({ seed: benchSeed(n), users: n, departments: Math.max(1, Math.round(n / BATCH_SIZE)), faults: budgetFaults() });
}

/** The users CSV of the sandbox's Google tenant, and the first batch's name. */
async function writeUsersCsv(sandbox: SandboxHandle, csvPath: string): Promise<string> {
  const state = (await control(sandbox, "GET", "/sandbox/state")) as { google: { users: GoogleUser[] } };
  const users = state.google.users.filter((u) => u.primaryEmail.endsWith(`@${SETTINGS.primaryDomain}`) && u.department);
  fs.writeFileSync(csvPath, usersCsv(users));
  return users[0].department as string;
}

interface Measured {
  seconds: number;
  apis: Record<string, ApiStats>;
  memory: Record<string, number>;
}

/** Times `work` and counts its API calls; with `excluded`, also the peak memory of every other process under this one. */
async function measure(sandbox: SandboxHandle, work: () => Promise<unknown>, excluded?: Set<number>): Promise<Measured> {
  await control(sandbox, "POST", "/sandbox/stats/reset");
  const sampler = excluded ? new MemorySampler(excluded) : undefined;
  sampler?.start();
  const started = process.hrtime.bigint();
  let memory: Record<string, number> = {};
  try {
    await work();
  } finally {
    memory = sampler?.stop() ?? {};
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, apis: await apiStats(sandbox), memory };
}

/** Runs one baseline job; its process is added to `excluded`, so it never counts in the engine's memory. */
function runBaseline(sandbox: SandboxHandle, operation: BaselineOperation, csvPath: string, batch: string, excluded: Set<number>): Promise<void> {
  const script = path.join(repoRoot, "dist", "scripts", "baseline.js");
  const env = { ...process.env, ...sandbox.env, COEXIST_BASELINE_SETTINGS: JSON.stringify(SETTINGS) };
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [script, operation, csvPath, batch], { env, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`baseline ${operation} failed: ${stderr || error.message}`)) : resolve(),
    );
    if (child.pid) excluded.add(child.pid);
  });
}

/**
 * The baseline's jobs on their own sandbox, one after another: the set-up always (everything else
 * needs it), then the same jobs the engine runs. It runs alongside the engine's jobs: a sequential
 * loop is one request at a time, mostly waiting, and at 10,000 users it takes hours.
 */
async function baselineJobs(n: number, operations: Operation[], workDir: string, excluded: Set<number>, log: (line: string) => void): Promise<Map<Operation, Measured>> {
  const measured = new Map<Operation, Measured>();
  const sandbox = await startBenchSandbox(n);
  excluded.add(sandbox.pid);
  try {
    const csvPath = path.join(workDir, "baseline-users.csv");
    const batch = await writeUsersCsv(sandbox, csvPath);
    for (const [operation, baselineOperation] of Object.entries(BASELINE_OF) as [Operation, BaselineOperation][]) {
      if (!operations.includes(operation) && baselineOperation !== "setup") continue;
      const result = await measure(sandbox, () => runBaseline(sandbox, baselineOperation, csvPath, batch, excluded));
      measured.set(operation, result);
      log(`bench: N=${n} ${operation.padEnd(7)} baseline (${baselineOperation}) ${round(result.seconds)} s`);
    }
  } finally {
    await sandbox.stop();
  }
  return measured;
}

async function benchN(n: number, options: Options, log: (line: string) => void): Promise<{ rows: BenchRow[]; details: RowDetails[] }> {
  const operations = options.operations;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `coexist-bench-${n}-`));
  const csvPath = path.join(workDir, "users.csv");
  const stackName = `bench-n${n}`;
  const rows: BenchRow[] = [];
  const details: RowDetails[] = [];
  const excluded = new Set<number>();
  if (options.baseline) log(`bench: N=${n} baseline: the same jobs as a sequential loop (scripts/baseline.ts), alongside`);
  const baseline = options.baseline ? baselineJobs(n, operations, workDir, excluded, log) : Promise.resolve(new Map<Operation, Measured>());
  // Its failure is reported once the engine's jobs are done.
  baseline.catch(() => undefined);
  const sandbox = await startBenchSandbox(n);
  excluded.add(sandbox.pid);
  const stack = new Stack({ projectDir: repoRoot, stack: stackName, stateDir: path.join(workDir, "state"), passphrase: "bench", env: sandbox.env });
  try {
    const batch = await writeUsersCsv(sandbox, csvPath);
    await stack.init(
      { ...configOf(csvPath), "coexist:phase": "coexistence", "coexist:batches": "{}", "coexist:granularity": options.granularity },
      { "coexist:mailUserPassword": SETTINGS.password },
    );
    const profiling = (operation: Operation): string[] => {
      if (!options.engineProfileDir) return [];
      fs.mkdirSync(options.engineProfileDir, { recursive: true });
      return ["--profiling", path.join(options.engineProfileDir, `n${n}-${operation}`)];
    };
    const steps: Record<Operation, () => Promise<unknown>> = {
      up: () => stack.up(profiling("up")),
      preview: () => stack.preview(profiling("preview")),
      batch: () => stack.up(profiling("batch")),
      noop: () => stack.up(profiling("noop")),
      refresh: () => stack.refresh(profiling("refresh")),
      destroy: () => stack.destroy(profiling("destroy")),
    };
    // The preview is of the one-batch change that `batch` then applies.
    const order = (["up", "preview", "batch", "noop", "refresh", "destroy"] as const).filter((operation) => operations.includes(operation));
    for (const operation of order) {
      if (operation === order.find((candidate) => candidate === "preview" || candidate === "batch")) {
        await stack.setConfig({ "coexist:batches": JSON.stringify({ [batch]: "migrating" }) });
      }
      const measured = await measure(sandbox, steps[operation], excluded);
      const stateBytes = Buffer.byteLength(JSON.stringify(await stack.exportStack()));
      const row: BenchRow = {
        n,
        operation,
        wallSeconds: round(measured.seconds),
        idealSeconds: round(idealSeconds(budgetedCalls(measured.apis))),
        baselineSeconds: null,
        apiReads: sum(measured.apis, "reads"),
        apiWrites: sum(measured.apis, "writes"),
        peakRssMiB: Object.values(measured.memory).reduce((total, mib) => total + mib, 0),
        stateBytes,
      };
      rows.push(row);
      details.push({ n, operation, apis: measured.apis, peakRssMiBByProcess: measured.memory });
      log(`bench: N=${n} ${operation.padEnd(7)} ${row.wallSeconds} s (ideal ${row.idealSeconds} s), ${row.apiReads} reads, ${row.apiWrites} writes, ${row.peakRssMiB} MiB, state ${row.stateBytes} B`);
    }
  } finally {
    await stack.remove();
    await sandbox.stop();
  }

  try {
    for (const [operation, measured] of await baseline) {
      const row = rows.find((candidate) => candidate.operation === operation);
      if (!row) continue;
      row.baselineSeconds = round(measured.seconds);
      // The budget's ideal is for the job, so it counts the fewer calls of the two ways of doing it.
      row.idealSeconds = Math.min(row.idealSeconds, round(idealSeconds(budgetedCalls(measured.apis))));
      (details.find((candidate) => candidate.operation === operation) as RowDetails).baselineApis = measured.apis;
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  return { rows, details };
}

function configOf(csvPath: string): Record<string, string> {
  return {
    "coexist:primaryDomain": SETTINGS.primaryDomain,
    "coexist:routingDomain": SETTINGS.routingDomain,
    "coexist:usersCsv": csvPath,
    "coexist:licenseSku": SETTINGS.licenseSku,
    "coexist:usageLocation": SETTINGS.usageLocation,
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;

// ---------------------------------------------------------------------------------------------
// The chart: log-log, time against N for `up` of the full set-up, three series.

export function chartSvg(rows: BenchRow[]): string {
  const ups = rows.filter((row) => row.operation === "up").sort((a, b) => a.n - b.n);
  const series = [
    { name: "pulumi up (ours)", color: "#1f77b4", points: ups.map((row) => [row.n, row.wallSeconds]) },
    { name: "sequential baseline", color: "#d62728", points: ups.filter((row) => row.baselineSeconds !== null).map((row) => [row.n, row.baselineSeconds as number]) },
    { name: "ideal (throttle budget)", color: "#2ca02c", points: ups.map((row) => [row.n, row.idealSeconds]) },
  ];
  const values = series.flatMap((s) => s.points).filter(([, seconds]) => seconds > 0);
  const width = 640;
  const height = 420;
  const margin = { left: 70, right: 20, top: 40, bottom: 60 };
  const decades = (list: number[]): [number, number] => [Math.floor(Math.log10(Math.min(...list))), Math.ceil(Math.log10(Math.max(...list)))];
  const [xLow, xHigh] = decades([...values.map(([n]) => n), 100, 10_000]);
  const [yLow, yHigh] = decades(values.map(([, seconds]) => seconds).concat(1));
  const x = (n: number) => margin.left + ((Math.log10(n) - xLow) / Math.max(1, xHigh - xLow)) * (width - margin.left - margin.right);
  const y = (s: number) => height - margin.bottom - ((Math.log10(s) - yLow) / Math.max(1, yHigh - yLow)) * (height - margin.top - margin.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">pulumi up of the full set-up: wall time against users (log-log)</text>`,
  ];
  for (let d = xLow; d <= xHigh; d++) {
    parts.push(`<line x1="${x(10 ** d)}" y1="${margin.top}" x2="${x(10 ** d)}" y2="${height - margin.bottom}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(10 ** d)}" y="${height - margin.bottom + 16}" text-anchor="middle">${(10 ** d).toLocaleString("en")}</text>`);
  }
  for (let d = yLow; d <= yHigh; d++) {
    parts.push(`<line x1="${margin.left}" y1="${y(10 ** d)}" x2="${width - margin.right}" y2="${y(10 ** d)}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y(10 ** d) + 4}" text-anchor="end">${10 ** d} s</text>`);
  }
  parts.push(`<text x="${width / 2}" y="${height - 20}" text-anchor="middle">users (N)</text>`);
  series.forEach((s, index) => {
    const points = s.points.filter(([, seconds]) => seconds > 0);
    if (points.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.map(([n, sec]) => `${x(n).toFixed(1)},${y(sec).toFixed(1)}`).join(" ")}"/>`);
    for (const [n, sec] of points) parts.push(`<circle cx="${x(n).toFixed(1)}" cy="${y(sec).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    const legendY = margin.top + 8 + index * 18;
    parts.push(`<rect x="${margin.left + 10}" y="${legendY - 9}" width="12" height="12" fill="${s.color}"/><text x="${margin.left + 28}" y="${legendY + 1}">${s.name}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function previousResults(outDir: string): { rows: BenchRow[]; details: RowDetails[] } {
  const read = <T>(file: string, fallback: T): T => (fs.existsSync(path.join(outDir, file)) ? JSON.parse(fs.readFileSync(path.join(outDir, file), "utf8")) : fallback);
  return { rows: read<BenchRow[]>("latest.json", []), details: read<{ details: RowDetails[] }>("latest-details.json", { details: [] }).details };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  fs.mkdirSync(options.outDir, { recursive: true });
  const measured: { rows: BenchRow[]; details: RowDetails[] } = { rows: [], details: [] };
  // Written after every N, so a long run that is stopped keeps what it measured. With --merge the
  // other N's rows are read back at each write, so runs of different N can go side by side.
  for (const n of options.ns) {
    const result = await benchN(n, options, (line) => console.log(line));
    measured.rows.push(...result.rows);
    measured.details.push(...result.details);
    const measuredNs = new Set(measured.rows.map((row) => row.n));
    const earlier = options.merge ? previousResults(options.outDir) : { rows: [], details: [] };
    const rows = [...earlier.rows.filter((row) => !measuredNs.has(row.n)), ...measured.rows].sort((a, b) => a.n - b.n);
    const details = [...earlier.details.filter((row) => !measuredNs.has(row.n)), ...measured.details].sort((a, b) => a.n - b.n);
    fs.writeFileSync(path.join(options.outDir, "latest.json"), JSON.stringify(rows, null, 2) + "\n");
    fs.writeFileSync(path.join(options.outDir, "latest-details.json"), JSON.stringify({ budget: BUDGET, granularity: options.granularity, details }, null, 2) + "\n");
    fs.writeFileSync(path.join(options.outDir, "latest.svg"), chartSvg(rows));
  }
  console.log(`bench: N=${options.ns.join(",")} done in ${Math.round((Date.now() - started) / 1000)} s; bench/results/latest.json, latest-details.json, latest.svg`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`bench: failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  });
}
