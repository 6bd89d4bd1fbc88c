/** What the sandbox stores, one JSON document per object. */
import type { AcceptedDomainType, ForwardingDisposition, GoogleDeliverySetting } from "pulumi-mail-coexistence/routing/types";

export interface TenantRecord {
  tenantId: string;
  initialDomain: string;
  apps: AppRecord[];
}

/** An app registration with its service principal's grants (seed `microsoft[].apps[]`, defaults filled in). */
export interface AppRecord {
  clientId: string;
  clientSecret: string;
  displayName: string;
  /** Graph application permissions, e.g. `Domain.ReadWrite.All`. */
  graphPermissions: string[];
  /** Office 365 Exchange Online application permissions: `Exchange.ManageAsApp`. */
  exchangePermissions: string[];
  /** Entra directory roles held by the service principal, by display name. */
  directoryRoles: string[];
}

export interface DomainRecord {
  id: string;
  isVerified: boolean;
  isDefault: boolean;
  isInitial: boolean;
  supportedServices: string[];
  /** The `MS=ms<digits>` value the TXT verification record must hold. */
  verificationCode: string;
  /** When (epoch ms) a domain that Graph just verified with Email reaches Exchange's accepted domains (replication lag). */
  acceptedInExchangeAt?: number;
}

export interface SkuRecord {
  skuId: string;
  skuPartNumber: string;
  seats: number;
  servicePlans: { servicePlanId: string; servicePlanName: string }[];
}

export interface EntraUserRecord {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  mail?: string;
  usageLocation?: string;
  accountEnabled: boolean;
  /** Middle initials (New-/Set-MailUser -Initials). */
  initials?: string;
  /** Whether the user must change the password at the next sign-in (the password itself is never stored). */
  forceChangePasswordNextSignIn?: boolean;
  /** Entra directory roles the user holds, by display name (makes the user an admin target). */
  directoryRoles?: string[];
  /** When (epoch ms) a user that New-MailUser just created becomes visible to Graph (replication lag). */
  visibleInGraphAt?: number;
  assignedLicenses: { skuId: string; disabledPlans: string[] }[];
  createdDateTime: string;
  /** When a licence change takes effect in Exchange (ISO time), and what it does. */
  pendingMailboxChange?: { dueAt: string; change: "create" | "remove" };
}

export type RecipientTypeDetails = "MailUser" | "UserMailbox" | "MailContact";

export interface RecipientRecord {
  guid: string;
  name: string;
  displayName: string;
  alias: string;
  recipientTypeDetails: RecipientTypeDetails;
  /** Prefixed: `SMTP:` primary, `smtp:` secondaries. */
  emailAddresses: string[];
  /** A mail user's or mail contact's target address. */
  externalEmailAddress?: string;
  forwardingSmtpAddress?: string;
  deliverToMailboxAndForward: boolean;
  /** CustomAttribute1..15 by number; absent numbers are empty. */
  customAttributes?: Record<string, string>;
  /** The Entra user's UPN; a mail contact has none (""). */
  microsoftOnlineServicesId: string;
  /** The Entra object behind the recipient (a mail contact's is its own id). */
  externalDirectoryObjectId: string;
  whenCreated: string;
}

export interface ConnectorRecord {
  guid: string;
  name: string;
  enabled: boolean;
  connectorType: "Partner" | "OnPremises";
  recipientDomains: string[];
  smartHosts: string[];
  useMxRecord: boolean;
  isTransportRuleScoped: boolean;
  tlsSettings: string | null;
  tlsDomain: string | null;
  comment: string;
  validationRecipients: string[];
  isValidated: boolean;
  lastValidationTimestamp: string | null;
  whenCreated: string;
}

export interface TransportRuleRecord {
  guid: string;
  name: string;
  state: "Enabled" | "Disabled";
  priority: number;
  sentTo: string[];
  /** Distribution group GUIDs (SentToMemberOf); absent in rules stored before groups existed. */
  sentToMemberOf?: string[];
  routeMessageOutboundConnector: string;
  comments: string;
}

export interface DistributionGroupRecord {
  guid: string;
  name: string;
  displayName: string;
  alias: string;
  groupType: "Distribution" | "Security";
  /** Prefixed like a recipient's: `SMTP:` primary, `smtp:` secondaries. */
  emailAddresses: string[];
  /** GUIDs of the member recipients, mail contacts and groups, in the order they were added. */
  members: string[];
  /** Accept messages only from authenticated senders; absent in groups stored before it existed, which mean true. */
  requireSenderAuthenticationEnabled?: boolean;
  /** CustomAttribute1..15 by number; absent numbers are empty. */
  customAttributes?: Record<string, string>;
  whenCreated: string;
}

export interface AcceptedDomainTypeRecord {
  domainName: string;
  domainType: AcceptedDomainType;
  matchSubDomains: boolean;
}

export interface GoogleUserRecord {
  id: string;
  primaryEmail: string;
  givenName: string;
  familyName: string;
  department?: string;
  suspended: boolean;
  aliases: string[];
  isAdmin: boolean;
  forwardingAddresses: { forwardingEmail: string; verificationStatus: "accepted" | "pending" }[];
  autoForwarding: { enabled: boolean; emailAddress?: string; disposition?: ForwardingDisposition };
}

/** A deleted Workspace user: out of the Directory, its addresses free, restorable (as Google allows for 20 days). */
export interface DeletedGoogleUserRecord extends GoogleUserRecord {
  deletionTime: string;
}

export interface GoogleDomainRecord {
  domainName: string;
  isPrimary: boolean;
  aliasOf?: string;
  /** Epoch milliseconds, as the Directory reports it (a string). */
  creationTime?: string;
}

export type GoogleMemberRole = "OWNER" | "MANAGER" | "MEMBER";
export type GoogleMemberType = "USER" | "GROUP" | "CUSTOMER";

export interface GoogleMemberRecord {
  /** Absent for a CUSTOMER member (every user of the Workspace). */
  email?: string;
  type: GoogleMemberType;
  role: GoogleMemberRole;
  deliverySettings: GoogleDeliverySetting;
}

export interface GoogleGroupRecord {
  id: string;
  email: string;
  name: string;
  description: string;
  /** Editable aliases (groups.aliases). */
  aliases: string[];
  members: GoogleMemberRecord[];
}
