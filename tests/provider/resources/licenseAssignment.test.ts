import * as assert from "assert";
import type { GraphUser, SubscribedSku } from "../../../provider/clients/graph";
import { UNKNOWN } from "../../../provider/resources/inputs";
import {
  directAssignment,
  findSku,
  licenseAssignmentProvider as provider,
  planLicenseDiff,
  seatShortage,
} from "../../../provider/resources/licenseAssignment";
import { FakeTenant } from "./fakeApis";

const PLAN_A = "11111111-1111-4111-8111-111111111111";
const PLAN_B = "22222222-2222-4222-8222-222222222222";

describe("LicenseAssignment", () => {
  let tenant: FakeTenant;
  let standard: SubscribedSku;
  const inputs = { userPrincipalName: "alice@contoso.com", sku: "EXCHANGESTANDARD", usageLocation: "gb", __provider: "serialized provider" };

  beforeEach(() => {
    tenant = new FakeTenant().install();
    standard = tenant.addSku("EXCHANGESTANDARD", { enabled: 10, consumed: 3 });
    tenant.addSku("FLOW_FREE", { enabled: 10_000, consumed: 0 }, { appliesTo: "Company" });
    tenant.addMailUser("alice@contoso.com");
    tenant.conversionPolls = 3;
  });
  afterEach(() => tenant.uninstall());

  /** The checked inputs as create or update gets them: the engine adds the serialized provider back. */
  async function checked(values: Record<string, unknown> = inputs, olds: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const result = await provider.check!(olds, values);
    assert.deepStrictEqual(result.failures ?? [], []);
    return { ...result.inputs!, __provider: values.__provider };
  }

  describe("check", () => {
    it("fills in the defaults and reads nothing: a new assignment's SKU is resolved by create", async () => {
      const result = await checked();
      assert.deepStrictEqual(
        { skuId: result.skuId, usageLocation: result.usageLocation, onDelete: result.onDelete, timeout: result.conversionTimeoutSeconds, plans: result.disabledPlans },
        { skuId: undefined, usageLocation: "GB", onDelete: "retain", timeout: 1800, plans: [] },
      );
      assert.deepStrictEqual(tenant.reads, []);
    });

    it("create resolves the SKU by part number or by skuId, before any write", async () => {
      for (const sku of ["EXCHANGESTANDARD", standard.skuId.toUpperCase()]) {
        const { id, outs } = await provider.create(await checked({ ...inputs, sku }));
        assert.deepStrictEqual([id, outs.skuId, outs.skuPartNumber], [`alice@contoso.com/${standard.skuId}`, standard.skuId, "EXCHANGESTANDARD"]);
      }
    });

    it("refuses an unknown SKU at create, before any write, naming the field and what the tenant has", async () => {
      await assert.rejects(provider.create(await checked({ ...inputs, sku: "SPE_E5" })), (error: Error) => {
        assert.match(error.message, /LicenseAssignment\.sku: the tenant has no subscription "SPE_E5"; it has: EXCHANGESTANDARD \(/);
        assert.doesNotMatch(error.message, /FLOW_FREE/, "company SKUs cannot be assigned to users");
        return true;
      });
      assert.deepStrictEqual(tenant.writes, []);
    });

    it("refuses bad inputs with the field named, before any API call", async () => {
      const result = await provider.check!({}, { ...inputs, userPrincipalName: "alice", disabledPlans: ["exchange"], usageLocation: "GBR", onDelete: "purge", conversionTimeoutSeconds: -1 });
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => failure.property),
        ["userPrincipalName", "disabledPlans[0]", "onDelete", "conversionTimeoutSeconds", "usageLocation"],
      );
      assert.match(result.failures!.at(-1)!.reason, /"GBR" is not a two-letter country code \(ISO 3166\), e\.g\. US or GB/);
      assert.deepStrictEqual(tenant.reads, []);
    });

    it("reads nothing for an existing assignment either, whatever the SKU", async () => {
      const { outs } = await provider.create(await checked());
      tenant.reads.length = 0;
      for (const sku of ["EXCHANGESTANDARD", "SPE_E5"]) assert.deepStrictEqual((await provider.check!(outs, { ...inputs, sku })).failures ?? [], []);
      assert.deepStrictEqual(tenant.reads, []);
    });

    it("passes a SKU the engine does not know yet at preview", async () => {
      const result = await checked({ ...inputs, sku: UNKNOWN });
      assert.strictEqual(result.sku, UNKNOWN);
      assert.deepStrictEqual(tenant.reads, []);
    });
  });

  describe("decisions", () => {
    const sku = (fields: Partial<SubscribedSku>): SubscribedSku => ({ skuId: "s", skuPartNumber: "EXCHANGESTANDARD", consumedUnits: 0, prepaidUnits: { enabled: 1 }, ...fields });
    const seats: [string, SubscribedSku, RegExp | undefined][] = [
      ["one free seat is enough", sku({ consumedUnits: 49, prepaidUnits: { enabled: 50 } }), undefined],
      ["no free seat names the SKU and the counts", sku({ consumedUnits: 50, prepaidUnits: { enabled: 50 } }), /no free EXCHANGESTANDARD seat \(skuId s\): 50 enabled, 50 consumed, 0 free/],
      ["over-consumed shows 0 free", sku({ consumedUnits: 52, prepaidUnits: { enabled: 50 } }), /0 free/],
      ["a suspended subscription is refused", sku({ capabilityStatus: "Suspended" }), /subscription is Suspended/],
      ["a subscription in warning still has seats", sku({ capabilityStatus: "Warning" }), undefined],
    ];
    for (const [title, subscription, expected] of seats) {
      it(`seats: ${title}`, () => {
        const shortage = seatShortage(subscription);
        if (expected) assert.match(shortage ?? "", expected);
        else assert.strictEqual(shortage, undefined);
      });
    }

    it("finds a SKU by part number (any case) or skuId, and refuses company SKUs", () => {
      const skus = [sku({ skuId: "33333333-3333-4333-8333-333333333333" }), sku({ skuId: "44444444-4444-4444-8444-444444444444", skuPartNumber: "FLOW_FREE", appliesTo: "Company" })];
      assert.strictEqual((findSku(skus, "exchangestandard") as SubscribedSku).skuId, "33333333-3333-4333-8333-333333333333");
      assert.strictEqual((findSku(skus, "33333333-3333-4333-8333-333333333333") as SubscribedSku).skuPartNumber, "EXCHANGESTANDARD");
      assert.match((findSku(skus, "FLOW_FREE") as { reason: string }).reason, /applies to the company/);
    });

    const user = (fields: Partial<GraphUser>): GraphUser => ({ id: "u", assignedLicenses: [{ skuId: "s", disabledPlans: [] }], ...fields });
    const assignments: [string, GraphUser, boolean][] = [
      ["a direct assignment counts", user({ licenseAssignmentStates: [{ skuId: "s", assignedByGroup: null, state: "Active", error: null }] }), true],
      ["an assignment without states counts", user({}), true],
      ["an assignment only through a group is not ours", user({ licenseAssignmentStates: [{ skuId: "s", assignedByGroup: "g", state: "Active", error: null }] }), false],
      ["another SKU does not count", user({ assignedLicenses: [{ skuId: "t", disabledPlans: [] }] }), false],
    ];
    for (const [title, subject, expected] of assignments) {
      it(`assignment: ${title}`, () => assert.strictEqual(directAssignment(subject, "s") !== undefined, expected));
    }

    const SKU_ID = "33333333-3333-4333-8333-333333333333";
    const stored = { userPrincipalName: "alice@contoso.com", sku: "EXCHANGESTANDARD", skuId: SKU_ID, skuPartNumber: "EXCHANGESTANDARD", disabledPlans: [PLAN_A, PLAN_B], usageLocation: "GB", onDelete: "retain", assigned: true };
    const desired = { userPrincipalName: "alice@contoso.com", sku: "EXCHANGESTANDARD", disabledPlans: [PLAN_B, PLAN_A], usageLocation: "GB", onDelete: "retain" };
    const diffs: [string, Record<string, unknown>, Record<string, unknown>, { changes: boolean; replaces: string[] }][] = [
      ["equal values (plans in another order) are no change", stored, desired, { changes: false, replaces: [] }],
      ["an unset usage location is not managed", stored, { ...desired, usageLocation: undefined }, { changes: false, replaces: [] }],
      ["other disabled plans are an update", stored, { ...desired, disabledPlans: [PLAN_A] }, { changes: true, replaces: [] }],
      ["a new usage location is an update", stored, { ...desired, usageLocation: "US" }, { changes: true, replaces: [] }],
      ["a new onDelete is an update (delete reads it from state)", stored, { ...desired, onDelete: "remove" }, { changes: true, replaces: [] }],
      ["a licence refresh found removed is re-assigned by an update", { ...stored, assigned: false }, desired, { changes: true, replaces: [] }],
      ["the same SKU by its skuId is no change", stored, { ...desired, sku: SKU_ID.toUpperCase() }, { changes: false, replaces: [] }],
      ["the same SKU's part number in another case is no change", stored, { ...desired, sku: "ExchangeStandard" }, { changes: false, replaces: [] }],
      ["another SKU replaces", stored, { ...desired, sku: "O365_BUSINESS_PREMIUM" }, { changes: true, replaces: ["sku"] }],
      ["a SKU not known yet at preview replaces", stored, { ...desired, sku: UNKNOWN }, { changes: true, replaces: ["sku"] }],
      ["another user replaces", stored, { ...desired, userPrincipalName: "bob@contoso.com" }, { changes: true, replaces: ["userPrincipalName"] }],
    ];
    for (const [title, olds, news, expected] of diffs) {
      it(`diff: ${title}`, () => {
        const { changes, replaces, deleteBeforeReplace } = planLicenseDiff(olds, news);
        assert.deepStrictEqual({ changes, replaces }, expected);
        assert.strictEqual(deleteBeforeReplace, false, "the new licence is assigned before the old one goes");
      });
    }
  });

  describe("lifecycle", () => {
    it("sets the usage location, assigns the licence and waits until Exchange shows a mailbox", async () => {
      const { id, outs } = await provider.create(await checked());
      assert.strictEqual(id, `alice@contoso.com/${standard.skuId}`);
      assert.deepStrictEqual(
        tenant.writes.map((write) => write.call),
        ["setUsageLocation", "assignLicense"],
      );
      assert.strictEqual(tenant.recipient("alice@contoso.com")!.RecipientTypeDetails, "UserMailbox");
      assert.strictEqual(outs.recipientTypeDetails, "UserMailbox");
      assert.strictEqual(outs.assigned, true);
      assert.ok(tenant.reads.filter((read) => read.startsWith("exchange Get-Recipient")).length >= 3, "polled until converted");
    });

    it("waits for Microsoft Graph to show a user created moments ago (Entra ID lag), saying so, then licenses it", async () => {
      tenant.hideFromGraph("alice@contoso.com", 6);
      const { outs } = await provider.create(await checked());
      assert.strictEqual(outs.assigned, true);
      assert.match(tenant.notes.join("\n"), /waiting for Microsoft Graph to show users to license .*: alice@contoso\.com \(\d+ s so far, at most 900 s, set by \w+\)/);
    });

    it("fails, naming the wait and its setting, when Graph never shows the user in time, assigning nothing", async () => {
      tenant.hideFromGraph("alice@contoso.com", 1_000);
      await assert.rejects(provider.create(await checked({ ...inputs, userTimeoutSeconds: 60 })), /Microsoft Graph shows no user alice@contoso\.com after 60 s\. .* run pulumi up again to keep waiting \(or raise userTimeoutSeconds\)/);
      assert.deepStrictEqual(tenant.writes, []);
    });

    it("waits for the mailbox, with one progress line for all the users waiting at once", async () => {
      tenant.addMailUser("bob@contoso.com");
      tenant.conversionPolls = 8;
      await Promise.all([provider.create(await checked()), provider.create(await checked({ ...inputs, userPrincipalName: "bob@contoso.com" }))]);
      const lines = tenant.notes.filter((line) => line.startsWith("waiting for Exchange to make licensed users mailboxes"));
      assert.ok(lines.length >= 1, tenant.notes.join("\n"));
      assert.match(lines[0], /: (alice|bob)@contoso\.com and 1 more \(\d+ s so far, at most 1800 s, set by \w+\)/);
    });

    it("refuses a user without usage location when none is given", async () => {
      await assert.rejects(provider.create(await checked({ ...inputs, usageLocation: undefined })), /LicenseAssignment\.usageLocation: alice@contoso\.com has no usage location.*set usageLocation/);
      assert.deepStrictEqual(tenant.writes, []);
    });

    it("refuses clearly when no seat is free, assigning nothing", async () => {
      standard.consumedUnits = 10;
      await assert.rejects(provider.create(await checked()), /LicenseAssignment\.sku: cannot license alice@contoso\.com: no free EXCHANGESTANDARD seat .*10 enabled, 10 consumed, 0 free/);
      assert.deepStrictEqual(tenant.writesTo("graph").filter((write) => write.call === "assignLicense"), []);
    });

    it("when the mailbox does not appear in time, records the assignment and fails the step", async () => {
      tenant.conversionPolls = 1_000;
      await assert.rejects(provider.create(await checked({ ...inputs, conversionTimeoutSeconds: 30 })), (error: Error & { id?: string; properties?: Record<string, unknown> }) => {
        assert.match(error.message, /assigned EXCHANGESTANDARD to alice@contoso\.com, but after 30 s Exchange shows it as MailUser.*run pulumi up again/);
        assert.strictEqual(error.id, `alice@contoso.com/${standard.skuId}`);
        assert.strictEqual(error.properties?.assigned, true);
        assert.strictEqual(error.properties?.__provider, "serialized provider");
        return true;
      });
    });

    it("with conversionTimeoutSeconds 0, does not wait", async () => {
      const { outs } = await provider.create(await checked({ ...inputs, conversionTimeoutSeconds: 0 }));
      assert.strictEqual(outs.recipientTypeDetails, undefined);
      assert.deepStrictEqual(tenant.reads.filter((read) => read.startsWith("exchange")), []);
    });

    it("takes over an identical assignment silently, and refuses a different one unless adopt is set", async () => {
      const user = tenant.users.get("alice@contoso.com")!;
      user.usageLocation = "GB";
      user.assignedLicenses = [{ skuId: standard.skuId, disabledPlans: [PLAN_A] }];
      tenant.recipient("alice@contoso.com")!.RecipientTypeDetails = "UserMailbox";
      await assert.rejects(provider.create(await checked()), /already has EXCHANGESTANDARD with disabled plans \[1111.*\]; set adopt: true to take it over \(it will be changed to match, and its disabled plans given back on delete, never removed, unless deleteAdopted: true\)/);
      await provider.create(await checked({ ...inputs, disabledPlans: [PLAN_A] }));
      assert.match(tenant.notes.join("\n"), /already has EXCHANGESTANDARD exactly as wanted/);
      assert.strictEqual(tenant.writes.length, 0, "nothing written");
      await provider.create(await checked({ ...inputs, adopt: true }));
      assert.deepStrictEqual(
        tenant.writes.map((write) => write.parameters.addLicenses),
        [[{ skuId: standard.skuId, disabledPlans: [] }]],
      );
    });

    it("finds a licence removed out of band on refresh, and the next update assigns it again", async () => {
      const news = await checked();
      const { id, outs } = await provider.create(news);
      tenant.users.get("alice@contoso.com")!.assignedLicenses = [];
      const read = await provider.read!(id, outs);
      assert.strictEqual(read.props?.assigned, false);
      const updateNews = await checked(inputs, read.props!);
      assert.strictEqual((await provider.diff!(id, read.props!, updateNews)).changes, true);
      const updated = await provider.update!(id, read.props!, updateNews);
      assert.strictEqual(updated.outs!.assigned, true);
      assert.strictEqual(tenant.writes.filter((write) => write.call === "assignLicense").length, 2);
      assert.strictEqual((await provider.diff!(id, (await provider.read!(id, updated.outs!)).props!, updateNews)).changes, false);
    });

    it("records a licence the user already had as adopted: with onDelete remove, delete gives back its disabled plans and never removes it, unless deleteAdopted", async () => {
      const user = tenant.users.get("alice@contoso.com")!;
      user.usageLocation = "GB";
      user.assignedLicenses = [{ skuId: standard.skuId, disabledPlans: [PLAN_A] }];
      tenant.recipient("alice@contoso.com")!.RecipientTypeDetails = "UserMailbox";
      const { id, outs } = await provider.create(await checked({ ...inputs, adopt: true, onDelete: "remove" }));
      assert.deepStrictEqual([outs.ownership, outs.adoptedDisabledPlans], ["adopted", [PLAN_A]]);
      await provider.delete!(id, outs);
      assert.deepStrictEqual(user.assignedLicenses, [{ skuId: standard.skuId, disabledPlans: [PLAN_A] }]);
      assert.match(tenant.notes.join("\n"), /kept EXCHANGESTANDARD on alice@contoso\.com: the user had it before this stack \(adopted\)/);
      await provider.delete!(id, { ...outs, deleteAdopted: true });
      assert.deepStrictEqual(user.assignedLicenses, []);
    });

    it("keeps the licence on delete by default, and removes it only with onDelete remove", async () => {
      const retained = await provider.create(await checked());
      const writes = tenant.writes.length;
      await provider.delete!(retained.id, retained.outs);
      assert.strictEqual(tenant.writes.length, writes);
      assert.match(tenant.notes.join("\n"), /kept EXCHANGESTANDARD on alice@contoso\.com/);

      const removed = await provider.update!(retained.id, retained.outs, await checked({ ...inputs, onDelete: "remove" }, retained.outs));
      await provider.delete!(retained.id, removed.outs);
      assert.deepStrictEqual(tenant.writes.at(-1)!.parameters.removeLicenses, [standard.skuId]);
      assert.deepStrictEqual(tenant.users.get("alice@contoso.com")!.assignedLicenses, []);
    });

    it("reports an assignment whose user is gone as gone", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.users.delete("alice@contoso.com");
      assert.deepStrictEqual(await provider.read!(id, outs), {});
    });
  });
});
