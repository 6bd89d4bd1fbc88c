import * as assert from "assert";
import * as path from "path";
import { runInventory } from "../../cli/inventory";
import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { repoRoot } from "../../scripts/engine-env";
import { GOOGLE_ALIAS_DOMAIN, journeyConfig, migrationUsers, MOVING_ALIAS_DOMAIN } from "../../scripts/journey";
import { changedSteps, Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";
import { startTestSandbox, useSandboxEnvironment } from "../sandbox/harness";

// The files `coexist inventory` writes are the root program's input as they are: the admin edits
// batches and plans, never the format.
describe("coexist inventory's files drive the root program unchanged", function () {
  this.timeout(600_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;
  let stack: Stack;
  let cleanup: () => void;
  let dir: string;

  before(async () => {
    const state = tempStateDir("inventory-program");
    cleanup = state.cleanup;
    dir = path.join(state.dir, "inventory");
    sandbox = await startTestSandbox({ users: 6, departments: 2 });
    restoreEnvironment = useSandboxEnvironment(sandbox);
    const code = await runInventory(["--out", dir], { out: () => undefined, err: () => undefined });
    assert.strictEqual(code, 0);
    stack = new Stack({ projectDir: repoRoot, stack: "inventory-program", stateDir: state.dir, passphrase: "inventory-program", env: sandbox.env });
    await stack.init(
      { ...journeyConfig(path.join(dir, "users.csv")), "coexist:groupsCsv": path.join(dir, "groups.csv"), "coexist:googleRoutingDomain": GOOGLE_ALIAS_DOMAIN },
      { "coexist:mailUserPassword": "Inventory-Passw0rd!" },
    );
  });
  after(async () => {
    restoreEnvironment?.();
    await stack?.remove();
    await sandbox?.stop();
    cleanup?.();
  });

  it("previews the set-up: a mail user for every Directory user, with the aliases and alias-domain addresses the Directory lists", async () => {
    const { users } = await migrationUsers(sandbox);
    const preview = await stack.preview();
    const mailUsers = changedSteps(preview)
      .filter((step) => step.newState?.type?.endsWith(":MailUser"))
      .map((step) => [step.newState!.inputs!.externalEmailAddress, step.newState!.inputs!.aliases ?? []]);
    // The sandbox's Directory lists a user's primary address on each alias domain as a non-editable alias.
    const expected = users.map((user) => {
      const local = user.primaryEmail.split("@")[0];
      return [user.primaryEmail, [...[...(user.aliases ?? [])].sort(), `${local}@${MOVING_ALIAS_DOMAIN}`, `${local}@${GOOGLE_ALIAS_DOMAIN}`]];
    });
    assert.deepStrictEqual(mailUsers.sort(), expected.sort());
  });

  it("the groups the admin has not planned yet are refused at cutover, each named", async () => {
    const { departments } = await migrationUsers(sandbox);
    await stack.setConfig({ "coexist:phase": "cutover", "coexist:batches": JSON.stringify(Object.fromEntries(departments.map((d) => [d, "migrated"]))) });
    const result = await stack.run(["preview"], true);
    assert.notStrictEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /phase cutover: group\(s\) eng-leads@contoso\.com, launch@contoso\.com, support@contoso\.com have no plan in the groups CSV/);
  });
});
