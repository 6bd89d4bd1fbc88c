import * as assert from "assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@microsoft/microsoft-graph-client";
import { readLiveState, realApis, type LiveStateOptions } from "../../cli/liveState";
import { runTrace, type TraceIo } from "../../cli/trace";
import { invoke } from "../../provider/clients/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { useStackConfig } from "../provider/clients/fixture";
import { gmail, graphClient, startTestSandbox, useSandboxEnvironment } from "../sandbox/harness";
import { useSandboxDns } from "../helpers/sandboxDns";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const demo = readSeedFile(DEMO_SEED_PATH);

/** Gmail forwarding reads of the last trace (one per Google user whose forwarding it needed). */
let forwardingReads = 0;

/** Runs `coexist trace` against the live (sandbox) tenants and captures what it prints. */
async function trace(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  forwardingReads = 0;
  const readState = (options: LiveStateOptions) => {
    const apis = realApis(options.sandboxDir);
    return readLiveState({ ...options, apis: { ...apis, autoForwarding: (user) => (forwardingReads++, apis.autoForwarding(user)) } });
  };
  const io: TraceIo = { out: (text) => (out += text), err: (text) => (err += text), readState };
  const code = await runTrace(argv, io);
  return { code, out, err };
}

async function forwardInGmail(sandbox: SandboxHandle, user: string, target: string): Promise<void> {
  const mailbox = gmail(sandbox, user);
  await mailbox.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: target } });
  await mailbox.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: target, disposition: "trash" } });
}

async function stopForwarding(sandbox: SandboxHandle, user: string): Promise<void> {
  await gmail(sandbox, user).users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: false } });
}

async function resumeForwarding(sandbox: SandboxHandle, user: string, target: string): Promise<void> {
  await gmail(sandbox, user).users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: target, disposition: "trash" } });
}

/** A row of the --all table: the address, its kind, then one cell per origin (Internet, Google, Microsoft 365). */
function row(out: string, address: string): string[] {
  const line = out.split("\n").find((candidate) => candidate.startsWith(`${address} `));
  assert.ok(line, `no row for ${address} in:\n${out}`);
  return line.split(/\s{2,}/);
}

describe("coexist trace against the sandbox tenants", function () {
  this.timeout(60_000);
  let sandbox: SandboxHandle;
  let graph: Client;
  let restoreEnvironment: () => void;
  let restoreDns: () => void;

  // The demo's "pilot migrated" stage, set up through the APIs: every user of the Engineering leads
  // group and of the sales batch is a mail user; ben is licensed and forwarded. The Engineering
  // leads group is migrated (a distribution group), the support desk kept at Google (a mail contact).
  before(async () => {
    sandbox = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, licenceConversionDelaySeconds: 0 } } });
    restoreEnvironment = useSandboxEnvironment(sandbox);
    restoreDns = useSandboxDns(sandbox);
    graph = graphClient(sandbox);
    await graph.api("/domains").post({ id: "o365.contoso.com" });
    await graph.api("/domains/o365.contoso.com/verify").post({});
    await graph.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
    await invoke("New-OutboundConnector", { Name: "ToGoogle", RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"], UseMXRecord: false });
    await invoke("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "InternalRelay" });
    for (const alias of ["ben.adams", "chloe.adams", "dev.adams", "emma.adams", "hugo.adams", "kira.adams"]) {
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
    await invoke("New-DistributionGroup", {
      Name: "Engineering leads",
      PrimarySmtpAddress: "eng-leads@contoso.com",
      Members: ["ben.adams@contoso.com", "emma.adams@contoso.com", "hugo.adams@contoso.com", "kira.adams@contoso.com"],
      RequireSenderAuthenticationEnabled: false,
    });
    await invoke("New-MailContact", { Name: "Support desk", ExternalEmailAddress: "support@gsuite.contoso.com" });
    await invoke("Set-MailContact", { Identity: "Support desk", EmailAddresses: ["SMTP:support@contoso.com", "smtp:help@contoso.com", "smtp:support@gsuite.contoso.com"] });
  });
  after(async () => {
    restoreDns();
    restoreEnvironment();
    await sandbox.stop();
  });

  it("--all sends to every address of both tenants, counts every copy of a group, and finds all delivered (exit 0)", async () => {
    const { code, out, err } = await trace("--all");
    assert.strictEqual(code, 0, out + err);
    assert.match(out, /^address\s+kind\s+from Internet\s+from Google\s+from Microsoft 365$/m);
    assert.deepStrictEqual(row(out, "ben.adams@contoso.com"), ["ben.adams@contoso.com", "user", "delivered (Microsoft 365)", "delivered (Microsoft 365)", "delivered (Microsoft 365)"]);
    assert.deepStrictEqual(row(out, "ben@contoso.com").slice(1), ["user alias of ben.adams@contoso.com", "delivered (Microsoft 365)", "delivered (Microsoft 365)", "delivered (Microsoft 365)"]);
    assert.deepStrictEqual(row(out, "ben.adams@gsuite.contoso.com").slice(1, 3), ["alias-domain address of ben.adams@contoso.com", "delivered (Microsoft 365)"]);
    assert.deepStrictEqual(row(out, "chloe.adams@contoso.com").slice(2), ["delivered (Google Workspace)", "delivered (Google Workspace)", "delivered (Google Workspace)"]);
    assert.deepStrictEqual(row(out, "launch-team@contoso.com").slice(1, 3), ["group alias of launch@contoso.com", "5 copies: 5 delivered (Google Workspace)"]);
    // The migrated group: Google's copy for its members from the Internet, Exchange Online's from a mailbox; ben lands in Exchange Online either way.
    assert.deepStrictEqual(row(out, "eng-leads@contoso.com").slice(1), [
      "group",
      "4 copies: 1 delivered (Microsoft 365), 3 delivered (Google Workspace)",
      "4 copies: 1 delivered (Microsoft 365), 3 delivered (Google Workspace)",
      "4 copies: 1 delivered (Microsoft 365), 3 delivered (Google Workspace)",
    ]);
    // The group kept at Google: Exchange Online sends help@ through the mail contact to its alias-domain address.
    assert.deepStrictEqual(row(out, "help@contoso.com").slice(1, 2).concat(row(out, "help@contoso.com").slice(4)), ["group alias of support@contoso.com", "3 copies: 3 delivered (Google Workspace)"]);
    assert.match(out, /^addresses\s+origins\s+copies\s+delivered\s+loops\s+bounces\s+split deliveries\s+duplicates$/m);
    assert.match(out, /^(\d+)\s+3\s+(\d+)\s+\2\s+0\s+0\s+0\s+0$/m);
    assert.match(out, /^Result: all delivered$/m);
    assert.strictEqual(forwardingReads, 50, "--all reads every active Google user's forwarding");
  });

  it("traces one group message hop by hop with a row per copy, reading the forwarding of its members only", async () => {
    const { code, out } = await trace("launch@contoso.com");
    assert.strictEqual(code, 0, out);
    assert.match(out, /^Mail from the Internet to launch@contoso\.com$/m);
    assert.match(out, /^Group launch@contoso\.com makes 5 copies:$/m);
    assert.match(out, /^copy\s+member\s+result$/m);
    assert.match(out, /^1\s+ada\.adams@contoso\.com\s+delivered to ada\.adams@contoso\.com in Google Workspace$/m);
    assert.match(out, /^Result: 5 copies: 5 delivered \(Google Workspace\)$/m);
    assert.strictEqual(forwardingReads, 5);
  });

  it("prints one user's path: Google forwards to the routing address, Exchange delivers to the mailbox", async () => {
    const { code, out } = await trace("ben.adams@contoso.com", "--from", "internet");
    assert.strictEqual(code, 0, out);
    assert.strictEqual(out.split("\n")[0], "Mail from the Internet to ben.adams@contoso.com");
    assert.match(out.split("\n")[2], /^#\s+system\s+recipient\s+action$/, "the hop table's header row");
    assert.match(out, /1\s+Internet\s+ben\.adams@contoso\.com\s+MX lookup of contoso\.com: smtp\.google\.com \(Google Workspace\)/);
    assert.match(out, /Google Workspace\s+ben\.adams@contoso\.com\s+automatic forwarding of ben\.adams@contoso\.com to ben\.adams@o365\.contoso\.com, Gmail copy moved to trash/);
    assert.match(out, /Result: delivered to ben\.adams@contoso\.com in Microsoft 365$/m);
  });

  it("answers truly for an address nobody has, and exits 1", async () => {
    const { code, out } = await trace("nobody@contoso.com");
    assert.strictEqual(code, 1, out);
    assert.match(out, /^Result: no recipient at Google or Microsoft 365 has the address nobody@contoso\.com: it bounces: 550 5\.1\.1 .* \(Google Workspace\)$/m);
    const json = JSON.parse((await trace("nobody@contoso.com", "--json")).out) as { known: boolean };
    assert.strictEqual(json.known, false);
  });

  it("draws a group's fan-out in Mermaid, for one message and for --all", async () => {
    const one = await trace("launch@contoso.com", "--format", "mermaid");
    assert.match(one.out, /\{\{"expanded by group launch@contoso\.com into 5 copies"\}\}/);
    assert.strictEqual(one.out.match(/\(\["delivered to [a-z.]+@contoso\.com in Google Workspace"\]\):::delivered/g)?.length, 5);
    const all = await trace("--all", "--format", "mermaid");
    assert.strictEqual(all.code, 0);
    assert.match(all.out, /^flowchart LR$/m);
    assert.match(all.out, /p\d+g\{\{"group launch@contoso\.com"\}\}/);
    assert.match(all.out, /p\d+g --> p\d+e0\(\["5 × delivered \(Google Workspace\) via Google Workspace"\]\):::delivered/);
  });

  it("answers --help with the usage, and a bad command line with exit code 2", async () => {
    const help = await trace("--help");
    assert.strictEqual(help.code, 0);
    assert.match(help.out, /^Usage:\n {2}coexist trace <address>/);
    assert.match(help.out, /--data-copy <address>/);
    const bad = await trace("--from", "moon", "ben.adams@contoso.com");
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /--from must be one of internet, google, m365 \(got "moon"\)/);
  });

  describe("reads the sandbox's DNS through its endpoint, never from a folder", () => {
    it("from another folder, with $COEXIST_SANDBOX_DIR naming another directory", async () => {
      const elsewhere = mkdtempSync(join(tmpdir(), "coexist-trace-cwd-"));
      const [cwd, saved] = [process.cwd(), process.env.COEXIST_SANDBOX_DIR];
      process.chdir(elsewhere);
      process.env.COEXIST_SANDBOX_DIR = elsewhere;
      try {
        const { code, out } = await trace("chloe.adams@contoso.com");
        assert.strictEqual(code, 0, out);
        assert.match(out, /MX lookup of contoso\.com: smtp\.google\.com/);
      } finally {
        process.chdir(cwd);
        process.env.COEXIST_SANDBOX_DIR = saved;
        rmSync(elsewhere, { recursive: true, force: true });
      }
    });

    it("says how to name the sandbox (exit 3) when neither NODE_EXTRA_CA_CERTS nor --sandbox-dir does, and takes --sandbox-dir", async () => {
      const saved = process.env.NODE_EXTRA_CA_CERTS;
      delete process.env.NODE_EXTRA_CA_CERTS;
      try {
        const { code, err } = await trace("chloe.adams@contoso.com");
        assert.strictEqual(code, 3);
        assert.match(err, /coexist:exchangeUrl https:\/\/127\.0\.0\.1:\d+ is a sandbox, whose DNS is read from its control API, but neither --sandbox-dir nor NODE_EXTRA_CA_CERTS names its data directory: .*--sandbox-dir <its data directory>/);
        const named = await trace("chloe.adams@contoso.com", "--sandbox-dir", sandbox.dataDir);
        assert.strictEqual(named.code, 0, named.out + named.err);
      } finally {
        process.env.NODE_EXTRA_CA_CERTS = saved;
      }
    });

    it("uses the system's resolver for real tenants: no sandbox is asked", async () => {
      useStackConfig({ graphUrl: "https://graph.microsoft.com", exchangeUrl: "https://outlook.office365.com", loginUrl: "https://login.microsoftonline.com" });
      try {
        assert.strictEqual(await realApis().allMx(), undefined);
      } finally {
        useStackConfig({});
      }
    });
  });

  describe("after forwarding is switched on out of band for a user without a mailbox", () => {
    before(() => forwardInGmail(sandbox, "chloe.adams@contoso.com", "chloe.adams@o365.contoso.com"));
    after(() => stopForwarding(sandbox, "chloe.adams@contoso.com"));

    it("--all reports that user's loop, at every address and group copy that reaches her, with the fix, and exits 1", async () => {
      const { code, out } = await trace("--all");
      assert.strictEqual(code, 1, out);
      assert.deepStrictEqual(row(out, "chloe.adams@contoso.com").slice(2), ["LOOP 554 5.4.14", "LOOP 554 5.4.14", "LOOP 554 5.4.14"]);
      assert.deepStrictEqual(row(out, "chloe@contoso.com").slice(1, 3), ["user alias of chloe.adams@contoso.com", "LOOP 554 5.4.14"]);
      assert.strictEqual(row(out, "launch@contoso.com")[2], "5 copies: 4 delivered (Google Workspace), 1 LOOP 554 5.4.14");
      assert.match(out, /^Result: FAILED: \d+ loops, 0 bounces, 0 split deliveries, 0 duplicate copies$/m);
      assert.match(out, /Fix: license chloe\.adams@contoso\.com \(make the mail user a mailbox\) before Google forwards to chloe\.adams@o365\.contoso\.com/);
    });

    it("--json gives the same verdict to machines", async () => {
      const { code, out } = await trace("--all", "--json");
      assert.strictEqual(code, 1);
      const report = JSON.parse(out) as { summary: { loops: number; bounces: number }; addresses: { address: string; kind: string; routes: Record<string, { disposition: { kind: string } }> }[] };
      assert.ok(report.summary.loops >= 6 && report.summary.bounces === 0, JSON.stringify(report.summary));
      const chloe = report.addresses.find((entry) => entry.address === "chloe.adams@contoso.com");
      assert.deepStrictEqual(Object.values(chloe?.routes ?? {}).map((route) => route.disposition.kind), ["loop", "loop", "loop"]);
    });

    it("traces the one user with the loop and the fix, exiting 1", async () => {
      const { code, out } = await trace("chloe.adams@contoso.com", "--from", "m365");
      assert.strictEqual(code, 1);
      assert.match(out, /^Mail from a Microsoft 365 mailbox to chloe\.adams@contoso\.com$/m);
      assert.match(out, /Result: LOOP 554 5\.4\.14 Hop count exceeded - possible mail loop ATTR34 \(Exchange Online\)/);
      assert.match(out, /^Fix: license chloe\.adams@contoso\.com/m);
    });
  });

  describe("after a migrated user's forwarding is switched off (a destroy before cutover), split delivery", () => {
    before(() => stopForwarding(sandbox, "ben.adams@contoso.com"));
    after(() => resumeForwarding(sandbox, "ben.adams@contoso.com", "ben.adams@o365.contoso.com"));

    it("fails --all, naming where each sender's mail lands, and is only advisory for a user whose data copy runs", async () => {
      const { code, out } = await trace("--all");
      assert.strictEqual(code, 1, out);
      assert.deepStrictEqual(row(out, "ben.adams@contoso.com").slice(2), ["delivered (Google Workspace)", "delivered (Google Workspace)", "delivered (Microsoft 365)"]);
      assert.match(out, /^- \[mandatory\] split-delivery: mail to ben\.adams@contoso\.com lands in Gmail when the Internet or a Google Workspace user sends it, and in Exchange Online when a Microsoft 365 mailbox sends it/m);
      assert.match(out, /^Result: FAILED: 0 loops, 0 bounces, \d+ split deliveries, 0 duplicate copies$/m);
      const copying = await trace("--all", "--data-copy", "ben.adams@contoso.com");
      assert.strictEqual(copying.code, 0, copying.out);
      assert.match(copying.out, /^- \[advisory\] split-delivery: mail to ben\.adams@contoso\.com lands in Gmail .*expected while its data copy runs/m);
    });
  });

  describe("after a mail contact to a migrated user's alias-domain address joins the migrated group, a duplicate copy", () => {
    before(async () => {
      await invoke("New-MailContact", { Name: "Ben at Google", ExternalEmailAddress: "ben.adams@gsuite.contoso.com" });
      await invoke("Add-DistributionGroupMember", { Identity: "eng-leads@contoso.com", Member: "ben.adams@gsuite.contoso.com" });
    });
    after(() => invoke("Remove-DistributionGroupMember", { Identity: "eng-leads@contoso.com", Member: "ben.adams@gsuite.contoso.com" }));

    it("fails --all and names both paths to the mailbox", async () => {
      const { code, out } = await trace("--all");
      assert.strictEqual(code, 1, out);
      assert.strictEqual(row(out, "eng-leads@contoso.com")[4], "5 copies: 2 delivered (Microsoft 365), 3 delivered (Google Workspace), 1 duplicate");
      assert.match(out, /^- \[mandatory\] duplicate-delivery: mail from a Microsoft 365 mailbox to eng-leads@contoso\.com \(group\) delivers more than one copy to m365:ben\.adams@contoso\.com \(2 copies\)/m);
      assert.match(out, /^Result: FAILED: 0 loops, 0 bounces, 0 split deliveries, 1 duplicate copies$/m);
    });
  });
});
