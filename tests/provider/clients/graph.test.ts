import * as assert from "assert";
import { GraphError } from "@microsoft/microsoft-graph-client";
import {
  GraphApiError,
  assignLicense,
  batch,
  createDomain,
  deleteDomain,
  getDomain,
  getUser,
  listSubscribedSkus,
  resolveSkuId,
  serviceConfigurationRecords,
  setSupportedServices,
  setUsageLocation,
  skuIdFor,
  splitGraphUrl,
  toGraphApiError,
  validateBatch,
  verificationDnsRecords,
  verifyDomain,
  type BatchRequest,
} from "../../../provider/clients/graph";
import { ConfigError } from "../../../provider/config";
import { fixturePerTest, unsignedJwt, useFastRetries, useStackConfig, type RecordedRequest, type Reply } from "./fixture";

const SKUS = [
  { skuId: "66666666-6666-6666-6666-666666666666", skuPartNumber: "EXCHANGESTANDARD" },
  { skuId: "77777777-7777-7777-7777-777777777777", skuPartNumber: "O365_BUSINESS_PREMIUM" },
];

describe("Microsoft Graph client", () => {
  describe("pure helpers", () => {
    const urls = [
      { graphUrl: "https://graph.microsoft.com/v1.0", expected: { baseUrl: "https://graph.microsoft.com/", version: "v1.0" } },
      { graphUrl: "https://127.0.0.1:8443/v1.0/", expected: { baseUrl: "https://127.0.0.1:8443/", version: "v1.0" } },
      { graphUrl: "https://proxy.example/graph/beta", expected: { baseUrl: "https://proxy.example/graph/", version: "beta" } },
    ];
    for (const { graphUrl, expected } of urls) {
      it(`splits ${graphUrl}`, () => assert.deepStrictEqual(splitGraphUrl(graphUrl), expected));
    }

    it("rejects a Graph URL without a version", () => {
      assert.throws(() => splitGraphUrl("https://graph.microsoft.com/"), /coexist:graphUrl must end with the API version/);
    });

    const skuCases = [
      { part: "EXCHANGESTANDARD", expected: "66666666-6666-6666-6666-666666666666" },
      { part: "exchangestandard", expected: "66666666-6666-6666-6666-666666666666" },
      { part: "O365_BUSINESS_PREMIUM", expected: "77777777-7777-7777-7777-777777777777" },
    ];
    for (const { part, expected } of skuCases) {
      it(`resolves skuPartNumber ${part}`, () => assert.strictEqual(skuIdFor(SKUS, part), expected));
    }

    it("names the tenant's part numbers when one is missing", () => {
      assert.throws(() => skuIdFor(SKUS, "SPB"), /no subscription with skuPartNumber "SPB" \(it has: EXCHANGESTANDARD, O365_BUSINESS_PREMIUM\)/);
    });

    const batchSizes = [
      { size: 0, valid: false },
      { size: 1, valid: true },
      { size: 20, valid: true },
      { size: 21, valid: false },
    ];
    for (const { size, valid } of batchSizes) {
      it(`${valid ? "accepts" : "rejects"} a batch of ${size}`, () => {
        const requests = Array.from({ length: size }, (_, i): BatchRequest => ({ id: String(i), method: "GET", url: `/users/${i}` }));
        if (valid) validateBatch(requests);
        else assert.throws(() => validateBatch(requests), /takes 1 to 20 requests/);
      });
    }

    it("rejects duplicate batch ids", () => {
      assert.throws(() => validateBatch([{ id: "1", method: "GET", url: "/a" }, { id: "1", method: "GET", url: "/b" }]), /must be unique/);
    });

    it("turns a GraphError into a readable GraphApiError", () => {
      const graphError = new GraphError(404, "Resource 'jane@fabrikam.example' does not exist.");
      graphError.code = "Request_ResourceNotFound";
      const error = toGraphApiError(graphError, "GET /users/jane@fabrikam.example");
      assert.strictEqual(error.status, 404);
      assert.strictEqual(error.code, "Request_ResourceNotFound");
      assert.ok(error.notFound);
      assert.strictEqual(error.message, "Graph GET /users/jane@fabrikam.example failed (HTTP 404, Request_ResourceNotFound): Resource 'jane@fabrikam.example' does not exist.");
    });

    const notFoundCases = [
      { status: 404, code: "Request_ResourceNotFound", notFound: true },
      { status: 404, code: "ResourceNotFound", notFound: true },
      { status: 404, code: "itemNotFound", notFound: true },
      { status: 404, code: undefined, notFound: false },
      { status: 404, code: "NotFound", notFound: false },
      { status: 400, code: "Request_ResourceNotFound", notFound: false },
      { status: 403, code: "Authorization_RequestDenied", notFound: false },
    ];
    for (const { status, code, notFound } of notFoundCases) {
      it(`takes HTTP ${status} with code ${code ?? "none"} for ${notFound ? "not found" : "a failure"}`, () => {
        const graphError = new GraphError(status, "x");
        graphError.code = code ?? null;
        assert.strictEqual(toGraphApiError(graphError, "GET /domains/x").notFound, notFound);
      });
    }

    it("redacts the configured secret from Graph errors", () => {
      useStackConfig({ clientSecret: "graph-secret-xyz" });
      const error = toGraphApiError(new GraphError(400, "echo graph-secret-xyz"), "POST /x");
      assert.ok(!error.message.includes("graph-secret-xyz"));
      useStackConfig({});
    });
  });

  describe("over HTTP (local fixture)", () => {
    const server = fixturePerTest((url) => ({ graphUrl: `${url}/v1.0`, accessToken: "graph-test-token" }));

    const strayNotFound = [
      { name: "an HTML 404", reply: { status: 404, headers: { "Content-Type": "text/html" }, body: "<html><body>Not Found</body></html>" }, shown: /answered HTTP 404 text\/html "<html><body>Not Found<\/body><\/html>" without Graph's not-found code \(code: none\)/ },
      { name: "an empty 404", reply: { status: 404 }, shown: /answered HTTP 404 with an empty body without Graph's not-found code \(code: none\)/ },
      { name: "a 404 with another error code", reply: { status: 404, body: { error: { code: "NotFound", message: "No API serves this path" } } }, shown: /answered HTTP 404 application\/json ".*No API serves this path.*" without Graph's not-found code \(code: NotFound\)/ },
    ];
    for (const { name, reply, shown } of strayNotFound) {
      it(`takes ${name} for a wrong URL, not for "gone", naming coexist:graphUrl`, async () => {
        server().handler = () => reply;
        await assert.rejects(getDomain("fabrikam.example"), (error: unknown) => {
          assert.ok(error instanceof GraphApiError && !error.notFound, String(error));
          assert.match(error.message, /^Graph GET \/domains\/fabrikam\.example failed \(HTTP 404(, NotFound)?\): answered HTTP 404 /);
          assert.match(error.message, shown);
          assert.match(error.message, /so nothing is taken as gone\. Is coexist:graphUrl http:\/\/127\.0\.0\.1:\d+\/v1\.0 \(from stack config\) right\?$/);
          return true;
        });
        await assert.rejects(deleteDomain("fabrikam.example"), GraphApiError);
      });
    }

    const idempotency = [
      { name: "POST /domains", run: () => createDomain("fabrikam.example"), once: true },
      { name: "POST /domains/{id}/verify", run: () => verifyDomain("fabrikam.example"), once: true },
      { name: "assignLicense removing a licence", run: () => assignLicense("u1", { removeLicenses: [SKUS[0].skuId] }), once: true },
      { name: "assignLicense adding a licence", run: () => assignLicense("u1", { addLicenses: [{ skuId: SKUS[0].skuId, disabledPlans: [] }] }), once: false },
      { name: "PATCH /domains/{id}", run: () => setSupportedServices("fabrikam.example", ["Email"]), once: false },
    ];
    for (const failure of [
      { name: "a 503", reply: { status: 503, headers: { "Retry-After": "0" }, body: { error: { code: "serviceNotAvailable", message: "busy" } } } },
      { name: "a dropped connection", reply: { drop: true } },
    ]) {
      for (const { name, run, once } of idempotency) {
        it(`${once ? "sends" : "repeats"} ${name} ${once ? "once after" : "after"} ${failure.name}${once ? ": outcome unknown" : ""}`, async () => {
          let calls = 0;
          server().handler = () => (++calls === 1 ? failure.reply : { status: 200, body: { id: "fabrikam.example", isVerified: true, supportedServices: [] } });
          if (once) {
            await assert.rejects(run(), (error: unknown) => error instanceof GraphApiError && error.outcomeUnknown && /outcome unknown: the call may have been applied/.test(error.message));
          } else {
            await run();
          }
          assert.strictEqual(server().requests.length, once ? 1 : 2);
        });
      }
    }

    it("repeats POST /domains after a throttled answer", async () => {
      let calls = 0;
      server().handler = () => (++calls === 1 ? { status: 429, headers: { "Retry-After": "0" }, body: { error: { code: "TooManyRequests", message: "slow" } } } : { status: 201, body: { id: "fabrikam.example", isVerified: false, supportedServices: [] } });
      assert.strictEqual((await createDomain("fabrikam.example")).id, "fabrikam.example");
      assert.strictEqual(server().requests.length, 2);
    });

    it("returns undefined for a domain that does not exist", async () => {
      server().handler = () => ({ status: 404, body: { error: { code: "Request_ResourceNotFound", message: "not here" } } });
      assert.strictEqual(await getDomain("fabrikam.example"), undefined);
      assert.strictEqual(server().requests[0].path, "/v1.0/domains/fabrikam.example");
    });

    it("creates, verifies and configures a domain with the documented bodies", async () => {
      server().handler = (request) => {
        if (request.method === "POST" && request.path === "/v1.0/domains") return { status: 201, body: { id: "fabrikam.example", isVerified: false, supportedServices: [] } };
        if (request.path.endsWith("/verify")) return { body: { id: "fabrikam.example", isVerified: true, supportedServices: [] } };
        if (request.path.endsWith("/verificationDnsRecords")) return { body: { value: [{ recordType: "Txt", label: "fabrikam.example", text: "MS=ms1" }] } };
        if (request.path.endsWith("/serviceConfigurationRecords"))
          return { body: { value: [{ recordType: "Mx", label: "fabrikam.example", mailExchange: "fabrikam-example.mail.protection.outlook.com", preference: 0 }] } };
        if (request.method === "PATCH") return { status: 204 };
        if (request.method === "DELETE") return { status: 204 };
        return { status: 500 };
      };
      assert.strictEqual((await createDomain("fabrikam.example")).isVerified, false);
      assert.deepStrictEqual(JSON.parse(server().requests[0].body), { id: "fabrikam.example" });
      assert.strictEqual((await verificationDnsRecords("fabrikam.example"))[0].text, "MS=ms1");
      assert.strictEqual((await verifyDomain("fabrikam.example")).isVerified, true);
      await setSupportedServices("fabrikam.example", ["Email"]);
      const patch = server().requests.find((request) => request.method === "PATCH")!;
      assert.deepStrictEqual(JSON.parse(patch.body), { supportedServices: ["Email"] });
      assert.strictEqual((await serviceConfigurationRecords("fabrikam.example"))[0].mailExchange, "fabrikam-example.mail.protection.outlook.com");
      assert.strictEqual(await deleteDomain("fabrikam.example"), true);
    });

    it("reports a delete of a missing domain as already gone", async () => {
      server().handler = () => ({ status: 404, body: { error: { code: "Request_ResourceNotFound", message: "gone" } } });
      assert.strictEqual(await deleteDomain("gone.example"), false);
    });

    it("reads a user with $select and sets usage location and licences", async () => {
      server().handler = (request) => {
        if (request.method === "GET") return { body: { id: "u1", usageLocation: null } };
        if (request.method === "PATCH") return { status: 204 };
        return { body: { id: "u1", assignedLicenses: [{ skuId: SKUS[0].skuId, disabledPlans: [] }] } };
      };
      assert.strictEqual((await getUser("jane@fabrikam.example", ["id", "usageLocation"]))?.id, "u1");
      assert.strictEqual(decodeURIComponent(server().requests[0].path), "/v1.0/users/jane@fabrikam.example?$select=id,usageLocation");
      await setUsageLocation("u1", "GB");
      assert.deepStrictEqual(JSON.parse(server().requests[1].body), { usageLocation: "GB" });
      await assignLicense("u1", { addLicenses: [{ skuId: SKUS[0].skuId, disabledPlans: [] }] });
      assert.deepStrictEqual(JSON.parse(server().requests[2].body), { addLicenses: [{ skuId: SKUS[0].skuId, disabledPlans: [] }], removeLicenses: [] });
      assert.strictEqual(server().requests[2].path, "/v1.0/users/u1/assignLicense");
    });

    it("surfaces Graph's error code and message", async () => {
      server().handler = () => ({
        status: 400,
        body: { error: { code: "Request_BadRequest", message: "License assignment cannot be done for user with invalid usage location." } },
      });
      await assert.rejects(
        assignLicense("u1", { addLicenses: [{ skuId: SKUS[0].skuId, disabledPlans: [] }] }),
        (error: unknown) =>
          error instanceof GraphApiError &&
          error.status === 400 &&
          error.code === "Request_BadRequest" &&
          /invalid usage location/.test(error.message),
      );
    });

    it("lists subscribed SKUs across pages and resolves a part number", async () => {
      server().handler = (request) =>
        request.path.includes("skiptoken")
          ? { body: { value: [SKUS[1]] } }
          : { body: { value: [SKUS[0]], "@odata.nextLink": `${server().url}/v1.0/subscribedSkus?$skiptoken=abc` } };
      assert.deepStrictEqual(
        (await listSubscribedSkus()).map((sku) => sku.skuPartNumber),
        ["EXCHANGESTANDARD", "O365_BUSINESS_PREMIUM"],
      );
      assert.strictEqual(await resolveSkuId("O365_BUSINESS_PREMIUM"), SKUS[1].skuId);
    });

    it("refuses a nextLink that points away from the configured Graph URL", async () => {
      server().handler = () => ({ body: { value: [SKUS[0]], "@odata.nextLink": "https://elsewhere.example/v1.0/subscribedSkus?$skiptoken=abc" } });
      await assert.rejects(listSubscribedSkus(), /nextLink outside .* not following it/);
    });

    it("retries by our policy only: one request per allowed attempt", async () => {
      useFastRetries({ maxAttempts: 3 });
      server().handler = () => ({ status: 503, headers: { "Retry-After": "0" }, body: { error: { code: "serviceNotAvailable", message: "busy" } } });
      await assert.rejects(
        getDomain("fabrikam.example"),
        (error: unknown) => error instanceof GraphApiError && error.status === 503 && /serviceNotAvailable\): busy \(gave up after 3 attempts/.test(error.message),
      );
      assert.strictEqual(server().requests.length, 3);
    });

    it("recovers from a throttled answer", async () => {
      let calls = 0;
      server().handler = () => (++calls === 1 ? { status: 429, headers: { "Retry-After": "0" }, body: { error: { code: "TooManyRequests", message: "slow" } } } : { body: { id: "fabrikam.example", isVerified: true, supportedServices: [] } });
      assert.strictEqual((await getDomain("fabrikam.example"))?.isVerified, true);
      assert.strictEqual(server().requests.length, 2);
    });

    it("sends a $batch and re-sends only the throttled sub-requests", async () => {
      let round = 0;
      server().handler = (request) => {
        const { requests } = JSON.parse(request.body) as { requests: Array<{ id: string }> };
        round++;
        return {
          body: {
            responses: requests.map(({ id }) =>
              round === 1 && id === "2"
                ? { id, status: 429, headers: { "Retry-After": "0" }, body: { error: { code: "TooManyRequests", message: "slow" } } }
                : { id, status: 204, headers: {}, body: null },
            ),
          },
        };
      };
      const results = await batch([
        { id: "1", method: "PATCH", url: "/users/a", body: { usageLocation: "GB" } },
        { id: "2", method: "PATCH", url: "/users/b", body: { usageLocation: "GB" } },
      ]);
      assert.deepStrictEqual([...results.values()].map((r) => [r.id, r.status]), [["1", 204], ["2", 204]]);
      assert.strictEqual(server().requests.length, 2);
      const first = JSON.parse(server().requests[0].body);
      assert.deepStrictEqual(first.requests[0], { id: "1", method: "PATCH", url: "/users/a", body: { usageLocation: "GB" }, headers: { "Content-Type": "application/json" } });
      assert.deepStrictEqual(JSON.parse(server().requests[1].body).requests.map((r: { id: string }) => r.id), ["2"]);
    });
  });
  describe("base URL check (local fixture)", () => {
    const TENANT = "6f1c3a52-8d0e-4b7a-9c1d-2e3f4a5b6c7d";
    const server = fixturePerTest((url) => ({ graphUrl: `${url}/v1.0`, tenantId: TENANT, accessToken: "graph-test-token" }));
    const isCheck = (request: RecordedRequest) => decodeURIComponent(request.path) === "/v1.0/domains?$select=id";
    beforeEach(() => {
      server().answerChecks = false;
    });

    it("asks GET /domains?$select=id once, before the first call, with the token", async () => {
      server().handler = (request) => (isCheck(request) ? { body: { value: [{ id: "contoso.com" }] } } : { body: { id: "contoso.com", isVerified: true, supportedServices: [] } });
      await Promise.all([getDomain("contoso.com"), getDomain("contoso.com")]);
      await getDomain("contoso.com");
      assert.deepStrictEqual(server().requests.map((request) => (isCheck(request) ? "check" : "call")), ["check", "call", "call", "call"]);
      assert.strictEqual(server().requests[0].headers.authorization, "Bearer graph-test-token");
    });

    const wrong = [
      { name: "an HTML page", reply: { headers: { "Content-Type": "text/html" }, body: "<!DOCTYPE html><html><title>It works!</title></html>" } as Reply, shown: /answered HTTP 200 text\/html "<!DOCTYPE html><html><title>It works!<\/title><\/html>"/ },
      { name: "an unknown path (Graph's own 400)", reply: { status: 400, body: { error: { code: "BadRequest", message: "Resource not found for the segment 'domains'." } } } as Reply, shown: /answered HTTP 400 application\/json/ },
      { name: "a 404", reply: { status: 404, body: { error: { code: "Request_ResourceNotFound", message: "x" } } } as Reply, shown: /answered HTTP 404/ },
      { name: "a JSON object that is not a list", reply: { body: { id: "u1" } } as Reply, shown: /answered HTTP 200 application\/json "\{"id":"u1"\}"/ },
    ];
    for (const { name, reply, shown } of wrong) {
      it(`fails loudly on ${name}, naming coexist:graphUrl, and makes no call`, async () => {
        server().handler = () => reply;
        await assert.rejects(deleteDomain("fabrikam.example"), (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, /^coexist:graphUrl does not answer as Microsoft Graph: GET \/domains\?\$select=id /);
          assert.match(error.message, shown);
          assert.match(error.message, /Check coexist:graphUrl http:\/\/127\.0\.0\.1:\d+\/v1\.0 \(from stack config\); it should look like https:\/\/graph\.microsoft\.com\/v1\.0$/);
          return true;
        });
        assert.strictEqual(server().requests.length, 1);
      });
    }

    it("accepts Graph's 403 for a permission the app lacks: the calls report it", async () => {
      server().handler = (request) =>
        isCheck(request)
          ? { status: 403, body: { error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." } } }
          : { body: { id: "u1", usageLocation: "GB" } };
      assert.strictEqual((await getUser("u1", ["id", "usageLocation"]))?.usageLocation, "GB");
    });

    it("refuses a token of another tenant before sending anything", async () => {
      useStackConfig({ graphUrl: `${server().url}/v1.0`, tenantId: TENANT, accessToken: unsignedJwt({ tid: "9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d" }) });
      await assert.rejects(getDomain("contoso.com"), /^ConfigError: coexist:tenantId names tenant 6f1c3a52-.* but coexist:accessToken \(from stack config\) is for tenant 9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d/);
      assert.deepStrictEqual(server().requests, []);
    });

    it("refuses a tenant domain that is not among the answering tenant's domains", async () => {
      useStackConfig({ graphUrl: `${server().url}/v1.0`, tenantId: "contoso.onmicrosoft.com", accessToken: "t" });
      server().handler = () => ({ body: { value: [{ id: "fabrikam.com" }, { id: "fabrikam.onmicrosoft.com" }] } });
      await assert.rejects(getDomain("contoso.com"), /^ConfigError: coexist:tenantId is contoso\.onmicrosoft\.com, but Graph at coexist:graphUrl .* answers for a tenant whose domains are fabrikam\.com, fabrikam\.onmicrosoft\.com/);
    });
  });
});
