import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import type { WatchReport } from "pulumi-mail-coexistence-sandbox/routingWatch";
import { repoRoot } from "../../scripts/engine-env";
import { control, journeyConfig, migrationUsers, PRIMARY, ROUTING, usersCsv, type GoogleUser } from "../../scripts/journey";
import { plannedChanges, Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";
import { tenantOperations } from "./sandboxStack";

interface SandboxState {
  tenants: {
    users: { userPrincipalName: string; assignedLicenses: unknown[] }[];
    recipients: { microsoftOnlineServicesId: string; recipientTypeDetails: string }[];
    acceptedDomainTypes: { domainName: string; domainType: string }[];
    connectors: unknown[];
  }[];
  google: { users: { primaryEmail: string; autoForwarding: { enabled: boolean; emailAddress?: string; disposition?: string } }[] };
}

/** A sandbox of 6 users in 2 batches (departments), its users CSV, and a root-program stack over it. */
class Rehearsal {
  readonly policyPack = path.join(repoRoot, "policy");
  private constructor(
    readonly sandbox: SandboxHandle,
    readonly users: GoogleUser[],
    readonly batchA: string,
    readonly batchB: string,
    readonly stack: Stack,
    private readonly cleanup: () => void,
  ) {}

  static async start(name: string, config: Record<string, string>): Promise<Rehearsal> {
    const state = tempStateDir(name);
    const sandbox = await startSandbox({ users: 6, departments: 2 });
    const { users, departments } = await migrationUsers(sandbox);
    const csvPath = path.join(state.dir, "users.csv");
    fs.writeFileSync(csvPath, usersCsv(users));
    const stack = new Stack({ projectDir: repoRoot, stack: name, stateDir: state.dir, passphrase: name, env: sandbox.env });
    await stack.init({ ...journeyConfig(csvPath), ...config });
    return new Rehearsal(sandbox, users, departments[0], departments[1], stack, state.cleanup);
  }

  async stop(): Promise<void> {
    await this.stack.remove();
    await this.sandbox.stop();
    this.cleanup();
  }

  emailsOf(batch: string): string[] {
    return this.users.filter((u) => u.department === batch).map((u) => u.primaryEmail).sort();
  }

  async sandboxState(): Promise<SandboxState> {
    return (await control(this.sandbox, "GET", "/sandbox/state")) as SandboxState;
  }

  async planned(extraArgs: string[] = []): Promise<string[]> {
    return plannedChanges(await this.stack.preview(extraArgs)).sort();
  }

  setBatches(batches: Record<string, string>): Promise<void> {
    return this.stack.setConfig({ "coexist:batches": JSON.stringify(batches) });
  }

  async mailboxes(): Promise<string[]> {
    return (await this.sandboxState()).tenants[0].recipients
      .filter((r) => r.recipientTypeDetails === "UserMailbox")
      .map((r) => r.microsoftOnlineServicesId.toLowerCase())
      .filter((upn) => upn.endsWith(`@${PRIMARY}`))
      .sort();
  }

  async forwarding(): Promise<(string | undefined)[][]> {
    return (await this.sandboxState()).google.users
      .filter((u) => u.autoForwarding.enabled)
      .map((u) => [u.primaryEmail, u.autoForwarding.emailAddress, u.autoForwarding.disposition])
      .sort();
  }
}

// The root program with coexist:granularity batch: every batch is at most three set resources
// (mail users, licences, forwarding routes), whatever its size, and moves by creating one of them.
describe("the root program with granularity batch: one set resource per batch and kind", function () {
  this.timeout(900_000);
  let r: Rehearsal;

  before(async () => {
    r = await Rehearsal.start("batch-granularity", { "coexist:granularity": "batch" });
  });
  after(() => r?.stop());

  it("previews the set-up without any API call: the tenant-wide objects and one MailUserSet per batch", async () => {
    await control(r.sandbox, "POST", "/sandbox/stats/reset");
    const expected = ["coexistence", "routing-domain", "connector", "accepted-domain", `mail-users-${r.batchA}`, `mail-users-${r.batchB}`].map((name) => `create ${name}`);
    assert.deepStrictEqual(await r.planned(), expected.sort());
    assert.deepStrictEqual(await tenantOperations(r.sandbox), []);
  });

  it("sets up, after which a preview plans nothing", async () => {
    await r.stack.up();
    assert.deepStrictEqual(await r.planned(), []);
    const tenant = (await r.sandboxState()).tenants[0];
    const mailUsers = tenant.recipients.filter((u) => u.recipientTypeDetails === "MailUser").map((u) => u.microsoftOnlineServicesId.toLowerCase()).sort();
    assert.deepStrictEqual(mailUsers, [...r.emailsOf(r.batchA), ...r.emailsOf(r.batchB)].sort());
  });

  it("batch A migrating: licences-A created and mail-users-A updated (sign-in allowed), which the policy pack lets through; up makes exactly A's users mailboxes", async () => {
    await r.setBatches({ [r.batchA]: "migrating" });
    assert.deepStrictEqual(await r.planned(["--policy-pack", r.policyPack]), [`create licences-${r.batchA}`, `update mail-users-${r.batchA}`]);
    await r.stack.up(["--policy-pack", r.policyPack]);
    assert.deepStrictEqual(await r.mailboxes(), r.emailsOf(r.batchA));
    const licensed = (await r.sandboxState()).tenants[0].users.filter((u) => u.assignedLicenses.length > 0).map((u) => u.userPrincipalName.toLowerCase()).filter((upn) => upn.endsWith(`@${PRIMARY}`)).sort();
    assert.deepStrictEqual(licensed, r.emailsOf(r.batchA));
  });

  it("batch A migrated: one create, forwards-A, which the policy pack lets through; Gmail forwards exactly A's users to their routing addresses", async () => {
    await r.setBatches({ [r.batchA]: "migrated" });
    assert.deepStrictEqual(await r.planned(["--policy-pack", r.policyPack]), [`create forwards-${r.batchA}`]);
    await r.stack.up(["--policy-pack", r.policyPack]);
    const expected = r.emailsOf(r.batchA).map((email) => [email, `${email.split("@")[0]}@${ROUTING}`, "trash"]);
    assert.deepStrictEqual(await r.forwarding(), expected);
    assert.deepStrictEqual(await r.planned(), []);
  });

  it("batch B straight to migrated in one up: its routes run beside its licences, and Gmail forwards nobody before the mailbox is there", async () => {
    await r.setBatches({ [r.batchA]: "migrated", [r.batchB]: "migrated" });
    assert.deepStrictEqual(await r.planned(["--policy-pack", r.policyPack]), [`create forwards-${r.batchB}`, `create licences-${r.batchB}`, `update mail-users-${r.batchB}`]);
    await control(r.sandbox, "PUT", "/sandbox/watch", { enabled: true });
    await r.stack.up(["--policy-pack", r.policyPack]);
    const report = (await control(r.sandbox, "GET", "/sandbox/watch")) as WatchReport;
    assert.ok(report.checks >= r.emailsOf(r.batchB).length * 3, `the sandbox checked after every write (${report.checks} checks)`);
    assert.deepStrictEqual(report.violations, []);
    const expected = [...r.emailsOf(r.batchA), ...r.emailsOf(r.batchB)].sort().map((email) => [email, `${email.split("@")[0]}@${ROUTING}`, "trash"]);
    assert.deepStrictEqual(await r.forwarding(), expected);
  });

  it("destroy leaves no mail user, the domain Authoritative and no forwarding", async () => {
    await r.stack.destroy();
    const tenant = (await r.sandboxState()).tenants[0];
    assert.deepStrictEqual(tenant.recipients.filter((u) => u.recipientTypeDetails === "MailUser").map((u) => u.microsoftOnlineServicesId), []);
    assert.strictEqual(tenant.acceptedDomainTypes.find((d) => d.domainName === PRIMARY)?.domainType, "Authoritative");
    assert.deepStrictEqual(tenant.connectors, []);
    assert.deepStrictEqual(await r.forwarding(), []);
  });
});

// docs/ARCHITECTURE.md, "Granularity: per user or per batch": the per-user resources leave the
// state without a delete (a delete would remove mail users and stop forwarding), then the sets'
// creates, with adopt, take over the identical objects.
describe("moving a per-user stack to granularity batch between batch moves", function () {
  this.timeout(900_000);
  let r: Rehearsal;
  const PER_USER_TYPES = /:(MailUser|LicenseAssignment|GoogleForwardingRoute)$/;

  before(async () => {
    r = await Rehearsal.start("granularity-move", {});
    await r.setBatches({ [r.batchA]: "migrated" });
    await r.stack.up();
  });
  after(() => r?.stop());

  it("changes nothing in the tenants: the sets' creates take over the mail users, licences and forwarding", async () => {
    const before = await r.sandboxState();
    const perUser = (await r.stack.resources()).filter((resource) => PER_USER_TYPES.test(resource.type)).map((resource) => resource.urn);
    assert.strictEqual(perUser.length, 6 + 2 * r.emailsOf(r.batchA).length);
    await r.stack.run(["state", "delete", "--yes", ...perUser]);
    // The migrated users' mail users are mailboxes already, which a create takes over only when asked.
    await r.stack.setConfig({ "coexist:granularity": "batch", "coexist:adopt": "true" });
    const sets = [`mail-users-${r.batchA}`, `mail-users-${r.batchB}`, `licences-${r.batchA}`, `forwards-${r.batchA}`];
    assert.deepStrictEqual(await r.planned(["--policy-pack", r.policyPack]), sets.map((name) => `create ${name}`).sort());
    await r.stack.up();
    const after = await r.sandboxState();
    assert.deepStrictEqual(after.tenants[0].recipients, before.tenants[0].recipients);
    assert.deepStrictEqual(after.tenants[0].users, before.tenants[0].users);
    assert.deepStrictEqual(after.google.users, before.google.users);
    await r.stack.run(["config", "rm", "coexist:adopt"]);
    assert.deepStrictEqual(await r.planned(), []);
    await r.stack.destroy();
  });
});
