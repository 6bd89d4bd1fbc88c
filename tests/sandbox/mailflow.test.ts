import assert from "node:assert/strict";
import type { Client } from "@microsoft/microsoft-graph-client";
import { invoke } from "../../provider/clients/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "../../sandbox/index";
import { readSeedFile } from "../../sandbox/seed";
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

  it("delivers Internet mail straight to Exchange after the MX cutover", async () => {
    await control(sandbox, "PUT", "dns/mx", { domain: "contoso.com", hosts: ["contoso-com.mail.protection.outlook.com"] });
    const result = await send("internet", "ben.adams@contoso.com");
    assert.equal(result.disposition.kind, "delivered");
    const systems = result.hops.map((hop: { system: string }) => hop.system);
    assert.equal(systems[0], "internet");
    assert.equal(systems.includes("google"), false, JSON.stringify(result.hops));
  });

  it("validates the outbound connector by routing a test message to each recipient", async () => {
    const [result] = await invoke("Validate-OutboundConnector", { Identity: "ToGoogle", Recipients: ["chloe.adams@contoso.com"] });
    assert.equal(result.TaskStatus, "Succeeded", JSON.stringify(result));
  });
});
