import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { repoRoot } from "../../scripts/engine-env";
import { control, journeyConfig, migrationUsers, usersCsv, type GoogleUser } from "../../scripts/journey";
import { plannedChanges, Stack, urnName, type CommandResult } from "../../scripts/stack";
import { startPostgres, type PostgresServer } from "../helpers/postgres";
import { tempStateDir } from "../helpers/tempState";

const LOCK_WAIT_MS = 60_000;
/** Exchange answers slowly while two `up`s race, so the first still holds the lock when the second asks for it. */
const RACE_FAULTS = { apis: { exchange: { latencyMs: 1500 } } };
const LOCKED = /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./;

// A team's state on a real PostgreSQL server through Pulumi's DIY `postgres://` backend: one
// migration split into a tenant stack and one stack per batch (coexist:scope), all in one table,
// and the stack lock that keeps two pipelines from applying at once.
describe("the postgres:// state backend shared by the stacks of one migration", function () {
  this.timeout(900_000);
  const home = tempStateDir("postgres-backend");
  let postgres: PostgresServer;
  let sandbox: SandboxHandle;
  let users: GoogleUser[];
  let departments: string[];
  const stacks: Stack[] = [];

  const lockKeys = async () => (await postgres.query("SELECT key FROM pulumi_state WHERE key LIKE '%/.pulumi/locks/%'")).split("\n").filter(Boolean);
  const stackFor = async (name: string, scope: string, csvPath: string): Promise<Stack> => {
    const stack = new Stack({
      projectDir: repoRoot,
      stack: name,
      stateDir: home.dir,
      passphrase: "postgres-backend",
      env: { ...sandbox.env, PULUMI_BACKEND_URL: postgres.backendUrl, PGPASSWORD: postgres.password },
    });
    stacks.push(stack);
    await stack.init({ ...journeyConfig(csvPath), "coexist:scope": scope }, { "coexist:mailUserPassword": "Postgres-Passw0rd!" });
    return stack;
  };

  before(async () => {
    postgres = await startPostgres();
    sandbox = await startSandbox({ users: 4, departments: 2 });
    ({ users, departments } = await migrationUsers(sandbox));
    const csvPath = path.join(home.dir, "users.csv");
    fs.writeFileSync(csvPath, usersCsv(users));
    await stackFor("pg-tenant", "tenant", csvPath);
    for (const department of departments) await stackFor(`pg-batch-${department.toLowerCase()}`, `batch:${department}`, csvPath);
  });

  after(async () => {
    for (const stack of stacks) await stack.remove();
    await sandbox?.stop();
    await postgres?.stop();
    home.cleanup();
  });

  it("two concurrent `pulumi up` of one stack: the first applies, the second is refused by the lock, and nothing is lost", async () => {
    const [tenantStack] = stacks;
    await control(sandbox, "PUT", "/sandbox/faults", RACE_FAULTS);
    let firstResult: CommandResult | undefined;
    const first = tenantStack.run(["up", "--yes", "--skip-preview"], true).then((result) => (firstResult = result));
    let second: CommandResult;
    try {
      const deadline = Date.now() + LOCK_WAIT_MS;
      while ((await lockKeys()).length === 0) {
        if (firstResult) throw new Error(`the first up ended before it was seen holding the lock:\n${firstResult.stdout}\n${firstResult.stderr}`);
        if (Date.now() > deadline) throw new Error(`the first up took no lock within ${LOCK_WAIT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      second = await tenantStack.run(["up", "--yes", "--skip-preview"], true);
    } finally {
      await first;
      await control(sandbox, "PUT", "/sandbox/faults", {});
    }
    const winner = firstResult!;

    assert.strictEqual(winner.code, 0, `the first up failed:\n${winner.stdout}\n${winner.stderr}`);
    assert.notStrictEqual(second.code, 0, "the second up ran while the first held the lock");
    assert.match(second.stdout + second.stderr, LOCKED);
    assert.deepStrictEqual(await lockKeys(), [], "no lock is left behind for the next run");
    assert.deepStrictEqual((await tenantStack.resources()).map((r) => urnName(r.urn)).sort(), ["accepted-domain", "connector", "routing-domain"]);
    assert.deepStrictEqual(plannedChanges(await tenantStack.preview()), [], "the state holds everything the first up did");
  });

  it("the per-batch stacks share the backend: each applies its own batch's mail users, and the backend lists every stack", async () => {
    const [, ...batchStacks] = stacks;
    for (const stack of batchStacks) await stack.up();
    for (const [index, stack] of batchStacks.entries()) {
      const mailUsers = (await stack.resources()).filter((r) => r.type.endsWith(":MailUser")).map((r) => urnName(r.urn)).sort();
      const batchUsers = users.filter((u) => u.department === departments[index]).map((u) => `mail-user-${u.primaryEmail}`).sort();
      assert.deepStrictEqual(mailUsers, batchUsers);
    }
    const listed = JSON.parse((await stacks[0].run(["stack", "ls", "--json"])).stdout) as { name: string; resourceCount?: number }[];
    assert.deepStrictEqual(listed.map((entry) => entry.name).sort(), stacks.map((stack) => stack.options.stack).sort());
    assert.ok(listed.every((entry) => (entry.resourceCount ?? 0) > 0), `every stack has resources: ${JSON.stringify(listed)}`);
  });
});
