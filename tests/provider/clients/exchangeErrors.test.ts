import * as assert from "assert";
import { ExchangeError, parseDetailMessage, parseExchangeError } from "../../../provider/clients/exchange";
import { isRetryable, outcomeIsUnknown } from "../../../provider/clients/retry";
import { useStackConfig } from "./fixture";

describe("Exchange admin API client: error parsing", () => {
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
