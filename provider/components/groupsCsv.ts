import { emailCell, listCell, readCsvRecords, readHeader, rowCells, UsersCsvError, type CsvRecord, type Header } from "./usersCsv";

/** What becomes of a Google group: an Exchange distribution group, or it stays at Google behind a mail contact. */
export type GroupPlan = "migrate" | "keep";
export const GROUP_PLANS: readonly GroupPlan[] = ["migrate", "keep"];

/** One Google group, as read from the groups CSV (`coexist inventory` writes it). */
export interface MigrationGroup {
  /** The group's address, lower-cased. */
  email: string;
  /** Its name, else the local part of its address. */
  name: string;
  /** Its other addresses: aliases and alias-domain addresses. */
  aliases: string[];
  /** Its direct members' addresses: users, other groups, outside addresses. */
  members: string[];
  /** Empty until the admin decides. */
  plan?: GroupPlan;
}

type Column = "email" | "name" | "aliases" | "members" | "plan";

const COLUMN_SPELLINGS: Record<Column, readonly string[]> = {
  email: ["email", "emailaddress", "group", "groupemail", "address"],
  name: ["name", "displayname", "groupname"],
  aliases: ["aliases", "otheraddresses"],
  members: ["members", "member"],
  plan: ["plan", "decision"],
};

const REQUIRED_COLUMNS: readonly Column[] = ["email", "plan"];
const MAX_NAME_LENGTH = 64;

/**
 * Reads the Google groups from RFC 4180 CSV text: the header names `email` and `plan`, optionally
 * `name`, `aliases` and `members` (addresses separated by spaces). `plan` is `migrate`, `keep` or
 * empty (not decided yet). Returns every group or throws one UsersCsvError listing every problem.
 */
export function parseGroupsCsv(text: string): MigrationGroup[] {
  const { records, problems } = readCsvRecords(text);
  const [header, ...rows] = records;
  if (header === undefined) throw new UsersCsvError([...problems, `line 1: no header row; start the file with email,name,aliases,members,plan`]);
  const columns = readHeader(header, problems, COLUMN_SPELLINGS, REQUIRED_COLUMNS);
  const groups = columns === undefined ? [] : readGroups(rows, columns, problems);
  if (problems.length > 0) throw new UsersCsvError(problems, "groups CSV");
  return groups;
}

function readGroups(rows: CsvRecord[], header: Header<Column>, problems: string[]): MigrationGroup[] {
  const groups: MigrationGroup[] = [];
  const lineOf = new Map<string, number>();
  for (const row of rows) {
    const group = readGroup(row, header, problems);
    if (!group) continue;
    for (const address of [group.email, ...group.aliases]) {
      const earlier = lineOf.get(address);
      if (earlier !== undefined) problems.push(`line ${row.line}: ${address} is already a group's address on line ${earlier}; an address belongs to one group`);
      else lineOf.set(address, row.line);
    }
    groups.push(group);
  }
  return groups;
}

function readGroup(row: CsvRecord, header: Header<Column>, problems: string[]): MigrationGroup | undefined {
  const cells = rowCells(row, header, problems);
  if (!cells) return undefined;
  const { checked, text, problem } = cells;
  const rawEmail = checked("email");
  const email = rawEmail ? emailCell(rawEmail) : undefined;
  if (rawEmail !== undefined && email === undefined) problem("email", rawEmail === "" ? "empty; give the group's address, e.g. sales@contoso.com" : `"${rawEmail}" is not an email address`);
  const name = text("name");
  if (name && name.length > MAX_NAME_LENGTH) problem("name", `has ${name.length} characters; Exchange names hold at most ${MAX_NAME_LENGTH}`);
  const addresses = (column: "aliases" | "members"): string[] => {
    const found: string[] = [];
    for (const entry of listCell(checked(column) ?? "")) {
      const address = emailCell(entry);
      if (address === undefined) problem(column, `"${entry}" is not an email address; separate addresses with spaces`);
      else if (address === email) problem(column, `${address} is the group's own address`);
      else if (!found.includes(address)) found.push(address);
    }
    return found;
  };
  const aliases = addresses("aliases");
  const members = addresses("members");
  const plan = checked("plan")?.toLowerCase();
  if (plan && !(GROUP_PLANS as readonly string[]).includes(plan)) problem("plan", `"${plan}" is not one of ${GROUP_PLANS.join(", ")} (or empty while undecided)`);
  if (cells.hasProblems() || email === undefined) return undefined;
  return { email, name: name || email.slice(0, email.lastIndexOf("@")), aliases, members, ...(plan ? { plan: plan as GroupPlan } : {}) };
}
