import * as assert from "assert";
import { acceptedDomainProvider as provider, teardownTypeFor, type DomainType } from "../../../provider/resources/acceptedDomain";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { FakeTenant } from "./fakeApis";

type Values = Record<string, unknown>;

const inputs = { domainName: "contoso.com" };

async function checked(values: Values = inputs): Promise<Values> {
  const result = await provider.check!({}, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs!;
}

describe("AcceptedDomain", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

  const domainType = (): string | undefined => tenant.acceptedDomains.get("contoso.com");
  const exchangeWrites = (): string[] => tenant.writesTo("exchange").map((write) => `${write.call} ${String(write.parameters.DomainType)}`);

  describe("check", () => {
    it("defaults to Internal Relay while it exists, leaves the teardown type to what create finds, and lower-cases the domain", async () => {
      assert.deepStrictEqual(await checked({ domainName: "Contoso.COM." }), {
        domainName: "contoso.com",
        domainType: "InternalRelay",
        adopt: false,
        acceptedDomainTimeoutSeconds: 1800,
      });
    });

    it("refuses a wildcard and an unknown type, naming the fields, with no API call", async () => {
      const result = await provider.check!({}, { domainName: "*.contoso.com", domainType: "ExternalRelay" });
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => failure.property),
        ["domainName", "domainType"],
      );
      assert.match(result.failures![1].reason, /AcceptedDomain\.domainType: "ExternalRelay" is not one of Authoritative, InternalRelay/);
      assert.deepStrictEqual([...tenant.reads, ...tenant.writes], []);
    });

    it("passes a domain the engine does not know yet at preview", async () => {
      assert.strictEqual((await checked({ domainName: UNKNOWN })).domainName, UNKNOWN);
    });
  });

  describe("diff", () => {
    const stored = { domainName: "contoso.com", domainType: "InternalRelay", teardownDomainType: "Authoritative", adopt: false, previousDomainType: "Authoritative" };
    const desired = { domainName: "contoso.com", domainType: "InternalRelay", teardownDomainType: "Authoritative", adopt: false };
    const cases: [string, Values, Values, { changes: boolean; replaces: string[] }][] = [
      ["equal values are no change", stored, desired, { changes: false, replaces: [] }],
      ["a re-cased domain is no change", stored, { ...desired, domainName: "Contoso.com" }, { changes: false, replaces: [] }],
      ["the type changed in Exchange (found by refresh) is drift", { ...stored, domainType: "Authoritative" }, desired, { changes: true, replaces: [] }],
      ["a new type is an update (cutover)", stored, { ...desired, domainType: "Authoritative" }, { changes: true, replaces: [] }],
      ["a new teardown type is an update", stored, { ...desired, teardownDomainType: "InternalRelay" }, { changes: true, replaces: [] }],
      ["a teardown type left unset is no change (the type found at create stays)", stored, { ...desired, teardownDomainType: undefined }, { changes: false, replaces: [] }],
      ["another wait is no change", stored, { ...desired, acceptedDomainTimeoutSeconds: 60 }, { changes: false, replaces: [] }],
      ["another domain replaces", stored, { ...desired, domainName: "fabrikam.com" }, { changes: true, replaces: ["domainName"] }],
    ];
    for (const [title, olds, news, expected] of cases) {
      it(title, async () => {
        const { changes, replaces } = await provider.diff!("contoso.com", olds, news);
        assert.deepStrictEqual({ changes, replaces }, expected);
      });
    }
  });

  describe("create", () => {
    it("makes the domain Internal Relay and remembers the type it had", async () => {
      tenant.addDomain("contoso.com", {}, "Authoritative");
      const { id, outs } = await provider.create(await checked());
      assert.strictEqual(id, "contoso.com");
      assert.strictEqual(outs.previousDomainType, "Authoritative");
      assert.strictEqual(domainType(), "InternalRelay");
      assert.deepStrictEqual(exchangeWrites(), ["Set-AcceptedDomain InternalRelay"]);
    });

    it("writes nothing when the domain already has the type", async () => {
      tenant.addDomain("contoso.com", {}, "InternalRelay");
      const { outs } = await provider.create(await checked());
      assert.strictEqual(outs.previousDomainType, "InternalRelay");
      assert.deepStrictEqual(tenant.writes, []);
    });

    const refusals: [string, () => void, RegExp][] = [
      ["not in the tenant", () => undefined, /contoso\.com is not a domain of this Microsoft 365 tenant: add and verify it/],
      ["not verified", () => tenant.addDomain("contoso.com", { isVerified: false }, "Authoritative"), /contoso\.com is not verified yet: publish its verification TXT record/],
      ["without Email", () => tenant.addDomain("contoso.com", { supportedServices: [] }, "Authoritative"), /Email is not enabled for it: enable Exchange/],
    ];
    for (const [title, arrange, message] of refusals) {
      it(`refuses a domain ${title}, saying what to do, and changes nothing`, async () => {
        arrange();
        await assert.rejects(provider.create(await checked()), message);
        assert.deepStrictEqual(tenant.writes, []);
      });
    }

    /** Exchange misses the domain for this many Get-AcceptedDomain calls (replication lag). */
    const lagging = (probes: number): void => {
      const invoke = tenant.apis.exchange.invoke;
      tenant.apis.exchange.invoke = async (cmdlet, parameters, options) => {
        if (cmdlet === "Get-AcceptedDomain" && probes-- > 0) return invoke("Get-AcceptedDomain", { Identity: "not-listed-yet.example" });
        return invoke(cmdlet, parameters, options);
      };
    };

    it("waits for Exchange to list a domain verified moments ago (replication lag), saying so, then sets the type", async () => {
      tenant.addDomain("contoso.com", {}, "Authoritative");
      lagging(5);
      const { outs } = await provider.create(await checked());
      assert.deepStrictEqual([outs.previousDomainType, domainType()], ["Authoritative", "InternalRelay"]);
      const waiting = tenant.notes.filter((line) => line.startsWith("waiting for Exchange Online to list verified domains as accepted domains"));
      assert.ok(waiting.length >= 2, tenant.notes.join("\n"));
      assert.match(waiting[0], /\(replication lag after Microsoft 365 verifies a domain with Email: minutes in real tenants\): contoso\.com \(0 s so far, at most 1800 s, set by acceptedDomainTimeoutSeconds\)$/);
    });

    it("gives up when the wait runs out, naming the lag and the setting, and changes nothing", async () => {
      tenant.addDomain("contoso.com", {}, "Authoritative");
      lagging(Infinity);
      const started = tenant.now;
      await assert.rejects(
        provider.create(await checked({ ...inputs, acceptedDomainTimeoutSeconds: 120 })),
        /after 120 s Exchange Online still does not list it as an accepted domain \(replication lag between Microsoft Entra and Exchange Online\)\. Nothing was changed\. Run pulumi up again to keep waiting, or raise acceptedDomainTimeoutSeconds/,
      );
      assert.strictEqual(tenant.now - started, 120_000);
      assert.deepStrictEqual(tenant.writes, []);
    });
  });

  describe("read, update and delete", () => {
    beforeEach(() => {
      tenant.addDomain("contoso.com", {}, "Authoritative");
    });

    it("reads the type Exchange has now, so a change made in the admin center shows as drift", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.acceptedDomains.set("contoso.com", "Authoritative");
      const read = await provider.read!(id, outs);
      assert.strictEqual(read.props?.domainType, "Authoritative");
      assert.strictEqual((await provider.diff!(id, read.props!, await checked())).changes, true);
    });

    it("reports a domain Exchange no longer accepts as gone", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.acceptedDomains.delete("contoso.com");
      assert.deepStrictEqual(await provider.read!(id, outs), {});
    });

    it("sets the new type on update and keeps the type found at create", async () => {
      const { id, outs } = await provider.create(await checked());
      const updated = await provider.update!(id, outs, await checked({ ...inputs, domainType: "Authoritative" }));
      assert.strictEqual(domainType(), "Authoritative");
      assert.strictEqual(updated.outs!.previousDomainType, "Authoritative");
      assert.deepStrictEqual(exchangeWrites(), ["Set-AcceptedDomain InternalRelay", "Set-AcceptedDomain Authoritative"]);
    });

    it("restores the type it found on delete and leaves the domain in the tenant", async () => {
      const { id, outs } = await provider.create(await checked());
      assert.strictEqual(outs.teardownDomainType, "Authoritative", "the output holds the type delete will set");
      await provider.delete!(id, outs);
      assert.strictEqual(domainType(), "Authoritative");
      assert.ok(tenant.domains.has("contoso.com"));
    });

    it("restores a type found other than Authoritative when it changed it (put back as it was)", async () => {
      tenant.acceptedDomains.set("contoso.com", "InternalRelay");
      const { id, outs } = await provider.create(await checked({ ...inputs, domainType: "Authoritative" }));
      await provider.delete!(id, outs);
      assert.strictEqual(domainType(), "InternalRelay");
    });

    it("ends on Authoritative when create found the type it wanted (an interrupted create looks the same)", async () => {
      tenant.acceptedDomains.set("contoso.com", "InternalRelay");
      const { id, outs } = await provider.create(await checked());
      assert.deepStrictEqual([outs.previousDomainType, outs.teardownDomainType], ["InternalRelay", "Authoritative"]);
      await provider.delete!(id, outs);
      assert.strictEqual(domainType(), "Authoritative");
    });

    it("sets teardownDomainType on delete whatever type it found (the cutover's Authoritative)", async () => {
      tenant.acceptedDomains.set("contoso.com", "InternalRelay");
      const { id, outs } = await provider.create(await checked({ ...inputs, teardownDomainType: "Authoritative" }));
      await provider.delete!(id, outs);
      assert.strictEqual(domainType(), "Authoritative");
    });

    it("writes nothing on delete when the domain already has the teardown type, or is gone", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.acceptedDomains.set("contoso.com", "Authoritative");
      tenant.writes.length = 0;
      await provider.delete!(id, outs);
      tenant.acceptedDomains.delete("contoso.com");
      await provider.delete!(id, outs);
      assert.deepStrictEqual(tenant.writes, []);
    });
  });

  describe("the type delete sets", () => {
    const cases: [DomainType, DomainType, DomainType | undefined, DomainType, string][] = [
      ["Authoritative", "InternalRelay", undefined, "Authoritative", "create changed it: put back what it found"],
      ["InternalRelay", "Authoritative", undefined, "InternalRelay", "create changed it the other way: put back Internal Relay"],
      ["InternalRelay", "InternalRelay", undefined, "Authoritative", "create changed nothing: the cutover's Authoritative"],
      ["Authoritative", "Authoritative", undefined, "Authoritative", "create changed nothing, already Authoritative"],
      ["Authoritative", "InternalRelay", "InternalRelay", "InternalRelay", "teardownDomainType given: it wins"],
    ];
    for (const [found, wanted, given, expected, title] of cases) {
      it(`found ${found}, wanted ${wanted}${given ? `, teardownDomainType ${given}` : ""} → ${expected} (${title})`, () => {
        assert.strictEqual(teardownTypeFor(found, wanted, given), expected);
      });
    }
  });
});
