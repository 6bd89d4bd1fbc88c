import * as assert from "assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox } from "pulumi-mail-coexistence-sandbox";
import { runRehearse } from "../../cli/rehearse";
import type { StageReport } from "../../cli/rehearsePlan";
import { runSnapshot, type SnapshotSeed } from "../../cli/snapshot";
import { repoRoot } from "../../scripts/engine-env";
import { groupsConfig, groupsCsv, journeyConfig, seedWithMovingAliasDomain, stages as demoStages, usersCsv, type GoogleUser } from "../../scripts/journey";
import { trustCa, useSandboxEnvironment } from "../sandbox/harness";
import { useSandboxDns } from "../helpers/sandboxDns";

async function run(command: (argv: string[], io: { out(text: string): void; err(text: string): void }) => Promise<number>, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await command(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

/**
 * The user's project: the root program (Pulumi.yaml, dist, node_modules linked from the
 * repository), its users and groups CSVs as `coexist inventory` would write them (every group
 * migrated), and the stack config Pulumi.prod.yaml with `config` and a secret value.
 */
function userProject(dir: string, snapshot: SnapshotSeed, config: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const name of ["Pulumi.yaml", "dist", "node_modules", "package.json"]) symlinkSync(join(repoRoot, name), join(dir, name));
  const users = snapshot.google.users.filter((user) => user.primaryEmail.endsWith("@contoso.com") && user.department) as GoogleUser[];
  writeFileSync(join(dir, "users.csv"), usersCsv(users, { withAliases: true }));
  const decommission = demoStages[demoStages.length - 1];
  writeFileSync(join(dir, "groups.csv"), groupsCsv(snapshot.google.groups.map((group) => ({ ...group, members: group.members.map((member) => ({ email: member.email ?? "" })) })), decommission));
  const entries = { ...journeyConfig(join(dir, "users.csv")), ...groupsConfig(join(dir, "groups.csv")), ...config };
  const lines = Object.entries(entries).map(([key, value]) => `  ${key}: '${value}'`);
  writeFileSync(join(dir, "Pulumi.prod.yaml"), ["secretsprovider: passphrase", "encryptionsalt: v1:abc:def", "config:", ...lines, "  coexist:mailUserPassword:", "    secure: v1:AAAA:BBBB", ""].join("\n"));
}

describe("coexist rehearse of the root program on a snapshot of the demo tenant", function () {
  this.timeout(20 * 60_000);
  const work = mkdtempSync(join(tmpdir(), "rehearse-test-"));
  let snapshot: SnapshotSeed;
  let departments: string[];

  // The demo tenant (12 users in 3 departments, its groups, its alias domain that moves, verified in
  // Microsoft 365, and the one that stays at Google), snapshotted through
  // the sandbox as if it were live, then the sandbox is gone: only the file remains.
  before(async () => {
    const demo = await startSandbox({ seed: seedWithMovingAliasDomain(), users: 12, departments: 3 });
    trustCa(demo.env.NODE_EXTRA_CA_CERTS);
    const restore = [useSandboxEnvironment(demo), useSandboxDns(demo)];
    try {
      const { code, out, err } = await run(runSnapshot);
      assert.strictEqual(code, 0, err);
      snapshot = JSON.parse(out) as SnapshotSeed;
      writeFileSync(join(work, "snapshot.json"), out);
    } finally {
      for (const undo of restore) undo();
      await demo.stop();
    }
    // The batches in the order the users CSV (sorted by address, as the snapshot is) first names them.
    departments = [...new Set(snapshot.google.users.flatMap((user) => user.department ?? []))];
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("passes every stage from the first config to decommission, every address delivered once, and reports each stage", async () => {
    const project = join(work, "project");
    userProject(project, snapshot, {});
    const markdown = join(work, "report.md");
    const { code, out, err } = await run(runRehearse, "--seed", join(work, "snapshot.json"), "--cwd", project, "--stack", "prod", "--json", "--markdown", markdown);
    assert.strictEqual(code, 0, `${err}\n${out}`);
    assert.match(err, /secret config left out \(the rehearsal runs without it\): coexist:mailUserPassword/);
    const report = JSON.parse(out) as { failed: boolean; stages: StageReport[] };
    const [first, second] = departments;
    assert.deepStrictEqual(
      report.stages.map((stage) => stage.stage),
      ["current config", `${first} migrating`, `${first} migrated, ${second} migrating`, `${second} migrated, ${departments[2]} migrating`, `${departments[2]} migrated`, "cutover", "decommission"],
    );
    for (const stage of report.stages) {
      assert.strictEqual(stage.failed, false, JSON.stringify(stage.problems));
      assert.strictEqual(stage.mail.delivered, stage.mail.copies, stage.stage);
      assert.ok(stage.mail.addresses >= 12, `${stage.stage}: ${stage.mail.addresses} addresses`);
    }
    assert.ok(report.stages[0].plan.create > 0 && report.stages[0].apiCalls.exchange > 0 && report.stages[0].estimatedSeconds > 0, JSON.stringify(report.stages[0]));
    const md = readFileSync(markdown, "utf8");
    assert.match(md, /^### coexist rehearse\n\nResult: every stage passes \(7 stages/);
    assert.strictEqual(md.split("\n").filter((line) => /^\| \d+ \|/.test(line)).length, 7);
    assert.ok(!readFileSync(join(project, "Pulumi.prod.yaml"), "utf8").includes("batches"), "the user's stack config is untouched");
  });

  it("fails at the stage where mail would be lost, naming a group nobody planned for and an alias on a domain Microsoft 365 does not have", async () => {
    const planted = structuredClone(snapshot);
    planted.google.domains.push({ domainName: "contoso.org" });
    planted.dns.mx["contoso.org"] = ["smtp.google.com"];
    const ben = planted.google.users.find((user) => user.primaryEmail === "ben.adams@contoso.com");
    assert.ok(ben);
    ben.aliases = [...(ben.aliases ?? []), "ben.adams@contoso.org"];
    planted.google.groups.push({ email: "unplanned@contoso.com", name: "Nobody planned me", description: "", aliases: [], members: [{ email: "ben.adams@contoso.com", type: "USER", role: "MEMBER", deliverySettings: "ALL_MAIL" }] });
    writeFileSync(join(work, "planted.json"), JSON.stringify(planted));
    const project = join(work, "planted-project");
    // The project as it is on Friday: every batch migrated, cutover next.
    userProject(project, snapshot, { "coexist:batches": JSON.stringify(Object.fromEntries(departments.map((department) => [department, "migrated"]))) });
    const { code, out, err } = await run(runRehearse, "--seed", join(work, "planted.json"), "--cwd", project, "--stack", "prod");
    assert.strictEqual(code, 1, `${err}\n${out}`);
    assert.match(out, /^1 +current config +.* ok$/m);
    // The cutover makes contoso.com Authoritative: the group nobody planned bounces from then on.
    assert.match(out, /^2 +cutover +.* FAILED$/m);
    assert.match(out, /^- cutover: unplanned@contoso\.com: mail from the Internet to unplanned@contoso\.com \(group\) bounces/m);
    // Decommission removes the Gmail forwarding: the alias on a domain only Google has is lost there.
    assert.match(out, /^3 +decommission +.* FAILED$/m);
    assert.match(out, /^- decommission: ben\.adams@contoso\.org: mail to ben\.adams@contoso\.org \(user alias of ben\.adams@contoso\.com\) still lands in Google Workspace/m);
    assert.doesNotMatch(out, /two mailboxes/, "no split delivery once Google has no sender");
    // Google gives the group an address on each alias domain: the one that moves bounces too.
    assert.match(err, /Result: FAILED at stage "cutover": mail lost or misrouted for unplanned@contoso\.com, unplanned@contoso\.net\./);
  });
});
