import * as assert from "assert";
import { consumersOf, plannedRequirements, seatDemand, type PlanningInputs } from "../../cli/doctorPlan";
import { leastPrivileged, type GrantKind } from "../../provider/clients/grants";
import type { MigrationUser } from "../../provider/components/usersCsv";
import { DEMO_SEED_PATH } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";

function user(email: string, batch: string): MigrationUser {
  return { email, firstName: "A", lastName: "B", displayName: "A B", alias: email.split("@")[0], batch };
}

const USERS = [user("ann@contoso.com", "pilot"), user("bob@contoso.com", "pilot"), user("cat@contoso.com", "wave1")];

function inputs(change: Partial<PlanningInputs> = {}): PlanningInputs {
  return { users: USERS, batches: {}, phase: "coexistence", scope: "all", primaryDomain: "contoso.com", routingDomain: "o365.contoso.com", licenseSku: "EXCHANGESTANDARD", ...change };
}

function grants(plan: PlanningInputs, kind: GrantKind, need: "now" | "later" | "doctor"): string[] {
  return leastPrivileged(plannedRequirements(consumersOf(plan)).filter((requirement) => requirement.kind === kind && requirement.need === need));
}

describe("coexist doctor: what the plan needs", () => {
  describe("consumersOf", () => {
    const cases: Array<[string, Partial<PlanningInputs>, { now: string[]; later: string[] }]> = [
      ["no users CSV: everything, now", { users: undefined }, { now: ["RoutingDomain", "OutboundConnector", "AcceptedDomain", "MailUser", "LicenseAssignment", "GoogleForwardingRoute"], later: [] }],
      ["every batch at Google", {}, { now: ["RoutingDomain", "OutboundConnector", "AcceptedDomain", "MailUser"], later: ["LicenseAssignment", "GoogleForwardingRoute"] }],
      ["a batch migrating: licences now", { batches: { pilot: "migrating" } }, { now: ["RoutingDomain", "OutboundConnector", "AcceptedDomain", "MailUser", "LicenseAssignment"], later: ["GoogleForwardingRoute"] }],
      ["a batch migrated: forwarding now", { batches: { wave1: "migrated" } }, { now: ["RoutingDomain", "OutboundConnector", "AcceptedDomain", "MailUser", "LicenseAssignment", "GoogleForwardingRoute"], later: [] }],
      ["scope tenant: the users are other stacks'", { scope: "tenant", batches: { wave1: "migrated" } }, { now: ["RoutingDomain", "OutboundConnector", "AcceptedDomain"], later: ["MailUser", "LicenseAssignment", "GoogleForwardingRoute"] }],
      ["scope batch: only that batch's state counts", { scope: { batch: "pilot" }, batches: { wave1: "migrated" } }, { now: ["MailUser"], later: ["RoutingDomain", "OutboundConnector", "AcceptedDomain", "LicenseAssignment", "GoogleForwardingRoute"] }],
    ];
    for (const [name, change, expected] of cases) {
      it(name, () => assert.deepStrictEqual(consumersOf(inputs(change)), expected));
    }
  });

  describe("plannedRequirements", () => {
    it("the whole plan needs exactly the grants the sandbox's demo app holds (sandbox/README.md, 'Permissions and roles')", () => {
      const app = readSeedFile(DEMO_SEED_PATH).microsoft[0].apps[0];
      const plan = inputs({ batches: { pilot: "migrating", wave1: "migrated" } });
      const all = (kind: GrantKind): string[] => [...grants(plan, kind, "now"), ...grants(plan, kind, "doctor")].sort();
      assert.deepStrictEqual(all("graphPermission"), [...(app.graphPermissions ?? [])].sort());
      assert.deepStrictEqual(all("exchangePermission"), app.exchangePermissions);
      assert.deepStrictEqual(all("directoryRole"), [...(app.directoryRoles ?? [])].sort());
      const delegated = readSeedFile(DEMO_SEED_PATH).google.serviceAccount.scopes;
      assert.deepStrictEqual(all("googleScope").filter((scope) => !delegated.includes(scope)), []);
    });

    it("drops what a stronger grant of the same urgency covers, naming its uses under the stronger one", () => {
      const requirements = plannedRequirements(consumersOf(inputs({ batches: { pilot: "migrating" } })));
      assert.deepStrictEqual(grants(inputs({ batches: { pilot: "migrating" } }), "directoryRole", "now"), ["Exchange Administrator", "User Administrator"], "Exchange Recipient Administrator is covered");
      const domainWrite = requirements.find((requirement) => requirement.anyOf[0][0] === "Domain.ReadWrite.All");
      assert.ok(domainWrite?.neededFor.some((use) => use.startsWith("AcceptedDomain: check the primary domain is verified with Email")), "Domain.Read.All's use moved to Domain.ReadWrite.All");
      assert.ok(!requirements.some((requirement) => requirement.anyOf[0][0] === "Domain.Read.All"));
    });

    it("keeps a grant needed now although a stronger one is needed only later", () => {
      const plan = inputs({ scope: { batch: "pilot" } });
      assert.deepStrictEqual(grants(plan, "directoryRole", "now"), ["Exchange Recipient Administrator", "User Administrator"]);
      assert.deepStrictEqual(grants(plan, "directoryRole", "later"), ["Exchange Administrator"]);
      assert.deepStrictEqual(grants(plan, "graphPermission", "later"), ["Domain.ReadWrite.All", "LicenseAssignment.Read.All", "User.ReadUpdate.All", "LicenseAssignment.ReadWrite.All"]);
    });

    it("what only coexist doctor reads is its own urgency", () => {
      assert.deepStrictEqual(grants(inputs(), "graphPermission", "doctor"), ["RoleManagement.Read.Directory"]);
      assert.deepStrictEqual(grants(inputs(), "googleScope", "doctor"), ["https://www.googleapis.com/auth/cloud-identity.policies.readonly"]);
    });
  });

  describe("seatDemand", () => {
    it("lists the users of the scope's migrating and migrated batches", () => {
      assert.deepStrictEqual(seatDemand(inputs({ batches: { pilot: "migrating", wave1: "migrated" } })), {
        batches: [
          { batch: "pilot", state: "migrating", users: ["ann@contoso.com", "bob@contoso.com"] },
          { batch: "wave1", state: "migrated", users: ["cat@contoso.com"] },
        ],
      });
      assert.deepStrictEqual(seatDemand(inputs({ scope: { batch: "wave1" }, batches: { pilot: "migrating" } })), { batches: [] });
      assert.deepStrictEqual(seatDemand(inputs({ users: undefined })), { batches: [] });
    });
  });
});
