import assert from "node:assert/strict";
import { google } from "googleapis";
import { AUTO_FORWARDING_SETTING, parseFilter } from "pulumi-mail-coexistence-sandbox/cloudIdentity";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { control, failure, gmail, googleJwt, startTestSandbox } from "./harness";

const POLICIES_READONLY = "https://www.googleapis.com/auth/cloud-identity.policies.readonly";
const ADMIN = "ada.adams@contoso.com";
const AUTO_FORWARDING_FILTER = "setting.type.matches('^settings/gmail\\\\.auto_forwarding$')";

function cloudIdentity(handle: SandboxHandle, subject: string | undefined, scopes = [POLICIES_READONLY]) {
  return google.cloudidentity({ version: "v1", auth: googleJwt(handle, subject, scopes), rootUrl: handle.env.COEXIST_GOOGLE_URL });
}

/** The value Google applies: the Max reducer takes the policy with the greatest sortOrder (Policy API concepts). */
function reducedAutoForwarding(policies: { policyQuery?: { sortOrder?: number | null }; setting?: { value?: Record<string, unknown> | null } }[]): unknown {
  const winner = [...policies].sort((left, right) => (right.policyQuery?.sortOrder ?? 0) - (left.policyQuery?.sortOrder ?? 0))[0];
  return winner?.setting?.value?.enableAutoForwarding;
}

describe("sandbox Cloud Identity Policy API (the automatic-forwarding setting, through googleapis)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;

  before(async () => {
    sandbox = await startTestSandbox();
  });
  after(() => sandbox.stop());

  it("lists one SYSTEM policy allowing automatic forwarding for the demo Workspace, at the same root URL as Gmail", async () => {
    const listed = await cloudIdentity(sandbox, ADMIN).policies.list({ filter: AUTO_FORWARDING_FILTER });
    assert.equal(listed.data.policies?.length, 1);
    const [policy] = listed.data.policies ?? [];
    assert.equal(policy.type, "SYSTEM");
    assert.equal(policy.customer, "customers/C03az79cb");
    assert.deepEqual(policy.setting, { type: AUTO_FORWARDING_SETTING, value: { enableAutoForwarding: true } });
    assert.match(policy.policyQuery?.orgUnit ?? "", /^orgUnits\//);
    assert.equal((await cloudIdentity(sandbox, ADMIN).policies.get({ name: policy.name ?? "" })).data.name, policy.name);
  });

  it("adds an ADMIN policy that wins by sortOrder when the admin forbids forwarding; Gmail then refuses to enable it and stops forwarding", async () => {
    const ben = gmail(sandbox, "ben.adams@contoso.com");
    await ben.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "ben.adams@o365.contoso.com" } });
    await ben.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" } });
    const forwarded = await control(sandbox, "POST", "mail", { from: "internet", to: "ben.adams@contoso.com" });
    assert.ok(forwarded.hops.some((hop: { action: string }) => /forward/i.test(hop.action)), JSON.stringify(forwarded.hops));

    assert.deepEqual(await control(sandbox, "PUT", "google/policy", { autoForwardingAllowed: false }), { autoForwardingAllowed: false });
    try {
      const policies = (await cloudIdentity(sandbox, ADMIN).policies.list({ filter: `customer == "customers/my_customer" && ${AUTO_FORWARDING_FILTER}` })).data.policies ?? [];
      assert.deepEqual(policies.map((policy) => policy.type), ["SYSTEM", "ADMIN"]);
      assert.equal(reducedAutoForwarding(policies), false);
      const refused = await failure(ben.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" } }));
      assert.equal(refused.response.status, 400);
      assert.equal(refused.response.data.error.errors[0].reason, "failedPrecondition");
      const kept = await control(sandbox, "POST", "mail", { from: "internet", to: "ben.adams@contoso.com" });
      assert.deepEqual(kept.disposition, { kind: "delivered", system: "google", mailbox: "ben.adams@contoso.com" });
      assert.equal((await control(sandbox, "GET", "state")).google.policy.autoForwardingAllowed, false);
    } finally {
      await control(sandbox, "PUT", "google/policy", { autoForwardingAllowed: true });
    }
    assert.equal(reducedAutoForwarding((await cloudIdentity(sandbox, ADMIN).policies.list({})).data.policies ?? []), true);
  });

  it("answers only a super admin: a non-admin subject and a token without sub get 403 PERMISSION_DENIED", async () => {
    for (const subject of ["ben.adams@contoso.com", undefined]) {
      const error = await failure(cloudIdentity(sandbox, subject).policies.list({}));
      assert.equal(error.response.status, 403, String(subject));
      assert.equal(error.response.data.error.status, "PERMISSION_DENIED");
    }
  });

  it("needs a cloud-identity.policies scope, and Google's 401 without a token", async () => {
    const scopes = await failure(cloudIdentity(sandbox, ADMIN, ["https://www.googleapis.com/auth/admin.directory.user.readonly"]).policies.list({}));
    assert.equal(scopes.response.status, 403);
    assert.equal(scopes.response.data.error.message, "Request had insufficient authentication scopes.");
    assert.equal(scopes.response.data.error.details[0].reason, "ACCESS_TOKEN_SCOPE_INSUFFICIENT");
    const anonymous = await failure(google.cloudidentity({ version: "v1", rootUrl: sandbox.env.COEXIST_GOOGLE_URL }).policies.list({}));
    assert.equal(anonymous.response.status, 401);
    assert.equal(anonymous.response.data.error.status, "UNAUTHENTICATED");
  });

  it("filters by application and customer, refuses another customer and a filter it cannot read, and has no policy it does not model", async () => {
    const admin = cloudIdentity(sandbox, ADMIN);
    assert.equal((await admin.policies.list({ filter: "setting.type.matches('^settings/gmail\\\\..*$')" })).data.policies?.length, 1);
    assert.deepEqual((await admin.policies.list({ filter: "setting.type.matches('^settings/drive_and_docs\\\\..*$')" })).data, {});
    assert.equal((await failure(admin.policies.list({ filter: 'customer == "customers/C0someoneelse"' }))).response.status, 403);
    assert.equal((await failure(admin.policies.list({ filter: "setting.value.enableAutoForwarding == true" }))).response.status, 400);
    assert.equal((await failure(admin.policies.get({ name: "policies/nothing" }))).response.status, 404);
  });

  it("starts with the ADMIN policy when the seed forbids forwarding", async () => {
    const demo = readSeedFile(DEMO_SEED_PATH);
    const blocked = await startTestSandbox({ seed: { ...demo, google: { ...demo.google, policy: { autoForwardingAllowed: false } } } });
    try {
      assert.equal(reducedAutoForwarding((await cloudIdentity(blocked, ADMIN).policies.list({ filter: AUTO_FORWARDING_FILTER })).data.policies ?? []), false);
    } finally {
      await blocked.stop();
    }
  });
});

describe("sandbox Cloud Identity policies.list filter", () => {
  const policy = (type: string) => ({
    name: "policies/x",
    customer: "customers/C1",
    policyQuery: { orgUnit: "orgUnits/1", query: "", sortOrder: 1 },
    setting: { type, value: {} },
    type: "SYSTEM" as const,
  });
  const cases: [string, string, boolean][] = [
    ["setting.type.matches('^settings/gmail\\\\..*$')", "settings/gmail.auto_forwarding", true],
    ["setting.type.matches('^settings/gmail\\..*$')", "settings/gmail.auto_forwarding", true],
    ['setting.type.matches("gmail.*")', "settings/gmail.auto_forwarding", true],
    ["setting.type.matches('^.*\\\\.service_status$')", "settings/gmail.auto_forwarding", false],
    ['customer == "customers/my_customer" && setting.type.matches(\'auto_forwarding\')', "settings/gmail.auto_forwarding", true],
    ["customer == 'customers/C1' && (setting.type.matches('drive') || setting.type.matches('gmail'))", "settings/gmail.auto_forwarding", true],
    ["setting.type.matches('drive') && setting.type.matches('gmail')", "settings/gmail.auto_forwarding", false],
  ];
  for (const [filter, type, expected] of cases) {
    it(`${filter} on ${type} → ${expected}`, () => assert.equal(parseFilter(filter, "C1")(policy(type)), expected));
  }
  for (const filter of ["setting.type == 'x'", "setting.type.matches('a') &&", "(setting.type.matches('a')", "setting.type.matches('(')"]) {
    it(`refuses ${filter}`, () => assert.throws(() => parseFilter(filter, "C1")));
  }
});
