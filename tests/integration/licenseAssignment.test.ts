import * as assert from "assert";
import { invoke } from "../../provider/clients/exchange";
import { assignLicense, getUser } from "../../provider/clients/graph";
import { urnName, type StackResourceState } from "../../scripts/stack";
import { resolveSeed } from "pulumi-mail-coexistence-sandbox";
import { SandboxStack } from "./sandboxStack";

const STANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const licenses = {
  ben: { userPrincipalName: "ben.adams@contoso.com", sku: "EXCHANGESTANDARD", usageLocation: "GB" },
  chloe: { userPrincipalName: "chloe.adams@contoso.com", sku: "EXCHANGESTANDARD", usageLocation: "GB", onDelete: "remove" },
};

describe("LicenseAssignment with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const recipientType = async (upn: string): Promise<string | undefined> => {
    const [found] = await invoke("Get-Recipient", { Identity: upn }).catch(() => []);
    return found?.RecipientTypeDetails as string | undefined;
  };
  const skusOf = async (upn: string): Promise<string[]> => ((await getUser(upn, ["assignedLicenses"]))?.assignedLicenses ?? []).map((license) => license.skuId);
  const resource = async (name: string): Promise<StackResourceState> => (await env.stack.resources()).find((entry) => urnName(entry.urn) === name)!;

  before(async () => {
    const seed = resolveSeed({});
    seed.behaviour.licenceConversionDelaySeconds = 1;
    env = await SandboxStack.start("licenseAssignment", seed);
    for (const first of ["ben", "chloe"]) {
      const address = `${first}.adams@contoso.com`;
      await invoke("New-MailUser", { Name: first, ExternalEmailAddress: address, MicrosoftOnlineServicesID: address, Password: "Sandbox-Pa55word" });
    }
  });
  after(async () => env?.stop());

  it("previews an unknown SKU without any API call, and refuses it at up before any write, naming the field and the tenant's SKUs", async () => {
    await env.resetStats();
    await env.setArgs({ ben: { ...licenses.ben, sku: "SPE_E5" } });
    await env.stack.preview();
    assert.deepStrictEqual(await env.calls(), []);
    const up = await env.stack.run(["up", "--yes", "--skip-preview"], true);
    assert.notStrictEqual(up.code, 0);
    assert.match(up.stdout + up.stderr, /LicenseAssignment\.sku: the tenant has no subscription \\?"SPE_E5\\?"; it has: EXCHANGESTANDARD/);
    assert.deepStrictEqual(await env.writes(), []);
  });

  it("previews two creates and calls no API", async () => {
    await env.resetStats();
    const { steps } = await env.plan(licenses);
    assert.deepStrictEqual(
      steps.map(([op, name]) => [op, name]).sort(),
      [
        ["create", "ben"],
        ["create", "chloe"],
      ],
    );
    assert.deepStrictEqual(await env.calls(), []);
  });

  it("assigns the licences and waits until Exchange shows mailboxes", async () => {
    await env.stack.up();
    assert.deepStrictEqual([await skusOf("ben.adams@contoso.com"), await recipientType("ben.adams@contoso.com")], [[STANDARD], "UserMailbox"]);
    assert.strictEqual(await recipientType("chloe.adams@contoso.com"), "UserMailbox");
    const ben = await resource("ben");
    assert.strictEqual(ben.id, `ben.adams@contoso.com/${STANDARD}`);
    assert.deepStrictEqual([ben.outputs?.recipientTypeDetails, ben.outputs?.assigned, ben.outputs?.usageLocation], ["UserMailbox", true, "GB"]);
  });

  it("reports no changes on a second up and writes nothing", async () => {
    await env.resetStats();
    assert.deepStrictEqual((await env.plan(licenses)).steps, []);
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), []);
  });

  // The engine names the reasons of a replacement (our `replaces`); a dynamic provider cannot name an update's.
  const changes: [string, Record<string, unknown>, [string, string, string[]][]][] = [
    ["the SKU named by its skuId (the same SKU)", { sku: STANDARD }, []],
    ["another usage location", { usageLocation: "US" }, [["update", "ben", []]]],
    ["disabled plans", { disabledPlans: ["5dbe027f-2339-4123-9542-606e4d348a72"] }, [["update", "ben", []]]],
    ["onDelete remove", { onDelete: "remove" }, [["update", "ben", []]]],
    ["another SKU", { sku: "O365_BUSINESS_PREMIUM" }, [["replace", "ben", ["sku"]]]],
    ["another user", { userPrincipalName: "dev.adams@contoso.com" }, [["replace", "ben", ["userPrincipalName"]]]],
  ];
  for (const [title, change, expected] of changes) {
    it(`previews ${title} as ${expected[0]?.[0] ?? "no change"}, without API writes`, async () => {
      await env.resetStats();
      const { steps } = await env.plan({ ...licenses, ben: { ...licenses.ben, ...change } });
      assert.deepStrictEqual(
        steps.filter(([op]) => op !== "create-replacement" && op !== "delete-replaced"),
        expected,
      );
      assert.deepStrictEqual(await env.writes(), []);
    });
  }

  it("finds a licence removed out of band on refresh, and the next up assigns it again and waits for the mailbox", async () => {
    await env.setArgs(licenses);
    const ben = await getUser("ben.adams@contoso.com", ["id"]);
    await assignLicense(ben!.id, { removeLicenses: [STANDARD] });
    await env.stack.refresh();
    assert.strictEqual((await resource("ben")).outputs?.assigned, false);
    assert.deepStrictEqual(
      (await env.plan(licenses)).steps.map(([op, name]) => [op, name]),
      [["update", "ben"]],
    );
    await env.resetStats();
    await env.stack.up();
    assert.deepStrictEqual((await env.writes()).filter((write) => !/assignLicense/.test(write)), [], "only the licence is assigned");
    assert.deepStrictEqual(await skusOf("ben.adams@contoso.com"), [STANDARD]);
    assert.strictEqual(await recipientType("ben.adams@contoso.com"), "UserMailbox");
  });

  it("destroy keeps a retained licence and removes one with onDelete remove", async () => {
    const output = await env.stack.destroy();
    assert.deepStrictEqual(await skusOf("ben.adams@contoso.com"), [STANDARD]);
    assert.deepStrictEqual(await skusOf("chloe.adams@contoso.com"), []);
    assert.match(output.stdout, /kept EXCHANGESTANDARD on ben\.adams@contoso\.com \(onDelete "retain"\)/);
    assert.match(output.stdout, /removed EXCHANGESTANDARD from chloe\.adams@contoso\.com/);
  });
});

describe("LicenseAssignment when Exchange converts slower than conversionTimeoutSeconds", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  const license = { ben: { userPrincipalName: "ben.adams@contoso.com", sku: "EXCHANGESTANDARD", usageLocation: "GB", conversionTimeoutSeconds: 2 } };

  before(async () => {
    const seed = resolveSeed({});
    seed.behaviour.licenceConversionDelaySeconds = 8;
    env = await SandboxStack.start("licenseAssignment", seed);
    await invoke("New-MailUser", { Name: "ben", ExternalEmailAddress: "ben.adams@contoso.com", MicrosoftOnlineServicesID: "ben.adams@contoso.com", Password: "Sandbox-Pa55word" });
    await env.setArgs(license);
  });
  after(async () => env?.stop());

  it("fails the step after the timeout but records the assignment, and the next up waits again without assigning twice", async () => {
    const first = await env.stack.run(["up", "--yes", "--skip-preview"], true);
    assert.notStrictEqual(first.code, 0);
    assert.match(first.stdout, /assigned EXCHANGESTANDARD to ben\.adams@contoso\.com, but after 2 s Exchange shows it as MailUser.*run pulumi up again to keep waiting/);
    const [recorded] = await env.stack.resources();
    assert.deepStrictEqual([recorded.id, recorded.outputs?.assigned, recorded.outputs?.recipientTypeDetails], [`ben.adams@contoso.com/${STANDARD}`, true, "MailUser"]);

    await env.setArgs({ ben: { ...license.ben, conversionTimeoutSeconds: 60 } });
    await env.resetStats();
    await env.stack.up();
    assert.deepStrictEqual(await env.writes(), [], "the licence is not assigned again");
    const [finished] = await env.stack.resources();
    assert.strictEqual(finished.outputs?.recipientTypeDetails, "UserMailbox");
  });
});
