import * as assert from "assert";
import { addRemove, invoke } from "../../provider/clients/exchange";
import { assignLicense, getUser, setUsageLocation } from "../../provider/clients/graph";
import { getAutoForwarding, listForwardingAddresses, updateAutoForwarding } from "../../provider/clients/google";
import { urnName, type StackResourceState } from "../../scripts/stack";
import { resolveSeed } from "pulumi-mail-coexistence-sandbox";
import { SandboxStack } from "./sandboxStack";

const route = { userEmail: "ben.adams@contoso.com", forwardTo: "ben.adams@o365.contoso.com" };
/** The test process reads Gmail with the provider's own client; these settings are not in SandboxStack's. */
const GOOGLE_SETTINGS = ["COEXIST_GOOGLE_URL", "COEXIST_GOOGLE_CREDENTIALS", "COEXIST_GOOGLE_ADMIN"];

async function mailUserWithRoutingAddress(first: string): Promise<void> {
  const address = `${first}.adams@contoso.com`;
  await invoke("New-MailUser", { Name: first, ExternalEmailAddress: address, MicrosoftOnlineServicesID: address, Password: "Sandbox-Pa55word" });
  await invoke("Set-MailUser", { Identity: address, EmailAddresses: addRemove({ add: `smtp:${first}.adams@o365.contoso.com` }) });
}

describe("GoogleForwardingRoute with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const resource = async (): Promise<StackResourceState> => (await env.stack.resources()).find((entry) => urnName(entry.urn) === "route")!;

  before(async () => {
    const seed = resolveSeed({});
    const tenant = seed.microsoft[0];
    tenant.domains.push({ name: "o365.contoso.com", isVerified: true, supportedServices: ["Email"] });
    tenant.acceptedDomainTypes = { "contoso.com": "InternalRelay" };
    seed.behaviour.licenceConversionDelaySeconds = 0;
    env = await SandboxStack.start("googleForwardingRoute", seed);
    for (const setting of GOOGLE_SETTINGS) process.env[setting] = env.sandbox.env[setting];
    // Ben is migrated (a mailbox with the routing address); Chloe is still a mail user.
    await mailUserWithRoutingAddress("ben");
    await mailUserWithRoutingAddress("chloe");
    const ben = await getUser("ben.adams@contoso.com", ["id"]);
    await setUsageLocation(ben!.id, "GB");
    await assignLicense(ben!.id, { addLicenses: [{ skuId: "4b9405b0-7788-4568-add1-99614e613b69", disabledPlans: [] }] });
  });
  after(async () => {
    for (const setting of GOOGLE_SETTINGS) delete process.env[setting];
    await env?.stop();
  });

  it("previews one create and writes nothing", async () => {
    await env.resetStats();
    assert.deepStrictEqual((await env.plan(route)).steps, [["create", "route", []]]);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("forwards everything to the routing address and keeps no copy in Gmail", async () => {
    const { stdout, stderr } = await env.stack.up();
    assert.doesNotMatch(stdout + stderr, /Undefined value/);
    assert.strictEqual((await env.stack.outputs()).disposition, "trash", "the default disposition is an output although the program left it out");
    assert.deepStrictEqual(await getAutoForwarding("ben.adams@contoso.com"), { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" });
    assert.deepStrictEqual(await listForwardingAddresses("ben.adams@contoso.com"), [{ forwardingEmail: "ben.adams@o365.contoso.com", verificationStatus: "accepted" }]);
    assert.strictEqual((await resource()).id, "ben.adams@contoso.com");
  });

  it("reports no changes on a second up and writes nothing", async () => {
    await env.resetStats();
    assert.deepStrictEqual((await env.plan(route)).steps, []);
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), []);
  });

  // The engine names the reasons of a replacement (our `replaces`); a dynamic provider cannot name an update's.
  const changes: [string, Record<string, unknown>, string, string[]][] = [
    ["a disposition that keeps a copy", { disposition: "archive" }, "update", []],
    ["another target", { forwardTo: "ben@o365.contoso.com" }, "update", []],
    ["another user", { userEmail: "chloe.adams@contoso.com", forwardTo: "chloe.adams@o365.contoso.com" }, "replace", ["userEmail"]],
  ];
  for (const [title, change, op, reasons] of changes) {
    it(`previews ${title} as ${op === "update" ? "an update" : "a replacement"}, without API writes`, async () => {
      await env.resetStats();
      const { steps } = await env.plan({ ...route, ...change });
      assert.deepStrictEqual(
        steps.filter(([stepOp]) => stepOp !== "create-replacement" && stepOp !== "delete-replaced"),
        [[op, "route", reasons]],
      );
      assert.deepStrictEqual(await env.writes(), []);
    });
  }

  it("refuses to forward a user who is still a mail user (the mail would loop), leaving the route as it was", async () => {
    await env.setArgs({ userEmail: "chloe.adams@contoso.com", forwardTo: "chloe.adams@o365.contoso.com" });
    await assert.rejects(env.stack.up(), /not forwarding chloe\.adams@contoso\.com to chloe\.adams@o365\.contoso\.com: it is a MailUser, whose mail goes back to Google/);
    assert.deepStrictEqual(await getAutoForwarding("chloe.adams@contoso.com"), { enabled: false });
    assert.strictEqual((await getAutoForwarding("ben.adams@contoso.com")).enabled, true);
    await env.setArgs(route);
  });

  it("finds forwarding switched off in Gmail on refresh, and the next up switches it on again", async () => {
    await updateAutoForwarding("ben.adams@contoso.com", { enabled: false });
    await env.stack.refresh();
    assert.strictEqual((await resource()).outputs?.enabled, false);
    assert.deepStrictEqual(
      (await env.plan(route)).steps.map(([op, name]) => [op, name]),
      [["update", "route"]],
    );
    await env.stack.up();
    assert.deepStrictEqual(await getAutoForwarding("ben.adams@contoso.com"), { enabled: true, emailAddress: "ben.adams@o365.contoso.com", disposition: "trash" });
  });

  it("destroy switches forwarding off and removes the forwarding address", async () => {
    await env.resetStats();
    await env.stack.destroy();
    assert.deepStrictEqual(await getAutoForwarding("ben.adams@contoso.com"), { enabled: false });
    assert.deepStrictEqual(await listForwardingAddresses("ben.adams@contoso.com"), []);
    assert.deepStrictEqual(await env.writes(), [
      "gmail DELETE /gmail/v1/users/{id}/settings/forwardingAddresses/{id}",
      "gmail PUT /gmail/v1/users/{id}/settings/autoForwarding",
    ]);
  });
});
