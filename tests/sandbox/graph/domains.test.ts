import assert from "node:assert/strict";
import { ExchangeError, addRemove, invoke } from "../../../provider/clients/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile, type Seed } from "pulumi-mail-coexistence-sandbox/seed";
import { failure, graphClient, startTestSandbox, useSandboxEnvironment } from "../harness";

function seed(): Seed {
  const demo = readSeedFile(DEMO_SEED_PATH);
  const [contoso, ...others] = demo.microsoft;
  const reader = { clientId: "reader", clientSecret: "reader-secret", displayName: "reader", graphPermissions: ["Domain.Read.All"], exchangePermissions: [], directoryRoles: [] };
  return { ...demo, behaviour: { ...demo.behaviour, lag: { acceptedDomainSeconds: [1, 1] } }, microsoft: [{ ...contoso, apps: [...contoso.apps, reader] }, ...others] };
}

describe("sandbox Graph domains: permissions and the lag until Exchange accepts a domain", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;

  before(async () => {
    sandbox = await startTestSandbox({ seed: seed() });
    restoreEnvironment = useSandboxEnvironment(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("lets Domain.Read.All read domains and refuses it every write", async () => {
    const reader = graphClient(sandbox, { tenantId: sandbox.env.COEXIST_TENANT_ID, clientId: "reader", clientSecret: "reader-secret" });
    assert.ok((await reader.api("/domains").get()).value.length > 0);
    const refused = await failure(reader.api("/domains").post({ id: "reader.example" }));
    assert.deepEqual([refused.statusCode, refused.code], [403, "Authorization_RequestDenied"]);
  });

  it("makes a domain verified with Email an accepted domain only after the lag: reads, Set-AcceptedDomain and addresses wait", async () => {
    const graph = graphClient(sandbox);
    await graph.api("/domains").post({ id: "o365.contoso.com" });
    await graph.api("/domains/o365.contoso.com/verify").post({});
    await graph.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
    assert.equal(((await failure(invoke("Get-AcceptedDomain", { Identity: "o365.contoso.com" }))) as ExchangeError).notFound, true);
    assert.equal(((await failure(invoke("Set-AcceptedDomain", { Identity: "o365.contoso.com", DomainType: "InternalRelay" }))) as ExchangeError).notFound, true);
    await invoke("New-MailUser", { Name: "lee", MicrosoftOnlineServicesID: "lee@contoso.com", Password: "Sandbox-Passw0rd!", ExternalEmailAddress: "lee@contoso.com" });
    const address = { Identity: "lee@contoso.com", EmailAddresses: addRemove({ add: "smtp:lee@o365.contoso.com" }) };
    assert.match((await failure(invoke("Set-MailUser", address))).message, /isn't an accepted domain/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.ok((await invoke("Get-AcceptedDomain", {})).some((domain) => domain.DomainName === "o365.contoso.com"));
    await invoke("Set-AcceptedDomain", { Identity: "o365.contoso.com", DomainType: "InternalRelay" });
    await invoke("Set-MailUser", address);
  });
});
