/** What the sandbox stores, one JSON document per object. */
import type { AcceptedDomainType, ForwardingDisposition } from "../provider/routing/types";

export interface TenantRecord {
  tenantId: string;
  initialDomain: string;
  apps: { clientId: string; clientSecret: string; displayName: string }[];
}

export interface DomainRecord {
  id: string;
  isVerified: boolean;
  isDefault: boolean;
  isInitial: boolean;
  supportedServices: string[];
  /** The `MS=ms<digits>` value the TXT verification record must hold. */
  verificationCode: string;
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
  assignedLicenses: { skuId: string; disabledPlans: string[] }[];
  createdDateTime: string;
  /** When a licence change takes effect in Exchange (ISO time), and what it does. */
  pendingMailboxChange?: { dueAt: string; change: "create" | "remove" };
}

export type RecipientTypeDetails = "MailUser" | "UserMailbox";

export interface RecipientRecord {
  guid: string;
  name: string;
  displayName: string;
  alias: string;
  recipientTypeDetails: RecipientTypeDetails;
  /** Prefixed: `SMTP:` primary, `smtp:` secondaries. */
  emailAddresses: string[];
  externalEmailAddress?: string;
  forwardingSmtpAddress?: string;
  deliverToMailboxAndForward: boolean;
  microsoftOnlineServicesId: string;
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
  /** Recipient GUIDs, in the order they were added. */
  members: string[];
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
}
