import assert from "node:assert/strict";
import { findRoutingProblems, type ProblemOptions, type RoutingProblem } from "../../../provider/routing/problems";
import {
  ADMIN,
  B,
  C,
  CONTOSO_EOP_MX,
  GOOGLE_MX,
  routingAddress,
  stage0,
  stage1a,
  stage1b,
  stage2,
  TenantBuilder,
  X,
} from "./tenantBuilder";

interface ExpectedProblem {
  rule: string;
  severity: "mandatory" | "advisory";
  users: string[];
  origin?: "internet" | "google" | "m365";
  /** Text the fix must contain. */
  fix: string;
}

interface ProblemCase {
  name: string;
  state: TenantBuilder;
  users?: string[];
  options?: ProblemOptions;
  expect: ExpectedProblem[];
}

function summary(problem: RoutingProblem): ExpectedProblem {
  return {
    rule: problem.rule,
    severity: problem.severity,
    users: problem.users,
    ...(problem.origin ? { origin: problem.origin.from } : {}),
    fix: problem.fix,
  };
}

function problemTable(cases: ProblemCase[]): void {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const found = findRoutingProblems(testCase.state.build(), testCase.users, testCase.options).map(summary);
      const listing = JSON.stringify(found, null, 1);
      assert.equal(found.length, testCase.expect.length, listing);
      for (const expected of testCase.expect) {
        const match = found.find(
          (problem) =>
            problem.rule === expected.rule &&
            problem.severity === expected.severity &&
            problem.origin === expected.origin &&
            JSON.stringify(problem.users) === JSON.stringify(expected.users) &&
            problem.fix.includes(expected.fix),
        );
        assert.ok(match, `expected ${JSON.stringify(expected)} among\n${listing}`);
      }
    });
  }
}

const ALL_ORIGINS = ["internet", "google", "m365"] as const;

function fromEveryOrigin(problem: Omit<ExpectedProblem, "origin">): ExpectedProblem[] {
  return ALL_ORIGINS.map((origin) => ({ ...problem, origin }));
}

/** Google users deliver to each other internally, whatever the MX: the Exchange-side mistakes do not reach them. */
function fromExchangeAndInternet(problem: Omit<ExpectedProblem, "origin">): ExpectedProblem[] {
  return fromEveryOrigin(problem).filter((expected) => expected.origin !== "google");
}

const F1_FIX = `license ${B} (make the mail user a mailbox) before Google forwards to ${routingAddress(B)}, or remove the Gmail forwarding of ${B}`;
const CONNECTOR_FIX = "create an enabled outbound connector with RecipientDomains contoso.com, SmartHosts smtp.google.com and UseMXRecord $false";
const MX_CONNECTOR_FIX = "set UseMXRecord $false and SmartHosts smtp.google.com on outbound connector ToGoogle";

const SPLIT_FIX = `forward the Gmail mailbox of ${B} to ${routingAddress(B)} with disposition trash`;
const SPLIT_B = (severity: "mandatory" | "advisory"): ExpectedProblem => ({ rule: "split-delivery", severity, users: [B], fix: SPLIT_FIX });

describe("findRoutingProblems", () => {
  describe("healthy stages have none", () => {
    problemTable([
      { name: "stage 0", state: stage0(), expect: [] },
      { name: "stage 1a, B's data copy running: only the expected split, advisory", state: stage1a(), options: { dataCopyInProgress: [B] }, expect: [SPLIT_B("advisory")] },
      { name: "stage 1b: the migrated user lands in Exchange Online from every origin", state: stage1b(), expect: [] },
      { name: "stage 2", state: stage2(), expect: [] },
      {
        name: "decommissioned, Gmail forwarding gone: a Google sender would split B, but Google is retired and has none",
        state: stage2().withoutGmailForwarding(B).withoutGmailForwarding(C),
        options: { origins: ["internet", "m365"] },
        expect: [],
      },
    ]);
  });

  describe("split delivery counts only the origins that still send", () => {
    problemTable([
      {
        name: "Gmail forwarding gone while Google still has senders: B is split",
        state: stage2().withoutGmailForwarding(B).withoutGmailForwarding(C),
        users: [B],
        expect: [SPLIT_B("mandatory")],
      },
    ]);
  });

  describe("loops and bounces, with the fix", () => {
    problemTable([
      {
        name: "F1: forwarding before the mailbox exists loops from every origin: license or remove the forwarding",
        state: stage0().gmailForwarding(B, routingAddress(B)),
        expect: fromEveryOrigin({ rule: "mail-loop", severity: "mandatory", users: [B], fix: F1_FIX }),
      },
      {
        name: "F1': forwarding to an address on no object bounces: add the proxy and license",
        state: stage0().gmailForwarding(B, routingAddress(B)).editRecipient(B, (r) => (r.emailAddresses = [B])),
        expect: fromEveryOrigin({
          rule: "bounce",
          severity: "mandatory",
          users: [B],
          fix: `add ${routingAddress(B)} as a proxy address of ${B}'s Exchange object and license it as a mailbox, or change the Gmail forwarding of ${B}`,
        }),
      },
      {
        name: "F2: an address only in Google, domain Authoritative: create the recipient or go back to InternalRelay",
        state: stage0().acceptedDomain("contoso.com", "Authoritative").googleUser(X),
        users: [X],
        expect: [
          {
            rule: "bounce",
            severity: "mandatory",
            users: [X],
            origin: "m365",
            fix: `create an Exchange recipient for ${X} (a mail user pointing to Google while the user is still there), or set contoso.com to InternalRelay`,
          },
        ],
      },
      {
        name: "F3: no connector and the MX at Microsoft 365: mail users loop; create the connector",
        state: stage0().withoutConnector("ToGoogle").mx("contoso.com", CONTOSO_EOP_MX),
        expect: [
          ...[B, C].flatMap((user) => fromExchangeAndInternet({ rule: "mail-loop", severity: "mandatory", users: [user], fix: CONNECTOR_FIX })),
          { rule: "internal-relay-without-connector", severity: "mandatory", users: [], fix: CONNECTOR_FIX },
        ],
      },
      {
        name: "F3': connector by MX with the MX at Microsoft 365: set smart hosts",
        state: stage0().connector({ name: "ToGoogle", useMxRecord: true, smartHosts: [] }).mx("contoso.com", CONTOSO_EOP_MX),
        expect: [
          ...[B, C].flatMap((user) => fromExchangeAndInternet({ rule: "mail-loop", severity: "mandatory", users: [user], fix: MX_CONNECTOR_FIX })),
          { rule: "internal-relay-without-connector", severity: "mandatory", users: [], fix: MX_CONNECTOR_FIX },
        ],
      },
      {
        name: "F4: routing subdomain not accepted: accept it",
        state: stage1b().withoutAcceptedDomain("o365.contoso.com"),
        expect: [
          ...(["internet", "google"] as const).map((origin) => ({
            rule: "bounce",
            severity: "mandatory" as const,
            users: [B],
            origin,
            fix: `add o365.contoso.com as an accepted domain of Exchange Online (Authoritative), or point its MX elsewhere, or change the Gmail forwarding of ${B}`,
          })),
          {
            rule: "routing-address-domain-not-accepted",
            severity: "mandatory",
            users: [B],
            fix: "add o365.contoso.com as an accepted domain of Exchange Online (Authoritative) with MX 0 o365-contoso-com.mail.protection.outlook.com, or change these forwarding targets",
          },
          {
            rule: "routing-address-domain-not-accepted",
            severity: "mandatory",
            users: [B, C],
            fix: "add o365.contoso.com as an accepted domain of Exchange Online (Authoritative) with MX 0 o365-contoso-com.mail.protection.outlook.com before licensing, or remove these proxy addresses",
          },
        ],
      },
      {
        name: "F4 without MX: publish the Microsoft 365 MX of the routing domain",
        state: stage1b().mx("o365.contoso.com"),
        expect: (["internet", "google"] as const).map((origin) => ({
          rule: "bounce",
          severity: "mandatory" as const,
          users: [B],
          origin,
          fix: `publish the MX record of o365.contoso.com: 0 o365-contoso-com.mail.protection.outlook.com, or change the Gmail forwarding of ${B}`,
        })),
      },
      {
        name: "F7: migrated user's Google account deleted: Google users bounce",
        state: stage1b().withoutGoogleUser(B),
        expect: [
          {
            rule: "bounce",
            severity: "mandatory",
            users: [B],
            origin: "google",
            fix: `${B} exists in Exchange Online, but Google delivers contoso.com internally and has no user for it`,
          },
          {
            rule: "bounce",
            severity: "mandatory",
            users: [B],
            origin: "internet",
            fix: `create a Google user or alias for ${B}`,
          },
        ],
      },
      {
        name: "F9: forwarding both ways loops: forward in one direction only",
        state: stage1b()
          .googleDomain("gsuite.contoso.com")
          .mx("gsuite.contoso.com", GOOGLE_MX)
          .googleUser(B, { aliases: ["b@gsuite.contoso.com"] })
          .gmailForwarding(B, routingAddress(B))
          .editRecipient(B, (r) => (r.forwardingSmtpAddress = "b@gsuite.contoso.com")),
        expect: fromEveryOrigin({
          rule: "mail-loop",
          severity: "mandatory",
          users: [B],
          fix: `remove the ForwardingSmtpAddress b@gsuite.contoso.com of mailbox ${B}, or the Gmail forwarding of ${B} to ${routingAddress(B)}`,
        }),
      },
      {
        name: "two Google users forwarding to each other: remove one forwarding",
        state: stage0().gmailForwarding(B, C).gmailForwarding(C, B),
        expect: [B, C].flatMap((user) =>
          fromEveryOrigin({
            rule: "mail-loop",
            severity: "mandatory",
            users: [user],
            fix: "remove one of the Gmail forwardings that send the message round:",
          }),
        ),
      },
      {
        name: "a suspended Google user still on Google: reactivate",
        state: stage0().suspend(C),
        expect: fromEveryOrigin({ rule: "bounce", severity: "mandatory", users: [C], fix: `reactivate the Google account ${C}` }),
      },
    ]);

    it("gives the origin, the route and a message naming code and system", () => {
      const [problem] = findRoutingProblems(stage0().gmailForwarding(B, routingAddress(B)).build(), [B]);
      assert.deepEqual(problem.origin, { from: "internet" });
      assert.equal(problem.route?.disposition.kind, "loop");
      assert.match(
        problem.message,
        /^mail from the Internet to b@contoso\.com loops: 554 5\.4\.14 Hop count exceeded - possible mail loop ATTR34 \(from Exchange Online, after \d+ hops\)$/,
      );
    });
  });

  describe("checks that need no message", () => {
    problemTable([
      {
        name: "F8: forwarding that keeps a copy at Google is advisory",
        state: stage1a().gmailForwarding(B, routingAddress(B), "leaveInInbox").googleUser("d@contoso.com").mailUser("d@contoso.com").license("d@contoso.com").gmailForwarding("d@contoso.com", "d@o365.contoso.com", "archive"),
        expect: [
          { rule: "gmail-forwarding-keeps-copy", severity: "advisory", users: [B], fix: `set the forwarding disposition to trash for ${B}` },
          { rule: "gmail-forwarding-keeps-copy", severity: "advisory", users: ["d@contoso.com"], fix: "set the forwarding disposition to trash for d@contoso.com" },
        ],
      },
      {
        name: "InternalRelay without a connector, MX still at Google: mail flows, the domain is still flagged",
        state: stage0().withoutConnector("ToGoogle"),
        expect: [{ rule: "internal-relay-without-connector", severity: "mandatory", users: [], fix: CONNECTOR_FIX }],
      },
      {
        name: "InternalRelay whose connector goes somewhere other than Google",
        state: stage0().connector({ name: "ToGoogle", smartHosts: ["relay.contoso.example"] }),
        expect: [
          { rule: "internal-relay-without-connector", severity: "mandatory", users: [], fix: "set SmartHosts smtp.google.com on outbound connector ToGoogle" },
        ],
      },
      {
        name: "a mail user redirecting to another recipient's address",
        state: stage1b().editRecipient(C, (r) => (r.externalEmailAddress = routingAddress(B))),
        expect: [
          {
            rule: "mail-user-targets-exchange-recipient",
            severity: "mandatory",
            users: [C, B],
            fix: `set the ExternalEmailAddress of ${C} to its own address in Google`,
          },
        ],
      },
    ]);
  });

  it("checks only the given users, accepting addresses or user records", () => {
    const state = stage0().gmailForwarding(B, routingAddress(B)).gmailForwarding(C, routingAddress(C)).build();
    const users = (problems: RoutingProblem[]) => [...new Set(problems.flatMap((problem) => problem.users))];
    assert.deepEqual(users(findRoutingProblems(state, [" B@contoso.com"])), [B]);
    assert.deepEqual(users(findRoutingProblems(state, [{ email: C }])), [C]);
    assert.deepEqual(users(findRoutingProblems(state)), [B, C]);
  });

  it("skips origins the tenant does not have (no Microsoft 365 mailbox yet)", () => {
    const problems = findRoutingProblems(stage0().withoutRecipient(ADMIN).gmailForwarding(B, routingAddress(B)).build());
    assert.deepEqual(problems.map((problem) => problem.origin?.from), ["internet", "google"]);
  });

  it("checks 10,000 users from three origins", () => {
    const state = stage1b().build();
    for (let i = 0; i < 10_000; i++) {
      const user = `user${i}@contoso.com`;
      const migrated = i % 2 === 0;
      state.google.users.push({
        primaryEmail: user,
        aliases: [],
        ...(migrated ? { autoForwarding: { enabled: true, emailAddress: routingAddress(user), disposition: "trash" as const } } : {}),
      });
      state.exchange.recipients.push({
        recipientTypeDetails: migrated ? "UserMailbox" : "MailUser",
        primarySmtpAddress: user,
        emailAddresses: [user, routingAddress(user)],
        externalEmailAddress: user,
      });
    }
    assert.deepEqual(findRoutingProblems(state), []);
    const notMigrated = state.google.users.find((user) => user.primaryEmail === "user1@contoso.com");
    if (notMigrated) notMigrated.autoForwarding = { enabled: true, emailAddress: routingAddress(notMigrated.primaryEmail), disposition: "trash" };
    assert.deepEqual(
      findRoutingProblems(state).map((problem) => [problem.rule, problem.origin?.from]),
      [["mail-loop", "internet"], ["mail-loop", "google"], ["mail-loop", "m365"]],
    );
  });

  describe("split delivery: one recipient, two mailboxes", () => {
    problemTable([
      {
        name: "a destroy before cutover removed B's forwarding while the MX is at Google: mandatory",
        state: stage1a(),
        expect: [SPLIT_B("mandatory")],
      },
      {
        name: "a Google account left without forwarding after cutover: Google senders still reach its Gmail",
        state: stage2().googleUser(C),
        expect: [{ rule: "split-delivery", severity: "mandatory", users: [C], fix: `forward the Gmail mailbox of ${C} to ${routingAddress(C)}` }],
      },
    ]);

    it("names the address, the origins and where each lands", () => {
      const [split] = findRoutingProblems(stage1a().build());
      assert.equal(
        split.message,
        `mail to ${B} lands in Gmail when the Internet or a Google Workspace user sends it, and in Exchange Online when a Microsoft 365 mailbox sends it: the user has mail in two mailboxes`,
      );
    });
  });

  describe("every address (addresses: all), each named with its kind", () => {
    const cutoverWithGoogleAddresses = () =>
      stage2()
        .googleDomain("gsuite.contoso.com")
        .mx("gsuite.contoso.com", GOOGLE_MX)
        .googleAliases(B, ["bee@contoso.com"], ["b@gsuite.contoso.com"])
        .googleGroup("support@contoso.com", [C], { nonEditableAliases: ["support@gsuite.contoso.com"] });
    const fromOutside = (users: string[], fix: string) => fromExchangeAndInternet({ rule: "bounce", severity: "mandatory", users, fix });

    problemTable([
      {
        name: "after cutover, a user alias and a group that only Google has bounce; the alias-domain address still arrives",
        state: cutoverWithGoogleAddresses(),
        options: { addresses: "all" },
        expect: [
          ...fromOutside(["bee@contoso.com"], `bee@contoso.com is a user alias of ${B} at Google: add it as a proxy address (EmailAddresses) of ${B}'s Exchange recipient`),
          ...fromOutside(
            ["support@contoso.com"],
            "support@contoso.com is the Google group support@contoso.com: migrate it (an Exchange distribution group with this address), or keep it at Google through a mail contact with the address support@contoso.com and ExternalEmailAddress support@gsuite.contoso.com",
          ),
        ],
      },
      {
        name: "the default checks primary addresses only",
        state: cutoverWithGoogleAddresses(),
        expect: [],
      },
      {
        name: "a group copy that bounces is reported once per origin, for the group",
        state: stage1b().googleGroup("team@contoso.com", [B, C, "gone@contoso.com"]),
        users: ["team@contoso.com"],
        expect: fromEveryOrigin({ rule: "bounce", severity: "mandatory", users: ["team@contoso.com"], fix: "create a Google user or alias for gone@contoso.com" }),
      },
      {
        name: "a member reached through two paths gets two copies: duplicate delivery",
        state: stage1b().googleGroup("team@contoso.com", [B, routingAddress(B), C]),
        users: ["team@contoso.com"],
        expect: fromEveryOrigin({
          rule: "duplicate-delivery",
          severity: "mandatory",
          users: ["team@contoso.com"],
          fix: `let ${B} be reached through one of these paths only: team@contoso.com → ${B}; team@contoso.com → ${routingAddress(B)}`,
        }),
      },
      {
        name: "a migrated group that takes internal senders only refuses the Internet; Google users bounce at Google",
        state: stage2().distributionGroup("sales@contoso.com", [B, C], { requireSenderAuthenticationEnabled: true }),
        users: ["sales@contoso.com"],
        expect: [
          { rule: "bounce", severity: "mandatory", users: ["sales@contoso.com"], origin: "internet", fix: "Set-DistributionGroup -Identity sales@contoso.com -RequireSenderAuthenticationEnabled $false" },
          { rule: "bounce", severity: "mandatory", users: ["sales@contoso.com"], origin: "google", fix: "sales@contoso.com exists in Exchange Online, but Google delivers contoso.com internally" },
        ],
      },
    ]);

    it("says which kind of address each problem is about", () => {
      const problems = findRoutingProblems(cutoverWithGoogleAddresses().build(), undefined, { addresses: "all" });
      const internet = problems.filter((problem) => problem.origin?.from === "internet");
      assert.deepEqual(
        internet.map((problem) => problem.address),
        [
          { address: "bee@contoso.com", kind: "user alias", owner: B },
          { address: "support@contoso.com", kind: "group", owner: "support@contoso.com" },
        ],
      );
      assert.match(internet[0].message, /^mail from the Internet to bee@contoso\.com \(user alias of b@contoso\.com\) bounces: 550 5\.4\.1/);
      assert.match(internet[1].message, /^mail from the Internet to support@contoso\.com \(group\) bounces/);
    });

    it("counts the copies of a group in its message", () => {
      const [bounce] = findRoutingProblems(stage1b().googleGroup("team@contoso.com", [B, C, "gone@contoso.com"]).build(), ["team@contoso.com"]);
      assert.equal(bounce.message, "mail from the Internet to team@contoso.com (group) makes 3 copies, and 1 of them bounce: gone@contoso.com (550 5.1.1 from Gmail)");
    });
  });
});
