import * as fs from "fs";
import { addRemove, invoke } from "../provider/clients/exchange";
import * as google from "../provider/clients/google";
import * as graph from "../provider/clients/graph";
import { routingAddressOf } from "../provider/components/plan";
import { GOOGLE_SMART_HOSTS } from "../provider/resources/outboundConnector";
import { MigrationUser, parseUsersCsv } from "../provider/components/usersCsv";

// The seed's manual method, scripted the way an admin would without this package: one plain
// sequential loop of the same cmdlets and Graph calls, through our clients (same retry policy),
// one call at a time. `npm run bench` runs it next to the engine to give the baseline times.
//
//   node dist/scripts/baseline.js <setup|batch|refresh|destroy> <users.csv> [batch name]
//
// The sandbox (or tenant) comes from the COEXIST_* environment, like every client of ours.

export const BASELINE_OPERATIONS = ["setup", "batch", "refresh", "destroy"] as const;
export type BaselineOperation = (typeof BASELINE_OPERATIONS)[number];

export interface BaselineSettings {
  primaryDomain: string;
  routingDomain: string;
  licenseSku: string;
  usageLocation: string;
  connectorName: string;
  password: string;
}

/** Seed steps 1–4: routing domain, connector to Google, Internal Relay, a mail user per user. */
async function setup(users: MigrationUser[], settings: BaselineSettings): Promise<void> {
  await graph.createDomain(settings.routingDomain);
  await graph.verifyDomain(settings.routingDomain);
  await graph.setSupportedServices(settings.routingDomain, ["Email"]);
  await invoke("New-OutboundConnector", {
    Name: settings.connectorName,
    ConnectorType: "Partner",
    RecipientDomains: [settings.primaryDomain],
    SmartHosts: GOOGLE_SMART_HOSTS,
    UseMXRecord: false,
    TlsSettings: "EncryptionOnly",
  });
  await invoke("Set-AcceptedDomain", { Identity: settings.primaryDomain, DomainType: "InternalRelay" });
  for (const user of users) {
    await invoke("New-MailUser", {
      Name: user.displayName,
      Alias: user.alias,
      DisplayName: user.displayName,
      FirstName: user.firstName,
      LastName: user.lastName,
      ExternalEmailAddress: user.email,
      MicrosoftOnlineServicesID: user.email,
      Password: settings.password,
    });
    await invoke("Set-MailUser", { Identity: user.email, EmailAddresses: addRemove({ add: `smtp:${routingAddressOf(user, settings.routingDomain)}` }) });
  }
}

/**
 * Seed steps 5 and 6 for one batch: usage location and licence per user (the mailbox appears on
 * its own; licensing the whole batch first gives it time), then Gmail forwarding to the routing
 * address per user.
 */
async function moveBatch(users: MigrationUser[], settings: BaselineSettings): Promise<void> {
  const skuId = await graph.resolveSkuId(settings.licenseSku);
  for (const user of users) {
    await graph.setUsageLocation(user.email, user.usageLocation ?? settings.usageLocation);
    await graph.assignLicense(user.email, { addLicenses: [{ skuId, disabledPlans: [] }] });
  }
  for (const user of users) {
    const routingAddress = routingAddressOf(user, settings.routingDomain);
    await google.createForwardingAddress(user.email, routingAddress);
    await google.updateAutoForwarding(user.email, { enabled: true, emailAddress: routingAddress, disposition: "trash" });
  }
}

/** A scripted drift check: each user's recipient, and the Graph user and Gmail forwarding of each migrated one. */
async function check(users: MigrationUser[], licensed: MigrationUser[]): Promise<void> {
  for (const user of users) await invoke("Get-Recipient", { Identity: user.email });
  for (const user of licensed) {
    await graph.getUser(user.email, ["id", "usageLocation", "assignedLicenses"]);
    await google.getAutoForwarding(user.email);
  }
}

/**
 * The teardown: forwarding of the migrated users off and its address removed, mail users removed,
 * mailboxes lose the routing address, connector and relay undone, routing domain removed.
 */
async function teardown(users: MigrationUser[], licensed: MigrationUser[], settings: BaselineSettings): Promise<void> {
  const migrated = new Set(licensed.map((user) => user.email));
  for (const user of users) {
    const routingAddress = routingAddressOf(user, settings.routingDomain);
    if (migrated.has(user.email)) {
      await google.updateAutoForwarding(user.email, { enabled: false });
      await google.deleteForwardingAddress(user.email, routingAddress);
      await invoke("Set-Mailbox", { Identity: user.email, EmailAddresses: addRemove({ remove: `smtp:${routingAddress}` }) });
    } else {
      await invoke("Remove-MailUser", { Identity: user.email });
    }
  }
  await invoke("Remove-OutboundConnector", { Identity: settings.connectorName });
  await invoke("Set-AcceptedDomain", { Identity: settings.primaryDomain, DomainType: "Authoritative" });
  await graph.deleteDomain(settings.routingDomain);
}

export async function runBaseline(operation: BaselineOperation, users: MigrationUser[], batch: string | undefined, settings: BaselineSettings): Promise<void> {
  const licensed = users.filter((user) => user.batch === batch);
  if (operation === "setup") await setup(users, settings);
  else if (operation === "batch") await moveBatch(licensed, settings);
  else if (operation === "refresh") await check(users, licensed);
  else await teardown(users, licensed, settings);
}

if (require.main === module) {
  const [operation, csvPath, batch] = process.argv.slice(2);
  if (!BASELINE_OPERATIONS.includes(operation as BaselineOperation) || !csvPath) {
    console.error(`usage: node dist/scripts/baseline.js <${BASELINE_OPERATIONS.join("|")}> <users.csv> [batch name]`);
    process.exit(2);
  }
  const settings: BaselineSettings = JSON.parse(process.env.COEXIST_BASELINE_SETTINGS ?? "{}");
  const users = parseUsersCsv(fs.readFileSync(csvPath, "utf8"), { primaryDomain: settings.primaryDomain });
  runBaseline(operation as BaselineOperation, users, batch, settings).catch((error: Error) => {
    console.error(`baseline ${operation}: ${error.message}`);
    process.exit(1);
  });
}
