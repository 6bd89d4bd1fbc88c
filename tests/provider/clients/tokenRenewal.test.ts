import * as assert from "assert";
import { useSandboxEnvironment } from "pulumi-mail-coexistence-sandbox";
import { invoke } from "../../../provider/clients/exchange";
import { startTestSandbox } from "../../sandbox/harness";

/** The accepted domains Exchange lists, through the client, as the settings of `sandbox` point it. */
async function acceptedDomains(sandbox: Parameters<typeof useSandboxEnvironment>[0]): Promise<string[]> {
  const restore = useSandboxEnvironment(sandbox);
  try {
    return (await invoke("Get-AcceptedDomain", {})).map((domain) => String(domain.DomainName)).sort();
  } finally {
    restore();
  }
}

describe("the Exchange client when its cached token is refused as invalid", function () {
  this.timeout(120_000);

  it("gets a new token once and the call succeeds: a sandbox restarted on the same port signs with new keys", async () => {
    const first = await startTestSandbox({ users: 1, departments: 1 });
    const port = Number(new URL(first.url).port);
    try {
      assert.ok((await acceptedDomains(first)).includes("contoso.com"));
    } finally {
      await first.stop();
    }
    // Same URLs, tenant, app and secret: only the token the client holds is stale.
    const second = await startTestSandbox({ users: 1, departments: 1, port });
    try {
      assert.ok((await acceptedDomains(second)).includes("contoso.com"));
    } finally {
      await second.stop();
    }
  });
});
