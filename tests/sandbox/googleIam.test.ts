import assert from "node:assert/strict";
import { createPublicKey, createVerify } from "node:crypto";
import { WORKLOAD_PROVIDER } from "pulumi-mail-coexistence-sandbox/googleIam";
import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { control, raw, startTestSandbox } from "./harness";

const DEPLOYMENT_JOB = "repo:contoso/mail-migration:environment:production";
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

describe("sandbox keyless Google path (STS token exchange, IAM Credentials signJwt)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let serviceAccount: { client_email: string; private_key: string };

  before(async () => {
    sandbox = await startTestSandbox();
    serviceAccount = JSON.parse(sandbox.env.COEXIST_GOOGLE_CREDENTIALS);
  });
  after(() => sandbox.stop());

  const exchange = async (subjectToken: string, audience = WORKLOAD_PROVIDER) => {
    const form = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      audience,
      scope: "https://www.googleapis.com/auth/cloud-platform",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token: subjectToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    });
    return raw(sandbox, "POST", "/v1/token", { body: form.toString(), headers: FORM });
  };
  const federatedToken = async (subject: string) => {
    const { token } = (await control(sandbox, "POST", "ci-token", { subject })) as { token: string };
    return (await exchange(token)).body.access_token as string;
  };
  const signJwt = (token: string, claims: object, account = serviceAccount.client_email) =>
    raw(sandbox, "POST", `/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:signJwt`, { token, body: { payload: JSON.stringify(claims) } });
  const delegation = (now = Math.floor(Date.now() / 1000)) => ({
    iss: serviceAccount.client_email,
    sub: "ben.adams@contoso.com",
    scope: "https://www.googleapis.com/auth/gmail.settings.basic",
    aud: `${sandbox.url}/token`,
    iat: now,
    exp: now + 3600,
  });

  it("signs the deployment job's delegation with the service account's key, and the token endpoint accepts it", async () => {
    const signed = await signJwt(await federatedToken(DEPLOYMENT_JOB), delegation());
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const [header, payload, signature] = signed.body.signedJwt.split(".");
    const verifier = createVerify("RSA-SHA256").update(`${header}.${payload}`);
    assert.ok(verifier.verify(createPublicKey(serviceAccount.private_key), Buffer.from(signature, "base64url")));
    const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: signed.body.signedJwt });
    const token = await raw(sandbox, "POST", "/token", { body: form.toString(), headers: FORM });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const forwarding = await raw(sandbox, "GET", "/gmail/v1/users/ben.adams@contoso.com/settings/autoForwarding", { token: token.body.access_token });
    assert.equal(forwarding.status, 200, JSON.stringify(forwarding.body));
  });

  it("refuses a pull request's identity, an unknown service account and an assertion valid for more than 12 hours", async () => {
    const pullRequest = await signJwt(await federatedToken("repo:contoso/mail-migration:pull_request"), delegation());
    assert.deepEqual([pullRequest.status, pullRequest.body.error.status], [403, "PERMISSION_DENIED"]);
    const production = await federatedToken(DEPLOYMENT_JOB);
    const unknown = await signJwt(production, delegation(), "other@contoso-sandbox.iam.gserviceaccount.com");
    assert.deepEqual([unknown.status, unknown.body.error.status], [404, "NOT_FOUND"]);
    const now = Math.floor(Date.now() / 1000);
    const tooLong = await signJwt(production, { ...delegation(now), exp: now + 13 * 3600 });
    assert.deepEqual([tooLong.status, tooLong.body.error.status], [400, "INVALID_ARGUMENT"]);
  });

  it("exchanges only its CI issuer's tokens for the right provider, and a federated token opens no mailbox", async () => {
    const { token } = (await control(sandbox, "POST", "ci-token", { subject: DEPLOYMENT_JOB })) as { token: string };
    assert.equal((await exchange(token, "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/other/providers/x")).body.error, "invalid_target");
    assert.equal((await exchange(sandbox.env.COEXIST_SANDBOX_STATIC_TOKEN)).body.error, "invalid_grant");
    const federated = await federatedToken(DEPLOYMENT_JOB);
    assert.equal((await raw(sandbox, "GET", "/gmail/v1/users/ben.adams@contoso.com/settings/autoForwarding", { token: federated })).status, 401);
    assert.equal((await signJwt("not-a-token", delegation())).status, 401);
  });
});
