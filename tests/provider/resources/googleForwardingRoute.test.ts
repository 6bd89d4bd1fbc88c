import * as assert from "assert";
import {
  existingForwarding,
  googleForwardingRouteProvider as provider,
  planRouteDiff,
} from "../../../provider/resources/googleForwardingRoute";
import { configureFromStack } from "../../../provider/config";
import { claim } from "../../../provider/resources/claims";
import { licenseAssignmentProvider } from "../../../provider/resources/licenseAssignment";
import { FakeTenant } from "./fakeApis";

const inputs = { userEmail: "alice@contoso.com", forwardTo: "alice@o365.contoso.com" };

describe("GoogleForwardingRoute", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
    tenant.addGmailUser("alice@contoso.com");
    tenant.addMailUser("alice@contoso.com", { RecipientTypeDetails: "UserMailbox", EmailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"] });
  });
  afterEach(() => tenant.uninstall());

  async function checked(values: Record<string, unknown> = inputs): Promise<Record<string, unknown>> {
    const result = await provider.check!({}, values);
    assert.deepStrictEqual(result.failures ?? [], []);
    return result.inputs!;
  }

  const gmail = (): ReturnType<FakeTenant["gmail"]["get"]> => tenant.gmail.get("alice@contoso.com");
  const googleCalls = (): string[] => tenant.writesTo("google").map((write) => `${write.call} ${String(write.parameters.email ?? write.parameters.emailAddress ?? "")} ${write.parameters.enabled ?? ""}`.trim());

  describe("check", () => {
    it("defaults to trash (no copy left at the source) and to requiring a mailbox", async () => {
      const result = await checked();
      assert.deepStrictEqual({ disposition: result.disposition, requireMailbox: result.requireMailbox, adopt: result.adopt }, { disposition: "trash", requireMailbox: true, adopt: false });
    });

    it("refuses a target in the user's own domain and an unknown disposition, naming the fields, with no API call", async () => {
      const result = await provider.check!({}, { ...inputs, forwardTo: "alice.smith@contoso.com", disposition: "delete" });
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => failure.property),
        ["disposition", "forwardTo"],
      );
      assert.match(result.failures![1].reason, /GoogleForwardingRoute\.forwardTo: .*use the routing subdomain, e.g. alice\.smith@o365\.contoso\.com/);
      assert.deepStrictEqual([...tenant.reads, ...tenant.writes], []);
    });
  });

  describe("decisions", () => {
    const stored = { ...inputs, disposition: "trash", requireMailbox: true, enabled: true, forwardingEmail: "alice@o365.contoso.com" };
    const desired = { ...inputs, disposition: "trash", requireMailbox: true };
    const diffs: [string, Record<string, unknown>, Record<string, unknown>, { changes: boolean; replaces: string[] }][] = [
      ["equal values are no change", stored, desired, { changes: false, replaces: [] }],
      ["forwarding switched off in Gmail is drift", { ...stored, enabled: false, forwardingEmail: "" }, desired, { changes: true, replaces: [] }],
      ["forwarding pointed elsewhere is drift", { ...stored, forwardingEmail: "alice@elsewhere.example" }, desired, { changes: true, replaces: [] }],
      ["a copy kept in Gmail is drift", { ...stored, disposition: "leaveInInbox" }, desired, { changes: true, replaces: [] }],
      ["a new target is an update", stored, { ...desired, forwardTo: "alice@m365.contoso.com" }, { changes: true, replaces: [] }],
      ["another user replaces", stored, { ...desired, userEmail: "bob@contoso.com" }, { changes: true, replaces: ["userEmail"] }],
    ];
    for (const [title, olds, news, expected] of diffs) {
      it(`diff: ${title}`, () => {
        const { changes, replaces } = planRouteDiff(olds, news);
        assert.deepStrictEqual({ changes, replaces }, expected);
      });
    }

    const route = { ...inputs, disposition: "trash" as const, requireMailbox: true, adopt: false };
    const found: [string, Parameters<typeof existingForwarding>[0], boolean, string][] = [
      ["forwarding off", { enabled: false }, false, "none"],
      ["the same forwarding", { enabled: true, emailAddress: "Alice@O365.contoso.com", disposition: "trash" }, false, "identical"],
      ["forwarding that keeps a copy", { enabled: true, emailAddress: "alice@o365.contoso.com", disposition: "leaveInInbox" }, false, "refuse"],
      ["forwarding elsewhere", { enabled: true, emailAddress: "alice@elsewhere.example", disposition: "trash" }, false, "refuse"],
      ["forwarding elsewhere, adopt set", { enabled: true, emailAddress: "alice@elsewhere.example", disposition: "trash" }, true, "adopt"],
    ];
    for (const [title, settings, adopt, expected] of found) {
      it(`existing: ${title} → ${expected}`, () => assert.strictEqual(existingForwarding(settings, { ...route, adopt }), expected));
    }
  });

  describe("lifecycle", () => {
    it("creates the forwarding address, then forwards everything to it without keeping a copy", async () => {
      const { id, outs } = await provider.create(await checked());
      assert.strictEqual(id, "alice@contoso.com");
      assert.deepStrictEqual(googleCalls(), ["createForwardingAddress alice@o365.contoso.com", "updateAutoForwarding alice@o365.contoso.com true"]);
      assert.deepStrictEqual(gmail()!.autoForwarding, { enabled: true, emailAddress: "alice@o365.contoso.com", disposition: "trash" });
      assert.deepStrictEqual({ enabled: outs.enabled, forwardingEmail: outs.forwardingEmail, disposition: outs.disposition }, { enabled: true, forwardingEmail: "alice@o365.contoso.com", disposition: "trash" });
    });

    it("refuses to forward to a mail user (the mail would loop) and changes nothing in Google", async () => {
      tenant.recipient("alice@contoso.com")!.RecipientTypeDetails = "MailUser";
      await assert.rejects(provider.create(await checked()), /not forwarding alice@contoso\.com to alice@o365\.contoso\.com: it is a MailUser.*loop.*License the user first/);
      assert.deepStrictEqual(tenant.writesTo("google"), []);
    });

    describe("beside its licence (mailboxTimeoutSeconds)", () => {
      const licence = { userPrincipalName: "alice@contoso.com", sku: "EXCHANGESTANDARD", usageLocation: "GB" };
      beforeEach(() => {
        tenant.recipient("alice@contoso.com")!.RecipientTypeDetails = "MailUser";
        tenant.addSku("EXCHANGESTANDARD", { enabled: 10, consumed: 0 });
        tenant.conversionPolls = 3;
      });
      const licensed = async (values: Record<string, unknown> = licence) => licenseAssignmentProvider.create((await licenseAssignmentProvider.check!({}, values)).inputs!);

      it("waits for the mailbox the licence makes, then forwards: Gmail is written only after the licence", async () => {
        const [, route] = await Promise.all([licensed(), provider.create(await checked({ ...inputs, mailboxTimeoutSeconds: 600 }))]);
        assert.strictEqual(route.outs.enabled, true);
        const order = tenant.writes.map((write) => write.call);
        assert.ok(order.indexOf("assignLicense") < order.indexOf("createForwardingAddress"), order.join(", "));
        assert.deepStrictEqual(gmail()!.autoForwarding, { enabled: true, emailAddress: "alice@o365.contoso.com", disposition: "trash" });
      });

      it("stops waiting the moment the licence fails, naming why, and changes nothing in Google", async () => {
        const started = tenant.now;
        const [licenceResult, routeResult] = await Promise.allSettled([licensed({ ...licence, sku: "NO_SUCH_SKU" }), provider.create(await checked({ ...inputs, mailboxTimeoutSeconds: 600 }))]);
        assert.strictEqual(licenceResult.status, "rejected");
        assert.strictEqual(routeResult.status, "rejected");
        assert.match(String((routeResult as PromiseRejectedResult).reason), /not forwarding alice@contoso\.com to alice@o365\.contoso\.com: licensing alice@contoso\.com failed in this run.*NO_SUCH_SKU/);
        assert.ok(tenant.now - started < 600_000, `waited ${(tenant.now - started) / 1000} s of fake time`);
        assert.deepStrictEqual(tenant.writesTo("google"), []);
      });

      it("refuses once the time is up when nothing makes the mailbox, changing nothing in Google", async () => {
        const started = tenant.now;
        await assert.rejects(provider.create(await checked({ ...inputs, mailboxTimeoutSeconds: 30 })), /it is a MailUser.*loop/);
        assert.ok(tenant.now - started >= 30_000, `gave up after ${(tenant.now - started) / 1000} s`);
        assert.deepStrictEqual(tenant.writesTo("google"), []);
      });
    });

    it("refuses to forward to an address no recipient has (the mail would bounce)", async () => {
      await assert.rejects(provider.create(await checked({ ...inputs, forwardTo: "alice@m365.contoso.com" })), /no Exchange recipient has that address: forwarded mail would bounce/);
    });

    it("refuses clearly when Google leaves the address pending verification", async () => {
      tenant.addMailUser("alice.ext@contoso.onmicrosoft.com", { RecipientTypeDetails: "UserMailbox" });
      await assert.rejects(
        provider.create(await checked({ ...inputs, forwardTo: "alice.ext@contoso.onmicrosoft.com" })),
        /GoogleForwardingRoute\.forwardTo: Google left alice\.ext@contoso\.onmicrosoft\.com "pending".*mailed a verification link.*subdomain of contoso\.com/,
      );
      assert.deepStrictEqual(googleCalls(), ["createForwardingAddress alice.ext@contoso.onmicrosoft.com"]);
    });

    it("takes over identical forwarding silently, and refuses other forwarding unless adopt is set", async () => {
      gmail()!.forwardingAddresses.push({ forwardingEmail: "alice@o365.contoso.com", verificationStatus: "accepted" });
      gmail()!.autoForwarding = { enabled: true, emailAddress: "alice@o365.contoso.com", disposition: "trash" };
      await provider.create(await checked());
      assert.deepStrictEqual(tenant.writes, []);
      assert.match(tenant.notes.join("\n"), /already forwards to alice@o365\.contoso\.com \(trash\); taking it over/);

      gmail()!.autoForwarding.disposition = "leaveInInbox";
      await assert.rejects(provider.create(await checked()), /already forwards to alice@o365\.contoso\.com \(leaveInInbox\); set adopt: true to take it over/);
      await provider.create(await checked({ ...inputs, adopt: true }));
      assert.strictEqual(gmail()!.autoForwarding.disposition, "trash");
    });

    it("finds forwarding switched off in Gmail on refresh, and the next update switches it on again", async () => {
      const news = await checked();
      const { id, outs } = await provider.create(news);
      gmail()!.autoForwarding = { enabled: false };
      const read = await provider.read!(id, outs);
      assert.strictEqual(read.props?.enabled, false);
      assert.strictEqual((await provider.diff!(id, read.props!, news)).changes, true);
      const updated = await provider.update!(id, read.props!, news);
      assert.strictEqual(gmail()!.autoForwarding.enabled, true);
      assert.strictEqual((await provider.diff!(id, updated.outs!, news)).changes, false);
    });

    it("moves to a new target by switching forwarding first and removing the old address after", async () => {
      tenant.recipient("alice@contoso.com")!.EmailAddresses.push("smtp:alice@m365.contoso.com");
      const { id, outs } = await provider.create(await checked());
      await provider.update!(id, outs, await checked({ ...inputs, forwardTo: "alice@m365.contoso.com" }));
      assert.deepStrictEqual(googleCalls().slice(2), [
        "createForwardingAddress alice@m365.contoso.com",
        "updateAutoForwarding alice@m365.contoso.com true",
        "deleteForwardingAddress alice@o365.contoso.com",
      ]);
    });

    it("on delete, switches forwarding off before removing the address", async () => {
      const { id, outs } = await provider.create(await checked());
      await provider.delete!(id, outs);
      assert.deepStrictEqual(googleCalls().slice(2), ["updateAutoForwarding  false", "deleteForwardingAddress alice@o365.contoso.com"]);
      assert.deepStrictEqual(gmail(), { autoForwarding: { enabled: false }, forwardingAddresses: [] });
    });

    it("on delete, leaves forwarding that someone pointed elsewhere on", async () => {
      const { id, outs } = await provider.create(await checked());
      gmail()!.autoForwarding = { enabled: true, emailAddress: "alice@elsewhere.example", disposition: "trash" };
      await provider.delete!(id, outs);
      assert.strictEqual(gmail()!.autoForwarding.enabled, true);
      assert.match(tenant.notes.join("\n"), /now forwards to alice@elsewhere\.example, not alice@o365\.contoso\.com; left that forwarding on/);
    });

    it("gives an adopted mailbox its forwarding back on delete, and switches it off with deleteAdopted", async () => {
      gmail()!.forwardingAddresses.push({ forwardingEmail: "alice@archive.example", verificationStatus: "accepted" });
      gmail()!.autoForwarding = { enabled: true, emailAddress: "alice@archive.example", disposition: "leaveInInbox" };
      const { id, outs } = await provider.create(await checked({ ...inputs, adopt: true }));
      assert.deepStrictEqual([outs.ownership, outs.adoptedForwarding], ["adopted", { emailAddress: "alice@archive.example", disposition: "leaveInInbox" }]);
      await provider.delete!(id, outs);
      assert.deepStrictEqual(gmail()!.autoForwarding, { enabled: true, emailAddress: "alice@archive.example", disposition: "leaveInInbox" });
      assert.deepStrictEqual(gmail()!.forwardingAddresses.map((address) => address.forwardingEmail), ["alice@archive.example"], "only the route's address goes");
      assert.match(tenant.notes.join("\n"), /alice@contoso\.com was adopted: it forwards to alice@archive\.example \(leaveInInbox\) again, as before/);

      const again = await provider.create(await checked({ ...inputs, adopt: true, deleteAdopted: true }));
      await provider.delete!(again.id, again.outs);
      assert.strictEqual(gmail()!.autoForwarding.enabled, false);
    });

    it("hands a route another resource of this deployment now declares over, switching nothing off", async () => {
      const { id, outs } = await provider.create(await checked());
      claim("GoogleForwardingRoute", "alice@contoso.com", "forwards-sales");
      await provider.delete!(id, outs);
      assert.strictEqual(gmail()!.autoForwarding.enabled, true);
      assert.match(tenant.notes.join("\n"), /alice@contoso\.com is declared by forwards-sales now: handed over/);
    });

    describe("a Google user who left", () => {
      beforeEach(() => configureFromStack({ get: (key) => (key === "coexist:googleAdmin" ? "admin@contoso.com" : undefined) }));
      afterEach(() => configureFromStack({ get: () => undefined }));

      for (const departure of ["suspended", "deleted"] as const) {
        it(`${departure}: delete steps past it on the Directory's word, names the user, and changes nothing`, async () => {
          const { id, outs } = await provider.create(await checked());
          tenant.writes.length = 0;
          tenant.departed.set("alice@contoso.com", departure);
          await provider.delete!(id, outs);
          assert.deepStrictEqual(tenant.writes, []);
          assert.ok(tenant.reads.includes("google getDirectoryUser alice@contoso.com"));
          assert.match(tenant.notes.join("\n"), new RegExp(`alice@contoso\\.com is ${departure} in Google Workspace .* skipped switching its forwarding off: a ${departure} account forwards nothing`));
        });
      }

      it("refresh keeps a departed user's route as last seen", async () => {
        const { id, outs } = await provider.create(await checked());
        tenant.departed.set("alice@contoso.com", "suspended");
        assert.deepStrictEqual(await provider.read!(id, outs), { id, props: outs });
      });

      it("an active user's Gmail refusal stands: nothing is skipped", async () => {
        const { id, outs } = await provider.create(await checked());
        tenant.apis.google.getAutoForwarding = async () => {
          throw Object.assign(new Error("Google getAutoForwarding failed (HTTP 403, forbidden): Delegation denied"), { status: 403 });
        };
        await assert.rejects(provider.delete!(id, outs), /Delegation denied/);
      });

      it("a failure that cannot mean a departure (a 503) is not put to the Directory", async () => {
        const { id, outs } = await provider.create(await checked());
        tenant.apis.google.getAutoForwarding = async () => {
          throw Object.assign(new Error("Google getAutoForwarding failed (HTTP 503): backend error"), { status: 503 });
        };
        await assert.rejects(provider.delete!(id, outs), /backend error/);
        assert.ok(!tenant.reads.includes("google getDirectoryUser alice@contoso.com"));
      });
    });

    describe("a forwarding address whose creation has an unknown outcome", () => {
      const unknown = (): Error => Object.assign(new Error("Google forwardingAddresses.create failed: socket hang up"), { outcomeUnknown: true });

      it("is read first; when Gmail has it, it is used: no second create", async () => {
        const create = tenant.apis.google.createForwardingAddress;
        let calls = 0;
        tenant.apis.google.createForwardingAddress = async (user, email) => {
          calls++;
          await create(user, email);
          throw unknown();
        };
        await provider.create(await checked());
        assert.strictEqual(calls, 1);
        assert.strictEqual(gmail()!.autoForwarding.enabled, true);
      });

      it("is read first; when Gmail does not have it, it is created once more", async () => {
        const create = tenant.apis.google.createForwardingAddress;
        let calls = 0;
        tenant.apis.google.createForwardingAddress = async (user, email) => {
          if (++calls === 1) throw unknown();
          return create(user, email);
        };
        await provider.create(await checked());
        assert.strictEqual(calls, 2);
      });
    });

    it("reports a route whose Google user is gone as gone", async () => {
      const { id, outs } = await provider.create(await checked());
      tenant.gmail.delete("alice@contoso.com");
      assert.deepStrictEqual(await provider.read!(id, outs), {});
    });
  });
});
