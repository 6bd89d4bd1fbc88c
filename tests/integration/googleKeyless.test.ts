import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { workloadIdentityCredentials } from "pulumi-mail-coexistence-sandbox/googleIam";
import { repoRoot } from "../../scripts/engine-env";
import { control } from "../../scripts/journey";
import { Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";

const DEPLOYMENT_JOB = "repo:contoso/mail-migration:environment:production";
const PULL_REQUEST = "repo:contoso/mail-migration:pull_request";
const route = (user: string) => ({ userEmail: `${user}.adams@contoso.com`, forwardTo: `${user}.adams@o365.contoso.com`, requireMailbox: false });

// The pipeline's Google credentials without a key: the job's workload identity federation file
// (what google-github-actions/auth writes) is the only Google credential the engine gets, and
// coexist:googleServiceAccount makes the provider sign each user's delegation through IAM signJwt.
describe("Google calls without a service-account key, through the real engine against the sandbox", function () {
  this.timeout(600_000);
  const state = tempStateDir("google-keyless");
  const tokenFile = path.join(state.dir, "ci-oidc-token");
  let sandbox: SandboxHandle;
  let stack: Stack;

  /** The CI job's OIDC token, as the job whose subject this is would get it. */
  const runAs = async (subject: string) => {
    const { token } = (await control(sandbox, "POST", "/sandbox/ci-token", { subject })) as { token: string };
    fs.writeFileSync(tokenFile, token, { mode: 0o600 });
  };
  const googleCalls = async () => {
    const { apis } = (await control(sandbox, "GET", "/sandbox/stats")) as { apis: Record<string, { byOperation: Record<string, number> }> };
    return ["googleToken", "gmail"].flatMap((api) => Object.keys(apis[api]?.byOperation ?? {}).map((operation) => `${api} ${operation}`));
  };

  before(async () => {
    sandbox = await startSandbox();
    const credentialsFile = path.join(state.dir, "google-workload-identity.json");
    fs.writeFileSync(credentialsFile, JSON.stringify(workloadIdentityCredentials(sandbox.url, tokenFile)));
    const serviceAccount = (JSON.parse(sandbox.env.COEXIST_GOOGLE_CREDENTIALS) as { client_email: string }).client_email;
    stack = new Stack({
      projectDir: path.join(repoRoot, "tests", "fixtures", "googleForwardingRoute"),
      stack: "keyless",
      stateDir: state.dir,
      passphrase: "google-keyless",
      env: {
        ...sandbox.env,
        COEXIST_GOOGLE_CREDENTIALS: "",
        COEXIST_GOOGLE_SERVICE_ACCOUNT: serviceAccount,
        COEXIST_GOOGLE_IAM_URL: `${sandbox.url}/`,
        COEXIST_GOOGLE_TOKEN_URL: `${sandbox.url}/token`,
        GOOGLE_APPLICATION_CREDENTIALS: credentialsFile,
      },
    });
    await stack.init();
  });

  after(async () => {
    await stack?.remove();
    await sandbox?.stop();
    state.cleanup();
  });

  it("forwards a user's Gmail as the deployment job: IAM signs the delegation, the token endpoint exchanges it", async () => {
    await runAs(DEPLOYMENT_JOB);
    await stack.setConfig({ "googleForwardingRoute:args": JSON.stringify(route("ben")) });
    await control(sandbox, "POST", "/sandbox/stats/reset");
    await stack.up();
    assert.deepStrictEqual(await stack.outputs(), { disposition: "trash", enabled: true, forwardingEmail: "ben.adams@o365.contoso.com" });
    const calls = await googleCalls();
    for (const step of ["googleToken POST sts token", "googleToken POST signJwt", "googleToken POST /token", "gmail PUT /gmail/v1/users/{id}/settings/autoForwarding"]) {
      assert.ok(calls.includes(step), `${step} in ${calls.join(", ")}`);
    }
  });

  it("refuses a pull request's identity at signJwt, naming the missing permission, and writes nothing to Gmail", async () => {
    await runAs(PULL_REQUEST);
    await stack.setConfig({ "googleForwardingRoute:args": JSON.stringify(route("chloe")) });
    await control(sandbox, "POST", "/sandbox/stats/reset");
    const result = await stack.run(["up", "--yes", "--skip-preview"], true);
    assert.notStrictEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /Permission 'iam\.serviceAccounts\.signJwt' denied/);
    assert.deepStrictEqual((await googleCalls()).filter((call) => call.startsWith("gmail")), []);
  });
});
