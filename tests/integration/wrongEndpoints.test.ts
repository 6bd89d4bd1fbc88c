import * as assert from "assert";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as path from "path";
import { controlRequest, startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { repoRoot } from "../../scripts/engine-env";
import { control, journeyConfig, migrationUsers, usersCsv } from "../../scripts/journey";
import { Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";
import { tenantOperations } from "./sandboxStack";

/**
 * Issue 15: a mistyped endpoint must never look like "gone". With a migrated batch in place (mail
 * users, mailboxes, licences, Gmail forwarding), a wrong exchangeUrl (an unknown path on the real
 * host) or a wrong googleUrl (a host that answers HTML 404s) makes `pulumi refresh` and `pulumi
 * destroy` fail loudly, naming the setting, with no write to either tenant and the state unchanged.
 */
describe("a wrong endpoint through the engine", function () {
  this.timeout(900_000);
  let sandbox: SandboxHandle;
  let stack: Stack;
  let cleanup: () => void;
  let stranger: https.Server;
  let strangerUrl: string;

  before(async () => {
    const state = tempStateDir("wrong-endpoints");
    cleanup = state.cleanup;
    sandbox = await startSandbox({ users: 6, departments: 2 });
    const { users, departments } = await migrationUsers(sandbox);
    const csvPath = path.join(state.dir, "users.csv");
    fs.writeFileSync(csvPath, usersCsv(users));
    stack = new Stack({ projectDir: repoRoot, stack: "wrong-endpoints", stateDir: state.dir, passphrase: "wrong-endpoints", env: sandbox.env });
    await stack.init({ ...journeyConfig(csvPath), "coexist:batches": JSON.stringify({ [departments[0]]: "migrated" }) });
    await stack.up();
    // Another HTTPS host on loopback, with a certificate the clients trust, that is not Google.
    const tls = { key: fs.readFileSync(path.join(sandbox.dataDir, "server-key.pem")), cert: fs.readFileSync(path.join(sandbox.dataDir, "server.pem")) };
    stranger = https.createServer(tls, (_request, response) => {
      response.writeHead(404, { "Content-Type": "text/html" });
      response.end("<html><body><h1>Not Found</h1></body></html>");
    });
    await new Promise<void>((resolve) => stranger.listen(0, "127.0.0.1", resolve));
    strangerUrl = `https://127.0.0.1:${(stranger.address() as AddressInfo).port}/`;
  });

  after(async () => {
    stranger?.close();
    await stack?.remove();
    await sandbox?.stop();
    cleanup?.();
  });

  // The environment, not the stack config: refresh and destroy configure the providers from the
  // state's last `up`, and read the environment at run time (a stale export line in a shell).
  const cases: [string, string, () => string][] = [
    ["coexist:exchangeUrl", "COEXIST_EXCHANGE_URL", () => `${sandbox.url}/adminapi/betta`],
    ["coexist:googleUrl", "COEXIST_GOOGLE_URL", () => strangerUrl],
  ];
  for (const [setting, variable, wrongValue] of cases) {
    it(`with a wrong ${setting}, refresh and destroy fail naming it, and nothing changes in the tenants or the state`, async () => {
      const resourcesBefore = await stack.resources();
      const tenantsBefore = await control(sandbox, "GET", "/sandbox/state");
      const misconfigured = new Stack({ ...stack.options, env: { ...sandbox.env, [variable]: wrongValue() } });
      await controlRequest(sandbox, "POST", "/sandbox/stats/reset");
      {
        const refresh = await misconfigured.run(["refresh", "--yes", "--skip-preview"], true);
        assert.notStrictEqual(refresh.code, 0, "refresh succeeded with a wrong URL");
        assert.match(refresh.stdout + refresh.stderr, new RegExp(`${setting} (does not answer as|answered)`));
        const destroy = await misconfigured.run(["destroy", "--yes", "--skip-preview"], true);
        assert.notStrictEqual(destroy.code, 0, "destroy succeeded with a wrong URL");
        assert.match(destroy.stdout + destroy.stderr, new RegExp(`${setting} (does not answer as|answered)`));
        const writes = await tenantOperations(sandbox, (api, operation) => (api === "exchange" ? !/^Get-/i.test(operation) : !operation.startsWith("GET ")));
        assert.deepStrictEqual(writes, []);
        assert.deepStrictEqual(await control(sandbox, "GET", "/sandbox/state"), tenantsBefore);
        assert.deepStrictEqual((await stack.resources()).map((r) => [r.urn, r.id]), resourcesBefore.map((r) => [r.urn, r.id]));
      }
      // With the URL put right, the stack is whole: nothing to do.
      const preview = await stack.preview();
      assert.deepStrictEqual(preview.steps.filter((step) => step.op !== "same").map((step) => `${step.op} ${step.urn}`), []);
    });
  }
});
