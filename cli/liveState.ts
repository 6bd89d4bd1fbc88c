/**
 * Reads both live tenants into the routing model's TenantState, through our API clients (real
 * tenants, or the sandbox through the configuration contract: COEXIST_* settings).
 *
 * What the APIs cannot list: our Google client has no Directory users.list, so the Google users are
 * found from Exchange Online — every mail user's external address and every recipient's primary
 * address in a tenant domain — plus the addresses the caller names. DNS MX records come from
 * `--mx`, from the sandbox's DNS when the clients point at a running sandbox, else from DNS; an
 * `*.onmicrosoft.com` domain without one gets Microsoft's, which Microsoft publishes for every tenant.
 */
import { resolveMx } from "node:dns/promises";
import { invoke, type ExchangeObject } from "../provider/clients/exchange";
import { ApiError } from "../provider/clients/errors";
import { getAutoForwarding, getDirectoryUser, type AutoForwarding, type DirectoryUser } from "../provider/clients/google";
import { currentConfig } from "../provider/config";
import { domainOf, microsoftMxHost, normalizeAddress } from "../provider/routing/addresses";
import type {
  AcceptedDomainType,
  ForwardingDisposition,
  GoogleUserState,
  OutboundConnectorState,
  RecipientState,
  TenantState,
  TransportRuleState,
} from "../provider/routing/types";
import { loadSandboxPackage } from "./sandboxPackage";

/** The calls liveState makes; tests and other front ends may substitute them. */
export interface TenantApis {
  exchange(cmdlet: string, parameters: Record<string, unknown>): Promise<ExchangeObject[]>;
  directoryUser(address: string): Promise<DirectoryUser | undefined>;
  autoForwarding(user: string): Promise<AutoForwarding>;
  /** MX hosts of every domain the source knows, or undefined when it answers per domain only. */
  allMx(): Promise<Record<string, string[]> | undefined>;
  mx(domain: string): Promise<string[]>;
}

export interface LiveStateOptions {
  /** MX hosts per domain that override what DNS says (`--mx contoso.com=smtp.google.com`). */
  mx?: Record<string, string[]>;
  /** Addresses to look up at Google besides those Exchange Online knows. */
  googleUsers?: string[];
  apis?: TenantApis;
}

/** Google calls in flight at once: enough to read thousands of users, few enough for Gmail's per-user quotas. */
const GOOGLE_CONCURRENCY = 8;
const DISPOSITIONS: readonly ForwardingDisposition[] = ["leaveInInbox", "archive", "trash", "markRead"];

export async function readLiveState(options: LiveStateOptions = {}): Promise<TenantState> {
  const apis = options.apis ?? realApis();
  const [acceptedDomains, connectors, rules, recipients, mailboxes] = await Promise.all([
    apis.exchange("Get-AcceptedDomain", {}),
    apis.exchange("Get-OutboundConnector", {}),
    apis.exchange("Get-TransportRule", {}),
    apis.exchange("Get-Recipient", { RecipientTypeDetails: ["MailUser", "UserMailbox"], ResultSize: "Unlimited" }),
    apis.exchange("Get-Mailbox", { ResultSize: "Unlimited" }),
  ]);
  const exchange = {
    acceptedDomains: acceptedDomains.map((domain) => ({
      domainName: normalizeAddress(text(domain.DomainName)),
      domainType: (text(domain.DomainType) === "InternalRelay" ? "InternalRelay" : "Authoritative") as AcceptedDomainType,
    })),
    outboundConnectors: connectors.map(
      (connector): OutboundConnectorState => ({
        name: text(connector.Name),
        enabled: connector.Enabled !== false,
        recipientDomains: strings(connector.RecipientDomains),
        smartHosts: strings(connector.SmartHosts),
        useMxRecord: connector.UseMXRecord === true,
        isTransportRuleScoped: connector.IsTransportRuleScoped === true,
      }),
    ),
    transportRules: rules.map(
      (rule): TransportRuleState => ({
        name: text(rule.Name),
        enabled: text(rule.State) !== "Disabled",
        sentTo: strings(rule.SentTo).map(normalizeAddress),
        routeMessageOutboundConnector: text(rule.RouteMessageOutboundConnector),
      }),
    ),
    recipients: recipientsOf(recipients, mailboxes),
  };
  const tenantDomains = new Set(exchange.acceptedDomains.map((domain) => domain.domainName).filter((domain) => !domain.endsWith(".onmicrosoft.com")));
  const candidates = new Set<string>((options.googleUsers ?? []).map(normalizeAddress));
  for (const recipient of exchange.recipients) {
    if (recipient.externalEmailAddress) candidates.add(recipient.externalEmailAddress);
    if (tenantDomains.has(domainOf(recipient.primarySmtpAddress))) candidates.add(recipient.primarySmtpAddress);
  }
  const google = await readGoogle(apis, [...candidates].sort());
  const domains = new Set([...exchange.acceptedDomains.map((domain) => domain.domainName), ...google.domains, ...[...candidates].map(domainOf)]);
  for (const recipient of exchange.recipients) {
    for (const address of [recipient.externalEmailAddress, recipient.forwardingSmtpAddress, ...recipient.emailAddresses]) if (address) domains.add(domainOf(address));
  }
  for (const user of google.users) if (user.autoForwarding?.enabled) domains.add(domainOf(user.autoForwarding.emailAddress));
  return { dns: { mx: await mxRecords(apis, [...domains].sort(), options.mx ?? {}) }, exchange, google };
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** `SMTP:alice@contoso.com` → `alice@contoso.com`; undefined for no address. */
function smtpAddress(value: unknown): string | undefined {
  const address = text(value).replace(/^smtp:/i, "");
  return address ? normalizeAddress(address) : undefined;
}

function recipientsOf(recipients: ExchangeObject[], mailboxes: ExchangeObject[]): RecipientState[] {
  const forwardingOf = new Map(mailboxes.map((mailbox) => [smtpAddress(mailbox.PrimarySmtpAddress), smtpAddress(mailbox.ForwardingSmtpAddress)]));
  return recipients.flatMap((recipient): RecipientState[] => {
    const primary = smtpAddress(recipient.PrimarySmtpAddress);
    if (!primary) return [];
    const isMailbox = text(recipient.RecipientTypeDetails) === "UserMailbox";
    const proxies = strings(recipient.EmailAddresses)
      .filter((proxy) => /^smtp:/i.test(proxy))
      .map((proxy) => smtpAddress(proxy) as string);
    return [
      {
        recipientTypeDetails: isMailbox ? "UserMailbox" : "MailUser",
        primarySmtpAddress: primary,
        emailAddresses: [...new Set([primary, ...proxies])],
        externalEmailAddress: smtpAddress(recipient.ExternalEmailAddress),
        forwardingSmtpAddress: isMailbox ? (forwardingOf.get(primary) ?? smtpAddress(recipient.ForwardingSmtpAddress)) : undefined,
      },
    ];
  });
}

async function readGoogle(apis: TenantApis, candidates: string[]): Promise<TenantState["google"]> {
  const found = await inBatches(candidates, (address) => apis.directoryUser(address));
  const directoryUsers = new Map<string, DirectoryUser>();
  for (const user of found) if (user?.primaryEmail) directoryUsers.set(normalizeAddress(user.primaryEmail), user);
  const primaries = [...directoryUsers.keys()].sort();
  const forwardings = await inBatches(primaries, (primary) => (directoryUsers.get(primary)?.suspended ? Promise.resolve(undefined) : apis.autoForwarding(primary)));
  const users = primaries.map((primaryEmail, index): GoogleUserState => {
    const directoryUser = directoryUsers.get(primaryEmail) as DirectoryUser;
    const forwarding = forwardings[index];
    const disposition = DISPOSITIONS.find((candidate) => candidate === forwarding?.disposition) ?? "leaveInInbox";
    return {
      primaryEmail,
      aliases: [...(directoryUser.aliases ?? []), ...(directoryUser.nonEditableAliases ?? [])].map(normalizeAddress),
      suspended: directoryUser.suspended === true,
      autoForwarding:
        forwarding?.enabled && forwarding.emailAddress ? { enabled: true, emailAddress: normalizeAddress(forwarding.emailAddress), disposition } : undefined,
    };
  });
  const domains = new Set(users.flatMap((user) => [user.primaryEmail, ...user.aliases].map(domainOf)));
  return { domains: [...domains].sort(), users };
}

async function inBatches<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += GOOGLE_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(start, start + GOOGLE_CONCURRENCY).map(read))));
  }
  return results;
}

async function mxRecords(apis: TenantApis, domains: string[], overrides: Record<string, string[]>): Promise<Record<string, string[]>> {
  const known = await apis.allMx();
  const mx: Record<string, string[]> = { ...(known ?? {}) };
  if (known === undefined) {
    const looked = await Promise.all(domains.map((domain) => apis.mx(domain)));
    domains.forEach((domain, index) => {
      if (looked[index].length > 0) mx[domain] = looked[index];
    });
  }
  for (const domain of domains) if (domain.endsWith(".onmicrosoft.com") && !mx[domain]) mx[domain] = [microsoftMxHost(domain)];
  for (const [domain, hosts] of Object.entries(overrides)) mx[normalizeAddress(domain)] = hosts;
  return mx;
}

/** Our clients, and the DNS of the sandbox the clients point at, else the system's resolver. */
export function realApis(): TenantApis {
  return {
    exchange: (cmdlet, parameters) => invoke(cmdlet, parameters),
    directoryUser: async (address) => {
      try {
        return await getDirectoryUser(address);
      } catch (error) {
        // A domain Google does not host answers 403 rather than 404: not a Google user either way.
        if (error instanceof ApiError && error.status === 403) return undefined;
        throw error;
      }
    },
    autoForwarding: (user) => getAutoForwarding(user),
    allMx: sandboxMx,
    mx: async (domain) => {
      try {
        return (await resolveMx(domain)).sort((a, b) => a.priority - b.priority).map((record) => record.exchange);
      } catch {
        return [];
      }
    },
  };
}

async function sandboxMx(): Promise<Record<string, string[]> | undefined> {
  const { controlRequest, defaultDataDir, readRuntime } = loadSandboxPackage("coexist trace");
  const runtime = readRuntime(process.env.COEXIST_SANDBOX_DIR ?? defaultDataDir());
  if (!runtime || !currentConfig().exchangeUrl.startsWith(runtime.url)) return undefined;
  const response = await controlRequest(runtime, "GET", "/sandbox/dns");
  if (response.status !== 200) throw new Error(`the sandbox at ${runtime.url} answered ${response.status} to GET /sandbox/dns; is it running? (coexist sandbox status)`);
  return (response.body as { mx: Record<string, string[]> }).mx;
}
