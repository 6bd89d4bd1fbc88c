/**
 * `coexist doctor` against one strict sandbox, reseeded between cases through the control API: the demo
 * tenant passes every row; each seed that lacks one grant, an undelegated Google scope, the admin
 * setting that forbids forwarding and too few seats are each found and named by their row with
 * the fix. The command runs as a child process, as an admin runs it (a fresh process gets fresh
 * tokens, whose claims the sandbox fixes when it issues them).
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEMO_SEED_PATH, PERMISSION_GAPS, controlRequest, seedLacking, startSandbox, type PermissionGap, type SandboxHandle, type Seed } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { fileBackendUrl, repoRoot, toolsBin } from "../../scripts/engine-env";
import { seedWithMovingAliasDomain } from "../../scripts/journey";
import { tempStateDir } from "../helpers/tempState";
import type { Row } from "../../cli/doctorVerdicts";

const COEXIST = path.join(repoRoot, "bin", "coexist.js");
const FIXTURE = path.join(repoRoot, "tests", "fixtures", "doctor");
const demo = readSeedFile(DEMO_SEED_PATH);
const GMAIL_SHARING = "https://www.googleapis.com/auth/gmail.settings.sharing";
const POLICY_SCOPE = "https://www.googleapis.com/auth/cloud-identity.policies.readonly";

/** The fixture CSV's batches: pilot migrating and wave1 migrated, so every resource is planned now. */
const PLAN = ["--users-csv", "users.csv", "--primary-domain", "contoso.com", "--routing-domain", "o365.contoso.com", "--license-sku", "EXCHANGESTANDARD", "--batches", '{"pilot":"migrating","wave1":"migrated"}'];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** This process's environment without our settings, so only the sandbox's (and the test's) apply. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("COEXIST_") && !key.startsWith("PULUMI_") && key !== "NODE_EXTRA_CA_CERTS"));
}

function doctor(sandbox: SandboxHandle, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [COEXIST, "doctor", ...args], { cwd: options.cwd ?? FIXTURE, env: { ...cleanEnv(), ...sandbox.env, ...options.env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      if (code === -1) return reject(error);
      resolve({ code, stdout, stderr });
    });
  });
}

async function doctorJson(sandbox: SandboxHandle, args: string[] = PLAN): Promise<{ code: number; rows: Row[] }> {
  const outcome = await doctor(sandbox, [...args, "--json"]);
  try {
    return { code: outcome.code, rows: JSON.parse(outcome.stdout) as Row[] };
  } catch {
    throw new Error(`coexist doctor printed no JSON (exit ${outcome.code}): ${outcome.stdout}${outcome.stderr}`);
  }
}

function rowOf(rows: Row[], id: string): Row {
  const found = rows.find((entry) => entry.id === id);
  assert.ok(found, `no row ${id} among ${rows.map((entry) => entry.id).join(", ")}`);
  return found;
}

const GRANT_ROW = /^(graph-permission|exchange-permission|directory-role|google-scope):/;

function gapRowId(gap: PermissionGap): string {
  const lacks = gap.lacks;
  if ("graphPermission" in lacks) return `graph-permission:${lacks.graphPermission}`;
  if ("exchangePermission" in lacks) return `exchange-permission:${lacks.exchangePermission}`;
  return `directory-role:${lacks.directoryRole}`;
}

function gapGrant(gap: PermissionGap): string {
  const lacks = gap.lacks;
  return "graphPermission" in lacks ? lacks.graphPermission : "exchangePermission" in lacks ? lacks.exchangePermission : lacks.directoryRole;
}

describe("coexist doctor against the sandbox", function () {
  this.timeout(300_000);
  let sandbox: SandboxHandle;
  const started = Date.now();

  before(async () => {
    sandbox = await startSandbox({});
  });
  after(async () => {
    await sandbox?.stop();
    process.stdout.write(`      (coexist doctor suite: ${((Date.now() - started) / 1000).toFixed(1)} s wall time, one sandbox)\n`);
  });

  /** Loads `seed` as the strict sandbox (lag, every Exchange error shape) the real services resemble. */
  async function reseed(seed: Seed): Promise<void> {
    const response = await controlRequest(sandbox, "POST", "/sandbox/reset", { seed: { ...seed, behaviour: { ...seed.behaviour, strict: true } } });
    assert.strictEqual(response.status, 200, JSON.stringify(response.body));
  }

  describe("on the demo tenant", () => {
    let outcome: Outcome;
    let rows: Row[];
    before(async () => {
      await reseed(demo);
      outcome = await doctor(sandbox, PLAN);
      rows = (await doctorJson(sandbox)).rows;
    });

    it("passes every row and exits 0", () => {
      assert.strictEqual(outcome.code, 0, outcome.stdout + outcome.stderr);
      assert.deepStrictEqual(
        rows.filter((entry) => entry.status !== "PASS"),
        [],
      );
      assert.match(outcome.stdout, /: 25 checks, 25 PASS, 0 WARN, 0 FAIL\n/);
    });

    it("checks every grant the planned resources need, each directory role, Exchange, the domains, the seats, each Google scope and the forwarding setting", () => {
      assert.deepStrictEqual(
        rows.map((entry) => entry.id),
        [
          "config",
          "plan",
          "microsoft:token:graph",
          "microsoft:token:exchange",
          "graph-permission:Domain.ReadWrite.All",
          "graph-permission:User.EnableDisableAccount.All",
          "graph-permission:User.Read.All",
          "graph-permission:User-PasswordProfile.ReadWrite.All",
          "graph-permission:LicenseAssignment.Read.All",
          "graph-permission:User.ReadUpdate.All",
          "graph-permission:LicenseAssignment.ReadWrite.All",
          "graph-permission:RoleManagement.Read.Directory",
          "exchange-permission:Exchange.ManageAsApp",
          "directory-role:Exchange Administrator",
          "directory-role:User Administrator",
          "exchange:answers",
          "domain:primary:graph",
          "domain:primary:exchange",
          "domain:routing",
          "licences:seats",
          "google-scope:https://www.googleapis.com/auth/admin.directory.user.readonly",
          `google-scope:${POLICY_SCOPE}`,
          "google-scope:https://www.googleapis.com/auth/gmail.settings.basic",
          `google-scope:${GMAIL_SHARING}`,
          "google:auto-forwarding",
        ],
      );
      assert.match(rowOf(rows, "licences:seats").evidence, /4 seats needed, EXCHANGESTANDARD: 60 enabled, 1 consumed, 59 free/);
      assert.match(rowOf(rows, "directory-role:User Administrator").evidence, /assigned to the app's service principal for the whole tenant, and in the token's wids/);
    });

    it("prints no secret: not the client secret, not the Google key", () => {
      const key = JSON.parse(sandbox.env.COEXIST_GOOGLE_CREDENTIALS) as { private_key: string };
      const keyLine = key.private_key.split("\n")[1];
      for (const output of [outcome.stdout, JSON.stringify(rows)]) {
        assert.ok(!output.includes(sandbox.env.COEXIST_CLIENT_SECRET), "the client secret");
        assert.ok(!output.includes(keyLine), "the Google private key");
      }
      assert.match(rowOf(rows, "config").evidence, /coexist:clientSecret \(from the environment, COEXIST_CLIENT_SECRET\)/);
    });
  });

  describe("finds each seeded gap (PERMISSION_GAPS) and names it with the fix", () => {
    for (const gap of PERMISSION_GAPS) {
      it(`${gap.name}: ${gap.breaks}`, async () => {
        await reseed(seedLacking(demo, gap.name));
        const { code, rows } = await doctorJson(sandbox);
        const grant = gapGrant(gap);
        const found = rowOf(rows, gapRowId(gap));
        const doctorOnly = grant === "RoleManagement.Read.Directory";
        assert.strictEqual(found.status, doctorOnly ? "WARN" : "FAIL", JSON.stringify(found));
        assert.strictEqual(code, doctorOnly ? 0 : 1);
        assert.match(found.evidence, new RegExp(`^${grant.replace(/\./g, "\\.")} is missing`));
        assert.ok(found.fix?.includes(grant), `the fix names ${grant}: ${found.fix}`);
        const otherGrants = rows.filter((entry) => GRANT_ROW.test(entry.id) && entry.id !== found.id && entry.status !== "PASS");
        assert.deepStrictEqual(otherGrants, [], "no other grant is reported missing");
        if ("directoryRole" in gap.lacks) assert.match(found.fix ?? "", /Entra admin center → Roles & admins → .* → Add assignments/);
        else assert.match(found.fix ?? "", new RegExp(`az ad app permission add --id ${demo.microsoft[0].apps[0].clientId} .*value=='${grant.replace(/\./g, "\\.")}'`));
        if (doctorOnly) assert.match(rowOf(rows, "directory-role:User Administrator").evidence, /^in the token's wids \(role assignments not readable: Graph GET \/roleManagement\/directory\/roleAssignments answered HTTP 403: the app lacks RoleManagement\.Read\.Directory or a higher grant\)$/);
        if (grant === "Exchange.ManageAsApp") assert.match(rowOf(rows, "exchange:answers").evidence, /HTTP 401.*insufficient_claims/);
        if (grant === "Exchange Administrator") assert.match(rowOf(rows, "exchange:answers").evidence, /HTTP 403/);
      });
    }
  });

  describe("Google", () => {
    it("a scope that is not delegated: its row fails naming the scope and the Admin console path", async () => {
      await reseed({ ...demo, google: { ...demo.google, serviceAccount: { ...demo.google.serviceAccount, scopes: demo.google.serviceAccount.scopes.filter((scope) => scope !== GMAIL_SHARING) } } });
      const { code, rows } = await doctorJson(sandbox);
      assert.strictEqual(code, 1);
      const found = rowOf(rows, `google-scope:${GMAIL_SHARING}`);
      assert.strictEqual(found.status, "FAIL");
      assert.match(found.evidence, /gmail\.settings\.sharing is missing \(the token endpoint answered unauthorized_client for ben\.adams@contoso\.com: not delegated\)/);
      assert.match(found.fix ?? "", /Security → Access and data control → API controls → Manage Domain Wide Delegation → the client ID 109876543210987654321 .* add https:\/\/www\.googleapis\.com\/auth\/gmail\.settings\.sharing/);
      assert.strictEqual(rowOf(rows, "google-scope:https://www.googleapis.com/auth/gmail.settings.basic").status, "PASS", "the other scopes are tried alone");
    });

    it("without the Policy API scope the forwarding setting is reported unread, with how to grant it", async () => {
      await reseed({ ...demo, google: { ...demo.google, serviceAccount: { ...demo.google.serviceAccount, scopes: demo.google.serviceAccount.scopes.filter((scope) => scope !== POLICY_SCOPE) } } });
      const { rows } = await doctorJson(sandbox);
      const forwarding = rowOf(rows, "google:auto-forwarding");
      assert.strictEqual(forwarding.status, "FAIL", "a migrated batch is planned, so an unknown setting is not a pass");
      assert.match(forwarding.evidence, /could not be read, so whether Gmail may forward is unknown: .*unauthorized_client/);
      assert.match(forwarding.fix ?? "", /Manage Domain Wide Delegation .* add https:\/\/www\.googleapis\.com\/auth\/cloud-identity\.policies\.readonly/);
      assert.strictEqual(rowOf(rows, `google-scope:${POLICY_SCOPE}`).status, "WARN", "only coexist doctor needs the scope itself");
    });

    it("automatic forwarding forbidden by the admin: the forwarding row fails with the Admin console path", async () => {
      await reseed(demo);
      assert.strictEqual((await controlRequest(sandbox, "PUT", "/sandbox/google/policy", { autoForwardingAllowed: false })).status, 200);
      const { code, rows } = await doctorJson(sandbox);
      assert.strictEqual(code, 1);
      const forwarding = rowOf(rows, "google:auto-forwarding");
      assert.strictEqual(forwarding.status, "FAIL");
      assert.match(forwarding.evidence, /forbidden for the top-level organisational unit.*orgUnits\/\w+: forbidden \(ADMIN policy/);
      assert.match(forwarding.fix ?? "", /Apps → Google Workspace → Gmail → End User Access → Automatic forwarding/);
    });

    it("forbidden forwarding only warns while no batch is migrated yet", async () => {
      const { code, rows } = await doctorJson(sandbox, [...PLAN.slice(0, -1), '{"pilot":"migrating"}']);
      assert.strictEqual(rowOf(rows, "google:auto-forwarding").status, "WARN");
      assert.strictEqual(code, 0, JSON.stringify(rows.filter((entry) => entry.status === "FAIL")));
    });
  });

  it("--alias-domains: an alias domain not verified in Microsoft 365 fails with the admin center's path; verified with Email, it passes", async () => {
    await reseed(demo);
    const before = await doctorJson(sandbox, [...PLAN, "--alias-domains", "contoso.net"]);
    assert.strictEqual(before.code, 1);
    const missing = rowOf(before.rows, "domain:alias:contoso.net:graph");
    assert.deepStrictEqual([missing.status, missing.check, missing.evidence], ["FAIL", "Alias domain contoso.net verified with Email (Graph)", "Graph has no domain contoso.net in this tenant"]);
    assert.match(missing.fix ?? "", /Settings → Domains → Add domain → contoso\.net: verify it with the TXT record shown and choose Exchange \(Email\)/);
    assert.strictEqual(rowOf(before.rows, "domain:alias:contoso.net:exchange").status, "FAIL");
    await reseed(seedWithMovingAliasDomain());
    const after = await doctorJson(sandbox, [...PLAN, "--alias-domains", "contoso.net"]);
    assert.deepStrictEqual([rowOf(after.rows, "domain:alias:contoso.net:graph").status, rowOf(after.rows, "domain:alias:contoso.net:exchange").status], ["PASS", "PASS"]);
    assert.strictEqual(after.code, 0);
  });

  it("too few seats for the migrating and migrated batches: the seats row fails with the shortfall", async () => {
    await reseed({ ...demo, microsoft: [{ ...demo.microsoft[0], skus: demo.microsoft[0].skus.map((sku) => (sku.skuPartNumber === "EXCHANGESTANDARD" ? { ...sku, seats: 3 } : sku)) }] });
    const { code, rows } = await doctorJson(sandbox);
    assert.strictEqual(code, 1);
    const seats = rowOf(rows, "licences:seats");
    assert.strictEqual(seats.status, "FAIL");
    assert.match(seats.evidence, /^2 seats short: pilot \(migrating\): 2 users, 2 without the licence; wave1 \(migrated\): 2 users, 2 without the licence; 4 seats needed, EXCHANGESTANDARD: 3 enabled, 1 consumed, 2 free$/);
    assert.match(seats.fix ?? "", /buy 2 more EXCHANGESTANDARD licences/);
  });

  describe("reads the stack's config as the provider does", () => {
    const state = tempStateDir("doctor-stack");
    const project = path.join(state.dir, "project");
    const pulumiEnv = { PATH: `${toolsBin}${path.delimiter}${process.env.PATH ?? ""}`, PULUMI_HOME: path.join(state.dir, "home"), PULUMI_BACKEND_URL: fileBackendUrl(state.dir), PULUMI_SKIP_UPDATE_CHECK: "true" };
    const passphrase = { PULUMI_CONFIG_PASSPHRASE: "doctor-test" };
    after(() => state.cleanup());

    before(async () => {
      await reseed(demo);
      fs.mkdirSync(project, { recursive: true });
      fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: doctor-project\nruntime: nodejs\n");
      fs.copyFileSync(path.join(FIXTURE, "users.csv"), path.join(project, "users.csv"));
      const pulumi = (args: string[]): Promise<void> =>
        new Promise((resolve, reject) => execFile("pulumi", args, { cwd: project, env: { ...cleanEnv(), ...pulumiEnv, ...passphrase } }, (error, _out, stderr) => (error ? reject(new Error(`pulumi ${args.join(" ")}: ${stderr || error.message}`)) : resolve())));
      await pulumi(["stack", "init", "production"]);
      await pulumi(["config", "set", "coexist:usersCsv", "users.csv"]);
      await pulumi(["config", "set", "coexist:primaryDomain", "contoso.com"]);
      await pulumi(["config", "set", "coexist:routingDomain", "o365.contoso.com"]);
      await pulumi(["config", "set", "coexist:licenseSku", "EXCHANGESTANDARD"]);
      await pulumi(["config", "set", "--path", "doctor-project:batches.pilot", "migrating"]);
      // Stack config wins over the environment, as in the provider: a wrong secret here must be the one used.
      await pulumi(["config", "set", "--secret", "coexist:clientSecret", "stack-secret-not-the-app's"]);
    });

    it("stack config goes before the environment, secrets included, and planning keys come from coexist: or the project's namespace", async () => {
      const outcome = await doctor(sandbox, ["--cwd", project, "--json"], { cwd: repoRoot, env: { ...pulumiEnv, ...passphrase } });
      const rows = JSON.parse(outcome.stdout) as Row[];
      assert.strictEqual(outcome.code, 1);
      assert.match(rowOf(rows, "config").evidence, /^stack config of the selected stack \(project doctor-project\), secrets decrypted\..*coexist:clientSecret \(from stack config\)/);
      assert.match(rowOf(rows, "plan").evidence, /6 users in 3 batches \(pilot: migrating, wave1: google, wave2: google\).*usersCsv from stack config coexist:usersCsv, batches from stack config doctor-project:batches/);
      const token = rowOf(rows, "microsoft:token:graph");
      assert.strictEqual(token.status, "FAIL", "the stack's wrong secret was used, not the environment's right one");
      assert.match(token.evidence, /AADSTS7000215/);
      assert.ok(!outcome.stdout.includes("stack-secret-not-the-app's"), "the secret is not printed");
    });

    it("without the passphrase: the environment's value, and a warning that says so", async () => {
      const outcome = await doctor(sandbox, ["--cwd", project, "--json"], { cwd: repoRoot, env: pulumiEnv });
      const rows = JSON.parse(outcome.stdout) as Row[];
      const config = rowOf(rows, "config");
      assert.strictEqual(config.status, "WARN");
      assert.match(config.evidence, /coexist:clientSecret could not be decrypted .* the checks used the environment's value/);
      assert.strictEqual(rowOf(rows, "microsoft:token:graph").status, "PASS");
      assert.strictEqual(outcome.code, 0, JSON.stringify(rows.filter((entry) => entry.status === "FAIL")));
    });
  });

  it("--help explains the checks; an unknown option is a usage error", async () => {
    const help = await doctor(sandbox, ["--help"]);
    assert.strictEqual(help.code, 0);
    assert.match(help.stdout, /^Usage:\n {2}coexist doctor/);
    const wrong = await doctor(sandbox, ["--colour"]);
    assert.strictEqual(wrong.code, 2);
    assert.match(wrong.stderr, /unknown option --colour/);
  });
});
