import * as assert from "assert";
import { UNKNOWN } from "../../../provider/resources/inputs";
import {
  adoptedByMark,
  adoptedSettingsOf,
  afterChange,
  changesToApply,
  creationName,
  markedValue,
  parseRecipient,
  passwordToSet,
  planMailUserDiff,
  recipientOwner,
  restoreChange,
  routingAddressReleasable,
  type Recipient,
} from "../../../provider/resources/mailUserPlan";
import { creationToken, ownerMark } from "../../../provider/resources/ownership";
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
      initialPassword: PASSWORD,
      signInEnabled: false,
    };
    const desired = { ...inputs, displayName: "Alice Smith", signInEnabled: false };
    const generated = { ...stored, passwordHash: undefined, initialPassword: "Generated-Pa55word-1" };
    const notGenerated = { ...desired, password: undefined };
    const mailbox = { ...stored, recipientTypeDetails: "UserMailbox", externalEmailAddress: "" };
    const cases: [string, Record<string, unknown>, Record<string, unknown>, { changes: boolean; replaces: string[] }][] = [
      ["equal values are no change", stored, desired, { changes: false, replaces: [] }],
      ["a re-cased address is no change", stored, { ...desired, routingAddress: "Alice@O365.contoso.com" }, { changes: false, replaces: [] }],
      ["becoming a mailbox (licensed) is not drift", mailbox, desired, { changes: false, replaces: [] }],
      ["a new display name is an update", stored, { ...desired, displayName: "Alice S." }, { changes: true, replaces: [] }],
      ["a new external address is an update", stored, { ...desired, externalEmailAddress: "alice.smith@contoso.com" }, { changes: true, replaces: [] }],
      ["a new sign-in name replaces a mail user", stored, { ...desired, microsoftOnlineServicesId: "asmith@contoso.com" }, { changes: true, replaces: ["microsoftOnlineServicesId"] }],
      ["a new first name replaces a mail user", stored, { ...desired, firstName: "Alicia" }, { changes: true, replaces: ["firstName"] }],
      ["an adopted mail user is never re-created for its names: they are not managed", { ...stored, ownership: "adopted", firstName: "" }, { ...desired, firstName: "Alicia" }, { changes: false, replaces: [] }],
      ["a routing address removed out of band is drift", { ...stored, emailAddresses: ["SMTP:alice@contoso.com"] }, desired, { changes: true, replaces: [] }],
      ["a new password is an update", stored, { ...desired, password: "Another-Pa55word" }, { changes: true, replaces: [] }],
      ["a password not known yet is an update", stored, { ...desired, password: UNKNOWN }, { changes: true, replaces: [] }],
      ["on a mailbox a new display name is an update", mailbox, { ...desired, displayName: "Alice S." }, { changes: true, replaces: [] }],
      ["on a mailbox the sign-in name, names and password are not managed", mailbox, { ...desired, microsoftOnlineServicesId: "x@contoso.com", firstName: "A", password: "Another-Pa55word" }, { changes: false, replaces: [] }],
      ["on a mailbox a removed routing address is drift", { ...mailbox, emailAddresses: ["SMTP:alice@contoso.com"] }, desired, { changes: true, replaces: [] }],
      ["a generated password is no change", generated, notGenerated, { changes: false, replaces: [] }],
      ["deleteAdopted set is an update (delete reads it from the state)", stored, { ...desired, deleteAdopted: true }, { changes: true, replaces: [] }],
      ["deleteAdopted false and a state without it are the same", { ...stored, deleteAdopted: undefined }, { ...desired, deleteAdopted: false }, { changes: false, replaces: [] }],
      ["no known password (a shared one before, or a take-over) is an update that sets one", { ...generated, initialPassword: undefined }, notGenerated, { changes: true, replaces: [] }],
      ["a mailbox without a known password is no change: its password is its user's", { ...mailbox, initialPassword: undefined }, desired, { changes: false, replaces: [] }],
      ["sign-in allowed when the batch migrates is an update", stored, { ...desired, signInEnabled: true }, { changes: true, replaces: [] }],
      ["a sign-in state never recorded is an update", { ...stored, signInEnabled: undefined }, desired, { changes: true, replaces: [] }],
      ["on a mailbox sign-in is managed too", mailbox, { ...desired, signInEnabled: true }, { changes: true, replaces: [] }],
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
      ["a missing routing address is added", { ...live, emailAddresses: ["SMTP:alice@contoso.com"] }, desired, {}, { addresses: { add: ["smtp:alice@o365.contoso.com"] } }],
      [
        "a mail user's previous routing address is removed",
        live,
        { ...desired, routingAddress: "alice@m365.contoso.com" },
        { previousRoutingAddress: "alice@o365.contoso.com" },
        { addresses: { add: ["smtp:alice@m365.contoso.com"], remove: ["smtp:alice@o365.contoso.com"] } },
      ],
      [
        "a mailbox keeps its previous routing address, which Google may still forward to",
        asMailbox,
        { ...desired, routingAddress: "alice@m365.contoso.com" },
        { previousRoutingAddress: "alice@o365.contoso.com" },
        { cmdlet: "Set-Mailbox", addresses: { add: ["smtp:alice@m365.contoso.com"] }, keptRoutingAddress: "alice@o365.contoso.com" },
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

describe("a mail user's password to set", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, "supplied" | "generated" | undefined][] = [
    ["a supplied password that matches the fingerprint: none", { passwordHash: passwordFingerprint("Supplied-Pa55word") }, { password: "Supplied-Pa55word" }, undefined],
    ["a supplied password that changed: the supplied one", { passwordHash: passwordFingerprint("Old-Pa55word-9") }, { password: "Supplied-Pa55word" }, "supplied"],
    ["a supplied password not known yet (preview): the supplied one", {}, { password: UNKNOWN }, "supplied"],
    ["none supplied, one set before: none", { initialPassword: "Generated-Pa55word-1" }, {}, undefined],
    ["none supplied, none known: a generated one", {}, {}, "generated"],
    ["a mailbox: never", { recipientTypeDetails: "UserMailbox" }, { password: "Supplied-Pa55word" }, undefined],
  ];
  for (const [title, olds, news, expected] of cases) {
    it(title, () => assert.strictEqual(passwordToSet({ recipientTypeDetails: "MailUser", ...olds }, news), expected));
  }
});

describe("a mail user's owner", () => {
  const OWNER = "migration/production";
  const alice = (fields: Partial<Recipient>): Recipient => ({
    guid: "g",
    recipientTypeDetails: "MailUser",
    name: "Alice Smith",
    emailAddresses: ["SMTP:alice@contoso.com"],
    customAttributes: { CustomAttribute15: "" },
    ...fields,
  });
  const token = creationToken(OWNER, "alice@contoso.com");

  it("the creating call's name carries the stack's token within Exchange's 64 characters", () => {
    assert.strictEqual(creationName("Alice Smith", token), `Alice Smith [creating ${token}]`);
    const long = creationName("x".repeat(64), token);
    assert.strictEqual(long.length, 64);
    assert.ok(long.endsWith(`[creating ${token}]`));
  });

  const cases: [string, Partial<Recipient>, string | undefined][] = [
    ["the stack its mark names", { customAttributes: { CustomAttribute15: `${ownerMark("other/dev")} HR` } }, "other/dev"],
    ["this stack, by its creation token in the name (an interrupted create)", { name: `Alice Smith [creating ${token}]` }, OWNER],
    ["nobody for another stack's token", { name: `Alice Smith [creating ${creationToken("other/dev", "alice@contoso.com")}]` }, undefined],
    ["nobody for an unmarked object, even an identical one", {}, undefined],
    ["nobody when the mark is in another attribute", { customAttributes: { CustomAttribute1: ownerMark(OWNER) } }, undefined],
  ];
  for (const [title, fields, expected] of cases) {
    it(title, () => assert.strictEqual(recipientOwner(alice(fields), "CustomAttribute15", OWNER, "alice@contoso.com"), expected));
  }

  it("marks a new object with the mark alone, an adopted one with the mark, the adopted tag and what it had, another stack's mark taken off", () => {
    assert.strictEqual(markedValue(OWNER, undefined), ownerMark(OWNER));
    assert.strictEqual(markedValue(OWNER, "", true), `${ownerMark(OWNER)} [adopted]`);
    assert.strictEqual(markedValue(OWNER, "HR-1234", true), `${ownerMark(OWNER)} [adopted] HR-1234`);
    assert.strictEqual(markedValue(OWNER, `${ownerMark("other/dev")} HR-1234`, true), `${ownerMark(OWNER)} [adopted] HR-1234`);
  });

  it("keeps its own mark and text when it takes over its own object, and reads adoption from the mark", () => {
    const adopted = alice({ customAttributes: { CustomAttribute15: `${ownerMark(OWNER)} [adopted] HR-1234` } });
    assert.strictEqual(markedValue(OWNER, adopted.customAttributes.CustomAttribute15), `${ownerMark(OWNER)} [adopted] HR-1234`);
    assert.deepStrictEqual(adoptedByMark(adopted, "CustomAttribute15"), { ownerAttributeValue: "HR-1234", hadRoutingAddress: true, recipientTypeDetails: "MailUser" });
    assert.strictEqual(adoptedByMark(alice({ customAttributes: { CustomAttribute15: ownerMark(OWNER) } }), "CustomAttribute15"), undefined);
  });
});

describe("restoring an adopted mail user", () => {
  const before: Recipient = {
    guid: "g",
    recipientTypeDetails: "MailUser",
    name: "Alice",
    alias: "alice",
    displayName: "Alice",
    externalEmailAddress: "alice@contoso.com",
    emailAddresses: ["SMTP:alice@contoso.com"],
    customAttributes: { CustomAttribute15: "HR-1234" },
  };
  const saved = adoptedSettingsOf(before, "CustomAttribute15", "alice@o365.contoso.com", true);
  const after: Recipient = {
    ...before,
    name: "Alice Smith",
    displayName: "Alice Smith",
    emailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com"],
    customAttributes: { CustomAttribute15: `${ownerMark("m/p")} HR-1234` },
  };

  it("saves what the object had", () => {
    assert.deepStrictEqual(saved, { name: "Alice", alias: "alice", displayName: "Alice", externalEmailAddress: "alice@contoso.com", ownerAttributeValue: "HR-1234", hadRoutingAddress: false, hadAliases: [], accountEnabled: true });
  });

  it("puts back the names and the attribute, and takes away the routing address it did not have", () => {
    const change = restoreChange(after, saved, "CustomAttribute15", "alice@o365.contoso.com", true);
    assert.deepStrictEqual([change.cmdlet, change.parameters, change.addresses], ["Set-MailUser", { Name: "Alice", DisplayName: "Alice", CustomAttribute15: "HR-1234" }, { remove: ["smtp:alice@o365.contoso.com"] }]);
  });

  it("keeps the routing address while Gmail may still forward to it, and clears an attribute that was empty", () => {
    const change = restoreChange(after, { ...saved, ownerAttributeValue: "" }, "CustomAttribute15", "alice@o365.contoso.com", false);
    assert.deepStrictEqual([change.parameters.CustomAttribute15, change.addresses], ["", {}]);
  });

  it("on a mailbox, never sets an external address (a mailbox has none)", () => {
    const change = restoreChange({ ...after, recipientTypeDetails: "UserMailbox", externalEmailAddress: "" }, saved, "CustomAttribute15", "alice@o365.contoso.com", true);
    assert.deepStrictEqual([change.cmdlet, "ExternalEmailAddress" in change.parameters], ["Set-Mailbox", false]);
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
