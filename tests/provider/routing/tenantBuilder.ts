import type {
  AcceptedDomainType,
  DistributionGroupState,
  ForwardingDisposition,
  GoogleGroupMemberState,
  GoogleGroupState,
  GoogleUserState,
  OutboundConnectorState,
  RecipientState,
  TenantState,
  TransportRuleState,
} from "../../../provider/routing/types";

export const GOOGLE_MX = "smtp.google.com";
export const CONTOSO_EOP_MX = "contoso-com.mail.protection.outlook.com";
export const O365_EOP_MX = "o365-contoso-com.mail.protection.outlook.com";
export const ROUTING_DOMAIN = "o365.contoso.com";

/** A state to edit step by step; every method returns the builder, `build()` a deep copy. */
export class TenantBuilder {
  private readonly state: TenantState = {
    dns: { mx: {} },
    exchange: { acceptedDomains: [], outboundConnectors: [], recipients: [], transportRules: [], distributionGroups: [] },
    google: { domains: [], users: [], groups: [] },
  };

  mx(domain: string, ...hosts: string[]): this {
    if (hosts.length === 0) delete this.state.dns.mx[domain];
    else this.state.dns.mx[domain] = hosts;
    return this;
  }

  acceptedDomain(domainName: string, domainType: AcceptedDomainType): this {
    this.state.exchange.acceptedDomains = this.state.exchange.acceptedDomains.filter((d) => d.domainName !== domainName);
    this.state.exchange.acceptedDomains.push({ domainName, domainType });
    return this;
  }

  withoutAcceptedDomain(domainName: string): this {
    this.state.exchange.acceptedDomains = this.state.exchange.acceptedDomains.filter((d) => d.domainName !== domainName);
    return this;
  }

  connector(connector: Partial<OutboundConnectorState> & { name: string }): this {
    this.state.exchange.outboundConnectors = this.state.exchange.outboundConnectors.filter((c) => c.name !== connector.name);
    this.state.exchange.outboundConnectors.push({
      enabled: true,
      recipientDomains: ["contoso.com"],
      smartHosts: [GOOGLE_MX],
      useMxRecord: false,
      isTransportRuleScoped: false,
      ...connector,
    });
    return this;
  }

  withoutConnector(name: string): this {
    this.state.exchange.outboundConnectors = this.state.exchange.outboundConnectors.filter((c) => c.name !== name);
    return this;
  }

  transportRule(rule: Partial<TransportRuleState> & { name: string; sentTo: string[]; routeMessageOutboundConnector: string }): this {
    this.state.exchange.transportRules.push({ enabled: true, ...rule });
    return this;
  }

  googleDomain(domain: string): this {
    this.state.google.domains.push(domain);
    return this;
  }

  googleUser(primaryEmail: string, extra: Partial<GoogleUserState> = {}): this {
    this.withoutGoogleUser(primaryEmail);
    this.state.google.users.push({ primaryEmail, aliases: [], ...extra });
    return this;
  }

  withoutGoogleUser(primaryEmail: string): this {
    this.state.google.users = this.state.google.users.filter((u) => u.primaryEmail !== primaryEmail);
    return this;
  }

  gmailForwarding(primaryEmail: string, emailAddress: string, disposition: ForwardingDisposition = "trash"): this {
    return this.editGoogleUser(primaryEmail, (user) => {
      user.autoForwarding = { enabled: true, emailAddress, disposition };
    });
  }

  /** Gmail forwarding off (decommission removes it). */
  withoutGmailForwarding(primaryEmail: string): this {
    return this.editGoogleUser(primaryEmail, (user) => {
      delete user.autoForwarding;
    });
  }

  /** Editable aliases and alias-domain addresses of a Google user. */
  googleAliases(primaryEmail: string, aliases: string[], nonEditableAliases: string[] = []): this {
    return this.editGoogleUser(primaryEmail, (user) => {
      user.aliases = aliases;
      user.nonEditableAliases = nonEditableAliases;
    });
  }

  /** A Google group; a member given as an address is a USER member (the model routes by address). */
  googleGroup(email: string, members: (string | GoogleGroupMemberState)[], extra: Partial<GoogleGroupState> = {}): this {
    const groups = (this.state.google.groups ?? []).filter((group) => group.email !== email);
    const listed = members.map((member) => (typeof member === "string" ? { email: member, type: "USER" as const } : member));
    this.state.google.groups = [...groups, { email, aliases: [], members: listed, ...extra }];
    return this;
  }

  /** An Exchange distribution group that takes mail from outside unless told otherwise. */
  distributionGroup(primary: string, members: string[], extra: Partial<DistributionGroupState> = {}): this {
    const groups = (this.state.exchange.distributionGroups ?? []).filter((group) => group.primarySmtpAddress !== primary);
    this.state.exchange.distributionGroups = [
      ...groups,
      { primarySmtpAddress: primary, emailAddresses: [primary], members, requireSenderAuthenticationEnabled: false, ...extra },
    ];
    return this;
  }

  /** A mail contact: its own address is its external address, plus any proxies given. */
  mailContact(external: string, proxies: string[] = []): this {
    return this.recipient({
      recipientTypeDetails: "MailContact",
      primarySmtpAddress: external,
      emailAddresses: [external, ...proxies],
      externalEmailAddress: external,
    });
  }

  suspend(primaryEmail: string): this {
    return this.editGoogleUser(primaryEmail, (user) => {
      user.suspended = true;
    });
  }

  /** A cloud mail user with a routing-domain proxy, redirecting to `external` (default: its own primary). */
  mailUser(primary: string, external = primary, extra: Partial<RecipientState> = {}): this {
    return this.recipient({
      recipientTypeDetails: "MailUser",
      primarySmtpAddress: primary,
      emailAddresses: [primary, routingAddress(primary)],
      externalEmailAddress: external,
      ...extra,
    });
  }

  /** A licensed mailbox with a routing-domain proxy. */
  mailbox(primary: string, extra: Partial<RecipientState> = {}): this {
    return this.recipient({
      recipientTypeDetails: "UserMailbox",
      primarySmtpAddress: primary,
      emailAddresses: [primary, routingAddress(primary)],
      ...extra,
    });
  }

  /** Licensing turns the mail user into a mailbox; the residual ExternalEmailAddress stays (and is ignored). */
  license(primary: string): this {
    return this.editRecipient(primary, (recipient) => {
      recipient.recipientTypeDetails = "UserMailbox";
    });
  }

  editRecipient(primary: string, edit: (recipient: RecipientState) => void): this {
    const recipient = this.state.exchange.recipients.find((r) => r.primarySmtpAddress === primary);
    if (!recipient) throw new Error(`test builder: no Exchange recipient ${primary}`);
    edit(recipient);
    return this;
  }

  withoutRecipient(primary: string): this {
    this.state.exchange.recipients = this.state.exchange.recipients.filter((r) => r.primarySmtpAddress !== primary);
    return this;
  }

  build(): TenantState {
    return structuredClone(this.state);
  }

  private recipient(recipient: RecipientState): this {
    this.withoutRecipient(recipient.primarySmtpAddress);
    this.state.exchange.recipients.push(recipient);
    return this;
  }

  private editGoogleUser(primaryEmail: string, edit: (user: GoogleUserState) => void): this {
    const user = this.state.google.users.find((u) => u.primaryEmail === primaryEmail);
    if (!user) throw new Error(`test builder: no Google user ${primaryEmail}`);
    edit(user);
    return this;
  }
}

export function routingAddress(primary: string): string {
  return `${primary.slice(0, primary.indexOf("@"))}@${ROUTING_DOMAIN}`;
}

export const B = "b@contoso.com";
export const C = "c@contoso.com";
export const X = "x@contoso.com";
export const ADMIN = "admin@contoso.onmicrosoft.com";

/**
 * Stage 0 of mail-routing.md §3: coexistence configured, nobody migrated. B and C are Google users
 * and EXO mail users; `admin@contoso.onmicrosoft.com` is the one Microsoft 365 mailbox.
 */
export function stage0(): TenantBuilder {
  return new TenantBuilder()
    .mx("contoso.com", GOOGLE_MX)
    .mx(ROUTING_DOMAIN, O365_EOP_MX)
    .mx("contoso.onmicrosoft.com", "contoso.mail.protection.outlook.com")
    .googleDomain("contoso.com")
    .googleUser(B)
    .googleUser(C)
    .acceptedDomain("contoso.com", "InternalRelay")
    .acceptedDomain(ROUTING_DOMAIN, "Authoritative")
    .acceptedDomain("contoso.onmicrosoft.com", "Authoritative")
    .connector({ name: "ToGoogle" })
    .mailUser(B)
    .mailUser(C)
    .mailbox(ADMIN, { emailAddresses: [ADMIN] });
}

/** Stage 1a: B licensed, data being copied, no Gmail forwarding yet. */
export function stage1a(): TenantBuilder {
  return stage0().license(B);
}

/** Stage 1b: B migrated; Gmail forwards B to b@o365.contoso.com without keeping a copy. */
export function stage1b(): TenantBuilder {
  return stage1a().gmailForwarding(B, routingAddress(B));
}

/**
 * Stage 2, cutover: everyone has a mailbox, MX at Microsoft 365, contoso.com Authoritative again,
 * ToGoogle disabled; Gmail forwarding and o365.contoso.com kept until the old MX TTL has expired.
 */
export function stage2(): TenantBuilder {
  return stage1b()
    .license(C)
    .gmailForwarding(C, routingAddress(C))
    .mx("contoso.com", CONTOSO_EOP_MX)
    .acceptedDomain("contoso.com", "Authoritative")
    .connector({ name: "ToGoogle", enabled: false });
}
