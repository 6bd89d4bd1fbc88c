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
  /** `MailUser` (cloud mail user, redirects to its external address) or `UserMailbox` (licensed). */
  recipientTypeDetails: "MailUser" | "UserMailbox";
  primarySmtpAddress: string;
  /** Every SMTP proxy address, without the `smtp:` prefix, primary included. */
  emailAddresses: string[];
  /** The targetAddress of a mail user; ignored for mailboxes. */
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

export interface GoogleState {
  /** Domains Google Workspace hosts mail for (primary, secondary and alias domains). */
  domains: string[];
  users: GoogleUserState[];
}

export type ForwardingDisposition = "leaveInInbox" | "archive" | "trash" | "markRead";

export interface GoogleUserState {
  primaryEmail: string;
  /** Other addresses that deliver to this mailbox. */
  aliases: string[];
  suspended?: boolean;
  /** Automatic forwarding, when enabled, to a verified (`accepted`) forwarding address. */
  autoForwarding?: { enabled: boolean; emailAddress: string; disposition: ForwardingDisposition };
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

export type Disposition =
  /** `internet`: handed to a mail system outside both tenants (e.g. a partner's MX); `mailbox` is that address. */
  | { kind: "delivered"; system: "google" | "m365" | "internet"; mailbox: string; keptCopyAtGoogle?: boolean }
  | { kind: "ndr"; code: string; reason: string; system: System }
  | { kind: "loop"; code: string; reason: string; system: System };

export interface Route {
  hops: Hop[];
  disposition: Disposition;
}
