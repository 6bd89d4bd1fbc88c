import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { MAX_BODY_BYTES } from "pulumi-mail-coexistence-sandbox/http";
import { CONTROL_TOKEN_FILE, RUNTIME_FILE } from "pulumi-mail-coexistence-sandbox/runtime";
import { readSeedFile, withGeneratedUsers } from "pulumi-mail-coexistence-sandbox/seed";
import { control, exchangeToken, invokeRaw, raw, startTestSandbox } from "./harness";

describe("sandbox server hygiene (control token, body limit, no password kept or echoed)", function () {
  this.timeout(60_000);
  let sandbox: SandboxHandle;
  let controlToken: string;

  before(async () => {
    sandbox = await startTestSandbox();
    controlToken = readFileSync(join(sandbox.dataDir, CONTROL_TOKEN_FILE), "utf8").trim();
  });
  after(() => sandbox.stop());

  it("refuses the control API without its token, or with another, with a bare 401, whatever the path", async () => {
    for (const [path, token] of [["/sandbox/state", undefined], ["/sandbox/tokens", "wrong"], ["/sandbox/no-such-thing", undefined], ["/sandbox/env", sandbox.env.COEXIST_SANDBOX_STATIC_TOKEN]] as const) {
      const response = await raw(sandbox, "GET", path, { token });
      assert.equal(response.status, 401, path);
      assert.equal(response.body, undefined, path);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="coexist-sandbox"');
    }
    const tokened = await raw(sandbox, "GET", "/sandbox/health", { token: controlToken });
    assert.equal(tokened.status, 200);
    assert.equal((await control(sandbox, "GET", "health")).ok, true, "controlRequest passes the token by itself");
  });

  it("prints the control token nowhere: not in runtime.json, the environment, or the log", async () => {
    assert.ok(controlToken.length >= 40);
    const places = [readFileSync(join(sandbox.dataDir, RUNTIME_FILE), "utf8"), JSON.stringify(await control(sandbox, "GET", "env")), readFileSync(join(sandbox.dataDir, "sandbox.log"), "utf8")];
    for (const text of places) assert.equal(text.includes(controlToken), false);
  });

  it("answers a body over the limit with 413 in each API's own error format", async () => {
    const huge = "x".repeat(MAX_BODY_BYTES + 1);
    const exchange = await exchangeToken(sandbox);
    const graph = await raw(sandbox, "POST", "/v1.0/$batch", { body: huge, token: "t" });
    assert.deepEqual([graph.status, graph.body.error.code], [413, "RequestEntityTooLarge"]);
    assert.ok(graph.body.error.innerError["request-id"]);
    const invoke = await raw(sandbox, "POST", `/adminapi/beta/${sandbox.env.COEXIST_TENANT_ID}/InvokeCommand`, { body: huge, token: exchange });
    assert.equal(invoke.status, 413);
    assert.match(invoke.body.error.details[0].message, /^Ex[0-9A-F]+\|[\w.]+\|The request body is larger/);
    for (const path of ["/gmail/v1/users/me/settings/autoForwarding", "/admin/directory/v1/users"]) {
      const google = await raw(sandbox, "PUT", path, { body: huge });
      assert.deepEqual([google.status, google.body.error.code, google.body.error.errors[0].reason], [413, 413, "badRequest"], path);
    }
    const policies = await raw(sandbox, "POST", "/v1/policies", { body: huge });
    assert.deepEqual([policies.status, policies.body.error.code, policies.body.error.errors], [413, 413, undefined]);
    const entra = await raw(sandbox, "POST", `/${sandbox.env.COEXIST_TENANT_ID}/oauth2/v2.0/token`, { body: huge });
    assert.deepEqual([entra.status, entra.body.error], [413, "invalid_request"]);
    const googleToken = await raw(sandbox, "POST", "/token", { body: huge });
    assert.deepEqual([googleToken.status, googleToken.body.error], [413, "invalid_request"]);
    const controlAnswer = await raw(sandbox, "POST", "/sandbox/reset", { body: huge, token: controlToken });
    assert.equal(controlAnswer.status, 413);
    assert.match(controlAnswer.body.error, /larger than the 4 MiB/);
  });

  it("accepts the largest legitimate request under the limit: a 10,000-user seed posted to /sandbox/reset", async () => {
    const seed = withGeneratedUsers(readSeedFile(DEMO_SEED_PATH), 10_000, 3);
    const body = JSON.stringify({ seed });
    assert.ok(body.length > 1_000_000 && body.length < MAX_BODY_BYTES, `${body.length} bytes`);
    assert.deepEqual(await control(sandbox, "POST", "reset", { seed }), { reset: true, googleUsers: 10_000 });
    await control(sandbox, "POST", "reset", { seed: readSeedFile(DEMO_SEED_PATH) });
  });

  it("keeps no password it is given, in any file of its data directory or any answer", async () => {
    const passwords = Array.from({ length: 4 }, () => `Pw-${randomBytes(9).toString("base64url")}-9a`);
    const exchange = await exchangeToken(sandbox);
    const created = await invokeRaw(sandbox, exchange, "New-MailUser", { Name: "pat", MicrosoftOnlineServicesID: "pat@contoso.com", Password: passwords[0], ExternalEmailAddress: "pat@gsuite.contoso.com" });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const clash = await invokeRaw(sandbox, exchange, "New-MailUser", { Name: "pat", MicrosoftOnlineServicesID: "pat@contoso.com", Password: passwords[1], ExternalEmailAddress: "pat@gsuite.contoso.com" });
    const refused = await invokeRaw(sandbox, exchange, "Set-MailUser", { Identity: "pat", Password: passwords[2] });
    const graphToken = await graphAccessToken(sandbox);
    const reset = await raw(sandbox, "PATCH", "/v1.0/users/pat@contoso.com", { token: graphToken, body: { passwordProfile: { password: passwords[3], forceChangePasswordNextSignIn: true } } });
    const tooSimple = await raw(sandbox, "PATCH", "/v1.0/users/pat@contoso.com", { token: graphToken, body: { passwordProfile: { password: "simple" } } });
    assert.deepEqual([clash.status, refused.status, reset.status, tooSimple.status], [400, 400, 204, 400]);

    const answers = [clash, refused, reset, tooSimple].map((answer) => JSON.stringify(answer.body ?? ""));
    for (const path of ["state", "stats", "env", "tokens", "faults", "watch"]) answers.push(JSON.stringify(await control(sandbox, "GET", path)));
    const files = readdirSync(sandbox.dataDir).map((name) => readFileSync(join(sandbox.dataDir, name)));
    for (const password of [...passwords, "simple"]) {
      for (const answer of answers) assert.equal(answer.includes(password), false, `an answer holds ${password}`);
      for (const file of files) assert.equal(file.includes(password), false, `a file holds ${password}`);
    }
  });
});

async function graphAccessToken(handle: SandboxHandle): Promise<string> {
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: handle.env.COEXIST_CLIENT_ID, client_secret: handle.env.COEXIST_CLIENT_SECRET, scope: "https://graph.microsoft.com/.default" });
  const answer = await raw(handle, "POST", `/${handle.env.COEXIST_TENANT_ID}/oauth2/v2.0/token`, { body: form.toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  return answer.body.access_token as string;
}
