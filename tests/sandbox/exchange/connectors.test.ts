import assert from "node:assert/strict";
import { invoke } from "../../../provider/clients/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { startTestSandbox, useSandboxEnvironment } from "../harness";

describe("sandbox Validate-OutboundConnector with connectorValidationOutput: unreadable", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;

  before(async () => {
    const demo = readSeedFile(DEMO_SEED_PATH);
    sandbox = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, connectorValidationOutput: "unreadable" } } });
    restoreEnvironment = useSandboxEnvironment(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("answers with an object that says neither success nor failure, and leaves the connector unvalidated", async () => {
    await invoke("New-OutboundConnector", { Name: "ToGoogle", SmartHosts: ["smtp.google.com"], UseMXRecord: false, RecipientDomains: ["contoso.com"] });
    const output = await invoke("Validate-OutboundConnector", { Identity: "ToGoogle", Recipients: ["ada.adams@contoso.com"] });
    assert.deepEqual(output, [{ Result: "Completed" }]);
    assert.equal((await invoke("Get-OutboundConnector", { Identity: "ToGoogle" }))[0].IsValidated, false);
  });
});
