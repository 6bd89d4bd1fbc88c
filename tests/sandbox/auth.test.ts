import assert from "node:assert/strict";
import { google } from "googleapis";
import { signToken, verifyToken } from "pulumi-mail-coexistence-sandbox/auth";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { assertLoopback } from "pulumi-mail-coexistence-sandbox/server";
import { FABRIKAM, credential, directory, failure, gmail, graphClient, invokeRaw, raw, startTestSandbox } from "./harness";

describe("sandbox tokens (Entra client credentials, static tokens)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;

  before(async () => {
    sandbox = await startTestSandbox();
  });
  after(() => sandbox.stop());

  it("serves the OpenID configuration MSAL reads, pointing at itself", async () => {
    const response = await raw(sandbox, "GET", `/${sandbox.env.COEXIST_TENANT_ID}/v2.0/.well-known/openid-configuration`);
    assert.equal(response.body.token_endpoint, `${sandbox.url}/${sandbox.env.COEXIST_TENANT_ID}/oauth2/v2.0/token`);
  });

  it("binds a token to its tenant: each tenant's Graph client sees only its own domains", async () => {
    const contoso = (await graphClient(sandbox).api("/domains").get()).value.map((domain: { id: string }) => domain.id);
    const fabrikam = (await graphClient(sandbox, FABRIKAM).api("/domains").get()).value.map((domain: { id: string }) => domain.id);
    assert.ok(contoso.includes("contoso.com"));
    assert.deepEqual(fabrikam, ["fabrikam.onmicrosoft.com"]);
  });

  it("refuses a wrong client secret with AADSTS7000215 and an unknown scope with AADSTS1002012", async () => {
    const wrongSecret = await failure(credential(sandbox, { tenantId: sandbox.env.COEXIST_TENANT_ID, clientId: sandbox.env.COEXIST_CLIENT_ID, clientSecret: "wrong" }).getToken("https://graph.microsoft.com/.default"));
    assert.match(String(wrongSecret.message), /AADSTS7000215/);
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: sandbox.env.COEXIST_CLIENT_ID, client_secret: sandbox.env.COEXIST_CLIENT_SECRET, scope: "https://example.com/.default" });
    const badScope = await raw(sandbox, "POST", `/${sandbox.env.COEXIST_TENANT_ID}/oauth2/v2.0/token`, { body: form.toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    assert.equal(badScope.status, 400);
    assert.equal(badScope.body.error, "invalid_scope");
  });

  it("puts the app's permissions for the token's resource in `roles` and its directory role template ids in `wids`", async () => {
    const claims = async (scope: string) => JSON.parse(Buffer.from((await credential(sandbox).getToken(scope)).token.split(".")[1], "base64url").toString());
    const graph = await claims("https://graph.microsoft.com/.default");
    assert.deepEqual(graph.roles, readSeedFile(DEMO_SEED_PATH).microsoft[0].apps[0].graphPermissions);
    assert.ok(graph.roles.includes("User-PasswordProfile.ReadWrite.All"));
    assert.deepEqual(graph.wids, ["29232cdf-9323-42fd-ade2-1d097af3e4de", "fe930be7-5e62-47db-91af-98c3a49a38b1"]);
    assert.deepEqual((await claims("https://outlook.office365.com/.default")).roles, ["Exchange.ManageAsApp"]);
  });

  it("answers Graph without a valid token with 401 InvalidAuthenticationToken", async () => {
    const response = await raw(sandbox, "GET", "/v1.0/domains", { token: "not-a-token" });
    assert.equal(response.status, 401);
    assert.equal(response.body.error.code, "InvalidAuthenticationToken");
    assert.ok(response.body.error.innerError["request-id"]);
  });

  it("accepts the static token (COEXIST_ACCESS_TOKEN mode) on Graph, Exchange and Gmail", async () => {
    const token = sandbox.env.COEXIST_SANDBOX_STATIC_TOKEN;
    assert.equal((await raw(sandbox, "GET", "/v1.0/domains", { token })).status, 200);
    assert.equal((await invokeRaw(sandbox, token, "Get-AcceptedDomain")).status, 200);
    const auth = new google.auth.OAuth2();
    auth.setCredentials({ access_token: token });
    const gmail = google.gmail({ version: "v1", auth, rootUrl: sandbox.env.COEXIST_GOOGLE_URL });
    assert.equal((await gmail.users.settings.getAutoForwarding({ userId: "ben.adams@contoso.com" })).data.enabled, false);
  });

  it("verifies only unexpired tokens it signed", () => {
    const claims = { aud: "a", tid: "t", iss: "i", iat: 0, exp: 2_000_000_000 };
    const token = signToken("key", claims);
    assert.deepEqual(verifyToken("key", token, 0), claims);
    assert.equal(verifyToken("other", token, 0), undefined);
    assert.equal(verifyToken("key", token, 2_000_000_001_000), undefined);
    assert.equal(verifyToken("key", "a.b", 0), undefined);
  });

  it("refuses to bind anything but 127.0.0.1", () => {
    assert.throws(() => assertLoopback("0.0.0.0"), /binds 127\.0\.0\.1 only/);
    assert.doesNotThrow(() => assertLoopback("127.0.0.1"));
  });
});

describe("sandbox Google tokens: who a token acts for", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;

  before(async () => {
    sandbox = await startTestSandbox();
  });
  after(() => sandbox.stop());

  const staticGmail = (handle: SandboxHandle) => {
    const auth = new google.auth.OAuth2();
    auth.setCredentials({ access_token: handle.env.COEXIST_SANDBOX_STATIC_TOKEN });
    return google.gmail({ version: "v1", auth, rootUrl: handle.env.COEXIST_GOOGLE_URL });
  };

  it("lets a token without sub (the service account as itself) act for no mailbox: Gmail 400 failedPrecondition, Directory 403", async () => {
    const mailbox = await failure(gmail(sandbox, undefined).users.settings.getAutoForwarding({ userId: "ben.adams@contoso.com" }));
    assert.equal(mailbox.response.status, 400);
    assert.deepEqual(mailbox.response.data.error.errors[0], { message: "Precondition check failed.", domain: "global", reason: "failedPrecondition" });
    const users = await failure(directory(sandbox, undefined).users.get({ userKey: "ben.adams@contoso.com" }));
    assert.equal(users.response.status, 403);
    assert.equal(users.response.data.error.message, "Not Authorized to access this resource/api");
  });

  it("lets the static token act for any mailbox by default (the documented deviation), and for none with google.staticToken noMailbox", async () => {
    assert.equal((await staticGmail(sandbox).users.settings.getAutoForwarding({ userId: "chloe.adams@contoso.com" })).data.enabled, false);
    const demo = readSeedFile(DEMO_SEED_PATH);
    const bounded = await startTestSandbox({ seed: { ...demo, google: { ...demo.google, staticToken: "noMailbox" } } });
    try {
      const error = await failure(staticGmail(bounded).users.settings.getAutoForwarding({ userId: "chloe.adams@contoso.com" }));
      assert.equal(error.response.status, 400);
      assert.equal(error.response.data.error.errors[0].reason, "failedPrecondition");
      assert.equal((await raw(bounded, "GET", "/v1.0/domains", { token: bounded.env.COEXIST_SANDBOX_STATIC_TOKEN })).status, 200, "Microsoft APIs keep accepting it");
    } finally {
      await bounded.stop();
    }
  });
});

