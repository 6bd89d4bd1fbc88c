import * as assert from "assert";
import type { RankedRequirement } from "../../cli/doctorPlan";
import {
  acceptedDomainRow,
  autoForwardingRow,
  grantVerdicts,
  permissionRows,
  verifiedDomainRow,
  roleRows,
  routingDomainRow,
  seatsRow,
  type FixContext,
  type RoleFacts,
} from "../../cli/doctorVerdicts";
import type { Domain, SubscribedSku } from "../../provider/clients/graph";
import type { GooglePolicy } from "../../provider/clients/google";

const FIX: FixContext = { clientId: "3c9a2d4e-1b2f-4c5d-8e7f-9a0b1c2d3e4f", servicePrincipalId: "sp-1", graphHost: "graph.microsoft.com", googleClient: "the client ID 42" };

function requirement(kind: RankedRequirement["kind"], anyOf: string[][], need: RankedRequirement["need"], use = "MailUser: something"): RankedRequirement {
  return { kind, anyOf, need, neededFor: [use] };
}

const READ_USER = requirement("graphPermission", [["User.Read.All"], ["User.ReadWrite.All"], ["Directory.Read.All"]], "now", "MailUser: wait for the Entra user");
const ACCOUNT_ENABLED = requirement("graphPermission", [["User.EnableDisableAccount.All", "User.Read.All"], ["User.ReadWrite.All"]], "now", "MailUser: block sign-in");
const LICENCES = requirement("graphPermission", [["LicenseAssignment.ReadWrite.All"], ["User.ReadWrite.All"]], "later", "LicenseAssignment: assign");

describe("coexist doctor: verdicts", () => {
  describe("grantVerdicts and permissionRows", () => {
    it("a grant not held but covered by a higher one passes, saying so", () => {
      const rows = permissionRows("graphPermission", [READ_USER, ACCOUNT_ENABLED], ["User.ReadWrite.All"], "Graph", FIX);
      assert.deepStrictEqual(
        rows.map((entry) => [entry.id, entry.status, entry.evidence]),
        [
          ["graph-permission:User.Read.All", "PASS", "not granted itself, but User.ReadWrite.All is, which covers it (more privilege than needed)"],
          ["graph-permission:User.EnableDisableAccount.All", "PASS", "not granted itself, but User.ReadWrite.All is, which covers it (more privilege than needed)"],
        ],
      );
    });

    it("of an option of two grants, the missing one is named, not the held one", () => {
      const verdicts = grantVerdicts([ACCOUNT_ENABLED], new Set(["User.EnableDisableAccount.All"]));
      assert.deepStrictEqual(
        verdicts.map((verdict) => [verdict.grant, verdict.unmet.length]),
        [
          ["User.EnableDisableAccount.All", 0],
          ["User.Read.All", 1],
        ],
      );
    });

    it("a missing grant fails when needed now and warns when needed later, with its uses, the alternatives and the fix", () => {
      const rows = permissionRows("graphPermission", [READ_USER, LICENCES], [], "Graph", FIX);
      assert.strictEqual(rows[0].status, "FAIL");
      assert.strictEqual(
        rows[0].evidence,
        "User.Read.All is missing (the Graph token's roles: none). Needed by the resources this stack plans: MailUser: wait for the Entra user. Higher-privileged grants that would also do: User.ReadWrite.All, Directory.Read.All.",
      );
      assert.strictEqual(
        rows[0].fix,
        "Entra admin center → App registrations → the app 3c9a2d4e-1b2f-4c5d-8e7f-9a0b1c2d3e4f → API permissions → Add a permission → Microsoft Graph → Application permissions → User.Read.All → Add permissions, then Grant admin consent; " +
          "or: az ad app permission add --id 3c9a2d4e-1b2f-4c5d-8e7f-9a0b1c2d3e4f --api 00000003-0000-0000-c000-000000000000 --api-permissions \"$(az ad sp show --id 00000003-0000-0000-c000-000000000000 --query \"appRoles[?value=='User.Read.All'].id\" -o tsv)=Role\" && az ad app permission admin-consent --id 3c9a2d4e-1b2f-4c5d-8e7f-9a0b1c2d3e4f",
      );
      assert.strictEqual(rows[1].status, "WARN");
      assert.match(rows[1].evidence, /Not needed by this stack's plan yet, but by a later step of the migration \(or another stack of this app\): LicenseAssignment: assign/);
    });
  });

  describe("roleRows", () => {
    const USER_ADMIN = requirement("directoryRole", [["User Administrator"], ["Privileged Authentication Administrator"], ["Global Administrator"]], "now", "MailUser: set the password");
    const facts = (change: Partial<RoleFacts>): RoleFacts => ({ assigned: new Set(), scoped: new Map(), inToken: new Set(), ...change });
    const cases: Array<[string, Partial<RoleFacts>, string, RegExp]> = [
      ["assigned and in the token", { assigned: new Set(["User Administrator"]), inToken: new Set(["User Administrator"]) }, "PASS", /^assigned to the app's service principal for the whole tenant, and in the token's wids$/],
      ["assigned, not yet in the token", { assigned: new Set(["User Administrator"]) }, "WARN", /^assigned, but the token Entra issued just now does not carry it yet/],
      ["in the token without an assignment", { inToken: new Set(["User Administrator"]) }, "PASS", /without a direct assignment \(through a group\?\)/],
      ["a higher role covers it", { assigned: new Set(["Global Administrator"]), inToken: new Set(["Global Administrator"]) }, "PASS", /^not assigned itself, but Global Administrator is/],
      ["assignments unreadable, in the token", { assigned: undefined, assignmentsUnreadable: "HTTP 403", inToken: new Set(["User Administrator"]) }, "PASS", /^in the token's wids \(role assignments not readable: HTTP 403\)$/],
      ["assigned for an administrative unit only", { scoped: new Map([["User Administrator", "directory scope /administrativeUnits/1"]]) }, "FAIL", /User Administrator assigned for directory scope \/administrativeUnits\/1 only, which does not count/],
      ["neither", {}, "FAIL", /^User Administrator is missing \(assigned to the app's service principal sp-1 for the whole tenant: none; in the token's wids: none\)\. Needed by the resources this stack plans: MailUser: set the password\. Higher-privileged grants that would also do: Privileged Authentication Administrator, Global Administrator\.$/],
    ];
    for (const [name, change, status, evidence] of cases) {
      it(name, () => {
        const [found] = roleRows([USER_ADMIN], facts(change), FIX);
        assert.strictEqual(found.status, status, found.evidence);
        assert.match(found.evidence, evidence);
        if (status === "FAIL") {
          assert.strictEqual(
            found.fix,
            "Entra admin center → Roles & admins → User Administrator → Add assignments → the app 3c9a2d4e-1b2f-4c5d-8e7f-9a0b1c2d3e4f (as a Privileged Role Administrator); " +
              `or: az rest --method POST --url https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments --body '{"principalId":"sp-1","roleDefinitionId":"fe930be7-5e62-47db-91af-98c3a49a38b1","directoryScopeId":"/"}'`,
          );
        }
      });
    }
  });

  describe("domains", () => {
    const domain = (change: Partial<Domain>): Domain => ({ id: "contoso.com", isVerified: true, supportedServices: ["Email"], ...change });
    it("primary domain: missing, unverified, without Email fail; verified with Email passes", () => {
      assert.deepStrictEqual(
        [undefined, domain({ isVerified: false }), domain({ supportedServices: ["OfficeCommunicationsOnline"] }), domain({})].map((entry) => verifiedDomainRow("contoso.com", entry).status),
        ["FAIL", "FAIL", "FAIL", "PASS"],
      );
      assert.match(verifiedDomainRow("contoso.com", domain({ supportedServices: [] })).fix ?? "", /Settings → Domains → contoso\.com → Manage DNS → choose Exchange \(Email\)/);
    });
    it("accepted domain: listed passes; missing warns while Graph shows it verified (lag), else fails", () => {
      assert.strictEqual(acceptedDomainRow("contoso.com", [{ DomainName: "contoso.com", DomainType: "Authoritative" }], true).status, "PASS");
      assert.strictEqual(acceptedDomainRow("contoso.com", [{ DomainName: "contoso.onmicrosoft.com" }], true).status, "WARN");
      assert.strictEqual(acceptedDomainRow("contoso.com", [{ DomainName: "contoso.onmicrosoft.com" }], false).status, "FAIL");
    });
    it("an alias domain gets rows of its own, named after it", () => {
      const verified = verifiedDomainRow("contoso.net", undefined, "alias");
      assert.deepStrictEqual([verified.id, verified.check, verified.status], ["domain:alias:contoso.net:graph", "Alias domain contoso.net verified with Email (Graph)", "FAIL"]);
      const accepted = acceptedDomainRow("contoso.net", [{ DomainName: "contoso.net", DomainType: "InternalRelay" }], true, "alias");
      assert.deepStrictEqual([accepted.id, accepted.status, accepted.evidence], ["domain:alias:contoso.net:exchange", "PASS", "Get-AcceptedDomain lists contoso.net (InternalRelay)"]);
    });
    it("routing domain: absent or finished passes; half-finished warns about adopt", () => {
      assert.strictEqual(routingDomainRow("o365.contoso.com", undefined, []).status, "PASS");
      assert.strictEqual(routingDomainRow("o365.contoso.com", domain({ id: "o365.contoso.com" }), [{ DomainName: "o365.contoso.com" }]).status, "PASS");
      const half = routingDomainRow("o365.contoso.com", domain({ id: "o365.contoso.com", isVerified: false, supportedServices: [] }), []);
      assert.strictEqual(half.status, "WARN");
      assert.match(half.evidence, /only with adopt: true/);
    });
  });

  describe("seatsRow", () => {
    const SKU: SubscribedSku = { skuId: "sku-1", skuPartNumber: "EXCHANGESTANDARD", prepaidUnits: { enabled: 5 }, consumedUnits: 3, capabilityStatus: "Enabled" };
    const demand = { batches: [{ batch: "pilot", state: "migrating" as const, users: ["a@c.com", "b@c.com", "c@c.com"] }] };
    const licensed = { id: "1", assignedLicenses: [{ skuId: "SKU-1", disabledPlans: [] }] };
    it("counts only users who do not hold the licence yet, new users included", () => {
      const found = seatsRow({ skuName: "EXCHANGESTANDARD", sku: SKU, tenantSkus: [SKU], demand, users: new Map([["a@c.com", licensed], ["b@c.com", undefined]]) });
      assert.strictEqual(found.status, "PASS");
      assert.strictEqual(found.evidence, "pilot (migrating): 3 users, 2 without the licence; 2 seats needed, EXCHANGESTANDARD: 5 enabled, 3 consumed, 2 free");
    });
    it("fails with the shortfall", () => {
      const found = seatsRow({ skuName: "EXCHANGESTANDARD", sku: { ...SKU, consumedUnits: 4 }, tenantSkus: [SKU], demand, users: new Map() });
      assert.strictEqual(found.status, "FAIL");
      assert.match(found.evidence, /^2 seats short: /);
    });
    it("an unknown SKU fails listing the tenant's; a suspended subscription warns; no demand passes", () => {
      assert.match(seatsRow({ skuName: "E5", tenantSkus: [SKU], demand, users: new Map() }).evidence, /has no subscription E5 \(it has: EXCHANGESTANDARD\)/);
      assert.strictEqual(seatsRow({ skuName: "EXCHANGESTANDARD", sku: { ...SKU, consumedUnits: 0, capabilityStatus: "Suspended" }, tenantSkus: [SKU], demand, users: new Map() }).status, "WARN");
      assert.strictEqual(seatsRow({ skuName: "EXCHANGESTANDARD", sku: SKU, tenantSkus: [SKU], demand: { batches: [] }, users: new Map() }).status, "PASS");
    });
  });

  describe("autoForwardingRow", () => {
    const policy = (orgUnit: string, type: "SYSTEM" | "ADMIN", sortOrder: number, allowed: boolean): GooglePolicy => ({
      name: `policies/${orgUnit}-${type}`,
      type,
      policyQuery: { orgUnit, sortOrder },
      setting: { type: "settings/gmail.auto_forwarding", value: { enableAutoForwarding: allowed } },
    });
    const SYSTEM = policy("orgUnits/top", "SYSTEM", 100, true);
    const cases: Array<[string, GooglePolicy[], boolean, string, RegExp]> = [
      ["no policy: Google's default", [], true, "PASS", /Google's default, allowed/],
      ["the default allows", [SYSTEM], true, "PASS", /orgUnits\/top: allowed/],
      ["the admin forbids it for the top-level unit, a batch migrated", [SYSTEM, policy("orgUnits/top", "ADMIN", 200, false)], true, "FAIL", /forbidden for the top-level organisational unit/],
      ["the same before any batch migrated", [SYSTEM, policy("orgUnits/top", "ADMIN", 200, false)], false, "WARN", /forbidden for the top-level/],
      ["forbidden for one sub-unit only", [SYSTEM, policy("orgUnits/students", "ADMIN", 200, false)], true, "WARN", /forbidden for orgUnits\/students only/],
      ["a later admin policy allows it again", [SYSTEM, policy("orgUnits/top", "ADMIN", 200, false), policy("orgUnits/top", "ADMIN", 300, true)], true, "PASS", /orgUnits\/top: allowed/],
    ];
    for (const [name, policies, migrated, status, evidence] of cases) {
      it(name, () => {
        const found = autoForwardingRow(policies, migrated);
        assert.strictEqual(found.status, status);
        assert.match(found.evidence, evidence);
      });
    }
  });
});
