import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseUsersCsv } from "../../provider/components/usersCsv";
import { controlRequest, readRuntime, resolveSeed, startSandbox, type SandboxHandle, type Seed } from "../../sandbox/index";
import { repoRoot, toolsBin } from "../../scripts/engine-env";
import { Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";

const examplesDir = path.join(repoRoot, "examples");

/** The demo tenants, with the example's CSV as the Google users. */
function seedFor(example: string): Seed {
  const users = parseUsersCsv(fs.readFileSync(path.join(examplesDir, example, "users.csv"), "utf8"), { primaryDomain: "contoso.com" });
  const base = resolveSeed({ users: 0 });
  return {
    ...base,
    google: {
      ...base.google,
      generate: undefined,
      users: [
        ...base.google.users,
        ...users.map((u) => ({ primaryEmail: u.email, givenName: u.firstName, familyName: u.lastName, department: u.department })),
      ],
    },
  };
}

interface SandboxView {
  tenants: { recipients: { recipientTypeDetails?: string; RecipientTypeDetails?: string }[]; connectors: unknown[]; transportRules: unknown[]; acceptedDomainTypes: unknown[] }[];
}

async function sandboxState(sandbox: SandboxHandle): Promise<SandboxView> {
  const response = await controlRequest(readRuntime(sandbox.dataDir)!, "GET", "/sandbox/state");
  return response.body as SandboxView;
}

async function mail(sandbox: SandboxHandle, from: string, to: string): Promise<{ kind: string; system?: string }> {
  const response = await controlRequest(readRuntime(sandbox.dataDir)!, "POST", "/sandbox/mail", { from, to });
  return (response.body as { disposition: { kind: string; system?: string } }).disposition;
}

/** Runs one example against its own sandbox: typecheck, then the given journey, then destroy. */
function exampleSuite(example: string, journey: (stack: Stack, sandbox: SandboxHandle) => Promise<void>): void {
  describe(`examples/${example}`, function () {
    this.timeout(600_000);
    let sandbox: SandboxHandle;
    let stack: Stack;
    const state = tempStateDir(`example-${example}`);

    before(async () => {
      sandbox = await startSandbox({ seed: seedFor(example) });
      stack = new Stack({ projectDir: path.join(examplesDir, example), stack: "test", stateDir: state.dir, passphrase: "example", env: sandbox.env });
      await stack.init({}, { [`${example}:mailUserPassword`]: "Example-Passw0rd!" });
    });
    after(async () => {
      await stack?.remove();
      await sandbox?.stop();
      state.cleanup();
    });

    it("typechecks", () => {
      execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(examplesDir, example, "tsconfig.json")], { stdio: "pipe" });
    });

    it("runs up against the sandbox", () => journey(stack, sandbox));

    it("destroys everything it created", async () => {
      await stack.destroy();
      assert.deepStrictEqual(await stack.resources(), []);
      const [tenant] = (await sandboxState(sandbox)).tenants;
      assert.deepStrictEqual(tenant.connectors, [], "connectors removed");
      assert.deepStrictEqual(tenant.transportRules, [], "rules removed");
    });
  });
}

describe("the examples", () => {
  before(() => assert.ok(fs.existsSync(path.join(toolsBin, "pulumi")), "the engine is installed"));

  exampleSuite("staged-migration", async (stack, sandbox) => {
    await stack.setConfig({ "staged-migration:batches": JSON.stringify({ sales: "migrated", finance: "migrating" }) });
    await stack.up();
    assert.deepStrictEqual((await mail(sandbox, "internet", "alice.adams@contoso.com")).system, "m365", "sales is migrated");
    assert.deepStrictEqual((await mail(sandbox, "internet", "carla.chen@contoso.com")).system, "google", "finance still reads Gmail");
    assert.deepStrictEqual((await mail(sandbox, "alice.adams@contoso.com", "erin.evans@contoso.com")).system, "google", "engineering is at Google");
  });

  exampleSuite("teardown-after-cutover", async (stack, sandbox) => {
    await stack.setConfig({ "teardown-after-cutover:phase": "cutover" });
    await stack.up();
    await controlRequest(readRuntime(sandbox.dataDir)!, "PUT", "/sandbox/dns/mx", { domain: "contoso.com", hosts: ["contoso-com.mail.protection.outlook.com"] });
    await stack.setConfig({ "teardown-after-cutover:phase": "decommissioned" });
    await stack.up();
    const [tenant] = (await sandboxState(sandbox)).tenants;
    assert.deepStrictEqual(tenant.connectors, [], "the connector to Google is gone");
    assert.strictEqual((await mail(sandbox, "internet", "erin.evans@contoso.com")).system, "m365");
  });

  exampleSuite("criteria-based-routing", async (stack) => {
    await stack.setConfig({ "criteria-based-routing:migratedBatches": JSON.stringify(["sales"]) });
    await stack.up();
    const outputs = await stack.outputs();
    assert.strictEqual(outputs.routedToGoogle, 3, "finance and engineering users are routed by the rule");
  });
});

describe("the GitOps example", () => {
  it("its migration project typechecks", () => {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(examplesDir, "gitops", "migration", "tsconfig.json")], { stdio: "pipe" });
  });

  it("its workflow passes actionlint", () => {
    const workflow = path.join(examplesDir, "gitops", ".github", "workflows", "coexistence.yml");
    execFileSync(path.join(toolsBin, "actionlint"), [workflow], { stdio: "pipe" });
  });
});
