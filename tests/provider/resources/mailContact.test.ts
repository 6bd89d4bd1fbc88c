import * as assert from "assert";
import { configureFromStack } from "../../../provider/config";
import { distributionGroupProvider } from "../../../provider/resources/distributionGroup";
import { defaultContactAlias, mailContactProvider as provider } from "../../../provider/resources/mailContact";
import { creationToken, ownerMark } from "../../../provider/resources/ownership";
import { FakeTenant } from "./fakeApis";
import { OWNER } from "./sets";

type Values = Record<string, unknown>;

const inputs: Values = {
  name: "Support desk",
  primarySmtpAddress: "support@contoso.com",
  emailAddresses: ["help@contoso.com", "help@gsuite.contoso.com"],
  externalEmailAddress: "support@gsuite.contoso.com",
  owner: OWNER,
  holder: "group-support",
};

async function checked(values: Values = inputs): Promise<Values> {
  const result = await provider.check!({}, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs!;
}

describe("MailContact", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
    tenant.addDomain("contoso.com", {}, "InternalRelay");
  });
  afterEach(() => {
    tenant.uninstall();
    configureFromStack({ get: () => undefined });
  });

  it("a kept group: created under the creation token, then named, marked, given the group's address as primary and its aliases on accepted domains", async () => {
    const { id, outs } = await provider.create(await checked());
    assert.deepStrictEqual(
      tenant.writes.map((write) => [write.call, write.parameters]),
      [
        ["New-MailContact", { Name: `Support desk [creating ${creationToken(OWNER, "support@contoso.com")}]`, Alias: "support", DisplayName: "Support desk", ExternalEmailAddress: "support@gsuite.contoso.com" }],
        ["Set-MailContact", { Identity: id, Name: "Support desk", CustomAttribute15: ownerMark(OWNER), EmailAddresses: ["SMTP:support@contoso.com", "smtp:support@gsuite.contoso.com", "smtp:help@contoso.com"] }],
      ],
    );
    assert.deepStrictEqual([outs.proxyAddresses, outs.unroutableAddresses], [["support@contoso.com", "support@gsuite.contoso.com", "help@contoso.com"], ["help@gsuite.contoso.com"]]);
    assert.deepStrictEqual(await provider.diff!(id, outs, await checked()), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("an outside member: the contact is the outside address, its alias naming the domain so it clashes with no user's", async () => {
    const result = await checked({ name: "partner@fabrikam.com", externalEmailAddress: "Partner@Fabrikam.com", owner: OWNER });
    assert.deepStrictEqual([result.primarySmtpAddress, result.alias], ["partner@fabrikam.com", "partner.fabrikam.com"]);
    const { outs } = await provider.create(result);
    assert.deepStrictEqual(outs.proxyAddresses, ["partner@fabrikam.com"]);
    assert.strictEqual(defaultContactAlias("a+b@x.example", "a+b@x.example"), "a-b.x.example");
  });

  it("refuses a primary address Exchange cannot hold, naming the fix", async () => {
    await assert.rejects(provider.create(await checked({ ...inputs, primarySmtpAddress: "support@contoso.org" })), /support@contoso\.org is on contoso\.org, which is not an accepted domain of Exchange Online/);
  });

  it("a new external address is set in place; the primary stays", async () => {
    const { id, outs } = await provider.create(await checked());
    tenant.writes.length = 0;
    await provider.update!(id, outs, await checked({ ...inputs, externalEmailAddress: "support@g.contoso.com" }));
    assert.deepStrictEqual(tenant.writes.map((write) => write.parameters.ExternalEmailAddress), ["support@g.contoso.com"]);
    assert.strictEqual(tenant.recipient("support@contoso.com")!.PrimarySmtpAddress, "support@contoso.com");
  });

  it("refresh shows an external address changed by hand as drift, and a contact removed by hand as gone", async () => {
    const { id, outs } = await provider.create(await checked());
    tenant.recipient("support@contoso.com")!.ExternalEmailAddress = "SMTP:support@elsewhere.example";
    const { props } = await provider.read!(id, outs);
    assert.deepStrictEqual([props!.externalEmailAddress, props!.name, props!.ownership, props!.proxyAddresses], ["support@elsewhere.example", "Support desk", "created", outs.proxyAddresses]);
    assert.strictEqual((await provider.diff!(id, props!, await checked())).changes, true);
    await provider.delete!(id, outs);
    assert.deepStrictEqual(await provider.read!(id, outs), {});
  });

  it("replaces this stack's distribution group for the address (the plan changed from migrate to keep); delete removes the contact it created", async () => {
    const group = await distributionGroupProvider.check!({}, { name: "Support desk", primarySmtpAddress: "support@contoso.com", members: [], owner: OWNER });
    await distributionGroupProvider.create(group.inputs!);
    const { id, outs } = await provider.create(await checked());
    assert.strictEqual(tenant.recipient("support@contoso.com")!.RecipientTypeDetails, "MailContact");
    await provider.delete!(id, outs);
    assert.strictEqual(tenant.recipient("support@contoso.com"), undefined);
  });

  it("leaves another stack's group of that address alone, naming it", async () => {
    const group = await distributionGroupProvider.check!({}, { name: "Support desk", primarySmtpAddress: "support@contoso.com", members: [], owner: "other/prod" });
    await distributionGroupProvider.create(group.inputs!);
    await assert.rejects(provider.create(await checked()), /support@contoso\.com is already held by the MailUniversalDistributionGroup Support desk, managed by the stack other\/prod/);
  });
});
