/**
 * One resource fixture program driven by the real Pulumi engine against its own sandbox: the
 * program's resource arguments come from the stack config `args` (JSON), so a test changes one
 * field and previews or applies; the sandbox's request counts and state show what really happened.
 */
import * as path from "path";
import { configureFromStack, type ConfigKey } from "../../provider/config";
import { repoRoot } from "../../scripts/engine-env";
import { changedSteps, Stack, urnName, type PreviewResult } from "../../scripts/stack";
import { controlRequest, startSandbox, type SandboxHandle, type Seed } from "pulumi-mail-coexistence-sandbox";
import { trustCa } from "../sandbox/harness";
import { tempStateDir } from "../helpers/tempState";

interface ApiStats {
  writes: number;
  byOperation: Record<string, number>;
}

/** What the sandbox holds for the (first) Microsoft tenant. */
export interface TenantState {
  domains: { id: string; isVerified: boolean; supportedServices: string[] }[];
  connectors: Record<string, unknown>[];
  transportRules: Record<string, unknown>[];
  recipients: { emailAddresses: string[] }[];
}

const TENANT_APIS = ["exchange", "graph", "gmail", "directory"];
const isWrite = (api: string, operation: string): boolean => (api === "exchange" ? !/^Get-/i.test(operation) : !operation.startsWith("GET "));

const CLIENT_SETTINGS: Partial<Record<ConfigKey, string>> = {
  graphUrl: "COEXIST_GRAPH_URL",
  exchangeUrl: "COEXIST_EXCHANGE_URL",
  loginUrl: "COEXIST_LOGIN_URL",
  tenantId: "COEXIST_TENANT_ID",
  clientId: "COEXIST_CLIENT_ID",
  clientSecret: "COEXIST_CLIENT_SECRET",
};

/** Operations on the tenants' APIs since the sandbox's last stats reset, e.g. `exchange Set-OutboundConnector`. */
export async function tenantOperations(sandbox: SandboxHandle, included: (api: string, operation: string) => boolean = () => true): Promise<string[]> {
  const stats = (await controlRequest(sandbox, "GET", "/sandbox/stats")).body as { apis: Record<string, ApiStats> };
  return Object.entries(stats.apis)
    .filter(([name]) => TENANT_APIS.includes(name))
    .flatMap(([name, api]) => Object.keys(api.byOperation).filter((operation) => included(name, operation)).map((operation) => `${name} ${operation}`))
    .sort();
}

/**
 * Points the provider's own clients, in the test process, at the sandbox: a test changes the tenant
 * directly with them (drift, or an object a foreign admin made). `configureFromStack({ get: () =>
 * undefined })` undoes it.
 */
export function useSandboxClients(sandbox: SandboxHandle): void {
  trustCa(sandbox.env.NODE_EXTRA_CA_CERTS);
  configureFromStack({ get: (key) => sandbox.env[CLIENT_SETTINGS[key.replace(/^coexist:/, "") as ConfigKey] ?? ""] });
}

export class SandboxStack {
  private constructor(
    readonly sandbox: SandboxHandle,
    readonly stack: Stack,
    private readonly project: string,
    private readonly cleanup: () => void,
  ) {}

  /** Starts a sandbox (the demo seed unless `seed`), creates the stack of `tests/fixtures/<fixture>`. */
  static async start(fixture: string, seed?: Seed): Promise<SandboxStack> {
    const sandbox = await startSandbox(seed ? { seed } : {});
    const state = tempStateDir(fixture);
    const stack = new Stack({
      projectDir: path.join(repoRoot, "tests", "fixtures", fixture),
      stack: "test",
      stateDir: state.dir,
      passphrase: `${fixture}-passphrase`,
      env: sandbox.env,
    });
    await stack.init();
    useSandboxClients(sandbox);
    return new SandboxStack(sandbox, stack, fixture, state.cleanup);
  }

  async stop(): Promise<void> {
    configureFromStack({ get: () => undefined });
    await this.stack.remove();
    await this.sandbox.stop();
    this.cleanup();
  }

  /** The arguments the fixture program passes to its resource(s). */
  async setArgs(args: Record<string, unknown>): Promise<void> {
    await this.stack.setConfig({ [`${this.project}:args`]: JSON.stringify(args) });
  }

  /**
   * Previews with these arguments: the changed steps as `[op, resource name, reasons]`. A dynamic
   * provider's diff cannot name the fields of an update (its DiffResult has no `diffs`), so only a
   * replacement has reasons: the fields its diff reported in `replaces`.
   */
  async plan(args: Record<string, unknown>): Promise<{ steps: [string, string, string[]][]; preview: PreviewResult }> {
    await this.setArgs(args);
    const preview = await this.stack.preview();
    const steps = changedSteps(preview)
      .filter((step) => !step.urn.includes("pulumi:pulumi:Stack"))
      .map((step): [string, string, string[]] => [step.op, urnName(step.urn), [...new Set([...(step.diffReasons ?? []), ...(step.replaceReasons ?? [])])].sort()]);
    return { steps, preview };
  }

  async resetStats(): Promise<void> {
    await controlRequest(this.sandbox, "POST", "/sandbox/stats/reset");
  }

  /**
   * Write operations on the tenants' APIs since the last reset, e.g. `["exchange Set-OutboundConnector"]`
   * (token requests and the sandbox's own control calls are not writes to a tenant).
   */
  async writes(): Promise<string[]> {
    return tenantOperations(this.sandbox, isWrite);
  }

  /** Every operation on the tenants' APIs since the last reset, reads included. */
  async calls(): Promise<string[]> {
    return tenantOperations(this.sandbox);
  }

  async tenant(): Promise<TenantState> {
    const state = (await controlRequest(this.sandbox, "GET", "/sandbox/state")).body as { tenants: TenantState[] };
    return state.tenants[0];
  }

  /** The recipient holding `address` as one of its SMTP addresses, as the sandbox stores it. */
  async recipient<T extends { emailAddresses: string[] }>(address: string): Promise<T | undefined> {
    const wanted = `smtp:${address.toLowerCase()}`;
    return ((await this.tenant()).recipients as T[]).find((entry) => entry.emailAddresses.some((proxy) => proxy.toLowerCase() === wanted));
  }

  async control(method: string, controlPath: string, body?: unknown): Promise<unknown> {
    return (await controlRequest(this.sandbox, method, controlPath, body)).body;
  }
}
