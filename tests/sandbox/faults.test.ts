import assert from "node:assert/strict";
import { FaultInjector, identityRequestCost, meanLatencyMs, pathTemplate, seededRandom, tenantSizeOf, validateFaultSettings, type FaultSettings } from "pulumi-mail-coexistence-sandbox/faults";
import { GRAPH_IDENTITY_BUDGET } from "pulumi-mail-coexistence-sandbox/throttlingProfiles";
import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { control, exchangeToken, invokeRaw, raw, startTestSandbox } from "./harness";

const FLAKY: FaultSettings = { seed: 42, apis: { graph: { errorRate: 0.3, dropRate: 0.1 } } };

describe("sandbox fault injection", () => {
  it("draws the same decisions for the same seed, per API, in request order", () => {
    const kinds = (settings: FaultSettings) => {
      const injector = new FaultInjector(validateFaultSettings(settings));
      return Array.from({ length: 200 }, () => injector.decide("graph").kind);
    };
    const first = kinds(FLAKY);
    assert.deepEqual(kinds(FLAKY), first);
    assert.notDeepEqual(kinds({ ...FLAKY, seed: 43 }), first);
    assert.ok(first.includes("error") && first.includes("drop") && first.includes("pass"));
  });

  it("keeps one API's sequence independent of another API's traffic", () => {
    const settings = validateFaultSettings({ seed: 7, apis: { graph: { errorRate: 0.5 }, exchange: { errorRate: 0.5 } } });
    const alone = new FaultInjector(settings);
    const mixed = new FaultInjector(settings);
    const graphAlone = Array.from({ length: 50 }, () => alone.decide("graph").kind);
    const graphMixed = Array.from({ length: 50 }, () => (mixed.decide("exchange"), mixed.decide("graph").kind));
    assert.deepEqual(graphMixed, graphAlone);
  });

  it("throttles beyond the rate limit with a Retry-After until the window ends", () => {
    const injector = new FaultInjector(validateFaultSettings({ apis: { exchange: { rateLimit: { requests: 2, perSeconds: 10 } } } }));
    const at = (ms: number) => injector.decide("exchange", 1_000_000 + ms);
    assert.equal(at(0).kind, "pass");
    assert.equal(at(1).kind, "pass");
    const throttled = at(2_500);
    assert.equal(throttled.kind, "throttle");
    assert.equal(throttled.kind === "throttle" && throttled.retryAfterSeconds, 8);
    assert.equal(at(10_000).kind, "pass");
  });

  it("answers the tenant-concurrency error once maxConcurrent requests are in flight", () => {
    const injector = new FaultInjector(validateFaultSettings({ apis: { exchange: { maxConcurrent: 1 } } }));
    assert.equal(injector.decide("exchange").kind, "pass");
    injector.enter("exchange");
    const refused = injector.decide("exchange");
    assert.equal(refused.kind === "throttle" && refused.reason, "concurrency");
    injector.leave("exchange");
    assert.equal(injector.decide("exchange").kind, "pass");
  });

  describe("Graph's identity budget (throttling-limits.md)", () => {
    const costs = [
      { request: "GET /v1.0/users/jane@contoso.com", expected: { resourceUnits: 1, writes: 0 } },
      { request: "GET /v1.0/users?$select=id,userPrincipalName&$top=999", expected: { resourceUnits: 1, writes: 0 } },
      { request: "GET /v1.0/users", expected: { resourceUnits: 2, writes: 0 } },
      { request: "GET /v1.0/subscribedSkus?$select=skuId", expected: { resourceUnits: 2, writes: 0 } },
      { request: "GET /v1.0/groups/1/members?$expand=manager", expected: { resourceUnits: 4, writes: 0 } },
      { request: "GET /v1.0/users?$top=5", expected: { resourceUnits: 1, writes: 0 } },
      { request: "GET /v1.0/me/memberOf", expected: { resourceUnits: 2, writes: 0 } },
      { request: "PATCH /v1.0/users/jane@contoso.com", expected: { resourceUnits: 1, writes: 1 } },
      { request: "POST /v1.0/users/jane@contoso.com/assignLicense", expected: { resourceUnits: 1, writes: 1 } },
    ];
    for (const { request, expected } of costs) {
      it(`${request} costs ${expected.resourceUnits} resource unit(s) and ${expected.writes} write(s)`, () => {
        const [method, target] = request.split(" ");
        const url = new URL(target, "https://graph.invalid");
        assert.deepEqual(identityRequestCost(method, url.pathname, url.searchParams), expected);
      });
    }

    it("sizes tenants as Microsoft does: under 50 users, 50 to 500, above 500", () => {
      assert.deepEqual([49, 50, 500, 501].map(tenantSizeOf), ["small", "medium", "medium", "large"]);
    });

    const write = (path: string) => ({ operation: "PATCH /users/{id}", method: "PATCH", path });
    it("lets the writes of its burst through, says how much of the budget is used above 80 %, then refuses with WriteLimitExceeded", () => {
      const injector = new FaultInjector(validateFaultSettings({ apis: { graph: { identityBudget: GRAPH_IDENTITY_BUDGET } } }), { tenantUsers: () => 10_000 });
      const burst = GRAPH_IDENTITY_BUDGET.writes.requests / GRAPH_IDENTITY_BUDGET.writes.perSeconds * GRAPH_IDENTITY_BUDGET.burstSeconds;
      const decisions = Array.from({ length: burst + 1 }, (_, index) => injector.decide("graph", 1_000_000, write(`/users/u${index}@contoso.com`)));
      assert.ok(decisions.slice(0, burst).every((decision) => decision.kind === "pass"));
      const early = decisions[0];
      assert.deepEqual(early.kind === "pass" && early.headers, { "x-ms-resource-unit": "1" });
      const late = decisions[burst - 1];
      assert.equal(late.kind === "pass" && late.headers?.["x-ms-throttle-limit-percentage"], "1.00");
      const refused = decisions[burst];
      assert.equal(refused.kind === "throttle" && refused.information, "WriteLimitExceeded");
      assert.equal(refused.kind === "throttle" && refused.retryAfterSeconds, 1);
      // Refilled at 20 writes a second.
      assert.equal(injector.decide("graph", 1_000_000 + 1_000, write("/users/later@contoso.com")).kind, "pass");
    });

    it("counts reads against resource units only, whose budget grows with the tenant", () => {
      const reads = (users: number) => {
        const injector = new FaultInjector(validateFaultSettings({ apis: { graph: { identityBudget: GRAPH_IDENTITY_BUDGET } } }), { tenantUsers: () => users });
        let passed = 0;
        while (injector.decide("graph", 1_000_000, { operation: "GET /users/{id}", method: "GET", path: "/v1.0/users/x@contoso.com" }).kind === "pass") passed++;
        return passed;
      };
      assert.deepEqual([reads(10), reads(100), reads(10_000)], [3_500, 5_000, 8_000]);
    });
  });

  it("draws latency per operation, with rare outliers on top, and answers refusals quickly", () => {
    const model = { defaultMs: [500, 1500] as [number, number], byOperation: { "New-MailUser": [1200, 2200] as [number, number] }, outlierRate: 0.05, outlierMs: [3000, 8000] as [number, number], refusalMs: [50, 150] as [number, number] };
    const injector = new FaultInjector(validateFaultSettings({ apis: { exchange: { latency: model, maxConcurrent: 1 } } }));
    const latencies = Array.from({ length: 2000 }, () => injector.decide("exchange", Date.now(), { operation: "New-MailUser", method: "POST", path: "/" }).latencyMs);
    assert.ok(latencies.every((ms) => (ms >= 1200 && ms <= 2200) || (ms >= 4200 && ms <= 10200)));
    const outliers = latencies.filter((ms) => ms > 2200).length;
    assert.ok(outliers > 50 && outliers < 150, `${outliers} outliers in 2000`);
    assert.equal(meanLatencyMs(model, "New-MailUser"), 1700 + 0.05 * 5500);
    injector.enter("exchange");
    const refusal = injector.decide("exchange", Date.now(), { operation: "Get-Recipient", method: "POST", path: "/" });
    assert.ok(refusal.kind === "throttle" && refusal.latencyMs >= 50 && refusal.latencyMs <= 150);
  });

  it("refuses settings that name an unknown API or a rate outside 0–1", () => {
    assert.throws(() => validateFaultSettings({ apis: { smtp: {} } }), /faults\.apis\.smtp is not an API/);
    assert.throws(() => validateFaultSettings({ apis: { graph: { errorRate: 2 } } }), /between 0 and 1/);
  });

  it("groups statistics by path template", () => {
    assert.equal(pathTemplate("/users/jane@contoso.com/assignLicense"), "/users/{id}/assignLicense");
    assert.equal(pathTemplate("/domains/o365.contoso.com/verify"), "/domains/{id}/verify");
    assert.equal(pathTemplate("/subscribedSkus"), "/subscribedSkus");
  });

  it("spreads values over [0, 1)", () => {
    const next = seededRandom(1);
    const values = Array.from({ length: 1000 }, next);
    assert.ok(values.every((value) => value >= 0 && value < 1));
    assert.ok(Math.abs(values.reduce((sum, value) => sum + value, 0) / 1000 - 0.5) < 0.05);
  });
});

describe("sandbox fault injection over HTTP", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let token: string;
  before(async () => {
    sandbox = await startTestSandbox();
    token = sandbox.env.COEXIST_SANDBOX_STATIC_TOKEN;
  });
  after(() => sandbox.stop());

  const outcomes = async (count: number): Promise<string[]> => {
    const results: string[] = [];
    for (let index = 0; index < count; index++) {
      try {
        results.push(String((await raw(sandbox, "GET", "/v1.0/domains", { token })).status));
      } catch {
        results.push("dropped");
      }
    }
    return results;
  };

  it("replays the same faults after the same settings are applied again", async () => {
    await control(sandbox, "PUT", "faults", FLAKY);
    const first = await outcomes(30);
    await control(sandbox, "PUT", "faults", FLAKY);
    assert.deepEqual(await outcomes(30), first);
    assert.ok(first.includes("dropped") && first.some((status) => status.startsWith("5")));
    await control(sandbox, "PUT", "faults", {});
  });

  it("answers throttling the way each API does", async () => {
    await control(sandbox, "PUT", "faults", { apis: { graph: { rateLimit: { requests: 1, perSeconds: 60 } }, exchange: { rateLimit: { requests: 1, perSeconds: 60 } }, gmail: { rateLimit: { requests: 1, perSeconds: 60 } } } });
    await raw(sandbox, "GET", "/v1.0/domains", { token });
    const graph = await raw(sandbox, "GET", "/v1.0/domains", { token });
    assert.equal(graph.status, 429);
    assert.equal(graph.body.error.code, "TooManyRequests");
    assert.ok(Number(graph.headers.get("retry-after")) > 0);

    const exchangeAuth = await exchangeToken(sandbox);
    await invokeRaw(sandbox, exchangeAuth, "Get-AcceptedDomain");
    const exchange = await invokeRaw(sandbox, exchangeAuth, "Get-AcceptedDomain");
    assert.equal(exchange.status, 429);
    assert.ok(exchange.headers.get("retry-after"));
    assert.equal(exchange.headers.get("rate-limit-remaining"), "0");

    const gmailPath = "/gmail/v1/users/ben.adams%40contoso.com/settings/autoForwarding";
    await raw(sandbox, "GET", gmailPath, { token });
    const gmail = await raw(sandbox, "GET", gmailPath, { token });
    assert.equal(gmail.status, 403);
    assert.equal(gmail.body.error.errors[0].domain, "usageLimits");
    await control(sandbox, "PUT", "faults", {});
  });

  it("throttles $batch steps one by one: a 429 inside a 200 batch", async () => {
    await control(sandbox, "PUT", "faults", { apis: { graph: { rateLimit: { requests: 2, perSeconds: 60 } } } });
    const requests = ["1", "2", "3"].map((id) => ({ id, method: "GET", url: "/domains" }));
    const response = await raw(sandbox, "POST", "/v1.0/$batch", { token, body: { requests } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.responses.map((step: { status: number }) => step.status), [200, 429, 429]);
    assert.ok(response.body.responses[1].headers["Retry-After"]);
    await control(sandbox, "PUT", "faults", {});
  });

  it("counts requests per API, per operation, reads and writes, and resets the counts", async () => {
    await control(sandbox, "POST", "stats/reset");
    await raw(sandbox, "GET", "/v1.0/domains", { token });
    await raw(sandbox, "POST", "/v1.0/domains", { token, body: { id: "stats.example" } });
    await invokeRaw(sandbox, token, "Get-AcceptedDomain");
    const stats = await control(sandbox, "GET", "stats");
    assert.equal(stats.apis.graph.reads, 1);
    assert.equal(stats.apis.graph.writes, 1);
    assert.equal(stats.apis.graph.byOperation["POST /domains"], 1);
    assert.equal(stats.apis.exchange.byOperation["Get-AcceptedDomain"], 1);
    await control(sandbox, "POST", "stats/reset");
    assert.equal((await control(sandbox, "GET", "stats")).total, 0);
  });
});
