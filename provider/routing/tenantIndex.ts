import { normalizeAddress } from "./addresses";
import type {
  AcceptedDomainType,
  DistributionGroupState,
  GoogleGroupState,
  GoogleUserState,
  OutboundConnectorState,
  RecipientState,
  TenantState,
  TransportRuleState,
} from "./types";

/** The lookups routing needs, built once per tenant state so that routing many messages stays linear. */
export interface TenantIndex {
  state: TenantState;
  mx: Map<string, string[]>;
  googleDomains: Set<string>;
  /** Every primary address, alias and alias-domain address of a Google user. */
  googleUsers: Map<string, GoogleUserState>;
  /** Every address of a Google group (email, aliases, alias-domain addresses). */
  googleGroups: Map<string, GoogleGroupState>;
  acceptedDomains: Map<string, AcceptedDomainType>;
  /** Every proxy address (and primary) of an Exchange recipient (mailboxes, mail users, mail contacts). */
  recipients: Map<string, RecipientState>;
  /** Every proxy address (and primary) of an Exchange distribution group. */
  exchangeGroups: Map<string, DistributionGroupState>;
  selectConnector(domain: string, ruleRecipients: readonly string[]): ConnectorSelection | undefined;
}

export interface ConnectorSelection {
  connector: OutboundConnectorState;
  /** Why it was chosen, in admin words: `RecipientDomains contoso.com` or `transport rule Route to Google`. */
  selectedBy: string;
}

export function indexTenant(state: TenantState): TenantIndex {
  const recipients = new Map<string, RecipientState>();
  for (const recipient of state.exchange.recipients) {
    for (const address of [recipient.primarySmtpAddress, ...recipient.emailAddresses]) {
      recipients.set(normalizeAddress(address), recipient);
    }
  }
  const exchangeGroups = new Map<string, DistributionGroupState>();
  for (const group of state.exchange.distributionGroups ?? []) {
    for (const address of [group.primarySmtpAddress, ...group.emailAddresses]) exchangeGroups.set(normalizeAddress(address), group);
  }
  const googleUsers = new Map<string, GoogleUserState>();
  for (const user of state.google.users) {
    for (const address of [user.primaryEmail, ...user.aliases, ...(user.nonEditableAliases ?? [])]) googleUsers.set(normalizeAddress(address), user);
  }
  const googleGroups = new Map<string, GoogleGroupState>();
  for (const group of state.google.groups ?? []) {
    for (const address of [group.email, ...group.aliases, ...(group.nonEditableAliases ?? [])]) googleGroups.set(normalizeAddress(address), group);
  }
  return {
    state,
    mx: new Map(Object.entries(state.dns.mx).map(([domain, hosts]) => [normalizeAddress(domain), hosts])),
    googleDomains: new Set(state.google.domains.map(normalizeAddress)),
    googleUsers,
    googleGroups,
    exchangeGroups,
    acceptedDomains: new Map(
      state.exchange.acceptedDomains.map((domain) => [normalizeAddress(domain.domainName), domain.domainType]),
    ),
    recipients,
    selectConnector: connectorSelector(state.exchange.outboundConnectors, state.exchange.transportRules),
  };
}

/**
 * Outbound connector selection (mail-routing.md §1.3): an enabled transport rule whose SentTo holds
 * one of the message's recipient addresses routes to the enabled connector it names; otherwise the
 * enabled connectors that are not transport-rule-scoped compete on RecipientDomains and the most
 * specific match wins (exact domain, then the longest `*.` suffix, then `*`; the first listed on a tie).
 */
export function connectorSelector(
  connectors: readonly OutboundConnectorState[],
  transportRules: readonly TransportRuleState[],
): (domain: string, ruleRecipients: readonly string[]) => ConnectorSelection | undefined {
  const enabled = connectors.filter((connector) => connector.enabled);
  const byName = new Map(enabled.map((connector) => [connector.name.toLowerCase(), connector]));
  const byRuleRecipient = new Map<string, ConnectorSelection>();
  for (const rule of transportRules) {
    const connector = byName.get(rule.routeMessageOutboundConnector.toLowerCase());
    if (!rule.enabled || !connector) continue;
    for (const address of rule.sentTo.map(normalizeAddress)) {
      if (!byRuleRecipient.has(address)) byRuleRecipient.set(address, { connector, selectedBy: `transport rule ${rule.name}` });
    }
  }
  const domainScoped = enabled.filter((connector) => !connector.isTransportRuleScoped);
  const byDomain = new Map<string, ConnectorSelection | undefined>();
  const selectByDomain = (domain: string): ConnectorSelection | undefined => {
    if (!byDomain.has(domain)) byDomain.set(domain, mostSpecificConnector(domainScoped, domain));
    return byDomain.get(domain);
  };
  return (domain, ruleRecipients) => {
    for (const address of ruleRecipients) {
      const selection = byRuleRecipient.get(address);
      if (selection) return selection;
    }
    return selectByDomain(domain);
  };
}

function mostSpecificConnector(
  connectors: readonly OutboundConnectorState[],
  domain: string,
): ConnectorSelection | undefined {
  let best: { selection: ConnectorSelection; specificity: number } | undefined;
  for (const connector of connectors) {
    for (const pattern of connector.recipientDomains) {
      const specificity = recipientDomainSpecificity(pattern, domain);
      if (specificity !== undefined && (best === undefined || specificity > best.specificity)) {
        best = { selection: { connector, selectedBy: `RecipientDomains ${pattern}` }, specificity };
      }
    }
  }
  return best?.selection;
}

const EXACT_MATCH = 1_000_000;

/** How specifically a RecipientDomains entry matches a domain, or undefined when it does not match. */
export function recipientDomainSpecificity(pattern: string, domain: string): number | undefined {
  const entry = normalizeAddress(pattern);
  if (entry === "*") return 0;
  if (entry.startsWith("*.")) return domain.endsWith(entry.slice(1)) ? entry.length : undefined;
  return entry === domain ? EXACT_MATCH + entry.length : undefined;
}
