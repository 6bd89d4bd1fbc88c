import * as assert from "assert";
import { UNKNOWN } from "../../../provider/resources/inputs";
import {
  afterChange,
  changesToApply,
  parseRecipient,
  planMailUserDiff,
  routingAddressReleasable,
  type Recipient,
} from "../../../provider/resources/mailUserPlan";
import { passwordFingerprint } from "../../../provider/resources/passwordFingerprint";

const PASSWORD = "Coexist-Pa55word!";
const inputs = {
  name: "Alice Smith",
  alias: "alice",
  externalEmailAddress: "alice@contoso.com",
  microsoftOnlineServicesId: "alice@contoso.com",
  password: PASSWORD,
  routingAddress: "alice@o365.contoso.com",
};

describe("MailUser's plan", () => {

  describe("diff", () => {
    const hash = passwordFingerprint(PASSWORD);
    const stored = {
      ...inputs,
      password: undefined,
      displayName: "Alice Smith",
      emailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"],
      recipientTypeDetails: "MailUser",
      passwordHash: hash,
    };
    const desired = { ...inputs, displayName: "Alice Smith" };
    const mailbox = { ...stored, recipientTypeDetails: "UserMailbox", externalEmailAddress: "" };
    const cases: [string, Record<string, unknown>, Record<string, unknown>, { changes: boolean; replaces: string[] }][] = [
      ["equal values are no change", stored, desired, { changes: false, replaces: [] }],
      ["a re-cased address is no change", stored, { ...desired, routingAddress: "Alice@O365.contoso.com" }, { changes: false, replaces: [] }],
      ["becoming a mailbox (licensed) is not drift", mailbox, desired, { changes: false, replaces: [] }],
      ["a new display name is an update", stored, { ...desired, displayName: "Alice S." }, { changes: true, replaces: [] }],
      ["a new external address is an update", stored, { ...desired, externalEmailAddress: "alice.smith@contoso.com" }, { changes: true, replaces: [] }],
      ["a new sign-in name replaces a mail user", stored, { ...desired, microsoftOnlineServicesId: "asmith@contoso.com" }, { changes: true, replaces: ["microsoftOnlineServicesId"] }],
      ["a new first name replaces a mail user", stored, { ...desired, firstName: "Alicia" }, { changes: true, replaces: ["firstName"] }],
      ["a routing address removed out of band is drift", { ...stored, emailAddresses: ["SMTP:alice@contoso.com"] }, desired, { changes: true, replaces: [] }],
      ["a new password is an update", stored, { ...desired, password: "Another-Pa55word" }, { changes: true, replaces: [] }],
      ["a password not known yet is an update", stored, { ...desired, password: UNKNOWN }, { changes: true, replaces: [] }],
      ["on a mailbox a new display name is an update", mailbox, { ...desired, displayName: "Alice S." }, { changes: true, replaces: [] }],
      ["on a mailbox the sign-in name, names and password are not managed", mailbox, { ...desired, microsoftOnlineServicesId: "x@contoso.com", firstName: "A", password: "Another-Pa55word" }, { changes: false, replaces: [] }],
      ["on a mailbox a removed routing address is drift", { ...mailbox, emailAddresses: ["SMTP:alice@contoso.com"] }, desired, { changes: true, replaces: [] }],
    ];
    for (const [title, olds, news, expected] of cases) {
      it(title, () => {
        const { changes, replaces } = planMailUserDiff(olds, news);
        assert.deepStrictEqual({ changes, replaces }, expected);
      });
    }

    it("deletes a mail user before re-creating it, because its addresses are unique", () => {
      assert.strictEqual(planMailUserDiff(stored, { ...desired, microsoftOnlineServicesId: "asmith@contoso.com" }).deleteBeforeReplace, true);
    });
  });

  /** Alice's mail user as Get-Recipient returns it, with these proxy addresses. */
  function aliceAsExchangeShowsHer(emailAddresses: string[]): Recipient {
    return parseRecipient({
      Guid: "6f0c7c4e-0000-4000-8000-000000000001",
      RecipientTypeDetails: "MailUser",
      Name: "Alice Smith",
      Alias: "alice",
      DisplayName: "Alice Smith",
      ExternalEmailAddress: "SMTP:alice@contoso.com",
      MicrosoftOnlineServicesID: "alice@contoso.com",
      EmailAddresses: emailAddresses,
    });
  }

  describe("changes to apply", () => {
    const live = aliceAsExchangeShowsHer(["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"]);
    const desired = { ...inputs, displayName: "Alice Smith" };
    const asMailbox: Recipient = { ...live, recipientTypeDetails: "UserMailbox", externalEmailAddress: "" };
    const cases: [string, Recipient, Record<string, unknown>, { previousRoutingAddress?: string }, Partial<ReturnType<typeof changesToApply>>][] = [
      ["nothing when the object matches", live, desired, {}, { cmdlet: "Set-MailUser", parameters: {}, addresses: {} }],
      ["only what differs", live, { ...desired, displayName: "Alice S.", alias: "asmith" }, {}, { parameters: { Alias: "asmith", DisplayName: "Alice S." } }],
      ["a missing routing address is added", { ...live, emailAddresses: ["SMTP:alice@contoso.com"] }, desired, {}, { addresses: { add: "smtp:alice@o365.contoso.com" } }],
      [
        "a mail user's previous routing address is removed",
        live,
        { ...desired, routingAddress: "alice@m365.contoso.com" },
        { previousRoutingAddress: "alice@o365.contoso.com" },
        { addresses: { add: "smtp:alice@m365.contoso.com", remove: "smtp:alice@o365.contoso.com" } },
      ],
      [
        "a mailbox keeps its previous routing address, which Google may still forward to",
        asMailbox,
        { ...desired, routingAddress: "alice@m365.contoso.com" },
        { previousRoutingAddress: "alice@o365.contoso.com" },
        { cmdlet: "Set-Mailbox", addresses: { add: "smtp:alice@m365.contoso.com" }, keptRoutingAddress: "alice@o365.contoso.com" },
      ],
      [
        "a mailbox gets only its names; the rest is reported as left alone",
        asMailbox,
        { ...desired, displayName: "Alice S.", microsoftOnlineServicesId: "asmith@contoso.com" },
        {},
        { parameters: { DisplayName: "Alice S." }, ignored: ["microsoftOnlineServicesId"] },
      ],
      ["names New-MailUser set are reported, not sent", { ...live, firstName: "Al" }, { ...desired, firstName: "Alice" }, {}, { parameters: {}, differences: ["firstName"], ignored: ["firstName"] }],
    ];
    for (const [title, current, wanted, options, expected] of cases) {
      it(title, () => {
        const change = changesToApply(current, wanted as Parameters<typeof changesToApply>[1], options);
        for (const [key, value] of Object.entries(expected)) assert.deepStrictEqual(change[key as keyof typeof change], value, key);
      });
    }
  });

  describe("the object after a change, without reading it again", () => {
    const live = aliceAsExchangeShowsHer(["SMTP:alice@contoso.com", "smtp:alice@old.contoso.com"]);
    const cases: [string, Partial<Parameters<typeof changesToApply>[1]>, { previousRoutingAddress?: string }, Partial<Recipient>][] = [
      ["the routing address added", {}, {}, { emailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@old.contoso.com", "smtp:alice@o365.contoso.com"] }],
      ["the previous routing address swapped for the new one", {}, { previousRoutingAddress: "alice@old.contoso.com" }, { emailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"] }],
      ["names and the sign-in name as sent, the sign-in name lower-cased", { displayName: "Alice S.", microsoftOnlineServicesId: "ASmith@contoso.com" }, {}, { displayName: "Alice S.", microsoftOnlineServicesId: "asmith@contoso.com", name: "Alice Smith" }],
    ];
    for (const [title, wanted, options, expected] of cases) {
      it(title, () => {
        const desired = { ...inputs, displayName: "Alice Smith", ...wanted } as Parameters<typeof changesToApply>[1];
        const after = afterChange(live, changesToApply(live, desired, options));
        for (const [key, value] of Object.entries(expected)) assert.deepStrictEqual(after[key as keyof Recipient], value, key);
        assert.deepStrictEqual(changesToApply(after, desired).differences, [], "nothing left to change");
      });
    }
  });
});

describe("releasing a migrated user's routing address on teardown", () => {
  const cases: [string, { enabled?: boolean; emailAddress?: string } | undefined, boolean][] = [
    ["Gmail still forwards to it: keep it, or forwarded mail would bounce", { enabled: true, emailAddress: "Alice@o365.contoso.com" }, false],
    ["forwarding switched off: release it", { enabled: false, emailAddress: "alice@o365.contoso.com" }, true],
    ["forwarding points elsewhere: release it", { enabled: true, emailAddress: "alice@elsewhere.example" }, true],
    ["the Google account is gone: release it", undefined, true],
  ];
  for (const [title, forwarding, releasable] of cases) {
    it(title, () => assert.strictEqual(routingAddressReleasable(forwarding, "alice@o365.contoso.com"), releasable));
  }
});
