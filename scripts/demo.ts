import * as fs from "fs";
import * as path from "path";
import { controlRequest, readRuntime, startSandbox, type SandboxHandle } from "../sandbox/index";
import { repoRoot } from "./engine-env";
import { changedSteps, PreviewResult, Stack } from "./stack";

// `npm run demo`: a rehearsal of a whole staged migration against the sandbox, with the real
// engine: the sandbox is seeded with a Google tenant of 50 users in three departments, the root
// program (Pulumi.yaml) is driven through five stages by stack config, and after each stage every
// sender × a sample of every batch's users is checked in the sandbox's mail-flow simulation.

type BatchState = "google" | "migrating" | "migrated";
type Sender = "internet" | "google" | "m365";

interface Stage {
  name: string;
  batches: (departments: string[]) => Record<string, BatchState>;
  phase: "coexistence" | "cutover" | "decommissioned";
  /** The admin's DNS change of that stage, done after `pulumi up`. */
  mxToMicrosoft?: boolean;
  /** Google Workspace is retired at decommission: no Google sender any more. */
  senders: Sender[];
}

const stages: Stage[] = [
  { name: "coexistence set-up", batches: () => ({}), phase: "coexistence", senders: ["internet", "google", "m365"] },
  { name: "batch 1 migrating", batches: ([b1]) => ({ [b1]: "migrating" }), phase: "coexistence", senders: ["internet", "google", "m365"] },
  {
    name: "batch 1 migrated, batch 2 migrating",
    batches: ([b1, b2]) => ({ [b1]: "migrated", [b2]: "migrating" }),
    phase: "coexistence",
    senders: ["internet", "google", "m365"],
  },
  {
    name: "cutover",
    batches: (all) => Object.fromEntries(all.map((d) => [d, "migrated"])),
    phase: "cutover",
    mxToMicrosoft: true,
    senders: ["internet", "google", "m365"],
  },
  {
    name: "decommission",
    batches: (all) => Object.fromEntries(all.map((d) => [d, "migrated"])),
    phase: "decommissioned",
    senders: ["internet", "m365"],
  },
];

const PRIMARY = "contoso.com";
const ROUTING = "o365.contoso.com";
const M365_SENDER = "admin@contoso.onmicrosoft.com";
const SAMPLE_PER_BATCH = 3;

interface GoogleUser {
  primaryEmail: string;
  givenName: string;
  familyName: string;
  department?: string;
}

interface Disposition {
  kind: "delivered" | "ndr" | "loop";
  system?: string;
  mailbox?: string;
  code?: string;
  reason?: string;
}

async function control(sandbox: SandboxHandle, method: string, route: string, body?: unknown): Promise<unknown> {
  const runtime = readRuntime(sandbox.dataDir);
  if (!runtime) throw new Error("the sandbox runtime file is missing");
  const response = await controlRequest(runtime, method, route, body);
  if (response.status >= 300) throw new Error(`sandbox ${method} ${route}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

function usersCsv(users: GoogleUser[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = users.map((u) => [u.primaryEmail, u.givenName, u.familyName, u.department ?? "", u.department ?? ""].map(quote).join(","));
  return ["email,firstName,lastName,batch,department", ...rows].join("\n") + "\n";
}

/** Where the message must land for a user in `state`: while migrating, either mailbox is theirs. */
function expectedSystems(state: BatchState): string[] {
  if (state === "google") return ["google"];
  if (state === "migrating") return ["google", "m365"];
  return ["m365"];
}

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
  const sandbox = await startSandbox({ dataDir: path.join(repoRoot, ".sandbox", "demo"), reset: true, users: 50, departments: 3 });
  console.log(`demo: sandbox at ${sandbox.url} (Google tenant of 50 users in 3 departments)`);
  const totals = { cells: 0, delivered: 0, loops: 0, bounces: 0 };
  try {
    const state = (await control(sandbox, "GET", "/sandbox/state")) as { google: { users: GoogleUser[] } };
    const users = state.google.users.filter((u) => u.primaryEmail.endsWith(`@${PRIMARY}`) && u.department);
    const departments = [...new Set(users.map((u) => u.department!))].sort();
    const csvPath = path.join(stateDir, "users.csv");
    fs.writeFileSync(csvPath, usersCsv(users));

    const stack = new Stack({ projectDir: repoRoot, stack: "sandbox-demo", stateDir, passphrase: "sandbox", env: sandbox.env });
    await stack.init(
      {
        "coexist:primaryDomain": PRIMARY,
        "coexist:routingDomain": ROUTING,
        "coexist:usersCsv": csvPath,
        "coexist:licenseSku": "EXCHANGESTANDARD",
      },
      { "coexist:mailUserPassword": "Demo-Passw0rd!" },
    );

    for (const [index, stage] of stages.entries()) {
      const stageStarted = Date.now();
      const batches = stage.batches(departments);
      await stack.setConfig({ "coexist:batches": JSON.stringify(batches), "coexist:phase": stage.phase });
      const preview = await stack.preview();
      console.log(`\ndemo: stage ${index + 1}/${stages.length}: ${stage.name} — preview: ${summary(preview)}`);
      await stack.up();
      console.log(`demo: up done in ${Math.round((Date.now() - stageStarted) / 1000)} s`);
      if (stage.mxToMicrosoft) {
        await control(sandbox, "PUT", "/sandbox/dns/mx", { domain: PRIMARY, hosts: [`${PRIMARY.replace(/\./g, "-")}.mail.protection.outlook.com`] });
        console.log(`demo: DNS: MX ${PRIMARY} → Microsoft 365`);
      }
      const stillAtGoogle = users.find((u) => (batches[u.department!] ?? "google") === "google");
      const googleSender = (stillAtGoogle ?? users[users.length - 1]).primaryEmail;
      const senderAddress: Record<Sender, string> = { internet: "internet", google: googleSender, m365: M365_SENDER };
      console.log(`demo: mail flow (${stage.senders.join(", ")} → ${SAMPLE_PER_BATCH} users of each batch):`);
      for (const department of departments) {
        const batchState = batches[department] ?? "google";
        for (const user of users.filter((u) => u.department === department).slice(0, SAMPLE_PER_BATCH)) {
          const cells: string[] = [];
          for (const sender of stage.senders) {
            const route = (await control(sandbox, "POST", "/sandbox/mail", { from: senderAddress[sender], to: user.primaryEmail })) as { disposition: Disposition };
            const d = route.disposition;
            totals.cells++;
            const ok = d.kind === "delivered" && expectedSystems(batchState).includes(d.system ?? "") && d.mailbox?.toLowerCase() === user.primaryEmail;
            if (d.kind === "loop") totals.loops++;
            if (d.kind === "ndr") totals.bounces++;
            if (!ok) {
              throw new Error(
                `stage "${stage.name}", cell ${sender} → ${user.primaryEmail} (batch ${department}: ${batchState}): ${d.kind} ${d.system ?? ""} ${d.mailbox ?? ""} ${d.code ?? ""} ${d.reason ?? ""}`.trim(),
              );
            }
            totals.delivered++;
            cells.push(`${sender}→${d.system}`);
          }
          console.log(`  ${department.padEnd(12)} ${batchState.padEnd(9)} ${user.primaryEmail.padEnd(34)} ${cells.join("  ")}`);
        }
      }
      const noop = changedSteps(await stack.preview());
      if (noop.length > 0) throw new Error(`stage "${stage.name}": a second preview still plans ${noop.length} change(s): ${noop.map((s) => `${s.op} ${s.urn}`).join(", ")}`);
    }
    await stack.remove();
  } finally {
    await sandbox.stop();
  }
  console.log(`\ndemo: all cells delivered into each user's current mailbox in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`demo: stages=${stages.length} cells=${totals.cells} delivered=${totals.delivered} loops=${totals.loops} bounces=${totals.bounces}`);
}

main().catch((error: Error) => {
  console.error(`demo: failed: ${error.message}`);
  process.exit(1);
});
