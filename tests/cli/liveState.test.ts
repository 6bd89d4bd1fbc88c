import * as assert from "assert";
import { readLiveState, type TenantApis } from "../../cli/liveState";
import type { ExchangeObject } from "../../provider/clients/exchange";
import { GoogleApiError } from "../../provider/clients/google";

/** Two tenants as their APIs answer: Exchange Online with a mailbox, a mail user, a contact and a group; Google with users, a group and an alias domain. */
const EXCHANGE: Record<string, ExchangeObject[]> = {
  "Get-AcceptedDomain": [{ DomainName: "contoso.com", DomainType: "InternalRelay" }],
  "Get-OutboundConnector": [{ Name: "ToGoogle", Enabled: true, RecipientDomains: ["contoso.com"], SmartHosts: ["smtp.google.com"], UseMXRecord: false }],
  "Get-TransportRule": [],
  "Get-Recipient": [
    { RecipientTypeDetails: "UserMailbox", PrimarySmtpAddress: "ben@contoso.com", EmailAddresses: ["SMTP:ben@contoso.com", "smtp:ben@o365.contoso.com", "X500:/o=x"] },
    { RecipientTypeDetails: "MailUser", PrimarySmtpAddress: "chloe@contoso.com", EmailAddresses: ["SMTP:chloe@contoso.com"], ExternalEmailAddress: "SMTP:chloe@contoso.com" },
    { RecipientTypeDetails: "MailContact", PrimarySmtpAddress: "support@contoso.com", EmailAddresses: ["SMTP:support@contoso.com", "smtp:support@gsuite.contoso.com"], ExternalEmailAddress: "SMTP:support@gsuite.contoso.com" },
  ],
  "Get-Mailbox": [{ PrimarySmtpAddress: "ben@contoso.com" }],
  "Get-DistributionGroup": [{ PrimarySmtpAddress: "leads@contoso.com", EmailAddresses: ["SMTP:leads@contoso.com", "smtp:heads@contoso.com"], RequireSenderAuthenticationEnabled: false }],
  "Get-DistributionGroupMember": [{ PrimarySmtpAddress: "ben@contoso.com" }, { PrimarySmtpAddress: "chloe@contoso.com" }],
};

function fakeApis(changes: Partial<TenantApis> = {}): TenantApis & { forwardingReads: string[] } {
  const forwardingReads: string[] = [];
  return {
    forwardingReads,
    exchange: async (cmdlet) => EXCHANGE[cmdlet] ?? [],
    directoryUsers: async () => [
      { primaryEmail: "ben@contoso.com", aliases: ["benny@contoso.com"], nonEditableAliases: ["ben@gsuite.contoso.com"] },
      { primaryEmail: "chloe@contoso.com", nonEditableAliases: ["chloe@gsuite.contoso.com"] },
      { primaryEmail: "dev@contoso.com" },
      { primaryEmail: "gone@contoso.com", suspended: true },
    ],
    directoryGroups: async () => [{ email: "support@contoso.com", aliases: ["help@contoso.com"], nonEditableAliases: ["support@gsuite.contoso.com"] }],
    groupMembers: async () => [{ email: "Dev@contoso.com", type: "USER", role: "MEMBER" }, { type: "CUSTOMER" }],
    directoryDomains: async () => [{ domainName: "contoso.com", domainAliases: [{ domainAliasName: "gsuite.contoso.com" }] }],
    autoForwarding: async (user) => {
      forwardingReads.push(user);
      return user === "ben@contoso.com" ? { enabled: true, emailAddress: "ben@o365.contoso.com", disposition: "trash" } : user === "dev@contoso.com" ? { enabled: true, emailAddress: "chloe@contoso.com", disposition: "trash" } : { enabled: false };
    },
    allMx: async () => undefined,
    mx: async (domain) => (domain === "o365.contoso.com" ? ["o365-contoso-com.mail.protection.outlook.com"] : domain.endsWith("contoso.com") ? ["smtp.google.com"] : []),
    ...changes,
  };
}

describe("liveState: both tenants as the routing model sees them", () => {
  it("reads users with their aliases and alias-domain addresses, groups with their members, domains with their aliases, and Exchange contacts and groups", async () => {
    const apis = fakeApis();
    const state = await readLiveState({ apis });
    assert.deepStrictEqual(state.google.users[0], {
      primaryEmail: "ben@contoso.com",
      aliases: ["benny@contoso.com"],
      nonEditableAliases: ["ben@gsuite.contoso.com"],
      suspended: false,
      autoForwarding: { enabled: true, emailAddress: "ben@o365.contoso.com", disposition: "trash" },
    });
    assert.deepStrictEqual(state.google.groups, [
      { email: "support@contoso.com", aliases: ["help@contoso.com"], nonEditableAliases: ["support@gsuite.contoso.com"], members: [{ email: "dev@contoso.com", type: "USER" }, { type: "CUSTOMER" }] },
    ]);
    assert.deepStrictEqual(state.google.domains, ["contoso.com", "gsuite.contoso.com"]);
    assert.deepStrictEqual(state.exchange.distributionGroups, [
      { primarySmtpAddress: "leads@contoso.com", emailAddresses: ["leads@contoso.com", "heads@contoso.com"], members: ["ben@contoso.com", "chloe@contoso.com"], requireSenderAuthenticationEnabled: false },
    ]);
    const contact = state.exchange.recipients.find((recipient) => recipient.recipientTypeDetails === "MailContact");
    assert.deepStrictEqual([contact?.primarySmtpAddress, contact?.externalEmailAddress], ["support@contoso.com", "support@gsuite.contoso.com"]);
    assert.deepStrictEqual(state.dns.mx["o365.contoso.com"], ["o365-contoso-com.mail.protection.outlook.com"], "the domain of a forwarding target is looked up too");
    assert.deepStrictEqual(apis.forwardingReads.sort(), ["ben@contoso.com", "chloe@contoso.com", "dev@contoso.com"], "every active user's forwarding, not the suspended one's");
  });

  it("reads only the forwarding the caller needs, until it needs no more: a forwarding chain is followed user by user", async () => {
    const apis = fakeApis();
    const asked: string[][] = [];
    // As trace does for one route: the users whose mailbox the message reaches so far (dev forwards to chloe).
    const state = await readLiveState({
      apis,
      forwardingNeeded: (known) => {
        const dev = known.google.users.find((user) => user.primaryEmail === "dev@contoso.com");
        const wanted = ["dev@contoso.com", ...(dev?.autoForwarding ? [dev.autoForwarding.emailAddress] : [])];
        asked.push(wanted);
        return wanted;
      },
    });
    assert.deepStrictEqual(apis.forwardingReads, ["dev@contoso.com", "chloe@contoso.com"]);
    assert.deepStrictEqual(asked, [["dev@contoso.com"], ["dev@contoso.com", "chloe@contoso.com"], ["dev@contoso.com", "chloe@contoso.com"]]);
    assert.strictEqual(state.google.users.find((user) => user.primaryEmail === "ben@contoso.com")?.autoForwarding, undefined);
  });

  it("names the Directory scope to delegate when Google refuses the groups, and passes any other failure on as it is", async () => {
    const refusal = new GoogleApiError("Google groups.list failed (HTTP 401, unauthorized_client): Client is unauthorized", { status: 401, reasons: ["unauthorized_client"] });
    await assert.rejects(
      readLiveState({ apis: fakeApis({ directoryGroups: () => Promise.reject(refusal) }) }),
      /^Error: reading the Google groups was refused \(Google groups\.list failed .*\): delegate admin\.directory\.group\.readonly to the service account for coexist:googleAdmin \(Admin console > Security > Access and data control > API controls > Domain-wide delegation\)$/,
    );
    const outage = new GoogleApiError("Google domains.list failed (HTTP 503): Backend Error", { status: 503 });
    await assert.rejects(readLiveState({ apis: fakeApis({ directoryDomains: () => Promise.reject(outage) }) }), (error: unknown) => error === outage);
  });
});
