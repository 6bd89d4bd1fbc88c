import * as assert from "assert";
import { invoke } from "../../provider/clients/exchange";
import { getUser } from "../../provider/clients/graph";
import { resolveSeed } from "pulumi-mail-coexistence-sandbox";
import { SandboxStack } from "./sandboxStack";

const STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const UPNS = ["ben.adams@contoso.com", "chloe.adams@contoso.com", "dana.adams@contoso.com"];
const args = { users: Object.fromEntries(UPNS.map((upn) => [upn, { usageLocation: "GB" }])), sku: "EXCHANGESTANDARD" };

describe("LicenseAssignmentSet with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const recipientType = async (upn: string): Promise<string | undefined> => {
    const [found] = await invoke("Get-Recipient", { Identity: upn }).catch(() => []);
    return found?.RecipientTypeDetails as string | undefined;
  };

  before(async () => {
    const seed = resolveSeed({});
    seed.behaviour.licenceConversionDelaySeconds = 1;
    env = await SandboxStack.start("licenseAssignmentSet", seed);
    for (const upn of UPNS) {
      await invoke("New-MailUser", { Name: upn.split("@")[0], ExternalEmailAddress: upn, MicrosoftOnlineServicesID: upn, Password: "Sandbox-Pa55word" });
    }
  });
  after(async () => env?.stop());

  it("previews three users as one create and calls no API", async () => {
    await env.resetStats();
    assert.deepStrictEqual((await env.plan(args)).steps, [["create", "batch", []]]);
    assert.deepStrictEqual(await env.calls(), []);
  });

  it("licenses the three users and waits until Exchange shows their mailboxes", async () => {
    await env.stack.up();
    for (const upn of UPNS) {
      assert.deepStrictEqual((await getUser(upn, ["assignedLicenses"]))?.assignedLicenses?.map((license) => license.skuId), [STANDARD], upn);
      assert.strictEqual(await recipientType(upn), "UserMailbox", upn);
    }
    const [set] = await env.stack.resources();
    const users = set.outputs?.users as Record<string, Record<string, unknown>>;
    assert.deepStrictEqual(Object.keys(users).sort(), UPNS);
    assert.deepStrictEqual([users[UPNS[0]].id, users[UPNS[0]].recipientTypeDetails, set.outputs?.sku], [`${UPNS[0]}/${STANDARD}`, "UserMailbox", "EXCHANGESTANDARD"]);
  });

  it("plans nothing on a second preview and writes nothing on a second up", async () => {
    await env.resetStats();
    assert.deepStrictEqual((await env.plan(args)).steps, []);
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), []);
  });
});
