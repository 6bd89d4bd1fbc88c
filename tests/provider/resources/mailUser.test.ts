import * as assert from "assert";
import { ExchangeError } from "../../../provider/clients/exchange";
import { GraphApiError } from "../../../provider/clients/graph";
import { configureFromStack } from "../../../provider/config";
import { claim } from "../../../provider/resources/claims";
import { meetsComplexity } from "../../../provider/resources/initialPassword";
import { UNKNOWN } from "../../../provider/resources/inputs";
import { mailUserProvider as provider } from "../../../provider/resources/mailUser";
import { creationToken, ownerMark } from "../../../provider/resources/ownership";
import { matchesFingerprint } from "../../../provider/resources/passwordFingerprint";
import { FakeTenant } from "./fakeApis";
import { OWNER } from "./sets";

type Values = Record<string, unknown>;

const PASSWORD = "Coexist-Pa55word!";
const MARK = ownerMark(OWNER);
const inputs: Values = {
  name: "Alice Smith",
  alias: "alice",
  externalEmailAddress: "alice@contoso.com",
  microsoftOnlineServicesId: "alice@contoso.com",
  routingAddress: "alice@o365.contoso.com",
  owner: OWNER,
  holder: "alice",
};
const withPassword = { ...inputs, password: PASSWORD };

async function checked(values: Values = inputs, olds: Values = {}): Promise<Values> {
  const result = await provider.check!(olds, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return result.inputs!;
}

const calls = (tenant: FakeTenant): string[] => tenant.writes.map((write) => `${write.api} ${write.call}`);

describe("MailUser", () => {
  let tenant: FakeTenant;
  beforeEach(() => {
    tenant = new FakeTenant().install();
  });
  afterEach(() => {
    tenant.uninstall();
    configureFromStack({ get: () => undefined });
  });

  describe("check", () => {
    it("fills in the defaults (no password: one is generated per user; sign-in blocked; the mark in CustomAttribute15) and lower-cases the addresses", async () => {
      const result = await checked({ ...inputs, externalEmailAddress: "Alice@Contoso.com" });
      assert.strictEqual(result.displayName, "Alice Smith");
      assert.strictEqual(result.externalEmailAddress, "alice@contoso.com");
      assert.strictEqual(result.password, undefined);
      assert.deepStrictEqual(
        [result.adopt, result.deleteAdopted, result.signInEnabled, result.ownerAttribute, result.replicationTimeoutSeconds],
        [false, false, false, "CustomAttribute15", 900],
      );
    });

    it("names every bad field with its fix, never echoes the password, and calls no API", async () => {
      const result = await provider.check!({}, { ...inputs, alias: "al ice", externalEmailAddress: "alice", password: "short", routingAddress: "alice.r@contoso.com", ownerAttribute: "Comment" });
      const reasons = (result.failures ?? []).map((failure) => `${failure.property}: ${failure.reason}`);
      assert.deepStrictEqual(
        (result.failures ?? []).map((failure) => failure.property),
        ["alias", "externalEmailAddress", "password", "ownerAttribute"],
        "the routing address is checked against the domain only once the address is valid",
      );
      assert.match(reasons.join("\n"), /MailUser\.password: must be 8 to 256 characters with three of: lower case, upper case, digits, symbols .* or leave it unset/);
      assert.match(reasons.join("\n"), /MailUser\.ownerAttribute: "Comment" is not one of CustomAttribute1 … CustomAttribute15/);
      assert.doesNotMatch(JSON.stringify(result.failures), /short/);
      assert.deepStrictEqual([...tenant.reads, ...tenant.writes], []);
    });

    it("refuses a long password of one kind of character, and an empty one", async () => {
      for (const password of ["alllowercaseletters", ""]) {
        const result = await provider.check!({}, { ...inputs, password });
        assert.deepStrictEqual((result.failures ?? []).map((failure) => failure.property), ["password"], JSON.stringify(password));
      }
    });

    it("refuses to move the mark to another attribute once created, naming the one to keep", async () => {
      const result = await provider.check!({ ...inputs, ownerAttribute: "CustomAttribute15" }, { ...inputs, ownerAttribute: "customattribute10" });
      assert.match(result.failures![0].reason, /cannot change from CustomAttribute15 to CustomAttribute10: .* keep CustomAttribute15/);
      assert.strictEqual((await checked({ ...inputs, ownerAttribute: "customattribute10" })).ownerAttribute, "CustomAttribute10");
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

  describe("create", () => {
    async function create(values: Values = inputs): Promise<{ id: string; outs: Values }> {
      const { id, outs } = await provider.create(await checked(values));
      return { id, outs: outs as Values };
    }

    it("creates the mail user with its own password, to be changed at first sign-in, marks it, adds the routing address and blocks sign-in", async () => {
      const { id, outs } = await create();
      const created = tenant.recipient("alice@contoso.com")!;
      assert.strictEqual(id, created.Guid);
      assert.deepStrictEqual(calls(tenant), ["exchange New-MailUser", "exchange Set-MailUser", "graph setAccountEnabled"]);
      const [newMailUser, set, signIn] = tenant.writes;
      assert.strictEqual(newMailUser.parameters.Password, outs.initialPassword, "New-MailUser sets the password the output holds");
      assert.strictEqual(newMailUser.parameters.ResetPasswordOnNextLogon, true);
      assert.strictEqual(newMailUser.parameters.Name, `Alice Smith [creating ${creationToken(OWNER, "alice@contoso.com")}]`, "the creating call carries the stack's token");
      assert.deepStrictEqual(
        { ...set.parameters, Identity: undefined },
        { Identity: undefined, Name: "Alice Smith", CustomAttribute15: MARK, EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: "smtp:alice@o365.contoso.com" } },
      );
      assert.strictEqual(signIn.parameters.accountEnabled, false);
      assert.ok(meetsComplexity(String(outs.initialPassword)) && String(outs.initialPassword).length === 20);
      assert.deepStrictEqual(
        [outs.name, outs.signInEnabled, outs.ownership, outs.owner, outs.passwordHash, outs.recipientTypeDetails],
        ["Alice Smith", false, "created", OWNER, undefined, "MailUser"],
      );
      assert.deepStrictEqual(created.EmailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
      assert.strictEqual(tenant.users.get("alice@contoso.com")!.accountEnabled, false);
    });

    it("gives no two mail users the same password", async () => {
      const alice = await create();
      const bob = await create({ ...inputs, name: "Bob Smith", alias: "bob", externalEmailAddress: "bob@contoso.com", microsoftOnlineServicesId: "bob@contoso.com", routingAddress: "bob@o365.contoso.com" });
      assert.notStrictEqual(alice.outs.initialPassword, bob.outs.initialPassword);
    });

    it("sets a supplied password instead, and keeps only its fingerprint (the admin has the password), to notice a change", async () => {
      const { outs } = await create(withPassword);
      assert.strictEqual(tenant.writes[0].parameters.Password, PASSWORD);
      assert.strictEqual(outs.initialPassword, undefined);
      assert.ok(matchesFingerprint(PASSWORD, outs.passwordHash));
      assert.doesNotMatch(JSON.stringify(outs), new RegExp(PASSWORD));
    });

    it("leaves sign-in allowed when its batch is already migrating", async () => {
      const { outs } = await create({ ...inputs, signInEnabled: true });
      assert.deepStrictEqual(calls(tenant), ["exchange New-MailUser", "exchange Set-MailUser"]);
      assert.strictEqual(outs.signInEnabled, true);
    });

    it("waits for Microsoft Graph to show the new user, saying so, before it blocks sign-in", async () => {
      tenant.entraLagReads = 6;
      const started = tenant.now;
      const { outs } = await create();
      assert.strictEqual(outs.signInEnabled, false);
      assert.ok(tenant.now - started >= 15_000);
      assert.match(tenant.notes.join("\n"), /waiting for Microsoft Graph to show new users .*: alice@contoso\.com \(\d+ s so far, at most 900 s, set by \w+\)/);
    });

    it("records a mail user that Graph never shows in time as created but unfinished, sign-in still allowed, and says how to go on", async () => {
      tenant.entraLagReads = 1_000;
      await assert.rejects(create({ ...inputs, replicationTimeoutSeconds: 60 }), (error: Error & { id?: string; properties?: Values }) => {
        assert.match(error.message, /created alice@contoso\.com .* Microsoft Graph does not show the user alice@contoso\.com after 60 s .* raise replicationTimeoutSeconds/);
        assert.strictEqual(error.id, tenant.recipient("alice@contoso.com")!.Guid);
        assert.deepStrictEqual([error.properties?.signInEnabled, error.properties?.ownership, typeof error.properties?.initialPassword], [true, "created", "string"]);
        return true;
      });
    });

    it("names the Graph permission and how to grant it when blocking sign-in is refused", async () => {
      configureFromStack({ get: (key) => (key === "coexist:clientId" ? "11111111-2222-3333-4444-555555555555" : undefined) });
      tenant.apis.graph.setAccountEnabled = async () => {
        throw new GraphApiError("Graph PATCH /users/x failed (HTTP 403, Authorization_RequestDenied): Insufficient privileges to complete the operation.", { status: 403, code: "Authorization_RequestDenied" });
      };
      await assert.rejects(create(), /Microsoft Graph refused to change whether this user may sign in: alice@contoso\.com .* The app 11111111-2222-3333-4444-555555555555 needs the application permissions User\.EnableDisableAccount\.All and User\.Read\.All .* admin consent/);
    });

    it("retries marking the user while Exchange does not show the new object yet", async () => {
      const exchange = tenant.apis.exchange;
      const invoke = exchange.invoke;
      let hidden = 2;
      exchange.invoke = async (cmdlet, parameters = {}) => {
        if (cmdlet === "Set-MailUser" && hidden-- > 0) throw new ExchangeError(cmdlet, "Exchange Set-MailUser failed: couldn't be found", { status: 404, notFound: true });
        return invoke(cmdlet, parameters);
      };
      const { outs } = await create();
      assert.deepStrictEqual(outs.emailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
      assert.strictEqual(tenant.recipient("alice@contoso.com")!.Name, "Alice Smith");
    });

    it("takes over silently what an interrupted create left (this stack's token in the name, no mark, no routing address), with a new password", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: `Alice Smith [creating ${creationToken(OWNER, "alice@contoso.com")}]`, DisplayName: "Alice Smith" });
      const { outs } = await create();
      assert.deepStrictEqual(calls(tenant), ["exchange Set-MailUser", "graph setPassword", "graph setAccountEnabled"], "no second New-MailUser");
      assert.strictEqual(tenant.writes[1].parameters.password, outs.initialPassword);
      assert.deepStrictEqual([tenant.recipient("alice@contoso.com")!.Name, tenant.recipient("alice@contoso.com")!.CustomAttribute15], ["Alice Smith", MARK]);
      assert.deepStrictEqual([outs.ownership, outs.signInEnabled], ["created", false]);
      assert.match(tenant.notes.join("\n"), /which this stack created \(held by another of its resources before, or left by an interrupted run or a lost state\); taking it over/);
    });

    it("takes over silently a mail user with this stack's mark (a state that lost it)", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice Smith", DisplayName: "Alice Smith", CustomAttribute15: MARK, EmailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"] });
      const { outs } = await create();
      assert.deepStrictEqual(calls(tenant), ["graph setPassword", "graph setAccountEnabled"]);
      assert.strictEqual(outs.ownership, "created");
    });

    it("refuses an existing mail user this stack did not create, even an identical one, and changes nothing", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice Smith", DisplayName: "Alice Smith" });
      await assert.rejects(create(), /MailUser: alice@contoso\.com \(MailUser Alice Smith\) already exists and was not created by this stack; it is left as it is\. Set adopt: true to take it over/);
      tenant.addMailUser("bob@contoso.com", { CustomAttribute15: ownerMark("other/stack") });
      await assert.rejects(
        create({ ...inputs, externalEmailAddress: "bob@contoso.com", microsoftOnlineServicesId: "bob@contoso.com", routingAddress: "bob@o365.contoso.com" }),
        /bob@contoso\.com .* already exists and is managed by the stack other\/stack/,
      );
      assert.deepStrictEqual(tenant.writes, []);
    });

    it("with adopt, changes an existing mail user to match, keeps its custom attribute's text beside the mark, resets the password and blocks sign-in", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice", DisplayName: "Alice", CustomAttribute15: "HR-1234" });
      const { outs } = await create({ ...inputs, adopt: true });
      const [set, reset, signIn] = tenant.writes;
      assert.deepStrictEqual(
        { ...set.parameters, Identity: undefined },
        {
          Identity: undefined,
          Name: "Alice Smith",
          DisplayName: "Alice Smith",
          CustomAttribute15: `${MARK} [adopted] HR-1234`,
          EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: "smtp:alice@o365.contoso.com" },
        },
      );
      assert.deepStrictEqual([reset.call, reset.parameters.password], ["setPassword", outs.initialPassword], "an administrator resets the password in Entra ID");
      assert.deepStrictEqual([signIn.call, signIn.parameters.accountEnabled], ["setAccountEnabled", false]);
      assert.strictEqual(outs.ownership, "adopted");
      assert.deepStrictEqual(outs.adopted, {
        name: "Alice",
        alias: "alice",
        displayName: "Alice",
        externalEmailAddress: "alice@contoso.com",
        ownerAttributeValue: "HR-1234",
        hadRoutingAddress: false,
        hadAliases: [],
        accountEnabled: true,
        recipientTypeDetails: "MailUser",
      });
    });

    it("names the Entra role, and how to assign it, when the password reset of an adoption is refused", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice" });
      tenant.apis.graph.setPassword = async () => {
        throw new GraphApiError("Graph PATCH /users/x failed (HTTP 403, Authorization_RequestDenied): Insufficient privileges to complete the operation.", { status: 403, code: "Authorization_RequestDenied" });
      };
      await assert.rejects(
        create({ ...inputs, adopt: true }),
        /refused to reset the password of alice@contoso\.com .* needs the Entra role User Administrator .* User-PasswordProfile\.ReadWrite\.All.*\. Assign the role in the Entra admin center \(Roles & admins → User Administrator → Add assignments .*roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1"/,
      );
    });

    describe("a New-MailUser whose outcome is unknown", () => {
      // What the clients throw for a call that may have been applied (phase2-contracts.md, "Clients").
      const unknown = (message: string): Error => Object.assign(new Error(message), { outcomeUnknown: true });

      /** The first New-MailUser gets no clear answer; `applied`: it took effect all the same. */
      function firstNewMailUserUnclear(message: string, applied: boolean): void {
        const exchange = tenant.apis.exchange;
        const invoke = exchange.invoke;
        let first = true;
        exchange.invoke = async (cmdlet, parameters = {}) => {
          if (cmdlet !== "New-MailUser" || !first) return invoke(cmdlet, parameters);
          first = false;
          if (applied) await invoke(cmdlet, parameters);
          throw unknown(message);
        };
      }

      it("reads first, finds nothing, and sends it once more", async () => {
        firstNewMailUserUnclear("Exchange New-MailUser failed: HTTP 503", false);
        await create();
        assert.deepStrictEqual(calls(tenant), ["exchange New-MailUser", "exchange Set-MailUser", "graph setAccountEnabled"]);
        assert.ok(tenant.reads.includes("exchange Get-Recipient alice@contoso.com"), "read before the second New-MailUser");
      });

      it("reads first, finds the object it made (its token), and takes it over: no duplicate, no 'already exists'", async () => {
        firstNewMailUserUnclear("Exchange New-MailUser failed: the connection was reset", true);
        const { outs } = await create();
        assert.deepStrictEqual(calls(tenant), ["exchange New-MailUser", "exchange Set-MailUser", "graph setPassword", "graph setAccountEnabled"]);
        assert.strictEqual(tenant.recipients.size, 1);
        assert.strictEqual(outs.ownership, "created");
      });

      it("does not retry a second time", async () => {
        tenant.apis.exchange.invoke = async (cmdlet) => {
          if (cmdlet === "New-MailUser") throw unknown("Exchange New-MailUser failed: HTTP 502");
          throw new ExchangeError(cmdlet, "couldn't be found", { status: 404, notFound: true });
        };
        await assert.rejects(create(), /HTTP 502/);
      });
    });

    describe("New-MailUser's 'already exists' without a recipient at the address says who holds the sign-in name", () => {
      it("a recipient with another address", async () => {
        tenant.addMailUser("asmith@contoso.com", { MicrosoftOnlineServicesID: "alice@contoso.com", Name: "Alice S" });
        await assert.rejects(create(), /the sign-in name alice@contoso\.com is already used by the MailUser Alice S \(asmith@contoso\.com\), which does not have alice@contoso\.com; set microsoftOnlineServicesId to a free sign-in name/);
      });

      it("a Microsoft 365 user with no Exchange object", async () => {
        tenant.addUser("alice@contoso.com", { displayName: "Alice (cloud only)" });
        await assert.rejects(create(), /the sign-in name alice@contoso\.com belongs to the Microsoft 365 user Alice \(cloud only\) \(.+\), which has no Exchange object/);
      });
    });

    it("never shows the password in an error", async () => {
      const exchange = tenant.apis.exchange;
      const invoke = exchange.invoke;
      exchange.invoke = async (cmdlet, parameters = {}) => {
        if (cmdlet === "New-MailUser") throw new ExchangeError(cmdlet, `Exchange New-MailUser failed: password '${String(parameters.Password)}' is too weak`, { status: 400 });
        return invoke(cmdlet, parameters);
      };
      await assert.rejects(create(withPassword), (error: Error) => {
        assert.match(error.message, /\[redacted\]/);
        assert.doesNotMatch(error.message, new RegExp(PASSWORD));
        return true;
      });
    });
  });

  describe("read, update and delete", () => {
    async function created(values: Values = inputs): Promise<{ id: string; outs: Values }> {
      const { id, outs } = await provider.create(await checked(values));
      tenant.writes.length = 0;
      tenant.notes.length = 0;
      return { id, outs: outs as Values };
    }

    it("reads a licensed user as a mailbox without planning any change", async () => {
      const { id, outs } = await created();
      const recipient = tenant.recipient(id)!;
      recipient.RecipientTypeDetails = "UserMailbox";
      recipient.ExternalEmailAddress = undefined;
      const read = await provider.read!(id, outs);
      assert.strictEqual(read.props?.recipientTypeDetails, "UserMailbox");
      assert.strictEqual(read.props?.initialPassword, outs.initialPassword, "refresh keeps what Exchange cannot show");
      assert.strictEqual((await provider.diff!(id, read.props!, await checked())).changes, false);
    });

    it("finds a removed routing address on refresh and adds it again on update", async () => {
      const { id, outs } = await created();
      tenant.recipient(id)!.EmailAddresses = ["SMTP:alice@contoso.com"];
      const read = await provider.read!(id, outs);
      const news = await checked();
      assert.strictEqual((await provider.diff!(id, read.props!, news)).changes, true);
      const updated = await provider.update!(id, read.props!, news);
      assert.deepStrictEqual(tenant.recipient(id)!.EmailAddresses, ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
      assert.strictEqual((await provider.diff!(id, updated.outs!, news)).changes, false);
    });

    it("resets a supplied password when it changes, to be changed at the next sign-in, and stores the new fingerprint", async () => {
      const { id, outs } = await created(withPassword);
      const news = await checked({ ...withPassword, password: "Another-Pa55word" });
      assert.strictEqual((await provider.diff!(id, outs, news)).changes, true);
      const updated = await provider.update!(id, outs, news);
      assert.deepStrictEqual(calls(tenant), ["graph setPassword"]);
      assert.strictEqual(tenant.writes[0].parameters.password, "Another-Pa55word");
      assert.ok(matchesFingerprint("Another-Pa55word", updated.outs!.passwordHash));
      assert.doesNotMatch(JSON.stringify(updated.outs), /Another-Pa55word/);
    });

    it("allows sign-in when the batch starts migrating, and says so", async () => {
      const { id, outs } = await created();
      const news = await checked({ ...inputs, signInEnabled: true });
      assert.strictEqual((await provider.diff!(id, outs, news)).changes, true);
      const updated = await provider.update!(id, outs, news);
      assert.deepStrictEqual(tenant.writes.map((write) => [write.call, write.parameters.accountEnabled]), [["setAccountEnabled", true]]);
      assert.strictEqual(updated.outs!.signInEnabled, true);
      assert.match(tenant.notes.join("\n"), /alice@contoso\.com may now sign in to Microsoft 365/);
    });

    it("moves a state written when one password was shared to a password of its own, with sign-in blocked", async () => {
      const { id, outs } = await created(withPassword);
      tenant.users.get("alice@contoso.com")!.accountEnabled = true;
      const oldState = { ...outs, initialPassword: undefined, signInEnabled: undefined, ownership: undefined, owner: undefined };
      const news = await checked();
      assert.strictEqual((await provider.diff!(id, oldState, news)).changes, true);
      const updated = await provider.update!(id, oldState, news);
      assert.deepStrictEqual(calls(tenant), ["graph setPassword", "graph setAccountEnabled"]);
      assert.notStrictEqual(updated.outs!.initialPassword, PASSWORD);
      assert.deepStrictEqual([updated.outs!.signInEnabled, updated.outs!.ownership, updated.outs!.owner, updated.outs!.passwordHash], [false, "created", OWNER, undefined]);
      assert.strictEqual((await provider.diff!(id, updated.outs!, news)).changes, false);
    });

    it("marks on update a mail user created before marks existed", async () => {
      const { id, outs } = await created();
      delete (tenant.recipient(id) as unknown as Values).CustomAttribute15;
      await provider.update!(id, { ...outs, ownership: undefined, owner: undefined }, await checked({ ...inputs, displayName: "Alice S." }));
      assert.strictEqual(tenant.recipient(id)!.CustomAttribute15, MARK);
    });

    it("refuses to change a mail user another stack has taken over", async () => {
      const { id, outs } = await created();
      tenant.recipient(id)!.CustomAttribute15 = ownerMark("other/stack");
      await assert.rejects(provider.update!(id, outs, await checked({ ...inputs, displayName: "Alice S." })), /now carries the mark of the stack other\/stack, which took it over; this stack leaves it alone/);
      assert.deepStrictEqual(tenant.writes, []);
    });

    it("on update of a mailbox, keeps the old routing address and says why", async () => {
      const { id, outs } = await created();
      tenant.recipient(id)!.RecipientTypeDetails = "UserMailbox";
      await provider.update!(id, outs, await checked({ ...inputs, routingAddress: "alice@m365.contoso.com" }));
      assert.deepStrictEqual(tenant.writes.at(-1)!.call, "Set-Mailbox");
      assert.ok(tenant.recipient(id)!.EmailAddresses.includes("smtp:alice@o365.contoso.com"));
      assert.ok(tenant.recipient(id)!.EmailAddresses.includes("smtp:alice@m365.contoso.com"));
      assert.match(tenant.notes.join("\n"), /kept the previous routing address alice@o365\.contoso\.com/);
    });

    it("deletes a mail user that carries this stack's mark (which also removes its Entra account)", async () => {
      const { id, outs } = await created();
      await provider.delete!(id, outs);
      assert.strictEqual(tenant.recipient(id), undefined);
      assert.deepStrictEqual(calls(tenant), ["exchange Remove-MailUser"]);
    });

    const marksNotOurs: [string, RegExp][] = [
      ["", /no longer carries this stack's mark: left as it is/],
      [ownerMark("other/stack"), /now carries the mark of the stack other\/stack: left as it is/],
    ];
    for (const [mark, said] of marksNotOurs) {
      it(`leaves a mail user whose mark is ${mark ? "another stack's" : "gone"}, and says so`, async () => {
        const { id, outs } = await created();
        tenant.recipient(id)!.CustomAttribute15 = mark;
        await provider.delete!(id, outs);
        assert.ok(tenant.recipient(id));
        assert.deepStrictEqual(tenant.writes, []);
        assert.match(tenant.notes.join("\n"), said);
      });
    }

    it("deletes an unmarked mail user whose state was written before marks existed", async () => {
      const { id, outs } = await created();
      tenant.recipient(id)!.CustomAttribute15 = "";
      await provider.delete!(id, { ...outs, ownership: undefined, owner: undefined });
      assert.strictEqual(tenant.recipient(id), undefined);
    });

    it("hands a user another resource of this deployment now declares over, removing nothing", async () => {
      const { id, outs } = await created();
      claim("MailUser", "alice@contoso.com", "mail-users-sales");
      await provider.delete!(id, outs);
      assert.ok(tenant.recipient(id));
      assert.match(tenant.notes.join("\n"), /alice@contoso\.com is declared by mail-users-sales now: handed over as it is, nothing removed/);
    });

    it("restores an adopted mail user on delete (names, custom attribute, sign-in, no routing address) and removes nothing", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice", DisplayName: "Alice", CustomAttribute15: "HR-1234" });
      const { id, outs } = await created({ ...inputs, adopt: true });
      await provider.delete!(id, outs);
      const restored = tenant.recipient(id)!;
      assert.deepStrictEqual([restored.Name, restored.DisplayName, restored.CustomAttribute15, restored.EmailAddresses], ["Alice", "Alice", "HR-1234", ["SMTP:alice@contoso.com"]]);
      assert.strictEqual(tenant.users.get("alice@contoso.com")!.accountEnabled, true);
      assert.ok(!calls(tenant).includes("exchange Remove-MailUser"));
      assert.match(tenant.notes.join("\n"), /was adopted: restored its names, CustomAttribute15 and sign-in as they were .* nothing removed/);
    });

    it("knows an adopted user by its mark when another resource of the stack takes it over (a move), and restores rather than removes it", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice", DisplayName: "Alice", CustomAttribute15: `${MARK} [adopted] HR-1234`, EmailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"] });
      const { id, outs } = await created();
      assert.strictEqual(outs.ownership, "adopted");
      await provider.delete!(id, outs);
      const kept = tenant.recipient(id)!;
      assert.deepStrictEqual([kept.CustomAttribute15, kept.EmailAddresses.length], ["HR-1234", 2], "the attribute as it was, nothing else known, nothing removed");
    });

    it("removes an adopted mail user with deleteAdopted", async () => {
      tenant.addMailUser("alice@contoso.com", { Name: "Alice" });
      const { id, outs } = await created({ ...inputs, adopt: true, deleteAdopted: true });
      await provider.delete!(id, outs);
      assert.strictEqual(tenant.recipient(id), undefined);
    });

    describe("a migrated user (a mailbox)", () => {
      async function migratedUser(): Promise<{ id: string; outs: Values }> {
        const user = await created();
        tenant.recipient(user.id)!.RecipientTypeDetails = "UserMailbox";
        return user;
      }

      it("keeps the mailbox and its routing address while Gmail forwards to it", async () => {
        const { id, outs } = await migratedUser();
        tenant.addGmailUser("alice@contoso.com", { enabled: true, emailAddress: "alice@o365.contoso.com", disposition: "trash" });
        await provider.delete!(id, outs);
        assert.ok(tenant.recipient(id)!.EmailAddresses.includes("smtp:alice@o365.contoso.com"));
        assert.deepStrictEqual(tenant.writes.map((write) => Object.keys(write.parameters)), [["Identity", "CustomAttribute15"]], "only the mark goes");
        assert.match(tenant.notes.join("\n"), /kept the mailbox and its routing address .* \(Gmail still forwards to it\), so no mail is lost/);
      });

      it("keeps the mailbox, and removes the routing address and the mark once Gmail no longer forwards to it", async () => {
        const { id, outs } = await migratedUser();
        tenant.addGmailUser("alice@contoso.com", { enabled: false });
        await provider.delete!(id, outs);
        const mailbox = tenant.recipient(id)!;
        assert.deepStrictEqual([mailbox.EmailAddresses, mailbox.CustomAttribute15], [["SMTP:alice@contoso.com"], ""]);
        assert.match(tenant.notes.join("\n"), /was migrated: kept the mailbox, so no mail is lost; removed the routing address alice@o365\.contoso\.com, which Gmail no longer forwards to/);
      });

      it("keeps asking Gmail about the user's own address once a refresh saw the mailbox (no external address there)", async () => {
        const { id, outs } = await migratedUser();
        (tenant.recipient(id)! as { ExternalEmailAddress?: string | null }).ExternalEmailAddress = null;
        const refreshed = (await provider.read!(id, outs)).props!;
        assert.strictEqual(refreshed.externalEmailAddress, outs.externalEmailAddress);
        tenant.addGmailUser("alice@contoso.com", { enabled: true, emailAddress: "alice@o365.contoso.com", disposition: "trash" });
        await provider.delete!(id, refreshed);
        assert.ok(tenant.recipient(id)!.EmailAddresses.includes("smtp:alice@o365.contoso.com"), "the routing address stays while Gmail forwards to it");
      });

      for (const departure of ["suspended", "deleted"] as const) {
        it(`releases the routing address of a ${departure} Google user, on the Directory's word, and names the user`, async () => {
          configureFromStack({ get: (key) => (key === "coexist:googleAdmin" ? "admin@contoso.com" : undefined) });
          const { id, outs } = await migratedUser();
          tenant.addGmailUser("alice@contoso.com", { enabled: true, emailAddress: "alice@o365.contoso.com", disposition: "trash" });
          tenant.departed.set("alice@contoso.com", departure);
          await provider.delete!(id, outs);
          assert.deepStrictEqual(tenant.recipient(id)!.EmailAddresses, ["SMTP:alice@contoso.com"]);
          assert.match(tenant.notes.join("\n"), new RegExp(`alice@contoso\\.com is ${departure} in Google Workspace \\(Directory users\\.get .*\\).*skipped the check of its Gmail forwarding`));
        });
      }

      it("keeps the Gmail error when the Directory shows the user active, and changes nothing", async () => {
        configureFromStack({ get: (key) => (key === "coexist:googleAdmin" ? "admin@contoso.com" : undefined) });
        const { id, outs } = await migratedUser();
        tenant.addGmailUser("alice@contoso.com");
        tenant.apis.google.getAutoForwarding = async () => {
          throw new Error("Google getAutoForwarding failed (HTTP 400, failedPrecondition): Mail service not enabled");
        };
        await assert.rejects(provider.delete!(id, outs), /Mail service not enabled/);
        assert.deepStrictEqual(tenant.writes, []);
      });

      it("says coexist:googleAdmin is needed to ask the Directory, when it is not set", async () => {
        configureFromStack({ get: (key) => (key === "coexist:googleCredentials" ? "{}" : undefined) });
        const { id, outs } = await migratedUser();
        tenant.departed.set("alice@contoso.com", "deleted");
        await assert.rejects(provider.delete!(id, outs), /Gmail refused the check of its Gmail forwarding for alice@contoso\.com .* reads the user from the Directory API as coexist:googleAdmin, which is not set: run `pulumi config set coexist:googleAdmin/);
      });
    });
  });
});
