import assert from "node:assert/strict";
import { systemForHost } from "../../../provider/routing/addresses";
import { routeMessage } from "../../../provider/routing/model";
import { recipientDomainSpecificity } from "../../../provider/routing/tenantIndex";
import { assertRoute, routeCase, routingTable } from "./routeAssertions";
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

const EXCHANGE_LOOP = { loop: "554 5.4.14", at: "exchange", reason: /^Hop count exceeded - possible mail loop ATTR34$/ } as const;
const GMAIL_UNKNOWN = { ndr: "550 5.1.1", at: "google", reason: /The email account that you tried to reach does not exist/ } as const;
const DBEB = { ndr: "550 5.4.1", at: "exchange", reason: /^Recipient address rejected: Access denied$/ } as const;
const RECIPIENT_NOT_FOUND = { ndr: "550 5.1.10", at: "exchange", reason: /RESOLVER\.ADR\.RecipientNotFound/ } as const;

describe("routeMessage", () => {
  describe("the seed's three test messages (B migrated, Gmail forwards B to b@o365.contoso.com)", () => {
    routingTable([
      {
        name: "Internet → migrated user: Gmail forwards by MX to Exchange Online, no copy kept",
        state: stage1b(),
        from: "internet",
        to: B,
        expect: { delivered: "m365", mailbox: B, keptCopyAtGoogle: false, path: "I → G → E" },
      },
      {
        name: "Google user → migrated user: internal Gmail delivery, then forwarding",
        state: stage1b(),
        from: "google",
        to: B,
        expect: { delivered: "m365", mailbox: B, keptCopyAtGoogle: false, path: "G → E" },
      },
      {
        name: "migrated user → Google user: mail user redirect, then connector ToGoogle",
        state: stage1b(),
        from: "m365",
        to: C,
        expect: { delivered: "google", mailbox: C, path: "E → G" },
      },
    ]);

    it("records each hop with its system, envelope recipient and action", () => {
      const route = routeMessage(stage1b().build(), { from: "internet" }, B);
      assert.deepEqual(route.hops, [
        { system: "internet", recipient: B, action: `MX lookup of contoso.com: ${GOOGLE_MX} (Google Workspace)` },
        {
          system: "google",
          recipient: B,
          action: `automatic forwarding of ${B} to b@o365.contoso.com, Gmail copy moved to trash`,
        },
        {
          system: "google",
          recipient: "b@o365.contoso.com",
          action: "MX lookup of o365.contoso.com: o365-contoso-com.mail.protection.outlook.com (Exchange Online)",
        },
        { system: "exchange", recipient: "b@o365.contoso.com", action: `delivered to the mailbox ${B}` },
      ]);
    });

    it("names the mail user redirect and the connector in the hops of migrated user → Google user", () => {
      const actions = routeMessage(stage1b().build(), { from: "m365", address: B }, C).hops.map((hop) => hop.action);
      assert.deepEqual(actions, [
        `mail user redirect to ${C} (ExternalEmailAddress of ${C}); its own address in an accepted domain: routed out of the organisation`,
        `outbound connector ToGoogle (RecipientDomains contoso.com): smart host ${GOOGLE_MX} (Google Workspace)`,
        `delivered to the Gmail mailbox of ${C}`,
      ]);
    });
  });

  describe("stage 0: coexistence configured, nobody migrated (mail-routing.md §3)", () => {
    routingTable([
      { name: "Internet → C", state: stage0(), from: "internet", to: C, expect: { delivered: "google", mailbox: C, path: "I → G" } },
      { name: "Internet → x (unknown)", state: stage0(), from: "internet", to: X, expect: { ...GMAIL_UNKNOWN, path: "I → G" } },
      { name: "Google user → C", state: stage0(), from: "google", to: C, expect: { delivered: "google", mailbox: C, path: "G" } },
      { name: "M365 user → C", state: stage0(), from: "m365", to: C, expect: { delivered: "google", mailbox: C, path: "E → G" } },
      { name: "M365 user → x: relayed via ToGoogle, Google bounces", state: stage0(), from: "m365", to: X, expect: { ...GMAIL_UNKNOWN, path: "E → G" } },
      {
        name: "M365 user → C, contoso.com Authoritative and C not a mail user",
        state: stage0().acceptedDomain("contoso.com", "Authoritative").withoutRecipient(C),
        from: "m365",
        to: C,
        expect: { ...RECIPIENT_NOT_FOUND, path: "E" },
      },
    ]);
  });

  describe("stage 1a: B licensed, data being copied, no Gmail forwarding yet", () => {
    routingTable([
      { name: "Internet → B stays in Gmail", state: stage1a(), from: "internet", to: B, expect: { delivered: "google", mailbox: B, path: "I → G" } },
      { name: "Google user → B stays in Gmail", state: stage1a(), from: "google", to: B, expect: { delivered: "google", mailbox: B, path: "G" } },
      { name: "M365 user → B lands in the EXO mailbox (split inbox)", state: stage1a(), from: "m365", to: B, expect: { delivered: "m365", mailbox: B, path: "E" } },
      { name: "B (EXO) → C", state: stage1a(), from: "m365", to: C, expect: { delivered: "google", mailbox: C, path: "E → G" } },
    ]);
  });

  describe("stage 1b: B migrated, Gmail forwards B to b@o365.contoso.com", () => {
    routingTable([
      { name: "M365 user → B", state: stage1b(), from: "m365", to: B, expect: { delivered: "m365", mailbox: B, path: "E" } },
      { name: "B → x: relayed via ToGoogle, Google bounces", state: stage1b(), from: "m365", to: X, expect: { ...GMAIL_UNKNOWN, path: "E → G" } },
      {
        name: "Internet → b@o365.contoso.com directly",
        state: stage1b(),
        from: "internet",
        to: routingAddress(B),
        expect: { delivered: "m365", mailbox: B, path: "I → E" },
      },
      {
        name: "Google user → b@o365.contoso.com directly (by MX: not a Google domain)",
        state: stage1b(),
        from: "google",
        to: routingAddress(B),
        expect: { delivered: "m365", mailbox: B, path: "G → E" },
      },
    ]);
  });

  describe("stage 2: cutover", () => {
    routingTable([
      { name: "Internet → B", state: stage2(), from: "internet", to: B, expect: { delivered: "m365", mailbox: B, path: "I → E" } },
      { name: "M365 user → B", state: stage2(), from: "m365", to: B, expect: { delivered: "m365", mailbox: B, path: "E" } },
      { name: "Internet → x: DBEB rejects during the SMTP session", state: stage2(), from: "internet", to: X, expect: { ...DBEB, path: "I → E" } },
      { name: "M365 user → x", state: stage2(), from: "m365", to: X, expect: { ...RECIPIENT_NOT_FOUND, path: "E" } },
      {
        name: "Internet, resolver still caching the Google MX → B, while forwarding and o365 remain",
        state: stage2().mx("contoso.com", GOOGLE_MX),
        from: "internet",
        to: B,
        expect: { delivered: "m365", mailbox: B, keptCopyAtGoogle: false, path: "I → G → E" },
      },
      {
        name: "a leftover Google account without forwarding → B stays in Google (Google ignores the MX)",
        state: stage2().googleUser(B),
        from: "google",
        to: B,
        expect: { delivered: "google", mailbox: B, path: "G" },
      },
    ]);
  });

  describe("failure modes F1–F9 (mail-routing.md §4)", () => {
    const forwardingBeforeMailbox = () => stage0().gmailForwarding(B, routingAddress(B));

    describe("F1: Gmail forwarding set before the EXO mailbox exists", () => {
      routingTable([
        { name: "Internet → B loops; Exchange Online stops it", state: forwardingBeforeMailbox(), from: "internet", to: B, expect: EXCHANGE_LOOP },
        { name: "Google user → B loops too", state: forwardingBeforeMailbox(), from: "google", to: B, expect: EXCHANGE_LOOP },
        {
          name: "with Exchange's limits raised, Gmail stops it at 50 hops",
          state: forwardingBeforeMailbox(),
          from: "internet",
          to: B,
          options: { exchangeRedirectLimit: 1000, exchangeMaxHopCount: 1000 },
          expect: { loop: "554 5.4.6", at: "google", reason: /^Message exceeded 50 hops, this may indicate a mail loop\. - gsmtp$/ },
        },
      ]);

      it("goes round Google and Exchange and returns the bounce to B's Gmail via the +caf_ envelope sender", () => {
        const route = routeMessage(forwardingBeforeMailbox().build(), { from: "internet" }, B);
        const actions = route.hops.map((hop) => hop.action);
        assert.ok(actions.includes(`mail user redirect to ${B} (ExternalEmailAddress of ${B}); its own address in an accepted domain: routed out of the organisation`));
        assert.equal(actions.filter((action) => action.startsWith("automatic forwarding of b@contoso.com")).length, 4);
        assert.deepEqual(route.hops[route.hops.length - 1], {
          system: "google",
          recipient: B,
          action: `the non-delivery report goes to b+caf_=b=o365.contoso.com@contoso.com, back into the Gmail mailbox of ${B}, not to the original sender`,
        });
      });
    });

    describe("F1': forwarding set but b@o365.contoso.com on no object", () => {
      const noRoutingProxy = () => forwardingBeforeMailbox().editRecipient(B, (r) => (r.emailAddresses = [B]));
      routingTable([
        { name: "Internet → B: DBEB at EOP", state: noRoutingProxy(), from: "internet", to: B, expect: { ...DBEB, path: "I → G → E → G" } },
        { name: "Google user → B: DBEB at EOP", state: noRoutingProxy(), from: "google", to: B, expect: DBEB },
      ]);
    });

    describe("F2: contoso.com Authoritative too early", () => {
      const authoritative = () => stage0().acceptedDomain("contoso.com", "Authoritative");
      routingTable([
        { name: "M365 user → x: NDR 5.1.10", state: authoritative(), from: "m365", to: X, expect: RECIPIENT_NOT_FOUND },
        { name: "M365 user → C: mail users still route via ToGoogle", state: authoritative(), from: "m365", to: C, expect: { delivered: "google", mailbox: C, path: "E → G" } },
        {
          name: "MX already at Microsoft 365: Internet → x rejected by DBEB",
          state: authoritative().mx("contoso.com", CONTOSO_EOP_MX),
          from: "internet",
          to: X,
          expect: { ...DBEB, path: "I → E" },
        },
      ]);
    });

    describe("F3: contoso.com InternalRelay, no connector to Google", () => {
      const noConnector = () => stage0().withoutConnector("ToGoogle");
      routingTable([
        { name: "MX at Google: M365 user → C arrives at Google as Internet mail", state: noConnector(), from: "m365", to: C, expect: { delivered: "google", mailbox: C, path: "E → G" } },
        { name: "MX at Microsoft 365: M365 user → C loops", state: noConnector().mx("contoso.com", CONTOSO_EOP_MX), from: "m365", to: C, expect: EXCHANGE_LOOP },
        { name: "MX at Microsoft 365: Internet → x loops (hop count)", state: noConnector().mx("contoso.com", CONTOSO_EOP_MX), from: "internet", to: X, expect: EXCHANGE_LOOP },
      ]);

      it("stops the unknown-recipient loop on Exchange's Received-header limit", () => {
        const route = routeMessage(noConnector().mx("contoso.com", CONTOSO_EOP_MX).build(), { from: "internet" }, X);
        assert.equal(
          route.hops[route.hops.length - 1].action,
          "the message carries 33 Received headers, more than Exchange Online's limit of 30: loop stopped",
        );
      });
    });

    describe("F3': connector present but UseMXRecord $true", () => {
      const mxConnector = () => stage0().connector({ name: "ToGoogle", useMxRecord: true, smartHosts: [] });
      routingTable([
        { name: "MX at Google: M365 user → C still arrives", state: mxConnector(), from: "m365", to: C, expect: { delivered: "google", mailbox: C, path: "E → G" } },
        { name: "MX at Microsoft 365: M365 user → C loops", state: mxConnector().mx("contoso.com", CONTOSO_EOP_MX), from: "m365", to: C, expect: EXCHANGE_LOOP },
      ]);
    });

    describe("F4: routing subdomain not an accepted domain", () => {
      routingTable([
        {
          name: "MX → Microsoft 365: Relay Access Denied at EOP",
          state: stage1b().withoutAcceptedDomain("o365.contoso.com"),
          from: "internet",
          to: B,
          expect: { ndr: "550 5.4.1", at: "exchange", reason: /^Relay Access Denied ATTR35$/, path: "I → G → E → G" },
        },
        {
          name: "no MX for the subdomain: Gmail's DNS failure bounce",
          state: stage1b().mx("o365.contoso.com"),
          from: "internet",
          to: B,
          expect: { ndr: "550 5.1.2", at: "google", reason: /^DNS Error: domain name o365\.contoso\.com not found$/ },
        },
      ]);
    });

    describe("F5: MX switched to Microsoft 365 before all users are migrated", () => {
      const earlyMx = () => stage1b().mx("contoso.com", CONTOSO_EOP_MX);
      routingTable([
        { name: "Internet → C (mail user) goes on to Google", state: earlyMx(), from: "internet", to: C, expect: { delivered: "google", mailbox: C, path: "I → E → G" } },
        { name: "Internet → B lands in the EXO mailbox", state: earlyMx(), from: "internet", to: B, expect: { delivered: "m365", mailbox: B, path: "I → E" } },
        { name: "Internet → x goes on to Google, which bounces", state: earlyMx(), from: "internet", to: X, expect: { ...GMAIL_UNKNOWN, path: "I → E → G" } },
        { name: "Google user → C is unaffected", state: earlyMx(), from: "google", to: C, expect: { delivered: "google", mailbox: C, path: "G" } },
        { name: "with F2: Internet → x rejected by DBEB", state: earlyMx().acceptedDomain("contoso.com", "Authoritative"), from: "internet", to: X, expect: DBEB },
        { name: "with F3: Internet → C loops", state: earlyMx().withoutConnector("ToGoogle"), from: "internet", to: C, expect: EXCHANGE_LOOP },
        { name: "with F3': Internet → C loops", state: earlyMx().connector({ name: "ToGoogle", useMxRecord: true }), from: "internet", to: C, expect: EXCHANGE_LOOP },
      ]);
    });

    describe("F6: licence removed from a migrated cloud user (the object disappears)", () => {
      const unlicensed = () => stage1b().withoutRecipient(B);
      routingTable([
        { name: "M365 user → B relayed to Google, whose forward to o365 meets DBEB", state: unlicensed(), from: "m365", to: B, expect: { ...DBEB, path: "E → G → E → G" } },
        { name: "Internet → b@o365.contoso.com: DBEB", state: unlicensed(), from: "internet", to: routingAddress(B), expect: DBEB },
        { name: "Google account gone too: M365 user → B bounces at Google", state: unlicensed().withoutGoogleUser(B), from: "m365", to: B, expect: GMAIL_UNKNOWN },
      ]);
    });

    describe("F7: Google account of a migrated user deleted while Google users remain", () => {
      routingTable([
        { name: "Google user → B: 550 5.1.1", state: stage1b().withoutGoogleUser(B), from: "google", to: B, expect: { ...GMAIL_UNKNOWN, path: "G" } },
      ]);
    });

    describe("F8: Gmail keeps its copy during the data copy", () => {
      routingTable(
        (["leaveInInbox", "archive", "markRead", "trash"] as const).map((disposition) => ({
          name: `disposition ${disposition}: copy kept at Google is ${disposition !== "trash"}`,
          state: stage1a().gmailForwarding(B, routingAddress(B), disposition),
          from: "internet" as const,
          to: B,
          expect: { delivered: "m365" as const, mailbox: B, keptCopyAtGoogle: disposition !== "trash" },
        })),
      );
    });

    describe("F9: native-method ForwardingSmtpAddress to gsuite.contoso.com mixed with Gmail forwarding to o365", () => {
      const mixed = () =>
        stage1b()
          .googleDomain("gsuite.contoso.com")
          .mx("gsuite.contoso.com", GOOGLE_MX)
          .googleUser(B, { aliases: ["b@gsuite.contoso.com"] })
          .gmailForwarding(B, routingAddress(B))
          .editRecipient(B, (r) => (r.forwardingSmtpAddress = "b@gsuite.contoso.com"));
      routingTable([
        { name: "Internet → B loops", state: mixed(), from: "internet", to: B, expect: EXCHANGE_LOOP },
        { name: "M365 user → B loops", state: mixed(), from: "m365", to: B, expect: EXCHANGE_LOOP },
      ]);
    });
  });

  describe("DNS and systems", () => {
    it("tells the system of an MX or smart host", () => {
      const table: [string, string][] = [
        ["smtp.google.com", "google"],
        ["ASPMX.L.GOOGLE.COM.", "google"],
        ["alt4.aspmx.l.google.com", "google"],
        ["aspmx2.googlemail.com", "google"],
        ["contoso-com.mail.protection.outlook.com", "exchange"],
        ["contoso-com.a1b2c3.mx.microsoft", "exchange"],
        ["mx.fabrikam.com", "internet"],
        ["google.com.evil.example", "internet"],
        ["notgoogle.com", "internet"],
      ];
      for (const [host, system] of table) assert.equal(systemForHost(host), system, host);
    });

    routingTable([
      {
        name: "a domain outside both tenants is delivered outside",
        state: stage0().mx("fabrikam.com", "mx.fabrikam.com"),
        from: "m365",
        to: "bob@fabrikam.com",
        expect: { delivered: "internet", mailbox: "bob@fabrikam.com", path: "E → I" },
      },
      {
        name: "a Google MX for a domain this Workspace does not host is another Google customer",
        state: stage0().mx("gmail.com", "gmail-smtp-in.l.google.com"),
        from: "google",
        to: "bob@gmail.com",
        expect: { delivered: "internet", mailbox: "bob@gmail.com", path: "G → I" },
      },
      {
        name: "no MX: the sending Exchange Online bounces with 5.4.310",
        state: stage0(),
        from: "m365",
        to: "bob@nowhere.example",
        expect: { ndr: "550 5.4.310", at: "exchange", reason: /^DNS domain nowhere\.example does not exist$/ },
      },
      {
        name: "no MX: an Internet sender bounces",
        state: stage0(),
        from: "internet",
        to: "bob@nowhere.example",
        expect: { ndr: "550 5.1.2", at: "internet" },
      },
      {
        name: "null MX: refused at once",
        state: stage0().mx("fabrikam.com", "."),
        from: "m365",
        to: "bob@fabrikam.com",
        expect: { ndr: "556 5.1.10", at: "exchange", reason: /does not accept mail \(null MX\)/ },
      },
      {
        name: "the best-preference MX is used",
        state: stage0().mx("contoso.com", CONTOSO_EOP_MX, GOOGLE_MX),
        from: "internet",
        to: B,
        expect: { delivered: "google", mailbox: B, path: "I → E → G" },
      },
    ]);
  });

  describe("Google", () => {
    routingTable([
      {
        name: "an alias delivers to its user's mailbox",
        state: stage0().googleUser(C, { aliases: ["carol@contoso.com"] }),
        from: "internet",
        to: "carol@contoso.com",
        expect: { delivered: "google", mailbox: C },
      },
      {
        name: "a suspended account bounces with 5.2.1",
        state: stage0().suspend(C),
        from: "internet",
        to: C,
        expect: { ndr: "550 5.2.1", at: "google", reason: /^The email account that you tried to reach is disabled\. - gsmtp$/ },
      },
      {
        name: "a forward to another Google user is delivered internally",
        state: stage0().gmailForwarding(B, C, "archive"),
        from: "internet",
        to: B,
        expect: { delivered: "google", mailbox: C, keptCopyAtGoogle: true, path: "I → G" },
      },
      {
        name: "two Google users forwarding to each other loop until Gmail's hop limit",
        state: stage0().gmailForwarding(B, C).gmailForwarding(C, B),
        from: "google",
        to: B,
        expect: { loop: "554 5.4.6", at: "google" },
      },
      {
        name: "addresses are compared case-insensitively",
        state: stage1b(),
        from: "internet",
        to: " B@Contoso.COM ",
        expect: { delivered: "m365", mailbox: B },
      },
    ]);
  });

  describe("Exchange Online", () => {
    routingTable([
      {
        name: "a proxy address resolves to its mailbox",
        state: stage1b(),
        from: "m365",
        to: routingAddress(B),
        expect: { delivered: "m365", mailbox: B, path: "E" },
      },
      {
        name: "a non-accepted domain whose MX is EOP: Relay Access Denied",
        state: stage0().mx("fabrikam.com", "fabrikam-com.mail.protection.outlook.com"),
        from: "internet",
        to: "bob@fabrikam.com",
        expect: { ndr: "550 5.4.1", at: "exchange", reason: /Relay Access Denied/ },
      },
      {
        name: "mailbox forwarding to an external address",
        state: stage1b().mx("fabrikam.com", "mx.fabrikam.com").editRecipient(B, (r) => (r.forwardingSmtpAddress = "b@fabrikam.com")),
        from: "m365",
        to: B,
        expect: { delivered: "internet", mailbox: "b@fabrikam.com" },
      },
      {
        name: "a mail user whose target is another mailbox's proxy is resolved again",
        state: stage1b().editRecipient(C, (r) => (r.externalEmailAddress = routingAddress(B))),
        from: "m365",
        to: C,
        expect: { delivered: "m365", mailbox: B, path: "E" },
      },
      {
        name: "native method: a mail user targeting the Google routing domain goes by its MX",
        state: stage0()
          .googleDomain("gsuite.contoso.com")
          .mx("gsuite.contoso.com", GOOGLE_MX)
          .googleUser(C, { aliases: ["c@gsuite.contoso.com"] })
          .mailUser(C, "c@gsuite.contoso.com"),
        from: "m365",
        to: C,
        expect: { delivered: "google", mailbox: C, path: "E → G" },
      },
      {
        name: "a disabled connector is not used",
        state: stage0().connector({ name: "ToGoogle", enabled: false }).mx("contoso.com", CONTOSO_EOP_MX),
        from: "m365",
        to: C,
        expect: EXCHANGE_LOOP,
      },
      {
        name: "a mail user with no ExternalEmailAddress cannot be resolved",
        state: stage0().editRecipient(C, (r) => delete r.externalEmailAddress),
        from: "m365",
        to: C,
        expect: RECIPIENT_NOT_FOUND,
      },
    ]);
  });

  describe("outbound connector selection", () => {
    const connectors = () =>
      new TenantBuilder()
        .mx("fabrikam.com", "mx.fabrikam.com")
        .mx("sales.fabrikam.com", "mx.fabrikam.com")
        .acceptedDomain("contoso.com", "Authoritative")
        .mailbox(ADMIN)
        .connector({ name: "Everything", recipientDomains: ["*"], smartHosts: ["gw-all.example.net"] })
        .connector({ name: "Subdomains", recipientDomains: ["*.fabrikam.com"], smartHosts: ["gw-sub.example.net"] })
        .connector({ name: "Exact", recipientDomains: ["fabrikam.com"], smartHosts: ["gw-exact.example.net"] })
        .connector({ name: "Scoped", recipientDomains: ["fabrikam.com"], smartHosts: ["gw-scoped.example.net"], isTransportRuleScoped: true });
    const hostFor = (builder: TenantBuilder, to: string) => {
      const route = routeMessage(builder.build(), { from: "m365" }, to);
      assert.equal(route.disposition.kind, "delivered");
      return route.hops[route.hops.length - 1].action;
    };

    it("prefers the exact domain, then the subdomain wildcard, then *", () => {
      assert.equal(hostFor(connectors(), "bob@fabrikam.com"), "delivered to gw-exact.example.net, outside both tenants");
      assert.equal(hostFor(connectors(), "bob@sales.fabrikam.com"), "delivered to gw-sub.example.net, outside both tenants");
      assert.equal(hostFor(connectors(), "bob@tailspin.example"), "delivered to gw-all.example.net, outside both tenants");
    });

    it("uses a transport-rule-scoped connector only for the rule's recipients", () => {
      const withRule = connectors().transportRule({ name: "VIP", sentTo: ["vip@fabrikam.com"], routeMessageOutboundConnector: "Scoped" });
      assert.equal(hostFor(withRule, "vip@fabrikam.com"), "delivered to gw-scoped.example.net, outside both tenants");
      assert.equal(hostFor(withRule, "bob@fabrikam.com"), "delivered to gw-exact.example.net, outside both tenants");
    });

    it("ignores disabled connectors and disabled rules", () => {
      const disabled = connectors()
        .connector({ name: "Exact", recipientDomains: ["fabrikam.com"], smartHosts: ["gw-exact.example.net"], enabled: false })
        .transportRule({ name: "VIP", sentTo: ["vip@fabrikam.com"], routeMessageOutboundConnector: "Scoped", enabled: false });
      assert.equal(hostFor(disabled, "vip@fabrikam.com"), "delivered to gw-all.example.net, outside both tenants");
    });

    it("ranks RecipientDomains entries by specificity", () => {
      const table: [string, string, boolean][] = [
        ["contoso.com", "contoso.com", true],
        ["contoso.com", "o365.contoso.com", false],
        ["*.contoso.com", "o365.contoso.com", true],
        ["*.contoso.com", "contoso.com", false],
        ["*", "anything.example", true],
      ];
      for (const [pattern, domain, matches] of table) {
        assert.equal(recipientDomainSpecificity(pattern, domain) !== undefined, matches, `${pattern} vs ${domain}`);
      }
      const exact = recipientDomainSpecificity("sales.contoso.com", "sales.contoso.com") ?? -1;
      const wildcard = recipientDomainSpecificity("*.contoso.com", "sales.contoso.com") ?? -1;
      assert.ok(exact > wildcard && wildcard > (recipientDomainSpecificity("*", "sales.contoso.com") ?? -1));
    });
  });

  describe("bad input", () => {
    it("refuses a recipient that is not an address, naming it", () => {
      assert.throws(() => routeCase({ name: "", state: stage0(), from: "internet", to: "bob", expect: GMAIL_UNKNOWN }), /recipient "bob" is not an email address/);
    });

    it("refuses an unknown origin", () => {
      assert.throws(() => routeMessage(stage0().build(), { from: "pigeon" as never }, B), /origin\.from must be one of internet, google, m365/);
    });

    it("refuses loop limits that are not positive whole numbers, naming the option", () => {
      assert.throws(() => routeMessage(stage0().build(), { from: "internet" }, B, { gmailMaxHops: 0 }), /routing option gmailMaxHops must be a whole number from 1 to 10000 \(got 0\)/);
      assert.throws(() => routeMessage(stage0().build(), { from: "internet" }, B, { gmailMaxHop: 5 } as never), /unknown routing option gmailMaxHop/);
    });
  });

  it("does not change the tenant state it is given", () => {
    const state = stage1b().build();
    const before = JSON.stringify(state);
    assertRoute(routeMessage(state, { from: "internet" }, B), { delivered: "m365", mailbox: B });
    assert.equal(JSON.stringify(state), before);
  });
});
