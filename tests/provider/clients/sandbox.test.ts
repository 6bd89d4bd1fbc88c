import * as assert from "assert";
import { execFile } from "child_process";
import { createServer, type Server } from "http";
import type { AddressInfo } from "net";
import { rmSync } from "fs";
import { join } from "path";
import { controlRequest, startSandbox, type FaultSettings, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";

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

  describe("base URL check and endpoint rules", () => {
    const sandbox = sandboxPerSuite();
    let html: Server | undefined;
    let htmlUrl = "";
    before(async () => {
      html = createServer((_request, response) => {
        response.writeHead(200, { "Content-Type": "text/html" });
        response.end("<!DOCTYPE html><html><head><title>Router login</title></head></html>");
      });
      await new Promise<void>((resolve) => html!.listen(0, "127.0.0.1", resolve));
      htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise<void>((resolve) => (html ? html.close(() => resolve()) : resolve()));
    });
    const staticToken = () => ({ COEXIST_ACCESS_TOKEN: sandbox().env.COEXIST_SANDBOX_STATIC_TOKEN, COEXIST_CLIENT_SECRET: "", COEXIST_GOOGLE_CREDENTIALS: "" });
    const FABRIKAM_TENANT = "9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

    const refusals: Array<{ name: string; scenario: string; overrides: () => Record<string, string>; message: RegExp }> = [
      {
        name: "an Exchange URL with the tenant pasted in, whose 404 the sandbox words as a not-found, never reads as gone",
        scenario: "exchange missing mail user",
        overrides: () => ({ COEXIST_EXCHANGE_URL: `${sandbox().url}/adminapi/beta/contoso.com` }),
        message: /^coexist:exchangeUrl does not answer as the Exchange admin API: .* answered HTTP 404 application\/json "ManagementObjectNotFoundException: The sandbox emulates only POST .*". Check coexist:exchangeUrl https:\/\/127\.0\.0\.1:\d+\/adminapi\/beta\/contoso\.com \(from the environment, COEXIST_EXCHANGE_URL\)/,
      },
      {
        name: "a wrong Graph path",
        scenario: "graph domain",
        overrides: () => ({ COEXIST_GRAPH_URL: `${sandbox().url}/v2.0` }),
        message: /^coexist:graphUrl does not answer as Microsoft Graph: GET \/domains\?\$select=id answered HTTP 404/,
      },
      {
        name: "an Exchange path of the wrong version",
        scenario: "exchange missing mail user",
        overrides: () => ({ COEXIST_EXCHANGE_URL: `${sandbox().url}/adminapi/v1.0` }),
        message: /^coexist:exchangeUrl does not answer as the Exchange admin API: .* answered HTTP 405 with an empty body/,
      },
      {
        name: "an HTML page (a tiny local server) as Google",
        scenario: "google directory",
        overrides: () => ({ COEXIST_GOOGLE_URL: `${htmlUrl}/` }),
        message: /^coexist:googleUrl does not answer as the Google APIs: GET admin\/directory\/v1\/users answered HTTP 200 text\/html/,
      },
      {
        name: "an HTML page (a tiny local server) as Graph",
        scenario: "graph domain",
        overrides: () => ({ COEXIST_GRAPH_URL: `${htmlUrl}/v1.0` }),
        message: /^coexist:graphUrl does not answer as Microsoft Graph: GET \/domains\?\$select=id answered HTTP 200 text\/html "<!DOCTYPE html><html><head><title>Router login<\/title>/,
      },
      {
        name: "an HTML page (a tiny local server) as Exchange",
        scenario: "exchange accepted domains",
        overrides: () => ({ COEXIST_EXCHANGE_URL: `${htmlUrl}/adminapi/beta` }),
        message: /^coexist:exchangeUrl does not answer as the Exchange admin API: .* answered HTTP 200 text\/html/,
      },
      {
        name: "the wrong tenant for the token (Exchange)",
        scenario: "exchange accepted domains",
        overrides: () => ({ ...staticToken(), COEXIST_TENANT_ID: FABRIKAM_TENANT }),
        message: new RegExp(`^coexist:tenantId names tenant ${FABRIKAM_TENANT}, but coexist:accessToken \\(from the environment, COEXIST_ACCESS_TOKEN\\) is for tenant 6f1c3a52-8d0e-4b7a-9c1d-2e3f4a5b6c7d`),
      },
      {
        name: "the wrong tenant for the token (Graph)",
        scenario: "graph domain",
        overrides: () => ({ ...staticToken(), COEXIST_TENANT_ID: FABRIKAM_TENANT }),
        message: new RegExp(`^coexist:tenantId names tenant ${FABRIKAM_TENANT}, but coexist:accessToken`),
      },
      {
        name: "the static token with a real Graph URL",
        scenario: "graph domain",
        overrides: () => ({ ...staticToken(), COEXIST_GRAPH_URL: "https://graph.microsoft.com/v1.0" }),
        message: /^coexist:exchangeUrl is a loopback \(sandbox\) endpoint while other endpoints are real; .* Not loopback: coexist:graphUrl https:\/\/graph\.microsoft\.com\/v1\.0 \(from the environment, COEXIST_GRAPH_URL\)/,
      },
      {
        name: "a real Exchange URL among the sandbox's exports",
        scenario: "exchange accepted domains",
        overrides: () => ({ COEXIST_EXCHANGE_URL: "https://outlook.office365.com/adminapi/beta" }),
        message: /^coexist:graphUrl is a loopback \(sandbox\) endpoint while other endpoints are real; .*Not loopback: coexist:exchangeUrl https:\/\/outlook\.office365\.com\/adminapi\/beta \(from the environment, COEXIST_EXCHANGE_URL\)\. Fix: unset COEXIST_GRAPH_URL COEXIST_EXCHANGE_URL COEXIST_GOOGLE_URL COEXIST_LOGIN_URL/,
      },
      {
        name: "plain http to a real host",
        scenario: "google directory",
        overrides: () => ({ COEXIST_GOOGLE_URL: "http://www.googleapis.com/" }),
        message: /^coexist:googleUrl must be an https URL: http is allowed only for a loopback host/,
      },
    ];
    for (const { name, scenario, overrides, message } of refusals) {
      it(`fails loudly, naming the setting: ${name}`, async () => {
        const outcome = await probe(sandbox(), scenario, overrides());
        assert.strictEqual(outcome.ok, false, JSON.stringify(outcome.result));
        assert.strictEqual(outcome.error?.name, "ConfigError", outcome.error?.message);
        assert.match(outcome.error!.message, message);
      });
    }

    it("finds nothing to remove through a wrong Exchange path, and changes nothing", async () => {
      const before = (await controlRequest(sandbox(), "GET", "/sandbox/stats")).body as { apis: Record<string, { byOperation: Record<string, number> }> };
      const outcome = await probe(sandbox(), "exchange remove probe user", { COEXIST_EXCHANGE_URL: `${sandbox().url}/adminapi/v1.0` });
      assert.strictEqual(outcome.error?.name, "ConfigError");
      const after = (await controlRequest(sandbox(), "GET", "/sandbox/stats")).body as { apis: Record<string, { byOperation: Record<string, number> }> };
      assert.strictEqual(after.apis.exchange?.byOperation["Remove-MailUser"] ?? 0, before.apis.exchange?.byOperation["Remove-MailUser"] ?? 0);
    });
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
