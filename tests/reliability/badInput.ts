/**
 * Item 4: property-based bad input. Every resource's `check` (called in-process, as the engine
 * would) gets a valid input with one field spoiled — malformed addresses, wildcards, huge values,
 * control characters, PowerShell-looking names, wrong types, duplicates in lists, contradictions
 * between fields — and must refuse it naming that field; random junk must be refused or accepted
 * without an exception; and none of it may reach an API (the sandbox's request counter stays at
 * zero). The users CSV parser gets the same treatment per row and column.
 */
import fc from "fast-check";
import type * as pulumi from "@pulumi/pulumi";
import { configureFromStack } from "../../provider/config";
import { parseUsersCsv, UsersCsvError, type MigrationUser } from "../../provider/components/usersCsv";
import { acceptedDomainProvider } from "../../provider/resources/acceptedDomain";
import { googleForwardingRouteProvider } from "../../provider/resources/googleForwardingRoute";
import { licenseAssignmentProvider } from "../../provider/resources/licenseAssignment";
import { mailUserProvider } from "../../provider/resources/mailUser";
import { outboundConnectorProvider } from "../../provider/resources/outboundConnector";
import { routingDomainProvider } from "../../provider/resources/routingDomain";
import { transportRuleProvider } from "../../provider/resources/transportRule";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { control } from "../../scripts/journey";
import { trustCa } from "../sandbox/harness";

type Inputs = Record<string, unknown>;

/** The valid MailUser example's password: no refusal message may contain it. */
export const EXAMPLE_PASSWORD = "Passw0rd-Example-123";

export interface BadInputResult {
  /** Inputs known to be invalid, and how many of those were refused naming the spoiled field. */
  tried: number;
  refused: number;
  /** Random inputs (any shape) checked without an exception. */
  fuzzed: number;
  /** Valid inputs accepted with normalized values. */
  accepted: number;
  /** API requests the sandbox saw while only invalid or random inputs were checked. */
  apiCallsForInvalid: number;
  /**
   * Characters the CSV parser lets through that MailUser's check then refuses (naming its field),
   * by CSV column: refused at preview, so not failures, but the CSV should name the cell instead.
   */
  lateRefusals: Record<string, string[]>;
  /** Every refusal message, for the secret scan (the valid example's password must never appear). */
  messages: string[];
  failures: string[];
}

// ---- spoiled values ---------------------------------------------------------------------------

const CONTROL = fc.constantFrom("\n", "\r", "\t", "\u0000", "\u001b", "\u007f");
const POWERSHELL = fc.constantFrom("$(Remove-MailUser -Identity *)", "; Remove-Mailbox x", "`whoami`", "| Out-File x", "$env:PATH", "*", "?", "<script>", '"quoted"', "back\\slash");
const huge = (min: number) => fc.string({ minLength: min, maxLength: min + 200 }).map((s) => "x".repeat(min) + s.replace(/[^a-z]/g, ""));
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.array(fc.integer(), { maxLength: 2 }));
const withInsert = (base: string, insert: fc.Arbitrary<string>) =>
  fc.tuple(insert, fc.nat(base.length)).map(([piece, at]) => base.slice(0, at) + piece + base.slice(at));
/** Inside the value: the CSV parser trims the ends of a cell, which is handling, not refusing. */
const withInnerInsert = (base: string, insert: fc.Arbitrary<string>) =>
  fc.tuple(insert, fc.integer({ min: 1, max: base.length - 1 })).map(([piece, at]) => base.slice(0, at) + piece + base.slice(at));

const badDomain = fc.oneof(
  fc.constantFrom("contoso", "*.contoso.com", "*", "a..b.com", "-a.com", "con toso.com", "contoso.com;x", "contoso.c", ".contoso.com", "contoso.com\\x", "xn--.com.", "10.0.0.1"),
  withInsert("contoso.com", fc.oneof(CONTROL, POWERSHELL)),
  huge(254).map((s) => `${s}.com`),
  wrongType,
);
const badEmail = fc.oneof(
  fc.constantFrom("alice", "alice@", "@contoso.com", "a b@contoso.com", "*@contoso.com", "alice@*.contoso.com", "$(whoami)@contoso.com", "alice@contoso", "alice@@contoso.com", ".alice@contoso.com", "al..ice@contoso.com", "alice@contoso.com\r\nBcc: x@evil.com", "alice;bob@contoso.com"),
  huge(65).map((s) => `${s}@contoso.com`),
  withInsert("alice@contoso.com", fc.oneof(CONTROL, POWERSHELL)),
  wrongType,
);
const badName = fc.oneof(withInsert("Alice Smith", fc.oneof(CONTROL, POWERSHELL)), huge(257), wrongType);
const badShortName = fc.oneof(badName, huge(65));
const badAlias = fc.oneof(fc.constantFrom("al ice", "alice@contoso.com", "al*ce", "$(x)", "al;ce", "a|b"), huge(65), withInsert("alice", CONTROL), wrongType);
const badChoice = fc.oneof(fc.constantFrom("Bogus", "internalrelay; x", "*", "Authoritative\n"), wrongType);
const badBoolean = fc.oneof(fc.constantFrom("true", "false", "yes", 1, 0), fc.constant({}));
const badSeconds = fc.oneof(fc.constantFrom(-1, 1.5, 86_401, "60", Number.NaN), fc.constant({}));
const badOwner = fc.oneof(fc.constantFrom("", "project", "project/", "/stack", "a b/c", "p/s]"), wrongType);
const badGuid = fc.oneof(fc.constantFrom("not-a-guid", "9aaf7827-d63c-4b61-89c3-182f06f82e5", "*"), withInsert("9aaf7827-d63c-4b61-89c3-182f06f82e5c", fc.oneof(CONTROL, POWERSHELL)));
const badList = (item: fc.Arbitrary<unknown>, valid: string) =>
  fc.oneof(
    item.map((bad) => [valid, bad]),
    fc.constant([valid, valid.toUpperCase()]),
    fc.constant(valid),
    fc.constant(Array.from({ length: 101 }, (_, i) => `d${i}.${valid.includes("@") ? valid.split("@")[1] : valid}`)),
    fc.constant([valid, 7]),
  );

interface Spoiler {
  field: string;
  value: fc.Arbitrary<unknown>;
  /** The field the refusal must name (a list item names `field[index]`). */
  named?: string;
}

interface ResourceCase {
  resource: string;
  provider: pulumi.dynamic.ResourceProvider;
  valid: Inputs;
  spoilers: Spoiler[];
  /** Whole-input contradictions, each with the field its refusal names. */
  contradictions: { input: Inputs; named: string }[];
}

const CASES: ResourceCase[] = [
  {
    resource: "AcceptedDomain",
    provider: acceptedDomainProvider,
    valid: { domainName: "contoso.com", domainType: "InternalRelay", teardownDomainType: "Authoritative", adopt: false, acceptedDomainTimeoutSeconds: 600 },
    spoilers: [
      { field: "domainName", value: fc.oneof(badDomain, fc.constant("")) },
      { field: "domainType", value: badChoice },
      { field: "teardownDomainType", value: badChoice },
      { field: "adopt", value: badBoolean },
      { field: "acceptedDomainTimeoutSeconds", value: badSeconds },
    ],
    contradictions: [],
  },
  {
    resource: "OutboundConnector",
    provider: outboundConnectorProvider,
    valid: { name: "Google Workspace coexistence", recipientDomains: ["contoso.com"], smartHosts: ["aspmx.l.google.com"], tlsSettings: "None", enabled: true, comment: "to Google", adopt: false, deleteAdopted: false, owner: "migration/production" },
    spoilers: [
      { field: "name", value: badShortName },
      { field: "recipientDomains", value: fc.oneof(badList(badDomain.filter((d) => d !== "*" && d !== "*.contoso.com"), "contoso.com"), fc.constant([])) },
      { field: "smartHosts", value: badList(badDomain.filter((d) => d !== "10.0.0.1"), "aspmx.l.google.com") },
      { field: "tlsSettings", value: badChoice },
      { field: "enabled", value: badBoolean },
      { field: "comment", value: fc.oneof(huge(1025), withInsert("to Google", CONTROL), wrongType) },
      { field: "validationRecipients", value: badList(badEmail, "alice@contoso.com") },
      { field: "deleteAdopted", value: badBoolean },
      { field: "owner", value: badOwner },
    ],
    contradictions: [
      { input: { tlsSettings: "DomainValidation" }, named: "tlsDomain" },
      { input: { tlsDomain: "mx.google.com" }, named: "tlsDomain" },
      { input: { validationRecipients: ["bob@fabrikam.com"] }, named: "validationRecipients[0]" },
    ],
  },
  {
    resource: "RoutingDomain",
    provider: routingDomainProvider,
    valid: { domainName: "o365.contoso.com", parentDomain: "contoso.com", adopt: false, deleteAdopted: false, acceptedDomainTimeoutSeconds: 600 },
    spoilers: [
      { field: "domainName", value: fc.oneof(badDomain, fc.constant(""), fc.constant("o365.fabrikam.com"), fc.constant("contoso.com")) },
      { field: "parentDomain", value: badDomain },
      { field: "adopt", value: badBoolean },
      { field: "deleteAdopted", value: badBoolean },
      { field: "acceptedDomainTimeoutSeconds", value: badSeconds },
    ],
    contradictions: [
      { input: { domainName: "routing.contoso.onmicrosoft.com", parentDomain: "contoso.onmicrosoft.com" }, named: "domainName" },
      { input: { parentDomain: undefined }, named: "parentDomain" },
    ],
  },
  {
    resource: "TransportRule",
    provider: transportRuleProvider,
    valid: { name: "Route Sales to Google", outboundConnector: "Google rule-scoped", sentTo: ["alice@contoso.com"], enabled: true, priority: 0, comments: "x", adopt: false, deleteAdopted: false, owner: "migration/production" },
    spoilers: [
      { field: "name", value: badShortName },
      { field: "outboundConnector", value: badShortName },
      { field: "sentTo", value: badList(badEmail, "alice@contoso.com") },
      { field: "enabled", value: badBoolean },
      { field: "priority", value: fc.oneof(fc.constantFrom(-1, 1.5, 1001, 1e12, "0", Number.NaN), fc.constant({})) },
      { field: "comments", value: fc.oneof(huge(1025), withInsert("x", CONTROL)) },
      { field: "deleteAdopted", value: badBoolean },
      { field: "owner", value: badOwner },
    ],
    contradictions: [
      { input: { sentTo: undefined }, named: "sentTo" },
      { input: { sentTo: [] }, named: "sentTo" },
      { input: { sentToMemberOf: ["sales@contoso.com"] }, named: "sentToMemberOf" },
    ],
  },
  {
    resource: "MailUser",
    provider: mailUserProvider,
    valid: {
      name: "Alice Smith",
      alias: "alice",
      displayName: "Alice Smith",
      firstName: "Alice",
      lastName: "Smith",
      externalEmailAddress: "alice@contoso.com",
      microsoftOnlineServicesId: "alice@contoso.com",
      password: EXAMPLE_PASSWORD,
      routingAddress: "alice@o365.contoso.com",
      adopt: false,
    },
    spoilers: [
      { field: "name", value: fc.oneof(badShortName, fc.constant("")) },
      { field: "alias", value: fc.oneof(badAlias, fc.constant("")) },
      { field: "displayName", value: badName },
      { field: "firstName", value: badShortName },
      { field: "lastName", value: badShortName },
      { field: "externalEmailAddress", value: fc.oneof(badEmail, fc.constant("")) },
      { field: "microsoftOnlineServicesId", value: fc.oneof(badEmail, fc.constant("")) },
      { field: "password", value: fc.oneof(fc.string({ minLength: 1, maxLength: 7 }), huge(257), fc.constant(""), fc.integer()) },
      { field: "routingAddress", value: fc.oneof(badEmail, fc.constant("alice@contoso.com")) },
      { field: "signInEnabled", value: badBoolean },
      { field: "replicationTimeoutSeconds", value: fc.constantFrom(-1, 0.5, 3601, "900") },
      { field: "ownerAttribute", value: fc.constantFrom("CustomAttribute0", "CustomAttribute16", "Comment", "Initials") },
      { field: "adopt", value: badBoolean },
    ],
    contradictions: [],
  },
  {
    resource: "LicenseAssignment",
    provider: licenseAssignmentProvider,
    valid: { userPrincipalName: "alice@contoso.com", sku: "EXCHANGESTANDARD", disabledPlans: [], usageLocation: "US", onDelete: "retain", conversionTimeoutSeconds: 600, adopt: false },
    spoilers: [
      { field: "userPrincipalName", value: fc.oneof(badEmail, fc.constant("")) },
      { field: "sku", value: fc.oneof(huge(65), withInsert("EXCHANGESTANDARD", CONTROL), fc.constant(""), wrongType) },
      { field: "disabledPlans", value: badList(badGuid, "9aaf7827-d63c-4b61-89c3-182f06f82e5c") },
      { field: "usageLocation", value: fc.oneof(fc.constantFrom("USA", "U1", "*", "u s", "$(x)"), huge(9), wrongType) },
      { field: "onDelete", value: badChoice },
      { field: "conversionTimeoutSeconds", value: fc.oneof(fc.constantFrom(-1, 0.5, 86_401, 1e12, "600"), fc.constant({})) },
      { field: "userTimeoutSeconds", value: fc.constantFrom(-1, 0.5, 3601, "900") },
      { field: "adopt", value: badBoolean },
    ],
    contradictions: [],
  },
  {
    resource: "GoogleForwardingRoute",
    provider: googleForwardingRouteProvider,
    valid: { userEmail: "alice@contoso.com", forwardTo: "alice@o365.contoso.com", disposition: "trash", requireMailbox: true, adopt: false },
    spoilers: [
      { field: "userEmail", value: fc.oneof(badEmail, fc.constant("")) },
      { field: "forwardTo", value: fc.oneof(badEmail, fc.constant(""), fc.constant("alice.fwd@contoso.com")) },
      { field: "disposition", value: badChoice },
      { field: "requireMailbox", value: badBoolean },
      { field: "adopt", value: badBoolean },
    ],
    contradictions: [],
  },
];

// ---- the checks -------------------------------------------------------------------------------

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}… (${text.length} characters)` : text;
}

const namesField = (failure: pulumi.dynamic.CheckFailure, field: string): boolean =>
  failure.property === field || failure.property.startsWith(`${field}[`);

export async function runBadInput(log: (line: string) => void, numRuns = 60): Promise<BadInputResult> {
  const result: BadInputResult = { tried: 0, refused: 0, fuzzed: 0, accepted: 0, apiCallsForInvalid: 0, lateRefusals: {}, messages: [], failures: [] };
  const sandbox = await startSandbox();
  try {
    pointClientsAt(sandbox);
    await control(sandbox, "POST", "/sandbox/stats/reset");
    const fail = (text: string) => {
      if (result.failures.length < 50) result.failures.push(text);
    };

    /** Checks an input that must be refused naming `field`. */
    const expectRefused = async (c: ResourceCase, input: Inputs, field: string): Promise<void> => {
      result.tried++;
      let outcome: pulumi.dynamic.CheckResult;
      try {
        outcome = await c.provider.check!({}, input);
      } catch (error) {
        fail(`${c.resource}.check threw for ${field} = ${describe(input[field])}: ${(error as Error).stack}`);
        return;
      }
      const failures = outcome.failures ?? [];
      result.messages.push(...failures.map((f) => f.reason));
      if (failures.some((f) => namesField(f, field) && f.reason.includes(`${c.resource}.`))) result.refused++;
      else fail(`${c.resource}.check did not refuse ${field} = ${describe(input[field])} naming the field (failures: ${describe(failures)})`);
    };

    for (const c of CASES) {
      for (const spoiler of c.spoilers) {
        await fc.assert(
          fc.asyncProperty(spoiler.value, async (value) => {
            await expectRefused(c, { ...c.valid, [spoiler.field]: value }, spoiler.named ?? spoiler.field);
          }),
          { numRuns, seed: 1127 },
        );
      }
      for (const contradiction of c.contradictions) await expectRefused(c, { ...c.valid, ...contradiction.input }, contradiction.named);
      // Junk of any shape, in the resource's own fields and others: refused or accepted, never an exception.
      const fields = [...Object.keys(c.valid), "unknownField"];
      const junk = fc.dictionary(fc.constantFrom(...fields), fc.anything({ maxDepth: 2 }), { maxKeys: fields.length });
      const safe = c.resource === "LicenseAssignment" ? junk.map((input) => ({ ...input, userPrincipalName: "not an address" })) : junk;
      await fc.assert(
        fc.asyncProperty(safe, async (input) => {
          result.fuzzed++;
          try {
            const outcome = await c.provider.check!({}, input);
            for (const f of outcome.failures ?? []) {
              if (!fields.some((field) => namesField(f, field))) fail(`${c.resource}.check refused ${describe(input)} naming ${f.property}, which is not one of its fields`);
            }
          } catch (error) {
            fail(`${c.resource}.check threw for ${describe(input)}: ${(error as Error).stack}`);
          }
        }),
        { numRuns: numRuns * 2, seed: 1127 },
      );
    }
    const late: Late = (column, value) => {
      const seen = new Set([...(result.lateRefusals[column] ?? []), ...(value.match(UNSAFE_IN_NAME) ?? [])]);
      result.lateRefusals[column] = [...seen].sort();
    };
    result.tried += await csvRefusals(numRuns, fail, () => result.refused++, late);
    result.fuzzed += await csvJunk(numRuns * 4, fail);
    result.apiCallsForInvalid = ((await control(sandbox, "GET", "/sandbox/stats")) as { total: number }).total;
    if (result.apiCallsForInvalid > 0) {
      fail(`checking only invalid or random inputs made ${result.apiCallsForInvalid} API request(s): ${JSON.stringify(await control(sandbox, "GET", "/sandbox/stats"))}`);
    }
    // Valid inputs are accepted.
    for (const c of CASES) {
      const outcome = await c.provider.check!({}, { ...c.valid });
      if (outcome.failures?.length) fail(`${c.resource}.check refused its valid example: ${describe(outcome.failures)}`);
      else result.accepted++;
    }
    // A preview reads nothing, so a SKU the tenant lacks is refused by create, before any write.
    result.tried++;
    await control(sandbox, "POST", "/sandbox/stats/reset");
    const unknownSku = await licenseAssignmentProvider.check!({}, { userPrincipalName: "alice@contoso.com", sku: "NO_SUCH_SKU", __provider: "bad input" });
    const refusal = await licenseAssignmentProvider.create(unknownSku.inputs ?? {}).then(
      () => undefined,
      (error: Error) => error.message,
    );
    const apis = ((await control(sandbox, "GET", "/sandbox/stats")) as { apis: Record<string, { writes: number }> }).apis;
    // Signing in (Entra, Google's token endpoint) is not a write to a tenant.
    const written = ["graph", "exchange", "gmail"].reduce((total, api) => total + (apis[api]?.writes ?? 0), 0);
    if (refusal && /^LicenseAssignment\.sku: the tenant has no subscription "NO_SUCH_SKU"/.test(refusal) && written === 0) result.refused++;
    else fail(`LicenseAssignment.create did not refuse the unknown SKU NO_SUCH_SKU before any write: ${refusal ?? "it was accepted"}; ${written} write(s)`);
    result.accepted += await csvRoundTrip(numRuns, late);
    log(`bad input: ${result.refused}/${result.tried} invalid inputs refused naming the field; ${result.fuzzed} random inputs without an exception; ${result.accepted} valid inputs accepted; ${result.apiCallsForInvalid} API requests for invalid input`);
  } finally {
    await sandbox.stop();
  }
  return result;
}

/** The provider's clients read the sandbox's settings, as a stack's `configure` would give them. */
function pointClientsAt(sandbox: SandboxHandle): void {
  trustCa(sandbox.env.NODE_EXTRA_CA_CERTS);
  const byKey: Record<string, string> = {
    "coexist:graphUrl": sandbox.env.COEXIST_GRAPH_URL,
    "coexist:exchangeUrl": sandbox.env.COEXIST_EXCHANGE_URL,
    "coexist:googleUrl": sandbox.env.COEXIST_GOOGLE_URL,
    "coexist:loginUrl": sandbox.env.COEXIST_LOGIN_URL,
    "coexist:tenantId": sandbox.env.COEXIST_TENANT_ID,
    "coexist:clientId": sandbox.env.COEXIST_CLIENT_ID,
    "coexist:clientSecret": sandbox.env.COEXIST_CLIENT_SECRET,
    "coexist:googleCredentials": sandbox.env.COEXIST_GOOGLE_CREDENTIALS,
    "coexist:googleAdmin": sandbox.env.COEXIST_GOOGLE_ADMIN,
  };
  configureFromStack({ get: (key) => byKey[key] });
}

// ---- the users CSV ----------------------------------------------------------------------------

const CSV_HEADER = ["email", "firstName", "lastName", "batch", "alias", "usageLocation"];
const csvRow = (i: number): string[] => [`user${i}@contoso.com`, `First${i}`, `Last${i}`, `wave-${i % 3}`, `user${i}`, "US"];
const csvText = (rows: string[][]): string =>
  [CSV_HEADER, ...rows].map((row) => row.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(",")).join("\n") + "\n";

const CSV_SPOILERS: Record<string, fc.Arbitrary<string>> = {
  email: fc.oneof(badEmail.filter((v): v is string => typeof v === "string" && v.trim() !== ""), fc.constantFrom("user1@fabrikam.com", "user1@o365.contoso.com", "")),
  firstName: fc.oneof(withInnerInsert("First", fc.oneof(CONTROL, POWERSHELL)), huge(257)),
  lastName: fc.oneof(withInnerInsert("Last", fc.oneof(CONTROL, POWERSHELL)), huge(257)),
  batch: fc.oneof(fc.constant(""), withInnerInsert("wave", fc.oneof(CONTROL, fc.constantFrom("$(x)", "*", ";")))),
  alias: fc.oneof(fc.constantFrom("al ice", "alice@contoso.com", "al*ce", "$(x)", "al;ce", "a|b"), huge(65), withInnerInsert("alice", CONTROL)),
  usageLocation: fc.constantFrom("USA", "U1", "*", "u s", "$(x)"),
};

/** One cell of a valid CSV spoiled, or a user listed twice: a UsersCsvError naming the line and column. */
/** Records a CSV value the parser accepted and MailUser's check refused. */
type Late = (column: string, value: string) => void;
/** What MailUser's name fields refuse (provider/resources/inputs.ts), to say which characters slipped through. */
const UNSAFE_IN_NAME = /[*?`|;$<>"\\]/g;

async function csvRefusals(numRuns: number, fail: (text: string) => void, refused: () => void, late: Late): Promise<number> {
  let tried = 0;
  const expect = async (text: string, line: number, column: string, value: string, what: string) => {
    tried++;
    let users: MigrationUser[];
    try {
      users = parseUsersCsv(text, { primaryDomain: "contoso.com" });
    } catch (error) {
      if (!(error instanceof UsersCsvError)) fail(`parseUsersCsv threw ${(error as Error).name} for ${what}: ${(error as Error).stack}`);
      else if (error.problems.some((p) => p.startsWith(`line ${line}`) && (p.includes(`column ${column}`) || !p.includes("column")))) refused();
      else fail(`parseUsersCsv refused ${what} without naming line ${line}, column ${column}: ${error.message}`);
      return;
    }
    const refusals = (await Promise.all(users.map(mailUserRefusals))).flat();
    if (refusals.length === 0) return fail(`parseUsersCsv accepted ${what}, and so did MailUser.check`);
    refused();
    late(column, value);
  };
  for (const [column, spoiled] of Object.entries(CSV_SPOILERS)) {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), spoiled, async (index, value) => {
        const rows = [0, 1, 2, 3, 4].map(csvRow);
        rows[index][CSV_HEADER.indexOf(column)] = value;
        // A quoted line break moves the following records down a line, not the spoiled record.
        await expect(csvText(rows), index + 2, column, value, `${column} = ${describe(value)} on row ${index + 1}`);
      }),
      { numRuns, seed: 1127 },
    );
  }
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.boolean(), async (index, sameAlias) => {
      const rows = [0, 1, 2, 3].map(csvRow);
      const copy = sameAlias ? [`other${index}@contoso.com`, "Other", "User", "wave-0", `USER${index}`, "US"] : [rows[index][0].toUpperCase(), "Dup", "User", "wave-1", `dup${index}`, "GB"];
      await expect(csvText([...rows, copy]), rows.length + 2, sameAlias ? "alias" : "email", copy[0], `a user listed twice by ${sameAlias ? "alias" : "email"}`);
    }),
    { numRuns: Math.min(numRuns, 20), seed: 1127 },
  );
  return tried;
}

/** Any text at all: users or a UsersCsvError, never another exception. */
async function csvJunk(numRuns: number, fail: (text: string) => void): Promise<number> {
  const cell = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('"', '""', "\r\n", ",", "\uFEFF", "*", "$(", "user@contoso.com"));
  const text = fc.oneof(fc.string({ maxLength: 400 }), fc.array(cell, { maxLength: 40 }).map((cells) => `email,firstName,lastName,batch\n${cells.join("")}`));
  let fuzzed = 0;
  await fc.assert(
    fc.asyncProperty(text, async (input) => {
      fuzzed++;
      try {
        parseUsersCsv(input, { primaryDomain: "contoso.com" });
      } catch (error) {
        if (!(error instanceof UsersCsvError)) fail(`parseUsersCsv threw ${(error as Error).name} for ${describe(input)}: ${(error as Error).stack}`);
      }
    }),
    { numRuns, seed: 1127 },
  );
  return fuzzed;
}

/** MailUser's refusals of a user as the Coexistence component passes it on. */
async function mailUserRefusals(user: MigrationUser): Promise<string[]> {
  const outcome = await mailUserProvider.check!({}, {
    name: user.displayName,
    alias: user.alias,
    displayName: user.displayName,
    firstName: user.firstName,
    lastName: user.lastName,
    externalEmailAddress: user.email,
    microsoftOnlineServicesId: user.email,
    password: "Passw0rd-123",
    routingAddress: `${user.alias}@o365.contoso.com`,
  });
  return (outcome.failures ?? []).map((f) => f.reason);
}

/**
 * Users the CSV accepts should be users the resources accept: a name the parser lets through but
 * MailUser's check refuses fails only at preview, naming the MailUser field instead of the CSV cell.
 */
async function csvRoundTrip(numRuns: number, late: Late): Promise<number> {
  const word = fc.stringMatching(/^[A-Za-z][A-Za-z' .?<>"\\$-]{0,20}$/);
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(word, word, async (firstName, lastName) => {
      let users: MigrationUser[];
      try {
        users = parseUsersCsv(csvText([["alice@contoso.com", firstName, lastName, "wave-1", "alice", "US"]]), { primaryDomain: "contoso.com" });
      } catch {
        return;
      }
      const refusals = await mailUserRefusals(users[0]);
      if (refusals.length > 0) late("firstName/lastName", firstName + lastName);
      else accepted++;
    }),
    { numRuns, seed: 1127 },
  );
  return accepted;
}
