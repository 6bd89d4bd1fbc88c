import * as assert from "assert";
import { useSandboxEnvironment } from "pulumi-mail-coexistence-sandbox";
import { invoke } from "../../../provider/clients/exchange";
import { getDomain } from "../../../provider/clients/graph";
import { startTestSandbox } from "../../sandbox/harness";

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

  it("get a new token once and the calls succeed: a sandbox restarted on the same port signs with new keys", async () => {
    const first = await startTestSandbox({ users: 1, departments: 1 });
    const port = Number(new URL(first.url).port);
    try {
      assert.ok((await through(first, acceptedDomains)).includes("contoso.com"));
      assert.strictEqual(await through(first, graphDomain), "contoso.com");
    } finally {
      await first.stop();
    }
    // Same URLs, tenant, app and secret: only the tokens the clients hold are stale.
    const second = await startTestSandbox({ users: 1, departments: 1, port });
    try {
      assert.ok((await through(second, acceptedDomains)).includes("contoso.com"), "Exchange");
      assert.strictEqual(await through(second, graphDomain), "contoso.com", "Graph");
    } finally {
      await second.stop();
    }
  });
});
