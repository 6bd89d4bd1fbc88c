import assert from "node:assert/strict";
import type { Client } from "@microsoft/microsoft-graph-client";
import { invoke } from "../../../provider/clients/exchange";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import type { AppRecord } from "pulumi-mail-coexistence-sandbox/records";
import { readSeedFile, type Seed } from "pulumi-mail-coexistence-sandbox/seed";
import { control, failure, graphClient, startTestSandbox, useSandboxEnvironment } from "../harness";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const ADMIN = "admin@contoso.onmicrosoft.com";

/** The demo seed with more apps in the contoso tenant (the first stays the demo's, for Exchange). */
function seedWithApps(apps: Partial<AppRecord>[], behaviour: Partial<Seed["behaviour"]> = {}): Seed {
  const demo = readSeedFile(DEMO_SEED_PATH);
  const [contoso, ...others] = demo.microsoft;
  const extra = apps.map((app, index) => ({ clientId: `app-${index}`, clientSecret: `secret-${index}`, displayName: `app ${index}`, graphPermissions: [], exchangePermissions: [], directoryRoles: [], ...app }));
  return { ...demo, behaviour: { ...demo.behaviour, ...behaviour }, microsoft: [{ ...contoso, apps: [...contoso.apps, ...extra] }, ...others] };
}

function clientOf(sandbox: SandboxHandle, index: number): Client {
  return graphClient(sandbox, { tenantId: sandbox.env.COEXIST_TENANT_ID, clientId: `app-${index}`, clientSecret: `secret-${index}` });
}

const newMailUser = (alias: string, extra: Record<string, unknown> = {}) =>
  invoke("New-MailUser", { Name: alias, MicrosoftOnlineServicesID: `${alias}@contoso.com`, Password: "Sandbox-Passw0rd!", ExternalEmailAddress: `${alias}@gsuite.contoso.com`, ...extra });

describe("sandbox Graph users: accountEnabled, passwordProfile and who may change them", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;
  let demo: Client;

  before(async () => {
    sandbox = await startTestSandbox({
      seed: seedWithApps([
        { graphPermissions: ["User.Read.All", "User.EnableDisableAccount.All"] },
        { graphPermissions: ["User-PasswordProfile.ReadWrite.All"] },
        { graphPermissions: ["User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All"], directoryRoles: ["User Administrator"] },
        { graphPermissions: ["User.ReadWrite.All"], directoryRoles: ["Privileged Authentication Administrator"] },
      ]),
    });
    restoreEnvironment = useSandboxEnvironment(sandbox);
    demo = graphClient(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("shows a new mail user's account as enabled (on $select), and disables and enables it", async () => {
    await newMailUser("erin");
    const plain = await demo.api("/users/erin@contoso.com").get();
    assert.equal("accountEnabled" in plain, false, "accountEnabled comes only with $select");
    assert.equal((await demo.api("/users/erin@contoso.com").select("accountEnabled").get()).accountEnabled, true);
    await demo.api("/users/erin@contoso.com").patch({ accountEnabled: false });
    assert.equal((await demo.api("/users/erin@contoso.com").select("accountEnabled").get()).accountEnabled, false);
    const notBoolean = await failure(demo.api("/users/erin@contoso.com").patch({ accountEnabled: "no" }));
    assert.equal(notBoolean.statusCode, 400);
    const state = (await control(sandbox, "GET", "state")) as { tenants: { users: { userPrincipalName: string; accountEnabled: boolean }[] }[] };
    assert.equal(state.tenants[0].users.find((user) => user.userPrincipalName === "erin@contoso.com")?.accountEnabled, false);
  });

  it("records ResetPasswordOnNextLogon and a forced change without a new password; never returns a password", async () => {
    await newMailUser("finn", { ResetPasswordOnNextLogon: true });
    assert.deepEqual((await demo.api("/users/finn@contoso.com").select("passwordProfile").get()).passwordProfile, {
      forceChangePasswordNextSignIn: true,
      forceChangePasswordNextSignInWithMfa: false,
      password: null,
    });
    await newMailUser("gail");
    assert.equal((await demo.api("/users/gail@contoso.com").select("passwordProfile").get()).passwordProfile.forceChangePasswordNextSignIn, false);
    await demo.api("/users/gail@contoso.com").patch({ passwordProfile: { forceChangePasswordNextSignIn: true } });
    assert.equal((await demo.api("/users/gail@contoso.com").select("passwordProfile").get()).passwordProfile.forceChangePasswordNextSignIn, true);
    assert.equal((await failure(demo.api("/users/gail@contoso.com").patch({ passwordProfile: {} }))).statusCode, 400);
  });

  it("lets User.EnableDisableAccount.All + User.Read.All change accountEnabled, and nothing else", async () => {
    await newMailUser("hana");
    const narrow = clientOf(sandbox, 0);
    await narrow.api("/users/hana@contoso.com").patch({ accountEnabled: false });
    for (const change of [{ usageLocation: "GB" }, { passwordProfile: { password: "Sandbox-Passw0rd-9" } }]) {
      const refused = await failure(narrow.api("/users/hana@contoso.com").patch(change));
      assert.deepEqual([refused.statusCode, refused.code, refused.message], [403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."]);
    }
  });

  it("resets a password only with a password permission and the User Administrator role", async () => {
    await newMailUser("ines");
    const reset = { passwordProfile: { password: "Sandbox-Passw0rd-7", forceChangePasswordNextSignIn: true } };
    const withoutRole = await failure(clientOf(sandbox, 1).api("/users/ines@contoso.com").patch(reset));
    assert.deepEqual([withoutRole.statusCode, withoutRole.code], [403, "Authorization_RequestDenied"]);
    await clientOf(sandbox, 2).api("/users/ines@contoso.com").patch(reset);
    assert.equal((await demo.api("/users/ines@contoso.com").select("passwordProfile").get()).passwordProfile.forceChangePasswordNextSignIn, true);
  });

  it("needs Privileged Authentication Administrator for a password or sign-in change of an administrator", async () => {
    const reset = { passwordProfile: { password: "Sandbox-Passw0rd-8" } };
    assert.equal((await failure(clientOf(sandbox, 2).api(`/users/${ADMIN}`).patch(reset))).statusCode, 403);
    assert.equal((await failure(demo.api(`/users/${ADMIN}`).patch({ accountEnabled: false }))).statusCode, 403);
    await demo.api(`/users/${ADMIN}`).patch({ usageLocation: "GB" });
    await clientOf(sandbox, 3).api(`/users/${ADMIN}`).patch(reset);
    await clientOf(sandbox, 3).api(`/users/${ADMIN}`).patch({ accountEnabled: true });
  });
});

describe("sandbox Graph users with replication lag", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;
  let graph: Client;

  before(async () => {
    sandbox = await startTestSandbox({ seed: seedWithApps([], { licenceConversionDelaySeconds: 60, lag: { entraUserSeconds: [1, 1], mailboxConversionSeconds: [1, 1] } }) });
    restoreEnvironment = useSandboxEnvironment(sandbox);
    graph = graphClient(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("hides a new mail user's Entra user from Graph for the lag, while Exchange shows the mail user at once", async () => {
    const [mailUser] = await newMailUser("jo");
    assert.equal((await invoke("Get-MailUser", { Identity: "jo@contoso.com" }))[0].Guid, mailUser.Guid);
    for (const call of [
      graph.api("/users/jo@contoso.com").get(),
      graph.api(`/users/${mailUser.ExternalDirectoryObjectId}`).patch({ usageLocation: "GB" }),
      graph.api("/users/jo@contoso.com/assignLicense").post({ addLicenses: [], removeLicenses: [] }),
    ]) {
      const error = await failure(call);
      assert.deepEqual([error.statusCode, error.code], [404, "Request_ResourceNotFound"]);
    }
    const listed = (await graph.api("/users").get()).value.map((user: { userPrincipalName: string }) => user.userPrincipalName);
    assert.equal(listed.includes("jo@contoso.com"), false);
    await sleep(1100);
    assert.equal((await graph.api("/users/jo@contoso.com").get()).id, mailUser.ExternalDirectoryObjectId);
  });

  it("converts a licensed mail user after the ranged conversion lag, which replaces the fixed delay", async () => {
    await newMailUser("kim");
    await sleep(1100);
    await graph.api("/users/kim@contoso.com").patch({ usageLocation: "GB" });
    await graph.api("/users/kim@contoso.com/assignLicense").post({ addLicenses: [{ skuId: EXCHANGE_STANDARD, disabledPlans: [] }], removeLicenses: [] });
    assert.equal((await invoke("Get-Recipient", { Identity: "kim@contoso.com" }))[0].RecipientTypeDetails, "MailUser");
    await sleep(1100);
    assert.equal((await invoke("Get-Recipient", { Identity: "kim@contoso.com" }))[0].RecipientTypeDetails, "UserMailbox");
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
