/**
 * Mail-flow simulation: the database as the routing model's TenantState, and `POST /sandbox/mail`.
 * The sandbox never routes by itself; it asks provider/routing/model.ts.
 */
import { finalRoutes, tallyRoutes, type DeliveryTally } from "pulumi-mail-coexistence/routing/fanout";
import { routeMessage } from "pulumi-mail-coexistence/routing/model";
import type { FinalRoute, Origin, Route, TenantState } from "pulumi-mail-coexistence/routing/types";
import { acceptedDomains, domainAliasAddresses, primaryAddress, stripPrefix } from "./directory";
import { groupAliasDomainAddresses, liveMembers } from "./googleGroups";
import { googlePolicy } from "./googleUsers";
import type { ConnectorRecord, DistributionGroupRecord, GoogleDomainRecord, GoogleGroupRecord, GoogleUserRecord, RecipientRecord, TenantRecord, TransportRuleRecord } from "./records";
import { GOOGLE_SCOPE, type Store } from "./store";

export function tenantState(store: Store, tenant: TenantRecord): TenantState {
  const forwardingAllowed = googlePolicy(store).autoForwardingAllowed;
  const googleDomains = store.list<GoogleDomainRecord>(GOOGLE_SCOPE, "googleDomain");
  return {
    dns: { mx: store.dns().mx },
    exchange: {
      acceptedDomains: acceptedDomains(store, tenant.tenantId).map(({ domainName, domainType }) => ({ domainName, domainType })),
      outboundConnectors: store.list<ConnectorRecord>(tenant.tenantId, "connector").map((connector) => ({
        name: connector.name,
        enabled: connector.enabled,
        recipientDomains: connector.recipientDomains,
        smartHosts: connector.smartHosts,
        useMxRecord: connector.useMxRecord,
        isTransportRuleScoped: connector.isTransportRuleScoped,
      })),
      recipients: store.list<RecipientRecord>(tenant.tenantId, "recipient").map((recipient) => ({
        recipientTypeDetails: recipient.recipientTypeDetails,
        primarySmtpAddress: primaryAddress(recipient),
        emailAddresses: smtpAddresses(recipient),
        externalEmailAddress: recipient.externalEmailAddress,
        forwardingSmtpAddress: recipient.forwardingSmtpAddress,
      })),
      distributionGroups: store.list<DistributionGroupRecord>(tenant.tenantId, "distributionGroup").map((group) => ({
        primarySmtpAddress: primaryAddress(group),
        emailAddresses: smtpAddresses(group),
        members: group.members.flatMap((guid) => {
          const member = store.get<RecipientRecord>(tenant.tenantId, "recipient", guid) ?? store.get<DistributionGroupRecord>(tenant.tenantId, "distributionGroup", guid);
          return member ? [primaryAddress(member)] : [];
        }),
        requireSenderAuthenticationEnabled: group.requireSenderAuthenticationEnabled ?? true,
      })),
      transportRules: store.list<TransportRuleRecord>(tenant.tenantId, "transportRule").map((rule) => ({
        name: rule.name,
        enabled: rule.state === "Enabled",
        // The routing model knows SentTo only; a SentToMemberOf group matches its members' addresses.
        sentTo: [...rule.sentTo, ...memberAddresses(store, tenant.tenantId, rule.sentToMemberOf ?? [])],
        routeMessageOutboundConnector: rule.routeMessageOutboundConnector,
      })),
    },
    google: {
      domains: googleDomains.map((domain) => domain.domainName),
      users: store.list<GoogleUserRecord>(GOOGLE_SCOPE, "googleUser").map((user) => ({
        primaryEmail: user.primaryEmail,
        aliases: user.aliases,
        nonEditableAliases: domainAliasAddresses(user.primaryEmail, googleDomains),
        suspended: user.suspended,
        autoForwarding: effectiveForwarding(user, forwardingAllowed),
      })),
      groups: store.list<GoogleGroupRecord>(GOOGLE_SCOPE, "googleGroup").map((group) => ({
        email: group.email,
        aliases: group.aliases,
        nonEditableAliases: groupAliasDomainAddresses(group, googleDomains),
        members: liveMembers(store, group, googleDomains).map(({ email, type, deliverySettings }) => ({ ...(email === undefined ? {} : { email }), type, deliverySettings })),
      })),
    },
  };
}

function smtpAddresses(holder: Pick<RecipientRecord, "emailAddresses">): string[] {
  return holder.emailAddresses.filter((proxy) => /^smtp:/i.test(proxy) || !proxy.includes(":")).map(stripPrefix);
}

/** Every SMTP address of the direct members of the groups. */
function memberAddresses(store: Store, tenantId: string, groupGuids: string[]): string[] {
  return groupGuids.flatMap((guid) =>
    (store.get<DistributionGroupRecord>(tenantId, "distributionGroup", guid)?.members ?? []).flatMap((member) =>
      (store.get<RecipientRecord>(tenantId, "recipient", member)?.emailAddresses ?? []).filter((proxy) => /^smtp:/i.test(proxy)).map(stripPrefix),
    ),
  );
}

/** Forwarding Gmail actually applies: enabled, to an accepted address, and allowed by the admin policy. */
export function effectiveForwarding(user: GoogleUserRecord, policyAllows: boolean): TenantState["google"]["users"][number]["autoForwarding"] {
  const forwarding = user.autoForwarding;
  if (!policyAllows || !forwarding.enabled || !forwarding.emailAddress) return undefined;
  const target = user.forwardingAddresses.find((address) => address.forwardingEmail === forwarding.emailAddress);
  if (target?.verificationStatus !== "accepted") return undefined;
  return { enabled: true, emailAddress: forwarding.emailAddress, disposition: forwarding.disposition ?? "leaveInInbox" };
}

/**
 * The route of one message; when a group expanded it, also every copy's end (`deliveries`, with
 * the hops from the origin) and what they came to (`summary`: delivered, bounces, loops, duplicates).
 */
export interface SimulatedMail extends Route {
  origin: { from: Origin; address?: string };
  deliveries?: FinalRoute[];
  summary?: DeliveryTally;
}

/**
 * Where a sender lives: a Microsoft 365 mailbox (a migrated user sends from Outlook even though
 * the Google account still exists), else a Google user, else the Internet.
 */
export function senderOrigin(store: Store, tenant: TenantRecord, from: string): { from: Origin; address?: string } {
  const address = from.trim().toLowerCase();
  if (address === "" || address === "internet") return { from: "internet" };
  const recipientGuid = store.ownerOf(tenant.tenantId, "proxy", address);
  const recipient = recipientGuid ? store.get<RecipientRecord>(tenant.tenantId, "recipient", recipientGuid) : undefined;
  if (recipient?.recipientTypeDetails === "UserMailbox") return { from: "m365", address };
  if (store.ownerOf(GOOGLE_SCOPE, "googleAddress", address)) return { from: "google", address };
  return { from: "internet", address };
}

export function simulateMail(store: Store, tenant: TenantRecord, from: string, to: string): SimulatedMail {
  const origin = senderOrigin(store, tenant, from);
  const route = routeMessage(tenantState(store, tenant), origin, to.trim().toLowerCase());
  if (route.disposition.kind !== "expanded") return { origin, ...route };
  const deliveries = finalRoutes(route);
  return { origin, ...route, deliveries, summary: tallyRoutes(deliveries) };
}
