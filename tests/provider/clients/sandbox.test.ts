import * as assert from "assert";
import { execFile } from "child_process";
import { rmSync } from "fs";
import { join } from "path";
import { controlRequest, startSandbox, type FaultSettings, type SandboxHandle } from "../../../sandbox";

const PROBE = join(__dirname, "sandboxProbe.js");

interface ProbeOutcome {
  ok: boolean;
  result?: any;
  error?: { name: string; message: string; status?: number; notFound?: boolean; alreadyExists?: boolean };
}

/** Environment of this process without our settings, so only the sandbox's (and the overrides) apply. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("COEXIST_") && key !== "NODE_EXTRA_CA_CERTS"));
}

function probe(sandbox: SandboxHandle, scenario: string, overrides: Record<string, string> = {}): Promise<ProbeOutcome> {
  const env = { ...cleanEnv(), ...sandbox.env, ...overrides };
  for (const [key, value] of Object.entries(env)) if (value === "") delete env[key];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [PROBE, scenario], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`probe "${scenario}" failed: ${stderr || error.message}`));
      resolve(JSON.parse(stdout) as ProbeOutcome);
    });
  });
}

function sandboxPerSuite(faults?: FaultSettings): () => SandboxHandle {
  let sandbox: SandboxHandle | undefined;
  before(async () => {
    sandbox = await startSandbox(faults ? { faults } : {});
  });
  after(async () => {
    await sandbox?.stop();
    if (sandbox) rmSync(sandbox.dataDir, { recursive: true, force: true });
  });
  return () => sandbox!;
}

describe("API clients against the sandbox", () => {
  describe("with client credentials (Entra client secret, Google service account)", () => {
    const sandbox = sandboxPerSuite();

    it("gets a Graph token through the sandbox authority and reads domains", async () => {
      const outcome = await probe(sandbox(), "graph domain");
      assert.ok(outcome.ok, JSON.stringify(outcome.error));
      assert.strictEqual(outcome.result.existing.id, "contoso.com");
      assert.strictEqual(outcome.result.existing.isVerified, true);
      assert.strictEqual(outcome.result.missing, undefined);
    });

    it("resolves a SKU part number to its id", async () => {
      const outcome = await probe(sandbox(), "graph sku");
      assert.deepStrictEqual(outcome, { ok: true, result: "4b9405b0-7788-4568-add1-99614e613b69" });
    });

    it("reads a user with $select", async () => {
      const outcome = await probe(sandbox(), "graph user");
      assert.ok(outcome.ok, JSON.stringify(outcome.error));
      assert.strictEqual(outcome.result.usageLocation, "US");
    });

    it("runs an Exchange cmdlet with an Exchange token", async () => {
      const outcome = await probe(sandbox(), "exchange accepted domains");
      assert.ok(outcome.ok, JSON.stringify(outcome.error));
      assert.ok(outcome.result.some((domain: { DomainName: string }) => domain.DomainName === "contoso.com"), JSON.stringify(outcome.result));
      assert.ok(outcome.result.every((domain: object) => Object.keys(domain).every((key) => !key.includes("@"))));
    });

    it("reports a missing Exchange object as notFound", async () => {
      const outcome = await probe(sandbox(), "exchange missing mail user");
      assert.strictEqual(outcome.ok, false);
      assert.strictEqual(outcome.error?.name, "ExchangeError");
      assert.strictEqual(outcome.error?.notFound, true);
    });

    it("creates a mail user, reports the second create as alreadyExists without the password, and lists it", async () => {
      const outcome = await probe(sandbox(), "exchange new mail user");
      assert.ok(outcome.ok, JSON.stringify(outcome.error));
      assert.strictEqual(outcome.result.again.alreadyExists, true, JSON.stringify(outcome.result.again));
      assert.ok(!outcome.result.again.message.includes("Probe-Passw0rd!"));
      assert.ok(outcome.result.names.includes("Probe User"));
    });

    it("impersonates the mailbox owner to create a forwarding address", async () => {
      const outcome = await probe(sandbox(), "google forwarding");
      assert.ok(outcome.ok, JSON.stringify(outcome.error));
      assert.deepStrictEqual(outcome.result.created, { forwardingEmail: "ben.adams@o365.contoso.com", verificationStatus: "accepted" });
      assert.ok(outcome.result.listed.some((address: { forwardingEmail: string }) => address.forwardingEmail === "ben.adams@o365.contoso.com"));
      assert.strictEqual(outcome.result.missing, null);
    });

    it("sends a $batch and returns every answer by id", async () => {
      const outcome = await probe(sandbox(), "graph batch");
      assert.deepStrictEqual(outcome, { ok: true, result: [200, 200, 200, 200, 200, 200] });
    });

    it("impersonates the admin to read the Directory", async () => {
      const outcome = await probe(sandbox(), "google directory");
      assert.deepStrictEqual(outcome, { ok: true, result: { user: "ben.adams@contoso.com", missing: null } });
    });

    it("names the Entra settings to check when the client secret is wrong", async () => {
      const outcome = await probe(sandbox(), "graph user", { COEXIST_CLIENT_SECRET: "wrong-secret-value" });
      assert.strictEqual(outcome.ok, false);
      assert.match(outcome.error!.message, /Could not get an Entra ID token .* Check coexist:tenantId, coexist:clientId and coexist:clientSecret/);
      assert.ok(!outcome.error!.message.includes("wrong-secret-value"));
    });
  });

  describe("with the static access token", () => {
    const sandbox = sandboxPerSuite();
    const staticToken = () => ({
      COEXIST_ACCESS_TOKEN: sandbox().env.COEXIST_SANDBOX_STATIC_TOKEN,
      COEXIST_CLIENT_SECRET: "",
      COEXIST_GOOGLE_CREDENTIALS: "",
    });

    for (const scenario of ["graph domain", "exchange accepted domains", "google directory"]) {
      it(`sends it as the bearer token: ${scenario}`, async () => {
        const outcome = await probe(sandbox(), scenario, staticToken());
        assert.ok(outcome.ok, JSON.stringify(outcome.error));
      });
    }
  });

  describe("under throttling, dropped connections and server errors", () => {
    const sandbox = sandboxPerSuite({
      seed: 7,
      apis: {
        graph: { rateLimit: { requests: 3, perSeconds: 1 }, dropRate: 0.15 },
        exchange: { maxConcurrent: 1, errorRate: 0.15 },
        gmail: { rateLimit: { requests: 3, perSeconds: 1 } },
      },
    });

    const cases = [
      { scenario: "parallel graph reads", api: "graph", expected: Array(8).fill("contoso.com") },
      { scenario: "graph batch", api: "graph", expected: Array(6).fill(200) },
      { scenario: "parallel exchange reads", api: "exchange" },
      { scenario: "parallel gmail reads", api: "gmail", expected: Array(6).fill(false) },
    ];
    async function faultsInjected(api: string): Promise<number> {
      const runtime = { url: sandbox().url, port: sandbox().port, pid: sandbox().pid, env: sandbox().env };
      const stats = (await controlRequest(runtime, "GET", "/sandbox/stats")).body as { apis: Record<string, { faults: Record<string, number> }> };
      return Object.values(stats.apis[api]?.faults ?? {}).reduce((sum, count) => sum + count, 0);
    }

    for (const { scenario, api, expected } of cases) {
      it(`completes every call by retrying: ${scenario}`, async () => {
        const faultsBefore = await faultsInjected(api);
        const outcome = await probe(sandbox(), scenario);
        assert.ok(outcome.ok, JSON.stringify(outcome.error));
        if (expected) assert.deepStrictEqual(outcome.result, expected);
        else assert.strictEqual(new Set(outcome.result).size, 1, JSON.stringify(outcome.result));
        assert.ok((await faultsInjected(api)) > faultsBefore, `the sandbox injected no ${api} fault during this scenario`);
      });
    }
  });
});
