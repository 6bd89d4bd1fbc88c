import * as assert from "assert";
import * as path from "path";
import { readLiveState } from "../../cli/liveState";
import { runTrace } from "../../cli/trace";
import { repoRoot } from "../../scripts/engine-env";
import { DEMO_SEED_PATH } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { useSandboxDns } from "../helpers/sandboxDns";
import { SandboxStack } from "../integration/sandboxStack";
import { gmail, useSandboxEnvironment } from "../sandbox/harness";

const policyPack = path.join(repoRoot, "policy");
const demo = readSeedFile(DEMO_SEED_PATH);
/** The fixture's users CSV. */
const CSV_USERS = ["ben.adams@contoso.com", "chloe.adams@contoso.com", "dev.adams@contoso.com"];
/** The Google admin the Directory is read as: an admin-only account on a domain of its own, which stays at Google. */
const GOOGLE_ADMIN = { primaryEmail: "ada@admin.contoso.example", givenName: "Ada", familyName: "Admin" };
/** The demo tenant reduced to the CSV's users (trace --all sees every Google address: one the CSV lacks would rightly bounce at cutover). */
const seed = {
  ...demo,
  behaviour: { ...demo.behaviour, licenceConversionDelaySeconds: 0 },
  google: {
    ...demo.google,
    domains: [...demo.google.domains, { domainName: "admin.contoso.example" }],
    admins: [GOOGLE_ADMIN.primaryEmail],
    users: [GOOGLE_ADMIN, ...demo.google.users.filter((user) => CSV_USERS.includes(user.primaryEmail)).map((user) => ({ ...user, aliases: [] }))],
    groups: [],
  },
  dns: { ...demo.dns, mx: { ...demo.dns.mx, "admin.contoso.example": ["smtp.google.com"] } },
};

async function traceAll(dataCopy: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const argv = ["--all", ...dataCopy.flatMap((user) => ["--data-copy", user])];
  const code = await runTrace(argv, { out: (text) => (out += text), err: (text) => (out += text), readState: readLiveState });
  return { code, out };
}

describe("the demo's stages with the Coexistence component: the pack lets each through, coexist trace --all finds all delivered", function () {
  this.timeout(600_000);
  let sandbox: SandboxStack;
  let restoreDns: () => void;
  let restoreEnvironment: () => void;

  before(async () => {
    sandbox = await SandboxStack.start("policy-coexistence", seed);
    restoreEnvironment = useSandboxEnvironment(sandbox.sandbox);
    restoreDns = useSandboxDns(sandbox.sandbox);
    await sandbox.stack.setConfig({}, { mailUserPassword: "Sandbox-Passw0rd!" });
  });
  after(async () => {
    restoreEnvironment();
    restoreDns();
    await sandbox.stop();
  });

  const stage = (batches: Record<string, string>, phase: string) => ({ batches: JSON.stringify(batches), phase });
  const moveMxToMicrosoft = () => sandbox.control("PUT", "/sandbox/dns/mx", { domain: "contoso.com", hosts: ["contoso-com.mail.protection.outlook.com"] });
  const nothingByHand = async () => undefined;
  // The migrated users' Google accounts go; the admin's, on its own domain, stays.
  const deleteGoogleAccounts = () => Promise.all(CSV_USERS.map((user) => sandbox.control("PUT", `/sandbox/google/users/${user}`, { status: "deleted" })));

  /** Previews with the pack, applies, does what the admin does by hand, and traces every address; `dataCopy`: the migrating batch's users. */
  async function applyStage(config: Record<string, string>, byHand: () => Promise<unknown>, dataCopy: string[] = []): Promise<void> {
    await sandbox.stack.setConfig(config);
    const preview = await sandbox.stack.run(["preview", "--policy-pack", policyPack], true);
    assert.strictEqual(preview.code, 0, preview.stdout + preview.stderr);
    assert.doesNotMatch(preview.stdout, /\[(mandatory|advisory)\]/, preview.stdout);
    await sandbox.stack.up(["--policy-pack", policyPack]);
    await byHand();
    const { code, out } = await traceAll(dataCopy);
    assert.strictEqual(code, 0, out);
    assert.match(out, /^Result: all delivered$/m);
  }

  const untilCutover: [string, Record<string, string>, () => Promise<unknown>, string[]][] = [
    ["coexistence, nobody migrated", stage({}, "coexistence"), nothingByHand, []],
    ["pilot batch migrating (its data copy splits delivery, as expected)", stage({ pilot: "migrating" }, "coexistence"), nothingByHand, ["ben.adams@contoso.com"]],
    ["pilot batch migrated", stage({ pilot: "migrated" }, "coexistence"), nothingByHand, []],
    ["cutover: the MX moves to Microsoft 365 while sales are still at Google", stage({ pilot: "migrated" }, "cutover"), moveMxToMicrosoft, []],
  ];
  for (const [name, config, byHand, dataCopy] of untilCutover) {
    it(`${name}: preview with the pack passes, up applies it, every route delivers`, () => applyStage(config, byHand, dataCopy));
  }

  it("after forwarding is switched on by hand for a user without a mailbox, trace --all reports that user's loop and exits 1", async () => {
    const chloe = gmail(sandbox.sandbox, "chloe.adams@contoso.com");
    await chloe.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "chloe.adams@o365.contoso.com" } });
    await chloe.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "chloe.adams@o365.contoso.com", disposition: "trash" } });
    const { code, out } = await traceAll([]);
    assert.strictEqual(code, 1, out);
    assert.match(out, /^chloe\.adams@contoso\.com\s+user\s+LOOP 554 5\.4\.14/m);
    assert.match(out, /^ben\.adams@contoso\.com\s+user\s+delivered \(Microsoft 365\)/m);
    assert.match(out, /Fix: license chloe\.adams@contoso\.com/);
    // Undo the change by hand, so the journey goes on from a working state.
    await chloe.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: false } });
  });

  const afterRepair: [string, Record<string, string>, () => Promise<unknown>, string[]][] = [
    ["sales batch migrating", stage({ pilot: "migrated", sales: "migrating" }, "cutover"), nothingByHand, ["chloe.adams@contoso.com", "dev.adams@contoso.com"]],
    ["sales batch migrated: nobody left at Google, the domain back to Authoritative", stage({ pilot: "migrated", sales: "migrated" }, "cutover"), nothingByHand, []],
  ];
  for (const [name, config, byHand, dataCopy] of afterRepair) {
    it(`${name}: preview with the pack passes, up applies it, every route delivers`, () => applyStage(config, byHand, dataCopy));
  }

  it("decommissioned: the pack passes, up removes the coexistence objects; once the users' Google accounts are deleted, only a sender left at Google fails, because Google still hosts contoso.com", async () => {
    await sandbox.stack.setConfig(stage({ pilot: "migrated", sales: "migrated" }, "decommissioned"));
    const preview = await sandbox.stack.run(["preview", "--policy-pack", policyPack], true);
    assert.strictEqual(preview.code, 0, preview.stdout + preview.stderr);
    assert.doesNotMatch(preview.stdout, /\[(mandatory|advisory)\]/, preview.stdout);
    await sandbox.stack.up(["--policy-pack", policyPack]);
    await deleteGoogleAccounts();
    const { code, out } = await traceAll([]);
    assert.strictEqual(code, 1, out);
    for (const user of CSV_USERS) {
      assert.match(out, new RegExp(`^${user.replace(/\./g, "\\.")}\\s+recipient\\s+delivered \\(Microsoft 365\\)\\s+BOUNCE 550 5\\.1\\.1\\s+delivered \\(Microsoft 365\\)$`, "m"));
    }
    assert.match(out, /Fix: ben\.adams@contoso\.com exists in Exchange Online, but Google delivers contoso\.com internally and has no user for it: .*add a Gmail routing rule/);
  });
});
