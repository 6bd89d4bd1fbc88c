import * as assert from "assert";
import {
  APP_ONLY_ANCHOR_MAILBOX,
  ExchangeError,
  addRemove,
  invoke,
  invokeWithWarnings,
  isIdempotentCmdlet,
  mailUserPassword,
  parseDetailMessage,
  parseExchangeError,
  requestBody,
  stripAnnotations,
} from "../../../provider/clients/exchange";
import { isRetryable, outcomeIsUnknown } from "../../../provider/clients/retry";
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

  describe("error parsing", () => {
    // A 401's message names the tenant setting's value; these cases expect it unset.
    let savedTenant: string | undefined;
    before(() => {
      savedTenant = process.env.COEXIST_TENANT_ID;
      delete process.env.COEXIST_TENANT_ID;
    });
    after(() => {
      if (savedTenant !== undefined) process.env.COEXIST_TENANT_ID = savedTenant;
    });
    const detailCases = [
      {
        name: "pipe-delimited",
        message:
          "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'x' couldn't be found on 'DC1'.",
        expected: {
          errorId: "Ex6F9304",
          exceptionType: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
          text: "The operation couldn't be performed because object 'x' couldn't be found on 'DC1'.",
        },
      },
      {
        name: "pipe-delimited text containing a pipe",
        message: "ExAB12|Some.Type.FooException|left | right",
        expected: { errorId: "ExAB12", exceptionType: "Some.Type.FooException", text: "left | right" },
      },
      {
        name: "JSON with TypeName",
        message: JSON.stringify({
          Message: "The object 'contoso.com' already exists.",
          TypeName: "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
          StackTrace: null,
          InnerError: null,
        }),
        expected: { errorId: undefined, exceptionType: "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException", text: "The object 'contoso.com' already exists." },
      },
      {
        name: "JSON with ClassName and localizedString",
        message: JSON.stringify({ ClassName: "Microsoft.Exchange.X.RecipientTaskException", Message: "Bad thing", localizedString: { stringId: "Ex1234" } }),
        expected: { errorId: "Ex1234", exceptionType: "Microsoft.Exchange.X.RecipientTaskException", text: "Bad thing" },
      },
      { name: "plain text", message: "Something went wrong.", expected: { text: "Something went wrong." } },
      { name: "text that merely contains pipes", message: "a | b c | d", expected: { text: "a | b c | d" } },
    ];
    for (const { name, message, expected } of detailCases) {
      it(`splits a ${name} detail message`, () => assert.deepStrictEqual(parseDetailMessage(message), expected));
    }

    function envelope(detail?: string, inner?: string, outer = "Error executing cmdlet"): string {
      return JSON.stringify({
        error: {
          code: "x",
          message: outer,
          details: detail === undefined ? [] : [{ code: "Context", target: "", message: detail }],
          innererror: {
            message: "outer inner",
            type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            internalexception: inner === undefined ? undefined : { message: inner, type: "DirectInvokeCmdletExecutionException" },
          },
        },
      });
    }

    const errorCases: Array<{
      name: string;
      status: number;
      body: string;
      headers?: Record<string, string>;
      expected: { message: string; notFound: boolean; alreadyExists: boolean; exceptionType?: string; errorId?: string; retryable: boolean };
    }> = [
      {
        name: "404 not found (pipe format)",
        status: 404,
        body: envelope("Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'bob' couldn't be found on 'DC1'."),
        expected: {
          message: "Exchange Get-MailUser failed (HTTP 404, ManagementObjectNotFoundException): The operation couldn't be performed because object 'bob' couldn't be found on 'DC1'.",
          notFound: true,
          alreadyExists: false,
          exceptionType: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
          errorId: "Ex6F9304",
          retryable: false,
        },
      },
      {
        name: "400 already exists (JSON format)",
        status: 400,
        body: envelope(JSON.stringify({ Message: "The object 'bob' already exists.", TypeName: "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException" })),
        expected: {
          message: "Exchange Get-MailUser failed (HTTP 400, ADObjectAlreadyExistsException): The object 'bob' already exists.",
          notFound: false,
          alreadyExists: true,
          exceptionType: "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
          retryable: false,
        },
      },
      {
        name: "400 proxy address in use",
        status: 400,
        body: envelope("ExB1|Microsoft.Exchange.Data.DataValidationException|The proxy address \"SMTP:bob@contoso.com\" is already being used by the proxy addresses or LegacyExchangeDN."),
        expected: {
          message:
            'Exchange Get-MailUser failed (HTTP 400, DataValidationException): The proxy address "SMTP:bob@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN.',
          notFound: false,
          alreadyExists: true,
          exceptionType: "Microsoft.Exchange.Data.DataValidationException",
          errorId: "ExB1",
          retryable: false,
        },
      },
      {
        name: "no details: internal exception message",
        status: 400,
        body: envelope(undefined, "Cannot bind parameter 'DomainType'."),
        expected: { message: "Exchange Get-MailUser failed (HTTP 400): Cannot bind parameter 'DomainType'.", notFound: false, alreadyExists: false, retryable: false },
      },
      {
        name: "no details, no internal exception: outer message",
        status: 400,
        body: JSON.stringify({ error: { code: "BadRequest", message: "Invalid Operation" } }),
        expected: { message: "Exchange Get-MailUser failed (HTTP 400): Invalid Operation", notFound: false, alreadyExists: false, retryable: false },
      },
      {
        name: "403 with a NUL body and X-ExceptionType",
        status: 403,
        body: "\u0000\u0000\u0000\u0000",
        headers: { "X-ExceptionType": "CmdletAccessDeniedException" },
        expected: {
          message:
            "Exchange Get-MailUser failed (HTTP 403, CmdletAccessDeniedException): access denied: the app's service principal lacks an Exchange role that allows this cmdlet (Exchange Administrator; `coexist doctor` checks it), or the cmdlet name is unknown",
          notFound: false,
          alreadyExists: false,
          exceptionType: "CmdletAccessDeniedException",
          retryable: false,
        },
      },
      {
        name: "401 with a challenge",
        status: 401,
        body: "",
        headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
        expected: {
          message:
            'Exchange Get-MailUser failed (HTTP 401): not authorised (Bearer error="invalid_token"): check that the app has the Exchange.ManageAsApp permission with admin consent (`coexist doctor` checks it), and that coexist:tenantId (not set) is the tenant of the token',
          notFound: false,
          alreadyExists: false,
          retryable: false,
        },
      },
      {
        name: "tenant concurrency limit",
        status: 400,
        body: envelope("ExC1|Microsoft.Exchange.Throttling.X|You have reached the maximum number of concurrent requests per tenant. Please wait and try again"),
        expected: {
          message:
            "Exchange Get-MailUser failed (HTTP 400, X): You have reached the maximum number of concurrent requests per tenant. Please wait and try again",
          notFound: false,
          alreadyExists: false,
          exceptionType: "Microsoft.Exchange.Throttling.X",
          errorId: "ExC1",
          retryable: true,
        },
      },
      {
        name: "not-found phrasing without a type (text is never taken for not-found)",
        status: 400,
        body: envelope("Couldn't find object \"bob\". Please make sure that it was spelled correctly."),
        expected: {
          message: "Exchange Get-MailUser failed (HTTP 400): Couldn't find object \"bob\". Please make sure that it was spelled correctly.",
          notFound: false,
          alreadyExists: false,
          retryable: false,
        },
      },
      {
        name: "503 plain text",
        status: 503,
        body: "Service Unavailable",
        expected: { message: "Exchange Get-MailUser failed (HTTP 503): Service Unavailable", notFound: false, alreadyExists: false, retryable: true },
      },
    ];
    for (const { name, status, body, headers, expected } of errorCases) {
      it(`parses ${name}`, () => {
        const error = parseExchangeError("Get-MailUser", status, body, headers ?? {});
        assert.ok(error instanceof ExchangeError);
        assert.strictEqual(error.status, status);
        assert.strictEqual(error.message, expected.message);
        assert.strictEqual(error.notFound, expected.notFound);
        assert.strictEqual(error.alreadyExists, expected.alreadyExists);
        assert.strictEqual(error.exceptionType, expected.exceptionType);
        assert.strictEqual(error.errorId, expected.errorId);
        assert.strictEqual(isRetryable(error), expected.retryable);
      });
    }

    const NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException";
    const ALREADY_EXISTS = "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException";
    const json = (message: string, type: string) => envelope(JSON.stringify({ Message: message, TypeName: type, StackTrace: null, InnerError: null }));
    const innerOnly = (message: string) => JSON.stringify({ error: { code: "BadRequest", message: "Error executing cmdlet", innererror: { message: "Error executing cmdlet", internalexception: { message } } } });
    const classification: Array<{
      shape: string;
      status: number;
      headers?: Record<string, string>;
      body: string;
      notFound: boolean;
      alreadyExists: boolean;
      /** What the retry policy does for a call that may be repeated: retry or not. */
      retry: boolean;
      /** Whether a New-/Add-/Validate- call is reported outcome-unknown (never repeated) after this answer. */
      outcomeUnknown: boolean;
    }> = [
      { shape: "404 pipe ManagementObjectNotFoundException", status: 404, body: envelope(`Ex6F9304|${NOT_FOUND}|The operation couldn't be performed because object 'bob' couldn't be found on 'DC1'.`), notFound: true, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "404 JSON-in-string ManagementObjectNotFoundException", status: 404, body: json("The operation couldn't be performed because object 'bob' couldn't be found.", NOT_FOUND), notFound: true, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "404 innererror only, type in X-ExceptionType", status: 404, headers: { "X-ExceptionType": "ManagementObjectNotFoundException" }, body: innerOnly("The operation couldn't be performed because object 'bob' couldn't be found."), notFound: true, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "400 pipe ManagementObjectNotFoundException", status: 400, body: envelope(`Ex6F9304|${NOT_FOUND}|Object 'bob' couldn't be found.`), notFound: true, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "404 empty body, type in X-ExceptionType", status: 404, headers: { "X-ExceptionType": "ManagementObjectNotFoundException" }, body: "", notFound: true, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "404 HTML page (a wrong URL)", status: 404, headers: { "Content-Type": "text/html" }, body: "<!DOCTYPE html><html><body>404 Not Found</body></html>", notFound: false, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "404 empty body without a type", status: 404, body: "", notFound: false, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "404 envelope of another exception", status: 404, body: envelope("ExX|Microsoft.Exchange.Admin.OData.Core.ResourceNotFoundException|Resource not found for the segment 'InvokeCommandd'."), notFound: false, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "500 with ManagementObjectNotFoundException", status: 500, body: envelope(`Ex6F9304|${NOT_FOUND}|couldn't be found`), notFound: false, alreadyExists: false, retry: true, outcomeUnknown: true },
      { shape: "400 JSON-in-string ADObjectAlreadyExistsException", status: 400, body: json("The object 'bob' already exists.", ALREADY_EXISTS), notFound: false, alreadyExists: true, retry: false, outcomeUnknown: false },
      { shape: "400 pipe ADObjectAlreadyExistsException", status: 400, body: envelope(`Ex5A2B2D|${ALREADY_EXISTS}|The object 'bob' already exists.`), notFound: false, alreadyExists: true, retry: false, outcomeUnknown: false },
      { shape: "400 innererror only: the object already exists", status: 400, body: innerOnly("The object 'bob' already exists."), notFound: false, alreadyExists: true, retry: false, outcomeUnknown: false },
      {
        shape: "400 proxy address in use (documented form)",
        status: 400,
        body: envelope('ExB1|Microsoft.Exchange.Data.DataValidationException|The proxy address "SMTP:bob@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "Bob". Please choose another proxy address.'),
        notFound: false,
        alreadyExists: true,
        retry: false,
        outcomeUnknown: false,
      },
      {
        shape: "400 New-MailUser with a taken MicrosoftOnlineServicesID (proxy form without a name)",
        status: 400,
        body: innerOnly('The proxy address "SMTP:bob@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.'),
        notFound: false,
        alreadyExists: true,
        retry: false,
        outcomeUnknown: false,
      },
      {
        shape: "400 UPN not unique (Active Directory)",
        status: 400,
        body: envelope("ExC2|Microsoft.Exchange.Data.Directory.ADOperationException|The operation failed because UPN value provided for addition/modification is not unique forest-wide."),
        notFound: false,
        alreadyExists: true,
        retry: false,
        outcomeUnknown: false,
      },
      {
        shape: "400 directory ObjectConflict on the sign-in name",
        status: 400,
        body: envelope("ExC3|Microsoft.Exchange.Management.Tasks.RecipientTaskException|The value specified for property MicrosoftOnlineServicesID is incorrect. Reason: ObjectConflict"),
        notFound: false,
        alreadyExists: true,
        retry: false,
        outcomeUnknown: false,
      },
      {
        shape: "400 alias held by another recipient (not the object or its sign-in name)",
        status: 400,
        body: envelope('ExC4|Microsoft.Exchange.Data.DataValidationException|The value "bob" of property "Alias" is used by another recipient object (Robert). Please specify a unique value.'),
        notFound: false,
        alreadyExists: false,
        retry: false,
        outcomeUnknown: false,
      },
      { shape: "500 whose text says already exists", status: 500, body: envelope(`ExD|${ALREADY_EXISTS}|The object 'bob' already exists.`), notFound: false, alreadyExists: false, retry: true, outcomeUnknown: true },
      { shape: "403 NUL bytes declared gzip, CmdletAccessDeniedException", status: 403, headers: { "Content-Encoding": "gzip", "X-ExceptionType": "CmdletAccessDeniedException" }, body: "\u0000".repeat(16), notFound: false, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "401 with a challenge", status: 401, headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' }, body: "", notFound: false, alreadyExists: false, retry: false, outcomeUnknown: false },
      { shape: "429 with Retry-After", status: 429, headers: { "Retry-After": "2" }, body: "", notFound: false, alreadyExists: false, retry: true, outcomeUnknown: false },
      { shape: "400 tenant concurrency limit", status: 400, body: envelope("You have reached the maximum number of concurrent requests per tenant. Please wait and try again"), notFound: false, alreadyExists: false, retry: true, outcomeUnknown: false },
      { shape: "503 plain text", status: 503, body: "Service Unavailable", notFound: false, alreadyExists: false, retry: true, outcomeUnknown: true },
      { shape: "504 HTML from a gateway", status: 504, headers: { "Content-Type": "text/html" }, body: "<html>Gateway Timeout</html>", notFound: false, alreadyExists: false, retry: true, outcomeUnknown: true },
      { shape: "500 pipe", status: 500, body: envelope("ExE|System.InvalidOperationException|Something broke."), notFound: false, alreadyExists: false, retry: true, outcomeUnknown: true },
      { shape: "408", status: 408, body: "", notFound: false, alreadyExists: false, retry: true, outcomeUnknown: true },
    ];
    for (const row of classification) {
      it(`classifies ${row.shape}: notFound ${row.notFound}, alreadyExists ${row.alreadyExists}, retry ${row.retry}, outcome unknown ${row.outcomeUnknown}`, () => {
        const error = parseExchangeError("New-MailUser", row.status, row.body, row.headers ?? {});
        assert.deepStrictEqual(
          { notFound: error.notFound, alreadyExists: error.alreadyExists, retry: isRetryable(error), outcomeUnknown: outcomeIsUnknown(error) },
          { notFound: row.notFound, alreadyExists: row.alreadyExists, retry: row.retry, outcomeUnknown: row.outcomeUnknown },
        );
      });
    }

    it("names coexist:exchangeUrl when a 404 is not Exchange's not-found", () => {
      useStackConfig({ exchangeUrl: "https://127.0.0.1:8443/adminapi/betta" });
      const error = parseExchangeError("Get-MailUser", 404, "<html>Not Found</html>", { "Content-Type": "text/html; charset=utf-8" });
      assert.strictEqual(
        error.message,
        'Exchange Get-MailUser failed (HTTP 404): HTTP 404 text/html "<html>Not Found</html>": not Exchange\'s not-found (ManagementObjectNotFoundException), so nothing is taken as gone. Is coexist:exchangeUrl https://127.0.0.1:8443/adminapi/betta (from stack config) right?',
      );
      useStackConfig({});
    });

    it("carries Retry-After for the retry policy", () => {
      const error = parseExchangeError("Get-MailUser", 429, "", { "Retry-After": "3" });
      assert.strictEqual(error.retryAfter, "3");
    });
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
