import * as assert from "assert";
import { useSandboxEnvironment } from "pulumi-mail-coexistence-sandbox";
import { invoke } from "../../../provider/clients/exchange";
import { getDomain } from "../../../provider/clients/graph";
import { control, startTestSandbox } from "../../sandbox/harness";

/** `read` through the clients, as the settings of `sandbox` point them. */
async function through<T>(sandbox: Parameters<typeof useSandboxEnvironment>[0], read: () => Promise<T>): Promise<T> {
  const restore = useSandboxEnvironment(sandbox);
  try {
    return await read();
  } finally {
    restore();
  }
}

const acceptedDomains = async (): Promise<string[]> => (await invoke("Get-AcceptedDomain", {})).map((domain) => String(domain.DomainName)).sort();
const graphDomain = async (): Promise<string | undefined> => (await getDomain("contoso.com"))?.id;

describe("the Microsoft clients when their cached token is refused as invalid", function () {
  this.timeout(120_000);

  // Each restart on the same port: same URLs, tenant, app and secret, new signing keys, so only the
  // tokens the clients hold are stale. The first call after each restart is the one that renews.
  it("get a new token once and the calls succeed: a sandbox restarted on the same port signs with new keys", async () => {
    let sandbox = await startTestSandbox({ users: 1, departments: 1 });
    const port = Number(new URL(sandbox.url).port);
    const restart = async () => {
      await sandbox.stop();
      sandbox = await startTestSandbox({ users: 1, departments: 1, port });
    };
    try {
      assert.ok((await through(sandbox, acceptedDomains)).includes("contoso.com"));
      assert.strictEqual(await through(sandbox, graphDomain), "contoso.com");
      await restart();
      assert.strictEqual(await through(sandbox, graphDomain), "contoso.com", "Graph renews its own token");
      assert.ok((await through(sandbox, acceptedDomains)).includes("contoso.com"), "Exchange gets a token from the renewed credentials");
      await restart();
      assert.ok((await through(sandbox, acceptedDomains)).includes("contoso.com"), "Exchange renews its own token");
      await control(sandbox, "POST", "/stats/reset");
      assert.strictEqual(await through(sandbox, graphDomain), "contoso.com");
      const graph = ((await control(sandbox, "GET", "/stats")) as { apis: Record<string, { requests: number }> }).apis.graph;
      assert.strictEqual(graph.requests, 1, "Graph's client took the credentials Exchange renewed: no call with the stale token");
    } finally {
      await sandbox.stop();
    }
  });
});
