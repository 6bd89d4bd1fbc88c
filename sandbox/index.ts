/**
 * Programmatic sandbox control: `startSandbox()` runs the sandbox in a child process (tests,
 * the demo) or detached (the `coexist sandbox start` command).
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FaultSettings } from "./faults";
import { strictBehaviour } from "./behaviour";
import { DATABASE_FILE, LOG_FILE, makeDataDir, readControlToken, RUNTIME_FILE, type Runtime } from "./runtime";
import { parseSeed, readSeedFile, withGeneratedUsers, type Seed } from "./seed";
import { loadSeed, type SeedProgress } from "./seeding";
import { Store } from "./store";

export type { Seed } from "./seed";
export type { FaultSettings } from "./faults";
export { PERMISSION_GAPS, seedLacking, type PermissionGap } from "./gaps";
export { trustCa } from "./tls";
export { budgetSeconds } from "./throttlingProfiles";

export const DEMO_SEED_PATH = join(__dirname, "..", "seeds", "demo.json");
const MAIN_SCRIPT = join(__dirname, "main.js");
const START_TIMEOUT_MS = 30_000;

export interface SeedChoice {
  /** A seed file path or a parsed seed; default sandbox/seeds/demo.json. */
  seed?: string | Seed;
  /** Replace the seed's Google users with this many generated users. */
  users?: number;
  departments?: number;
  /** Turn on every strict behaviour of the seed (`behaviour.strict`), test-scale lag included. */
  strict?: boolean;
}

export interface StartSandboxOptions extends SeedChoice {
  /** Default: a new temporary directory (tests get isolated state), removed by `stop()`. */
  dataDir?: string;
  /** Default 0: a free port. */
  port?: number;
  faults?: FaultSettings;
  /** Load the seed even when the data directory already holds state. Default: only when it holds none. */
  reset?: boolean;
}

export interface SandboxHandle {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** NODE_EXTRA_CA_CERTS, COEXIST_* settings for clients of this sandbox. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export function defaultDataDir(): string {
  return resolve(process.env.COEXIST_SANDBOX_DIR ?? ".sandbox");
}

export function resolveSeed(choice: SeedChoice): Seed {
  // A seed object is checked like a file, so that its behaviour knobs are validated and `strict` expanded.
  const base = typeof choice.seed === "object" ? parseSeed(choice.seed) : readSeedFile(choice.seed ?? DEMO_SEED_PATH);
  const seed = choice.users === undefined ? base : withGeneratedUsers(base, choice.users, choice.departments ?? 3);
  return choice.strict ? { ...seed, behaviour: strictBehaviour(seed.behaviour) } : seed;
}

/** Loads a seed into the data directory's database (the sandbox need not be running). */
export function seedDataDir(dataDir: string, choice: SeedChoice, progress?: SeedProgress): Seed {
  makeDataDir(dataDir);
  const seed = resolveSeed(choice);
  const store = new Store(dataDir);
  try {
    loadSeed(store, seed, progress);
  } finally {
    store.close();
  }
  return seed;
}

function hasSeed(dataDir: string): boolean {
  if (!existsSync(join(dataDir, DATABASE_FILE))) return false;
  const store = new Store(dataDir);
  try {
    return store.getMeta("seed") !== undefined;
  } finally {
    store.close();
  }
}

export function readRuntime(dataDir: string): Runtime | undefined {
  const path = join(dataDir, RUNTIME_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Runtime) : undefined;
}

/** Starts the sandbox as a child process and resolves once it answers. */
export async function startSandbox(options: StartSandboxOptions = {}, launch: { detached?: boolean } = {}): Promise<SandboxHandle> {
  const dataDir = resolve(options.dataDir ?? mkdtempSync(join(tmpdir(), "coexist-sandbox-")));
  makeDataDir(dataDir);
  if (options.reset || options.seed !== undefined || options.users !== undefined || options.strict || !hasSeed(dataDir)) seedDataDir(dataDir, options);
  const args = [MAIN_SCRIPT, "--data-dir", dataDir, "--port", String(options.port ?? 0)];
  if (options.faults) args.push("--faults", JSON.stringify(options.faults));
  const log = openSync(join(dataDir, LOG_FILE), "a", 0o600);
  // An attached sandbox keeps an IPC channel so that it exits when its parent (a test run) dies.
  const stdio: StdioOptions = launch.detached ? ["ignore", log, log] : ["ignore", log, log, "ipc"];
  const child = spawn(process.execPath, args, { detached: launch.detached === true, stdio });
  if (!launch.detached) child.unref();
  const runtime = await waitUntilReady(child, dataDir);
  if (launch.detached) child.unref();
  return {
    url: runtime.url,
    port: runtime.port,
    pid: runtime.pid,
    dataDir,
    env: runtime.env,
    stop: async () => {
      await stopProcess(child);
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitUntilReady(child: ChildProcess, dataDir: string): Promise<Runtime> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`The sandbox exited with code ${exited} while starting; see ${join(dataDir, LOG_FILE)}.`);
    const runtime = readRuntime(dataDir);
    if (runtime && runtime.pid === child.pid && (await answers(runtime))) return runtime;
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`The sandbox did not answer within ${START_TIMEOUT_MS / 1000} s; see ${join(dataDir, LOG_FILE)}.`);
}

/** Whether the sandbox of `runtime` answers its health check. */
export async function answers(runtime: Runtime): Promise<boolean> {
  try {
    return (await controlRequest(runtime, "GET", "/sandbox/health")).status === 200;
  } catch {
    return false;
  }
}

/**
 * A request to the sandbox's control API (`/sandbox/...`), trusting its CA and carrying the control
 * token from its data directory (so only the directory's owner can drive the sandbox).
 */
export function controlRequest(runtime: Runtime, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolveResponse, reject) => {
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${readControlToken(runtime.env.COEXIST_SANDBOX_DIR)}` };
    const outgoing = request(
      `${runtime.url}${path}`,
      { method, ca: readFileSync(runtime.env.NODE_EXTRA_CA_CERTS), timeout: 10_000, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolveResponse({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.on("timeout", () => outgoing.destroy(new Error(`The sandbox at ${runtime.url} did not answer ${method} ${path} within 10 s.`)));
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    // The child is unref'd so that it never keeps its parent alive; while stopping it must, or the
    // parent could exit (with code 0) before the child's exit event arrives.
    child.ref();
    child.once("exit", () => resolveStop());
    child.kill("SIGTERM");
  });
}

/** Stops a sandbox started detached, by the pid in its runtime file. */
export async function stopDetached(dataDir: string): Promise<boolean> {
  const runtime = readRuntime(dataDir);
  if (!runtime) return false;
  try {
    process.kill(runtime.pid, "SIGTERM");
  } catch {
    return false;
  }
  for (let attempt = 0; attempt < 50 && readRuntime(dataDir); attempt++) await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
  return true;
}

/**
 * Points this process's clients (provider/config.ts reads the environment) at the sandbox, as
 * `eval "$(coexist sandbox start)"` points a shell's; the returned function puts the environment
 * back, so that what runs next sees it unchanged.
 */
export function useSandboxEnvironment(handle: Pick<SandboxHandle, "env">): () => void {
  const names = [...Object.keys(handle.env).filter((name) => name.startsWith("COEXIST_") && name !== "COEXIST_SANDBOX_STATIC_TOKEN"), "COEXIST_ACCESS_TOKEN"];
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  for (const name of names) {
    if (name === "COEXIST_ACCESS_TOKEN") delete process.env[name];
    else process.env[name] = handle.env[name];
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
