import * as assert from "assert";
import type { Client } from "@microsoft/microsoft-graph-client";
import { runTrace, type TraceIo } from "../../cli/trace";
import { readLiveState } from "../../cli/liveState";
import { invoke } from "../../provider/clients/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { gmail, graphClient, startTestSandbox, useSandboxEnvironment } from "../sandbox/harness";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const demo = readSeedFile(DEMO_SEED_PATH);

/** Runs `coexist trace` against the live (sandbox) tenants and captures what it prints. */
async function trace(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: TraceIo = { out: (text) => (out += text), err: (text) => (err += text), readState: readLiveState };
  const code = await runTrace(argv, io);
  return { code, out, err };
}

async function forwardInGmail(sandbox: SandboxHandle, user: string, target: string): Promise<void> {
  const mailbox = gmail(sandbox, user);
  await mailbox.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: target } });
  await mailbox.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: target, disposition: "trash" } });
}

describe("coexist trace against the sandbox tenants", function () {
  this.timeout(60_000);
  let sandbox: SandboxHandle;
  let graph: Client;

  // The demo's "pilot migrated" stage, set up through the APIs: ben is licensed and forwarded,
  // chloe and dev are mail users still at Google.
  before(async () => {
    sandbox = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, licenceConversionDelaySeconds: 0 } } });
    useSandboxEnvironment(sandbox);
    graph = graphClient(sandbox);
    await graph.api("/domains").post({ id: "o365.contoso.com" });
    await graph.api("/domains/o365.contoso.com/verify").post({});
    await graph.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
    await invoke("New-OutboundConnector", { Name: "ToGoogle", RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"], UseMXRecord: false });
    await invoke("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "InternalRelay" });
    for (const alias of ["ben.adams", "chloe.adams", "dev.adams"]) {
      await invoke("New-MailUser", {
        Name: alias,
        MicrosoftOnlineServicesID: `${alias}@contoso.com`,
        Password: "Sandbox-Passw0rd!",
        PrimarySmtpAddress: `${alias}@contoso.com`,
        ExternalEmailAddress: `${alias}@contoso.com`,
      });
      await invoke("Set-MailUser", { Identity: `${alias}@contoso.com`, EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: [`smtp:${alias}@o365.contoso.com`] } });
    }
    await graph.api("/users/ben.adams@contoso.com").patch({ usageLocation: "GB" });
    await graph.api("/users/ben.adams@contoso.com/assignLicense").post({ addLicenses: [{ skuId: EXCHANGE_STANDARD, disabledPlans: [] }], removeLicenses: [] });
    await forwardInGmail(sandbox, "ben.adams@contoso.com", "ben.adams@o365.contoso.com");
  });
  after(() => sandbox.stop());

  it("--all reports every user delivered from every origin and exits 0", async () => {
    const { code, out, err } = await trace("--all");
    assert.strictEqual(code, 0, out + err);
    assert.match(out, /^user\s+from Internet\s+from Google\s+from Microsoft 365$/m);
    assert.match(out, /^ben\.adams@contoso\.com\s+delivered \(Microsoft 365\)\s+delivered \(Microsoft 365\)\s+delivered \(Microsoft 365\)$/m);
    assert.match(out, /^chloe\.adams@contoso\.com\s+delivered \(Google Workspace\)\s+delivered \(Google Workspace\)\s+delivered \(Google Workspace\)$/m);
    assert.match(out, /4 users × 3 origins: 12 delivered, 0 loops, 0 bounces: all delivered/);
  });

  it("prints one user's path hop by hop: Google forwards to the routing address, Exchange delivers to the mailbox", async () => {
    const { code, out } = await trace("ben.adams@contoso.com", "--from", "internet");
    assert.strictEqual(code, 0, out);
    const lines = out.split("\n");
    assert.strictEqual(lines[0], "Mail from the Internet to ben.adams@contoso.com");
    assert.match(out, /1\s+Internet\s+ben\.adams@contoso\.com\s+MX lookup of contoso\.com: smtp\.google\.com \(Google Workspace\)/);
    assert.match(out, /Google Workspace\s+ben\.adams@contoso\.com\s+automatic forwarding of ben\.adams@contoso\.com to ben\.adams@o365\.contoso\.com, Gmail copy moved to trash/);
    assert.match(out, /Result: delivered to ben\.adams@contoso\.com in Microsoft 365$/m);
  });

  describe("after forwarding is switched on out of band for a user without a mailbox", () => {
    before(() => forwardInGmail(sandbox, "chloe.adams@contoso.com", "chloe.adams@o365.contoso.com"));

    it("--all reports that user's loop with the fix, and exits 1", async () => {
      const { code, out } = await trace("--all");
      assert.strictEqual(code, 1, out);
      assert.match(out, /^chloe\.adams@contoso\.com\s+LOOP 554 5\.4\.14\s+LOOP 554 5\.4\.14\s+LOOP 554 5\.4\.14$/m);
      assert.match(out, /^ben\.adams@contoso\.com\s+delivered/m);
      assert.match(out, /4 users × 3 origins: 9 delivered, 3 loops, 0 bounces\n/);
      assert.match(out, /Fix: license chloe\.adams@contoso\.com \(make the mail user a mailbox\) before Google forwards to chloe\.adams@o365\.contoso\.com/);
    });

    it("--json gives the same verdict to machines", async () => {
      const { code, out } = await trace("--all", "--json");
      assert.strictEqual(code, 1);
      const report = JSON.parse(out) as { summary: { loop: number; delivered: number }; users: { user: string; routes: Record<string, { disposition: { kind: string } }> }[] };
      assert.deepStrictEqual([report.summary.delivered, report.summary.loop], [9, 3]);
      const chloe = report.users.find((entry) => entry.user === "chloe.adams@contoso.com");
      assert.deepStrictEqual(Object.values(chloe?.routes ?? {}).map((route) => route.disposition.kind), ["loop", "loop", "loop"]);
    });

    it("--format mermaid draws the looping path in red for a pull request", async () => {
      const { code, out } = await trace("--all", "--format", "mermaid");
      assert.strictEqual(code, 1);
      assert.match(out, /^flowchart LR$/m);
      assert.match(out, /subgraph p\d+\["1 user\(s\) from the Internet: chloe\.adams@contoso\.com"\]/);
      assert.match(out, /\(\["LOOP 554 5\.4\.14"\]\):::failed/);
    });

    it("traces the one user with the loop and the fix, exiting 1", async () => {
      const { code, out } = await trace("chloe.adams@contoso.com", "--from", "m365");
      assert.strictEqual(code, 1);
      assert.match(out, /^Mail from a Microsoft 365 mailbox to chloe\.adams@contoso\.com$/m);
      assert.match(out, /Result: LOOP 554 5\.4\.14 Hop count exceeded - possible mail loop ATTR34 \(Exchange Online\)/);
      assert.match(out, /^Fix: license chloe\.adams@contoso\.com/m);
    });
  });

  it("refuses a bad command line with the usage and exit code 2", async () => {
    const { code, err } = await trace("--from", "moon", "ben.adams@contoso.com");
    assert.strictEqual(code, 2);
    assert.match(err, /--from must be one of internet, google, m365 \(got "moon"\)/);
    assert.match(err, /Usage:/);
  });
});
