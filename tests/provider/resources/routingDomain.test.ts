import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { GraphApiError, type Domain, type DomainDnsRecord } from "../../../provider/clients/graph";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { addressesOnDomain, deleteRefusal, describeDomain, dnsOutputs, isFreshlyAdded, routingDomainProvider as provider } from "../../../provider/resources/routingDomain";
import { microsoftMxHost } from "../../../provider/routing/addresses";
import { captureNotes } from "./exchangeObjects";
import { useFakeApis, type ApiFakes } from "./fakeApis";

const pollModule: typeof import("../../../provider/resources/poll") = require("../../../provider/resources/poll");

type Values = Record<string, unknown>;

const TXT_CODE = "MS=ms40001234";

/** One tenant's domains (Graph) and recipients (Exchange) in memory; records every call. */
class FakeTenant {
  readonly domains = new Map<string, Domain>([["contoso.com", { id: "contoso.com", isVerified: true, supportedServices: ["Email"] }]]);
  /** Domains whose verification TXT record public DNS has. */
  readonly publishedTxt = new Set<string>();
  recipients: Values[] = [];
  /** Get-AcceptedDomain probes that still miss a domain Graph verified with Email (replication lag); Infinity: never listed. */
  acceptedDomainLagProbes = 0;
  /** The next POST /domains fails with an unknown outcome, after it was applied (`applied`) or before. */
  unknownOutcome?: { applied: boolean };
  /** The next POST /domains/{name}/verify fails with an unknown outcome, after it was applied (`applied`) or before. */
  verifyUnknownOutcome?: { applied: boolean };
  /** Fake time, advanced by the poll clock's sleeps. */
  now = 0;
  notes: string[] = [];
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
      const fault = this.unknownOutcome;
      this.unknownOutcome = undefined;
      const unknown = () => Object.assign(new GraphApiError(`Graph POST /domains (${name}) failed: no answer`, { networkCode: "ECONNRESET" }), { outcomeUnknown: true });
      if (fault && !fault.applied) throw unknown();
      this.domains.set(name, { id: name, isVerified: false, supportedServices: [] });
      if (fault) throw unknown();
      return { ...this.domain(name) };
    };
    graph.verifyDomain = async (name: string) => {
      this.calls.push(`POST ${name}/verify`);
      const domain = this.domain(name);
      if (domain.isVerified) throw new GraphApiError(`Graph POST /domains/${name}/verify failed (HTTP 400): the domain is already verified`, { status: 400 });
      const fault = this.verifyUnknownOutcome;
      this.verifyUnknownOutcome = undefined;
      const unknown = () => Object.assign(new GraphApiError(`Graph POST /domains/${name}/verify failed: no answer`, { networkCode: "ECONNRESET" }), { outcomeUnknown: true });
      if (fault && !fault.applied) throw unknown();
      const parentVerified = [...this.domains.values()].some((other) => other.isVerified && name.endsWith(`.${other.id}`));
      if (!parentVerified && !this.publishedTxt.has(name)) {
        throw new GraphApiError(`Graph POST /domains/${name}/verify failed (HTTP 400): no TXT record ${TXT_CODE} found`, { status: 400 });
      }
      domain.isVerified = true;
      if (fault) throw unknown();
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
      const lagging = domain && this.acceptedDomainLagProbes-- > 0;
      if (!lagging && domain?.isVerified && domain.supportedServices.includes("Email")) return [{ DomainName: domain.id, DomainType: "Authoritative" }];
      throw new ExchangeError(cmdlet, "couldn't be found", { status: 404, notFound: true });
    };
    const apis = useFakeApis({ graph, exchange: { invoke } });
    const notes = captureNotes();
    this.notes = notes.notes;
    const clock = { ...pollModule.pollClock };
    Object.assign(pollModule.pollClock, { now: () => this.now, sleep: async (ms: number) => void (this.now += ms) });
    return () => {
      Object.assign(pollModule.pollClock, clock);
      notes.restore();
      apis.restore();
    };
  }
}

async function checked(inputs: Values): Promise<Values> {
  const result = await provider.check!({}, inputs);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs;
}

const routing = { domainName: "o365.contoso.com", parentDomain: "contoso.com" };

/** A create's partial-failure error: the engine records `id` and `properties` and fails the step. */
function recorded(error: unknown): { id: string; properties: Values } {
  const partial = error as { id?: string; properties?: Values };
  assert.ok(partial.id && partial.properties, `expected the domain to be recorded, got ${String(error)}`);
  return { id: partial.id, properties: partial.properties };
}

describe("RoutingDomain", () => {
  let tenant: FakeTenant;
  let restore: () => void;
  beforeEach(() => {
    tenant = new FakeTenant();
    restore = tenant.install();
  });
  afterEach(() => restore());

  describe("check", () => {
    it("normalizes the names and fills in the defaults", async () => {
      assert.deepStrictEqual(await checked({ domainName: "O365.Contoso.com.", parentDomain: "CONTOSO.com" }), {
        domainName: "o365.contoso.com",
        parentDomain: "contoso.com",
        adopt: false,
        deleteAdopted: false,
        acceptedDomainTimeoutSeconds: 1800,
      });
    });

    const invalid: [string, Values, string, RegExp][] = [
      ["a missing domain", { parentDomain: "contoso.com" }, "domainName", /is required/],
      ["a missing parent (the typo o365.fabrikam.com would pass unnoticed)", { domainName: "o365.fabrikam.com" }, "parentDomain", /is required: set the verified domain the routing domain belongs to, e\.g\. parentDomain: "contoso\.com"/],
      ["a name that is not a domain", { domainName: "o365", parentDomain: "contoso.com" }, "domainName", /not a domain name/],
      ["a domain under onmicrosoft.com", { domainName: "o365.contoso.onmicrosoft.com", parentDomain: "contoso.onmicrosoft.com" }, "domainName", /belongs to Microsoft/],
      [
        "a domain outside its parent",
        { domainName: "o365.fabrikam.com", parentDomain: "contoso.com" },
        "domainName",
        /o365\.fabrikam\.com is not a subdomain of parentDomain contoso\.com; use a subdomain of it \(e\.g\. o365\.contoso\.com\), or set parentDomain to the verified domain o365\.fabrikam\.com belongs to/,
      ],
      ["the parent itself", { domainName: "contoso.com", parentDomain: "contoso.com" }, "domainName", /not a subdomain/],
      ["a parent that is not a domain", { domainName: "o365.contoso.com", parentDomain: "contoso" }, "parentDomain", /not a domain name/],
      ["a negative wait", { ...routing, acceptedDomainTimeoutSeconds: -1 }, "acceptedDomainTimeoutSeconds", /whole number from 0 to 86400/],
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
    const ready = { ...routing, adopt: false, deleteAdopted: false, acceptedDomainTimeoutSeconds: 1800, ownership: "created", isVerified: true, supportedServices: ["Email"] };
    const cases: [string, Values, Values, { changes: boolean; replaces: string[] }][] = [
      ["a verified domain with Email is no change", ready, {}, { changes: false, replaces: [] }],
      ["another wait is no change", ready, { acceptedDomainTimeoutSeconds: 60 }, { changes: false, replaces: [] }],
      ["another domain replaces it", ready, { domainName: "m365.contoso.com" }, { changes: true, replaces: ["domainName"] }],
      ["another parent domain is an update", ready, { parentDomain: "o365.contoso.com", domainName: "o365.contoso.com" }, { changes: true, replaces: [] }],
      ["deleteAdopted is an update (recorded for delete)", ready, { deleteAdopted: true }, { changes: true, replaces: [] }],
      ["a domain still waiting for its TXT record is an update (verify again)", { ...ready, isVerified: false, supportedServices: [] }, {}, { changes: true, replaces: [] }],
      ["Email turned off in the admin center is drift to repair", { ...ready, supportedServices: [] }, {}, { changes: true, replaces: [] }],
      ["a domain unknown during preview may replace", ready, { domainName: UNKNOWN }, { changes: true, replaces: ["domainName"] }],
    ];
    for (const [title, olds, change, expected] of cases) {
      it(title, async () => {
        const result = await provider.diff!("o365.contoso.com", olds, { ...routing, adopt: false, deleteAdopted: false, acceptedDomainTimeoutSeconds: 1800, ...change });
        assert.deepStrictEqual({ changes: result.changes, replaces: result.replaces }, expected);
        assert.strictEqual(result.deleteBeforeReplace, false);
      });
    }
  });

  describe("create", () => {
    it("adds, verifies (instantly under a verified parent) and enables Email, then outputs the records to publish", async () => {
      const { id, outs } = await provider.create(await checked(routing));
      assert.strictEqual(id, "o365.contoso.com");
      assert.deepStrictEqual(tenant.writes, ["POST o365.contoso.com", "POST o365.contoso.com/verify", "PATCH o365.contoso.com Email"]);
      assert.ok(tenant.calls.includes("Get-AcceptedDomain"), "waits until Exchange accepts the domain");
      assert.deepStrictEqual(outs, {
        domainName: "o365.contoso.com",
        parentDomain: "contoso.com",
        adopt: false,
        deleteAdopted: false,
        acceptedDomainTimeoutSeconds: 1800,
        ownership: "created",
        isVerified: true,
        supportedServices: ["Email"],
        verificationTxtRecord: { label: "o365.contoso.com", text: TXT_CODE, ttl: 3600 },
        mxRecord: { label: "o365.contoso.com", mailExchange: "o365-contoso-com.mail.protection.outlook.com", preference: 0, ttl: 3600 },
      });
    });

    it("without a verified parent, succeeds unverified with the TXT record as output; the next up verifies", async () => {
      const inputs = await checked({ domainName: "mail.fabrikam.com", parentDomain: "fabrikam.com" });
      const { outs } = await provider.create(inputs);
      assert.match(tenant.notes.join("\n"), /parentDomain fabrikam\.com is not a verified domain of this tenant, so mail\.fabrikam\.com will need its own TXT record/);
      assert.deepStrictEqual([outs.isVerified, outs.supportedServices, outs.mxRecord], [false, [], undefined]);
      assert.deepStrictEqual(outs.verificationTxtRecord, { label: "mail.fabrikam.com", text: TXT_CODE, ttl: 3600 });
      assert.strictEqual((await provider.diff!("mail.fabrikam.com", outs, inputs)).changes, true);

      tenant.publishedTxt.add("mail.fabrikam.com");
      const { outs: updated } = await provider.update!("mail.fabrikam.com", outs, inputs);
      assert.deepStrictEqual([updated.isVerified, updated.supportedServices, updated.mxRecord?.mailExchange], [true, ["Email"], "mail-fabrikam-com.mail.protection.outlook.com"]);
    });

    const foreign: [string, Domain, RegExp][] = [
      ["one an interrupted create could have left (unverified, no service)", { id: "o365.contoso.com", isVerified: false, supportedServices: [] }, /\(not verified, services: none\)/],
      ["a verified one with Email", { id: "o365.contoso.com", isVerified: true, supportedServices: ["Email"] }, /\(verified, services: Email\)/],
      ["one in use for Teams", { id: "o365.contoso.com", isVerified: true, supportedServices: ["OfficeCommunicationsOnline"] }, /services: OfficeCommunicationsOnline/],
    ];
    for (const [title, existing, facts] of foreign) {
      it(`without adopt, refuses a domain already in the tenant, ${title}, with the ways on, and changes nothing`, async () => {
        tenant.domains.set("o365.contoso.com", existing);
        const error = await provider.create(await checked(routing)).catch((failure: unknown) => failure);
        assert.match(String(error), /RoutingDomain: o365\.contoso\.com is already in the tenant .*A domain carries no mark, so nothing shows that this stack added it, and it is left as it is\./);
        assert.match(String(error), facts);
        assert.match(String(error), /pulumi refresh --import-pending-creates <urn of this resource> o365\.contoso\.com.*Otherwise set adopt: true/);
        assert.deepStrictEqual(tenant.writes, []);
      });
    }

    it("with adopt, takes it over and adds Email, keeping its other services and saving them for delete", async () => {
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: ["OfficeCommunicationsOnline"] });
      const { outs } = await provider.create(await checked({ ...routing, adopt: true }));
      assert.deepStrictEqual(tenant.writes, ["PATCH o365.contoso.com OfficeCommunicationsOnline,Email"]);
      assert.deepStrictEqual([outs.ownership, outs.servicesBeforeAdoption, outs.supportedServices], ["adopted", ["OfficeCommunicationsOnline"], ["OfficeCommunicationsOnline", "Email"]]);
    });

    it("reads before it retries a POST whose outcome is unknown: the domain it left is taken over, no second POST", async () => {
      tenant.unknownOutcome = { applied: true };
      const { outs } = await provider.create(await checked(routing));
      assert.deepStrictEqual(tenant.writes.filter((call) => call === "POST o365.contoso.com"), ["POST o365.contoso.com"]);
      assert.deepStrictEqual([outs.ownership, outs.isVerified], ["created", true]);
      assert.match(tenant.notes.join("\n"), /POST \/domains for o365\.contoso\.com got no clear answer; read back, the domain is there as that call leaves one/);
    });

    it("retries a POST whose outcome is unknown once, when reading back finds nothing", async () => {
      tenant.unknownOutcome = { applied: false };
      await provider.create(await checked(routing));
      assert.deepStrictEqual(tenant.writes.filter((call) => call === "POST o365.contoso.com").length, 2);
    });

    it("reads back a verify whose outcome is unknown: a verify that went through is not sent again", async () => {
      tenant.verifyUnknownOutcome = { applied: true };
      const { outs } = await provider.create(await checked(routing));
      assert.deepStrictEqual(tenant.writes.filter((call) => call.endsWith("/verify")), ["POST o365.contoso.com/verify"]);
      assert.deepStrictEqual([outs.isVerified, outs.supportedServices], [true, ["Email"]]);
      assert.match(tenant.notes.join("\n"), /POST \/domains\/o365\.contoso\.com\/verify got no clear answer; read back, the domain is verified/);
    });

    it("sends a verify whose outcome is unknown once more, when reading back finds the domain unverified", async () => {
      tenant.verifyUnknownOutcome = { applied: false };
      const { outs } = await provider.create(await checked(routing));
      assert.deepStrictEqual(tenant.writes.filter((call) => call.endsWith("/verify")).length, 2);
      assert.strictEqual(outs.isVerified, true);
    });

    it("waits for Exchange to list the domain (replication lag), saying so while it waits", async () => {
      tenant.acceptedDomainLagProbes = 6;
      const { outs } = await provider.create(await checked(routing));
      assert.deepStrictEqual(outs.supportedServices, ["Email"]);
      const waiting = tenant.notes.filter((line) => line.startsWith("waiting for Exchange Online to list verified domains as accepted domains"));
      assert.ok(waiting.length >= 2, waiting.join("\n"));
      assert.match(waiting[0], /replication lag.*: o365\.contoso\.com \(0 s so far, at most 1800 s, set by acceptedDomainTimeoutSeconds\)$/);
    });

    it("when the wait runs out, fails naming the lag and the setting, with the domain recorded so the next up waits again", async () => {
      tenant.acceptedDomainLagProbes = Infinity;
      const error = await provider.create(await checked({ ...routing, acceptedDomainTimeoutSeconds: 60 })).catch((failure: unknown) => failure);
      assert.match(String(error), /after 60 s Exchange Online still does not list it as an accepted domain \(replication lag between Microsoft Entra and Exchange Online\)\. The domain is kept\. Run pulumi up again to keep waiting, or raise acceptedDomainTimeoutSeconds/);
      const { id, properties } = recorded(error);
      assert.deepStrictEqual([id, properties.ownership], ["o365.contoso.com", "created"]);
      assert.ok(tenant.now >= 60_000 && tenant.now < 61_000, `waited ${tenant.now} ms`);
      assert.strictEqual((await provider.diff!(id, properties, await checked(routing))).changes, true, "the next up continues");
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
      assert.deepStrictEqual([repaired.supportedServices, repaired.ownership], [["Email"], "created"]);
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
      const { outs } = await provider.create(await checked(routing));
      tenant.recipients = [{ EmailAddresses: ["SMTP:bob@contoso.com", "smtp:bob@o365.contoso.com"] }];
      await assert.rejects(provider.delete!("o365.contoso.com", outs), /not deleting o365\.contoso\.com: 1 address uses it \(bob@o365\.contoso\.com\)\. Remove those addresses/);
      assert.ok(tenant.domains.has("o365.contoso.com"));
    });

    it("deletes the domain it added once nothing uses it", async () => {
      const { outs } = await provider.create(await checked(routing));
      tenant.recipients = [{ EmailAddresses: ["SMTP:bob@contoso.com"] }];
      await provider.delete!("o365.contoso.com", outs);
      assert.ok(!tenant.domains.has("o365.contoso.com"));
    });

    it("deletes the domain of a state written before ownership was recorded (an earlier release added it)", async () => {
      await provider.create(await checked(routing));
      await provider.delete!("o365.contoso.com", { domainName: "o365.contoso.com", adopt: false });
      assert.ok(!tenant.domains.has("o365.contoso.com"));
    });

    it("keeps an adopted domain and puts its services back", async () => {
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: ["OfficeCommunicationsOnline"] });
      const { outs } = await provider.create(await checked({ ...routing, adopt: true }));
      await provider.delete!("o365.contoso.com", outs);
      assert.deepStrictEqual(tenant.domains.get("o365.contoso.com")?.supportedServices, ["OfficeCommunicationsOnline"]);
      assert.ok(!tenant.writes.includes("DELETE o365.contoso.com"));
      assert.match(tenant.notes.at(-1)!, /kept the adopted domain o365\.contoso\.com \(deleteAdopted is false\), with its services as before adoption: OfficeCommunicationsOnline/);
    });

    it("does not turn Email off on an adopted domain while addresses use it", async () => {
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: [] });
      const { outs } = await provider.create(await checked({ ...routing, adopt: true }));
      tenant.recipients = [{ EmailAddresses: ["smtp:bob@o365.contoso.com"] }];
      await assert.rejects(provider.delete!("o365.contoso.com", outs), /not turning Email off on the adopted domain o365\.contoso\.com: 1 address uses it/);
      assert.deepStrictEqual(tenant.domains.get("o365.contoso.com")?.supportedServices, ["Email"]);
    });

    it("deletes an adopted domain with deleteAdopted", async () => {
      tenant.domains.set("o365.contoso.com", { id: "o365.contoso.com", isVerified: true, supportedServices: [] });
      const { outs } = await provider.create(await checked({ ...routing, adopt: true, deleteAdopted: true }));
      await provider.delete!("o365.contoso.com", outs);
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

    const domains: [string, Domain, boolean, string][] = [
      ["what POST /domains leaves", { id: "o", isVerified: false, supportedServices: [] }, true, "not verified, services: none"],
      ["a verified domain with Email", { id: "o", isVerified: true, supportedServices: ["Email"] }, false, "verified, services: Email"],
      ["an unverified domain with a service", { id: "o", isVerified: false, supportedServices: ["Yammer"] }, false, "not verified, services: Yammer"],
      ["the tenant's default domain", { id: "o", isVerified: true, isDefault: true, supportedServices: ["Email"] }, false, "verified, services: Email, the tenant's default domain"],
    ];
    for (const [title, domain, fresh, described] of domains) {
      it(`an existing domain: ${title} is ${fresh ? "" : "not "}what a POST leaves, "${described}"`, () => {
        assert.deepStrictEqual([isFreshlyAdded(domain), describeDomain(domain)], [fresh, described]);
      });
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
