import * as assert from "assert";
import { configureFromStack } from "../../../provider/config";
import { distributionGroupProvider as provider, membersAsWanted } from "../../../provider/resources/distributionGroup";
import { distributionGroupSetProvider } from "../../../provider/resources/distributionGroupSet";
import { mailContactProvider } from "../../../provider/resources/mailContact";
import { creationToken, ownerMark } from "../../../provider/resources/ownership";
import { FakeTenant } from "./fakeApis";
import { OWNER } from "./sets";

type Values = Record<string, unknown>;

const MARK = ownerMark(OWNER);
const inputs: Values = {
  name: "Product launch",
  primarySmtpAddress: "launch@contoso.com",
  emailAddresses: ["launch-team@contoso.com", "launch@gsuite.contoso.com"],
  members: ["ada@contoso.com", "chloe@contoso.com"],
  owner: OWNER,
  holder: "group-launch",
};

async function checked(values: Values = inputs, olds: Values = {}): Promise<Values> {
  const result = await provider.check!(olds, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs!;
}

const calls = (tenant: FakeTenant): string[] => tenant.writes.map((write) => write.call);

describe("DistributionGroup", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
    tenant.addDomain("contoso.com", {}, "InternalRelay");
    for (const name of ["ada", "chloe", "noor"]) tenant.addMailUser(`${name}@contoso.com`);
  });
  afterEach(() => {
    tenant.uninstall();
    configureFromStack({ get: () => undefined });
  });

  describe("check", () => {
    it("fills in the defaults: the alias from the address, takes mail from outside, the mark in CustomAttribute15", async () => {
      const result = await checked({ ...inputs, primarySmtpAddress: "Launch@Contoso.com" });
      assert.deepStrictEqual(
        [result.alias, result.displayName, result.primarySmtpAddress, result.requireSenderAuthenticationEnabled, result.ownerAttribute, result.adopt, result.deleteAdopted],
        ["launch", "Product launch", "launch@contoso.com", false, "CustomAttribute15", false, false],
      );
    });

    it("names every bad field: the group as its own member, its address among the others, a bad member", async () => {
      const result = await provider.check!({}, { ...inputs, members: ["launch@contoso.com"], emailAddresses: ["launch@contoso.com"], ownerAttribute: "Notes" });
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => failure.reason),
        [
          "DistributionGroup.members: launch@contoso.com is the group itself; a group cannot be its own member",
          "DistributionGroup.emailAddresses[0]: launch@contoso.com is the primarySmtpAddress; list only the other addresses",
          'DistributionGroup.ownerAttribute: "Notes" is not one of CustomAttribute1 … CustomAttribute15',
        ],
      );
      assert.deepStrictEqual([...tenant.reads, ...tenant.writes], []);
    });
  });

  describe("create", () => {
    it("creates the group with its members under the creation token, then names it, marks it and adds the addresses Exchange can hold", async () => {
      const { id, outs } = await provider.create(await checked());
      assert.deepStrictEqual(calls(tenant), ["New-DistributionGroup", "Set-DistributionGroup"]);
      const [created, marked] = tenant.writes.map((write) => write.parameters);
      assert.deepStrictEqual(created, {
        Name: `Product launch [creating ${creationToken(OWNER, "launch@contoso.com")}]`,
        Alias: "launch",
        DisplayName: "Product launch",
        PrimarySmtpAddress: "launch@contoso.com",
        Type: "Distribution",
        RequireSenderAuthenticationEnabled: false,
        Members: ["ada@contoso.com", "chloe@contoso.com"],
      });
      assert.deepStrictEqual(marked, {
        Identity: id,
        Name: "Product launch",
        CustomAttribute15: MARK,
        EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: ["smtp:launch-team@contoso.com"] },
        BypassSecurityGroupManagerCheck: true,
      });
      assert.deepStrictEqual([outs.ownership, outs.proxyAddresses, outs.unroutableAddresses], ["created", ["launch@contoso.com", "launch-team@contoso.com"], ["launch@gsuite.contoso.com"]]);
      assert.ok(tenant.notes.some((text) => text.includes("launch@gsuite.contoso.com not added as proxy addresses")), tenant.notes.join("\n"));
      assert.deepStrictEqual(await provider.diff!(id, outs, await checked()), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("takes over its own group an interrupted create left (creation token in the name) and finishes it", async () => {
      await provider.create(await checked());
      const group = tenant.recipient("launch@contoso.com")!;
      Object.assign(group, { Name: `Product launch [creating ${creationToken(OWNER, "launch@contoso.com")}]`, CustomAttribute15: "", Members: [] });
      tenant.writes.length = 0;
      const { outs } = await provider.create(await checked());
      assert.deepStrictEqual([outs.ownership, calls(tenant)], ["created", ["Set-DistributionGroup", "Update-DistributionGroupMember"]]);
      assert.strictEqual(group.Name, "Product launch");
    });

    it("refuses a group of that address it did not create, unless adopt; adopted, delete restores it with its members", async () => {
      tenant.recipients.set("g-1", {
        Guid: "g-1",
        ExternalDirectoryObjectId: "",
        RecipientTypeDetails: "MailUniversalDistributionGroup",
        Name: "Launch",
        Alias: "launch",
        DisplayName: "Launch",
        MicrosoftOnlineServicesID: "",
        PrimarySmtpAddress: "launch@contoso.com",
        EmailAddresses: ["SMTP:launch@contoso.com"],
        CustomAttribute15: "HR",
        Members: [tenant.recipient("noor@contoso.com")!.Guid],
        RequireSenderAuthenticationEnabled: true,
      });
      await assert.rejects(provider.create(await checked()), /distribution group launch@contoso.com already exists and was not created by this stack; it is left as it is\. Set adopt: true/);
      const { id, outs } = await provider.create(await checked({ ...inputs, adopt: true }));
      const group = tenant.recipient("launch@contoso.com")!;
      assert.deepStrictEqual([outs.ownership, group.CustomAttribute15, group.RequireSenderAuthenticationEnabled, group.Members!.length], ["adopted", `${MARK} [adopted] HR`, false, 2]);
      await provider.delete!(id, outs);
      assert.deepStrictEqual(
        [group.Name, group.CustomAttribute15, group.RequireSenderAuthenticationEnabled, group.EmailAddresses, group.Members],
        ["Launch", "HR", true, ["SMTP:launch@contoso.com"], [tenant.recipient("noor@contoso.com")!.Guid]],
      );
    });

    it("replaces this stack's mail contact for the address (the group's plan changed from keep to migrate) in one up", async () => {
      const contact = await mailContactProvider.check!({}, { name: "Product launch", primarySmtpAddress: "launch@contoso.com", externalEmailAddress: "launch@gsuite.contoso.com", owner: OWNER });
      await mailContactProvider.create(contact.inputs!);
      const { outs } = await provider.create(await checked());
      assert.strictEqual(tenant.recipient("launch@contoso.com")!.RecipientTypeDetails, "MailUniversalDistributionGroup");
      assert.ok(!tenant.recipient("launch@gsuite.contoso.com"), "the contact is gone");
      assert.strictEqual(outs.ownership, "created");
      assert.ok(tenant.notes.some((text) => text.includes("removed this stack's mail contact Product launch, which held the address")), tenant.notes.join("\n"));
    });

    it("refuses an address another kind of recipient holds, naming it", async () => {
      await assert.rejects(provider.create(await checked({ ...inputs, primarySmtpAddress: "ada@contoso.com", members: [] })), /ada@contoso\.com is already held by the MailUser ada/);
    });
  });

  describe("update, refresh, delete", () => {
    it("keeps the members in sync: a member removed by hand is drift, and the next up puts back the wanted list in one call", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.recipient("launch@contoso.com")!.Members = [tenant.recipient("noor@contoso.com")!.Guid];
      const { props } = await provider.read!(id, outs);
      assert.deepStrictEqual(props!.members, ["noor@contoso.com"]);
      assert.strictEqual((await provider.diff!(id, props!, await checked())).changes, true);
      tenant.writes.length = 0;
      await provider.update!(id, props!, await checked());
      assert.deepStrictEqual(tenant.writes.map((write) => [write.call, write.parameters.Members]), [["Update-DistributionGroupMember", ["ada@contoso.com", "chloe@contoso.com"]]]);
    });

    it("an address no longer wanted is removed, a new one added; proxies Exchange added itself stay", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.recipient("launch@contoso.com")!.EmailAddresses.push("smtp:launch@contoso.onmicrosoft.com");
      tenant.writes.length = 0;
      await provider.update!(id, outs, await checked({ ...inputs, emailAddresses: ["go-live@contoso.com"] }));
      assert.deepStrictEqual(tenant.writes[0].parameters.EmailAddresses, { "@odata.type": "#Exchange.GenericHashTable", Add: ["smtp:go-live@contoso.com"], Remove: ["smtp:launch-team@contoso.com"] });
      assert.deepStrictEqual(tenant.recipient("launch@contoso.com")!.EmailAddresses, ["SMTP:launch@contoso.com", "smtp:launch@contoso.onmicrosoft.com", "smtp:go-live@contoso.com"]);
    });

    it("a new address replaces the group, the old one first (names are unique)", async () => {
      const { id, outs } = await provider.create(await checked());
      assert.deepStrictEqual(await provider.diff!(id, outs, await checked({ ...inputs, primarySmtpAddress: "go-live@contoso.com" })), {
        changes: true,
        replaces: ["primarySmtpAddress"],
        deleteBeforeReplace: true,
      });
    });

    it("refuses to update a group another stack's mark is on now", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.recipient("launch@contoso.com")!.CustomAttribute15 = ownerMark("other/prod");
      await assert.rejects(provider.update!(id, outs, await checked()), /now carries the mark of the stack other\/prod, which took it over/);
    });

    it("delete removes the group it created, and leaves one that no longer carries its mark", async () => {
      const first = await provider.create(await checked());
      tenant.recipient("launch@contoso.com")!.CustomAttribute15 = "";
      await provider.delete!(first.id, first.outs);
      assert.ok(tenant.recipient("launch@contoso.com"), "left: not this stack's any more");
      tenant.recipient("launch@contoso.com")!.CustomAttribute15 = MARK;
      tenant.writes.length = 0;
      await provider.delete!(first.id, first.outs);
      assert.deepStrictEqual(tenant.writes.map((write) => [write.call, write.parameters]), [["Remove-DistributionGroup", { Identity: first.id, Confirm: false, BypassSecurityGroupManagerCheck: true }]]);
      await provider.delete!(first.id, first.outs);
    });
  });

  it("names live members by the wanted address they answer to, else by their primary address", () => {
    const live = [
      { Guid: "1", PrimarySmtpAddress: "ben.adams@contoso.com", EmailAddresses: ["SMTP:ben.adams@contoso.com", "smtp:ben@contoso.com"] },
      { Guid: "2", PrimarySmtpAddress: "x@contoso.com", EmailAddresses: ["SMTP:x@contoso.com"] },
      { Guid: "3", PrimarySmtpAddress: "partner@fabrikam.com", EmailAddresses: ["SMTP:partner@fabrikam.com"], ExternalEmailAddress: "SMTP:partner@fabrikam.com" },
    ];
    assert.deepStrictEqual(membersAsWanted(live, ["ben@contoso.com", "partner@fabrikam.com"]), ["ben@contoso.com", "x@contoso.com", "partner@fabrikam.com"]);
  });

  it("a set creates a group after the group of the set it holds as a member", async () => {
    const set = await distributionGroupSetProvider.check!({}, {
      groups: {
        "all@contoso.com": { name: "Everyone", members: ["launch@contoso.com", "noor@contoso.com"] },
        "launch@contoso.com": { name: "Product launch", members: ["ada@contoso.com"] },
      },
      owner: OWNER,
      holder: "groups",
    });
    assert.deepStrictEqual(set.failures ?? [], []);
    const { outs } = await distributionGroupSetProvider.create(set.inputs!);
    assert.deepStrictEqual(
      tenant.writes.filter((write) => write.call === "New-DistributionGroup").map((write) => write.parameters.PrimarySmtpAddress),
      ["launch@contoso.com", "all@contoso.com"],
    );
    assert.deepStrictEqual(Object.keys(outs.groups as Values).sort(), ["all@contoso.com", "launch@contoso.com"]);
  });
});
