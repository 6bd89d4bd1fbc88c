/**
 * What `coexist doctor` works from, read as the provider and the root program read it: the
 * stack's config (`pulumi config --json --show-secrets` in the project folder, when the Pulumi CLI
 * and the passphrase are there), handed to provider/config.ts exactly as the dynamic providers'
 * `configure` hands it, so precedence (stack config, environment, default) and the rules on
 * mixing a sandbox with real tenants are the provider's own; and the planning inputs
 * (`coexist:usersCsv`, `batches`, `phase`, `scope`, `licenseSku`, `primaryDomain`,
 * `routingDomain`; or the same keys in the project's namespace, for programs that read
 * `new pulumi.Config()`), each of which a command-line flag overrides.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { scopesFor } from "../provider/clients/clouds";
import { aliasDomainProblems, batchesSetting, PHASES, parseScope, planProblems, type BatchState, type Phase } from "../provider/components/plan";
import { parseUsersCsv, type MigrationUser } from "../provider/components/usersCsv";
import { ConfigError, checkEndpoints, configureFromStack, currentConfig, describeSetting, type ConfigKey } from "../provider/config";
import type { PlanningInputs } from "./doctorPlan";
import { row, type Row } from "./doctorVerdicts";
import { settingValue } from "./rehearsePlan";

/** Planning inputs by their config key name. */
export const PLANNING_KEYS = ["usersCsv", "batches", "phase", "scope", "licenseSku", "primaryDomain", "routingDomain", "aliasDomains"] as const;
export type PlanningKey = (typeof PLANNING_KEYS)[number];

export interface SetupOptions {
  /** The stack's project folder. */
  cwd: string;
  stack?: string;
  /** Values given on the command line, by planning key. */
  overrides: Partial<Record<PlanningKey, string>>;
  /** The `pulumi` executable (default: the one on PATH). */
  pulumi?: string;
}

export interface Setup {
  configRow: Row;
  planRow: Row;
  /** False when the configuration is unusable: no call may be made. */
  configUsable: boolean;
  inputs: PlanningInputs;
}

interface StackEntry {
  value?: string;
  objectValue?: unknown;
  secret?: boolean;
}

interface StackConfig {
  /** The project name (Pulumi.yaml `name`), whose namespace a program's `new pulumi.Config()` reads. */
  project?: string;
  entries: Record<string, StackEntry>;
  /** How the stack config was read, or why it was not. */
  note: string;
  /** Secret keys whose values could not be decrypted. */
  undecrypted: string[];
  /** A project is there but its stack config could not be read: the checks may not see what the provider will. */
  unread?: boolean;
}

const CLIENT_KEYS: ConfigKey[] = [
  "graphUrl",
  "exchangeUrl",
  "googleUrl",
  "loginUrl",
  "tenantId",
  "clientId",
  "clientSecret",
  "googleCredentials",
  "googleServiceAccount",
  "googleIamUrl",
  "googleTokenUrl",
  "googleAdmin",
  "accessToken",
];

export async function loadSetup(options: SetupOptions): Promise<Setup> {
  const stack = await readStackConfig(options);
  configureFromStack({ get: (key) => stack.entries[key]?.value });
  const configRow = configurationRow(stack);
  const { planRow, inputs } = planningRow(options, stack);
  return { configRow, planRow, configUsable: configRow.status !== "FAIL", inputs };
}

async function readStackConfig(options: SetupOptions): Promise<StackConfig> {
  const projectFile = ["Pulumi.yaml", "Pulumi.yml"].map((name) => join(options.cwd, name)).find(existsSync);
  if (!projectFile) return { entries: {}, note: `no Pulumi project in ${options.cwd} (no Pulumi.yaml): the environment only`, undecrypted: [] };
  const project = /^name:\s*["']?([^"'\s#]+)/m.exec(readFileSync(projectFile, "utf8"))?.[1];
  const stackArgs = options.stack ? ["--stack", options.stack] : [];
  const pulumi = options.pulumi ?? "pulumi";
  const withSecrets = await run(pulumi, ["config", "--json", "--show-secrets", ...stackArgs], options.cwd);
  const answer = withSecrets.ok ? withSecrets : await run(pulumi, ["config", "--json", ...stackArgs], options.cwd);
  if (!answer.ok) {
    return { project, entries: {}, note: `stack config not read (\`${pulumi} config --json\` in ${options.cwd}: ${answer.error}): the environment only`, undecrypted: [], unread: true };
  }
  let entries: Record<string, StackEntry>;
  try {
    entries = JSON.parse(answer.stdout) as Record<string, StackEntry>;
  } catch {
    return { project, entries: {}, note: `stack config not read (\`${pulumi} config --json\` printed no JSON): the environment only`, undecrypted: [], unread: true };
  }
  const undecrypted = Object.entries(entries)
    .filter(([key, entry]) => entry.secret && entry.value === undefined && key.startsWith("coexist:"))
    .map(([key]) => key);
  const stackName = options.stack ? `stack ${options.stack}` : "the selected stack";
  const note = withSecrets.ok
    ? `stack config of ${stackName} (project ${project ?? "?"}), secrets decrypted`
    : `stack config of ${stackName} (project ${project ?? "?"}) without its secrets (${withSecrets.error})`;
  return { project, entries, note, undecrypted };
}

function run(command: string, args: string[], cwd: string): Promise<{ ok: true; stdout: string } | { ok: false; error: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }, (error, stdout, stderr) => {
      if (!error) return done({ ok: true, stdout });
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === "ENOENT" ? `${command} is not on PATH` : (stderr.trim().split("\n").pop() ?? error.message);
      done({ ok: false, error: reason });
    });
  });
}

/** The client settings in force, where each came from (secret values never shown), or the configuration error. */
function configurationRow(stack: StackConfig): Row {
  const check = "Configuration the provider would use (stack config, then environment, then default)";
  const notes = [stack.note];
  if (stack.undecrypted.length > 0) {
    notes.push(`${stack.undecrypted.join(", ")} could not be decrypted (set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE), so the checks used the environment's value where there is one, unlike the provider`);
  }
  try {
    scopesFor(currentConfig());
    for (const service of ["graph", "exchange", "google"] as const) checkEndpoints(service);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return row("config", "FAIL", check, `${error.message} (${notes.join("; ")})`, fixOf(error.message));
  }
  const keyless = currentConfig().googleServiceAccount !== undefined;
  const shown = CLIENT_KEYS.filter((key) => keyless || (key !== "googleIamUrl" && key !== "googleTokenUrl"));
  const settings = shown.map(describeSetting).filter((text) => !text.endsWith("(not set)"));
  const evidence = `${notes.join("; ")}. ${settings.join("; ")}`;
  if (stack.unread) return row("config", "WARN", check, evidence, "run coexist doctor where `pulumi config` works for the stack (logged in to its backend, the stack selected or --stack given), or check that the environment holds what the stack config would");
  if (stack.undecrypted.length > 0) return row("config", "WARN", check, evidence, "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) and run coexist doctor again");
  return row("config", "PASS", check, evidence);
}

/** The fix a ConfigError names (`run \`pulumi config set …\``, `Fix: …`), or its whole text. */
function fixOf(message: string): string {
  const fix = /(?:: |Fix: )(run `.*|unset .*|set .*)$/.exec(message)?.[1];
  return fix ?? message;
}

function planningRow(options: SetupOptions, stack: StackConfig): { planRow: Row; inputs: PlanningInputs } {
  const check = "Planning inputs (what the stack's resources will be)";
  const found = new Map(PLANNING_KEYS.map((key) => [key, planningValue(key, options, stack)]));
  const origins = PLANNING_KEYS.filter((key) => found.get(key)?.origin).map((key) => `${key} from ${found.get(key)?.origin}`);
  const valueOf = (key: PlanningKey): PlanningValue => found.get(key) ?? {};
  const problems: string[] = [];
  const text = (key: PlanningKey): string | undefined => valueOf(key).text?.trim() || undefined;
  const primaryDomain = text("primaryDomain")?.toLowerCase();
  const routingDomain = text("routingDomain")?.toLowerCase();
  const licenseSku = text("licenseSku");
  const phase = (text("phase") ?? "coexistence") as Phase;
  if (!PHASES.includes(phase)) problems.push(`phase "${phase}" is not one of ${PHASES.join(", ")}`);
  let scope: PlanningInputs["scope"] = "all";
  try {
    scope = parseScope(text("scope") ?? "all", "scope");
  } catch (error) {
    problems.push((error as Error).message);
  }
  const batches = batchesOf(valueOf("batches"), problems);
  const users = usersOf(options.cwd, text("usersCsv"), primaryDomain, problems);
  const aliasDomains = aliasDomainsOf(valueOf("aliasDomains"), problems);
  if (primaryDomain && routingDomain) problems.push(...aliasDomainProblems(aliasDomains, { primaryDomain, routingDomain }));
  const inputs: PlanningInputs = { primaryDomain, routingDomain, aliasDomains, licenseSku, users, batches, phase: PHASES.includes(phase) ? phase : "coexistence", scope };
  if (users && primaryDomain && routingDomain && licenseSku && problems.length === 0) {
    problems.push(...planProblems({ primaryDomain, routingDomain, licenseSku, usageLocation: "US", connectorName: "", users, batches, phase }));
  }
  const missing = (["primaryDomain", "routingDomain", "licenseSku", "usersCsv"] as const).filter((key) => !text(key));
  const summary = summaryOf(inputs, origins);
  if (problems.length > 0) {
    return { planRow: row("plan", "FAIL", check, `${problems.join("; ")} (${summary})`, "correct the stack config (pulumi config set coexist:<key> …) or the users CSV; the root program refuses the same plan"), inputs };
  }
  if (missing.length > 0) {
    const consequence = missing.includes("usersCsv") ? "every resource of the coexistence is assumed planned, and seats are not checked" : "the checks that need them are skipped";
    return {
      planRow: row("plan", "WARN", check, `${missing.map((key) => `${key} not set`).join(", ")}: ${consequence} (${summary})`, missing.map((key) => `pulumi config set coexist:${key} <value> (or --${flagName(key)})`).join("; ")),
      inputs,
    };
  }
  return { planRow: row("plan", "PASS", check, summary), inputs };
}

interface PlanningValue {
  text?: string;
  object?: unknown;
  /** `--users-csv`, `stack config coexist:usersCsv`. */
  origin?: string;
}

/** A flag, else `coexist:<key>`, else the same key in the project's namespace. */
function planningValue(key: PlanningKey, options: SetupOptions, stack: StackConfig): PlanningValue {
  const flag = options.overrides[key];
  if (flag !== undefined) return { text: flag, origin: `--${flagName(key)}` };
  for (const namespace of ["coexist", stack.project].filter(Boolean)) {
    const entry = stack.entries[`${namespace}:${key}`];
    if (entry?.value !== undefined) return { text: entry.value, object: entry.objectValue, origin: `stack config ${namespace}:${key}` };
  }
  return {};
}

export function flagName(key: PlanningKey): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** A JSON list (stack config) or a comma-separated list (`--alias-domains contoso.net,contoso.org`). */
function aliasDomainsOf(value: PlanningValue, problems: string[]): string[] {
  const listed = value.object ?? (value.text?.trim().startsWith("[") ? parsedJson(value.text) : value.text?.split(","));
  if (listed === undefined) return [];
  if (!Array.isArray(listed) || !listed.every((domain) => typeof domain === "string")) {
    problems.push(`aliasDomains must be a list of domain names, e.g. ["contoso.net"]: ${value.text}`);
    return [];
  }
  return listed.map((domain) => domain.trim().toLowerCase()).filter(Boolean);
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function batchesOf(value: PlanningValue, problems: string[]): Record<string, BatchState> {
  try {
    return batchesSetting(settingValue({ value: value.text, objectValue: value.object }));
  } catch (error) {
    problems.push((error as Error).message);
    return {};
  }
}

function usersOf(cwd: string, csv: string | undefined, primaryDomain: string | undefined, problems: string[]): MigrationUser[] | undefined {
  if (!csv) return undefined;
  const path = resolve(cwd, csv);
  if (!existsSync(path)) {
    problems.push(`usersCsv: ${path} does not exist`);
    return undefined;
  }
  if (!primaryDomain) {
    problems.push("primaryDomain is needed to read the users CSV");
    return undefined;
  }
  try {
    return parseUsersCsv(readFileSync(path, "utf8"), { primaryDomain });
  } catch (error) {
    problems.push((error as Error).message);
    return undefined;
  }
}

function summaryOf(inputs: PlanningInputs, origins: string[]): string {
  const users = inputs.users;
  const batchNames = users ? [...new Set(users.map((user) => user.batch))].sort() : Object.keys(inputs.batches);
  const states = batchNames.map((batch) => `${batch}: ${inputs.batches[batch] ?? "google"}`).join(", ");
  const scope = typeof inputs.scope === "string" ? inputs.scope : `batch:${inputs.scope.batch}`;
  return [
    users ? `${users.length} users in ${batchNames.length} batches (${states})` : `no users CSV${states ? ` (batches ${states})` : ""}`,
    `phase ${inputs.phase}`,
    `scope ${scope}`,
    `primary domain ${inputs.primaryDomain ?? "?"}`,
    `routing domain ${inputs.routingDomain ?? "?"}`,
    `licence ${inputs.licenseSku ?? "?"}`,
    origins.length ? origins.join(", ") : "nothing from stack config or flags",
  ].join("; ");
}
