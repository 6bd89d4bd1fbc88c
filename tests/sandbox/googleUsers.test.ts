import assert from "node:assert/strict";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile, type GoogleUserSeed, type Seed } from "pulumi-mail-coexistence-sandbox/seed";
import { control, directory, failure, gmail, startTestSandbox } from "./harness";

const demo = readSeedFile(DEMO_SEED_PATH);
const ADMIN = "ada.adams@contoso.com";

function person(primaryEmail: string, extra: Partial<GoogleUserSeed> = {}): GoogleUserSeed {
  const [givenName, familyName] = primaryEmail.split("@")[0].split(".");
  return { primaryEmail, givenName, familyName, ...extra };
}

/** The demo seed plus departed users: one suspended (and one in the older `suspended: true` form), one deleted. */
const departedSeed: Seed = {
  ...demo,
  google: {
    ...demo.google,
    users: [
      ...demo.google.users,
      person("sam.suspended@contoso.com", { status: "suspended" }),
      person("old.form@contoso.com", { suspended: true }),
      person("dora.deleted@contoso.com", { status: "deleted" }),
      // A deleted user's alias given to someone else since: restoring it must fail.
      person("former.owner@contoso.com", { status: "deleted", aliases: ["team@contoso.com"] }),
      person("team.inbox@contoso.com", { aliases: ["team@contoso.com"] }),
    ],
  },
};

describe("sandbox departed Google users (suspended and deleted, seeded or changed at run time)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;

  before(async () => {
    sandbox = await startTestSandbox({ seed: departedSeed });
  });
  after(() => sandbox.stop());

  it("leaves the demo seed's users all active and none deleted", async () => {
    const plain = await startTestSandbox();
    try {
      const users = (await directory(plain, ADMIN).users.list({ customer: "my_customer", maxResults: 500 })).data.users ?? [];
      assert.equal(users.length, 50);
      assert.ok(users.every((user) => user.suspended === false && user.suspensionReason === undefined));
      assert.equal((await directory(plain, ADMIN).users.list({ customer: "my_customer", showDeleted: "true" })).data.users, undefined);
      assert.deepEqual((await control(plain, "GET", "state")).google.deletedUsers, []);
    } finally {
      await plain.stop();
    }
  });

  it("shows a suspended user in the Directory as suspended by an admin, in both seed forms", async () => {
    for (const userKey of ["sam.suspended@contoso.com", "old.form@contoso.com"]) {
      const user = (await directory(sandbox, ADMIN).users.get({ userKey })).data;
      assert.equal(user.suspended, true, userKey);
      assert.equal(user.suspensionReason, "ADMIN", userKey);
    }
  });

  it("answers a suspended user's Gmail settings calls with 400 failedPrecondition, though the token is issued", async () => {
    const error = await failure(gmail(sandbox, "sam.suspended@contoso.com").users.settings.getAutoForwarding({ userId: "me" }));
    assert.equal(error.response.status, 400);
    assert.equal(error.response.data.error.errors[0].reason, "failedPrecondition");
    assert.equal(error.response.data.error.message, "Mail service not enabled");
  });

  it("does not find a deleted user in the Directory: 404 notFound in Google's envelope", async () => {
    const error = await failure(directory(sandbox, ADMIN).users.get({ userKey: "dora.deleted@contoso.com" }));
    assert.equal(error.response.status, 404);
    assert.deepEqual(error.response.data.error.errors[0], { message: "Resource Not Found: userKey", domain: "global", reason: "notFound" });
    const listed = (await directory(sandbox, ADMIN).users.list({ customer: "my_customer", maxResults: 500 })).data.users ?? [];
    assert.ok(!listed.some((user) => user.primaryEmail === "dora.deleted@contoso.com"));
  });

  it("lists deleted users, with their deletion time, only under showDeleted=true", async () => {
    const deleted = (await directory(sandbox, ADMIN).users.list({ customer: "my_customer", showDeleted: "true" })).data.users ?? [];
    assert.deepEqual(deleted.map((user) => user.primaryEmail).sort(), ["dora.deleted@contoso.com", "former.owner@contoso.com"].sort());
    assert.ok(deleted.every((user) => !Number.isNaN(Date.parse(String((user as { deletionTime?: string }).deletionTime)))));
  });

  it("refuses a delegated token for a deleted user (400 invalid_grant, account deleted) and for an unknown one (Invalid email or User ID)", async () => {
    const deleted = await failure(gmail(sandbox, "dora.deleted@contoso.com").users.settings.getAutoForwarding({ userId: "me" }));
    assert.equal(deleted.response.status, 400);
    assert.deepEqual(deleted.response.data, { error: "invalid_grant", error_description: "The account has been deleted" });
    const unknown = await failure(gmail(sandbox, "nobody@contoso.com").users.settings.getAutoForwarding({ userId: "me" }));
    assert.deepEqual(unknown.response.data, { error: "invalid_grant", error_description: "Invalid email or User ID" });
  });

  it("treats a deleted user as no user in the mail simulation (5.1.1), and a suspended one as disabled (5.2.1)", async () => {
    const deleted = await control(sandbox, "POST", "mail", { from: "internet", to: "dora.deleted@contoso.com" });
    assert.deepEqual([deleted.disposition.kind, deleted.disposition.code], ["ndr", "550 5.1.1"]);
    const suspended = await control(sandbox, "POST", "mail", { from: "internet", to: "sam.suspended@contoso.com" });
    assert.deepEqual([suspended.disposition.kind, suspended.disposition.code], ["ndr", "550 5.2.1"]);
  });

  it("suspends, deletes and restores a user at run time through PUT /sandbox/google/users/{email}", async () => {
    const ben = "ben.adams@contoso.com";
    const benGmail = gmail(sandbox, ben);
    await benGmail.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "ben.adams@o365.contoso.com" } });
    await benGmail.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" } });

    assert.deepEqual(await control(sandbox, "PUT", `google/users/${ben}`, { status: "suspended" }), { primaryEmail: ben, status: "suspended" });
    assert.equal((await directory(sandbox, ADMIN).users.get({ userKey: ben })).data.suspended, true);
    assert.equal((await failure(benGmail.users.settings.getAutoForwarding({ userId: "me" }))).response.status, 400);

    await control(sandbox, "PUT", `google/users/${ben}`, { status: "deleted" });
    assert.equal((await failure(directory(sandbox, ADMIN).users.get({ userKey: ben }))).response.status, 404);
    // A token issued before the deletion no longer works (401); a new one is refused and says why.
    const cached = await failure(benGmail.users.settings.getAutoForwarding({ userId: "me" }));
    assert.equal(cached.response.status, 401);
    assert.equal(cached.response.data.error.errors[0].reason, "authError");
    assert.equal((await failure(gmail(sandbox, ben).users.settings.getAutoForwarding({ userId: "me" }))).response.data.error_description, "The account has been deleted");
    const mail = await control(sandbox, "POST", "mail", { from: "internet", to: ben });
    assert.equal(mail.disposition.code, "550 5.1.1");

    await control(sandbox, "PUT", `google/users/${ben}`, { status: "active" });
    const restored = (await directory(sandbox, ADMIN).users.get({ userKey: ben })).data;
    assert.equal(restored.suspended, false);
    assert.deepEqual((await gmail(sandbox, ben).users.settings.getAutoForwarding({ userId: "me" })).data, { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" });
  });

  it("refuses to restore a deleted user while another user holds its address (409), an unknown user (404) and an unknown status (400)", async () => {
    assert.match(String(await failure(control(sandbox, "PUT", "google/users/former.owner@contoso.com", { status: "active" }))), /409.*another Google user now holds team@contoso.com/);
    assert.match(String(await failure(control(sandbox, "PUT", "google/users/nobody@contoso.com", { status: "suspended" }))), /404/);
    assert.match(String(await failure(control(sandbox, "PUT", "google/users/chloe.adams@contoso.com", { status: "archived" }))), /400/);
  });
});
