import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { mailUserProvider as provider } from "../../../provider/resources/mailUser";
import { matchesFingerprint } from "../../../provider/resources/passwordFingerprint";
import { FakeTenant } from "./fakeApis";

const PASSWORD = "Coexist-Pa55word!";
const inputs = {
  name: "Alice Smith",
  alias: "alice",
  externalEmailAddress: "alice@contoso.com",
  microsoftOnlineServicesId: "alice@contoso.com",
  password: PASSWORD,
  routingAddress: "alice@o365.contoso.com",
};

async function checked(values: Record<string, unknown> = inputs): Promise<Record<string, unknown>> {
  const result = await provider.check!({}, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs!;
}

describe("MailUser", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => tenant.uninstall());

  describe("check", () => {
    it("fills in the defaults and lower-cases the addresses", async () => {
      const result = await checked({ ...inputs, externalEmailAddress: "Alice@Contoso.com" });
      assert.strictEqual(result.displayName, "Alice Smith");
      assert.strictEqual(result.externalEmailAddress, "alice@contoso.com");
      assert.strictEqual(result.adopt, false);
    });

    it("names every bad field with its fix, never echoes the password, and calls no API", async () => {
      const result = await provider.check!({}, { ...inputs, alias: "al ice", externalEmailAddress: "alice", password: "short", routingAddress: "alice.r@contoso.com" });
      const reasons = (result.failures ?? []).map((failure) => `${failure.property}: ${failure.reason}`);
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => failure.property),
        ["alias", "externalEmailAddress", "password"],
        "the routing address is checked against the domain only once the address is valid",
      );
      assert.match(reasons.join("\n"), /MailUser\.password: must be at least 8 characters/);
      assert.doesNotMatch(JSON.stringify(result.failures), /short/);
      assert.deepStrictEqual([...tenant.reads, ...tenant.writes], []);
    });

    it("refuses a routing address in the user's own domain, suggesting the routing subdomain", async () => {
      const result = await provider.check!({}, { ...inputs, routingAddress: "alice.r@contoso.com" });
      assert.strictEqual(result.failures?.[0].property, "routingAddress");
      assert.match(result.failures![0].reason, /alice\.r@o365\.contoso\.com/);
    });

    it("passes values the engine does not know yet at preview", async () => {
      const result = await checked({ ...inputs, password: UNKNOWN, routingAddress: UNKNOWN });
      assert.strictEqual(result.password, UNKNOWN);
      assert.strictEqual(result.routingAddress, UNKNOWN);
    });
  });

  describe("lifecycle", () => {
    async function create(values: Record<string, unknown> = inputs): Promise<{ id: string; outs: Record<string, unknown> }> {
      const { id, outs } = await provider.create(await checked(values));
      return { id, outs: outs as Record<string, unknown> };
    }

    it("creates the mail user, adds the routing address, and keeps the password out of the outputs", async () => {
      const { id, outs } = await create();
      const created = tenant.recipient("alice@contoso.com")!;
      assert.strictEqual(id, created.Guid);
      assert.deepStrictEqual(created.EmailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
      assert.deepStrictEqual(
        tenant.writes.map((write) => write.call),
        ["New-MailUser", "Set-MailUser"],
      );
      assert.deepStrictEqual(tenant.reads, [], "two Exchange calls: the new object is not read back");
      assert.strictEqual(tenant.writes[0].parameters.Password, PASSWORD, "New-MailUser gets the password");
      assert.strictEqual(outs.recipientTypeDetails, "MailUser");
      assert.strictEqual(outs.guid, created.Guid);
      assert.doesNotMatch(JSON.stringify(outs), new RegExp(PASSWORD));
      assert.ok(matchesFingerprint(PASSWORD, outs.passwordHash));
    });

    it("retries adding the routing address while Exchange does not show the new object yet", async () => {
      const exchange = tenant.apis.exchange;
      const invoke = exchange.invoke;
      let hidden = 2;
      exchange.invoke = async (cmdlet, parameters = {}) => {
        if (cmdlet === "Set-MailUser" && hidden-- > 0) throw new ExchangeError(cmdlet, "Exchange Set-MailUser failed: couldn't be found", { status: 404, notFound: true });
        return invoke(cmdlet, parameters);
      };
      const { outs } = await create();
      assert.deepStrictEqual(outs.emailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
      assert.deepStrictEqual(tenant.recipient("alice@contoso.com")!.EmailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
    });

    it("takes over an identical mail user left by an interrupted create, without resetting its password", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice Smith", DisplayName: "Alice Smith" });
      const { outs } = await create();
      assert.deepStrictEqual(tenant.writes.map((write) => [write.call, Object.keys(write.parameters)]), [["Set-MailUser", ["Identity", "EmailAddresses"]]]);
      assert.match(tenant.notes.join("\n"), /identical mail user/);
      assert.deepStrictEqual(outs.emailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
    });

    it("refuses a different existing recipient unless adopt is set", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice", DisplayName: "Alice" });
      await assert.rejects(create(), /alice@contoso\.com already exists in Exchange Online with a different name, displayName; set adopt: true to take it over \(it will be changed to match\)/);
      assert.deepStrictEqual(tenant.writes, []);
    });

    it("with adopt, changes an existing mail user to match, password included", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice", DisplayName: "Alice" });
      await create({ ...inputs, adopt: true });
      const [set, reset] = tenant.writes;
      assert.strictEqual(set.call, "Set-MailUser");
      assert.deepStrictEqual({ ...set.parameters, Identity: undefined }, {
        Identity: undefined,
        Name: "Alice Smith",
        DisplayName: "Alice Smith",
        EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: "smtp:alice@o365.contoso.com" },
      });
      assert.deepStrictEqual([reset.call, reset.parameters.password], ["setPassword", PASSWORD], "an administrator resets the password in Entra ID");
    });

    it("never shows the password in an error", async () => {
      const exchange = tenant.apis.exchange;
      const invoke = exchange.invoke;
      exchange.invoke = async (cmdlet, parameters = {}) => {
        if (cmdlet === "New-MailUser") throw new ExchangeError(cmdlet, `Exchange New-MailUser failed: password '${String(parameters.Password)}' is too weak`, { status: 400 });
        return invoke(cmdlet, parameters);
      };
      await assert.rejects(create(), (error: Error) => {
        assert.match(error.message, /\[redacted\]/);
        assert.doesNotMatch(error.message, new RegExp(PASSWORD));
        return true;
      });
    });

    it("reads a licensed user as a mailbox without planning any change", async () => {
      const { id, outs } = await create();
      const recipient = tenant.recipient(id)!;
      recipient.RecipientTypeDetails = "UserMailbox";
      recipient.ExternalEmailAddress = undefined;
      const read = await provider.read!(id, outs);
      assert.strictEqual(read.props?.recipientTypeDetails, "UserMailbox");
      assert.strictEqual((await provider.diff!(id, read.props!, await checked())).changes, false);
    });

    it("finds a removed routing address on refresh and adds it again on update", async () => {
      const { id, outs } = await create();
      tenant.recipient(id)!.EmailAddresses = ["SMTP:alice@contoso.com"];
      const read = await provider.read!(id, outs);
      const news = await checked();
      assert.strictEqual((await provider.diff!(id, read.props!, news)).changes, true);
      const updated = await provider.update!(id, read.props!, news);
      assert.deepStrictEqual(tenant.recipient(id)!.EmailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
      assert.strictEqual((await provider.diff!(id, updated.outs!, news)).changes, false);
    });

    it("resets the password of a mail user when it changes, and stores the new fingerprint", async () => {
      const { id, outs } = await create();
      const news = await checked({ ...inputs, password: "Another-Pa55word" });
      const updated = await provider.update!(id, outs, news);
      const reset = tenant.writes.at(-1)!;
      assert.deepStrictEqual([reset.api, reset.call, reset.parameters.password], ["graph", "setPassword", "Another-Pa55word"]);
      assert.ok(matchesFingerprint("Another-Pa55word", updated.outs!.passwordHash));
    });

    it("on update of a mailbox, keeps the old routing address and says why", async () => {
      const { id, outs } = await create();
      tenant.recipient(id)!.RecipientTypeDetails = "UserMailbox";
      await provider.update!(id, outs, await checked({ ...inputs, routingAddress: "alice@m365.contoso.com" }));
      assert.deepStrictEqual(tenant.writes.at(-1)!.call, "Set-Mailbox");
      assert.ok(tenant.recipient(id)!.EmailAddresses.includes("smtp:alice@o365.contoso.com"));
      assert.ok(tenant.recipient(id)!.EmailAddresses.includes("smtp:alice@m365.contoso.com"));
      assert.match(tenant.notes.join("\n"), /kept the previous routing address alice@o365\.contoso\.com/);
    });

    it("deletes a mail user, but keeps a mailbox and says so", async () => {
      const first = await create();
      tenant.reads.length = 0;
      await provider.delete!(first.id, first.outs);
      assert.strictEqual(tenant.recipient(first.id), undefined);
      assert.deepStrictEqual(tenant.reads, [], "a mail user goes with one call");

      const second = await create();
      tenant.recipient(second.id)!.RecipientTypeDetails = "UserMailbox";
      tenant.addGmailUser(String(second.outs.externalEmailAddress), { enabled: true, emailAddress: String(second.outs.routingAddress), disposition: "trash" });
      const writesBefore = tenant.writes.length;
      await provider.delete!(second.id, second.outs);
      assert.strictEqual(tenant.writes.length, writesBefore, "nothing removed while Gmail forwards to the routing address");
      assert.ok(tenant.recipient(second.id));
      assert.match(tenant.notes.join("\n"), /kept the mailbox and its routing address .* \(Gmail still forwards to it\), so no mail is lost/);
    });

    it("releases a migrated user's routing address once Gmail no longer forwards to it, keeping the mailbox", async () => {
      const { id, outs } = await create();
      tenant.recipient(id)!.RecipientTypeDetails = "UserMailbox";
      tenant.addGmailUser(String(outs.externalEmailAddress), { enabled: false });
      await provider.delete!(id, outs);
      assert.ok(tenant.recipient(id), "the mailbox stays");
      assert.ok(!JSON.stringify(tenant.recipient(id)).toLowerCase().includes(String(outs.routingAddress)), "the routing address is gone");
      assert.match(tenant.notes.join("\n"), /removed the routing address .*, which Gmail no longer forwards to/);
    });

    it("keeps asking Gmail about the user's own address once a refresh saw the mailbox (no external address there)", async () => {
      const { id, outs } = await create();
      const mailbox = tenant.recipient(id)!;
      mailbox.RecipientTypeDetails = "UserMailbox";
      (mailbox as { ExternalEmailAddress?: string | null }).ExternalEmailAddress = null;
      const refreshed = (await provider.read!(id, outs)).props!;
      assert.strictEqual(refreshed.externalEmailAddress, outs.externalEmailAddress);
      tenant.addGmailUser(String(outs.externalEmailAddress), { enabled: true, emailAddress: String(outs.routingAddress), disposition: "trash" });
      await provider.delete!(id, refreshed);
      assert.ok(JSON.stringify(tenant.recipient(id)).toLowerCase().includes(String(outs.routingAddress)), "the routing address stays while Gmail forwards to it");
    });

    it("reports a recipient removed out of band as gone", async () => {
      const { id, outs } = await create();
      tenant.recipients.delete(id);
      assert.deepStrictEqual(await provider.read!(id, outs), {});
    });
  });
});
