import * as assert from "assert";
import { googleForwardingRouteSetProvider as routeSetProvider } from "../../../provider/resources/googleForwardingRouteSet";
import type { ResourceSetDiff } from "../../../provider/resources/resourceSet";
import { FakeTenant } from "./fakeApis";
import { itemsOf, migrated } from "./sets";

const routes = { "alice@contoso.com": { forwardTo: "alice@o365.contoso.com" }, "bob@contoso.com": { forwardTo: "bob@o365.contoso.com" } };

describe("GoogleForwardingRouteSet", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

  describe("update", () => {
    it("a new shared disposition updates every route, stored once for the set", async () => {
      migrated(tenant, "alice", "bob");
      const { id, outs } = await routeSetProvider.create((await routeSetProvider.check!({}, { routes })).inputs!);
      assert.deepStrictEqual([outs.disposition, "disposition" in itemsOf(outs)["alice@contoso.com"]], ["trash", false]);
      const news = (await routeSetProvider.check!({}, { routes, disposition: "archive" })).inputs!;
      assert.deepStrictEqual(Object.keys(((await routeSetProvider.diff!(id, outs, news)) as ResourceSetDiff).detailedDiff), ['routes["alice@contoso.com"]', 'routes["bob@contoso.com"]']);
      await routeSetProvider.update!(id, outs, news);
      assert.deepStrictEqual([tenant.gmail.get("alice@contoso.com")?.autoForwarding.disposition, tenant.gmail.get("bob@contoso.com")?.autoForwarding.disposition], ["archive", "archive"]);
    });
  });

  describe("delete", () => {
    it("a failed item delete names the item; the others are deleted", async () => {
      migrated(tenant, "alice", "bob");
      const { id, outs } = await routeSetProvider.create((await routeSetProvider.check!({}, { routes })).inputs!);
      const unavailable = { forwardingAddresses: [], get autoForwarding(): never { throw new Error("Google 503: backend error"); } };
      tenant.gmail.set("bob@contoso.com", unavailable as never);
      await assert.rejects(routeSetProvider.delete!(id, outs), /GoogleForwardingRouteSet: delete failed for 1 of 2 routes:\n {2}bob@contoso\.com: Google 503: backend error\nThe others are deleted; run the command again to retry\./);
      assert.strictEqual(tenant.gmail.get("alice@contoso.com")?.autoForwarding.enabled, false);
    });
  });
});
