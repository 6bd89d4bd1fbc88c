import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { invoke } from "../../provider/clients/exchange";
import { configureFromStack } from "../../provider/config";
import { parseUsersCsv } from "../../provider/components/usersCsv";
import { creationName } from "../../provider/resources/mailUserPlan";
import { creationToken, ownerMark } from "../../provider/resources/ownership";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { repoRoot } from "../../scripts/engine-env";
import { control, journeyConfig, migrationUsers, PRIMARY, ROUTING, usersCsv, type GoogleUser } from "../../scripts/journey";
import { plannedChanges, Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";
import { tenantOperations, useSandboxClients } from "./sandboxStack";

interface SandboxState {
  tenants: {
    users: { userPrincipalName: string; accountEnabled: boolean; forceChangePasswordNextSignIn?: boolean }[];
    recipients: { guid: string; name: string; displayName: string; microsoftOnlineServicesId: string; recipientTypeDetails: string; emailAddresses: string[]; /** The sandbox keeps CustomAttribute1..15 by number. */
      customAttributes?: Record<string, string> }[];
  }[];
}

const STACK = "strict-users";
const OWNER = `mail-coexistence/${STACK}`;
const MARK = ownerMark(OWNER);
const FOREIGN_PASSWORD = "Foreign-Admin-Pa55word";

// The root program with granularity batch against a strict sandbox (Entra, accepted-domain and
// mailbox lag, per-call permissions and roles, mixed Exchange error shapes), one stack walked
// through the migration: what issue 15 asks of mail users' credentials and ownership, and issue
// 14 of real-tenant lag and departed Google users, end to end through the engine.
describe("mail users through the engine against a strict sandbox: credentials, ownership, moves, departed users", function () {
  this.timeout(1_800_000);
  const state = tempStateDir(STACK);
  const csvPath = path.join(state.dir, "users.csv");
  /** Everything the engine printed, to be searched for passwords. */
  const engineOutput: string[] = [];
  let sandbox: SandboxHandle;
  let stack: Stack;
  let all: GoogleUser[];
  let csv: GoogleUser[];
  let batches: string[];
  /** The user a foreign admin made before the stack existed, and the one an interrupted create left. */
  let foreign: GoogleUser;
  let leftover: GoogleUser;
  /** A Google user who joins a batch that is already migrating. */
  let latecomer: GoogleUser;
  /** Every initial password the stack output showed. */
  const passwords = new Set<string>();

  const run = async (args: string[], allowFailure = false): Promise<string> => {
    const { code, stdout, stderr } = await stack.run(args, allowFailure);
    engineOutput.push(stdout, stderr);
    return `${stdout}\n${stderr}\nexit ${code}`;
  };
  const up = (allowFailure = false): Promise<string> => run(["up", "--yes", "--skip-preview"], allowFailure);
  const sandboxState = async (): Promise<SandboxState["tenants"][0]> => ((await control(sandbox, "GET", "/sandbox/state")) as SandboxState).tenants[0];
  const recipientOf = async (email: string) => (await sandboxState()).recipients.find((r) => r.microsoftOnlineServicesId.toLowerCase() === email);
  const signIn = async (emails: string[]): Promise<boolean[]> => {
    const users = (await sandboxState()).users;
    return emails.map((email) => users.find((u) => u.userPrincipalName.toLowerCase() === email)!.accountEnabled);
  };
  /** A second preview plans nothing (its output, with the sets' notes, is in the message otherwise). */
  const noChanges = async (): Promise<void> => {
    const preview = await stack.preview();
    assert.deepStrictEqual(plannedChanges(preview), [], JSON.stringify(preview.diagnostics ?? preview).slice(0, 3000));
  };
  const emails = (users: GoogleUser[]): string[] => users.map((u) => u.primaryEmail).sort();
  const inBatch = (batch: string): GoogleUser[] => csv.filter((u) => u.department === batch);
  const writeCsv = (): void => fs.writeFileSync(csvPath, usersCsv(csv));
  const setBatches = (states: Record<string, string>, phase = "coexistence") => stack.setConfig({ "coexist:batches": JSON.stringify(states), "coexist:phase": phase });
  const moveTo = (user: GoogleUser, batch: string): void => {
    csv = csv.map((u) => (u.primaryEmail === user.primaryEmail ? { ...u, department: batch } : u));
  };
  const initialPasswords = async (): Promise<Record<string, string>> => {
    const shown = ((await stack.outputs()).initialPasswords ?? {}) as Record<string, string>;
    for (const password of Object.values(shown)) passwords.add(password);
    return shown;
  };

  before(async () => {
    sandbox = await startSandbox({ strict: true, users: 10, departments: 3 });
    ({ users: all, departments: batches } = await migrationUsers(sandbox));
    latecomer = all.filter((u) => u.department === batches[0]).at(-1)!;
    csv = all.filter((u) => u !== latecomer);
    foreign = inBatch(batches[1])[0];
    leftover = inBatch(batches[2])[0];
    writeCsv();
    stack = new Stack({ projectDir: repoRoot, stack: STACK, stateDir: state.dir, passphrase: STACK, env: sandbox.env });
    await stack.init({ ...journeyConfig(csvPath), "coexist:granularity": "batch" });
    await setBatches({});
    useSandboxClients(sandbox);
    // A foreign admin's mail user, with something of theirs in CustomAttribute15.
    await invoke("New-MailUser", { Name: "Foreign Admin's user", ExternalEmailAddress: foreign.primaryEmail, MicrosoftOnlineServicesID: foreign.primaryEmail, Password: FOREIGN_PASSWORD });
    await invoke("Set-MailUser", { Identity: foreign.primaryEmail, CustomAttribute15: "HR-42" });
    // What a run killed between New-MailUser and the Set-MailUser that marks it leaves: this stack's token in the name.
    const planned = parseUsersCsv(usersCsv([leftover]), { primaryDomain: PRIMARY })[0];
    await invoke("New-MailUser", {
      Name: creationName(planned.displayName, creationToken(OWNER, leftover.primaryEmail)),
      Alias: planned.alias,
      DisplayName: planned.displayName,
      ExternalEmailAddress: leftover.primaryEmail,
      MicrosoftOnlineServicesID: leftover.primaryEmail,
      Password: "Lost-With-The-Run-Pa55word",
      ResetPasswordOnNextLogon: true,
    });
  });

  after(async () => {
    configureFromStack({ get: () => undefined });
    await stack?.remove();
    await sandbox?.stop();
    state.cleanup();
  });

  it("set-up without adopt: the foreign mail user is neither taken over nor changed, and the up says how to adopt it", async () => {
    const output = await up(true);
    assert.match(output, /exit [1-9]/);
    assert.match(output, new RegExp(`${foreign.primaryEmail.replace(/\./g, "\\.")} \\(MailUser Foreign Admin's user\\) already exists and was not created by this stack; it is left as it is\\. Set adopt: true`));
    const untouched = (await recipientOf(foreign.primaryEmail))!;
    assert.deepStrictEqual([untouched.name, untouched.customAttributes?.["15"], untouched.emailAddresses], ["Foreign Admin's user", "HR-42", [`SMTP:${foreign.primaryEmail}`]]);
    assert.deepStrictEqual(await signIn([foreign.primaryEmail]), [true], "its sign-in is left as it was");
  });

  it("recovers what an interrupted create left silently: one object, named, marked, with its routing address, sign-in blocked", async () => {
    const recovered = (await sandboxState()).recipients.filter((r) => r.microsoftOnlineServicesId.toLowerCase() === leftover.primaryEmail);
    assert.strictEqual(recovered.length, 1);
    assert.strictEqual(recovered[0].customAttributes?.["15"], MARK);
    assert.ok(!recovered[0].name.includes("[creating"), recovered[0].name);
    assert.ok(recovered[0].emailAddresses.includes(`smtp:${leftover.primaryEmail.split("@")[0]}@${ROUTING}`));
    assert.deepStrictEqual(await signIn([leftover.primaryEmail]), [false]);
  });

  it("destroy without adopt removes what the stack created and leaves the foreign mail user as it was", async () => {
    const foreignBefore = (await recipientOf(foreign.primaryEmail))!;
    await control(sandbox, "POST", "/sandbox/stats/reset");
    await run(["destroy", "--yes", "--skip-preview"]);
    assert.ok((await tenantOperations(sandbox)).includes("exchange Remove-MailUser"), "the destroy removed the stack's own mail users");
    assert.strictEqual(await recipientOf(leftover.primaryEmail), undefined, "the recovered mail user was the stack's, and is gone");
    assert.deepStrictEqual(await recipientOf(foreign.primaryEmail), foreignBefore, "the foreign mail user is neither deleted nor changed");
    assert.deepStrictEqual(await signIn([foreign.primaryEmail]), [true]);
  });

  it("with adopt: every mail user exists, none can sign in, each must change its own password, and no two share one", async () => {
    await stack.setConfig({ "coexist:adopt": "true" });
    await up();
    const adopted = (await recipientOf(foreign.primaryEmail))!;
    assert.strictEqual(adopted.customAttributes?.["15"], `${MARK} [adopted] HR-42`);
    assert.deepStrictEqual(await signIn(emails(csv)), emails(csv).map(() => false));
    const users = (await sandboxState()).users.filter((u) => emails(csv).includes(u.userPrincipalName.toLowerCase()));
    assert.ok(users.every((u) => u.forceChangePasswordNextSignIn === true), "changed at the first sign-in");
    const passwords = await initialPasswords();
    assert.deepStrictEqual(Object.keys(passwords).sort(), emails(csv));
    assert.strictEqual(new Set(Object.values(passwords)).size, csv.length);
    await noChanges();
  });

  it("a batch migrating: exactly its users may sign in, and become mailboxes", async () => {
    await setBatches({ [batches[0]]: "migrating" });
    await up();
    const first = emails(inBatch(batches[0]));
    const others = emails(csv).filter((email) => !first.includes(email));
    assert.deepStrictEqual(await signIn(first), first.map(() => true));
    assert.deepStrictEqual(await signIn(others), others.map(() => false));
    for (const email of first) assert.strictEqual((await recipientOf(email))?.recipientTypeDetails, "UserMailbox", email);
  });

  it("a user joining a batch that is already migrating is created, waited for in Graph, licensed and may sign in, in one up", async () => {
    csv = [...csv, latecomer];
    writeCsv();
    await up();
    assert.strictEqual((await recipientOf(latecomer.primaryEmail))?.recipientTypeDetails, "UserMailbox");
    assert.deepStrictEqual(await signIn([latecomer.primaryEmail]), [true]);
  });

  it("users moved between two batches, both ways in one up, stay the same objects: nothing removed, nothing created", async () => {
    const [b, c] = [inBatch(batches[1]).find((u) => u !== foreign)!, inBatch(batches[2]).find((u) => u !== leftover)!];
    const before = [(await recipientOf(b.primaryEmail))!.guid, (await recipientOf(c.primaryEmail))!.guid];
    moveTo(b, batches[2]);
    moveTo(c, batches[1]);
    writeCsv();
    const recipients = (await sandboxState()).recipients.length;
    await control(sandbox, "POST", "/sandbox/stats/reset");
    const output = await up();
    assert.ok(!(await tenantOperations(sandbox)).includes("exchange Remove-MailUser"), "nothing removed");
    assert.strictEqual((await sandboxState()).recipients.length, recipients, "nothing created (New-MailUser is refused: the object exists)");
    assert.deepStrictEqual([(await recipientOf(b.primaryEmail))?.guid, (await recipientOf(c.primaryEmail))?.guid], before);
    assert.match(output, /handed over as it is, nothing removed/);
    await noChanges();
  });

  it("a batch emptied into another: its set goes, every user stays", async () => {
    for (const user of inBatch(batches[2])) moveTo(user, batches[1]);
    writeCsv();
    await setBatches({ [batches[0]]: "migrating" });
    await control(sandbox, "POST", "/sandbox/stats/reset");
    const output = await up();
    assert.match(output, new RegExp(`mail-users-${batches[2]}\\s+deleted`));
    assert.ok(!(await tenantOperations(sandbox)).includes("exchange Remove-MailUser"));
    for (const email of emails(csv)) assert.ok(await recipientOf(email), email);
    await noChanges();
  });

  it("every batch migrated, then one user suspended and one deleted in Google: decommission succeeds, names both, restores the adopted user, removes every routing address", async () => {
    await setBatches({ [batches[0]]: "migrated", [batches[1]]: "migrated" });
    await up();
    await initialPasswords();
    assert.deepStrictEqual(await signIn(emails(csv)), emails(csv).map(() => true), "every user may sign in once their batch migrated");
    const [suspended, deleted] = inBatch(batches[0]);
    await control(sandbox, "PUT", `/sandbox/google/users/${suspended.primaryEmail}`, { status: "suspended" });
    await control(sandbox, "PUT", `/sandbox/google/users/${deleted.primaryEmail}`, { status: "deleted" });
    await setBatches({ [batches[0]]: "migrated", [batches[1]]: "migrated" }, "decommissioned");
    const output = await up();
    for (const [user, departure] of [[suspended, "suspended"], [deleted, "deleted"]] as const) {
      assert.match(output, new RegExp(`${user.primaryEmail.replace(/\./g, "\\.")} is ${departure} in Google Workspace`), user.primaryEmail);
    }
    const tenant = await sandboxState();
    assert.deepStrictEqual(tenant.recipients.filter((r) => r.emailAddresses.some((a) => a.toLowerCase().endsWith(`@${ROUTING}`))).map((r) => r.name), []);
    const restored = (await recipientOf(foreign.primaryEmail))!;
    assert.deepStrictEqual([restored.name, restored.customAttributes?.["15"], restored.recipientTypeDetails], ["Foreign Admin's user", "HR-42", "UserMailbox"]);
    assert.ok(emails(csv).every((email) => tenant.recipients.some((r) => r.microsoftOnlineServicesId.toLowerCase() === email)), "every mailbox stays");
  });

  it("no password was ever in the state files, the engine's output or the sandbox's files", async () => {
    assert.ok(passwords.size >= csv.length, `${passwords.size} passwords shown by the stack output`);
    const files = (dir: string): string[] =>
      fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((file) => path.join(dir, file))
        .filter((file) => fs.statSync(file).isFile());
    const texts = [...files(state.dir).filter((file) => !file.endsWith("users.csv")), ...files(sandbox.dataDir)].map((file) => [file, fs.readFileSync(file).toString("latin1")] as const);
    for (const password of passwords) {
      for (const [file, text] of texts) assert.ok(!text.includes(password), `a password in ${file}`);
      assert.ok(!engineOutput.join("\n").includes(password), "a password in the engine's output");
    }
  });
});
