/**
 * The routing model's view of both tenants. Everything the model needs to decide where one
 * message ends up, and nothing else. Built from the sandbox database, from live tenants
 * (`coexist trace`) and from a stack's planned state (the policy pack): the model never reads an
 * API itself.
 *
 * Addresses are compared case-insensitively; builders should store them lower-cased.
 */
export interface TenantState {
  /** DNS as the Internet sees it: MX hosts per domain, best preference first. A missing domain has no MX. */
  dns: { mx: Record<string, string[]> };
  exchange: ExchangeState;
  google: GoogleState;
}

export type AcceptedDomainType = "Authoritative" | "InternalRelay";

export interface ExchangeState {
  /** Accepted domains of the Exchange Online tenant. */
  acceptedDomains: { domainName: string; domainType: AcceptedDomainType }[];
  /** Outbound connectors (Exchange Online → elsewhere). */
  outboundConnectors: OutboundConnectorState[];
  /** Mail-enabled recipients: their proxy addresses decide resolution. */
  recipients: RecipientState[];
  /** Mail flow rules that route some recipients through a transport-rule-scoped connector. */
  transportRules: TransportRuleState[];
  /** Distribution groups and mail-enabled security groups; absent means none. */
  distributionGroups?: DistributionGroupState[];
}

export interface OutboundConnectorState {
  name: string;
  enabled: boolean;
  /** `contoso.com`, `*.contoso.com` or `*`. */
  recipientDomains: string[];
  smartHosts: string[];
  useMxRecord: boolean;
  isTransportRuleScoped: boolean;
}

export interface RecipientState {
  /**
   * `MailUser` (cloud mail user, redirects to its external address), `UserMailbox` (licensed), or
   * `MailContact` (an external address Exchange routes out, e.g. the route to a group kept at Google).
   */
  recipientTypeDetails: "MailUser" | "UserMailbox" | "MailContact";
  primarySmtpAddress: string;
  /** Every SMTP proxy address, without the `smtp:` prefix, primary included. */
  emailAddresses: string[];
  /** The targetAddress of a mail user or mail contact; ignored for mailboxes. */
  externalEmailAddress?: string;
  /** Mailbox forwarding (`ForwardingSmtpAddress`), when set. */
  forwardingSmtpAddress?: string;
}

export interface TransportRuleState {
  name: string;
  enabled: boolean;
  /** Recipient addresses the rule applies to (a group's members, flattened). */
  sentTo: string[];
  /** Name of the connector the rule routes to (`RouteMessageOutboundConnector`). */
  routeMessageOutboundConnector: string;
}

/** An Exchange Online distribution group (or mail-enabled security group). */
export interface DistributionGroupState {
  primarySmtpAddress: string;
  /** Every SMTP proxy address, without the `smtp:` prefix, primary included. */
  emailAddresses: string[];
  /** The members, each by one of its addresses: mailboxes, mail users, mail contacts, other groups. */
  members: string[];
  /**
   * Accept messages only from authenticated (internal) senders; a message that reached Exchange
   * Online by SMTP (from the Internet or from Google) is refused with `550 5.7.133`. Default true,
   * as New-DistributionGroup creates groups.
   */
  requireSenderAuthenticationEnabled?: boolean;
}

export interface GoogleState {
  /** Domains Google Workspace hosts mail for (primary, secondary and alias domains). */
  domains: string[];
  users: GoogleUserState[];
  /** Google Groups; absent means none. Who may post to a group is not modelled: every group accepts every message. */
  groups?: GoogleGroupState[];
}

export type ForwardingDisposition = "leaveInInbox" | "archive" | "trash" | "markRead";

export interface GoogleUserState {
  primaryEmail: string;
  /** Other addresses that deliver to this mailbox (the Directory's editable `aliases`). */
  aliases: string[];
  /** The user's addresses at the Workspace's alias domains (the Directory's `nonEditableAliases`). */
  nonEditableAliases?: string[];
  suspended?: boolean;
  /** Automatic forwarding, when enabled, to a verified (`accepted`) forwarding address. */
  autoForwarding?: { enabled: boolean; emailAddress: string; disposition: ForwardingDisposition };
}

/** The Directory's member types; `EXTERNAL` is documented but Google reports outside members as `USER`. */
export type GoogleMemberType = "USER" | "GROUP" | "CUSTOMER" | "EXTERNAL";

/** A member's mail delivery setting; `NONE` and `DISABLED` receive nothing, digests count as delivered. */
export type GoogleDeliverySetting = "ALL_MAIL" | "DAILY" | "DIGEST" | "DISABLED" | "NONE";

export interface GoogleGroupState {
  email: string;
  /** The group's editable aliases (groups.aliases). */
  aliases: string[];
  /** The group's addresses at the Workspace's alias domains (the Directory's `nonEditableAliases`). */
  nonEditableAliases?: string[];
  members: GoogleGroupMemberState[];
}

export interface GoogleGroupMemberState {
  /** The member's address; absent for a `CUSTOMER` member, which stands for every user of the Workspace. */
  email?: string;
  type: GoogleMemberType;
  /** Default `ALL_MAIL`. */
  deliverySettings?: GoogleDeliverySetting;
}

/** Where a message starts: the Internet, or a user's mailbox on either system. */
export type Origin = "internet" | "google" | "m365";

export type System = "internet" | "google" | "exchange";

export interface Hop {
  /** The system that handled the message in this hop. */
  system: System;
  /** The envelope recipient at this hop. */
  recipient: string;
  /** What the system did, in words an admin recognises (e.g. "mail user redirect to c@contoso.com"). */
  action: string;
}

/** How one copy of a message ends. */
export type FinalDisposition =
  /** `internet`: handed to a mail system outside both tenants (e.g. a partner's MX); `mailbox` is that address. */
  | { kind: "delivered"; system: "google" | "m365" | "internet"; mailbox: string; keptCopyAtGoogle?: boolean }
  | { kind: "ndr"; code: string; reason: string; system: System }
  | { kind: "loop"; code: string; reason: string; system: System };

export type Disposition =
  | FinalDisposition
  /**
   * A group expanded the message: one route per member it reached, each continuing from the
   * expansion (nested groups of the same system flattened, each member once). A member route may
   * expand again at the other system.
   */
  | { kind: "expanded"; system: "google" | "exchange"; group: string; members: Route[] };

export interface Route {
  hops: Hop[];
  disposition: Disposition;
}

/** One end of a route, with every hop from the origin (see `finalRoutes`). */
export interface FinalRoute {
  hops: Hop[];
  disposition: FinalDisposition;
}
