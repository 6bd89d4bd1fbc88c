/**
 * `coexist inventory --out <dir>`: reads the Google Directory (users with their aliases and
 * alias-domain addresses, groups with their aliases and members, domains and domain aliases) and
 * writes the files a stack starts from: users.csv (the root program's coexist:usersCsv, unchanged),
 * groups.csv (coexist:groupsCsv, `plan` left for the admin), domains.csv and policy-config.json (the
 * policy pack's tenant facts). Rows are sorted and formatted one way only: an unchanged tenant gives
 * the same bytes again.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DIRECTORY_DOMAIN_SCOPES,
  DIRECTORY_GROUP_SCOPES,
  DIRECTORY_SCOPES,
  listDirectoryDomains,
  listDirectoryGroups,
  listDirectoryUsers,
  listGroupMembers,
  type DirectoryDomain,
  type DirectoryGroup,
  type DirectoryMember,
  type DirectoryUser,
} from "../provider/clients/google";
import { googleAddresses } from "../provider/routing/tenantAddresses";
import type { TenantState } from "../provider/routing/types";
import { needingScope } from "./liveState";

export const INVENTORY_HELP = `coexist inventory — write the stack's starting files from the Google Directory

Usage:
  coexist inventory --out <dir> [--batch-by department|orgunit]

Reads, as coexist:googleAdmin (COEXIST_GOOGLE_* settings, as the resources do), every user with
its aliases and alias-domain addresses, every group with its aliases and members, and the domains,
and writes into <dir>:
  users.csv           email,firstName,lastName,batch,aliases: coexist:usersCsv of the root program.
                      batch is the user's department (default) or org unit; edit it freely.
  groups.csv          email,name,aliases,members,plan: coexist:groupsCsv. Fill in plan: migrate
                      (an Exchange distribution group) or keep (stays at Google behind a mail contact).
  domains.csv         domain,kind,aliasOf: the primary, secondary and alias domains.
  policy-config.json  the policy pack's tenant facts (--policy-pack-config).
Only users on the primary domain go into users.csv (the root program migrates one domain).
Running it again on an unchanged tenant writes the same bytes. Progress goes to stderr.

Needs the Directory read-only scopes admin.directory.user.readonly, admin.directory.group.readonly
and admin.directory.domain.readonly delegated to the service account.
`;

export type BatchBy = "department" | "orgunit";

export interface InventoryIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: InventoryIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** Batch of a user with no department (or org unit): the admin assigns one. */
export const UNASSIGNED_BATCH = "unassigned";

/** The Directory as the inventory needs it. */
export interface DirectoryReads {
  users(): Promise<DirectoryUser[]>;
  groups(): Promise<DirectoryGroup[]>;
  members(group: string): Promise<DirectoryMember[]>;
  domains(): Promise<DirectoryDomain[]>;
}

const liveDirectory: DirectoryReads = { users: listDirectoryUsers, groups: listDirectoryGroups, members: listGroupMembers, domains: listDirectoryDomains };

/** Exit codes: 0 written, 2 usage, 3 the Directory could not be read (a missing scope is named). */
export async function runInventory(argv: string[], io: InventoryIo = defaultIo, directory: DirectoryReads = liveDirectory): Promise<number> {
  let options: { out: string; batchBy: BatchBy } | "help";
  try {
    options = parseInventoryArgs(argv);
  } catch (error) {
    io.err(`coexist inventory: ${error instanceof Error ? error.message : String(error)}\n\n${INVENTORY_HELP}`);
    return 2;
  }
  if (options === "help") {
    io.out(INVENTORY_HELP);
    return 0;
  }
  let files: Record<string, string>;
  try {
    files = inventoryFiles(await readDirectory(directory, io), options.batchBy);
  } catch (error) {
    io.err(`coexist inventory: ${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  }
  mkdirSync(options.out, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(options.out, name), text);
  io.err(`inventory: wrote ${Object.keys(files).join(", ")} to ${options.out}\n`);
  return 0;
}

export function parseInventoryArgs(argv: string[]): { out: string; batchBy: BatchBy } | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  let out: string | undefined;
  let batchBy: BatchBy = "department";
  for (let index = 0; index < argv.length; index += 2) {
    const [flag, value] = [argv[index], argv[index + 1]];
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    if (flag === "--out") out = value;
    else if (flag === "--batch-by" && (value === "department" || value === "orgunit")) batchBy = value;
    else if (flag === "--batch-by") throw new Error(`--batch-by is department or orgunit, not "${value}"`);
    else throw new Error(`unknown argument ${flag}`);
  }
  if (out === undefined) throw new Error("--out <dir> is required: the folder to write the files into");
  return { out, batchBy };
}

export interface Inventory {
  users: DirectoryUser[];
  groups: { group: DirectoryGroup; members: DirectoryMember[] }[];
  domains: DirectoryDomain[];
}

/** Reads the whole Directory, with progress on stderr (members are read per group, a few groups at once). */
export async function readDirectory(directory: DirectoryReads, io: Pick<InventoryIo, "err">): Promise<Inventory> {
  const users = await needingScope("Google users", DIRECTORY_SCOPES, () => directory.users());
  io.err(`inventory: ${users.length} users\n`);
  const domains = await needingScope("Google domains", DIRECTORY_DOMAIN_SCOPES, () => directory.domains());
  const groupList = await needingScope("Google groups", DIRECTORY_GROUP_SCOPES, () => directory.groups());
  const groups: Inventory["groups"] = [];
  const concurrency = 4;
  for (let start = 0; start < groupList.length; start += concurrency) {
    const slice = groupList.slice(start, start + concurrency);
    const members = await Promise.all(slice.map((group) => needingScope(`members of ${group.email}`, DIRECTORY_GROUP_SCOPES, () => directory.members(String(group.email)))));
    slice.forEach((group, index) => groups.push({ group, members: members[index] }));
    io.err(`inventory: members of ${groups.length}/${groupList.length} groups\n`);
  }
  return { users, groups, domains };
}

const lower = (address: string | null | undefined): string => (address ?? "").trim().toLowerCase();
const sortedAddresses = (addresses: (string | null | undefined)[] | null | undefined): string[] => [...new Set((addresses ?? []).map(lower).filter(Boolean))].sort();
const byEmail = <T>(key: (item: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

function csv(header: string[], rows: string[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

function batchOf(user: DirectoryUser, batchBy: BatchBy): string {
  if (batchBy === "orgunit") return user.orgUnitPath?.trim() || UNASSIGNED_BATCH;
  const organizations = (user.organizations ?? []) as { department?: string; primary?: boolean }[];
  const organization = organizations.find((entry) => entry.primary) ?? organizations[0];
  return organization?.department?.trim() || UNASSIGNED_BATCH;
}

/** Every file of the inventory, by name: pure, so the same Directory always gives the same bytes. */
export function inventoryFiles(inventory: Inventory, batchBy: BatchBy): Record<string, string> {
  const primary = lower(inventory.domains.find((domain) => domain.isPrimary)?.domainName);
  const users = [...inventory.users].filter((user) => !primary || lower(user.primaryEmail).endsWith(`@${primary}`)).sort(byEmail((user) => lower(user.primaryEmail)));
  const usersCsv = csv(
    ["email", "firstName", "lastName", "batch", "aliases"],
    users.map((user) => [lower(user.primaryEmail), user.name?.givenName ?? "", user.name?.familyName ?? "", batchOf(user, batchBy), [...sortedAddresses(user.aliases), ...sortedAddresses(user.nonEditableAliases)].join(" ")]),
  );
  const groups = [...inventory.groups].sort(byEmail(({ group }) => lower(group.email)));
  const groupsCsv = csv(
    ["email", "name", "aliases", "members", "plan"],
    groups.map(({ group, members }) => [
      lower(group.email),
      group.name ?? "",
      [...sortedAddresses(group.aliases), ...sortedAddresses(group.nonEditableAliases)].join(" "),
      sortedAddresses(members.map((member) => member.email)).join(" "),
      "",
    ]),
  );
  const domainRows = inventory.domains.flatMap((domain) => [
    [lower(domain.domainName), domain.isPrimary ? "primary" : "secondary", ""],
    ...(domain.domainAliases ?? []).map((alias) => [lower(alias.domainAliasName), "alias", lower(domain.domainName)]),
  ]);
  domainRows.sort(byEmail((row) => row[0]));
  const domainsCsv = csv(["domain", "kind", "aliasOf"], domainRows);
  return { "users.csv": usersCsv, "groups.csv": groupsCsv, "domains.csv": domainsCsv, "policy-config.json": policyConfig(inventory, domainRows.map((row) => row[0])) };
}

/** The policy pack's tenant facts (docs/safety-checks.md): every Google domain, address (with its kind and owner) and group. */
function policyConfig(inventory: Inventory, domains: string[]): string {
  // googleAddresses reads only the Google users and groups of a tenant state.
  const google = {
    users: inventory.users.map((user) => ({ primaryEmail: lower(user.primaryEmail), aliases: sortedAddresses(user.aliases), nonEditableAliases: sortedAddresses(user.nonEditableAliases) })),
    groups: inventory.groups.map(({ group }) => ({ email: lower(group.email), aliases: sortedAddresses(group.aliases), nonEditableAliases: sortedAddresses(group.nonEditableAliases) })),
  };
  const addresses = googleAddresses({ google } as unknown as TenantState).sort(byEmail((entry) => entry.address));
  const groups = [...inventory.groups]
    .sort(byEmail(({ group }) => lower(group.email)))
    .map(({ group, members }) => ({
      email: lower(group.email),
      aliases: sortedAddresses(group.aliases),
      nonEditableAliases: sortedAddresses(group.nonEditableAliases),
      members: members
        .map((member) => ({ ...(member.email ? { email: lower(member.email) } : {}), type: member.type ?? "USER", ...(member.delivery_settings ? { deliverySettings: member.delivery_settings } : {}) }))
        .sort(byEmail((member) => `${member.email ?? ""} ${member.type}`)),
    }));
  return JSON.stringify({ "mail-flow-safety": { googleDomains: domains, googleAddresses: addresses, googleGroups: groups } }, null, 2) + "\n";
}
