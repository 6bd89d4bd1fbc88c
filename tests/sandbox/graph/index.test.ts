import assert from "node:assert/strict";
import { BatchRequestContent, BatchResponseContent, PageIterator, type Client } from "@microsoft/microsoft-graph-client";
import { canVerify, decideLicences } from "pulumi-mail-coexistence-sandbox/graph/index";
import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import type { EntraUserRecord, SkuRecord } from "pulumi-mail-coexistence-sandbox/records";
import { control, exchangeToken, failure, graphClient, invokeRaw, startTestSandbox } from "../harness";

const EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const BUSINESS_STANDARD = "f245ecc8-75af-4f8e-b61f-27d8114de5f3";

describe("sandbox Graph v1.0 (through @microsoft/microsoft-graph-client + ClientSecretCredential)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let client: Client;

  before(async () => {
    sandbox = await startTestSandbox();
    client = graphClient(sandbox);
  });
  after(() => sandbox.stop());

  it("lists the seeded domains with the documented properties", async () => {
    const domains = (await client.api("/domains").get()).value as { id: string; isVerified: boolean; isInitial: boolean; supportedServices: string[] }[];
    const initial = domains.find((domain) => domain.isInitial);
    assert.equal(initial?.id, "contoso.onmicrosoft.com");
    assert.deepEqual(domains.find((domain) => domain.id === "contoso.com")?.supportedServices, ["Email"]);
  });

  it("creates, verifies (as a subdomain of a verified domain) and enables Email on the routing domain", async () => {
    const created = await client.api("/domains").post({ id: "o365.contoso.com" });
    assert.equal(created.isVerified, false);
    assert.deepEqual(created.supportedServices, []);
    const records = (await client.api("/domains/o365.contoso.com/verificationDnsRecords").get()).value;
    assert.match(records[0].text, /^MS=ms\d+$/);
    const verified = await client.api("/domains/o365.contoso.com/verify").post({});
    assert.equal(verified.isVerified, true);
    assert.equal(verified.availabilityStatus, "AvailableImmediately");
    assert.equal(verified.isRoot, false);
    await client.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
    const mx = (await client.api("/domains/o365.contoso.com/serviceConfigurationRecords").get()).value.find((record: { recordType: string }) => record.recordType === "Mx");
    assert.equal(mx.mailExchange, "o365-contoso-com.mail.protection.outlook.com");
  });

  it("refuses to verify an unrelated domain without its TXT record, and verifies it once DNS has it", async () => {
    await client.api("/domains").post({ id: "fabrikam.example" });
    const error = await failure(client.api("/domains/fabrikam.example/verify").post({}));
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, "Request_BadRequest");
    const txt = (await client.api("/domains/fabrikam.example/verificationDnsRecords").get()).value[0].text;
    await control(sandbox, "PUT", "dns/txt", { domain: "fabrikam.example", values: [txt] });
    assert.equal((await client.api("/domains/fabrikam.example/verify").post({})).isVerified, true);
  });

  it("answers a missing domain with 404 Request_ResourceNotFound in the documented envelope", async () => {
    const error = await failure(client.api("/domains/nowhere.example").get());
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, "Request_ResourceNotFound");
    assert.ok(error.requestId, "innerError.request-id is present");
    assert.ok(error.date, "innerError.date is present");
  });

  it("refuses to PATCH services Graph cannot manage, and an unverified domain", async () => {
    const forbidden = await failure(client.api("/domains/contoso.com").patch({ supportedServices: ["Email", "Intune"] }));
    assert.equal(forbidden.statusCode, 400);
    await client.api("/domains").post({ id: "unverified.example" });
    const unverified = await failure(client.api("/domains/unverified.example").patch({ supportedServices: ["Email"] }));
    assert.equal(unverified.statusCode, 400);
  });

  it("refuses to delete a domain that users or proxy addresses still reference, and the initial domain", async () => {
    const referenced = await failure(client.api("/domains/contoso.onmicrosoft.com").delete());
    assert.equal(referenced.statusCode, 400);
    await client.api("/domains").post({ id: "spare.example" });
    await client.api("/domains/spare.example").delete();
    assert.equal((await failure(client.api("/domains/spare.example").get())).statusCode, 404);
  });

  it("returns usageLocation and proxyAddresses only when selected", async () => {
    const plain = await client.api("/users/admin@contoso.onmicrosoft.com").get();
    assert.equal("usageLocation" in plain, false);
    const selected = await client.api("/users/admin@contoso.onmicrosoft.com").select("id,usageLocation,proxyAddresses").get();
    assert.equal(selected.usageLocation, "US");
    assert.deepEqual(selected.proxyAddresses.slice(0, 1), ["SMTP:admin@contoso.onmicrosoft.com"]);
  });

  it("pages /users with @odata.nextLink that PageIterator follows", async () => {
    const admin = await client.api("/users/admin@contoso.onmicrosoft.com").get();
    await createMailUser(sandbox, "page.one");
    const first = await client.api("/users").top(1).get();
    assert.ok(first["@odata.nextLink"], "a list longer than one page carries a nextLink");
    assert.ok(String(first["@odata.nextLink"]).startsWith(sandbox.url));
    const ids: string[] = [];
    await new PageIterator(client, first, (user: { id: string }) => {
      ids.push(user.id);
      return true;
    }).iterate();
    assert.ok(ids.includes(admin.id));
  });

  it("sets a password through passwordProfile only when it meets Entra's complexity rule, and never returns it", async () => {
    const user = await createMailUser(sandbox, "pw.user");
    await client.api(`/users/${user}`).patch({ passwordProfile: { password: "Sandbox-Passw0rd-2", forceChangePasswordNextSignIn: false } });
    const weak = await failure(client.api(`/users/${user}`).patch({ passwordProfile: { password: "alllowercase" } }));
    assert.equal(weak.statusCode, 400);
    assert.match(weak.message, /does not comply with password complexity requirements/);
    const state = JSON.stringify(await control(sandbox, "GET", "state"));
    assert.equal(state.includes("Sandbox-Passw0rd-2"), false);
  });

  it("requires a usage location before a licence, then enforces seats and reports consumedUnits", async () => {
    const user = await createMailUser(sandbox, "lic.user");
    const missing = await failure(client.api(`/users/${user}/assignLicense`).post({ addLicenses: [{ skuId: BUSINESS_STANDARD, disabledPlans: [] }], removeLicenses: [] }));
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.message, "License assignment cannot be done for user with invalid usage location.");
    await client.api(`/users/${user}`).patch({ usageLocation: "GB" });
    const before = await consumed(client, BUSINESS_STANDARD);
    await client.api(`/users/${user}/assignLicense`).post({ addLicenses: [{ skuId: BUSINESS_STANDARD, disabledPlans: [] }], removeLicenses: [] });
    assert.equal(await consumed(client, BUSINESS_STANDARD), before + 1);
    const missingArray = await failure(client.api(`/users/${user}/assignLicense`).post({ removeLicenses: [] }));
    assert.match(missingArray.message, /The missing parameters are: addLicenses/);
  });

  it("runs a $batch with dependsOn and per-request statuses, and refuses more than 20 requests", async () => {
    const user = await createMailUser(sandbox, "batch.user");
    const content = new BatchRequestContent([
      { id: "1", request: new Request(`${sandbox.url}/users/${user}`, { method: "PATCH", body: JSON.stringify({ usageLocation: "FR" }), headers: { "Content-Type": "application/json" } }) },
      {
        id: "2",
        dependsOn: ["1"],
        request: new Request(`${sandbox.url}/users/${user}/assignLicense`, {
          method: "POST",
          body: JSON.stringify({ addLicenses: [{ skuId: EXCHANGE_STANDARD, disabledPlans: [] }], removeLicenses: [] }),
          headers: { "Content-Type": "application/json" },
        }),
      },
      { id: "3", dependsOn: ["2"], request: new Request(`${sandbox.url}/domains/missing.example`, { method: "GET" }) },
    ]);
    const responses = new BatchResponseContent(await client.api("/$batch").post(await content.getContent()));
    assert.equal(responses.getResponseById("1").status, 204);
    assert.equal(responses.getResponseById("2").status, 200);
    assert.equal(responses.getResponseById("3").status, 404);
    const tooMany = Array.from({ length: 21 }, (_, index) => ({ id: String(index), method: "GET", url: "/domains" }));
    assert.equal((await failure(client.api("/$batch").post({ requests: tooMany }))).statusCode, 400);
  });
});

async function consumed(client: Client, skuId: string): Promise<number> {
  const skus = (await client.api("/subscribedSkus").get()).value as { skuId: string; consumedUnits: number }[];
  return skus.find((sku) => sku.skuId === skuId)?.consumedUnits ?? -1;
}

async function createMailUser(sandbox: SandboxHandle, alias: string): Promise<string> {
  const token = await exchangeToken(sandbox);
  const response = await invokeRaw(sandbox, token, "New-MailUser", {
    Name: alias,
    MicrosoftOnlineServicesID: `${alias}@contoso.com`,
    Password: "Sandbox-Passw0rd!",
    ExternalEmailAddress: `${alias}@gsuite.contoso.com`,
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.value[0].ExternalDirectoryObjectId as string;
}

describe("sandbox Graph decisions", () => {
  const skus: SkuRecord[] = [{ skuId: "s1", skuPartNumber: "EXCHANGESTANDARD", seats: 1, servicePlans: [] }];
  const user = (overrides: Partial<EntraUserRecord>): EntraUserRecord => ({
    id: "u",
    userPrincipalName: "u@contoso.com",
    displayName: "U",
    accountEnabled: true,
    assignedLicenses: [],
    createdDateTime: "2026-01-01T00:00:00Z",
    ...overrides,
  });
  const cases: { name: string; user: EntraUserRecord; consumed: number; input: object; expect: RegExp | string[] }[] = [
    { name: "no usage location", user: user({}), consumed: 0, input: { addLicenses: [{ skuId: "s1" }], removeLicenses: [] }, expect: /invalid usage location/ },
    { name: "no seats left", user: user({ usageLocation: "GB" }), consumed: 1, input: { addLicenses: [{ skuId: "s1" }], removeLicenses: [] }, expect: /does not have any available licenses/ },
    { name: "unknown SKU", user: user({ usageLocation: "GB" }), consumed: 0, input: { addLicenses: [{ skuId: "nope" }], removeLicenses: [] }, expect: /does not correspond to a valid company License/ },
    { name: "missing removeLicenses", user: user({ usageLocation: "GB" }), consumed: 0, input: { addLicenses: [] }, expect: /missing parameters are: removeLicenses/ },
    { name: "assigned", user: user({ usageLocation: "GB" }), consumed: 0, input: { addLicenses: [{ skuId: "s1" }], removeLicenses: [] }, expect: ["s1"] },
    { name: "re-adding a held SKU needs no free seat", user: user({ usageLocation: "GB", assignedLicenses: [{ skuId: "s1", disabledPlans: [] }] }), consumed: 1, input: { addLicenses: [{ skuId: "s1", disabledPlans: ["p"] }], removeLicenses: [] }, expect: ["s1"] },
    { name: "removed", user: user({ assignedLicenses: [{ skuId: "s1", disabledPlans: [] }] }), consumed: 1, input: { addLicenses: [], removeLicenses: ["s1"] }, expect: [] },
  ];
  for (const testCase of cases) {
    it(`assignLicense: ${testCase.name}`, () => {
      const decision = decideLicences(testCase.user, skus, new Map([["s1", testCase.consumed]]), testCase.input);
      if (testCase.expect instanceof RegExp) {
        assert.equal(decision.ok, false);
        assert.match(decision.ok ? "" : decision.message, testCase.expect);
      } else {
        assert.deepEqual(decision.ok ? decision.assigned.map((licence) => licence.skuId) : decision.message, testCase.expect);
      }
    });
  }

  const verifyCases: [string, string[], string[], boolean][] = [
    ["o365.contoso.com", [], ["contoso.com"], true],
    ["contoso.com", [], ["contoso.com.evil"], false],
    ["fabrikam.example", ["MS=ms1"], [], true],
    ["fabrikam.example", ["MS=ms2"], [], false],
  ];
  for (const [domain, txt, verified, expected] of verifyCases) {
    it(`verify ${domain} with TXT ${JSON.stringify(txt)} and verified ${JSON.stringify(verified)} → ${expected}`, () => {
      assert.equal(canVerify(domain, "MS=ms1", { [domain]: txt }, verified), expected);
    });
  }
});
