import * as assert from "assert";
import {
  APP_ONLY_ANCHOR_MAILBOX,
  ExchangeError,
  addRemove,
  invoke,
  invokeWithWarnings,
  isIdempotentCmdlet,
  mailUserPassword,
  requestBody,
  stripAnnotations,
} from "../../../provider/clients/exchange";
import { ConfigError } from "../../../provider/config";
import { Fixture, fixturePerTest, unsignedJwt, useStackConfig, type RecordedRequest, type Reply } from "./fixture";

const TENANT = "11111111-2222-3333-4444-555555555555";

describe("Exchange admin API client", () => {
  describe("request encoding", () => {
    it("wraps the cmdlet and parameters in CmdletInput", () => {
      assert.deepStrictEqual(requestBody("Get-AcceptedDomain", {}), { CmdletInput: { CmdletName: "Get-AcceptedDomain", Parameters: {} } });
    });

    it("asks for every row on list calls", () => {
      assert.deepStrictEqual(requestBody("Get-MailUser", { Filter: "x" }, { list: true }), {
        CmdletInput: { CmdletName: "Get-MailUser", Parameters: { Filter: "x", ResultSize: "Unlimited" } },
      });
    });

    it("keeps a ResultSize the caller chose, whatever its case", () => {
      const body = requestBody("Get-MailUser", { resultsize: 10 }, { list: true }) as { CmdletInput: { Parameters: object } };
      assert.deepStrictEqual(body.CmdletInput.Parameters, { resultsize: 10 });
    });

    const hashtables = [
      { change: { add: "smtp:a@o365.example.com" }, expected: { "@odata.type": "#Exchange.GenericHashTable", Add: "smtp:a@o365.example.com" } },
      { change: { remove: ["x.example"] }, expected: { "@odata.type": "#Exchange.GenericHashTable", Remove: ["x.example"] } },
      { change: { add: ["a"], remove: ["b"] }, expected: { "@odata.type": "#Exchange.GenericHashTable", Add: ["a"], Remove: ["b"] } },
      { change: {}, expected: { "@odata.type": "#Exchange.GenericHashTable" } },
    ];
    for (const { change, expected } of hashtables) {
      it(`tags add/remove hashtable ${JSON.stringify(change)}`, () => assert.deepStrictEqual(addRemove(change), expected));
    }

    it("strips annotation keys at any depth", () => {
      const raw = {
        "@odata.context": "x",
        Name: "Contoso",
        "Guid@odata.type": "#Guid",
        Guid: "g",
        "EmailAddresses@data.type": "System.String[]",
        Nested: { "a@odata.type": "#Int16", a: 1 },
        List: [{ "b@odata.type": "x", b: 2 }],
      };
      assert.deepStrictEqual(stripAnnotations(raw), { Name: "Contoso", Guid: "g", Nested: { a: 1 }, List: [{ b: 2 }] });
    });
  });

  describe("which cmdlets may be repeated after an unknown outcome", () => {
    const cmdlets = [
      { cmdlet: "New-MailUser", idempotent: false },
      { cmdlet: "new-outboundconnector", idempotent: false },
      { cmdlet: "Add-DistributionGroupMember", idempotent: false },
      { cmdlet: "Validate-OutboundConnector", idempotent: false },
      { cmdlet: "Test-Message", idempotent: false },
      { cmdlet: "Send-Message", idempotent: false },
      { cmdlet: "Get-Recipient", idempotent: true },
      { cmdlet: "Set-MailUser", idempotent: true },
      { cmdlet: "Enable-TransportRule", idempotent: true },
      { cmdlet: "Disable-TransportRule", idempotent: true },
      { cmdlet: "Remove-OutboundConnector", idempotent: true },
    ];
    for (const { cmdlet, idempotent } of cmdlets) {
      it(`${cmdlet}: ${idempotent ? "repeated" : "never repeated blindly"}`, () => assert.strictEqual(isIdempotentCmdlet(cmdlet), idempotent));
    }
  });

  describe("over HTTP (local fixture)", () => {
    const server = fixturePerTest((url) => ({ exchangeUrl: `${url}/adminapi/beta`, tenantId: TENANT, accessToken: "exchange-test-token" }));
    type Cmdlet = { CmdletInput: { CmdletName: string; Parameters: Record<string, unknown> } };
    const answer = (reply: (body: Cmdlet, path: string) => Reply) => {
      server().handler = (request) => reply(JSON.parse(request.body || "{}") as Cmdlet, request.path);
    };

    it("POSTs to /{tenant}/InvokeCommand with the app-only anchor, paging and JSON headers", async () => {
      answer(() => ({ body: { value: [{ DomainName: "contoso.com", "DomainName@odata.type": "#String", DomainType: "Authoritative" }] } }));
      const domains = await invoke("Get-AcceptedDomain");
      assert.deepStrictEqual(domains, [{ DomainName: "contoso.com", DomainType: "Authoritative" }]);
      const [request] = server().requests;
      assert.strictEqual(request.method, "POST");
      assert.strictEqual(request.path, `/adminapi/beta/${TENANT}/InvokeCommand`);
      assert.strictEqual(request.headers.authorization, "Bearer exchange-test-token");
      assert.strictEqual(request.headers["content-type"], "application/json");
      assert.strictEqual(request.headers.prefer, "odata.maxpagesize=1000");
      assert.strictEqual(request.headers["x-anchormailbox"], `APP:${APP_ONLY_ANCHOR_MAILBOX}@${TENANT}`);
      assert.deepStrictEqual(JSON.parse(request.body), { CmdletInput: { CmdletName: "Get-AcceptedDomain", Parameters: {} } });
    });

    it("adds $select when asked", async () => {
      answer(() => ({ body: { value: [] } }));
      await invoke("Get-MailUser", { Identity: "bob" }, { select: ["Name", "ExternalEmailAddress"] });
      assert.strictEqual(decodeURIComponent(server().requests[0].path), `/adminapi/beta/${TENANT}/InvokeCommand?$select=Name,ExternalEmailAddress`);
    });

    it("follows @odata.nextLink by POSTing the same body", async () => {
      answer((_body, path) =>
        path.includes("page=2")
          ? { body: { value: [{ Name: "b" }] } }
          : { body: { value: [{ Name: "a" }], "@odata.nextLink": `${server().url}/adminapi/beta/${TENANT}/InvokeCommand?page=2` } });
      const users = await invoke("Get-MailUser", {}, { list: true });
      assert.deepStrictEqual(users, [{ Name: "a" }, { Name: "b" }]);
      assert.strictEqual(server().requests.length, 2);
      assert.strictEqual(server().requests[1].body, server().requests[0].body);
      assert.strictEqual(server().requests[1].method, "POST");
    });

    it("treats a truncation warning as an error", async () => {
      answer(() => ({
        body: { value: [{ Name: "a" }], "@adminapi.warnings": ["There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter."] },
      }));
      await assert.rejects(invoke("Get-MailUser", {}, { list: true }), /returned a truncated result/);
    });

    it("returns other warnings alongside the objects", async () => {
      answer(() => ({ body: { value: [], "@adminapi.warnings": ["The command completed successfully but no settings of 'x' have been modified."] } }));
      const result = await invokeWithWarnings("Set-AcceptedDomain", { Identity: "x", DomainType: "InternalRelay" });
      assert.deepStrictEqual(result, { objects: [], warnings: ["The command completed successfully but no settings of 'x' have been modified."] });
    });

    it("retries the tenant concurrency error, POST included, then succeeds", async () => {
      let calls = 0;
      answer(() =>
        ++calls === 1
          ? { status: 400, body: { error: { message: "Error executing cmdlet", details: [{ message: "You have reached the maximum number of concurrent requests per tenant. Please wait and try again" }] } } }
          : { body: { value: [{ Name: "created" }] } });
      const created = await invoke("New-MailUser", { Name: "bob" });
      assert.deepStrictEqual(created, [{ Name: "created" }]);
      assert.strictEqual(server().requests.length, 2);
    });

    it("retries 429 honouring Retry-After", async () => {
      let calls = 0;
      answer(() => (++calls === 1 ? { status: 429, headers: { "Retry-After": "0" }, body: "" } : { body: { value: [] } }));
      await invoke("Get-OutboundConnector");
      assert.strictEqual(server().requests.length, 2);
    });

    it("throws ExchangeError with notFound for a missing object, without retrying", async () => {
      answer(() => ({
        status: 404,
        body: { error: { code: "NotFound", message: "Error executing cmdlet", details: [{ message: "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|Object 'bob' couldn't be found." }] } },
      }));
      await assert.rejects(invoke("Get-MailUser", { Identity: "bob" }), (error: unknown) => error instanceof ExchangeError && error.notFound && !error.alreadyExists);
      assert.strictEqual(server().requests.length, 1);
    });

    it("never shows a mail user's password in an error", async () => {
      answer((body) => ({ status: 400, body: { error: { message: `Cannot process ${JSON.stringify(body.CmdletInput.Parameters)}` } } }));
      const password = mailUserPassword("Tr0ub4dor&3-alice");
      await assert.rejects(invoke("New-MailUser", { Name: "alice", Password: password }), (error: unknown) => {
        assert.ok(error instanceof ExchangeError);
        assert.ok(!error.message.includes("Tr0ub4dor&3-alice"), error.message);
        assert.ok(error.message.includes("[redacted]"), error.message);
        return true;
      });
      assert.strictEqual(JSON.parse(server().requests[0].body).CmdletInput.Parameters.Password, "Tr0ub4dor&3-alice");
    });

    it("follows a regional redirect by hand with the token, and goes there directly afterwards", async () => {
      const regional = await new Fixture(() => ({ body: { value: [{ Name: "regional" }] } })).start();
      try {
        answer(() => ({ status: 302, headers: { Location: `${regional.url}/adminapi/beta/${TENANT}/InvokeCommand` } }));
        assert.deepStrictEqual(await invoke("Get-AcceptedDomain"), [{ Name: "regional" }]);
        assert.strictEqual(regional.requests[0].headers.authorization, "Bearer exchange-test-token");
        assert.strictEqual(regional.requests[0].body, server().requests[0].body);
        await invoke("Get-AcceptedDomain");
        assert.strictEqual(server().requests.length, 1);
        assert.strictEqual(regional.requests.length, 2);
      } finally {
        await regional.stop();
      }
    });

    it("refuses to carry the token to a redirect on another host", async () => {
      answer(() => ({ status: 302, headers: { Location: "http://attacker.invalid/adminapi/beta/x/InvokeCommand" } }));
      await assert.rejects(invoke("Get-AcceptedDomain"), /redirected to http:\/\/attacker\.invalid, which is not 127\.0\.0\.1 or a subdomain of it/);
    });

    it("refuses a nextLink that points to another host", async () => {
      answer(() => ({ body: { value: [{ Name: "a" }], "@odata.nextLink": "https://elsewhere.invalid/adminapi/beta/x/InvokeCommand?page=2" } }));
      await assert.rejects(invoke("Get-MailUser", {}, { list: true }), /sent a nextLink to https:\/\/elsewhere\.invalid, which is not 127\.0\.0\.1/);
    });

    const failing = [
      { name: "a 503", reply: { status: 503, body: "Service Unavailable" } as Reply },
      { name: "a 500 in the pipe format", reply: { status: 500, body: { error: { message: "Error executing cmdlet", details: [{ message: "ExE|System.InvalidOperationException|Something broke." }] } } } as Reply },
      { name: "a dropped connection", reply: { drop: true } as Reply },
    ];
    for (const { name, reply } of failing) {
      it(`sends New-MailUser once after ${name}: the error says outcomeUnknown`, async () => {
        answer(() => reply);
        await assert.rejects(invoke("New-MailUser", { Name: "bob" }), (error: unknown) => error instanceof ExchangeError && error.outcomeUnknown && /outcome unknown: the call may have been applied/.test(error.message));
        assert.strictEqual(server().requests.length, 1);
      });

      it(`repeats Set-MailUser after ${name}`, async () => {
        let calls = 0;
        answer(() => (++calls === 1 ? reply : { body: { value: [] } }));
        await invoke("Set-MailUser", { Identity: "bob", DisplayName: "Bob" });
        assert.strictEqual(server().requests.length, 2);
      });
    }

    it("sends Validate-OutboundConnector once after a 500 (it sends test mail)", async () => {
      answer(() => ({ status: 500, body: "boom" }));
      await assert.rejects(invoke("Validate-OutboundConnector", { Identity: "c", Recipients: ["a@b.example"] }), (error: unknown) => error instanceof ExchangeError && error.outcomeUnknown);
      assert.strictEqual(server().requests.length, 1);
    });

    it("repeats New-MailUser after a 429: a throttled answer proves nothing was done", async () => {
      let calls = 0;
      answer(() => (++calls === 1 ? { status: 429, headers: { "Retry-After": "0" }, body: "" } : { body: { value: [{ Name: "bob" }] } }));
      assert.deepStrictEqual(await invoke("New-MailUser", { Name: "bob" }), [{ Name: "bob" }]);
      assert.strictEqual(server().requests.length, 2);
    });

    it("explains a missing tenant", async () => {
      useStackConfig({ exchangeUrl: `${server().url}/adminapi/beta`, accessToken: "t" });
      const saved = process.env.COEXIST_TENANT_ID;
      delete process.env.COEXIST_TENANT_ID;
      try {
        await assert.rejects(invoke("Get-AcceptedDomain"), /coexist:tenantId is not set \(the Exchange admin API URL contains the tenant\)/);
      } finally {
        if (saved !== undefined) process.env.COEXIST_TENANT_ID = saved;
      }
    });
  });
  describe("base URL check (local fixture)", () => {
    const server = fixturePerTest((url) => ({ exchangeUrl: `${url}/adminapi/beta`, tenantId: TENANT, accessToken: "exchange-test-token" }));
    const isCheck = (request: RecordedRequest) => request.path.includes("%24select=DomainName") || request.path.includes("$select=DomainName");
    const accepted = (...domains: string[]): Reply => ({ body: { value: domains.map((DomainName) => ({ DomainName })) } });
    beforeEach(() => {
      server().answerChecks = false;
    });

    it("runs Get-AcceptedDomain once, before the first cmdlet, and never again in the process", async () => {
      server().handler = (request) => (isCheck(request) ? accepted("contoso.com") : { body: { value: [] } });
      await Promise.all([invoke("Get-MailUser", { Identity: "a" }), invoke("Get-MailUser", { Identity: "b" })]);
      await invoke("Get-MailUser", { Identity: "c" });
      const names = server().requests.map((request) => (isCheck(request) ? "check" : JSON.parse(request.body).CmdletInput.Parameters.Identity));
      assert.deepStrictEqual(names[0], "check");
      assert.deepStrictEqual(names.slice(1).sort(), ["a", "b", "c"]);
    });

    const wrong = [
      { name: "an HTML page", reply: { status: 200, headers: { "Content-Type": "text/html" }, body: "<!DOCTYPE html><html><title>Welcome</title></html>" } as Reply, shown: /answered HTTP 200 text\/html "<!DOCTYPE html>/ },
      { name: "an HTML 404", reply: { status: 404, headers: { "Content-Type": "text/html" }, body: "<html>Not Found</html>" } as Reply, shown: /answered HTTP 404 text\/html/ },
      {
        name: "a not-found for a list (an unknown path)",
        reply: { status: 404, body: { error: { code: "NotFound", message: "Error executing cmdlet", details: [{ message: "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|not here" }] } } } as Reply,
        shown: /answered HTTP 404 application\/json/,
      },
      { name: "405 (the v1.0 path)", reply: { status: 405, body: "" } as Reply, shown: /answered HTTP 405 with an empty body/ },
      { name: "a 401 that is not Exchange's", reply: { status: 401, headers: { "WWW-Authenticate": 'Basic realm="proxy"' }, body: "" } as Reply, shown: /answered HTTP 401/ },
    ];
    for (const { name, reply, shown } of wrong) {
      it(`fails loudly on ${name}, naming coexist:exchangeUrl, and sends no cmdlet`, async () => {
        server().handler = () => reply;
        await assert.rejects(invoke("Remove-MailUser", { Identity: "bob" }), (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, /^coexist:exchangeUrl does not answer as the Exchange admin API: POST \{exchangeUrl\}\/\{tenantId\}\/InvokeCommand \(Get-AcceptedDomain\) /);
          assert.match(error.message, shown);
          assert.match(error.message, /Check coexist:exchangeUrl http:\/\/127\.0\.0\.1:\d+\/adminapi\/beta \(from stack config\)/);
          return true;
        });
        await assert.rejects(invoke("Get-MailUser", { Identity: "bob" }), ConfigError);
        assert.strictEqual(server().requests.length, 1, "the wrong URL is asked once, and no cmdlet is sent");
      });
    }

    const exchangeAnswered = [
      { name: "a 403 for a role the app lacks (NUL body, exception type)", reply: { status: 403, headers: { "X-ExceptionType": "CmdletAccessDeniedException" }, body: "\u0000\u0000" } as Reply },
      { name: "a 401 whose challenge names Exchange", reply: { status: 401, headers: { "WWW-Authenticate": 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", error="invalid_token"' }, body: "" } as Reply },
    ];
    for (const { name, reply } of exchangeAnswered) {
      it(`accepts ${name}: the cmdlets then report it themselves`, async () => {
        server().handler = (request) => (isCheck(request) ? reply : { body: { value: [{ Name: "bob" }] } });
        assert.deepStrictEqual(await invoke("Get-MailUser", { Identity: "bob" }), [{ Name: "bob" }]);
      });
    }

    it("retries a throttled check like any call", async () => {
      let checks = 0;
      server().handler = (request) => (isCheck(request) && ++checks === 1 ? { status: 429, headers: { "Retry-After": "0" }, body: "" } : accepted("contoso.com"));
      await invoke("Get-AcceptedDomain");
      assert.strictEqual(checks, 2);
    });

    it("refuses a token of another tenant before sending anything", async () => {
      const otherTenant = "99999999-8888-7777-6666-555555555555";
      useStackConfig({ exchangeUrl: `${server().url}/adminapi/beta`, tenantId: TENANT, accessToken: unsignedJwt({ tid: otherTenant }) });
      server().handler = () => accepted("contoso.com");
      await assert.rejects(invoke("Get-MailUser", { Identity: "bob" }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.strictEqual(
          error.message,
          `coexist:tenantId names tenant ${TENANT}, but coexist:accessToken (from stack config) is for tenant ${otherTenant}: the calls would go to one tenant with another's token. ` +
            `Set coexist:tenantId to the tenant of the token, or use the token of ${TENANT} (Exchange calls go to ${server().url}/adminapi/beta/${TENANT}/InvokeCommand)`,
        );
        return true;
      });
      assert.deepStrictEqual(server().requests, []);
    });

    it("refuses a tenant domain that the answering tenant does not accept", async () => {
      useStackConfig({ exchangeUrl: `${server().url}/adminapi/beta`, tenantId: "contoso.onmicrosoft.com", accessToken: "t" });
      server().handler = () => accepted("fabrikam.com", "fabrikam.onmicrosoft.com");
      await assert.rejects(invoke("Get-MailUser", { Identity: "bob" }), /^ConfigError: coexist:tenantId is contoso\.onmicrosoft\.com, but the Exchange tenant at coexist:exchangeUrl .* accepts fabrikam\.com, fabrikam\.onmicrosoft\.com/);
      assert.strictEqual(server().requests.length, 1);
    });
  });
});
