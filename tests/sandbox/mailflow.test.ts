import assert from "node:assert/strict";
import type { Client } from "@microsoft/microsoft-graph-client";
import { invoke } from "../../provider/clients/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { control, gmail, graphClient, startTestSandbox, useSandboxEnvironment } from "./harness";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const demo = readSeedFile(DEMO_SEED_PATH);

describe("sandbox mail-flow simulation (set up through the APIs, routed by the routing model)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;
  let graph: Client;

  const send = (from: string, to: string) => control(sandbox, "POST", "mail", { from, to });

  before(async () => {
    sandbox = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, licenceConversionDelaySeconds: 0 } } });
    restoreEnvironment = useSandboxEnvironment(sandbox);
    graph = graphClient(sandbox);
    await graph.api("/domains").post({ id: "o365.contoso.com" });
    await graph.api("/domains/o365.contoso.com/verify").post({});
    await graph.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
    await invoke("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "InternalRelay" });
    await invoke("New-OutboundConnector", { Name: "ToGoogle", RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"], UseMXRecord: false });
    for (const alias of ["ben.adams", "chloe.adams"]) {
      await invoke("New-MailUser", {
        Name: alias,
        MicrosoftOnlineServicesID: `${alias}@contoso.com`,
        Password: "Sandbox-Passw0rd!",
        PrimarySmtpAddress: `${alias}@contoso.com`,
        ExternalEmailAddress: `${alias}@gsuite.contoso.com`,
      });
      await invoke("Set-MailUser", { Identity: `${alias}@contoso.com`, EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: [`smtp:${alias}@o365.contoso.com`] } });
    }
    const ben = gmail(sandbox, "ben.adams@contoso.com");
    await ben.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "ben.adams@o365.contoso.com" } });
    await ben.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" } });
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("reports a loop while Gmail forwards to a routing address whose Microsoft 365 recipient is still a MailUser", async () => {
    const result = await send("internet", "ben.adams@contoso.com");
    assert.equal(result.disposition.kind, "loop", JSON.stringify(result, null, 2));
  });

  it("delivers the seed's three test messages once the user is licensed", async () => {
    await graph.api("/users/ben.adams@contoso.com").patch({ usageLocation: "GB" });
    await graph.api("/users/ben.adams@contoso.com/assignLicense").post({ addLicenses: [{ skuId: EXCHANGE_STANDARD, disabledPlans: [] }], removeLicenses: [] });
    const expected: Record<string, { system: string; mailbox: string }> = {
      "Internet → migrated user": { system: "m365", mailbox: "ben.adams@contoso.com" },
      "Google user → migrated user": { system: "m365", mailbox: "ben.adams@contoso.com" },
      "migrated user → Google user": { system: "google", mailbox: "chloe.adams@contoso.com" },
    };
    assert.equal(demo.testMessages.length, 3);
    for (const message of demo.testMessages) {
      const result = await send(message.from, message.to);
      assert.equal(result.disposition.kind, "delivered", `${message.name}: ${JSON.stringify(result, null, 2)}`);
      assert.equal(result.disposition.system, expected[message.name].system, message.name);
      assert.equal(result.disposition.mailbox, expected[message.name].mailbox, message.name);
    }
  });

  it("answers a single recipient with its route only, and a group with every copy: Google and Exchange groups expand", async () => {
    const single = await send("internet", "ben.adams@contoso.com");
    assert.deepEqual(Object.keys(single).sort(), ["disposition", "hops", "origin"]);
    // The seed's cross-batch group: ben is not a member; everyone is still at Google.
    const launch = await send("internet", "launch-team@contoso.com");
    assert.equal(launch.disposition.kind, "expanded");
    assert.deepEqual(launch.summary, { delivered: 5, bounces: 0, loops: 0, duplicates: 0, duplicated: [] });
    assert.ok(launch.deliveries.every((end: { disposition: { system: string } }) => end.disposition.system === "google"));
    // An Exchange group with the migrated ben and a contact that routes to the Google group support@.
    await invoke("New-MailContact", { Name: "Support at Google", ExternalEmailAddress: "support@gsuite.contoso.com" });
    await invoke("New-DistributionGroup", { Name: "Sales DL", PrimarySmtpAddress: "sales-dl@contoso.com", Members: ["ben.adams@contoso.com", "support@gsuite.contoso.com"] });
    const dl = await send("admin@contoso.onmicrosoft.com", "sales-dl@contoso.com");
    const where = dl.deliveries.map((end: { disposition: { system: string; mailbox: string } }) => `${end.disposition.system} ${end.disposition.mailbox}`).sort();
    assert.deepEqual(where, ["google dev.adams@contoso.com", "google liam.adams@contoso.com", "google maya.adams@contoso.com", "m365 ben.adams@contoso.com"]);
    assert.equal(dl.summary.delivered, 4);
  });

  it("delivers Internet mail straight to Exchange after the MX cutover", async () => {
    await control(sandbox, "PUT", "dns/mx", { domain: "contoso.com", hosts: ["contoso-com.mail.protection.outlook.com"] });
    const result = await send("internet", "ben.adams@contoso.com");
    assert.equal(result.disposition.kind, "delivered");
    const systems = result.hops.map((hop: { system: string }) => hop.system);
    assert.equal(systems[0], "internet");
    assert.equal(systems.includes("google"), false, JSON.stringify(result.hops));
  });

  it("validates an outbound connector directly: its smart host's system must have each recipient, whatever the routing", async () => {
    await invoke("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "Authoritative" });
    const results = await invoke("Validate-OutboundConnector", { Identity: "ToGoogle", Recipients: ["chloe.adams@contoso.com", "nobody@contoso.com", "x@fabrikam.example", "support@contoso.com"] });
    assert.deepEqual(
      results.map((result) => result.TaskStatus),
      ["Succeeded", "Failed", "Failed", "Succeeded"],
      JSON.stringify(results),
    );
    assert.match(String(results[1].Details), /^550 5\.1\.1 /);
    assert.match(String(results[2].Details), /not in the connector's RecipientDomains/);
  });

  it("validates a UseMXRecord connector at the recipient domain's MX system, and fails a smart host the sandbox cannot reach", async () => {
    await invoke("New-OutboundConnector", { Name: "ByMx", RecipientDomains: ["o365.contoso.com"], UseMXRecord: true });
    const [viaMx] = await invoke("Validate-OutboundConnector", { Identity: "ByMx", Recipients: ["ben.adams@o365.contoso.com"] });
    assert.equal(viaMx.TaskStatus, "Succeeded", JSON.stringify(viaMx));
    await invoke("New-OutboundConnector", { Name: "Elsewhere", RecipientDomains: ["contoso.com"], SmartHosts: ["mail.example.net"], UseMXRecord: false });
    const [unreachable] = await invoke("Validate-OutboundConnector", { Identity: "Elsewhere", Recipients: ["chloe.adams@contoso.com"] });
    assert.match(String(unreachable.Details), /^450 4\.4\.317 /);
  });

  it("routes a message to a member of a SentToMemberOf group through the rule's connector", async () => {
    await invoke("New-DistributionGroup", { Name: "Still at Google", PrimarySmtpAddress: "still-at-google@contoso.com", Members: ["chloe.adams@contoso.com"] });
    await invoke("New-OutboundConnector", { Name: "Scoped", SmartHosts: ["smtp.google.com"], UseMXRecord: false, IsTransportRuleScoped: true });
    await invoke("New-TransportRule", { Name: "Group route", SentToMemberOf: ["still-at-google@contoso.com"], RouteMessageOutboundConnector: "Scoped" });
    const result = await send("ben.adams@contoso.com", "chloe.adams@contoso.com");
    assert.equal(result.disposition.kind, "delivered", JSON.stringify(result, null, 2));
    assert.match(JSON.stringify(result.hops), /transport rule Group route/);
  });
});
