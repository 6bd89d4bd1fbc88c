import * as assert from "assert";
import { invoke } from "../../provider/clients/exchange";
import { createDomain, setSupportedServices, verifyDomain } from "../../provider/clients/graph";
import { resolveSeed } from "pulumi-mail-coexistence-sandbox";
import { SandboxStack } from "./sandboxStack";

const relay = { domainName: "lagged.contoso.com" };

describe("AcceptedDomain with the real engine against a strict sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const domainType = async (): Promise<unknown> => (await invoke("Get-AcceptedDomain", { Identity: relay.domainName }))[0]?.DomainType;

  before(async () => {
    // Strict, with a lag long enough that the engine starts well inside it: Exchange lists a domain
    // verified with Email 15-20 s later (real tenants: minutes).
    const seed = resolveSeed({ strict: true });
    seed.behaviour = { ...seed.behaviour, lag: { ...seed.behaviour.lag, acceptedDomainSeconds: [15, 20] } };
    env = await SandboxStack.start("acceptedDomain", seed);
  });
  after(async () => env?.stop());

  it("waits for Exchange to list a domain verified moments ago, saying so, then makes it Internal Relay with every output filled in", async () => {
    await createDomain(relay.domainName);
    await verifyDomain(relay.domainName);
    await setSupportedServices(relay.domainName, ["Email"]);
    await env.setArgs(relay);
    const result = await env.stack.up();
    const output = result.stdout + result.stderr;
    assert.match(output, /waiting for Exchange Online to list verified domains as accepted domains \(replication lag.*\): lagged\.contoso\.com \(\d+ s so far, at most 1800 s, set by acceptedDomainTimeoutSeconds\)/);
    assert.doesNotMatch(output, /Undefined value/);
    assert.strictEqual(await domainType(), "InternalRelay");
    assert.deepStrictEqual(await env.stack.outputs(), {
      domainName: "lagged.contoso.com",
      domainType: "InternalRelay",
      teardownDomainType: "Authoritative",
      previousDomainType: "Authoritative",
      adopt: false,
      acceptedDomainTimeoutSeconds: 1800,
    });
  });

  it("plans no change on the next preview", async () => {
    assert.deepStrictEqual((await env.plan(relay)).steps, []);
  });

  it("puts back the type it found on destroy, and keeps the domain", async () => {
    await env.stack.destroy();
    assert.strictEqual(await domainType(), "Authoritative");
    assert.deepStrictEqual(await env.stack.resources(), []);
  });
});
