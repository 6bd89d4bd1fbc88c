import { controlRequest, readRuntime, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import type { Stack } from "./stack";

// The staged migration journey shared by the demo and the reliability suites: the five stages as
// stack config of the root program, the users CSV taken from the sandbox's Google tenant, and the
// mail-flow check run after each stage.

export type BatchState = "google" | "migrating" | "migrated";
export type Sender = "internet" | "google" | "m365";

export interface Stage {
  name: string;
  batches: (departments: string[]) => Record<string, BatchState>;
  phase: "coexistence" | "cutover" | "decommissioned";
  /** The admin's DNS change of that stage, done after `pulumi up`. */
  mxToMicrosoft?: boolean;
  /** Google Workspace is retired at decommission: no Google sender any more. */
  senders: Sender[];
}

export const stages: Stage[] = [
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

export const PRIMARY = "contoso.com";
export const ROUTING = "o365.contoso.com";
export const M365_SENDER = "admin@contoso.onmicrosoft.com";
export const LICENSE_SKU = "EXCHANGESTANDARD";

export interface GoogleUser {
  primaryEmail: string;
  givenName: string;
  familyName: string;
  department?: string;
}

export interface Disposition {
  kind: "delivered" | "ndr" | "loop";
  system?: string;
  mailbox?: string;
  code?: string;
  reason?: string;
}

export interface MailFlowTotals {
  cells: number;
  delivered: number;
  loops: number;
  bounces: number;
}

export async function control(sandbox: SandboxHandle, method: string, route: string, body?: unknown): Promise<unknown> {
  const runtime = readRuntime(sandbox.dataDir);
  if (!runtime) throw new Error("the sandbox runtime file is missing");
  const response = await controlRequest(runtime, method, route, body);
  if (response.status >= 300) throw new Error(`sandbox ${method} ${route}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The Google tenant's users of the primary domain that have a department (one batch per department). */
export async function migrationUsers(sandbox: SandboxHandle): Promise<{ users: GoogleUser[]; departments: string[] }> {
  const state = (await control(sandbox, "GET", "/sandbox/state")) as { google: { users: GoogleUser[] } };
  const users = state.google.users.filter((u) => u.primaryEmail.endsWith(`@${PRIMARY}`) && u.department);
  return { users, departments: [...new Set(users.map((u) => u.department!))].sort() };
}

export function usersCsv(users: GoogleUser[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = users.map((u) => [u.primaryEmail, u.givenName, u.familyName, u.department ?? "", u.department ?? ""].map(quote).join(","));
  return ["email,firstName,lastName,batch,department", ...rows].join("\n") + "\n";
}

/** The root program's stack config that stays the same through the journey. */
export function journeyConfig(csvPath: string): Record<string, string> {
  return { "coexist:primaryDomain": PRIMARY, "coexist:routingDomain": ROUTING, "coexist:usersCsv": csvPath, "coexist:licenseSku": LICENSE_SKU };
}

/** Sets the stack config of `stage`; returns the batch states it sets. */
export async function configureStage(stack: Stack, stage: Stage, departments: string[]): Promise<Record<string, BatchState>> {
  const batches = stage.batches(departments);
  await stack.run(["config", "set-all", "--plaintext", `coexist:batches=${JSON.stringify(batches)}`, "--plaintext", `coexist:phase=${stage.phase}`]);
  return batches;
}

/** The admin's DNS step of a stage that needs one (MX of the primary domain to Microsoft 365). */
export async function applyStageDns(sandbox: SandboxHandle, stage: Stage): Promise<boolean> {
  if (!stage.mxToMicrosoft) return false;
  await control(sandbox, "PUT", "/sandbox/dns/mx", { domain: PRIMARY, hosts: [`${PRIMARY.replace(/\./g, "-")}.mail.protection.outlook.com`] });
  return true;
}

/** Where the message must land for a user in `state`: while migrating, either mailbox is theirs. */
export function expectedSystems(state: BatchState): string[] {
  if (state === "google") return ["google"];
  if (state === "migrating") return ["google", "m365"];
  return ["m365"];
}

export interface MailFlowRow {
  department: string;
  batchState: BatchState;
  user: string;
  /** Where each sender's message landed (`google`, `exchange`), in the order of the stage's senders. */
  cells: string[];
}

/**
 * Sends from every sender of `stage` to the first `samplePerBatch` users of each batch in the
 * sandbox's mail-flow simulation; throws naming the stage and the cell unless every message lands
 * in the user's current mailbox.
 */
export async function checkMailFlow(
  sandbox: SandboxHandle,
  stage: Stage,
  batches: Record<string, BatchState>,
  population: { users: GoogleUser[]; departments: string[] },
  samplePerBatch: number,
  onRow: (row: MailFlowRow) => void = () => undefined,
): Promise<MailFlowTotals> {
  const { users, departments } = population;
  const totals: MailFlowTotals = { cells: 0, delivered: 0, loops: 0, bounces: 0 };
  const stillAtGoogle = users.find((u) => (batches[u.department!] ?? "google") === "google");
  const googleSender = (stillAtGoogle ?? users[users.length - 1]).primaryEmail;
  const senderAddress: Record<Sender, string> = { internet: "internet", google: googleSender, m365: M365_SENDER };
  for (const department of departments) {
    const batchState = batches[department] ?? "google";
    for (const user of users.filter((u) => u.department === department).slice(0, samplePerBatch)) {
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
        cells.push(d.system ?? "");
      }
      onRow({ department, batchState, user: user.primaryEmail, cells });
    }
  }
  return totals;
}
