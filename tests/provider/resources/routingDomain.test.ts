import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { GraphApiError, type Domain, type DomainDnsRecord } from "../../../provider/clients/graph";
import { UNKNOWN } from "../../../provider/resources/inputs";
import {
  addressesOnDomain,
  adoptionDifferences,
  deleteRefusal,
  dnsOutputs,
  routingDomainProvider as provider,
  waitForAcceptedDomain,
} from "../../../provider/resources/routingDomain";
import { microsoftMxHost } from "../../../provider/routing/addresses";
import { useFakeApis, type ApiFakes } from "./fakeApis";

type Values = Record<string, unknown>;

const TXT_CODE = "MS=ms40001234";

/** One tenant's domains (Graph) and recipients (Exchange) in memory; records every call. */
class FakeTenant {
  readonly domains = new Map<string, Domain>([["contoso.com", { id: "contoso.com", isVerified: true, supportedServices: ["Email"] }]]);
  /** Domains whose verification TXT record public DNS has. */
  readonly publishedTxt = new Set<string>();
  recipients: Values[] = [];
  exchangeListsDomains = true;
  readonly calls: string[] = [];

  get writes(): string[] {
    return this.calls.filter((call) => /^(POST|PATCH|DELETE)/.test(call));
  }

  private domain(name: string): Domain {
    const domain = this.domains.get(name);
    if (!domain) throw new GraphApiError(`Graph GET /domains/${name} failed (HTTP 404)`, { status: 404 });
    return domain;
  }

  /** Installs this tenant as the resources' APIs; returns what puts the previous ones back. */
  install(): () => void {
    const graph: NonNullable<ApiFakes["graph"]> = {};
    graph.getDomain = async (name: string) => {
      this.calls.push(`GET ${name}`);
      const domain = this.domains.get(name);
      return domain && { ...domain, supportedServices: [...domain.supportedServices] };
    };
    graph.createDomain = async (name: string) => {
      this.calls.push(`POST ${name}`);
      this.domains.set(name, { id: name, isVerified: false, supportedServices: [] });
      return { ...this.domain(name) };
    };
    graph.verifyDomain = async (name: string) => {
      this.calls.push(`POST ${name}/verify`);
      const domain = this.domain(name);
      const parentVerified = [...this.domains.values()].some((other) => other.isVerified && name.endsWith(`.${other.id}`));
      if (!parentVerified && !this.publishedTxt.has(name)) {
        throw new GraphApiError(`Graph POST /domains/${name}/verify failed (HTTP 400): no TXT record ${TXT_CODE} found`, { status: 400 });
      }
      domain.isVerified = true;
      return { ...domain };
    };
    graph.setSupportedServices = async (name: string, services: string[]) => {
      this.calls.push(`PATCH ${name} ${services.join(",")}`);
      this.domain(name).supportedServices = services;
    };
    graph.verificationDnsRecords = async (name: string): Promise<DomainDnsRecord[]> => [
      { recordType: "Txt", label: this.domain(name).id, text: TXT_CODE, ttl: 3600 },
      { recordType: "Mx", label: name, mailExchange: "ms40001234.msv1.invalid", preference: 32767 },
    ];
    graph.serviceConfigurationRecords = async (name: string): Promise<DomainDnsRecord[]> =>
      this.domain(name).supportedServices.includes("Email") ? [{ recordType: "Mx", label: name, mailExchange: microsoftMxHost(name), preference: 0, ttl: 3600 }] : [];
    graph.deleteDomain = async (name: string) => {
      this.calls.push(`DELETE ${name}`);
      return this.domains.delete(name);
    };
    const invoke = async (cmdlet: string, parameters: Values = {}): Promise<Values[]> => {
      this.calls.push(cmdlet);
      if (cmdlet === "Get-Recipient") return this.recipients;
      const domain = this.domains.get(String(parameters.Identity));
      if (this.exchangeListsDomains && domain?.isVerified && domain.supportedServices.includes("Email")) return [{ DomainName: domain.id, DomainType: "Authoritative" }];
      throw new ExchangeError(cmdlet, "couldn't be found", { status: 404, notFound: true });
    };
    return useFakeApis({ graph, exchange: { invoke } }).restore;
  }
}

async function checked(inputs: Values): Promise<Values> {
  const result = await provider.check!({}, inputs);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs;
}

const routing = { domainName: "o365.contoso.com" };

describe("RoutingDomain", () => {
  let tenant: FakeTenant;
  let restore: () => void;
  beforeEach(() => {
    tenant = new FakeTenant();
    restore = tenant.install();
  });
  afterEach(() => restore());

  describe("check", () => {
    it("normalises the names and defaults adopt to false", async () => {
      assert.deepStrictEqual(await checked({ domainName: "O365.Contoso.com.", parentDomain: "CONTOSO.com" }), { domainName: "o365.contoso.com", parentDomain: "contoso.com", adopt: false });
    });

    const invalid: [string, Values, string, RegExp][] = [
      ["a missing domain", {}, "domainName", /is required/],
      ["a name that is not a domain", { domainName: "o365" }, "domainName", /not a domain name/],
      ["a domain under onmicrosoft.com", { domainName: "o365.contoso.onmicrosoft.com" }, "domainName", /belongs to Microsoft/],
      ["a domain outside its parent", { domainName: "o365.fabrikam.com", parentDomain: "contoso.com" }, "domainName", /not a subdomain of parentDomain contoso\.com; use e\.g\. o365\.contoso\.com/],
      ["the parent itself", { domainName: "contoso.com", parentDomain: "contoso.com" }, "domainName", /not a subdomain/],
      ["a parent that is not a domain", { domainName: "o365.contoso.com", parentDomain: "contoso" }, "parentDomain", /not a domain name/],
    ];
    for (const [title, inputs, field, reason] of invalid) {
      it(`refuses ${title}, naming ${field}, without an API call`, async () => {
        const { failures } = await provider.check!({}, inputs);
        assert.deepStrictEqual(failures?.map((failure) => failure.property), [field]);
        assert.match(failures![0].reason, new RegExp(`^RoutingDomain\\.${field}: `));
        assert.match(failures![0].reason, reason);
        assert.deepStrictEqual(tenant.calls, []);
      });
    }

    it("passes a domain unknown during preview through", async () => {
      assert.strictEqual((await checked({ domainName: UNKNOWN, parentDomain: "contoso.com" })).domainName, UNKNOWN);
    });
  });

  describe("diff", () => {
    const ready = { domainName: "o365.contoso.com", adopt: false, isVerified: true, supportedServices: ["Email"] };
    const cases: [string, Values, Values, { changes: boolean; replaces: string[] }][] = [
      ["a verified domain with Email is no change", ready, {}, { changes: false, replaces: [] }],
      ["another domain replaces it", ready, { domainName: "m365.contoso.com" }, { changes: true, replaces: ["domainName"] }],
      ["a parent domain given later is an update", ready, { parentDomain: "contoso.com" }, { changes: true, replaces: [] }],
      ["a domain still waiting for its TXT record is an update (verify again)", { ...ready, isVerified: false, supportedServices: [] }, {}, { changes: true, replaces: [] }],
      ["Email turned off in the admin center is drift to repair", { ...ready, supportedServices: [] }, {}, { changes: true, replaces: [] }],
      ["a domain unknown during preview may replace", ready, { domainName: UNKNOWN }, { changes: true, replaces: ["domainName"] }],
    ];
    for (const [title, olds, change, expected] of cases) {
      it(title, async () => {
        const result = await provider.diff!("o365.contoso.com", olds, { domainName: "o365.contoso.com", adopt: false, ...change });
        assert.deepStrictEqual({ changes: result.changes, replaces: result.replaces }, expected);
        assert.strictEqual(result.deleteBeforeReplace, false);
      });
    }
  });

  describe("create", () => {
    it("adds, verifies (instantly under a verified parent) and enables Email, then outputs the records to publish", async () => {
      const { id, outs } = await provider.create(await checked({ ...routing, parentDomain: "contoso.com" }));
      assert.strictEqual(id, "o365.contoso.com");
      assert.deepStrictEqual(tenant.writes, ["POST o365.contoso.com", "POST o365.contoso.com/verify", "PATCH o365.contoso.com Email"]);
      assert.ok(tenant.calls.includes("Get-AcceptedDomain"), "waits until Exchange accepts the domain");
      assert.deepStrictEqual(outs, {
        domainName: "o365.contoso.com",
        parentDomain: "contoso.com",
        adopt: false,
        isVerified: true,
        supportedServices: ["Email"],
        verificationTxtRecord: { label: "o365.contoso.com", text: TXT_CODE, ttl: 3600 },
        mxRecord: { label: "o365.contoso.com", mailExchange: "o365-contoso-com.mail.protection.outlook.com", preference: 0, ttl: 3600 },
      });
    });

    it("without a verified parent, succeeds unverified with the TXT record as output; the next up verifies", async () => {
      const { outs } = await provider.create(await checked({ domainName: "mail.fabrikam.com" }));
      assert.deepStrictEqual([outs.isVerified, outs.supportedServices, outs.mxRecord], [false, [], undefined]);
      assert.deepStrictEqual(outs.verificationTxtRecord, { label: "mail.fabrikam.com", text: TXT_CODE, ttl: 3600 });
      assert.strictEqual((await provider.diff!("mail.fabrikam.com", outs, await checked({ domainName: "mail.fabrikam.com" }))).changes, true);

      tenant.publishedTxt.add("mail.fabrikam.com");
      const { outs: updated } = await provider.update!("mail.fabrikam.com", outs, await checked({ domainName: "mail.fabrikam.com" }));
      assert.deepStrictEqual([updated.isVerified, updated.supportedServices, updated.mxRecord?.mailExchange], [true, ["Email"], "mail-fabrikam-com.mail.protection.outlook.com"]);
    });

    it("adopts a domain left by an interrupted create (nothing but Email) without adding it again", async () => {
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: ["Email"] });
      const { outs } = await provider.create(await checked(routing));
      assert.deepStrictEqual(tenant.writes, []);
      assert.strictEqual(outs.isVerified, true);
    });

    it("refuses a domain in use for other services, naming them and the fix", async () => {
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: ["OfficeCommunicationsOnline"] });
      await assert.rejects(
        provider.create(await checked(routing)),
        /domain o365\.contoso\.com already exists and differs in supportedServices \(OfficeCommunicationsOnline enabled\); set adopt: true to take it over/,
      );
      assert.deepStrictEqual(tenant.writes, []);
    });

    it("with adopt, takes it over and adds Email, keeping its other services", async () => {
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: ["OfficeCommunicationsOnline"] });
      const { outs } = await provider.create(await checked({ ...routing, adopt: true }));
      assert.deepStrictEqual(tenant.writes, ["PATCH o365.contoso.com OfficeCommunicationsOnline,Email"]);
      assert.deepStrictEqual(outs.supportedServices, ["OfficeCommunicationsOnline", "Email"]);
    });

    it("fails with the fix when Exchange does not list the domain in time", async () => {
      tenant.exchangeListsDomains = false;
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: ["Email"] });
      await assert.rejects(waitForAcceptedDomain("o365.contoso.com", 0), /Exchange Online does not list it as an accepted domain yet; wait a few minutes and run pulumi up again/);
      assert.deepStrictEqual(tenant.calls, ["Get-AcceptedDomain"]);
    });
  });

  describe("read", () => {
    it("shows Email turned off in the admin center as drift, and the next update turns it back on", async () => {
      const inputs = await checked(routing);
      const { outs } = await provider.create(inputs);
      tenant.domains.get("o365.contoso.com")!.supportedServices = [];
      const { props } = await provider.read!("o365.contoso.com", outs);
      assert.deepStrictEqual([props!.supportedServices, props!.mxRecord], [[], undefined]);
      assert.strictEqual((await provider.diff!("o365.contoso.com", props!, inputs)).changes, true);
      const { outs: repaired } = await provider.update!("o365.contoso.com", props!, inputs);
      assert.deepStrictEqual(repaired.supportedServices, ["Email"]);
    });

    it("reports no drift for an unchanged domain", async () => {
      const inputs = await checked(routing);
      const { outs } = await provider.create(inputs);
      const { props } = await provider.read!("o365.contoso.com", outs);
      assert.strictEqual((await provider.diff!("o365.contoso.com", props!, inputs)).changes, false);
    });

    it("reports a deleted domain as gone", async () => {
      assert.deepStrictEqual(await provider.read!("o365.contoso.com", {}), {});
    });
  });

  describe("delete", () => {
    it("refuses while addresses use the domain, naming them", async () => {
      await provider.create(await checked(routing));
      tenant.recipients = [{ EmailAddresses: ["SMTP:bob@contoso.com", "smtp:bob@o365.contoso.com"] }];
      await assert.rejects(provider.delete!("o365.contoso.com", {}), /not deleting o365\.contoso\.com: 1 address uses it \(bob@o365\.contoso\.com\)\. Remove those addresses/);
      assert.ok(tenant.domains.has("o365.contoso.com"));
    });

    it("deletes the domain once nothing uses it", async () => {
      await provider.create(await checked(routing));
      tenant.recipients = [{ EmailAddresses: ["SMTP:bob@contoso.com"] }];
      await provider.delete!("o365.contoso.com", {});
      assert.ok(!tenant.domains.has("o365.contoso.com"));
    });
  });

  describe("decisions", () => {
    it("addresses on the domain: SMTP only, this domain only (not its subdomains), each once, sorted", () => {
      const recipients = [
        { EmailAddresses: ["SMTP:zoe@contoso.com", "smtp:zoe@o365.contoso.com", "SIP:zoe@o365.contoso.com"] },
        { EmailAddresses: ["smtp:Amy@O365.contoso.com", "smtp:amy@x.o365.contoso.com"] },
        { EmailAddresses: ["smtp:amy@o365.contoso.com"] },
        { Name: "no addresses" },
      ];
      assert.deepStrictEqual(addressesOnDomain(recipients, "o365.contoso.com"), ["amy@o365.contoso.com", "zoe@o365.contoso.com"]);
    });

    const adoptionCases: [string, Domain, string[]][] = [
      ["left by an interrupted create: unverified, nothing enabled", { id: "o", isVerified: false, supportedServices: [] }, []],
      ["left by an interrupted create: Email enabled", { id: "o", isVerified: true, supportedServices: ["Email"] }, []],
      ["in use for Teams", { id: "o", isVerified: true, supportedServices: ["Email", "OfficeCommunicationsOnline"] }, ["supportedServices (OfficeCommunicationsOnline enabled)"]],
      ["the tenant's default domain", { id: "o", isVerified: true, isDefault: true, supportedServices: ["Email"] }, ["isDefault (the tenant's default domain)"]],
    ];
    for (const [title, existing, expected] of adoptionCases) {
      it(`an existing domain ${title} ${expected.length ? "needs adopt" : "is taken up silently"}`, () => assert.deepStrictEqual(adoptionDifferences(existing), expected));
    }

    it("the refusal names ten addresses and counts the rest", () => {
      const addresses = Array.from({ length: 12 }, (_, index) => `user${String(index).padStart(2, "0")}@o365.contoso.com`);
      const message = deleteRefusal("o365.contoso.com", addresses);
      assert.match(message, /12 addresses use it \(user00@o365\.contoso\.com, .*user09@o365\.contoso\.com and 2 more\)/);
      assert.doesNotMatch(message, /user10/);
    });

    const records: [string, DomainDnsRecord[], DomainDnsRecord[], Values][] = [
      ["nothing before Email is enabled", [], [], { verificationTxtRecord: undefined, mxRecord: undefined }],
      [
        "the TXT proof (not the MX proof) and the service MX (not SPF or CNAME)",
        [
          { recordType: "Mx", label: "o.c.com", mailExchange: "ms1.msv1.invalid", preference: 32767 },
          { recordType: "Txt", label: "o.c.com", text: "MS=ms1" },
        ],
        [
          { recordType: "Txt", label: "o.c.com", text: "v=spf1 include:spf.protection.outlook.com -all" },
          { recordType: "CName", label: "autodiscover.o.c.com", canonicalName: "autodiscover.outlook.com" },
          { recordType: "Mx", label: "o.c.com", mailExchange: "o-c-com.mail.protection.outlook.com", preference: 0 },
        ],
        {
          verificationTxtRecord: { label: "o.c.com", text: "MS=ms1", ttl: undefined },
          mxRecord: { label: "o.c.com", mailExchange: "o-c-com.mail.protection.outlook.com", preference: 0, ttl: undefined },
        },
      ],
    ];
    for (const [title, verification, service, expected] of records) {
      it(`records to publish: ${title}`, () => assert.deepStrictEqual(dnsOutputs(verification, service), expected));
    }
  });
});
