import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_BEHAVIOUR } from "pulumi-mail-coexistence-sandbox/behaviour";
import type { ApiStats } from "pulumi-mail-coexistence-sandbox/faults";
import { controlRequest, DEMO_SEED_PATH, readRuntime, startSandbox, type FaultSettings, type SandboxHandle, type Seed } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { budgetSeconds, meanMs, PROFILE_NAMES, profileFaults, THROTTLING_PROFILES, type ThrottlingProfile } from "pulumi-mail-coexistence-sandbox/throttlingProfiles";
import type { BaselineOperation, BaselineSettings } from "./baseline";
import { chartSvg, OPERATIONS, type BenchRow, type Operation } from "./benchChart";
import { repoRoot } from "./engine-env";
import { Stack } from "./stack";

// `npm run bench`: the root program against the sandbox under named throttling profiles
// (sandbox/throttlingProfiles.ts: budgets the provider is not told), for N users, next to the
// seed's manual method as a sequential loop (scripts/baseline.ts). Writes bench/results/latest.json
// (one row per N, profile and operation), latest-details.json (calls per API and operation, per
// process memory) and latest.svg. Method and figures: docs/benchmark.md.
//
//   npm run bench [-- --max-n 1000 | --ns 100,1000] [--profiles exchange-3,exchange-10] [--operations up,batch] [--merge]

const BASELINE_OF: Partial<Record<Operation, BaselineOperation>> = { up: "setup", batch: "batch", refresh: "refresh", destroy: "destroy" };
const DEFAULT_NS = [100, 1_000, 10_000];
const DEFAULT_PROFILES: ThrottlingProfile[] = ["exchange-3", "exchange-10", "exchange-30"];
const BATCH_SIZE = 500;
/** From this N the bench splits the tenant into one stack per batch plus the tenant stack (docs/benchmark.md). */
const PER_BATCH_STACKS_FROM = 10_000;
/**
 * From this N the set-up `up` runs unthrottled (its row says so): under a realistic profile it
 * takes hours at 10,000 users, and the measured steps need only its result.
 */
const UNTHROTTLED_SETUP_FROM = 10_000;
/** The sandbox converts a licensed mail user to a mailbox after this long (sandbox/behaviour.ts default). */
const CONVERSION_DELAY_SECONDS = DEFAULT_BEHAVIOUR.licenceConversionDelaySeconds;
/** Users of the demo tenant besides the generated ones (the identity budget's tenant size). */
const DEMO_TENANT_USERS = 10;

/**
 * The shortest time a profile's budget allows for the job (sandbox/throttlingProfiles.ts,
 * budgetSeconds); a batch move also waits, after its last licence, for that mailbox (the
 * conversion delay) and for that user's two Gmail writes.
 */
export function idealSeconds(apis: Record<string, ApiStats>, profile: ThrottlingProfile, operation: Operation, tenantUsers: number): number {
  const slowest = budgetSeconds(apis, profile, tenantUsers);
  if (operation !== "batch") return slowest;
  const gmail = (THROTTLING_PROFILES[profile] as NonNullable<FaultSettings["apis"]>).gmail;
  return slowest + CONVERSION_DELAY_SECONDS + (2 * meanMs(gmail, "POST /gmail/v1/users/{id}/settings/forwardingAddresses")) / 1000;
}

interface RowDetails {
  n: number;
  profile: ThrottlingProfile;
  operation: Operation;
  /** Requests per API and operation (cmdlet for Exchange), throttled answers included. */
  apis: Record<string, ApiStats>;
  peakRssMiBByProcess: Record<string, number>;
  sandboxCpuSeconds: number;
  baselineApis?: Record<string, ApiStats>;
}

interface Options {
  ns: number[];
  profiles: ThrottlingProfile[];
  operations: Operation[];
  /** Keep the rows of other N, profiles and operations from the existing results (a long run done in parts). */
  merge: boolean;
  outDir: string;
  /** Where the engine writes its Go CPU and memory profiles (`pulumi --profiling`), one prefix per N and operation. */
  engineProfileDir?: string;
  /** The component's `granularity`: one resource per user, or three per batch (docs/benchmark.md). */
  granularity: Granularity;
  /** Skip the sequential baseline (hours at 10,000 users): its rows get `baselineSeconds: null`. */
  baseline: boolean;
  /** Batch stacks a per-batch destroy runs at once (the tenant stack always goes last, alone). */
  batchStacksAtOnce: number;
}

const GRANULARITIES = ["user", "batch"] as const;
type Granularity = (typeof GRANULARITIES)[number];

function parseOptions(argv: string[]): Options {
  let ns = DEFAULT_NS;
  let profiles = DEFAULT_PROFILES;
  let operations: Operation[] = [...OPERATIONS];
  let merge = false;
  let engineProfileDir: string | undefined;
  let granularity: Granularity = "batch";
  let baseline = true;
  let batchStacksAtOnce = 1;
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
    } else if (argv[i] === "--profiles") {
      profiles = (value ?? "").split(",") as ThrottlingProfile[];
      if (profiles.some((profile) => !PROFILE_NAMES.includes(profile))) throw new Error(`--profiles takes some of ${PROFILE_NAMES.join(",")}, got ${value}`);
      i++;
    } else if (argv[i] === "--merge") {
      merge = true;
    } else if (argv[i] === "--batch-stacks-at-once") {
      batchStacksAtOnce = Number(value);
      if (!Number.isInteger(batchStacksAtOnce) || batchStacksAtOnce < 1) throw new Error(`--batch-stacks-at-once takes a whole number of stacks, got ${value}`);
      i++;
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
      throw new Error(
        `unknown option ${argv[i]}: use --max-n N, --ns 100,1000, --profiles ${DEFAULT_PROFILES.join(",")}, --operations up,batch, --granularity user|batch, --batch-stacks-at-once K, --no-baseline, --merge or --engine-profile DIR`,
      );
    }
  }
  if (ns.length === 0) throw new Error("no N to run: --max-n is below 100");
  return { ns, profiles, operations, merge, outDir: path.join(repoRoot, "bench", "results"), engineProfileDir, granularity, baseline, batchStacksAtOnce };
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

/** The managed APIs; sign-in (the Entra token endpoints) is not a change to the tenant. */
const MANAGED_APIS = new Set(["graph", "exchange", "gmail", "directory"]);

function sum(apis: Record<string, ApiStats>, field: "reads" | "writes"): number {
  return Object.entries(apis).reduce((total, [api, stats]) => total + (MANAGED_APIS.has(api) ? stats[field] : 0), 0);
}

function throttledAnswers(apis: Record<string, ApiStats>): number {
  return Object.entries(apis).reduce((total, [api, stats]) => total + (MANAGED_APIS.has(api) ? (stats.faults.throttle ?? 0) : 0), 0);
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

async function startBenchSandbox(n: number, profile: ThrottlingProfile): Promise<SandboxHandle> {
  return startSandbox({ seed: benchSeed(n), users: n, departments: Math.max(1, Math.round(n / BATCH_SIZE)), faults: profileFaults(profile) });
}

/** Switches a running sandbox to another throttling profile (fresh budgets and random draws). */
async function useProfile(sandbox: SandboxHandle, profile: ThrottlingProfile): Promise<void> {
  await control(sandbox, "PUT", "/sandbox/faults", profileFaults(profile));
}

/** The users CSV of the sandbox's Google tenant, and its batches (departments) in CSV order. */
async function writeUsersCsv(sandbox: SandboxHandle, csvPath: string): Promise<string[]> {
  const state = (await control(sandbox, "GET", "/sandbox/state")) as { google: { users: GoogleUser[] } };
  const users = state.google.users.filter((u) => u.primaryEmail.endsWith(`@${SETTINGS.primaryDomain}`) && u.department);
  fs.writeFileSync(csvPath, usersCsv(users));
  return [...new Set(users.map((user) => user.department as string))];
}

interface Measured {
  seconds: number;
  apis: Record<string, ApiStats>;
  memory: Record<string, number>;
  load1: number;
  /** CPU the sandbox spent answering: near `seconds`, the emulator and not the budget set the pace. */
  sandboxCpuSeconds: number;
}

/** CPU seconds (user and system) a process has used so far, from /proc/<pid>/stat. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Times `work` and counts its API calls; with `excluded`, also the peak memory of every other process under this one. */
async function measure(sandbox: SandboxHandle, work: () => Promise<unknown>, excluded?: Set<number>): Promise<Measured> {
  await control(sandbox, "POST", "/sandbox/stats/reset");
  const sampler = excluded ? new MemorySampler(excluded) : undefined;
  const load1 = round(os.loadavg()[0]);
  sampler?.start();
  const started = process.hrtime.bigint();
  const sandboxCpuBefore = cpuSecondsOf(sandbox.pid);
  let memory: Record<string, number> = {};
  try {
    await work();
  } finally {
    memory = sampler?.stop() ?? {};
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, apis: await apiStats(sandbox), memory, load1, sandboxCpuSeconds: round(cpuSecondsOf(sandbox.pid) - sandboxCpuBefore) };
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
 * needs it), then the same jobs the engine runs. One call at a time never meets a concurrency
 * budget, so the first profile's latencies serve every profile. It runs alongside the engine's
 * jobs: a sequential loop is mostly waiting, and at 1,000 users it takes over an hour.
 */
async function baselineJobs(n: number, profile: ThrottlingProfile, operations: Operation[], workDir: string, excluded: Set<number>, log: (line: string) => void): Promise<Map<Operation, Measured>> {
  const measured = new Map<Operation, Measured>();
  const sandbox = await startBenchSandbox(n, profile);
  excluded.add(sandbox.pid);
  try {
    const csvPath = path.join(workDir, "baseline-users.csv");
    const [batch] = await writeUsersCsv(sandbox, csvPath);
    for (const [operation, baselineOperation] of Object.entries(BASELINE_OF) as [Operation, BaselineOperation][]) {
      if (!operations.includes(operation) && baselineOperation !== "setup") continue;
      const result = await measure(sandbox, () => runBaseline(sandbox, baselineOperation, csvPath, batch, excluded));
      measured.set(operation, result);
      log(`bench: N=${n} ${operation.padEnd(7)} baseline (${baselineOperation}, ${profile} latencies) ${round(result.seconds)} s`);
    }
  } finally {
    await sandbox.stop();
  }
  return measured;
}

const stackSafe = (name: string): string => name.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-");

/**
 * The stacks of one N: a single stack, or (from PER_BATCH_STACKS_FROM) the tenant stack and one
 * per batch, as docs/benchmark.md recommends for large tenants. `moved` runs the one-batch steps.
 */
interface Layout {
  all: Stack[];
  /** In the order `up` applies them: the tenant stack first. */
  moved: Stack;
}

async function createLayout(n: number, profile: ThrottlingProfile, batches: string[], csvPath: string, workDir: string, sandbox: SandboxHandle, granularity: Granularity): Promise<Layout> {
  const stack = (name: string) =>
    new Stack({ projectDir: repoRoot, stack: `bench-n${n}-${profile}${name}`, stateDir: path.join(workDir, "state"), passphrase: "bench", env: sandbox.env });
  const config = { ...configOf(csvPath), "coexist:phase": "coexistence", "coexist:batches": "{}", "coexist:granularity": granularity };
  const secrets = { "coexist:mailUserPassword": SETTINGS.password };
  if (n < PER_BATCH_STACKS_FROM) {
    const single = stack("");
    await single.init(config, secrets);
    return { all: [single], moved: single };
  }
  const tenant = stack("-tenant");
  await tenant.init({ ...config, "coexist:scope": "tenant" }, secrets);
  const perBatch: Stack[] = [];
  for (const batch of batches) {
    const batchStack = stack(`-b-${stackSafe(batch)}`);
    await batchStack.init({ ...config, "coexist:scope": `batch:${batch}` }, secrets);
    perBatch.push(batchStack);
  }
  return { all: [tenant, ...perBatch], moved: perBatch[0] };
}

/** Bytes of every stack's exported state. */
async function stateBytesOf(stacks: Stack[]): Promise<number> {
  let bytes = 0;
  for (const stack of stacks) bytes += Buffer.byteLength(JSON.stringify(await stack.exportStack()));
  return bytes;
}

/** One N under one profile: set-up, then the measured steps, each a row. `excluded`: processes (the baseline's) left out of the memory figures. */
async function benchProfile(n: number, profile: ThrottlingProfile, options: Options, excluded: Set<number>, log: (line: string) => void): Promise<{ rows: BenchRow[]; details: RowDetails[] }> {
  const operations = options.operations;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `coexist-bench-${n}-${profile}-`));
  const csvPath = path.join(workDir, "users.csv");
  const rows: BenchRow[] = [];
  const details: RowDetails[] = [];
  const setupProfile: ThrottlingProfile = n >= UNTHROTTLED_SETUP_FROM ? "unthrottled" : profile;
  const sandbox = await startBenchSandbox(n, setupProfile);
  excluded.add(sandbox.pid);
  let layout: Layout | undefined;
  try {
    const batches = await writeUsersCsv(sandbox, csvPath);
    layout = await createLayout(n, profile, batches, csvPath, workDir, sandbox, options.granularity);
    const { all, moved } = layout;
    const profiling = (operation: Operation, stack: Stack): string[] => {
      if (!options.engineProfileDir) return [];
      fs.mkdirSync(options.engineProfileDir, { recursive: true });
      return ["--profiling", path.join(options.engineProfileDir, `${stack.options.stack}-${operation}`)];
    };
    const each = (stacks: Stack[], run: (stack: Stack) => Promise<unknown>, atOnce = 1) => async () => {
      const queue = [...stacks];
      const worker = async (): Promise<void> => {
        for (let stack = queue.shift(); stack; stack = queue.shift()) await run(stack);
      };
      await Promise.all(Array.from({ length: Math.min(atOnce, queue.length) }, worker));
    };
    const steps: Record<Operation, { run: () => Promise<unknown>; stacks: Stack[] }> = {
      up: { run: each(all, (stack) => stack.up(profiling("up", stack))), stacks: all },
      preview: { run: () => moved.preview(profiling("preview", moved)), stacks: [moved] },
      batch: { run: () => moved.up(profiling("batch", moved)), stacks: [moved] },
      noop: { run: () => moved.up(profiling("noop", moved)), stacks: [moved] },
      refresh: { run: () => moved.refresh(profiling("refresh", moved)), stacks: [moved] },
      // Batch stacks first (--batch-stacks-at-once at a time), the tenant stack last: its routing
      // domain refuses to go while routing addresses use it.
      destroy: {
        run: async () => {
          const destroy = async (stack: Stack) => {
            const started = Date.now();
            await stack.destroy(profiling("destroy", stack));
            log(`bench: N=${n} ${profile} destroy of ${stack.options.stack}: ${round((Date.now() - started) / 1000)} s`);
          };
          await each(all.slice(1), destroy, options.batchStacksAtOnce)();
          await destroy(all[0]);
        },
        stacks: all,
      },
    };
    // The set-up always runs (everything else needs it); the preview is of the one-batch move that `batch` then applies.
    const order = OPERATIONS.filter((operation) => operation === "up" || operations.includes(operation));
    for (const operation of order) {
      const stepProfile = operation === "up" ? setupProfile : profile;
      if (operation !== "up" && setupProfile !== profile && order.indexOf(operation) === 1) await useProfile(sandbox, profile);
      if (operation === order.find((candidate) => candidate === "preview" || candidate === "batch")) {
        await moved.setConfig({ "coexist:batches": JSON.stringify({ [batches[0]]: "migrated" }) });
      }
      const measured = await measure(sandbox, steps[operation].run, excluded);
      const row: BenchRow = {
        n,
        profile: stepProfile,
        operation,
        wallSeconds: round(measured.seconds),
        idealSeconds: round(idealSeconds(measured.apis, stepProfile, operation, n + DEMO_TENANT_USERS)),
        baselineSeconds: null,
        apiReads: sum(measured.apis, "reads"),
        apiWrites: sum(measured.apis, "writes"),
        throttled: throttledAnswers(measured.apis),
        peakRssMiB: Object.values(measured.memory).reduce((total, mib) => total + mib, 0),
        stateBytes: await stateBytesOf(steps[operation].stacks),
        stacks: steps[operation].stacks.length,
        load1: measured.load1,
      };
      // An unthrottled set-up is the same at every profile: its row is kept once per N.
      if (operation === "up" && (!operations.includes("up") || (stepProfile !== profile && profile !== options.profiles[0]))) continue;
      rows.push(row);
      details.push({ n, profile: stepProfile, operation, apis: measured.apis, peakRssMiBByProcess: measured.memory, sandboxCpuSeconds: measured.sandboxCpuSeconds });
      log(
        `bench: N=${n} ${stepProfile} ${operation.padEnd(7)} ${row.wallSeconds} s (ideal ${row.idealSeconds} s, ${round(row.wallSeconds / Math.max(row.idealSeconds, 0.01))}×), ` +
          `${row.apiReads} reads, ${row.apiWrites} writes, ${row.throttled} throttled, ${row.peakRssMiB} MiB, state ${row.stateBytes} B, load ${row.load1}, sandbox CPU ${measured.sandboxCpuSeconds} s`,
      );
    }
  } finally {
    for (const stack of layout?.all ?? []) await stack.remove();
    await sandbox.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  return { rows, details };
}

/** Every profile at one N, with the sequential baseline alongside; the baseline's rows fill in each profile's. */
async function benchN(n: number, options: Options, log: (line: string) => void): Promise<{ rows: BenchRow[]; details: RowDetails[] }> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `coexist-bench-${n}-baseline-`));
  const excluded = new Set<number>();
  if (options.baseline) log(`bench: N=${n} baseline: the same jobs as a sequential loop (scripts/baseline.ts), alongside`);
  const baseline = options.baseline ? baselineJobs(n, options.profiles[0], options.operations, workDir, excluded, log) : Promise.resolve(new Map<Operation, Measured>());
  // Its failure is reported once the engine's jobs are done.
  baseline.catch(() => undefined);
  const rows: BenchRow[] = [];
  const details: RowDetails[] = [];
  for (const profile of options.profiles) {
    const result = await benchProfile(n, profile, options, excluded, log);
    rows.push(...result.rows);
    details.push(...result.details);
  }
  try {
    for (const [operation, measured] of await baseline) {
      for (const row of rows.filter((candidate) => candidate.operation === operation)) {
        row.baselineSeconds = round(measured.seconds);
        // The budget's ideal is for the job, so it counts the fewer calls of the two ways of doing it.
        row.idealSeconds = Math.min(row.idealSeconds, round(idealSeconds(measured.apis, row.profile, operation, n + DEMO_TENANT_USERS)));
        const detail = details.find((candidate) => candidate.operation === operation && candidate.profile === row.profile);
        if (detail) detail.baselineApis = measured.apis;
      }
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

function previousResults(outDir: string): { rows: BenchRow[]; details: RowDetails[] } {
  const read = <T>(file: string, fallback: T): T => (fs.existsSync(path.join(outDir, file)) ? JSON.parse(fs.readFileSync(path.join(outDir, file), "utf8")) : fallback);
  return { rows: read<BenchRow[]>("latest.json", []), details: read<{ details: RowDetails[] }>("latest-details.json", { details: [] }).details };
}

const rowKey = (row: Pick<BenchRow, "n" | "profile" | "operation">): string => `${row.n}/${row.profile}/${row.operation}`;
const byRow = (a: Pick<BenchRow, "n" | "profile" | "operation">, b: Pick<BenchRow, "n" | "profile" | "operation">): number =>
  a.n - b.n || a.profile.localeCompare(b.profile) || OPERATIONS.indexOf(a.operation) - OPERATIONS.indexOf(b.operation);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  fs.mkdirSync(options.outDir, { recursive: true });
  const measured: { rows: BenchRow[]; details: RowDetails[] } = { rows: [], details: [] };
  // Written after every N, so a long run that is stopped keeps what it measured. With --merge the
  // rows this run did not measure are read back at each write, so runs can go in parts.
  for (const n of options.ns) {
    const result = await benchN(n, options, (line) => console.log(line));
    measured.rows.push(...result.rows);
    measured.details.push(...result.details);
    const keys = new Set(measured.rows.map(rowKey));
    const earlier = options.merge ? previousResults(options.outDir) : { rows: [], details: [] };
    const rows = [...earlier.rows.filter((row) => row.profile && !keys.has(rowKey(row))), ...measured.rows].sort(byRow);
    const details = [...earlier.details.filter((row) => row.profile && !keys.has(rowKey(row))), ...measured.details].sort(byRow);
    fs.writeFileSync(path.join(options.outDir, "latest.json"), JSON.stringify(rows, null, 2) + "\n");
    fs.writeFileSync(path.join(options.outDir, "latest-details.json"), JSON.stringify({ profiles: THROTTLING_PROFILES, granularity: options.granularity, details }, null, 2) + "\n");
    fs.writeFileSync(path.join(options.outDir, "latest.svg"), chartSvg(rows));
  }
  console.log(`bench: N=${options.ns.join(",")} ${options.profiles.join(",")} done in ${Math.round((Date.now() - started) / 1000)} s; bench/results/latest.json, latest-details.json, latest.svg`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`bench: failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  });
}
