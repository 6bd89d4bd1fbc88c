import assert from "node:assert/strict";
import { parseUsersCsv, UsersCsvError, type MigrationUser } from "../../../provider/components/usersCsv";

const OPTIONS = { primaryDomain: "contoso.com" };
const HEADER = "email,firstName,lastName,batch";

function csv(...lines: string[]): string {
  return lines.join("\n");
}

function problemsOf(text: string, options = OPTIONS): string[] {
  try {
    parseUsersCsv(text, options);
  } catch (error) {
    assert.ok(error instanceof UsersCsvError, String(error));
    assert.ok(error.problems.every((problem) => error.message.includes(problem)));
    return error.problems;
  }
  assert.fail("expected the CSV to be refused");
}

const ALICE: MigrationUser = {
  email: "alice@contoso.com",
  firstName: "Alice",
  lastName: "Smith",
  displayName: "Alice Smith",
  alias: "alice",
  batch: "wave-1",
};

describe("parseUsersCsv", () => {
  describe("reads", () => {
    const table: { name: string; text: string; users: MigrationUser[] }[] = [
      {
        name: "the required columns, deriving displayName and alias",
        text: csv(HEADER, "alice@contoso.com,Alice,Smith,wave-1"),
        users: [ALICE],
      },
      {
        name: "every column, in any order, under other spellings and cases",
        text: csv(
          "Batch,E-mail,First Name,last_name,Display Name,Dept,usage_location,mailNickname",
          "wave-1,alice@contoso.com,Alice,Smith,Alice S.,Sales,de,asmith",
        ),
        users: [{ ...ALICE, displayName: "Alice S.", department: "Sales", usageLocation: "DE", alias: "asmith" }],
      },
      {
        name: "quoted values with commas",
        text: csv(HEADER + ",displayName", 'alice@contoso.com,Alice,Smith,wave-1,"Smith, Alice (Al)"'),
        users: [{ ...ALICE, displayName: "Smith, Alice (Al)" }],
      },
      {
        name: "CRLF line endings, a byte order mark, blank lines and a final line break",
        text: `\uFEFF${HEADER}\r\nalice@contoso.com,Alice,Smith,wave-1\r\n\r\nbob@contoso.com,Bob,Jones,wave-2\r\n`,
        users: [ALICE, { email: "bob@contoso.com", firstName: "Bob", lastName: "Jones", displayName: "Bob Jones", alias: "bob", batch: "wave-2" }],
      },
      {
        name: "addresses in any case, trimmed, stored lower-cased",
        text: csv(HEADER, " Alice@Contoso.COM , Alice , Smith , wave-1 "),
        users: [ALICE],
      },
      {
        name: "a user with only a display name",
        text: csv(HEADER + ",displayName", "room1@contoso.com,,,wave-1,Room 1"),
        users: [{ email: "room1@contoso.com", firstName: "", lastName: "", displayName: "Room 1", alias: "room1", batch: "wave-1" }],
      },
      {
        name: "a header without users",
        text: HEADER,
        users: [],
      },
    ];
    for (const { name, text, users } of table) {
      it(name, () => assert.deepEqual(parseUsersCsv(text, OPTIONS), users));
    }
  });

  describe("refuses, naming line, column and fix", () => {
    const table: { name: string; text: string; problem: string }[] = [
      { name: "a malformed address", text: csv(HEADER, "alice@@contoso.com,Alice,Smith,wave-1"), problem: 'line 2, column email: "alice@@contoso.com" is not an email address; write it as name@contoso.com' },
      { name: "an address without a domain", text: csv(HEADER, "alice,Alice,Smith,wave-1"), problem: 'line 2, column email: "alice" is not an email address' },
      { name: "an empty address", text: csv(HEADER, ",Alice,Smith,wave-1"), problem: "line 2, column email: empty; give the user's address, e.g. name@contoso.com" },
      { name: "an address in another domain", text: csv(HEADER, "alice@fabrikam.com,Alice,Smith,wave-1"), problem: "line 2, column email: alice@fabrikam.com is not in the primary domain contoso.com; use the user's @contoso.com address" },
      { name: "an address in a subdomain", text: csv(HEADER, "alice@sales.contoso.com,Alice,Smith,wave-1"), problem: "line 2, column email: alice@sales.contoso.com is not in the primary domain contoso.com" },
      {
        name: "a duplicate user, whatever the case",
        text: csv(HEADER, "alice@contoso.com,Alice,Smith,wave-1", "bob@contoso.com,Bob,Jones,wave-1", "ALICE@contoso.com,Alice,Smith,wave-2"),
        problem: "line 4, column email: alice@contoso.com is already on line 2; keep one row per user",
      },
      {
        name: "a duplicate alias",
        text: csv(HEADER + ",alias", "alice@contoso.com,Alice,Smith,wave-1,", "asmith@contoso.com,Anna,Smith,wave-1,Alice"),
        problem: "line 3, column alias: alias Alice is already used on line 2; give each user an alias of its own",
      },
      { name: "an empty batch", text: csv(HEADER, "alice@contoso.com,Alice,Smith,"), problem: "line 2, column batch: empty; name the migration batch of this user, e.g. wave-1" },
      { name: "a tab", text: csv(HEADER, 'alice@contoso.com,"Al\tice",Smith,wave-1'), problem: "line 2, column firstName: contains the control character U+0009 (a line break, tab or similar); remove it" },
      { name: "a line break inside a quoted value", text: csv(HEADER, 'alice@contoso.com,Alice,"Smith\nJones",wave-1'), problem: "line 2, column lastName: contains the control character U+000A" },
      { name: "a huge value", text: csv(HEADER, `alice@contoso.com,${"A".repeat(257)},Smith,wave-1`), problem: "line 2, column firstName: the value has 257 characters, more than 256; shorten it" },
      { name: "a wildcard in a name", text: csv(HEADER, "alice@contoso.com,Al*,Smith,wave-1"), problem: 'line 2, column firstName: "Al*" contains "*", which looks like a wildcard or PowerShell; remove it' },
      { name: "a subexpression in a name", text: csv(HEADER, "alice@contoso.com,Alice,$(Get-Date),wave-1"), problem: 'line 2, column lastName: "$(Get-Date)" contains "$", which looks like a wildcard or PowerShell' },
      {
        name: "doubled quotes (parsed, then refused like every quote in a name)",
        text: csv(HEADER + ",displayName", 'alice@contoso.com,Alice,Smith,wave-1,"Smith, Alice ""Al"""'),
        problem: 'line 2, column displayName: "Smith, Alice "Al"" contains """',
      },
      { name: "a semicolon in a display name", text: csv(HEADER + ",displayName", "alice@contoso.com,Alice,Smith,wave-1,Alice; rm"), problem: 'line 2, column displayName: "Alice; rm" contains ";"' },
      { name: "a backtick in an alias", text: csv(HEADER + ",alias", "alice@contoso.com,Alice,Smith,wave-1,al`ice"), problem: 'line 2, column alias: "al`ice" contains "`"' },
      { name: "a pipe in a batch", text: csv(HEADER, "alice@contoso.com,Alice,Smith,wave|1"), problem: 'line 2, column batch: "wave|1" contains "|"' },
      { name: "an alias with a space", text: csv(HEADER + ",alias", "alice@contoso.com,Alice,Smith,wave-1,al ice"), problem: `line 2, column alias: "al ice" is not a valid alias; use letters, digits and . - _ '` },
      { name: "a usage location that is not a country code", text: csv(HEADER + ",usageLocation", "alice@contoso.com,Alice,Smith,wave-1,USA"), problem: 'line 2, column usageLocation: "USA" is not a two-letter country code; use one such as US, GB or DE' },
      { name: "a user without any name", text: csv(HEADER, "alice@contoso.com,,,wave-1"), problem: "line 2, column displayName: no name: firstName, lastName and displayName are all empty; give at least one" },
      { name: "a missing required column", text: csv("email,firstName,surname", "alice@contoso.com,Alice,Smith"), problem: "line 1: required column batch missing from the header; the header must name email, firstName, lastName, batch" },
      { name: "an unknown column", text: csv(HEADER + ",frist_name", "alice@contoso.com,Alice,Smith,wave-1,x"), problem: 'line 1: unknown column "frist_name"; use email, firstName, lastName, batch, displayName, department, usageLocation, alias' },
      { name: "a column named twice", text: csv(HEADER + ",first_name", "alice@contoso.com,Alice,Smith,wave-1,Alice"), problem: 'line 1: column firstName appears twice ("first_name"); keep one' },
      { name: "a row with too many values", text: csv(HEADER, "alice@contoso.com,Smith, Alice,Smith,wave-1"), problem: "line 2: 5 values, but the header has 4 columns; enclose values that contain commas in double quotes" },
      { name: "a quoted value never closed", text: csv(HEADER, 'alice@contoso.com,"Alice,Smith,wave-1'), problem: "line 2: a quoted value is never closed; add the closing double quote" },
      { name: "a quote inside an unquoted value", text: csv(HEADER, 'alice@contoso.com,Al"ice,Smith,wave-1'), problem: 'line 2: a double quote inside an unquoted value; enclose the whole value in double quotes and write a quote inside it as ""' },
      { name: "text after a closing quote", text: csv(HEADER, 'alice@contoso.com,"Alice" B,Smith,wave-1'), problem: "line 2: text after the closing quote of a value" },
      { name: "an empty file", text: "", problem: "line 1: no header row; start the file with email,firstName,lastName,batch" },
      {
        name: "a line number after a value spanning lines",
        text: csv(HEADER + ",displayName", 'alice@contoso.com,Alice,Smith,wave-1,"Alice', 'Smith"', "bob@fabrikam.com,Bob,Jones,wave-1,Bob"),
        problem: "line 4, column email: bob@fabrikam.com is not in the primary domain contoso.com",
      },
    ];
    for (const { name, text, problem } of table) {
      it(name, () => {
        const problems = problemsOf(text);
        assert.ok(problems.some((p) => p.startsWith(problem)), `expected "${problem}" among\n${problems.join("\n")}`);
      });
    }
  });

  it("lists every problem of the file at once and returns no users", () => {
    const problems = problemsOf(
      csv(HEADER, "alice@fabrikam.com,Alice,Smith,wave-1", "bob@contoso.com,Bob,Jones,wave-1", "carol@contoso.com,Ca*rol,Lee,", "dave@contoso.com,Dave,Lee,wave-1"),
    );
    assert.deepEqual(
      problems.map((problem) => problem.slice(0, problem.indexOf(":"))),
      ["line 2, column email", "line 4, column firstName", "line 4, column batch"],
    );
  });

  it("says how many problems there are", () => {
    assert.throws(() => parseUsersCsv(csv(HEADER, "alice@contoso.com,Alice,Smith,"), OPTIONS), /^UsersCsvError: users CSV has 1 problem:\n {2}- line 2, column batch/);
  });

  it("refuses a primary domain that is not a domain name", () => {
    assert.throws(() => parseUsersCsv(HEADER, { primaryDomain: "contoso" }), /options\.primaryDomain "contoso" is not a domain name; give the primary mail domain, e\.g\. contoso\.com/);
  });
});
