import * as assert from "assert";
import { invoke } from "../../provider/clients/exchange";
import { createDomain, setSupportedServices, verifyDomain } from "../../provider/clients/graph";
import { resolveSeed } from "pulumi-mail-coexistence-sandbox";
import { SandboxStack } from "./sandboxStack";

const routing = { domainName: "o365.contoso.com", parentDomain: "contoso.com" };

describe("RoutingDomain with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const steps = async (args: Record<string, unknown>): Promise<[string, string, string[]][]> => (await env.plan(args)).steps;
  const domain = async (name: string): Promise<{ id: string; isVerified: boolean; supportedServices: string[]; verificationCode?: string } | undefined> =>
    (await env.tenant()).domains.find((entry) => entry.id === name);

  before(async () => {
    // Strict: Exchange lists a domain verified with Email only 3-8 s later (real tenants: minutes), and refuses every unverified form.
    env = await SandboxStack.start("routingDomain", resolveSeed({ strict: true }));
  });
  after(async () => env?.stop());

  it("previews one create and calls no API", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(routing), [["create", "routing-domain", []]]);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("adds the subdomain, verifies it under its verified parent, enables Email, waits out the lag, and outputs the records to publish", async () => {
    const result = await env.stack.up();
    assert.match(result.stdout + result.stderr, /waiting for Exchange Online to list verified domains as accepted domains \(replication lag.*\): o365\.contoso\.com \(\d+ s so far, at most 1800 s, set by acceptedDomainTimeoutSeconds\)/);
    assert.doesNotMatch(result.stdout + result.stderr, /Undefined value/);
    const added = await domain("o365.contoso.com");
    assert.deepStrictEqual([added?.isVerified, added?.supportedServices], [true, ["Email"]]);
    const outputs = await env.stack.outputs();
    assert.deepStrictEqual(outputs.mxRecord, { label: "o365.contoso.com", mailExchange: "o365-contoso-com.mail.protection.outlook.com", preference: 0, ttl: 3600 });
    assert.deepStrictEqual(outputs.verificationTxtRecord, { label: "o365.contoso.com", text: added?.verificationCode, ttl: 3600 });
    assert.deepStrictEqual(
      [outputs.isVerified, outputs.supportedServices, outputs.parentDomain, outputs.adopt, outputs.deleteAdopted, outputs.acceptedDomainTimeoutSeconds, outputs.ownership],
      [true, ["Email"], "contoso.com", false, false, 1800, "created"],
    );
    assert.strictEqual((await invoke("Get-AcceptedDomain", { Identity: "o365.contoso.com" })).length, 1, "Exchange accepts it");
  });

  it("reports no changes on a second up and writes nothing", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps(routing), []);
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("previews another domain as a replacement, without API writes", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await steps({ ...routing, domainName: "m365.contoso.com" }), [["replace", "routing-domain", ["domainName"]]]);
    assert.deepStrictEqual(await env.writes(), []);
  });

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ["a domain outside the primary domain", { domainName: "o365.fabrikam.com", parentDomain: "contoso.com" }, /RoutingDomain\.domainName: o365\.fabrikam\.com is not a subdomain of parentDomain contoso\.com; use a subdomain of it \(e\.g\. o365\.contoso\.com\)/],
    ["a domain without its parent", { domainName: "o365.fabrikam.com" }, /RoutingDomain\.parentDomain: is required: set the verified domain the routing domain belongs to/],
  ];
  for (const [title, args, message] of refusals) {
    it(`refuses ${title} in preview, naming the field and the fix, without API calls`, async () => {
      await env.setArgs(args);
      await env.resetStats();
      const result = await env.stack.run(["preview"], true);
      assert.notStrictEqual(result.code, 0);
      assert.match(result.stdout + result.stderr, message);
      assert.deepStrictEqual(await env.calls(), []);
      await env.setArgs(routing);
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
    const own = { domainName: "routing.example.net", parentDomain: "example.net" };
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
  });

  describe("a domain this stack did not add", () => {
    const foreign = { domainName: "m365.contoso.com", parentDomain: "contoso.com" };
    const asAddedByHand = { id: "m365.contoso.com", isVerified: true, supportedServices: [] as string[] };
    const facts = async (name: string) => {
      const found = await domain(name);
      return found && { id: found.id, isVerified: found.isVerified, supportedServices: found.supportedServices };
    };

    it("is neither taken over nor changed without adopt: the up fails saying so", async () => {
      await createDomain("m365.contoso.com");
      await verifyDomain("m365.contoso.com");
      await env.setArgs(foreign);
      const result = await env.stack.run(["up", "--yes", "--skip-preview"], true);
      assert.notStrictEqual(result.code, 0);
      assert.match(result.stdout + result.stderr, /m365\.contoso\.com is already in the tenant \(verified, services: none\)\. A domain carries no mark, so nothing shows that this stack added it, and it is left as it is/);
      assert.deepStrictEqual(await facts("m365.contoso.com"), asAddedByHand);
      assert.ok(await domain("routing.example.net"), "the replacement failed, so the stack's own domain stays");
    });

    it("is left by destroy, which deletes only the domain the stack added", async () => {
      await env.stack.destroy();
      assert.strictEqual(await domain("routing.example.net"), undefined);
      assert.deepStrictEqual(await facts("m365.contoso.com"), asAddedByHand);
    });

    it("with adopt, is taken over and gets Email", async () => {
      await env.setArgs({ ...foreign, adopt: true });
      await env.stack.up();
      assert.deepStrictEqual((await facts("m365.contoso.com"))?.supportedServices, ["Email"]);
      assert.strictEqual((await env.stack.outputs()).ownership, "adopted");
    });

    it("is restored by destroy and kept", async () => {
      await env.stack.destroy();
      assert.deepStrictEqual(await facts("m365.contoso.com"), asAddedByHand);
      assert.deepStrictEqual(await env.stack.resources(), []);
    });
  });
});
