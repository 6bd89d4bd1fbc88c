/** One user of a migration, as read from the users CSV. */
export interface MigrationUser {
  /** Primary address in the primary domain, lower-cased. */
  email: string;
  firstName: string;
  lastName: string;
  /** From the CSV, else `firstName lastName`. */
  displayName: string;
  /** Exchange alias (mailNickname): from the CSV, else the local part of `email`. */
  alias: string;
  batch: string;
  department?: string;
  /** ISO 3166-1 alpha-2 country code, upper-cased (needed to license the user). */
  usageLocation?: string;
  /** The user's other addresses (Google aliases, alias-domain addresses), lower-cased. */
  aliases?: string[];
}

export interface UsersCsvOptions {
  primaryDomain: string;
}

/** Every problem of a users CSV at once, each naming the line, the column and the fix. */
export class UsersCsvError extends Error {
  constructor(
    readonly problems: string[],
    file = "users CSV",
  ) {
    super(`${file} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "UsersCsvError";
  }
}

type Column = "email" | "firstName" | "lastName" | "batch" | "displayName" | "department" | "usageLocation" | "alias" | "aliases";

const REQUIRED_COLUMNS: readonly Column[] = ["email", "firstName", "lastName", "batch"];

/** A list cell: values separated by spaces (`coexist inventory` writes them so); commas and semicolons are accepted too. */
export function listCell(value: string): string[] {
  return value.split(/[\s,;]+/).filter(Boolean);
}

/** Header spellings, compared without case, spaces, `_`, `-` and `.`: `First Name`, `first_name` and `firstName` are one. */
const COLUMN_SPELLINGS: Record<Column, readonly string[]> = {
  email: ["email", "emailaddress", "mail", "primaryemail", "primarysmtpaddress"],
  firstName: ["firstname", "givenname"],
  lastName: ["lastname", "surname", "familyname"],
  batch: ["batch", "migrationbatch", "wave"],
  displayName: ["displayname"],
  department: ["department", "dept"],
  usageLocation: ["usagelocation", "countrycode"],
  alias: ["alias", "mailnickname"],
  aliases: ["aliases", "otheraddresses", "emailaliases"],
};


const MAX_VALUE_LENGTH = 256;
const MAX_ALIAS_LENGTH = 64;
/**
 * Characters that would act as a wildcard or run code if a value reached a PowerShell command line
 * (the same set the resources refuse in names, so a bad cell is reported here, on its line).
 */
const POWERSHELL_LOOKING = ["$", "*", "?", ";", "`", "|", "<", ">", '"', "\\"];
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const ATOM = "[a-z0-9_%+'-]+";
/** Dot-atom local part of the characters the resources accept: also a valid Exchange alias. */
const LOCAL_PART = new RegExp(`^${ATOM}(\\.${ATOM})*$`, "i");
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const COUNTRY_CODE = /^[a-z]{2}$/i;

/**
 * Reads the migration users from RFC 4180 CSV text (quoted fields with commas, quotes and line
 * breaks, CRLF or LF, optional BOM). The header row names the columns: `email`, `firstName`,
 * `lastName`, `batch`, optionally `displayName`, `department`, `usageLocation`, `alias` (the
 * Exchange mail nickname) and `aliases` (the user's other addresses, space-separated). Returns
 * every user or throws one UsersCsvError listing every problem; never a partial list.
 */
export function parseUsersCsv(text: string, options: UsersCsvOptions): MigrationUser[] {
  const primaryDomain = String(options?.primaryDomain ?? "").trim().toLowerCase();
  if (!DOMAIN.test(primaryDomain)) {
    throw new Error(`options.primaryDomain "${options?.primaryDomain}" is not a domain name; give the primary mail domain, e.g. contoso.com`);
  }
  const { records, problems } = readCsvRecords(text);
  const [header, ...rows] = records;
  if (header === undefined) {
    throw new UsersCsvError([...problems, `line 1: no header row; start the file with ${REQUIRED_COLUMNS.join(",")}`]);
  }
  const knownColumns = readHeader(header, problems, COLUMN_SPELLINGS, REQUIRED_COLUMNS);
  const users = knownColumns === undefined ? [] : readUsers(rows, knownColumns, primaryDomain, problems);
  if (problems.length > 0) throw new UsersCsvError(problems);
  return users;
}

export interface CsvRecord {
  /** Line on which the record starts (1-based). */
  line: number;
  fields: string[];
}

/** RFC 4180 records; syntax problems are added to `problems`. Blank lines are skipped. */
export function readCsvRecords(text: string): { records: CsvRecord[]; problems: string[] } {
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const problems: string[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let afterClosingQuote = false;
  let badQuoteReported = false;
  const endField = () => {
    fields.push(field);
    field = "";
    afterClosingQuote = false;
  };
  const endRecord = () => {
    endField();
    if (fields.length > 1 || fields[0] !== "") records.push({ line: recordLine, fields });
    fields = [];
    badQuoteReported = false;
    recordLine = line;
  };
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (inQuotes) {
      if (char === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        inQuotes = false;
        afterClosingQuote = true;
      } else {
        if (char === "\n" || (char === "\r" && input[i + 1] !== "\n")) line++;
        field += char;
      }
    } else if (char === ",") {
      endField();
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && input[i + 1] === "\n") i++;
      line++;
      endRecord();
    } else if (char === '"' && field === "" && !afterClosingQuote) {
      inQuotes = true;
    } else {
      if ((char === '"' || afterClosingQuote) && !badQuoteReported) {
        problems.push(
          `line ${line}: ${char === '"' && !afterClosingQuote ? "a double quote inside an unquoted value" : "text after the closing quote of a value"}; enclose the whole value in double quotes and write a quote inside it as ""`,
        );
        badQuoteReported = true;
      }
      field += char;
    }
  }
  if (inQuotes) {
    problems.push(`line ${recordLine}: a quoted value is never closed; add the closing double quote`);
  } else if (field !== "" || fields.length > 0) {
    endRecord();
  }
  return { records, problems };
}

function headerKey(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_.-]/g, "");
}

export interface Header<C extends string> {
  columns: Map<C, number>;
  /** Number of header fields, unknown columns included: every row must have as many. */
  width: number;
}

/** The header's columns by their spellings, or undefined when a required column is missing. */
export function readHeader<C extends string>(header: CsvRecord, problems: string[], spellings: Record<C, readonly string[]>, required: readonly C[]): Header<C> | undefined {
  const bySpelling = new Map(Object.entries<readonly string[]>(spellings).flatMap(([column, names]) => names.map((name) => [name, column as C])));
  const columns = new Map<C, number>();
  header.fields.forEach((name, index) => {
    const column = bySpelling.get(headerKey(name));
    if (column === undefined) {
      problems.push(
        `line ${header.line}: unknown column "${name.trim()}"; use ${Object.keys(spellings).join(", ")} (spellings such as first_name or "First Name" work too)`,
      );
    } else if (columns.has(column)) {
      problems.push(`line ${header.line}: column ${column} appears twice ("${name.trim()}"); keep one`);
    } else {
      columns.set(column, index);
    }
  });
  const missing = required.filter((column) => !columns.has(column));
  if (missing.length === 0) return { columns, width: header.fields.length };
  problems.push(
    `line ${header.line}: required column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} missing from the header; the header must name ${required.join(", ")}`,
  );
  return undefined;
}

/**
 * One row's cells: `checked` gives the trimmed value (undefined after recording why it cannot be
 * used: a control character, too long), `text` also refuses PowerShell-looking characters. Every
 * problem lands in `problems`, naming the line and column, and `hasProblems` says whether this row
 * added any. Undefined when the row's width is wrong.
 */
export function rowCells<C extends string>(
  row: CsvRecord,
  header: Header<C>,
  problems: string[],
): { checked(column: C): string | undefined; text(column: C): string | undefined; problem(column: C, text: string): void; hasProblems(): boolean } | undefined {
  const before = problems.length;
  if (row.fields.length !== header.width) {
    problems.push(
      `line ${row.line}: ${row.fields.length} values, but the header has ${header.width} columns; enclose values that contain commas in double quotes`,
    );
    return undefined;
  }
  const problem = (column: C, text: string) => problems.push(`line ${row.line}, column ${column}: ${text}`);
  const checked = (column: C): string | undefined => {
    const index = header.columns.get(column);
    const value = index === undefined ? "" : row.fields[index].trim();
    const control = CONTROL_CHARACTER.exec(value);
    if (control) {
      const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      problem(column, `contains the control character U+${code} (a line break, tab or similar); remove it`);
      return undefined;
    }
    if (value.length > MAX_VALUE_LENGTH && !LIST_COLUMNS.has(column)) {
      problem(column, `the value has ${value.length} characters, more than ${MAX_VALUE_LENGTH}; shorten it`);
      return undefined;
    }
    return value;
  };
  const text = (column: C): string | undefined => {
    const value = checked(column);
    const token = value === undefined ? undefined : POWERSHELL_LOOKING.find((t) => value.includes(t));
    if (token === undefined) return value;
    problem(column, `"${value}" contains "${token}", which looks like a wildcard or PowerShell; remove it`);
    return undefined;
  };
  return { checked, text, problem, hasProblems: () => problems.length > before };
}

/** Columns holding lists of addresses, which may be long (a group's members). */
const LIST_COLUMNS = new Set<string>(["aliases", "members"]);

/** An email address of the characters the resources accept, lower-cased; undefined when it is not one. */
export function emailCell(value: string): string | undefined {
  const address = value.trim().toLowerCase();
  const at = address.lastIndexOf("@");
  return at > 0 && isAlias(address.slice(0, at)) && DOMAIN.test(address.slice(at + 1)) ? address : undefined;
}

function readUsers(rows: CsvRecord[], header: Header<Column>, primaryDomain: string, problems: string[]): MigrationUser[] {
  const users: MigrationUser[] = [];
  const lineOfEmail = new Map<string, number>();
  const lineOfAlias = new Map<string, number>();
  const isDuplicate = (seen: Map<string, number>, key: string, line: number, problem: (earlier: number) => string) => {
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, line);
    else problems.push(problem(earlier));
    return earlier !== undefined;
  };
  for (const row of rows) {
    const user = readUser(row, header, primaryDomain, problems);
    if (user === undefined) continue;
    const duplicateEmail = isDuplicate(lineOfEmail, user.email, row.line, (earlier) =>
      `line ${row.line}, column email: ${user.email} is already on line ${earlier}; keep one row per user`,
    );
    const duplicateAlias = isDuplicate(lineOfAlias, user.alias.toLowerCase(), row.line, (earlier) =>
      `line ${row.line}, column alias: alias ${user.alias} is already used on line ${earlier}; give each user an alias of its own`,
    );
    if (!duplicateEmail && !duplicateAlias) users.push(user);
  }
  checkAliasesAcrossUsers(users, lineOfEmail, problems);
  return users;
}

/** An address is one user's: no alias may be another user's address or alias. */
function checkAliasesAcrossUsers(users: MigrationUser[], lineOf: Map<string, number>, problems: string[]): void {
  const holder = new Map<string, string>(users.map((user) => [user.email, user.email]));
  for (const user of users) {
    for (const alias of user.aliases ?? []) {
      const other = holder.get(alias);
      if (other !== undefined && other !== user.email) {
        problems.push(`line ${lineOf.get(user.email)}, column aliases: ${alias} is already ${other === alias ? "a user's address" : `an alias of ${other}`} (line ${lineOf.get(other)}); an address belongs to one user`);
      } else {
        holder.set(alias, user.email);
      }
    }
  }
}

function readUser(row: CsvRecord, header: Header<Column>, primaryDomain: string, problems: string[]): MigrationUser | undefined {
  const cells = rowCells(row, header, problems);
  if (!cells) return undefined;
  const { checked, text, problem } = cells;
  const email = checkEmail(checked("email")?.toLowerCase(), primaryDomain, (t) => problem("email", t));
  const firstName = text("firstName");
  const lastName = text("lastName");
  const displayName = text("displayName");
  const department = text("department");
  const batch = text("batch");
  if (batch === "") problem("batch", "empty; name the migration batch of this user, e.g. wave-1");
  const alias = text("alias");
  if (alias && !isAlias(alias)) {
    problem("alias", `"${alias}" is not a valid alias; use letters, digits and . - _ ' (at most ${MAX_ALIAS_LENGTH} characters, no dot at either end)`);
  }
  const aliases = checkAliases(checked("aliases"), email, (t) => problem("aliases", t));
  const usageLocation = checked("usageLocation");
  if (usageLocation && !COUNTRY_CODE.test(usageLocation)) {
    problem("usageLocation", `"${usageLocation}" is not a two-letter country code; use one such as US, GB or DE`);
  }
  const name = displayName || `${firstName ?? ""} ${lastName ?? ""}`.trim();
  if (displayName === "" && firstName === "" && lastName === "") {
    problem("displayName", "no name: firstName, lastName and displayName are all empty; give at least one");
  }
  if (cells.hasProblems() || email === undefined) return undefined;
  return {
    email,
    firstName: firstName ?? "",
    lastName: lastName ?? "",
    displayName: name,
    alias: alias || email.slice(0, email.lastIndexOf("@")),
    batch: batch ?? "",
    ...(department ? { department } : {}),
    ...(usageLocation ? { usageLocation: usageLocation.toUpperCase() } : {}),
    ...(aliases.length > 0 ? { aliases } : {}),
  };
}

/** The aliases cell: addresses, each once, none the user's own. */
function checkAliases(value: string | undefined, email: string | undefined, problem: (text: string) => void): string[] {
  const aliases: string[] = [];
  for (const entry of listCell(value ?? "").map((alias) => alias.toLowerCase())) {
    if (emailCell(entry) === undefined) problem(`"${entry}" is not an email address; list the user's other addresses separated by spaces, e.g. al@contoso.com`);
    else if (entry === email) problem(`${entry} is the user's own address; list only its other addresses`);
    else if (aliases.includes(entry)) problem(`${entry} is listed twice; list it once`);
    else aliases.push(entry);
  }
  return aliases;
}

function checkEmail(value: string | undefined, primaryDomain: string, problem: (text: string) => void): string | undefined {
  if (value === undefined) return undefined;
  if (value === "") {
    problem(`empty; give the user's address, e.g. name@${primaryDomain}`);
    return undefined;
  }
  const at = value.lastIndexOf("@");
  const localPart = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at < 0 || !isAlias(localPart) || !DOMAIN.test(domain)) {
    problem(`"${value}" is not an email address; write it as name@${primaryDomain}`);
    return undefined;
  }
  if (domain !== primaryDomain) {
    problem(`${value} is not in the primary domain ${primaryDomain}; use the user's @${primaryDomain} address`);
    return undefined;
  }
  return value;
}

/** Dot-atom of the safe characters: valid as an address local part and as an Exchange alias. */
function isAlias(value: string): boolean {
  return value.length <= MAX_ALIAS_LENGTH && LOCAL_PART.test(value);
}
