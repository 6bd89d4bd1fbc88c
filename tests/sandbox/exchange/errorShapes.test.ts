import assert from "node:assert/strict";
import { ExchangeError, invoke } from "../../../provider/clients/exchange";
import { errorShapeFor, reshapeError } from "pulumi-mail-coexistence-sandbox/exchange/errorShapes";
import { exchangeError } from "pulumi-mail-coexistence-sandbox/http";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { exchangeToken, failure, invokeRaw, startTestSandbox, useSandboxEnvironment } from "../harness";

const NOT_FOUND = exchangeError(404, "notFound", "The operation couldn't be performed because object 'x' couldn't be found on 'DC'.").response;

describe("sandbox Exchange error shapes", () => {
  it("rewrites the pipe detail as a JSON object in a string with the exception's full type name", () => {
    const json = reshapeError(NOT_FOUND, "json").body as { error: { details: { message: string }[] } };
    assert.deepEqual(JSON.parse(json.error.details[0].message), {
      Message: "The operation couldn't be performed because object 'x' couldn't be found on 'DC'.",
      TypeName: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
      StackTrace: null,
      InnerError: null,
    });
  });

  it("drops details altogether in the innererror shape, keeping the internal exception's text and the header", () => {
    const shaped = reshapeError(NOT_FOUND, "innererror");
    const error = (shaped.body as { error: Record<string, any> }).error;
    assert.equal("details" in error, false);
    assert.match(error.innererror.internalexception.message, /couldn't be found/);
    assert.equal(shaped.headers?.["X-ExceptionType"], "ManagementObjectNotFoundException");
  });

  it("picks one shape per request body under mixed, and every shape over many requests", () => {
    assert.equal(errorShapeFor(undefined, "a"), "pipe");
    assert.equal(errorShapeFor("json", "a"), "json");
    assert.equal(errorShapeFor("mixed", "same body"), errorShapeFor("mixed", "same body"));
    const seen = new Set(Array.from({ length: 60 }, (_, index) => errorShapeFor("mixed", `body ${index}`)));
    assert.deepEqual([...seen].sort(), ["innererror", "json", "pipe"]);
  });
});

describe("sandbox Exchange errors on the wire with exchangeErrorShapes: json", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;

  before(async () => {
    const demo = readSeedFile(DEMO_SEED_PATH);
    sandbox = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, exchangeErrorShapes: "json" } } });
    restoreEnvironment = useSandboxEnvironment(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("answers not-found with the JSON-in-string detail, which the provider's client still reads as not found", async () => {
    const response = await invokeRaw(sandbox, await exchangeToken(sandbox), "Get-MailUser", { Identity: "nobody@contoso.com" });
    assert.equal(response.status, 404);
    assert.equal(JSON.parse(response.body.error.details[0].message).TypeName, "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException");
    assert.equal(((await failure(invoke("Get-MailUser", { Identity: "nobody@contoso.com" }))) as ExchangeError).notFound, true);
  });

  it("answers an unknown cmdlet with 403 and NUL bytes declared gzip", async () => {
    const response = await invokeRaw(sandbox, await exchangeToken(sandbox), "Get-Nothing");
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.match(String(response.body), /^\0+$/);
    assert.equal(response.headers.get("x-exceptiontype"), "CmdletAccessDeniedException");
    assert.equal(((await failure(invoke("Get-Nothing", {}))) as ExchangeError).status, 403);
  });
});

describe("sandbox Exchange errors on the wire with exchangeErrorShapes: mixed", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;

  before(async () => {
    const demo = readSeedFile(DEMO_SEED_PATH);
    sandbox = await startTestSandbox({ seed: { ...demo, behaviour: { ...demo.behaviour, exchangeErrorShapes: "mixed" } } });
    restoreEnvironment = useSandboxEnvironment(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("varies the shape from request to request, and the provider's client reads every one as not found", async () => {
    const token = await exchangeToken(sandbox);
    const shapes = new Set<string>();
    for (let index = 0; index < 12; index++) {
      const identity = `nobody${index}@contoso.com`;
      const body = (await invokeRaw(sandbox, token, "Get-MailUser", { Identity: identity })).body;
      shapes.add(body.error.details === undefined ? "innererror" : body.error.details[0].message.startsWith("{") ? "json" : "pipe");
      assert.equal(((await failure(invoke("Get-MailUser", { Identity: identity }))) as ExchangeError).notFound, true, identity);
    }
    assert.ok(shapes.size >= 2, `only ${[...shapes].join(", ")}`);
  });
});
