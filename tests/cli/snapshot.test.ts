import * as assert from "assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@microsoft/microsoft-graph-client";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { parseSeed, readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { readLiveState } from "../../cli/liveState";
import { runSnapshot, snapshotApis, type SnapshotApis, type SnapshotSeed } from "../../cli/snapshot";
import { GoogleApiError } from "../../provider/clients/google";
import { invoke } from "../../provider/clients/exchange";
import { exchangeToken, gmail, graphClient, startTestSandbox, useSandboxEnvironment } from "../sandbox/harness";
import { useSandboxDns } from "../helpers/sandboxDns";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const MAIL_USER_PASSWORD = "Snapshot-Passw0rd!";
const demo = readSeedFile(DEMO_SEED_PATH);

/** Runs `coexist snapshot` against the sandbox the environment points at. */
async function snapshot(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return snapshotWith(undefined, ...argv);
}

async function snapshotWith(apis: SnapshotApis | undefined, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runSnapshot(argv, { out: (text) => (out += text), err: (text) => (err += text), apis });
  return { code, out, err };
}

/** Points the clients (and the DNS reads) at `sandbox` while `body` runs. */
async function against<T>(sandbox: SandboxHandle, body: () => Promise<T>): Promise<T> {
  const restoreEnvironment = useSandboxEnvironment(sandbox);
  const restoreDns = useSandboxDns(sandbox);
  try {
    return await body();
  } finally {
    restoreDns();
    restoreEnvironment();
  }
}

/** The routing state with every list sorted, to compare two tenants whatever order they list in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).map((entry) => JSON.stringify(entry)).sort();
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined).map(([key, entry]) => [key, canonical(entry)]));
}

describe("coexist snapshot of the sandbox tenants, as if they were live", function () {
  this.timeout(90_000);
  let first: SandboxHandle;
  let second: SandboxHandle | undefined;
  let graph: Client;
  let text: string;

  // A tenant in the middle of its migration: a routing domain, a connector to Google with a rule,
  // contoso.com relayed, two mail users (one licensed, so a mailbox, forwarded from Gmail), a
  // distribution group and a mail contact.
  before(async () => {
    first = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, licenceConversionDelaySeconds: 0 } } });
    graph = graphClient(first);
    await against(first, async () => {
      await graph.api("/domains").post({ id: "o365.contoso.com" });
      await graph.api("/domains/o365.contoso.com/verify").post({});
      await graph.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
      await invoke("Set-AcceptedDomain", { Identity: "contoso.com", DomainType: "InternalRelay" });
      await invoke("New-OutboundConnector", { Name: "Google (scoped)", RecipientDomains: ["*"], SmartHosts: ["smtp.google.com"], UseMXRecord: false, IsTransportRuleScoped: true });
      await invoke("New-TransportRule", { Name: "Keep chloe at Google", SentTo: ["chloe.adams@contoso.com"], RouteMessageOutboundConnector: "Google (scoped)" });
      for (const user of ["ben.adams", "grace.adams"]) {
        await invoke("New-MailUser", { Name: user, MicrosoftOnlineServicesID: `${user}@contoso.com`, Password: MAIL_USER_PASSWORD, PrimarySmtpAddress: `${user}@contoso.com`, ExternalEmailAddress: `${user}@contoso.com` });
        await invoke("Set-MailUser", { Identity: `${user}@contoso.com`, EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: [`smtp:${user}@o365.contoso.com`] } });
      }
      await graph.api("/users/ben.adams@contoso.com").patch({ usageLocation: "FR" });
      await graph.api("/users/ben.adams@contoso.com/assignLicense").post({ addLicenses: [{ skuId: EXCHANGE_STANDARD, disabledPlans: [] }], removeLicenses: [] });
      const mailbox = gmail(first, "ben.adams@contoso.com");
      await mailbox.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "ben.adams@o365.contoso.com" } });
      await mailbox.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "archive" } });
      await invoke("New-DistributionGroup", { Name: "Launch crew", PrimarySmtpAddress: "launch-crew@contoso.com", Members: ["ben.adams@contoso.com", "grace.adams@contoso.com"], RequireSenderAuthenticationEnabled: false });
      await invoke("New-MailContact", { Name: "Support desk", ExternalEmailAddress: "support@gsuite.contoso.com" });
      const taken = await snapshot();
      assert.strictEqual(taken.code, 0, taken.err);
      text = taken.out;
    });
  });
  after(async () => {
    await second?.stop();
    await first.stop();
  });

  it("holds both tenants: domains, SKUs with seats, recipients, groups, connectors, rules, Google users, groups, forwarding and MX", () => {
    const seed = JSON.parse(text) as SnapshotSeed;
    const [tenant] = seed.microsoft;
    assert.strictEqual(tenant.initialDomain, "contoso.onmicrosoft.com");
    assert.deepStrictEqual(tenant.domains.map((domain) => domain.name), ["contoso.com", "o365.contoso.com"]);
    assert.strictEqual(tenant.acceptedDomainTypes["contoso.com"], "InternalRelay");
    const standard = tenant.skus.find((sku) => sku.skuPartNumber === "EXCHANGESTANDARD");
    assert.strictEqual(standard?.seats, 60, "the seats the snapshot's users hold plus the seats left");
    assert.deepStrictEqual(tenant.users.map((user) => [user.userPrincipalName, user.licenses]), [
      ["admin@contoso.onmicrosoft.com", ["EXCHANGESTANDARD"]],
      ["ben.adams@contoso.com", ["EXCHANGESTANDARD"]],
      ["grace.adams@contoso.com", []],
    ]);
    const ben = tenant.exchange.recipients.find((recipient) => recipient.primarySmtpAddress === "ben.adams@contoso.com");
    assert.strictEqual(ben?.type, "UserMailbox");
    assert.ok(ben?.emailAddresses.includes("ben.adams@o365.contoso.com"), JSON.stringify(ben));
    assert.deepStrictEqual(tenant.exchange.distributionGroups.map((group) => [group.primarySmtpAddress, group.members]), [["launch-crew@contoso.com", ["ben.adams@contoso.com", "grace.adams@contoso.com"]]]);
    assert.deepStrictEqual(tenant.exchange.transportRules, [{ enabled: true, name: "Keep chloe at Google", routeMessageOutboundConnector: "Google (scoped)", sentTo: ["chloe.adams@contoso.com"] }]);
    assert.strictEqual(tenant.exchange.outboundConnectors[0].isTransportRuleScoped, true);
    assert.strictEqual(seed.google.users.length, 50);
    assert.deepStrictEqual(seed.google.users.find((user) => user.primaryEmail === "ben.adams@contoso.com")?.autoForwarding, { disposition: "archive", emailAddress: "ben.adams@o365.contoso.com" });
    assert.deepStrictEqual(seed.google.groups.find((group) => group.email === "support@contoso.com")?.aliases, ["help@contoso.com"]);
    assert.deepStrictEqual(seed.google.domains, [{ domainName: "contoso.com", isPrimary: true }, { aliasOf: "contoso.com", domainName: "contoso.net" }, { aliasOf: "contoso.com", domainName: "gsuite.contoso.com" }]);
    assert.deepStrictEqual(seed.dns.mx["contoso.com"], ["smtp.google.com"]);
  });

  it("holds no secret: no app, no password, no token or key the sandbox issued", async () => {
    const credentials = readFileSync(join(first.dataDir, "google-credentials.json"), "utf8");
    const issued = [first.env.COEXIST_CLIENT_SECRET, first.env.COEXIST_SANDBOX_STATIC_TOKEN, await exchangeToken(first), (JSON.parse(credentials) as { private_key: string }).private_key, MAIL_USER_PASSWORD];
    for (const secret of issued) assert.ok(!text.includes(secret), `the snapshot holds ${secret.slice(0, 12)}…`);
    assert.doesNotMatch(text, /secret|password|token|private/i);
  });

  it("gives the same bytes twice on unchanged tenants", async () => {
    const again = await against(first, () => snapshot());
    assert.strictEqual(again.out, text);
  });

  it("shows its progress per collection on stderr", async () => {
    const { err } = await against(first, () => snapshot());
    assert.match(err, /^snapshot: 50 Google users$/m);
    assert.match(err, /^snapshot: 3 Google groups$/m);
    assert.match(err, /^snapshot: 3 Microsoft 365 domains, 2 SKUs, 3 Entra users$/m);
    assert.match(err, /^snapshot: 4 Exchange recipients \(mail users, mailboxes, contacts\)$/m);
    assert.match(err, /^snapshot: 1 distribution groups$/m);
  });

  it("seeds a second sandbox that is the same tenant: the same routing state, the same snapshot again", async () => {
    second = await startTestSandbox({ seed: parseSeed(JSON.parse(text)), strict: true });
    const copy = await against(second, () => snapshot());
    assert.strictEqual(copy.code, 0, copy.err);
    assert.strictEqual(copy.out, text);
    const [original, seeded] = [await against(first, () => readLiveState()), await against(second as SandboxHandle, () => readLiveState())];
    assert.deepStrictEqual(canonical(seeded), canonical(original));
  });

  it("refuses, writing nothing, when a Directory scope is not delegated, and names the scope", async () => {
    const refused = () => Promise.reject(new GoogleApiError("Not Authorized to access this resource/api", { status: 403 }));
    for (const [collection, scope] of [["directoryUsers", "admin.directory.user.readonly"], ["directoryGroups", "admin.directory.group.readonly"]] as const) {
      const { code, out, err } = await against(first, () => snapshotWith({ ...snapshotApis(), [collection]: refused }));
      assert.strictEqual(code, 3, err);
      assert.strictEqual(out, "");
      assert.match(err, new RegExp(`delegate ${scope.replace(/\./g, "\\.")} to the service account for coexist:googleAdmin`));
    }
  });

  it("--pseudonymize replaces names and local parts, keeping domains, membership and forwarding targets consistent", async () => {
    const { code, out } = await against(first, () => snapshot("--pseudonymize", "--salt", "friday"));
    assert.strictEqual(code, 0);
    assert.doesNotMatch(out, /ben\.adams|Engineering leads|Adams/);
    const seed = JSON.parse(out) as SnapshotSeed;
    const ben = seed.google.users.find((user) => user.autoForwarding !== undefined);
    assert.ok(ben);
    assert.strictEqual(ben.autoForwarding?.emailAddress.split("@")[0], ben.primaryEmail.split("@")[0]);
    assert.strictEqual(ben.autoForwarding?.emailAddress.split("@")[1], "o365.contoso.com");
    const crew = seed.microsoft[0].exchange.distributionGroups[0];
    assert.ok(crew.members.includes(ben.primaryEmail));
    parseSeed(seed);
  });
});
