/**
 * `coexist rehearse`: the stack's own program, run against a sandbox seeded from a snapshot of the
 * live tenants, through every stage from the stack's current config to decommission; after each
 * stage's `up`, the mail-flow check over every address (cli/trace.ts's). Nothing real is touched:
 * the sandbox runs in a temporary data directory, and the stack is a temporary one, in a
 * temporary file backend, over a view of the project folder (its files linked, its stack files
 * left out), so the user's stacks, state and config stay as they are.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { aliasDomainsSetting, batchesSetting, type Phase } from "../provider/components/plan";
import { parseUsersCsv } from "../provider/components/usersCsv";
import { microsoftMxHost } from "../provider/routing/addresses";
import type { Origin } from "../provider/routing/types";
import type { SandboxHandle, Seed } from "pulumi-mail-coexistence-sandbox";
import { readLiveState } from "./liveState";
import { batchOrder, mailCheckOf, rehearsalStages, reportMarkdown, reportText, settingValue, stageFailed, verdictLine, type ConfigEntry, type RehearsalStage, type StageReport } from "./rehearsePlan";
import { loadSandboxPackage } from "./sandboxPackage";
import { snapshotApis, takeSnapshot } from "./snapshot";
import { Stack, type PreviewResult } from "./stack";
import { checkAllAddresses } from "./trace";
import { argsOrUsage, UsageError } from "./usage";

export const REHEARSE_HELP = `coexist rehearse — run the whole migration on a sandbox copy of your tenants first

Usage:
  coexist rehearse [--seed <snapshot.json>] [--cwd <project>] [--stack <name>] [--json] [--markdown <file>] [--keep]

Starts a sandbox (strict: replication lag, roles) seeded from <snapshot.json> (coexist snapshot),
or, without --seed, from a snapshot of the tenants the settings point at, read read-only. Then
runs the stack's own program (the Pulumi project in --cwd, default the current folder) against it
as a temporary stack in a temporary backend, with the stack's config (Pulumi.<stack>.yaml, its
secret values left out; the planning settings batches, phase, usersCsv, primaryDomain, aliasDomains
and googleRoutingDomain are read
under coexist: or the project's own namespace, whichever the config uses), through every stage
from the current config to decommission:
  the current config; each remaining batch of the users CSV in its order (the migrating one
  migrated as the next starts migrating); cutover (then the MX of the primary domain and of each
  of aliasDomains to Microsoft 365);
  decommission (Google Workspace retired).
Each stage: the preview's plan, \`pulumi up\`, the API calls it made and the shortest wall time the
documented budgets allow for them (docs/benchmark.md, profile exchange-3), then a message to every
address of both tenants (users, aliases, alias-domain addresses, groups) from every sender: copies
delivered, loops, bounces, split deliveries, mail lost in a retired Google; each problem with its
fix. The user's stacks, state and tenants are never touched.

Options:
  --seed <file>       the snapshot to rehearse on (default: take one now)
  --cwd <folder>      the Pulumi project (default: the current folder)
  --stack <name>      whose Pulumi.<name>.yaml holds the config (default: the only one there)
  --json              the report as JSON
  --markdown <file>   also write the report as Markdown (a pull-request comment)
  --keep              keep the temporary folder (sandbox, stack, state) and say where

Exit code: 0 every stage passes; 1 a loop, bounce, split or duplicate delivery, mail lost, or a
failed \`pulumi up\` (the stage and the addresses named); 2 usage error; 3 the rehearsal could not start.
`;

export interface RehearseIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: RehearseIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };


export interface RehearseArgs {
  seed?: string;
  cwd: string;
  stack?: string;
  json: boolean;
  markdown?: string;
  keep: boolean;
}

export function parseRehearseArgs(argv: string[], cwd = process.cwd()): RehearseArgs {
  const args: RehearseArgs = { cwd, json: false, keep: false };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === "--json") args.json = true;
    else if (flag === "--keep") args.keep = true;
    else {
      const value = argv[++index];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      if (flag === "--seed") args.seed = resolve(cwd, value);
      else if (flag === "--cwd") args.cwd = resolve(cwd, value);
      else if (flag === "--stack") args.stack = value;
      else if (flag === "--markdown") args.markdown = resolve(cwd, value);
      else throw new UsageError(`unknown argument ${flag}`);
    }
  }
  return args;
}

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;
const REHEARSAL_STACK = "rehearsal";

/** The stack config file to rehearse: Pulumi.<stack>.yaml, or the only one in the project. */
export function stackConfigFile(projectDir: string, stack: string | undefined): string {
  if (!existsSync(join(projectDir, "Pulumi.yaml")) && !existsSync(join(projectDir, "Pulumi.yml"))) throw new Error(`${projectDir} holds no Pulumi project (Pulumi.yaml); give --cwd <project folder>`);
  const files = readdirSync(projectDir).filter((name) => STACK_FILE.test(name));
  const chosen = stack === undefined ? files : files.filter((name) => STACK_FILE.exec(name)?.[1] === stack);
  if (chosen.length !== 1) {
    const which = stack === undefined ? `${files.length} stack config files (${files.join(", ") || "none"}): give --stack <name>` : `no Pulumi.${stack}.yaml`;
    throw new Error(`${projectDir} has ${which}`);
  }
  return join(projectDir, chosen[0]);
}

/**
 * The stack config without what belongs to the user's stack alone: its secrets provider and salt,
 * and every secret value (`secure:`), which the rehearsal cannot decrypt and must not carry.
 */
export function configWithoutSecrets(text: string): { text: string; dropped: string[] } {
  const lines = text.split("\n");
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const line of lines) {
    if (/^(secretsprovider|encryptedkey|encryptionsalt):/.test(line)) continue;
    const secure = /^\s+secure:\s/.test(line);
    if (secure) {
      const key = kept.pop() ?? "";
      dropped.push(key.trim().replace(/:$/, ""));
      continue;
    }
    const inline = /^(\s+)([^\s:]+:[^\s:]+):\s*\{?\s*secure:/.exec(line);
    if (inline) {
      dropped.push(inline[2]);
      continue;
    }
    kept.push(line);
  }
  return { text: kept.join("\n"), dropped };
}

/**
 * A folder that shows the project's files (linked) without its stack config files. A project
 * whose packages are installed in a folder above it (a workspace) gets that node_modules linked
 * in, since the view's own parents have none.
 */
function projectView(projectDir: string, into: string): void {
  mkdirSync(into, { recursive: true });
  for (const name of readdirSync(projectDir)) {
    if (STACK_FILE.test(name) || name === ".pulumi" || name === ".sandbox" || name === ".git") continue;
    symlinkSync(join(projectDir, name), join(into, name));
  }
  for (let folder = dirname(projectDir); !existsSync(join(into, "node_modules")) && folder !== dirname(folder); folder = dirname(folder)) {
    if (existsSync(join(folder, "node_modules"))) symlinkSync(join(folder, "node_modules"), join(into, "node_modules"));
  }
}


function planOf(preview: PreviewResult): StageReport["plan"] {
  const summary = preview.changeSummary ?? {};
  return { create: summary.create ?? 0, update: summary.update ?? 0, delete: summary.delete ?? 0, replace: summary.replace ?? 0 };
}

/** Exit codes: 0 every stage passes, 1 one fails, 2 usage, 3 could not start. */
export async function runRehearse(argv: string[], io: RehearseIo = defaultIo): Promise<number> {
  const args = argsOrUsage("rehearse", REHEARSE_HELP, () => parseRehearseArgs(argv), io.err);
  if (args === undefined) return 2;
  const sandboxPackage = loadSandboxPackage("coexist rehearse");
  const work = mkdtempSync(join(tmpdir(), "coexist-rehearse-"));
  let sandbox: SandboxHandle | undefined;
  let restoreEnvironment = (): void => undefined;
  let reports: StageReport[];
  try {
    let configFile: string;
    let seed: unknown;
    try {
      configFile = stackConfigFile(args.cwd, args.stack);
      seed = args.seed === undefined ? await takeSnapshot({ apis: snapshotApis() }, (line) => io.err(`rehearse: snapshot: ${line}\n`)) : JSON.parse(readFileSync(args.seed, "utf8"));
    } catch (error) {
      io.err(`coexist rehearse: ${error instanceof Error ? error.message : String(error)}\n`);
      return 3;
    }
    sandbox = await sandboxPackage.startSandbox({ seed: seed as Seed, strict: true, dataDir: join(work, "sandbox") });
    sandboxPackage.trustCa(sandbox.env.NODE_EXTRA_CA_CERTS);
    // After any snapshot of the live tenants: from here on, this process talks to the sandbox only.
    restoreEnvironment = sandboxPackage.useSandboxEnvironment(sandbox);
    io.err(`rehearse: sandbox at ${sandbox.url} seeded from ${args.seed ?? "a snapshot of the live tenants"} (strict)\n`);
    const view = join(work, "project");
    projectView(args.cwd, view);
    const { text, dropped } = configWithoutSecrets(readFileSync(configFile, "utf8"));
    writeFileSync(join(view, `Pulumi.${REHEARSAL_STACK}.yaml`), text);
    if (dropped.length > 0) io.err(`rehearse: secret config left out (the rehearsal runs without it): ${dropped.join(", ")}\n`);
    const stack = new Stack({ projectDir: view, stack: REHEARSAL_STACK, stateDir: join(work, "state"), passphrase: randomBytes(16).toString("hex"), env: sandbox.env, pulumiOnPath: true });
    await stack.init();
    const google = (seed as Seed).google;
    const googlePrimary = (google.domains.find((domain) => domain.isPrimary) ?? google.domains[0])?.domainName ?? "";
    reports = await rehearseStages(stack, sandbox, view, googlePrimary, io);
  } finally {
    restoreEnvironment();
    await sandbox?.stop();
    if (args.keep) io.err(`rehearse: kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
  io.out(args.json ? `${JSON.stringify({ result: verdictLine(reports), failed: reports.some((report) => report.failed), stages: reports }, null, 2)}\n` : reportText(reports));
  if (args.markdown !== undefined) writeFileSync(args.markdown, reportMarkdown(reports));
  const failed = reports.some((report) => report.failed);
  if (failed) io.err(`rehearse: ${verdictLine(reports)}\n`);
  return failed ? 1 : 0;
}

const PLANNING_SETTINGS = ["batches", "phase", "usersCsv", "primaryDomain", "aliasDomains", "googleRoutingDomain"];

/**
 * Where the program reads its planning settings: `coexist:` (the root program), or the project's
 * own namespace (a program with `new pulumi.Config()`), whichever the stack config uses.
 */
export function planningNamespace(projectDir: string, keys: string[]): string {
  const projectFile = ["Pulumi.yaml", "Pulumi.yml"].map((name) => join(projectDir, name)).find(existsSync);
  const project = projectFile === undefined ? undefined : /^name:\s*["']?([^"'\s#]+)/m.exec(readFileSync(projectFile, "utf8"))?.[1];
  const uses = (namespace: string) => keys.some((key) => PLANNING_SETTINGS.some((name) => key === `${namespace}:${name}`));
  return project !== undefined && uses(project) && !uses("coexist") ? project : "coexist";
}

async function rehearseStages(stack: Stack, sandbox: SandboxHandle, projectDir: string, googlePrimaryDomain: string, io: RehearseIo): Promise<StageReport[]> {
  const { budgetSeconds, controlRequest, readRuntime } = loadSandboxPackage("coexist rehearse");
  const runtime = readRuntime(sandbox.dataDir);
  if (!runtime) throw new Error(`the sandbox in ${sandbox.dataDir} wrote no runtime file`);
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await controlRequest(runtime, method, path, body);
    if (response.status >= 300) throw new Error(`sandbox ${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const config = JSON.parse((await stack.run(["config", "--json"])).stdout) as Record<string, ConfigEntry>;
  const namespace = planningNamespace(projectDir, Object.keys(config));
  const setting = (key: string): ConfigEntry | undefined => config[`${namespace}:${key}`];
  const primaryDomain = setting("primaryDomain")?.value ?? googlePrimaryDomain;
  const movingDomains = [primaryDomain, ...aliasDomainsSetting(settingValue(setting("aliasDomains")), `${namespace}:aliasDomains`)];
  const googleRoutingDomain = setting("googleRoutingDomain")?.value;
  const usersCsv = resolve(projectDir, setting("usersCsv")?.value ?? "users.csv");
  const users = existsSync(usersCsv) ? parseUsersCsv(readFileSync(usersCsv, "utf8"), { primaryDomain }) : [];
  const batches = batchesSetting(settingValue(setting("batches")), `${namespace}:batches`);
  const stages = rehearsalStages({ batches, phase: (setting("phase")?.value ?? "coexistence") as Phase }, batchOrder(batches, users.map((user) => user.batch)));
  const reports: StageReport[] = [];
  for (const [index, stage] of stages.entries()) {
    io.err(`rehearse: stage ${index + 1}/${stages.length}: ${stage.name}\n`);
    const report = await rehearseStage(stack, stage, { control, budgetSeconds, namespace, movingDomains, googleRoutingDomain, users, sandboxDir: sandbox.dataDir });
    reports.push(report);
    io.err(`rehearse:   ${report.error !== undefined ? "pulumi up FAILED" : `${report.mail.delivered}/${report.mail.copies} copies delivered, ${report.problems.length} problem(s)`}\n`);
    if (report.error !== undefined) break;
  }
  return reports;
}

interface StageContext {
  control(method: string, path: string, body?: unknown): Promise<unknown>;
  budgetSeconds: typeof import("pulumi-mail-coexistence-sandbox").budgetSeconds;
  /** Of the planning settings (planningNamespace). */
  namespace: string;
  /** The primary domain and the alias domains that move with it: their MX moves at cutover. */
  movingDomains: string[];
  /** The domain whose MX stays at Google for kept groups: its addresses are Google's routes, not lost mail. */
  googleRoutingDomain?: string;
  users: { email: string; batch: string }[];
  sandboxDir: string;
}

/** What the engine said went wrong: its diagnostics' errors (from `--json` output, or its text), else its first line. */
export function engineError(output: string): string {
  const messages = [...output.matchAll(/"message":\s*"((?:[^"\\]|\\.)*)",\s*"severity":\s*"error"/g)].map((match) => JSON.parse(`"${match[1]}"`) as string);
  const lines = (messages.length > 0 ? messages.join("\n") : output).split("\n").map((line) => line.trim());
  const errors = lines.filter((line) => /^(error|Error)\b|^[A-Za-z]*Error:/.test(line) && !/^error: update failed$/.test(line));
  return (errors.length > 0 ? errors : lines.filter(Boolean)).slice(0, 3).join(" ");
}

async function rehearseStage(stack: Stack, stage: RehearsalStage, context: StageContext): Promise<StageReport> {
  const { namespace } = context;
  await stack.run(["config", "set-all", "--plaintext", `${namespace}:batches=${JSON.stringify(stage.batches)}`, "--plaintext", `${namespace}:phase=${stage.phase}`]);
  const base = { stage: stage.name, phase: stage.phase, batches: stage.batches };
  let plan: StageReport["plan"] = { create: 0, update: 0, delete: 0, replace: 0 };
  let error: string | undefined;
  await context.control("POST", "/sandbox/stats/reset");
  try {
    plan = planOf(await stack.preview());
    await stack.up();
  } catch (failure) {
    error = engineError(failure instanceof Error ? failure.message : String(failure));
  }
  const stats = (await context.control("GET", "/sandbox/stats")) as { apis: Parameters<StageContext["budgetSeconds"]>[0] };
  const apiCalls = Object.fromEntries(Object.entries(stats.apis).map(([api, entry]) => [api, entry.requests]));
  const estimatedSeconds = context.budgetSeconds(stats.apis, "exchange-3", context.users.length);
  if (stage.mxToMicrosoft && error === undefined) {
    for (const domain of context.movingDomains) await context.control("PUT", "/sandbox/dns/mx", { domain, hosts: [microsoftMxHost(domain)] });
  }
  if (error !== undefined) {
    // The stage did not happen: its mail would be the previous stage's; the engine's error is the finding.
    const report = { ...base, plan, apiCalls, estimatedSeconds, mail: { addresses: 0, copies: 0, delivered: 0, loops: 0, bounces: 0, splits: 0, duplicates: 0, lostAtGoogle: 0 }, problems: [], error };
    return { ...report, failed: true };
  }
  const state = await readLiveState({ sandboxDir: context.sandboxDir });
  const dataCopy = context.users.filter((user) => stage.batches[user.batch] === "migrating").map((user) => user.email);
  const origins: Origin[] | undefined = stage.googleRetired ? ["internet", "m365"] : undefined;
  const { mail, problems } = mailCheckOf(checkAllAddresses(state, dataCopy, origins), stage.googleRetired, context.googleRoutingDomain);
  const report = { ...base, plan, apiCalls, estimatedSeconds, mail, problems };
  return { ...report, failed: stageFailed(report) };
}
