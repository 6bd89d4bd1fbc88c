import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import type { WatchReport } from "pulumi-mail-coexistence-sandbox/routingWatch";
import { repoRoot } from "../../scripts/engine-env";
import { control, journeyConfig, migrationUsers, usersCsv, type GoogleUser } from "../../scripts/journey";
import { changedSteps, Stack, urnName } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";

// The staged journey through the root program, one resource operation at a time (--parallel 1),
// with the sandbox checking every user's mail routes after every write the provider makes: at no
// point between two operations may a route that worked loop or bounce. Each batch move must plan
// exactly that batch's resources.
describe("the Coexistence component orders every step safely", function () {
  this.timeout(900_000);
  const state = tempStateDir("ordering");
  let sandbox: SandboxHandle;
  let stack: Stack;
  let users: GoogleUser[];
  let first: string;

  const setBatches = (batches: Record<string, string>) => stack.setConfig({ "coexist:batches": JSON.stringify(batches), "coexist:phase": "coexistence" });
  const planned = async (): Promise<string[]> =>
    changedSteps(await stack.preview())
      .filter((step) => !step.urn.includes("pulumi:pulumi:Stack"))
      .map((step) => `${step.op} ${urnName(step.urn)}`)
      .sort();
  const batchNames = (prefix: string) => users.filter((u) => u.department === first).map((u) => `${prefix}-${u.primaryEmail}`);

  before(async () => {
    sandbox = await startSandbox({ users: 9, departments: 3 });
    ({ users } = await migrationUsers(sandbox));
    first = users[0].department!;
    const csvPath = path.join(state.dir, "users.csv");
    fs.writeFileSync(csvPath, usersCsv(users));
    stack = new Stack({ projectDir: repoRoot, stack: "ordering", stateDir: state.dir, passphrase: "ordering", env: sandbox.env });
    await stack.init(journeyConfig(csvPath));
    await setBatches({});
    await stack.up(["--parallel", "1"]);
    await control(sandbox, "PUT", "/sandbox/watch", { enabled: true });
  });

  after(async () => {
    await stack?.remove();
    await sandbox?.stop();
    state.cleanup();
  });

  it("moving a batch to migrating plans exactly its licences, and allowing its users to sign in", async () => {
    await setBatches({ [first]: "migrating" });
    assert.deepStrictEqual(await planned(), [...batchNames("licence").map((n) => `create ${n}`), ...batchNames("mail-user").map((n) => `update ${n}`)].sort());
    await stack.up(["--parallel", "1"]);
  });

  it("moving it to migrated plans exactly its forwarding routes", async () => {
    await setBatches({ [first]: "migrated" });
    assert.deepStrictEqual(await planned(), batchNames("forward").map((n) => `create ${n}`).sort());
    await stack.up(["--parallel", "1"]);
  });

  it("a rollback to migrating plans exactly the removal of its forwarding", async () => {
    await setBatches({ [first]: "migrating" });
    assert.deepStrictEqual(await planned(), batchNames("forward").map((n) => `delete ${n}`).sort());
    await stack.up(["--parallel", "1"]);
  });

  it("no write of any of those updates broke a route that worked", async () => {
    const report = (await control(sandbox, "GET", "/sandbox/watch")) as WatchReport;
    assert.ok(report.checks >= 3 * 3, `the sandbox checked after every write (${report.checks} checks)`);
    assert.deepStrictEqual(report.violations, []);
  });
});
