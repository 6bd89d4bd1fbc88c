import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseUsersCsv } from "../../provider/components/usersCsv";
import { controlRequest, readRuntime, resolveSeed, startSandbox, type SandboxHandle, type Seed } from "pulumi-mail-coexistence-sandbox";
import { engineEnv, repoRoot, toolsBin } from "../../scripts/engine-env";
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
      await stack.init();
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

// mocha's own YAML parser (it reads .mocharc.yml files with it).
const yaml = require("js-yaml") as { load(text: string): unknown };

interface WorkflowJob {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  steps?: Array<{ name?: string; run?: string }>;
}

/** Production settings as a team commits them: a secret encrypted with a passphrase this test never gives. */
function productionSettings(extra: string): string {
  const committed = fs.readFileSync(path.join(examplesDir, "gitops", "migration", "Pulumi.production.yaml"), "utf8");
  const secrets =
    "  staged-migration:mailUserPassword:\n    secure: v1:Uzq89aNqHRPEVJMv:jj2eEtBsUxYuTzaUp8RLTJBOwlDS4dI=\n" +
    "  coexist:tenantId: 11111111-1111-1111-1111-111111111111\n";
  return `${committed.replace(/^config:\n/m, `config:\n${secrets}${extra}`)}encryptionsalt: v1:DKkWTEVilP4=:v1:KzRAa/5NKtdPjZlc:FrsM3CTIEfBBZAx7bWrGNi+KCnD9rQ==\n`;
}

describe("the GitOps example", function () {
  this.timeout(300_000);
  const gitops = path.join(examplesDir, "gitops");
  const workflowPath = path.join(gitops, ".github", "workflows", "coexistence.yml");

  it("its migration project typechecks", () => {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(gitops, "migration", "tsconfig.json")], { stdio: "pipe" });
  });

  it("its workflow passes actionlint", () => {
    execFileSync(path.join(toolsBin, "actionlint"), [workflowPath], { stdio: "pipe" });
  });

  it("its workflow keeps the tenants' credentials and the OIDC token in the production and read-only snapshot jobs, which run main's code only", () => {
    const workflow = yaml.load(fs.readFileSync(workflowPath, "utf8")) as { on: Record<string, unknown>; permissions: unknown; env?: unknown; jobs: Record<string, WorkflowJob> };
    assert.ok(!("pull_request_target" in workflow.on), "no job runs a pull request's code with the base repository's secrets");
    assert.deepStrictEqual(workflow.permissions, { contents: "read" });
    assert.ok(!JSON.stringify(workflow.env ?? {}).includes("secrets."), "no secret in the workflow-wide env");
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const environment = typeof job.environment === "object" ? job.environment.name : job.environment;
      if (environment === "production" || environment === "tenant-read") {
        assert.match(job.if ?? "", /github\.ref == 'refs\/heads\/main'/, `${name} runs on main only`);
        assert.doesNotMatch(job.if ?? "", /pull_request/, `${name} never runs for a pull request`);
      } else {
        assert.ok(!job.permissions?.["id-token"], `${name}: no OIDC token`);
        assert.ok(!JSON.stringify(job).includes("secrets."), `${name} uses no secret`);
        if (/pull_request/.test(job.if ?? "")) assert.deepStrictEqual(job.permissions, { contents: "read" }, `${name}: a pull request's code gets read-only access`);
      }
    }
    const planJobs = Object.values(workflow.jobs).filter((job) => /pull_request/.test(job.if ?? ""));
    assert.strictEqual(planJobs.length, 1, "one job plans pull requests");
    const writers = Object.entries(workflow.jobs).filter(([, job]) => Object.entries(job.permissions ?? {}).some(([scope, access]) => access === "write" && scope !== "id-token"));
    for (const [name, job] of writers) assert.ok(job.needs === "snapshot", `${name} writes to the repository only after the main-only snapshot job`);
  });

  it("its pull-request job rehearses on the committed snapshot, and a workflow of the default branch posts the report on the pull request that run built", () => {
    const workflow = yaml.load(fs.readFileSync(workflowPath, "utf8")) as { jobs: Record<string, WorkflowJob> };
    const runs = (workflow.jobs["sandbox-plan"].steps ?? []).map((step) => step.run ?? "").join("\n");
    assert.match(runs, /npx coexist rehearse --seed \.\.\/snapshot\/snapshot\.json .*--markdown/);
    assert.ok(fs.existsSync(path.join(gitops, "snapshot", "snapshot.json")), "the snapshot is committed");
    const comment = yaml.load(fs.readFileSync(path.join(gitops, ".github", "workflows", "rehearsal-comment.yml"), "utf8")) as { on: Record<string, unknown> };
    assert.deepStrictEqual(Object.keys(comment.on), ["workflow_run"]);
    // The report's pull-request number comes from the pull request's own run: checked against the head that run built.
    assert.match(fs.readFileSync(path.join(gitops, ".github", "workflows", "rehearsal-comment.yml"), "utf8"), /--json headRefOid[\s\S]*"\$head" = "\$HEAD_SHA"/);
    execFileSync(path.join(toolsBin, "actionlint"), [path.join(gitops, ".github", "workflows", "rehearsal-comment.yml")], { stdio: "pipe" });
  });

  it("its deploy job runs coexist doctor before the plan and the apply, so a missing grant stops it before anything changes", () => {
    const workflow = yaml.load(fs.readFileSync(workflowPath, "utf8")) as { jobs: Record<string, WorkflowJob> };
    const runs = (workflow.jobs.deploy.steps ?? []).map((step) => step.run ?? "");
    const doctor = runs.findIndex((run) => /npx coexist doctor /.test(run));
    const plan = runs.findIndex((run) => /pulumi preview /.test(run));
    const apply = runs.findIndex((run) => /pulumi up /.test(run));
    assert.ok(doctor >= 0 && doctor < plan && plan < apply, `doctor ${doctor}, preview ${plan}, up ${apply}`);
  });

  describe("its pull-request plan (ci/sandbox-plan.sh)", () => {
    const files = tempStateDir("gitops-plan");
    let runs = 0;
    after(() => files.cleanup());

    /** Runs the script as the pull-request job does: no passphrase, backend or tenant setting given. */
    function sandboxPlan(settings: string): Promise<{ code: number; output: string }> {
      const settingsFile = path.join(files.dir, `Pulumi.settings-${++runs}.yaml`);
      fs.writeFileSync(settingsFile, settings);
      const env = engineEnv({ stateDir: path.join(files.dir, "home"), passphrase: "unused" });
      for (const name of Object.keys(env)) if (name.startsWith("COEXIST_") || name === "PULUMI_BACKEND_URL" || name === "PULUMI_CONFIG_PASSPHRASE") delete env[name];
      return new Promise((resolve) => {
        execFile("bash", [path.join(gitops, "ci", "sandbox-plan.sh"), settingsFile], { cwd: path.join(gitops, "migration"), env, timeout: 240_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr }),
        );
      });
    }

    it("previews every user of users.csv with the policy pack in a throwaway sandbox, without production's passphrase or backend", async () => {
      const { code, output } = await sandboxPlan(productionSettings(""));
      assert.strictEqual(code, 0, output);
      const users = parseUsersCsv(fs.readFileSync(path.join(gitops, "migration", "users.csv"), "utf8"), { primaryDomain: "contoso.com" });
      const planned = [...output.matchAll(/MailUser::mail-user-([^\]\s]+)\]/g)].map((match) => match[1]).sort();
      assert.deepStrictEqual(planned, users.map((user) => user.email).sort());
      assert.match(output, /Policy Packs run:[\s\S]*mail-flow-safety/);
      assert.ok(!fs.existsSync(path.join(gitops, "migration", "Pulumi.sandbox-plan.yaml")), "the throwaway stack leaves no file behind");
    });

    it("fails on settings the component refuses, and says why", async () => {
      const { code, output } = await sandboxPlan(productionSettings("  staged-migration:phase: decommissioned\n"));
      assert.notStrictEqual(code, 0);
      assert.match(output, /the plan is not safe:\n- phase decommissioned removes the connector to Google/);
    });
  });
});
