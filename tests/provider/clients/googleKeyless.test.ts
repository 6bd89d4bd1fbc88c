import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../../../provider/config";
import { getAutoForwarding } from "../../../provider/clients/google";
import { delegationClaims } from "../../../provider/clients/googleKeyless";
import { tempStateDir } from "../../helpers/tempState";
import { fixturePerTest, unsignedJwt, useStackConfig, type RecordedRequest, type Reply } from "./fixture";

const ALICE = "alice@contoso.com";
const BEN = "ben@contoso.com";
const SERVICE_ACCOUNT = "dwd@contoso-migration.iam.gserviceaccount.com";

/** STS, IAM Credentials, the token endpoint and Gmail on one fixture: each answers as Google does. */
function google(request: RecordedRequest): Reply {
  if (request.path === "/sts") return { body: { access_token: "federated", issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 3599 } };
  if (request.path.endsWith(":signJwt")) return { body: { keyId: "k1", signedJwt: unsignedJwt(JSON.parse(JSON.parse(request.body).payload)) } };
  if (request.path === "/token") {
    const claims = JSON.parse(Buffer.from(new URLSearchParams(request.body).get("assertion")!.split(".")[1], "base64url").toString());
    return { body: { access_token: `delegated-for-${claims.sub}`, expires_in: 3599, token_type: "Bearer" } };
  }
  return { body: { enabled: false } };
}

describe("Google keyless delegation (IAM signJwt as the ambient identity)", () => {
  const files = tempStateDir("google-keyless-unit");
  let savedCredentials: string | undefined;
  const fixture = fixturePerTest((url) => ({
    googleUrl: `${url}/`,
    googleServiceAccount: SERVICE_ACCOUNT,
    googleIamUrl: `${url}/iam`,
    googleTokenUrl: `${url}/token`,
  }));

  before(() => {
    savedCredentials = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    fs.writeFileSync(path.join(files.dir, "ci-token"), "ci-oidc-token");
  });
  beforeEach(() => {
    // A file per fixture: the ambient identity is kept per credentials file.
    const credentialsFile = path.join(files.dir, `workload-identity-${new URL(fixture().url).port}.json`);
    fs.writeFileSync(
      credentialsFile,
      JSON.stringify({
        type: "external_account",
        audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/github",
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        token_url: `${fixture().url}/sts`,
        credential_source: { file: path.join(files.dir, "ci-token") },
      }),
    );
    process.env.GOOGLE_APPLICATION_CREDENTIALS = credentialsFile;
  });
  after(() => {
    if (savedCredentials === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = savedCredentials;
    files.cleanup();
  });

  it("asks for an hour's delegation to the token endpoint, as the service account, for the user's scopes", () => {
    const delegation = { serviceAccount: SERVICE_ACCOUNT, iamUrl: "https://iamcredentials.googleapis.com/", tokenUrl: "https://oauth2.googleapis.com/token" };
    assert.deepStrictEqual(delegationClaims(delegation, ALICE, ["s1", "s2"], 1_000), {
      iss: SERVICE_ACCOUNT,
      sub: ALICE,
      scope: "s1 s2",
      aud: "https://oauth2.googleapis.com/token",
      iat: 1_000,
      exp: 4_600,
    });
  });

  it("signs one assertion per user as the federated identity and calls Gmail with that user's token", async () => {
    fixture().handler = google;
    await Promise.all([getAutoForwarding(ALICE), getAutoForwarding(ALICE), getAutoForwarding(BEN)]);
    const signings = fixture().requestsTo("/iam/");
    assert.deepStrictEqual(
      signings.map((request) => [request.path, request.headers.authorization, JSON.parse(JSON.parse(request.body).payload).sub]).sort(),
      [
        [`/iam/v1/projects/-/serviceAccounts/${encodeURIComponent(SERVICE_ACCOUNT)}:signJwt`, "Bearer federated", ALICE],
        [`/iam/v1/projects/-/serviceAccounts/${encodeURIComponent(SERVICE_ACCOUNT)}:signJwt`, "Bearer federated", BEN],
      ],
    );
    assert.strictEqual(fixture().requestsTo("/sts").length, 1, "one federated token serves every user");
    const gmailAuth = fixture().requestsTo("/gmail/").map((request) => request.headers.authorization).sort();
    assert.deepStrictEqual(gmailAuth, [`Bearer delegated-for-${ALICE}`, `Bearer delegated-for-${ALICE}`, `Bearer delegated-for-${BEN}`]);
  });

  it("names coexist:googleServiceAccount and the fix when there is no Google identity to sign with", async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = path.join(files.dir, "missing.json");
    fixture().handler = google;
    await assert.rejects(getAutoForwarding(ALICE), (error: unknown) => error instanceof ConfigError && /^coexist:googleServiceAccount is set, .*google-github-actions\/auth/.test(error.message));
    assert.deepStrictEqual(fixture().requests, []);
  });

  it("refuses a key and keyless signing configured together", async () => {
    const url = fixture().url;
    useStackConfig({ googleUrl: `${url}/`, googleServiceAccount: SERVICE_ACCOUNT, googleIamUrl: `${url}/iam`, googleTokenUrl: `${url}/token`, googleCredentials: '{"client_email":"a@b.c","private_key":"k"}' });
    await assert.rejects(getAutoForwarding(ALICE), /^ConfigError: coexist:googleServiceAccount and coexist:googleCredentials are both set/);
    assert.deepStrictEqual(fixture().requests, []);
  });
});
