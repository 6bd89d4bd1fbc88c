import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_SEED_PATH, resolveSeed, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { control, graphClient, startTestSandbox } from "./harness";

describe("sandbox process and persistence (startSandbox)", function () {
  this.timeout(60_000);
  const started: SandboxHandle[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "coexist-sandbox-test-"));
  after(async () => {
    for (const handle of started) await handle.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (dataDir?: string): Promise<SandboxHandle> => {
    const handle = await startTestSandbox(dataDir ? { dataDir } : {});
    started.push(handle);
    return handle;
  };

  it("keeps state across a clean restart and across kill -9", async () => {
    const first = await start(dataDir);
    await graphClient(first).api("/domains").post({ id: "persisted.example" });
    await control(first, "PUT", "dns/mx", { domain: "contoso.com", hosts: ["contoso-com.mail.protection.outlook.com"] });
    await first.stop();

    const second = await start(dataDir);
    assert.equal((await graphClient(second).api("/domains/persisted.example").get()).id, "persisted.example");
    await graphClient(second).api("/domains").post({ id: "after-restart.example" });
    process.kill(second.pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));

    const third = await start(dataDir);
    const client = graphClient(third);
    assert.equal((await client.api("/domains/after-restart.example").get()).id, "after-restart.example");
    assert.deepEqual((await control(third, "GET", "dns")).mx["contoso.com"], ["contoso-com.mail.protection.outlook.com"]);
  });

  it("resets to the seed on request", async () => {
    const sandbox = await start();
    await graphClient(sandbox).api("/domains").post({ id: "gone-after-reset.example" });
    await control(sandbox, "POST", "reset");
    const ids = (await graphClient(sandbox).api("/domains").get()).value.map((domain: { id: string }) => domain.id);
    assert.equal(ids.includes("gone-after-reset.example"), false);
  });

  it("publishes the environment clients need", async () => {
    const sandbox = await start();
    assert.equal(sandbox.env.COEXIST_GRAPH_URL, `${sandbox.url}/v1.0`);
    assert.equal(sandbox.env.COEXIST_EXCHANGE_URL, `${sandbox.url}/adminapi/beta`);
    assert.equal(sandbox.env.COEXIST_GOOGLE_URL, `${sandbox.url}/`);
    assert.equal(sandbox.env.COEXIST_LOGIN_URL, sandbox.url);
    assert.equal(JSON.parse(sandbox.env.COEXIST_GOOGLE_CREDENTIALS).token_uri, `${sandbox.url}/token`);
    assert.match(sandbox.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("choosing a seed (resolveSeed)", () => {
  it("turns strict mode on for any seed when asked (coexist sandbox start --strict), and only then", () => {
    assert.equal(resolveSeed({ seed: DEMO_SEED_PATH }).behaviour.strict, undefined);
    const strict = resolveSeed({ seed: DEMO_SEED_PATH, strict: true }).behaviour;
    assert.deepEqual([strict.strict, strict.refuseNullParameters, strict.exchangeErrorShapes, strict.lag?.entraUserSeconds], [true, true, "mixed", [2, 5]]);
  });

  it("checks a seed object like a seed file", () => {
    const demo = readSeedFile(DEMO_SEED_PATH);
    assert.throws(() => resolveSeed({ seed: { ...demo, behaviour: { ...demo.behaviour, exchangeErrorShapes: "xml" as never } } }), /behaviour\.exchangeErrorShapes/);
  });
});
