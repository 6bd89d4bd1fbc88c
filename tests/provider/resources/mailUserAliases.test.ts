import * as assert from "assert";
import { configureFromStack } from "../../../provider/config";
import { mailUserProvider as provider } from "../../../provider/resources/mailUser";
import { FakeTenant } from "./fakeApis";
import { OWNER } from "./sets";

type Values = Record<string, unknown>;

const inputs: Values = {
  name: "Ben Adams",
  alias: "ben.adams",
  externalEmailAddress: "ben.adams@contoso.com",
  microsoftOnlineServicesId: "ben.adams@contoso.com",
  routingAddress: "ben.adams@o365.contoso.com",
  aliases: ["ben@contoso.com", "ben.adams@gsuite.contoso.com"],
  password: "Coexist-Pa55word!",
  owner: OWNER,
  holder: "ben",
};

async function checked(values: Values = inputs): Promise<Values> {
  const result = await provider.check!({}, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs!;
}

const proxiesOf = (tenant: FakeTenant): string[] => tenant.recipient("ben.adams@contoso.com")!.EmailAddresses;

describe("MailUser aliases", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
    tenant.addDomain("contoso.com", {}, "InternalRelay");
    tenant.addDomain("o365.contoso.com", {}, "Authoritative");
  });
  afterEach(() => {
    tenant.uninstall();
    configureFromStack({ get: () => undefined });
  });

  it("check refuses the user's own addresses and the routing domain as aliases, naming each", async () => {
    const result = await provider.check!({}, { ...inputs, aliases: ["Ben.Adams@contoso.com", "ben@o365.contoso.com", "not an address"] });
    assert.deepStrictEqual(
      (result.failures ?? []).map((failure) => failure.property),
      ["aliases[2]"],
      "an address that is not one stops the list check first",
    );
    const own = await provider.check!({}, { ...inputs, aliases: ["Ben.Adams@contoso.com", "ben@o365.contoso.com"] });
    assert.deepStrictEqual(
      (own.failures ?? []).map((failure) => failure.reason),
      [
        "MailUser.aliases[0]: ben.adams@contoso.com is the user's own address, sign-in name or routing address; list only its other addresses",
        "MailUser.aliases[1]: ben@o365.contoso.com is on the routing domain o365.contoso.com, where only routing addresses belong; remove it",
      ],
    );
  });

  it("create adds the aliases on accepted domains as proxies and reports the others in a note and unroutableAliases", async () => {
    const { outs } = await provider.create(await checked());
    assert.deepStrictEqual(proxiesOf(tenant), ["SMTP:ben.adams@contoso.com", "smtp:ben.adams@o365.contoso.com", "smtp:ben@contoso.com"]);
    assert.deepStrictEqual([outs.aliases, outs.unroutableAliases], [["ben@contoso.com", "ben.adams@gsuite.contoso.com"], ["ben.adams@gsuite.contoso.com"]]);
    assert.ok(
      tenant.notes.some((text) => text.includes("ben.adams@gsuite.contoso.com not added as proxy addresses: gsuite.contoso.com is not an accepted domain of Exchange Online (listed in the unroutableAliases output)")),
      tenant.notes.join("\n"),
    );
    assert.deepStrictEqual(await provider.diff!(outs.guid, outs, await checked()), { changes: false, replaces: [], deleteBeforeReplace: false }, "an unroutable alias is no drift");
  });

  it("a mailbox keeps its aliases; an alias removed from the list goes, one added comes, in one Set-Mailbox", async () => {
    const { outs } = await provider.create(await checked());
    tenant.recipient("ben.adams@contoso.com")!.RecipientTypeDetails = "UserMailbox";
    const news = await checked({ ...inputs, aliases: ["benjamin@contoso.com", "ben.adams@gsuite.contoso.com"] });
    assert.strictEqual((await provider.diff!(outs.guid, { ...outs, recipientTypeDetails: "UserMailbox" }, news)).changes, true);
    tenant.writes.length = 0;
    const { outs: updated } = await provider.update!(outs.guid, { ...outs, recipientTypeDetails: "UserMailbox" }, news);
    assert.deepStrictEqual(
      tenant.writes.map((write) => [write.call, write.parameters.EmailAddresses]),
      [["Set-Mailbox", { "@odata.type": "#Exchange.GenericHashTable", Add: "smtp:benjamin@contoso.com", Remove: "smtp:ben@contoso.com" }]],
    );
    assert.deepStrictEqual(proxiesOf(tenant), ["SMTP:ben.adams@contoso.com", "smtp:ben.adams@o365.contoso.com", "smtp:benjamin@contoso.com"]);
    assert.deepStrictEqual(updated.unroutableAliases, ["ben.adams@gsuite.contoso.com"]);
  });

  it("an alias someone removed is drift, added again by the next up", async () => {
    const { outs } = await provider.create(await checked());
    const refreshed = { ...outs, emailAddresses: ["SMTP:ben.adams@contoso.com", "smtp:ben.adams@o365.contoso.com"] };
    assert.strictEqual((await provider.diff!(outs.guid, refreshed, await checked())).changes, true);
  });

  it("refresh finds an alias domain verified since: the alias is no longer unroutable, and the next up adds it", async () => {
    const { id, outs } = await provider.create(await checked());
    tenant.addDomain("gsuite.contoso.com", {}, "Authoritative");
    tenant.uninstall();
    tenant.install(); // a new provider process: the accepted domains are listed again
    const { props } = await provider.read!(id, outs);
    assert.deepStrictEqual(props!.unroutableAliases, []);
    assert.strictEqual((await provider.diff!(id, props!, await checked())).changes, true);
    await provider.update!(id, props!, await checked());
    assert.ok(proxiesOf(tenant).includes("smtp:ben.adams@gsuite.contoso.com"), proxiesOf(tenant).join(", "));
  });

  it("a user without aliases reads no accepted domain and keeps its state as before", async () => {
    const { aliases: _aliases, ...plain } = inputs;
    const { outs } = await provider.create(await checked(plain));
    assert.deepStrictEqual([outs.aliases, outs.unroutableAliases], [undefined, undefined]);
    assert.ok(!tenant.reads.includes("exchange Get-AcceptedDomain"), tenant.reads.join("\n"));
  });

  it("restoring an adopted mail user takes away the aliases it did not have, and keeps those it had", async () => {
    tenant.addMailUser("ben.adams@contoso.com", { EmailAddresses: ["SMTP:ben.adams@contoso.com", "smtp:ben@contoso.com"], CustomAttribute15: "" });
    const { id, outs } = await provider.create(await checked({ ...inputs, aliases: ["ben@contoso.com", "benjamin@contoso.com"], adopt: true }));
    assert.ok(proxiesOf(tenant).includes("smtp:benjamin@contoso.com"));
    await provider.delete!(id, outs);
    assert.deepStrictEqual(proxiesOf(tenant), ["SMTP:ben.adams@contoso.com", "smtp:ben@contoso.com"]);
  });
});
