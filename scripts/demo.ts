import * as fs from "fs";
import * as path from "path";
import { startSandbox } from "pulumi-mail-coexistence-sandbox";
import { formatTable } from "pulumi-mail-coexistence-sandbox/cli";
import { repoRoot } from "./engine-env";
import {
  addressCells,
  applyStageDns,
  checkAddressFlow,
  checkMailFlow,
  configureStage,
  googleGroups,
  groupsConfig,
  seedWithMovingAliasDomain,
  groupsCsv,
  journeyConfig,
  migrationUsers,
  MOVED_DOMAINS,
  stages,
  usersCsv,
  type AddressFlowRow,
  type MailFlowRow,
} from "./journey";
import { changedSteps, PreviewResult, Stack } from "./stack";

// `npm run demo`: a rehearsal of a whole staged migration against the sandbox, with the real
// engine: the sandbox is seeded with a Google tenant of 50 users in three departments, the root
// program (Pulumi.yaml) is driven through five stages by stack config, and after each stage every
// sender × a sample of every batch's users is checked in the sandbox's mail-flow simulation, and
// so are a user alias, an alias-domain address and each Google group and group alias (two groups
// migrated, support@ kept at Google until decommission), every copy of a group counted.
// The stages, the CSV and the mail-flow check are shared with the reliability suites (journey.ts).

const SAMPLE_PER_BATCH = 3;

function summary(preview: PreviewResult): string {
  const counts = Object.entries(preview.changeSummary)
    .filter(([op]) => op !== "same")
    .map(([op, n]) => `${op} ${n}`);
  return counts.length > 0 ? counts.join(", ") : "no changes";
}

async function main(): Promise<void> {
  const started = Date.now();
  const stateDir = path.join(repoRoot, ".pulumi", "demo");
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const sandbox = await startSandbox({ dataDir: path.join(repoRoot, ".sandbox", "demo"), reset: true, seed: seedWithMovingAliasDomain(), users: 50, departments: 3, strict: true });
  console.log(`demo: sandbox at ${sandbox.url} (Google tenant of 50 users in 3 departments)`);
  const totals = { cells: 0, delivered: 0, loops: 0, bounces: 0 };
  try {
    const population = await migrationUsers(sandbox);
    const csvPath = path.join(stateDir, "users.csv");
    fs.writeFileSync(csvPath, usersCsv(population.users, { withAliases: true }));
    const groups = await googleGroups(sandbox);
    const groupsPath = path.join(stateDir, "groups.csv");

    const stack = new Stack({ projectDir: repoRoot, stack: "sandbox-demo", stateDir, passphrase: "sandbox", env: sandbox.env });
    await stack.init({ ...journeyConfig(csvPath), ...groupsConfig(groupsPath) });

    for (const [index, stage] of stages.entries()) {
      const stageStarted = Date.now();
      fs.writeFileSync(groupsPath, groupsCsv(groups, stage));
      const batches = await configureStage(stack, stage, population.departments);
      const preview = await stack.preview();
      console.log(`\ndemo: stage ${index + 1}/${stages.length}: ${stage.name} — preview: ${summary(preview)}`);
      await stack.up();
      console.log(`demo: up done in ${Math.round((Date.now() - stageStarted) / 1000)} s`);
      if (await applyStageDns(sandbox, stage, MOVED_DOMAINS)) console.log(`demo: DNS: MX ${MOVED_DOMAINS.join(", ")} → Microsoft 365`);
      console.log(`demo: mail flow (${stage.senders.join(", ")} → ${SAMPLE_PER_BATCH} users of each batch):`);
      const rows: MailFlowRow[] = [];
      const cells = await checkMailFlow(sandbox, stage, batches, population, SAMPLE_PER_BATCH, (row) => rows.push(row));
      const header = ["batch", "state", "user", ...stage.senders.map((sender) => `from ${sender}`)];
      for (const line of formatTable(header, rows.map((row) => [row.department, row.batchState, row.user, ...row.cells]))) console.log(`  ${line}`);
      console.log(`demo: other addresses (a group cell counts when every member got exactly one copy):`);
      const addressRows: AddressFlowRow[] = [];
      const addressTotals = await checkAddressFlow(sandbox, stage, batches, population, addressCells(population, groups, stage), (row) => addressRows.push(row));
      const addressHeader = ["kind", "address", ...stage.senders.map((sender) => `from ${sender}`)];
      for (const line of formatTable(addressHeader, addressRows.map((row) => [row.cell.kind, row.cell.address, ...row.cells]))) console.log(`  ${line}`);
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += cells[key] + addressTotals[key];
      const noop = changedSteps(await stack.preview());
      if (noop.length > 0) throw new Error(`stage "${stage.name}": a second preview still plans ${noop.length} change(s): ${noop.map((s) => `${s.op} ${s.urn}`).join(", ")}`);
    }
    await stack.remove();
  } finally {
    await sandbox.stop();
  }
  console.log(`\ndemo: all cells delivered into each user's current mailbox (each group member's, once) in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`demo: stages=${stages.length} cells=${totals.cells} delivered=${totals.delivered} loops=${totals.loops} bounces=${totals.bounces}`);
}

main().catch((error: Error) => {
  console.error(`demo: failed: ${error.message}`);
  process.exit(1);
});
