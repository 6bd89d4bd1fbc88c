import { controlRequest, DEMO_SEED_PATH, readRuntime, type SandboxHandle, type Seed } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { finalRoutes, tallyRoutes } from "../provider/routing/fanout";
import { microsoftMxHost } from "../provider/routing/addresses";
import type { Route } from "../provider/routing/types";
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
/**
 * The demo tenant's Google alias domain. It stays Google-only (not verified in Microsoft 365): its
 * MX keeps pointing at Google, so its addresses reach their user through Gmail (and its forwarding
 * once migrated), and a group kept at Google is reached at its address there.
 */
export const GOOGLE_ALIAS_DOMAIN = "gsuite.contoso.com";
/**
 * The demo tenant's alias domain that moves with the primary domain (`coexist:aliasDomains`):
 * verified in Microsoft 365, Internal Relay while users are at Google, its MX moved at cutover.
 */
export const MOVING_ALIAS_DOMAIN = "contoso.net";

export interface GoogleUser {
  primaryEmail: string;
  givenName: string;
  familyName: string;
  department?: string;
  /** Google aliases (nicknames) on the primary domain. */
  aliases?: string[];
}

export interface GoogleGroup {
  email: string;
  name: string;
  aliases: string[];
  members: { email: string }[];
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

const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * The users CSV of the root program; `withAliases`: with each user's Google aliases and address on
 * the alias domain that moves (column `aliases`).
 */
export function usersCsv(users: GoogleUser[], options: { withAliases?: boolean } = {}): string {
  const aliases = (u: GoogleUser) => (options.withAliases ? [[...(u.aliases ?? []), onDomain(u.primaryEmail, MOVING_ALIAS_DOMAIN)].join(" ")] : []);
  const rows = users.map((u) => [u.primaryEmail, u.givenName, u.familyName, u.department ?? "", u.department ?? "", ...aliases(u)].map(quote).join(","));
  return [`email,firstName,lastName,batch,department${options.withAliases ? ",aliases" : ""}`, ...rows].join("\n") + "\n";
}

/** The Google groups of the sandbox's tenant. */
export async function googleGroups(sandbox: SandboxHandle): Promise<GoogleGroup[]> {
  const state = (await control(sandbox, "GET", "/sandbox/state")) as { google: { groups: GoogleGroup[] } };
  return state.google.groups;
}

/**
 * The admin's group decisions: the role address support@ stays at Google behind a mail contact
 * until Google Workspace is retired, when it is migrated too; every other group is migrated.
 */
export function groupPlan(group: GoogleGroup, stage: Stage): "migrate" | "keep" {
  return group.email.startsWith("support@") && stage.phase !== "decommissioned" ? "keep" : "migrate";
}

/**
 * The groups CSV of `stage` (as `coexist inventory` writes it, with the plans filled): each group
 * with its address on the alias domain that moves, a kept group also with its route on the one
 * that stays at Google.
 */
export function groupsCsv(groups: GoogleGroup[], stage: Stage): string {
  const rows = groups.map((group) => {
    const plan = groupPlan(group, stage);
    const movingAddress = onDomain(group.email, MOVING_ALIAS_DOMAIN);
    const aliases = plan === "keep" ? [...group.aliases, movingAddress, aliasDomainAddress(group.email)] : [...group.aliases, movingAddress];
    return [group.email, group.name, aliases.join(" "), group.members.map((m) => m.email).join(" "), plan].map(quote).join(",");
  });
  return ["email,name,aliases,members,plan", ...rows].join("\n") + "\n";
}

/**
 * The demo seed with the admin's step before `coexist:aliasDomains`: the moving alias domain
 * verified in Microsoft 365 with Email (Exchange makes it an Authoritative accepted domain; the
 * first `up` makes it Internal Relay). Only stacks that move it start from this seed: until that
 * `up`, Microsoft 365 senders' mail to its addresses bounces (docs/groups-and-aliases.md).
 */
export function seedWithMovingAliasDomain(): Seed {
  const seed = readSeedFile(DEMO_SEED_PATH);
  const [tenant, ...others] = seed.microsoft;
  const verified = { ...tenant, domains: [...tenant.domains, { name: MOVING_ALIAS_DOMAIN, isVerified: true, supportedServices: ["Email"] }] };
  return { ...seed, microsoft: [verified, ...others] };
}

/** The same local part on `domain`. */
function onDomain(address: string, domain: string): string {
  return `${address.slice(0, address.lastIndexOf("@"))}@${domain}`;
}

/** The same address on the Google alias domain that stays at Google. */
export function aliasDomainAddress(address: string): string {
  return onDomain(address, GOOGLE_ALIAS_DOMAIN);
}

/** Stack config for every address: the groups CSV, the alias domain that stays at Google, and the one that moves. */
export function groupsConfig(groupsCsvPath: string): Record<string, string> {
  return { "coexist:groupsCsv": groupsCsvPath, "coexist:googleRoutingDomain": GOOGLE_ALIAS_DOMAIN, "coexist:aliasDomains": JSON.stringify([MOVING_ALIAS_DOMAIN]) };
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

/** The domains whose MX the demo moves at cutover: the primary domain and the alias domain that moves with it. */
export const MOVED_DOMAINS = [PRIMARY, MOVING_ALIAS_DOMAIN];

/** The admin's DNS step of a stage that needs one: the MX of `domains` (default the primary domain) to Microsoft 365. */
export async function applyStageDns(sandbox: SandboxHandle, stage: Stage, domains: string[] = [PRIMARY]): Promise<boolean> {
  if (!stage.mxToMicrosoft) return false;
  for (const domain of domains) await control(sandbox, "PUT", "/sandbox/dns/mx", { domain, hosts: [microsoftMxHost(domain)] });
  return true;
}

/** Where the message must land for a user in `state`: while migrating, either mailbox is theirs. */
export function expectedSystems(state: BatchState): string[] {
  if (state === "google") return ["google"];
  if (state === "migrating") return ["google", "m365"];
  return ["m365"];
}

/** Who sends as each sender: the Google sender is a user still at Google, else the last user. */
function sendersOf(users: GoogleUser[], batches: Record<string, BatchState>): Record<Sender, string> {
  const stillAtGoogle = users.find((u) => (batches[u.department!] ?? "google") === "google");
  const googleSender = (stillAtGoogle ?? users[users.length - 1]).primaryEmail;
  return { internet: "internet", google: googleSender, m365: M365_SENDER };
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
  const senderAddress = sendersOf(users, batches);
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

/** An address other than a user's primary one, and the users whose mailboxes must each get one copy. */
export interface AddressCell {
  kind: "user alias" | "alias-domain address" | "group" | "group alias";
  address: string;
  /** Primary addresses of the users who must each receive exactly one copy. */
  recipients: string[];
}

/**
 * The demo's other addresses at `stage`: an alias of the first user of the first batch that has
 * one, that user's address on the alias domain that moves with the primary domain, and each group,
 * its aliases and its address on that domain, with its members among `users`.
 */
export function addressCells(population: { users: GoogleUser[]; departments: string[] }, groups: GoogleGroup[], stage: Stage): AddressCell[] {
  const { users, departments } = population;
  const withAlias = departments.flatMap((d) => users.filter((u) => u.department === d && (u.aliases ?? []).length > 0))[0];
  const cells: AddressCell[] = [];
  if (withAlias) {
    cells.push({ kind: "user alias", address: withAlias.aliases![0], recipients: [withAlias.primaryEmail] });
    cells.push({ kind: "alias-domain address", address: onDomain(withAlias.primaryEmail, MOVING_ALIAS_DOMAIN), recipients: [withAlias.primaryEmail] });
  }
  const known = new Set(users.map((u) => u.primaryEmail));
  for (const group of groups) {
    const recipients = group.members.map((m) => m.email).filter((email) => known.has(email));
    if (recipients.length === 0) continue;
    cells.push({ kind: "group", address: group.email, recipients });
    for (const alias of [...group.aliases, onDomain(group.email, MOVING_ALIAS_DOMAIN)]) cells.push({ kind: "group alias", address: alias, recipients });
  }
  return cells;
}

export interface AddressFlowRow {
  cell: AddressCell;
  /** `sender→systems` per sender, e.g. `internet→google+m365` for a group whose copies landed at both. */
  cells: string[];
}

/**
 * Sends from every sender of `stage` to each address cell; a cell is delivered only when every
 * recipient got exactly one copy, in their current mailbox, and no copy bounced or looped (copies
 * counted with finalRoutes/tallyRoutes). Throws naming the stage, the cell and what went wrong.
 */
export async function checkAddressFlow(
  sandbox: SandboxHandle,
  stage: Stage,
  batches: Record<string, BatchState>,
  population: { users: GoogleUser[]; departments: string[] },
  cells: AddressCell[],
  onRow: (row: AddressFlowRow) => void = () => undefined,
): Promise<MailFlowTotals> {
  const totals: MailFlowTotals = { cells: 0, delivered: 0, loops: 0, bounces: 0 };
  const batchOf = new Map(population.users.map((u) => [u.primaryEmail, batches[u.department!] ?? "google"]));
  const senderAddress = sendersOf(population.users, batches);
  for (const cell of cells) {
    const row: string[] = [];
    for (const sender of stage.senders) {
      const route = (await control(sandbox, "POST", "/sandbox/mail", { from: senderAddress[sender], to: cell.address })) as Route;
      const ends = finalRoutes(route);
      const tally = tallyRoutes(ends);
      totals.cells++;
      totals.loops += tally.loops;
      totals.bounces += tally.bounces;
      const problems: string[] = [];
      for (const recipient of cell.recipients) {
        const copies = ends.filter((end) => end.disposition.kind === "delivered" && end.disposition.mailbox.toLowerCase() === recipient);
        const systems = copies.map((end) => (end.disposition.kind === "delivered" ? end.disposition.system : ""));
        if (copies.length !== 1) problems.push(`${recipient} got ${copies.length} copies (${systems.join(", ") || "none"})`);
        else if (!expectedSystems(batchOf.get(recipient) ?? "google").includes(systems[0])) problems.push(`${recipient} got its copy in ${systems[0]}, not its current mailbox`);
      }
      for (const end of ends) {
        const d = end.disposition;
        if (d.kind !== "delivered") problems.push(`a copy ${d.kind === "loop" ? "looped" : "bounced"}: ${d.code ?? ""} ${d.reason ?? ""}`.trim());
        else if (!cell.recipients.includes(d.mailbox.toLowerCase())) problems.push(`a copy reached ${d.mailbox}, who is not a recipient`);
      }
      if (problems.length > 0) throw new Error(`stage "${stage.name}", cell ${sender} → ${cell.address} (${cell.kind}): ${problems.join("; ")}`);
      totals.delivered++;
      const systems = [...new Set(ends.map((end) => (end.disposition.kind === "delivered" ? end.disposition.system : "")))].sort();
      row.push(`${sender}→${systems.join("+")}`);
    }
    onRow({ cell, cells: row });
  }
  return totals;
}
