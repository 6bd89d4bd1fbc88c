import assert from "node:assert/strict";
import { google } from "googleapis";
import { forwardingVerification } from "pulumi-mail-coexistence-sandbox/google";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import type { GoogleDomainRecord } from "pulumi-mail-coexistence-sandbox/records";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { control, directory, failure, gmail, startTestSandbox } from "./harness";

describe("sandbox Gmail and Directory APIs (through googleapis + a domain-wide-delegation JWT)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;

  before(async () => {
    sandbox = await startTestSandbox();
  });
  after(() => sandbox.stop());

  it("accepts a subdomain target at once and enables forwarding to it with disposition trash", async () => {
    const api = gmail(sandbox, "ben.adams@contoso.com");
    const created = await api.users.settings.forwardingAddresses.create({ userId: "ben.adams@contoso.com", requestBody: { forwardingEmail: "ben.adams@o365.contoso.com" } });
    assert.deepEqual(created.data, { forwardingEmail: "ben.adams@o365.contoso.com", verificationStatus: "accepted" });
    const updated = await api.users.settings.updateAutoForwarding({
      userId: "me",
      requestBody: { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" },
    });
    assert.deepEqual(updated.data, { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" });
    const listed = await api.users.settings.forwardingAddresses.list({ userId: "me" });
    assert.equal(listed.data.forwardingAddresses?.length, 1);
    const read = await api.users.settings.getAutoForwarding({ userId: "ben.adams@contoso.com" });
    assert.equal(read.data.enabled, true);
  });

  it("leaves an unrelated target pending and refuses to forward to it with failedPrecondition", async () => {
    const api = gmail(sandbox, "chloe.adams@contoso.com");
    const created = await api.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "chloe@contoso.onmicrosoft.com" } });
    assert.equal(created.data.verificationStatus, "pending");
    const error = await failure(
      api.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "chloe@contoso.onmicrosoft.com", disposition: "trash" } }),
    );
    assert.equal(error.response.status, 400);
    assert.equal(error.response.data.error.errors[0].reason, "failedPrecondition");
    assert.equal(error.response.data.error.status, "INVALID_ARGUMENT");
  });

  it("accepts a target in a domain alias of the Workspace", async () => {
    const created = await gmail(sandbox, "dev.adams@contoso.com").users.settings.forwardingAddresses.create({
      userId: "me",
      requestBody: { forwardingEmail: "dev.adams@gsuite.contoso.com" },
    });
    assert.equal(created.data.verificationStatus, "accepted");
  });

  it("denies a delegated token access to another user's mailbox", async () => {
    const error = await failure(gmail(sandbox, "ben.adams@contoso.com").users.settings.getAutoForwarding({ userId: "chloe.adams@contoso.com" }));
    assert.equal(error.response.status, 403);
    assert.match(error.response.data.error.message, /Delegation denied/);
  });

  it("needs gmail.settings.sharing for writes", async () => {
    const readOnly = gmail(sandbox, "emma.adams@contoso.com", ["https://www.googleapis.com/auth/gmail.settings.basic"]);
    assert.equal((await readOnly.users.settings.getAutoForwarding({ userId: "me" })).data.enabled, false);
    const error = await failure(readOnly.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "emma.adams@o365.contoso.com" } }));
    assert.equal(error.response.status, 403);
    assert.equal(error.response.data.error.errors[0].reason, "insufficientPermissions");
  });

  it("refuses a token request for scopes the service account was not granted (domain-wide delegation)", async () => {
    const error = await failure(gmail(sandbox, "ben.adams@contoso.com", ["https://mail.google.com/"]).users.settings.getAutoForwarding({ userId: "me" }));
    assert.match(String(error.message), /unauthorized_client/);
  });

  it("answers a call without credentials with 401 authError", async () => {
    const anonymous = google.gmail({ version: "v1", rootUrl: sandbox.env.COEXIST_GOOGLE_URL });
    const error = await failure(anonymous.users.settings.getAutoForwarding({ userId: "ben.adams@contoso.com" }));
    assert.equal(error.response.status, 401);
    assert.equal(error.response.data.error.errors[0].reason, "authError");
  });

  it("blocks enabling forwarding when the admin policy disallows automatic forwarding", async () => {
    assert.equal((await control(sandbox, "GET", "state")).google.policy.autoForwardingAllowed, true);
    const demo = readSeedFile(DEMO_SEED_PATH);
    const blocked = await startTestSandbox({ seed: { ...demo, google: { ...demo.google, policy: { autoForwardingAllowed: false } } } });
    try {
      const api = gmail(blocked, "ben.adams@contoso.com");
      await api.users.settings.forwardingAddresses.create({ userId: "me", requestBody: { forwardingEmail: "ben.adams@o365.contoso.com" } });
      const error = await failure(api.users.settings.updateAutoForwarding({ userId: "me", requestBody: { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" } }));
      assert.equal(error.response.status, 400);
      assert.match(error.response.data.error.message, /disabled by the administrator/);
    } finally {
      await blocked.stop();
    }
  });

  it("gets a Directory user for an admin subject (also by its id), and refuses a non-admin subject", async () => {
    const user = await directory(sandbox, "ada.adams@contoso.com").users.get({ userKey: "ben.adams@contoso.com" });
    assert.equal(user.data.primaryEmail, "ben.adams@contoso.com");
    assert.equal(user.data.suspended, false);
    const byId = await directory(sandbox, "ada.adams@contoso.com").users.get({ userKey: user.data.id ?? "" });
    assert.equal(byId.data.primaryEmail, "ben.adams@contoso.com");
    const missing = await failure(directory(sandbox, "ada.adams@contoso.com").users.get({ userKey: "nobody@contoso.com" }));
    assert.equal(missing.response.status, 404);
    const denied = await failure(directory(sandbox, "ben.adams@contoso.com").users.get({ userKey: "ada.adams@contoso.com" }));
    assert.equal(denied.response.status, 403);
  });

  it("lists every Directory user of my_customer page by page, following nextPageToken", async () => {
    const admin = directory(sandbox, "ada.adams@contoso.com");
    const emails: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await admin.users.list({ customer: "my_customer", maxResults: 20, pageToken });
      assert.ok((page.data.users ?? []).length <= 20);
      emails.push(...(page.data.users ?? []).map((user) => user.primaryEmail ?? ""));
      pageToken = page.data.nextPageToken ?? undefined;
      pages++;
    } while (pageToken && pages < 10);
    assert.equal(pages, 3);
    assert.equal(emails.length, 50);
    assert.equal(new Set(emails).size, 50);
    assert.deepEqual(emails, [...emails].sort());
    const inDomain = await admin.users.list({ domain: "contoso.com", maxResults: 500 });
    assert.equal(inDomain.data.users?.length, 50);
    assert.equal(inDomain.data.nextPageToken, undefined);
    assert.deepEqual((await admin.users.list({ domain: "gsuite.contoso.com" })).data.users, undefined);
  });

  it("refuses users.list without customer or domain, beyond 500 per page, for another customer, and for a non-admin subject", async () => {
    const admin = directory(sandbox, "ada.adams@contoso.com");
    assert.equal((await failure(admin.users.list({}))).response.status, 400);
    assert.equal((await failure(admin.users.list({ customer: "my_customer", maxResults: 501 }))).response.status, 400);
    assert.equal((await failure(admin.users.list({ customer: "C0someoneelse" }))).response.status, 403);
    assert.equal((await failure(admin.users.list({ customer: "my_customer", pageToken: "not-a-token" }))).response.status, 400);
    assert.equal((await failure(directory(sandbox, "ben.adams@contoso.com").users.list({ customer: "my_customer" }))).response.status, 403);
  });
});

describe("sandbox Gmail forwarding verification rule", () => {
  const domains: GoogleDomainRecord[] = [
    { domainName: "contoso.com", isPrimary: true },
    { domainName: "gsuite.contoso.com", isPrimary: false, aliasOf: "contoso.com" },
    { domainName: "fabrikam.com", isPrimary: false },
  ];
  const cases: [string, string, "accepted" | "pending"][] = [
    ["alice@contoso.com", "alice2@contoso.com", "accepted"],
    ["alice@contoso.com", "alice@o365.contoso.com", "accepted"],
    ["alice@contoso.com", "alice@gsuite.contoso.com", "accepted"],
    ["alice@contoso.com", "alice@contoso.onmicrosoft.com", "pending"],
    ["alice@contoso.com", "alice@notcontoso.com", "pending"],
    ["alice@contoso.com", "alice@fabrikam.com", "pending"],
  ];
  for (const [mailbox, target, expected] of cases) {
    it(`${mailbox} → ${target}: ${expected}`, () => assert.equal(forwardingVerification(mailbox, target, domains), expected));
  }
});
