import * as assert from "assert";
import { generateKeyPairSync } from "crypto";
import {
  GoogleApiError,
  createForwardingAddress,
  deleteForwardingAddress,
  getAutoForwarding,
  getDirectoryUser,
  getForwardingAddress,
  googleErrorBody,
  listDirectoryDomains,
  listDirectoryGroups,
  listDirectoryUsers,
  listForwardingAddresses,
  listGroupMembers,
  parseServiceAccount,
  toGoogleApiError,
  updateAutoForwarding,
} from "../../../provider/clients/google";
import { isRetryable } from "../../../provider/clients/retry";
import { ConfigError } from "../../../provider/config";
import { fixturePerTest, useFastRetries, type RecordedRequest, type Reply } from "./fixture";

const ALICE = "alice@contoso.com";
const FORWARD_TO = "alice@o365.contoso.com";

function googleError(status: number, reason: string, message: string): Reply {
  return { status, body: { error: { code: status, message, errors: [{ message, domain: "global", reason }], status: "X" } } };
}

describe("Google client", () => {
  describe("error normalization", () => {
    const bodies = [
      {
        name: "Gmail failedPrecondition",
        data: { error: { code: 400, message: "Invalid forwarding address", errors: [{ reason: "failedPrecondition", domain: "global" }], status: "FAILED_PRECONDITION" } },
        expected: { reasons: ["failedPrecondition"], text: "Invalid forwarding address" },
      },
      {
        name: "usage limit",
        data: { error: { code: 403, message: "User-rate limit exceeded", errors: [{ reason: "userRateLimitExceeded", domain: "usageLimits" }] } },
        expected: { reasons: ["userRateLimitExceeded"], text: "User-rate limit exceeded" },
      },
      {
        name: "status only",
        data: { error: { code: 429, message: "Too many requests", status: "RESOURCE_EXHAUSTED" } },
        expected: { reasons: ["RESOURCE_EXHAUSTED"], text: "Too many requests" },
      },
      {
        name: "token endpoint (OAuth) error",
        data: { error: "unauthorized_client", error_description: "Client is unauthorized to retrieve access tokens using this method." },
        expected: { reasons: ["unauthorized_client"], text: "Client is unauthorized to retrieve access tokens using this method." },
      },
      { name: "JSON as a string", data: '{"error":{"message":"Not Found","errors":[{"reason":"notFound"}]}}', expected: { reasons: ["notFound"], text: "Not Found" } },
      { name: "HTML", data: "<html>bad gateway</html>", expected: { reasons: [], text: "<html>bad gateway</html>" } },
    ];
    for (const { name, data, expected } of bodies) {
      it(`reads a ${name} body`, () => assert.deepStrictEqual(googleErrorBody(data), expected));
    }

    it("builds a GoogleApiError with status, reason and message from a Gaxios-shaped error", () => {
      const error = toGoogleApiError(
        { message: "Request failed", response: { status: 403, headers: {}, data: { error: { message: "Rate Limit Exceeded", errors: [{ reason: "rateLimitExceeded" }] } } } },
        "forwardingAddresses.create",
      );
      assert.strictEqual(error.status, 403);
      assert.strictEqual(error.reason, "rateLimitExceeded");
      assert.strictEqual(error.message, "Google forwardingAddresses.create failed (HTTP 403, rateLimitExceeded): Rate Limit Exceeded");
      assert.ok(isRetryable(error));
    });

    const notFoundCases = [
      { name: "404 in Google's envelope", status: 404, data: { error: { code: 404, message: "Requested entity was not found.", errors: [{ reason: "notFound" }], status: "NOT_FOUND" } }, notFound: true },
      { name: "404 in Google's envelope, as a string", status: 404, data: '{"error":{"code":404,"message":"Resource Not Found: userKey","errors":[{"reason":"notFound"}]}}', notFound: true },
      { name: "404 HTML page", status: 404, data: "<html>Not Found</html>", notFound: false },
      { name: "404 with another API's error", status: 404, data: { error: { code: "NotFound", message: "No route" } }, notFound: false },
      { name: "404 with an empty body", status: 404, data: "", notFound: false },
      { name: "400 failedPrecondition (suspended)", status: 400, data: { error: { code: 400, message: "Mail service not enabled", errors: [{ reason: "failedPrecondition" }] } }, notFound: false },
      { name: "token endpoint invalid_grant (deleted user)", status: 400, data: { error: "invalid_grant", error_description: "Invalid email or User ID" }, notFound: false },
    ];
    for (const { name, status, data, notFound } of notFoundCases) {
      it(`takes ${name} for ${notFound ? "not found" : "a failure"}`, () => {
        assert.strictEqual(toGoogleApiError({ message: "x", response: { status, headers: {}, data } }, "users.get x").notFound, notFound);
      });
    }

    it("keeps the network code of a transport failure", () => {
      const error = toGoogleApiError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "users.get");
      assert.strictEqual(error.status, undefined);
      assert.strictEqual(error.networkCode, "ECONNRESET");
      assert.ok(isRetryable(error));
    });

    const badCredentials = [
      { json: "not json", message: /coexist:googleCredentials is not JSON/ },
      { json: "{}", message: /coexist:googleCredentials has no "client_email"/ },
      { json: '{"client_email":"sa@x"}', message: /coexist:googleCredentials has no "private_key"/ },
    ];
    for (const { json, message } of badCredentials) {
      it(`explains bad service-account JSON ${json}`, () => assert.throws(() => parseServiceAccount(json), message));
    }
  });

  describe("over HTTP with a static token (local fixture)", () => {
    const server = fixturePerTest((url) => ({ googleUrl: `${url}/`, accessToken: "google-test-token", googleAdmin: "admin@contoso.com" }));

    it("creates a forwarding address with the bearer token on the Gmail path", async () => {
      server().handler = () => ({ body: { forwardingEmail: FORWARD_TO, verificationStatus: "accepted" } });
      assert.deepStrictEqual(await createForwardingAddress(ALICE, FORWARD_TO), { forwardingEmail: FORWARD_TO, verificationStatus: "accepted" });
      const [request] = server().requests;
      assert.strictEqual(request.method, "POST");
      assert.strictEqual(decodeURIComponent(request.path), `/gmail/v1/users/${ALICE}/settings/forwardingAddresses`);
      assert.strictEqual(request.headers.authorization, "Bearer google-test-token");
      assert.deepStrictEqual(JSON.parse(request.body), { forwardingEmail: FORWARD_TO });
    });

    it("gets, lists and deletes forwarding addresses; missing ones are undefined / already gone", async () => {
      server().handler = (request) => {
        if (request.path.endsWith("/forwardingAddresses")) return { body: { forwardingAddresses: [{ forwardingEmail: FORWARD_TO, verificationStatus: "pending" }] } };
        return googleError(404, "notFound", "Not Found");
      };
      assert.deepStrictEqual(await listForwardingAddresses(ALICE), [{ forwardingEmail: FORWARD_TO, verificationStatus: "pending" }]);
      assert.strictEqual(await getForwardingAddress(ALICE, FORWARD_TO), undefined);
      assert.strictEqual(await deleteForwardingAddress(ALICE, FORWARD_TO), false);
      assert.strictEqual(server().requests[2].method, "DELETE");
    });

    it("reads and writes auto-forwarding", async () => {
      server().handler = (request) => (request.method === "PUT" ? { body: JSON.parse(request.body) } : { body: { enabled: false } });
      assert.deepStrictEqual(await getAutoForwarding(ALICE), { enabled: false });
      const settings = { enabled: true, emailAddress: FORWARD_TO, disposition: "trash" };
      assert.deepStrictEqual(await updateAutoForwarding(ALICE, settings), settings);
      assert.strictEqual(decodeURIComponent(server().requests[1].path), `/gmail/v1/users/${ALICE}/settings/autoForwarding`);
    });

    it("takes a 404 without Google's error body for a wrong URL, not for \"gone\"", async () => {
      server().handler = () => ({ status: 404, headers: { "Content-Type": "text/html; charset=UTF-8" }, body: "<html><title>Error 404 (Not Found)!!1</title></html>" });
      await assert.rejects(getForwardingAddress(ALICE, FORWARD_TO), (error: unknown) => {
        assert.ok(error instanceof GoogleApiError && !error.notFound, String(error));
        assert.match(
          error.message,
          /^Google forwardingAddresses\.get alice@o365\.contoso\.com for alice@contoso\.com failed \(HTTP 404\): HTTP 404 text\/html "<html><title>Error 404 \(Not Found\)!!1<\/title><\/html>" without Google's error body, so nothing is taken as gone\. Is coexist:googleUrl http:\/\/127\.0\.0\.1:\d+\/ \(from stack config\) right\?$/,
        );
        return true;
      });
      await assert.rejects(deleteForwardingAddress(ALICE, FORWARD_TO), GoogleApiError);
      await assert.rejects(getDirectoryUser("nobody@contoso.com"), GoogleApiError);
    });

    for (const { name, reply } of [
      { name: "a 503", reply: googleError(503, "backendError", "Backend Error") },
      { name: "a dropped connection", reply: { drop: true } as Reply },
    ]) {
      it(`sends forwardingAddresses.create once after ${name}: outcome unknown`, async () => {
        server().handler = () => reply;
        await assert.rejects(createForwardingAddress(ALICE, FORWARD_TO), (error: unknown) => error instanceof GoogleApiError && error.outcomeUnknown && /outcome unknown/.test(error.message));
        assert.strictEqual(server().requests.length, 1);
      });

      it(`repeats updateAutoForwarding (a PUT) after ${name}`, async () => {
        let calls = 0;
        server().handler = (request) => (++calls === 1 ? reply : { body: JSON.parse(request.body) });
        await updateAutoForwarding(ALICE, { enabled: false, emailAddress: FORWARD_TO, disposition: "trash" });
        assert.strictEqual(server().requests.length, 2);
      });
    }

    it("normalizes failedPrecondition without retrying it", async () => {
      server().handler = () => googleError(400, "failedPrecondition", "Invalid forwarding address");
      await assert.rejects(
        updateAutoForwarding(ALICE, { enabled: true, emailAddress: "x@elsewhere.example", disposition: "trash" }),
        (error: unknown) => error instanceof GoogleApiError && error.status === 400 && error.reason === "failedPrecondition" && /Invalid forwarding address/.test(error.message),
      );
      assert.strictEqual(server().requests.length, 1);
    });

    it("retries a 403 rate limit on a POST, which googleapis alone would not", async () => {
      let calls = 0;
      server().handler = () => (++calls === 1 ? googleError(403, "userRateLimitExceeded", "User-rate limit exceeded") : { body: { forwardingEmail: FORWARD_TO, verificationStatus: "accepted" } });
      await createForwardingAddress(ALICE, FORWARD_TO);
      assert.strictEqual(server().requests.length, 2);
    });

    it("retries by our policy only: a persistent 500 is tried maxServerErrorAttempts times", async () => {
      useFastRetries({ maxServerErrorAttempts: 2 });
      server().handler = () => googleError(500, "backendError", "Backend Error");
      await assert.rejects(getAutoForwarding(ALICE), (error: unknown) => error instanceof GoogleApiError && error.status === 500);
      assert.strictEqual(server().requests.length, 2);
    });

    it("does not retry a 403 that is not a rate limit", async () => {
      server().handler = () => googleError(403, "forbidden", "Access restricted to service accounts that have been delegated domain-wide authority");
      await assert.rejects(createForwardingAddress(ALICE, FORWARD_TO), /domain-wide authority/);
      assert.strictEqual(server().requests.length, 1);
    });

    it("reads a Directory user; a missing one is undefined", async () => {
      server().handler = (request) => (request.path.includes("alice") ? { body: { primaryEmail: ALICE, aliases: ["a@contoso.com"] } } : googleError(404, "notFound", "Resource Not Found: userKey"));
      assert.strictEqual((await getDirectoryUser(ALICE))?.primaryEmail, ALICE);
      assert.strictEqual(decodeURIComponent(server().requests[0].path), `/admin/directory/v1/users/${ALICE}`);
      assert.strictEqual(await getDirectoryUser("nobody@contoso.com"), undefined);
    });

    it("lists every Directory user of my_customer, 500 a page, following nextPageToken", async () => {
      server().handler = (request) =>
        new URL(request.path, server().url).searchParams.get("pageToken") === "page-2"
          ? { body: { users: [{ primaryEmail: "bob@contoso.com" }] } }
          : { body: { users: [{ primaryEmail: ALICE }], nextPageToken: "page-2" } };
      assert.deepStrictEqual(
        (await listDirectoryUsers()).map((user) => user.primaryEmail),
        [ALICE, "bob@contoso.com"],
      );
      const [first, second] = server().requests.map((request) => new URL(request.path, server().url));
      assert.strictEqual(first.pathname, "/admin/directory/v1/users");
      assert.deepStrictEqual([first.searchParams.get("customer"), first.searchParams.get("maxResults"), first.searchParams.get("pageToken")], ["my_customer", "500", null]);
      assert.strictEqual(second.searchParams.get("pageToken"), "page-2");
    });
    it("lists every group of my_customer, 200 a page, and the members of one, following nextPageToken", async () => {
      server().handler = (request) => {
        const url = new URL(request.path, server().url);
        if (url.pathname === "/admin/directory/v1/groups") {
          return url.searchParams.get("pageToken") === "page-2"
            ? { body: { groups: [{ email: "support@contoso.com", aliases: ["help@contoso.com"], nonEditableAliases: ["support@gsuite.contoso.com"] }] } }
            : { body: { groups: [{ email: "launch@contoso.com" }], nextPageToken: "page-2" } };
        }
        return url.searchParams.get("pageToken") === "m-2"
          ? { body: { members: [{ email: "bob@contoso.com", type: "USER", role: "MEMBER" }] } }
          : { body: { members: [{ email: ALICE, type: "USER", role: "OWNER" }], nextPageToken: "m-2" } };
      };
      assert.deepStrictEqual(
        (await listDirectoryGroups()).map((group) => [group.email, group.aliases ?? [], group.nonEditableAliases ?? []]),
        [
          ["launch@contoso.com", [], []],
          ["support@contoso.com", ["help@contoso.com"], ["support@gsuite.contoso.com"]],
        ],
      );
      assert.deepStrictEqual((await listGroupMembers("launch@contoso.com")).map((member) => member.email), [ALICE, "bob@contoso.com"]);
      const [groups, , members, secondMembers] = server().requests.map((request) => new URL(request.path, server().url));
      assert.deepStrictEqual([groups.pathname, groups.searchParams.get("customer"), groups.searchParams.get("maxResults")], ["/admin/directory/v1/groups", "my_customer", "200"]);
      assert.deepStrictEqual([decodeURIComponent(members.pathname), members.searchParams.get("maxResults")], ["/admin/directory/v1/groups/launch@contoso.com/members", "200"]);
      assert.strictEqual(secondMembers.searchParams.get("pageToken"), "m-2");
    });

    it("lists the customer's domains with their domain aliases", async () => {
      server().handler = () => ({ body: { domains: [{ domainName: "contoso.com", isPrimary: true, domainAliases: [{ domainAliasName: "gsuite.contoso.com", parentDomainName: "contoso.com" }] }] } });
      const [domain] = await listDirectoryDomains();
      assert.deepStrictEqual([domain.domainName, domain.domainAliases?.map((alias) => alias.domainAliasName)], ["contoso.com", ["gsuite.contoso.com"]]);
      assert.strictEqual(server().requests[0].path, "/admin/directory/v1/customer/my_customer/domains");
    });
  });

  describe("with a service account (domain-wide delegation)", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const server = fixturePerTest((url) => ({
      googleUrl: `${url}/`,
      googleCredentials: JSON.stringify({ client_email: "dwd@proj.iam.gserviceaccount.com", private_key: privateKey, token_uri: `${url}/token` }),
    }));

    it("exchanges a JWT for the mailbox owner at the key file's token_uri and uses the token", async () => {
      server().handler = (request) =>
        request.path === "/token" ? { body: { access_token: "minted-for-subject", expires_in: 3600, token_type: "Bearer" } } : { body: { forwardingAddresses: [] } };
      await listForwardingAddresses(ALICE);
      const [tokenRequest, apiRequest] = server().requests;
      assert.strictEqual(tokenRequest.path, "/token");
      const form = new URLSearchParams(tokenRequest.body);
      assert.strictEqual(form.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
      const claims = JSON.parse(Buffer.from(form.get("assertion")!.split(".")[1], "base64url").toString("utf8"));
      assert.strictEqual(claims.iss, "dwd@proj.iam.gserviceaccount.com");
      assert.strictEqual(claims.sub, ALICE);
      assert.strictEqual(claims.aud, `${server().url}/token`);
      assert.deepStrictEqual(claims.scope.split(" ").sort(), [
        "https://www.googleapis.com/auth/gmail.settings.basic",
        "https://www.googleapis.com/auth/gmail.settings.sharing",
      ]);
      assert.strictEqual(apiRequest.headers.authorization, "Bearer minted-for-subject");
    });

    it("asks the token endpoint once per mailbox owner and scopes while the token lasts, however many calls a batch makes as that owner", async () => {
      server().handler = (request) => (request.path === "/token" ? { body: { access_token: "t", expires_in: 3600 } } : { body: { forwardingAddresses: [] } });
      await Promise.all([ALICE, ALICE, "bob@contoso.com", ALICE, "bob@contoso.com"].map((owner) => listForwardingAddresses(owner)));
      await listForwardingAddresses(ALICE);
      const subjects = server()
        .requests.filter((request) => request.path === "/token")
        .map((request) => (JSON.parse(Buffer.from(new URLSearchParams(request.body).get("assertion")!.split(".")[1], "base64url").toString("utf8")) as { sub: string }).sub);
      assert.deepStrictEqual(subjects.sort(), [ALICE, "bob@contoso.com"].sort());
      assert.strictEqual(server().requests.filter((request) => request.path !== "/token").length, 6);
    });

    it("asks for each Directory read's own scope, as coexist:googleAdmin: users, groups and members, domains", async () => {
      const saved = process.env.COEXIST_GOOGLE_ADMIN;
      process.env.COEXIST_GOOGLE_ADMIN = "admin@contoso.com";
      try {
        server().handler = (request) => (request.path === "/token" ? { body: { access_token: "t", expires_in: 3600 } } : { body: {} });
        await listDirectoryUsers();
        await listDirectoryGroups();
        await listGroupMembers("launch@contoso.com");
        await listDirectoryDomains();
      } finally {
        if (saved === undefined) delete process.env.COEXIST_GOOGLE_ADMIN;
        else process.env.COEXIST_GOOGLE_ADMIN = saved;
      }
      const scopes = server()
        .requests.filter((request) => request.path === "/token")
        .map((request) => JSON.parse(Buffer.from(new URLSearchParams(request.body).get("assertion")!.split(".")[1], "base64url").toString("utf8")) as { sub: string; scope: string })
        .map((claims) => `${claims.sub} ${claims.scope.replace("https://www.googleapis.com/auth/", "")}`);
      assert.deepStrictEqual(scopes, ["admin@contoso.com admin.directory.user.readonly", "admin@contoso.com admin.directory.group.readonly", "admin@contoso.com admin.directory.domain.readonly"]);
    });

    it("keeps no verdict from a missing setting: a Directory call without googleAdmin fails, Gmail calls still work", async () => {
      const saved = process.env.COEXIST_GOOGLE_ADMIN;
      delete process.env.COEXIST_GOOGLE_ADMIN;
      try {
        server().handler = (request) => (request.path === "/token" ? { body: { access_token: "t", expires_in: 3600 } } : { body: { forwardingAddresses: [] } });
        await assert.rejects(getDirectoryUser(ALICE), (error: unknown) => error instanceof ConfigError && error.key === "googleAdmin");
        assert.deepStrictEqual(await listForwardingAddresses(ALICE), []);
      } finally {
        if (saved !== undefined) process.env.COEXIST_GOOGLE_ADMIN = saved;
      }
    });

    it("never shows the private key in an error", async () => {
      server().handler = (request) => ({ status: 400, body: { error: { message: `echo ${JSON.stringify(request.body)} ${privateKey}` } } });
      await assert.rejects(listForwardingAddresses("bob@contoso.com"), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.ok(!error.message.includes("PRIVATE KEY-----\nMII"), error.message);
        return true;
      });
    });
  });
  describe("base URL check (local fixture)", () => {
    const server = fixturePerTest((url) => ({ googleUrl: `${url}/`, accessToken: "google-test-token", googleAdmin: "admin@contoso.com" }));
    const isCheck = (request: RecordedRequest) => /[?&]fields=/.test(request.path);
    beforeEach(() => {
      server().answerChecks = false;
    });

    it("reads the first Gmail user's auto-forwarding (fields=enabled) once, before the first call", async () => {
      server().handler = (request) => (isCheck(request) ? { body: { enabled: false } } : { body: { forwardingAddresses: [] } });
      await Promise.all([listForwardingAddresses(ALICE), listForwardingAddresses("bob@contoso.com")]);
      await getDirectoryUser(ALICE).catch(() => undefined);
      const checks = server().requests.filter(isCheck).map((request) => decodeURIComponent(request.path));
      assert.deepStrictEqual(checks, [`/gmail/v1/users/${ALICE}/settings/autoForwarding?fields=enabled`]);
    });

    it("reads one Directory user when the Directory is called first", async () => {
      server().handler = (request) => (isCheck(request) ? { body: { users: [{ primaryEmail: ALICE }] } } : { body: { primaryEmail: ALICE } });
      await getDirectoryUser(ALICE);
      const [check] = server().requests.map((request) => new URL(request.path, server().url));
      assert.strictEqual(check.pathname, "/admin/directory/v1/users");
      assert.deepStrictEqual([check.searchParams.get("customer"), check.searchParams.get("maxResults"), check.searchParams.get("fields")], ["my_customer", "1", "users(primaryEmail)"]);
    });

    const wrong = [
      { name: "an HTML page", reply: { headers: { "Content-Type": "text/html" }, body: "<html>Welcome to nginx!</html>" } as Reply, shown: /answered HTTP 200 text\/html "<html>Welcome to nginx!<\/html>"/ },
      { name: "an HTML 404", reply: { status: 404, headers: { "Content-Type": "text/html" }, body: "<html>Not Found</html>" } as Reply, shown: /answered HTTP 404 text\/html/ },
      { name: "another API's error envelope", reply: { status: 404, body: { error: { code: "NotFound", message: "No API serves this path" } } } as Reply, shown: /answered HTTP 404 application\/json/ },
    ];
    for (const { name, reply, shown } of wrong) {
      it(`fails loudly on ${name}, naming coexist:googleUrl, and makes no call`, async () => {
        server().handler = () => reply;
        await assert.rejects(deleteForwardingAddress(ALICE, FORWARD_TO), (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, /^coexist:googleUrl does not answer as the Google APIs: GET gmail\/v1\/users\/\{user\}\/settings\/autoForwarding /);
          assert.match(error.message, shown);
          return true;
        });
        assert.strictEqual(server().requests.length, 1);
      });
    }

    it("accepts Google's own error for the user (a suspended mailbox), and the call reports it", async () => {
      server().handler = () => googleError(400, "failedPrecondition", "Mail service not enabled");
      await assert.rejects(listForwardingAddresses(ALICE), (error: unknown) => error instanceof GoogleApiError && error.reason === "failedPrecondition");
      await assert.rejects(listForwardingAddresses(ALICE), GoogleApiError);
      assert.strictEqual(server().requests.filter(isCheck).length, 1);
    });
  });

  describe("base URL check when the token endpoint refuses the user (local fixture)", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const server = fixturePerTest((url) => ({
      googleUrl: `${url}/`,
      googleCredentials: JSON.stringify({ client_email: "dwd@proj.iam.gserviceaccount.com", private_key: privateKey, token_uri: `${url}/token` }),
    }));
    beforeEach(() => {
      server().answerChecks = false;
    });

    it("learns nothing from a deleted user's refused token: the call fails as it would have, and the next call checks", async () => {
      server().handler = (request) => {
        if (request.path !== "/token") return /fields=/.test(request.path) ? { body: { enabled: false } } : { body: { forwardingAddresses: [] } };
        const subject = JSON.parse(Buffer.from(new URLSearchParams(request.body).get("assertion")!.split(".")[1], "base64url").toString()).sub;
        return subject === ALICE ? { status: 400, body: { error: "invalid_grant", error_description: "Invalid email or User ID" } } : { body: { access_token: "t", expires_in: 3600 } };
      };
      await assert.rejects(listForwardingAddresses(ALICE), (error: unknown) => error instanceof GoogleApiError && error.reason === "invalid_grant" && !/checking coexist:googleUrl/.test(error.message));
      assert.deepStrictEqual(await listForwardingAddresses("bob@contoso.com"), []);
      assert.deepStrictEqual(
        server().requests.filter((request) => request.path !== "/token").map((request) => decodeURIComponent(request.path)),
        ["/gmail/v1/users/bob@contoso.com/settings/autoForwarding?fields=enabled", "/gmail/v1/users/bob@contoso.com/settings/forwardingAddresses"],
      );
    });
  });
});
