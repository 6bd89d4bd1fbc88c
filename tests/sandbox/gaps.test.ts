import assert from "node:assert/strict";
import { PERMISSION_GAPS, seedLacking } from "pulumi-mail-coexistence-sandbox/gaps";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile, type Seed } from "pulumi-mail-coexistence-sandbox/seed";
import { control, credential, invokeRaw, raw, startTestSandbox, type RawResponse } from "./harness";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const PAT = "pat@contoso.onmicrosoft.com";

/** The demo seed plus a licensable user without any role (a password reset's ordinary target). */
function demoWithPat(): Seed {
  const demo = readSeedFile(DEMO_SEED_PATH);
  const [contoso, ...others] = demo.microsoft;
  return { ...demo, microsoft: [{ ...contoso, users: [...contoso.users, { userPrincipalName: PAT, displayName: "Pat", usageLocation: "GB" }] }, ...others] };
}

/** The one call each gap breaks, and what the client then sees. */
const PROBES: Record<string, { expected: number; call: (handle: SandboxHandle, graph: string, exchange: string) => Promise<RawResponse> }> = {
  "no-user-administrator": { expected: 403, call: (handle, token) => raw(handle, "PATCH", `/v1.0/users/${PAT}`, { token, body: { passwordProfile: { password: "Sandbox-Passw0rd!", forceChangePasswordNextSignIn: true } } }) },
  "no-exchange-administrator": { expected: 403, call: (handle, _graph, token) => invokeRaw(handle, token, "Get-AcceptedDomain") },
  "no-exchange-manageasapp": { expected: 401, call: (handle, _graph, token) => invokeRaw(handle, token, "Get-AcceptedDomain") },
  "no-domain-readwrite": { expected: 403, call: (handle, token) => raw(handle, "GET", "/v1.0/domains", { token }) },
  "no-licenseassignment-readwrite": {
    expected: 403,
    call: (handle, token) => raw(handle, "POST", `/v1.0/users/${PAT}/assignLicense`, { token, body: { addLicenses: [{ skuId: EXCHANGE_STANDARD, disabledPlans: [] }], removeLicenses: [] } }),
  },
  "no-user-read": { expected: 403, call: (handle, token) => raw(handle, "GET", `/v1.0/users/${PAT}`, { token }) },
  "no-user-readupdate": { expected: 403, call: (handle, token) => raw(handle, "PATCH", `/v1.0/users/${PAT}`, { token, body: { usageLocation: "FR" } }) },
  "no-user-enabledisable": { expected: 403, call: (handle, token) => raw(handle, "PATCH", `/v1.0/users/${PAT}`, { token, body: { accountEnabled: false } }) },
  "no-user-passwordprofile": { expected: 403, call: (handle, token) => raw(handle, "PATCH", `/v1.0/users/${PAT}`, { token, body: { passwordProfile: { forceChangePasswordNextSignIn: true } } }) },
  "no-licenseassignment-read": { expected: 403, call: (handle, token) => raw(handle, "GET", "/v1.0/subscribedSkus", { token }) },
  "no-rolemanagement-read": { expected: 403, call: (handle, token) => raw(handle, "GET", "/v1.0/roleManagement/directory/roleAssignments", { token }) },
};

describe("seeds that lack one grant each (for coexist doctor)", function () {
  this.timeout(60_000);
  let sandbox: SandboxHandle;

  before(async () => {
    sandbox = await startTestSandbox({ seed: demoWithPat() });
  });
  after(() => sandbox.stop());

  async function tokens(): Promise<[string, string]> {
    const fresh = credential(sandbox);
    return [(await fresh.getToken("https://graph.microsoft.com/.default")).token, (await fresh.getToken("https://outlook.office365.com/.default")).token];
  }

  it("derives each gap from the demo seed by removing exactly one grant of its app", () => {
    const demo = readSeedFile(DEMO_SEED_PATH).microsoft[0].apps[0];
    const size = (app: typeof demo): number => app.graphPermissions.length + app.exchangePermissions.length + app.directoryRoles.length;
    for (const gap of PERMISSION_GAPS) assert.equal(size(seedLacking(readSeedFile(DEMO_SEED_PATH), gap.name).microsoft[0].apps[0]), size(demo) - 1, gap.name);
    assert.throws(() => seedLacking(readSeedFile(DEMO_SEED_PATH), "no-such-gap"), /No permission gap "no-such-gap"/);
  });

  it("lets the demo app make every probed call", async () => {
    const [graph, exchange] = await tokens();
    for (const [name, probe] of Object.entries(PROBES)) {
      const response = await probe.call(sandbox, graph, exchange);
      assert.ok(response.status < 300, `${name}'s probe answered ${response.status} on the demo seed: ${JSON.stringify(response.body)}`);
    }
  });

  for (const gap of PERMISSION_GAPS) {
    it(`${gap.name}: ${gap.breaks}`, async () => {
      await control(sandbox, "POST", "reset", { seed: seedLacking(demoWithPat(), gap.name) });
      const [graph, exchange] = await tokens();
      const response = await PROBES[gap.name].call(sandbox, graph, exchange);
      assert.equal(response.status, PROBES[gap.name].expected, JSON.stringify(response.body));
      if (response.status === 403 && response.body?.error) {
        assert.deepEqual([response.body.error.code, response.body.error.message], ["Authorization_RequestDenied", "Insufficient privileges to complete the operation."]);
      }
      if (response.status === 401) assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer /);
    });
  }
});
