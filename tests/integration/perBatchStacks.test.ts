import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { repoRoot } from "../../scripts/engine-env";
import { control, journeyConfig, migrationUsers, PRIMARY, usersCsv, type GoogleUser } from "../../scripts/journey";
import { plannedChanges, Stack, urnName } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";

interface SandboxTenant {
  users: { userPrincipalName: string; assignedLicenses: unknown[] }[];
  recipients: { microsoftOnlineServicesId: string; recipientTypeDetails: string }[];
  acceptedDomainTypes: { domainName: string; domainType: string }[];
  connectors: unknown[];
}

// One tenant split the way docs/benchmark.md recommends for large tenants: the root program as a
// tenant stack (coexist:scope tenant) and one stack per batch (coexist:scope batch:<name>), all over
// the same CSV and batch states, applied tenant first and destroyed tenant last.
describe("the root program as one tenant stack plus one stack per batch", function () {
  this.timeout(900_000);
  const state = tempStateDir("per-batch");
  const policyPack = path.join(repoRoot, "policy");
  let sandbox: SandboxHandle;
  let users: GoogleUser[];
  let batchA: string;
  let batchB: string;
  let tenantStack: Stack;
  let stackA: Stack;
  let stackB: Stack;

  const stacks = () => [tenantStack, stackA, stackB];
  const emailsOf = (batch: string) => users.filter((u) => u.department === batch).map((u) => u.primaryEmail).sort();
  const sandboxTenant = async () => ((await control(sandbox, "GET", "/sandbox/state")) as { tenants: SandboxTenant[] }).tenants[0];
  const planned = async (stack: Stack, extraArgs: string[] = []) => plannedChanges(await stack.preview(extraArgs));

  before(async () => {
    sandbox = await startSandbox({ users: 6, departments: 2 });
    let departments: string[];
    ({ users, departments } = await migrationUsers(sandbox));
    [batchA, batchB] = departments;
    const csvPath = path.join(state.dir, "users.csv");
    fs.writeFileSync(csvPath, usersCsv(users));
    const stackFor = async (name: string, scope: string) => {
      const stack = new Stack({ projectDir: repoRoot, stack: name, stateDir: state.dir, passphrase: "per-batch", env: sandbox.env });
      await stack.init({ ...journeyConfig(csvPath), "coexist:scope": scope }, { "coexist:mailUserPassword": "PerBatch-Passw0rd!" });
      return stack;
    };
    tenantStack = await stackFor("per-batch-tenant", "tenant");
    stackA = await stackFor("per-batch-a", `batch:${batchA}`);
    stackB = await stackFor("per-batch-b", `batch:${batchB}`);
  });

  after(async () => {
    for (const stack of [tenantStack, stackA, stackB]) await stack?.remove();
    await sandbox?.stop();
    state.cleanup();
  });

  it("sets up: the tenant stack first, then each batch stack with its own users' mail users", async () => {
    for (const stack of stacks()) await stack.up();
    const mailUsersOf = async (stack: Stack) => (await stack.resources()).filter((r) => r.type.endsWith(":MailUser")).map((r) => urnName(r.urn)).sort();
    assert.deepStrictEqual(await mailUsersOf(tenantStack), []);
    assert.deepStrictEqual(await mailUsersOf(stackA), emailsOf(batchA).map((email) => `mail-user-${email}`));
    assert.deepStrictEqual(await mailUsersOf(stackB), emailsOf(batchB).map((email) => `mail-user-${email}`));
    const tenant = await sandboxTenant();
    assert.deepStrictEqual(tenant.acceptedDomainTypes.find((d) => d.domainName === PRIMARY)?.domainType, "InternalRelay");
    assert.strictEqual(tenant.connectors.length, 1);
  });

  it("moving batch A to migrating changes nothing in the tenant stack nor in batch B's, which the policy pack lets through", async () => {
    for (const stack of stacks()) await stack.setConfig({ "coexist:batches": JSON.stringify({ [batchA]: "migrating" }) });
    assert.deepStrictEqual(await planned(tenantStack, ["--policy-pack", policyPack]), []);
    assert.deepStrictEqual(await planned(stackB, ["--policy-pack", policyPack]), []);
  });

  it("up of batch A's stack licenses exactly batch A's users", async () => {
    await stackA.up(["--policy-pack", policyPack]);
    const licensed = (await sandboxTenant()).users.filter((u) => u.assignedLicenses.length > 0).map((u) => u.userPrincipalName.toLowerCase()).filter((upn) => upn.endsWith(`@${PRIMARY}`)).sort();
    assert.deepStrictEqual(licensed, emailsOf(batchA));
  });

  it("destroying the batch stacks, then the tenant stack, leaves no mail user and the domain Authoritative", async () => {
    for (const stack of [stackA, stackB, tenantStack]) await stack.destroy();
    const tenant = await sandboxTenant();
    assert.deepStrictEqual(tenant.recipients.filter((r) => r.recipientTypeDetails === "MailUser").map((r) => r.microsoftOnlineServicesId), []);
    assert.deepStrictEqual(tenant.acceptedDomainTypes.find((d) => d.domainName === PRIMARY)?.domainType, "Authoritative");
    assert.deepStrictEqual(tenant.connectors, []);
  });
});
