import assert from "node:assert/strict";
import { finalRoutes, tallyRoutes } from "../../../provider/routing/fanout";
import { createRouter, MAX_COPIES_PER_MESSAGE, routeMessage } from "../../../provider/routing/model";
import type { Origin, Route } from "../../../provider/routing/types";
import { pathOf } from "./routeAssertions";
import { ADMIN, B, C, CONTOSO_EOP_MX, GOOGLE_MX, routingAddress, stage1b, stage2, type TenantBuilder } from "./tenantBuilder";

const TEAM = "team@contoso.com";
const SENDERS: Record<Origin, string | undefined> = { internet: undefined, google: C, m365: ADMIN };

function send(state: TenantBuilder, from: Origin, to: string): Route {
  return routeMessage(state.build(), { from, address: SENDERS[from] }, to);
}

/** Each end of the route as `kind system mailbox-or-code`, sorted. */
function ends(route: Route): string[] {
  return finalRoutes(route)
    .map(({ disposition }) => (disposition.kind === "delivered" ? `delivered ${disposition.system} ${disposition.mailbox}` : `${disposition.kind} ${disposition.system} ${disposition.code}`))
    .sort();
}

/** Stage 1b with the Google alias domain gsuite.contoso.com (MX at Google) and a Google group of B (migrated) and C (at Google). */
function withTeam(): TenantBuilder {
  return stage1b()
    .googleDomain("gsuite.contoso.com")
    .mx("gsuite.contoso.com", GOOGLE_MX)
    .googleGroup(TEAM, [B, C], { aliases: ["crew@contoso.com"], nonEditableAliases: ["team@gsuite.contoso.com"] });
}

describe("routing model: groups", () => {
  describe("Google Groups expand at Google: each member gets the message at its own address", () => {
    for (const from of ["internet", "google", "m365"] as const) {
      it(`from ${from}: the migrated member gets it in Exchange Online through its forwarding, the other in Gmail`, () => {
        const route = send(withTeam(), from, TEAM);
        assert.equal(route.disposition.kind, "expanded");
        assert.deepEqual(ends(route), [`delivered google ${C}`, `delivered m365 ${B}`]);
      });
    }

    it("reaches the group through its alias and its alias-domain address too", () => {
      assert.deepEqual(ends(send(withTeam(), "internet", "crew@contoso.com")), [`delivered google ${C}`, `delivered m365 ${B}`]);
      assert.deepEqual(ends(send(withTeam(), "internet", "team@gsuite.contoso.com")), [`delivered google ${C}`, `delivered m365 ${B}`]);
    });

    it("gives a member of two nested groups one copy, and ends a membership cycle", () => {
      const state = withTeam()
        .googleGroup("all@contoso.com", [{ email: TEAM, type: "GROUP" }, B, { email: "ring@contoso.com", type: "GROUP" }])
        .googleGroup("ring@contoso.com", [{ email: "all@contoso.com", type: "GROUP" }, C]);
      const route = send(state, "google", "all@contoso.com");
      assert.deepEqual(ends(route), [`delivered google ${C}`, `delivered m365 ${B}`]);
      assert.match(route.hops[route.hops.length - 1].action, /expanded to 2 member\(s\) \(nested groups: team@contoso.com, ring@contoso.com\)/);
      const [direct, nested] = route.disposition.kind === "expanded" ? route.disposition.members : [];
      assert.equal(direct.hops[0].action, "a copy for this member of all@contoso.com");
      assert.equal(nested.hops[0].action, "a copy for this member of all@contoso.com (through team@contoso.com)");
    });

    it("sends a CUSTOMER member to every active user, and skips suspended users and members who take no mail", () => {
      const state = withTeam()
        .googleUser("d@contoso.com")
        .suspend("d@contoso.com")
        .googleUser("e@contoso.com")
        .googleGroup("everyone@contoso.com", [{ type: "CUSTOMER" }])
        .googleGroup("quiet@contoso.com", [{ email: B, type: "USER", deliverySettings: "NONE" }, "d@contoso.com", C]);
      assert.deepEqual(ends(send(state, "internet", "everyone@contoso.com")), [`delivered google ${C}`, "delivered google e@contoso.com", `delivered m365 ${B}`]);
      const quiet = send(state, "internet", "quiet@contoso.com");
      assert.deepEqual(ends(quiet), [`delivered google ${C}`]);
      assert.match(quiet.hops[quiet.hops.length - 1].action, /no copy for b@contoso.com \(delivery NONE\), d@contoso.com \(suspended\)/);
    });

    it("sends an outside member out by MX and bounces a member address no Google user has", () => {
      const state = withTeam().mx("fabrikam.example", "mx.fabrikam.example").googleGroup("mixed@contoso.com", ["partner@fabrikam.example", "gone@contoso.com"]);
      const route = send(state, "internet", "mixed@contoso.com");
      assert.deepEqual(ends(route), ["delivered internet partner@fabrikam.example", "ndr google 550 5.1.1"]);
      const [outside] = finalRoutes(route).filter((end) => end.disposition.kind === "delivered");
      assert.equal(pathOf(outside), "I → G → I");
    });
  });

  describe("Exchange distribution groups and mail contacts", () => {
    const withDistributionGroup = (extra: { requireSenderAuthenticationEnabled?: boolean } = {}) =>
      stage2().googleDomain("gsuite.contoso.com").mx("gsuite.contoso.com", GOOGLE_MX).distributionGroup("sales@contoso.com", [B, C, "nested@contoso.com"], extra).distributionGroup("nested@contoso.com", [C, ADMIN]);

    it("expands to each recipient once, nested groups flattened", () => {
      const route = send(withDistributionGroup(), "m365", "sales@contoso.com");
      assert.equal(route.disposition.kind, "expanded");
      assert.deepEqual(ends(route), [`delivered m365 ${ADMIN}`, `delivered m365 ${B}`, `delivered m365 ${C}`]);
    });

    it("refuses mail that arrived by SMTP when the group takes authenticated senders only (New-DistributionGroup's default)", () => {
      const state = withDistributionGroup({ requireSenderAuthenticationEnabled: true });
      const route = send(state, "internet", "sales@contoso.com");
      assert.deepEqual(route.disposition, {
        kind: "ndr",
        code: "550 5.7.133",
        reason: "RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed as sender not authenticated for group",
        system: "exchange",
      });
      assert.equal(send(state, "m365", "sales@contoso.com").disposition.kind, "expanded");
    });

    it("keeps a Google group reachable after cutover through a mail contact on the alias domain", () => {
      const state = stage2()
        .googleDomain("gsuite.contoso.com")
        .mx("gsuite.contoso.com", GOOGLE_MX)
        .googleUser("d@contoso.com")
        .googleGroup("support@contoso.com", [C, "d@contoso.com"], { nonEditableAliases: ["support@gsuite.contoso.com"] });
      assert.equal(send(state, "internet", "support@contoso.com").disposition.kind, "ndr");
      const kept = state.mailContact("support@gsuite.contoso.com", ["support@contoso.com"]);
      for (const from of ["internet", "m365"] as const) {
        const route = send(kept, from, "support@contoso.com");
        assert.deepEqual(ends(route), ["delivered google d@contoso.com", `delivered m365 ${C}`], from);
        assert.match(route.hops.map((hop) => hop.action).join("\n"), /mail contact redirect to support@gsuite.contoso.com/);
      }
    });

    it("stops a group that reaches itself again through the other system: a loop, not a storm", () => {
      // ring (Google) → relay@o365 (an Exchange group) → a contact for ring@gsuite → ring again.
      const state = withTeam()
        .googleGroup("ring@contoso.com", [C, "relay@o365.contoso.com"], { nonEditableAliases: ["ring@gsuite.contoso.com"] })
        .distributionGroup("relay@contoso.com", ["ring@gsuite.contoso.com"], { emailAddresses: ["relay@contoso.com", "relay@o365.contoso.com"] })
        .mailContact("ring@gsuite.contoso.com");
      const route = send(state, "internet", "ring@contoso.com");
      assert.deepEqual(ends(route), [`delivered google ${C}`, "loop google 554 5.4.6"]);
      const [loop] = finalRoutes(route).filter((end) => end.disposition.kind === "loop");
      assert.equal(loop.hops[loop.hops.length - 1].action, "the message reaches the group ring@contoso.com again, which it has already expanded: loop stopped");
    });
  });

  describe("counting the copies", () => {
    it("counts a mailbox reached twice (its address and its routing address are both members) as a duplicate", () => {
      const route = send(withTeam().googleGroup(TEAM, [B, routingAddress(B), C]), "internet", TEAM);
      assert.deepEqual(tallyRoutes(finalRoutes(route)), { delivered: 3, bounces: 0, loops: 0, duplicates: 1, duplicated: [{ mailbox: `m365:${B}`, copies: 2 }] });
    });

    it("lists every end with the hops from the origin, and the trace with one trace per copy", () => {
      const router = createRouter(withTeam().build());
      const trace = router.trace({ from: "internet" }, TEAM);
      assert.equal(trace.members?.length, 2);
      const [toB] = finalRoutes(trace.route).filter((end) => end.disposition.kind === "delivered" && end.disposition.system === "m365");
      assert.equal(pathOf(toB), "I → G → E");
      assert.equal(toB.hops[0].recipient, TEAM);
      assert.equal(toB.hops.length, trace.route.hops.length + (trace.members?.[0].route.hops.length ?? 0));
    });

    it("a single recipient's route is its own only end", () => {
      const route = send(stage1b(), "internet", B);
      assert.deepEqual(finalRoutes(route), [route]);
      assert.deepEqual(tallyRoutes(finalRoutes(route)), { delivered: 1, bounces: 0, loops: 0, duplicates: 0, duplicated: [] });
    });

    it(`stops following a message past ${MAX_COPIES_PER_MESSAGE} copies`, () => {
      const state = stage1b().mx("contoso.com", CONTOSO_EOP_MX).build();
      const members = Array.from({ length: MAX_COPIES_PER_MESSAGE + 1 }, (_, index) => `m${index}@fabrikam.example`);
      state.exchange.distributionGroups = [{ primarySmtpAddress: "huge@contoso.com", emailAddresses: ["huge@contoso.com"], members }];
      const route = routeMessage(state, { from: "m365" }, "huge@contoso.com");
      assert.equal(route.disposition.kind, "loop");
      assert.match(route.hops[route.hops.length - 1].action, /more than the 100000 the model follows/);
    });
  });
});
