import * as assert from "assert";
import { licenseAssignmentSetProvider } from "../../../provider/resources/licenseAssignmentSet";
import { FakeTenant } from "./fakeApis";
import { itemsOf, SERIALIZED, type Values } from "./sets";

describe("LicenseAssignmentSet", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

  describe("create", () => {
    it("a sku shortage fails only the users without a seat; the others are licensed and recorded", async () => {
      tenant.addSku("EXCHANGESTANDARD", { enabled: 1, consumed: 0 });
      for (const upn of ["alice@contoso.com", "bob@contoso.com"]) tenant.addMailUser(upn);
      const result = await licenseAssignmentSetProvider.check!({}, { users: { "alice@contoso.com": { usageLocation: "GB" }, "bob@contoso.com": { usageLocation: "GB" } }, sku: "EXCHANGESTANDARD" });
      const inputs = { ...result.inputs!, __provider: SERIALIZED };
      const error = await licenseAssignmentSetProvider.create(inputs).then(
        () => assert.fail("only one seat is free"),
        (failure: Error & { properties?: Values }) => failure,
      );
      assert.match(error.message, /LicenseAssignmentSet: create\/update failed for 1 of 2 users:\n {2}\w+@contoso\.com: LicenseAssignment\.sku: cannot license .*no free EXCHANGESTANDARD seat/);
      const licensed = Object.values(itemsOf(error.properties!));
      assert.strictEqual(licensed.length, 1);
      assert.deepStrictEqual([licensed[0].recipientTypeDetails, licensed[0].assigned, "sku" in licensed[0]], ["UserMailbox", true, false]);
      assert.strictEqual(error.properties!.sku, "EXCHANGESTANDARD", "shared inputs are stored once, for the set");
    });
  });
});
