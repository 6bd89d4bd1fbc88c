import * as assert from "assert";
import * as path from "path";
import { readLiveState } from "../../cli/liveState";
import { runTrace } from "../../cli/trace";
import { repoRoot } from "../../scripts/engine-env";
import { DEMO_SEED_PATH } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { SandboxStack } from "../integration/sandboxStack";
import { gmail, useSandboxEnvironment } from "../sandbox/harness";

const policyPack = path.join(repoRoot, "policy");
const demo = readSeedFile(DEMO_SEED_PATH);

async function traceAll(): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runTrace(["--all"], { out: (text) => (out += text), err: (text) => (out += text), readState: readLiveState });
  return { code, out };
}

describe("the demo's stages with the Coexistence component: the pack lets each through, coexist trace --all finds all delivered", function () {
  this.timeout(600_000);
  let sandbox: SandboxStack;

  before(async () => {
    sandbox = await SandboxStack.start("policy-coexistence", { ...demo, behaviour: { ...demo.behaviour, licenceConversionDelaySeconds: 0 } });
    useSandboxEnvironment(sandbox.sandbox);
    await sandbox.stack.setConfig({}, { mailUserPassword: "Sandbox-Passw0rd!" });
  });
  after(() => sandbox.stop());

  const stage = (batches: Record<string, string>, phase: string) => ({ batches: JSON.stringify(batches), phase });
  const moveMxToMicrosoft = () => sandbox.control("PUT", "/sandbox/dns/mx", { domain: "contoso.com", hosts: ["contoso-com.mail.protection.outlook.com"] });
  const nothingByHand = async () => undefined;

  async function applyStage(config: Record<string, string>, byHand: () => Promise<unknown>): Promise<void> {
    await sandbox.stack.setConfig(config);
    const preview = await sandbox.stack.run(["preview", "--policy-pack", policyPack], true);
    assert.strictEqual(preview.code, 0, preview.stdout + preview.stderr);
    assert.doesNotMatch(preview.stdout, /\[(mandatory|advisory)\]/, preview.stdout);
    await sandbox.stack.up(["--policy-pack", policyPack]);
    await byHand();
    const { code, out } = await traceAll();
    assert.strictEqual(code, 0, out);
    assert.match(out, /: all delivered$/m);
  }

  const untilCutover: [string, Record<string, string>, () => Promise<unknown>][] = [
    ["coexistence, nobody migrated", stage({}, "coexistence"), nothingByHand],
    ["pilot batch migrating", stage({ pilot: "migrating" }, "coexistence"), nothingByHand],
    ["pilot batch migrated", stage({ pilot: "migrated" }, "coexistence"), nothingByHand],
    ["cutover: the MX moves to Microsoft 365 while sales are still at Google", stage({ pilot: "migrated" }, "cutover"), moveMxToMicrosoft],
  ];
  for (const [name, config, byHand] of untilCutover) {
    it(`${name}: preview with the pack passes, up applies it, every route delivers`, () => applyStage(config, byHand));
  }

  it("after forwarding is switched on by hand for a user without a mailbox, trace --all reports that user's loop and exits 1", async () => {
    const chloe = gmail(sandbox.sandbox, "chloe.adams@contoso.com");
    await chloe.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "chloe.adams@o365.contoso.com" } });
    await chloe.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "chloe.adams@o365.contoso.com", disposition: "trash" } });
    const { code, out } = await traceAll();
    assert.strictEqual(code, 1, out);
    assert.match(out, /^chloe\.adams@contoso\.com\s+LOOP 554 5\.4\.14/m);
    assert.match(out, /^ben\.adams@contoso\.com\s+delivered \(Microsoft 365\)/m);
    assert.match(out, /Fix: license chloe\.adams@contoso\.com/);
    // Undo the change by hand, so the journey goes on from a working state.
    await chloe.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: false } });
  });

  const afterRepair: [string, Record<string, string>][] = [
    ["sales batch migrating", stage({ pilot: "migrated", sales: "migrating" }, "cutover")],
    ["sales batch migrated: nobody left at Google, the domain back to Authoritative", stage({ pilot: "migrated", sales: "migrated" }, "cutover")],
    ["decommissioned: the coexistence objects removed", stage({ pilot: "migrated", sales: "migrated" }, "decommissioned")],
  ];
  for (const [name, config] of afterRepair) {
    it(`${name}: preview with the pack passes, up applies it, every route delivers`, () => applyStage(config, nothingByHand));
  }
});
