import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { controlRequest, startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { repoRoot } from "../../scripts/engine-env";
import {
  addressCells,
  applyStageDns,
  MOVED_DOMAINS,
  MOVING_ALIAS_DOMAIN,
  checkAddressFlow,
  checkMailFlow,
  configureStage,
  googleGroups,
  groupsConfig,
  seedWithMovingAliasDomain,
  groupsCsv,
  journeyConfig,
  migrationUsers,
  stages,
  usersCsv,
  type AddressFlowRow,
  type GoogleGroup,
  type GoogleUser,
} from "../../scripts/journey";
import { changedSteps, Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";

// Issue 16: every address survives each stage of the journey, cutover and decommission included.
// One stack of the root program over the demo tenant reduced to 6 users in 2 batches (Engineering
// first, Sales second): ben.adams (Engineering) has the alias ben@, and eng-leads@ holds ben
// (Engineering) and emma (Sales), so it has members on both systems while Engineering moves first.
describe("aliases, alias-domain addresses and groups receive mail at every stage of the journey, against a strict sandbox (replication lag at every point)", function () {
  this.timeout(1_800_000);
  let sandbox: SandboxHandle;
  let stack: Stack;
  let cleanup: () => void;
  let population: { users: GoogleUser[]; departments: string[] };
  let groups: GoogleGroup[];
  let groupsCsvPath: string;
  const rows: Record<string, AddressFlowRow[]> = {};

  /** What Exchange Online holds at each group address: a distribution group (with its member count) or a mail contact. */
  async function exchangeObjects(): Promise<string[]> {
    type Holder = { emailAddresses: string[]; recipientTypeDetails?: string; members?: string[] };
    const state = (await controlRequest(sandbox, "GET", "/sandbox/state")).body as { tenants: { recipients: Holder[]; distributionGroups: Holder[] }[] };
    const { recipients, distributionGroups } = state.tenants[0];
    return groups.map((group) => {
      const found = [...distributionGroups, ...recipients].find((holder) => holder.emailAddresses.some((proxy) => proxy.toLowerCase() === `smtp:${group.email}`));
      return `${group.email} ${found === undefined ? "none" : found.members ? `group of ${found.members.length}` : found.recipientTypeDetails}`;
    });
  }

  /** How Exchange Online treats the alias domain that moves: its accepted-domain type, and whether the connector to Google relays it. */
  async function movingAliasDomain(): Promise<string> {
    type Tenant = { acceptedDomainTypes: { domainName: string; domainType: string }[]; connectors: { recipientDomains: string[] }[] };
    const state = (await controlRequest(sandbox, "GET", "/sandbox/state")).body as { tenants: Tenant[] };
    const { acceptedDomainTypes, connectors } = state.tenants[0];
    const type = acceptedDomainTypes.find((entry) => entry.domainName === MOVING_ALIAS_DOMAIN)?.domainType ?? "Authoritative";
    const relayed = connectors.some((connector) => connector.recipientDomains.includes(MOVING_ALIAS_DOMAIN));
    return `${type}${relayed ? ", relayed to Google" : ""}`;
  }

  before(async () => {
    const state = tempStateDir("groups-and-aliases");
    cleanup = state.cleanup;
    sandbox = await startSandbox({ seed: seedWithMovingAliasDomain(), users: 6, departments: 2, strict: true });
    population = await migrationUsers(sandbox);
    groups = await googleGroups(sandbox);
    const csvPath = path.join(state.dir, "users.csv");
    groupsCsvPath = path.join(state.dir, "groups.csv");
    fs.writeFileSync(csvPath, usersCsv(population.users, { withAliases: true }));
    fs.writeFileSync(groupsCsvPath, groupsCsv(groups, stages[0]));
    stack = new Stack({ projectDir: repoRoot, stack: "groups-and-aliases", stateDir: state.dir, passphrase: "groups-and-aliases", env: sandbox.env });
    await stack.init({ ...journeyConfig(csvPath), ...groupsConfig(groupsCsvPath) }, { "coexist:mailUserPassword": "Groups-Passw0rd!" });
  });
  after(async () => {
    await stack?.remove();
    await sandbox?.stop();
    cleanup?.();
  });

  it("has the cells the issue names: an alias of a batch-1 user, its alias-domain address, and a group across both batches", () => {
    const cells = addressCells(population, groups, stages[0]);
    assert.deepStrictEqual(population.departments, ["Engineering", "Sales"]);
    assert.deepStrictEqual(
      cells.map((cell) => [cell.kind, cell.address, cell.recipients.join(" ")]),
      [
        ["user alias", "ben@contoso.com", "ben.adams@contoso.com"],
        ["alias-domain address", "ben.adams@contoso.net", "ben.adams@contoso.com"],
        ["group", "eng-leads@contoso.com", "ben.adams@contoso.com emma.adams@contoso.com"],
        ["group alias", "eng-leads@contoso.net", "ben.adams@contoso.com emma.adams@contoso.com"],
        ["group", "launch@contoso.com", "ada.adams@contoso.com chloe.adams@contoso.com"],
        ["group alias", "launch-team@contoso.com", "ada.adams@contoso.com chloe.adams@contoso.com"],
        ["group alias", "launch@contoso.net", "ada.adams@contoso.com chloe.adams@contoso.com"],
        ["group", "support@contoso.com", "dev.adams@contoso.com"],
        ["group alias", "help@contoso.com", "dev.adams@contoso.com"],
        ["group alias", "support@contoso.net", "dev.adams@contoso.com"],
      ],
    );
  });

  for (const stage of stages) {
    it(`${stage.name}: every copy lands once in its recipient's current mailbox, 0 loops, 0 bounces; a second preview plans nothing`, async () => {
      fs.writeFileSync(groupsCsvPath, groupsCsv(groups, stage));
      const batches = await configureStage(stack, stage, population.departments);
      await stack.up();
      const kept = stage.phase === "decommissioned" ? "group of 1" : "MailContact";
      assert.deepStrictEqual(await exchangeObjects(), ["eng-leads@contoso.com group of 2", "launch@contoso.com group of 2", `support@contoso.com ${kept}`]);
      // Like the primary domain: Internal Relay to Google while anyone is there, Authoritative once everyone moved.
      const anyoneAtGoogle = population.departments.some((department) => (batches[department] ?? "google") !== "migrated");
      assert.strictEqual(await movingAliasDomain(), anyoneAtGoogle ? "InternalRelay, relayed to Google" : stage.phase === "decommissioned" ? "Authoritative" : "Authoritative, relayed to Google");
      await applyStageDns(sandbox, stage, MOVED_DOMAINS);
      const users = await checkMailFlow(sandbox, stage, batches, population, 3);
      const stageRows: AddressFlowRow[] = [];
      const addresses = await checkAddressFlow(sandbox, stage, batches, population, addressCells(population, groups, stage), (row) => stageRows.push(row));
      rows[stage.name] = stageRows;
      assert.deepStrictEqual([users.loops + addresses.loops, users.bounces + addresses.bounces], [0, 0]);
      assert.strictEqual(addresses.delivered, addresses.cells);
      assert.strictEqual(addresses.cells, 10 * stage.senders.length);
      assert.deepStrictEqual(changedSteps(await stack.preview()).map((step) => `${step.op} ${step.urn}`), []);
    });
  }

  it("once Engineering has moved and Sales has not, one message from the Internet to eng-leads@ reaches ben in Exchange Online and emma in Gmail", () => {
    const engLeads = rows["batch 1 migrated, batch 2 migrating"]?.find((row) => row.cell.address === "eng-leads@contoso.com");
    assert.ok(engLeads, "the stage ran");
    assert.strictEqual(engLeads.cells[0], "internet→google+m365");
  });
});
