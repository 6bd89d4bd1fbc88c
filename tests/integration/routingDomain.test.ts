import * as assert from "assert";
import { invoke } from "../../provider/clients/exchange";
import { setSupportedServices } from "../../provider/clients/graph";
import { SandboxStack } from "./sandboxStack";

const routing = { domainName: "o365.contoso.com", parentDomain: "contoso.com" };

describe("RoutingDomain with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const steps = async (args: Record<string, unknown>): Promise<[string, string, string[]][]> => (await env.plan(args)).steps;
  const domain = async (name: string): Promise<{ id: string; isVerified: boolean; supportedServices: string[]; verificationCode?: string } | undefined> =>
    (await env.tenant()).domains.find((entry) => entry.id === name);

  before(async () => {
    env = await SandboxStack.start("routingDomain");
  });
  after(async () => env?.stop());

  it("previews one create and calls no API", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(routing), [["create", "routing-domain", []]]);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("adds the subdomain, verifies it under its verified parent, enables Email, and outputs the records to publish", async () => {
    await env.stack.up();
    const added = await domain("o365.contoso.com");
    assert.deepStrictEqual([added?.isVerified, added?.supportedServices], [true, ["Email"]]);
    const outputs = await env.stack.outputs();
    assert.deepStrictEqual(outputs.mxRecord, { label: "o365.contoso.com", mailExchange: "o365-contoso-com.mail.protection.outlook.com", preference: 0, ttl: 3600 });
    assert.deepStrictEqual(outputs.verificationTxtRecord, { label: "o365.contoso.com", text: added?.verificationCode, ttl: 3600 });
    assert.strictEqual(outputs.isVerified, true);
    assert.strictEqual((await invoke("Get-AcceptedDomain", { Identity: "o365.contoso.com" })).length, 1, "Exchange accepts it");
  });

  it("reports no changes on a second up and writes nothing", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(routing), []);
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), []);
  });

  const changes: [string, Record<string, unknown>, [string, string, string[]]][] = [
    ["a parent domain dropped", { domainName: "o365.contoso.com" }, ["update", "routing-domain", []]],
    ["another domain", { ...routing, domainName: "m365.contoso.com" }, ["replace", "routing-domain", ["domainName"]]],
  ];
  for (const [title, args, step] of changes) {
    it(`previews ${title} as ${step[0] === "update" ? "an update" : "a replacement"}, without API writes`, async () => {
      await env.resetStats();
      assert.deepStrictEqual(await steps(args), [step]);
      assert.deepStrictEqual(await env.writes(), []);
    });
  }

  it("finds Email turned off in the admin center on refresh, and the next up turns it back on", async () => {
    await setSupportedServices("o365.contoso.com", []);
    await env.stack.refresh();
    assert.deepStrictEqual(await steps(routing), [["update", "routing-domain", []]]);
    await env.stack.up();
    assert.deepStrictEqual((await domain("o365.contoso.com"))?.supportedServices, ["Email"]);
    assert.deepStrictEqual(await steps(routing), []);
  });

  it("refuses to delete the domain while an address uses it, naming the address", async () => {
    await invoke("New-MailUser", { Name: "Bob Routing", MicrosoftOnlineServicesID: "bob@o365.contoso.com", Password: "Sandbox-Pa55word!" });
    const result = await env.stack.run(["destroy", "--yes", "--skip-preview"], true);
    assert.notStrictEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /not deleting o365\.contoso\.com: 1 address uses it \(bob@o365\.contoso\.com\)/);
    assert.ok(await domain("o365.contoso.com"), "the domain is still there");
  });

  it("deletes the domain on destroy once nothing uses it", async () => {
    await invoke("Remove-MailUser", { Identity: "Bob Routing", Confirm: false });
    await env.stack.destroy();
    assert.strictEqual(await domain("o365.contoso.com"), undefined);
    assert.deepStrictEqual(await env.stack.resources(), []);
  });

  it("without a verified parent, succeeds unverified with the TXT record to publish, and verifies on a later up", async () => {
    const own = { domainName: "routing.example.net" };
    await env.setArgs(own);
    await env.stack.up();
    const outputs = await env.stack.outputs();
    const pending = await domain("routing.example.net");
    assert.deepStrictEqual([pending?.isVerified, outputs.isVerified, outputs.mxRecord], [false, false, undefined]);
    assert.deepStrictEqual(outputs.verificationTxtRecord, { label: "routing.example.net", text: pending?.verificationCode, ttl: 3600 });
    assert.deepStrictEqual(await steps(own), [["update", "routing-domain", []]], "the pending verification is in the plan");

    await env.control("PUT", "/sandbox/dns/txt", { domain: "routing.example.net", values: [pending?.verificationCode] });
    await env.stack.up();
    assert.deepStrictEqual((await domain("routing.example.net"))?.supportedServices, ["Email"]);
    assert.deepStrictEqual(await steps(own), []);
    await env.stack.destroy();
    assert.strictEqual(await domain("routing.example.net"), undefined);
  });
});
