/**
 * One reliability scenario's world: a sandbox (optionally injecting faults), the root program's
 * stack driven by the real engine with its own file backend, and the journey's users CSV. It keeps
 * every text the engine produced (for the secret scan) and reads the sandbox back to count
 * duplicates and orphans against what the stack's state owns.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { startSandbox, type FaultSettings, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { engineEnv, repoRoot } from "../../scripts/engine-env";
import { control, journeyConfig, migrationUsers, usersCsv, type GoogleUser } from "../../scripts/journey";
import { Stack, type CommandResult, type PreviewResult, type StackExport, type StackResourceState } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";

export const MAIL_USER_PASSWORD = "Reliab1lity-Passw0rd!";

export interface Secret {
  name: string;
  value: string;
}

/** Every text the suites produced, by where it came from, and the secrets none of it may contain. */
export class Transcript {
  readonly texts: { source: string; text: string }[] = [];
  readonly secrets: Secret[] = [];

  add(source: string, text: string): void {
    if (text) this.texts.push({ source, text });
  }
}

/** The secrets of a sandbox's tenants: client secret, Google private key, the static bearer tokens. */
export async function sandboxSecrets(sandbox: SandboxHandle): Promise<Secret[]> {
  const key = JSON.parse(sandbox.env.COEXIST_GOOGLE_CREDENTIALS) as { private_key: string };
  const keyLines = key.private_key.replace(/-----[A-Z ]+-----/g, "").split(/\s+/).filter((line) => line.length >= 40);
  const tokens = (await control(sandbox, "GET", "/sandbox/tokens")) as Record<string, string>;
  return [
    { name: "client secret", value: sandbox.env.COEXIST_CLIENT_SECRET },
    ...keyLines.map((line, index) => ({ name: `Google private key (line ${index + 2})`, value: line })),
    ...Object.entries(tokens).map(([tenant, token]) => ({ name: `static bearer token of ${tenant}`, value: token })),
  ];
}

export interface Inventory {
  duplicates: string[];
  orphans: string[];
}

interface SandboxRecipient {
  guid: string;
  name: string;
  recipientTypeDetails: string;
  emailAddresses: string[];
  microsoftOnlineServicesId?: string;
}

interface SandboxUser {
  userPrincipalName: string;
  assignedLicenses: { skuId: string }[];
}

interface SandboxTenant {
  domains: { id: string }[];
  users: SandboxUser[];
  recipients: SandboxRecipient[];
  connectors: { name: string; recipientDomains: string[] }[];
}

interface SandboxGoogleUser {
  primaryEmail: string;
  forwardingAddresses: { forwardingEmail: string }[];
  autoForwarding: { enabled: boolean; emailAddress?: string };
}

interface SandboxState {
  tenants: SandboxTenant[];
  google: { users: SandboxGoogleUser[] };
}

/**
 * The engine's progress line of an operation on one of our resources, e.g.
 * `+  pulumi-nodejs:dynamic/coexist:MailUser mail-user-x creating (0s)` (the stack and the
 * component report "creating" too, seconds before the provider plugin has even started).
 */
const RESOURCE_OPERATION = /dynamic\/coexist:\w+ \S+ (creating|updating|deleting|replacing)/;

const SEEDED_DOMAINS = new Set(["contoso.onmicrosoft.com", "contoso.com"]);
const SEEDED_ADMIN = "admin@contoso.onmicrosoft.com";

/** Keys that occur more than once, as `what key ×n`. */
function repeated(what: string, keys: string[]): string[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([key, n]) => `${what} ${key} ×${n}`);
}

const typeOf = (resource: StackResourceState): string => resource.type.slice(resource.type.lastIndexOf(":") + 1);
const lower = (value: unknown): string => String(value ?? "").toLowerCase();

/**
 * Duplicates (two objects where the journey wants one) and orphans (objects in the tenants that no
 * resource in the stack's state owns, other than the foreign ones planted on purpose, by name),
 * read from the sandbox's state.
 */
export function takeInventory(state: SandboxState, resources: StackResourceState[], foreign: Set<string> = new Set()): Inventory {
  const tenant = state.tenants[0];
  const owned = (type: string, key: (r: StackResourceState) => string): Set<string> =>
    new Set(resources.filter((r) => typeOf(r) === type).map(key));
  const mailUsers = owned("MailUser", (r) => lower(r.id));
  const mailUserUpns = owned("MailUser", (r) => lower(r.outputs?.microsoftOnlineServicesId));
  const licensed = owned("LicenseAssignment", (r) => lower(r.outputs?.userPrincipalName));
  const connectors = owned("OutboundConnector", (r) => lower(r.id));
  const routes = owned("GoogleForwardingRoute", (r) => lower(r.id));
  const domains = owned("RoutingDomain", (r) => lower(r.id));

  const recipients = tenant.recipients.filter((r) => lower(r.microsoftOnlineServicesId) !== SEEDED_ADMIN && !foreign.has(lower(r.name)));
  const smtp = recipients.flatMap((r) => r.emailAddresses.filter((a) => /^smtp:/i.test(a)).map((a) => lower(a.slice(5))));
  const duplicates = [
    ...repeated("proxy address", smtp),
    ...repeated("mail user", recipients.map((r) => lower(r.microsoftOnlineServicesId))),
    ...repeated("Entra user", tenant.users.map((u) => lower(u.userPrincipalName))),
    ...tenant.users.flatMap((u) => repeated(`licence of ${u.userPrincipalName}:`, u.assignedLicenses.map((l) => l.skuId))),
    ...repeated("connector for", tenant.connectors.map((c) => c.recipientDomains.map(lower).sort().join(","))),
    ...state.google.users.flatMap((u) => repeated(`forwarding address of ${u.primaryEmail}:`, u.forwardingAddresses.map((f) => lower(f.forwardingEmail)))),
    ...state.google.users.filter((u) => u.forwardingAddresses.length > 1).map((u) => `${u.primaryEmail} has ${u.forwardingAddresses.length} forwarding addresses`),
  ];

  const orphans = [
    ...recipients
      .filter((r) => (r.recipientTypeDetails === "MailUser" ? !mailUsers.has(lower(r.guid)) : !mailUserUpns.has(lower(r.microsoftOnlineServicesId)) && !licensed.has(lower(r.microsoftOnlineServicesId))))
      .map((r) => `${r.recipientTypeDetails} ${r.microsoftOnlineServicesId ?? r.guid}`),
    ...tenant.users
      .filter((u) => lower(u.userPrincipalName) !== SEEDED_ADMIN && u.assignedLicenses.length > 0 && !licensed.has(lower(u.userPrincipalName)))
      .map((u) => `licence of ${u.userPrincipalName}`),
    ...tenant.connectors.map((c) => lower(c.name)).filter((name) => !connectors.has(name) && !foreign.has(name)).map((name) => `connector ${name}`),
    ...tenant.domains.map((d) => lower(d.id)).filter((id) => !SEEDED_DOMAINS.has(id) && !domains.has(id)).map((id) => `domain ${id}`),
    ...state.google.users
      .filter((u) => (u.forwardingAddresses.length > 0 || u.autoForwarding.enabled) && !routes.has(lower(u.primaryEmail)))
      .map((u) => `Gmail forwarding of ${u.primaryEmail}`),
  ];
  return { duplicates, orphans };
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

export interface WorldOptions {
  name: string;
  users: number;
  departments: number;
  faults?: FaultSettings;
  transcript: Transcript;
}

export class World {
  private constructor(
    readonly sandbox: SandboxHandle,
    readonly stack: Stack,
    readonly population: { users: GoogleUser[]; departments: string[] },
    readonly transcript: Transcript,
    private readonly cleanup: () => void,
  ) {}

  /**
   * The client secret and the Google key go into the stack's secret config, not the environment,
   * so the secret scan covers the path a real deployment uses (configure receives them unwrapped).
   */
  static async start(options: WorldOptions): Promise<World> {
    const sandbox = await startSandbox({ users: options.users, departments: options.departments, faults: options.faults });
    const state = tempStateDir(`reliability-${options.name}`);
    try {
      options.transcript.secrets.push({ name: "mail-user password", value: MAIL_USER_PASSWORD }, ...(await sandboxSecrets(sandbox)));
      const population = await migrationUsers(sandbox);
      const csvPath = path.join(state.dir, "users.csv");
      fs.writeFileSync(csvPath, usersCsv(population.users));
      const env = { ...sandbox.env, COEXIST_CLIENT_SECRET: "", COEXIST_GOOGLE_CREDENTIALS: "", COEXIST_SANDBOX_STATIC_TOKEN: "" };
      const stack = new Stack({ projectDir: repoRoot, stack: `reliability-${options.name}`, stateDir: state.dir, passphrase: `reliability-${options.name}`, env });
      await stack.remove();
      await stack.init();
      const secrets = {
        "coexist:mailUserPassword": MAIL_USER_PASSWORD,
        "coexist:clientSecret": sandbox.env.COEXIST_CLIENT_SECRET,
        "coexist:googleCredentials": sandbox.env.COEXIST_GOOGLE_CREDENTIALS,
      };
      const pairs = (flag: string, values: Record<string, string>) => Object.entries(values).flatMap(([key, value]) => [flag, `${key}=${value}`]);
      await stack.run(["config", "set-all", ...pairs("--plaintext", journeyConfig(csvPath)), ...pairs("--secret", secrets)]);
      return new World(sandbox, stack, population, options.transcript, state.cleanup);
    } catch (error) {
      await sandbox.stop();
      state.cleanup();
      throw error;
    }
  }

  /** Runs an engine command, keeping its output (and its error message) in the transcript. */
  async run<T extends CommandResult>(label: string, command: () => Promise<T>): Promise<T> {
    try {
      const result = await command();
      this.transcript.add(`${this.stack.options.stack} ${label} stdout`, result.stdout);
      this.transcript.add(`${this.stack.options.stack} ${label} stderr`, result.stderr);
      return result;
    } catch (error) {
      this.transcript.add(`${this.stack.options.stack} ${label} error`, (error as Error).message);
      throw error;
    }
  }

  /** `pulumi up`; the error message of a failed run, or undefined. */
  async tryUp(label: string, extraArgs: string[] = []): Promise<string | undefined> {
    try {
      await this.run(label, () => this.stack.up(extraArgs));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * Starts `pulumi up` in its own process group and, `delayMs` after the engine reports its first
   * operation on a resource of ours, kills the whole group. Says whether it was still running then.
   */
  killedUp(delayMs: number): Promise<boolean> {
    const { options } = this.stack;
    const env = engineEnv({ stateDir: options.stateDir, passphrase: options.passphrase, extra: options.env });
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", options.stack, "--non-interactive", "--color", "never"], {
      cwd: options.projectDir,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let timer: NodeJS.Timeout | undefined;
    let running = true;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (timer === undefined && RESOURCE_OPERATION.test(output)) {
        timer = setTimeout(() => running && process.kill(-child.pid!, "SIGKILL"), delayMs);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    return new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (_code, signal) => {
        running = false;
        clearTimeout(timer);
        this.transcript.add(`${options.stack} killed up output`, output);
        resolve(signal === "SIGKILL");
      });
    });
  }

  /** Pending operations in the checkpoint the file backend holds (read from disk: no engine run). */
  pendingOperations(): number {
    const { stateDir, stack } = this.stack.options;
    const checkpoint = filesUnder(path.join(stateDir, ".pulumi", "stacks")).find((file) => path.basename(file) === `${stack}.json`);
    if (!checkpoint) return 0;
    const state = JSON.parse(fs.readFileSync(checkpoint, "utf8")) as { checkpoint?: { latest?: { pending_operations?: unknown[] } } };
    return state.checkpoint?.latest?.pending_operations?.length ?? 0;
  }

  /** The plain `pulumi stack export` (secrets stay encrypted), kept in the transcript. */
  async exportStack(): Promise<StackExport> {
    return JSON.parse((await this.run("stack export", () => this.stack.run(["stack", "export"]))).stdout) as StackExport;
  }

  async resources(): Promise<StackResourceState[]> {
    const resources = (await this.exportStack()).deployment.resources ?? [];
    return resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  }

  async inventory(foreign?: Set<string>): Promise<Inventory> {
    return takeInventory((await control(this.sandbox, "GET", "/sandbox/state")) as SandboxState, await this.resources(), foreign);
  }

  /** A `pulumi preview --json`, kept in the transcript like every other output. */
  async preview(label: string): Promise<PreviewResult> {
    return JSON.parse((await this.run(label, () => this.stack.run(["preview", "--json"]))).stdout) as PreviewResult;
  }

  /** API requests so far and the faults injected into them, by kind, summed over every API. */
  async requestStats(): Promise<{ requests: number; faults: Record<string, number> }> {
    const stats = (await control(this.sandbox, "GET", "/sandbox/stats")) as { total: number; apis: Record<string, { faults: Record<string, number> }> };
    const faults: Record<string, number> = {};
    for (const api of Object.values(stats.apis)) for (const [kind, n] of Object.entries(api.faults)) faults[kind] = (faults[kind] ?? 0) + n;
    return { requests: stats.total, faults };
  }

  /**
   * Keeps the sandbox's log, the stack's config file and every file of the state folder (the
   * backend's checkpoints, history and backups, PULUMI_HOME's logs) for the scan, then removes the
   * stack, its state and the sandbox.
   */
  async stop(): Promise<void> {
    const { stack: name, stateDir, projectDir } = this.stack.options;
    const files = [
      path.join(this.sandbox.dataDir, "sandbox.log"),
      path.join(projectDir, `Pulumi.${name}.yaml`),
      ...filesUnder(stateDir),
    ];
    for (const file of files.filter((f) => fs.existsSync(f))) this.transcript.add(`${name} ${path.basename(file)}`, fs.readFileSync(file, "utf8"));
    await this.stack.remove();
    await this.sandbox.stop();
    this.cleanup();
  }
}
