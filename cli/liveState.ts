/**
 * Reads both live tenants into the routing model's TenantState, through our API clients (real
 * tenants, or the sandbox through the configuration contract: COEXIST_* settings; the same code).
 *
 * - Exchange Online: accepted domains, outbound connectors, transport rules, mail users, mailboxes
 *   (with their forwarding), mail contacts, distribution groups and their members.
 * - Google Workspace, as coexist:googleAdmin: every Directory user (aliases, alias-domain
 *   addresses, suspension), every group with its aliases and direct members, the domains and
 *   domain aliases; each active user's Gmail forwarding (all of them, or only those the caller
 *   needs, see `forwardingNeeded`).
 * - DNS MX records: `--mx` first; for a sandbox (loopback endpoints), the sandbox's DNS read by URL
 *   from its control API; for real tenants, the system's resolver. An `*.onmicrosoft.com` domain
 *   without one gets Microsoft's, which Microsoft publishes for every tenant.
 */
import { resolveMx } from "node:dns/promises";
import { dirname } from "node:path";
import { invoke, type ExchangeObject } from "../provider/clients/exchange";
import {
  DIRECTORY_DOMAIN_SCOPES,
  DIRECTORY_GROUP_SCOPES,
  DIRECTORY_SCOPES,
  getAutoForwarding,
  GoogleApiError,
  listDirectoryDomains,
  listDirectoryGroups,
  listDirectoryUsers,
  listGroupMembers,
  type AutoForwarding,
  type DirectoryDomain,
  type DirectoryGroup,
  type DirectoryMember,
  type DirectoryUser,
} from "../provider/clients/google";
import { currentConfig, isLoopbackHost } from "../provider/config";
import { domainOf, microsoftMxHost, normalizeAddress } from "../provider/routing/addresses";
import type {
  AcceptedDomainType,
  DistributionGroupState,
  ForwardingDisposition,
  GoogleDeliverySetting,
  GoogleGroupMemberState,
  GoogleGroupState,
  GoogleMemberType,
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
  directoryUsers(): Promise<DirectoryUser[]>;
  directoryGroups(): Promise<DirectoryGroup[]>;
  groupMembers(group: string): Promise<DirectoryMember[]>;
  directoryDomains(): Promise<DirectoryDomain[]>;
  autoForwarding(user: string): Promise<AutoForwarding>;
  /** MX hosts of every domain the source knows, or undefined when it answers per domain only. */
  allMx(): Promise<Record<string, string[]> | undefined>;
  mx(domain: string): Promise<string[]>;
}

export interface LiveStateOptions {
  /** MX hosts per domain that override what DNS says (`--mx contoso.com=smtp.google.com`). */
  mx?: Record<string, string[]>;
  /** The data directory of the sandbox the endpoints point at, when NODE_EXTRA_CA_CERTS (its `ca.pem`) does not name it. */
  sandboxDir?: string;
  /**
   * Whose Gmail forwarding to read: by default every active Google user's. Given, it is asked with
   * the state read so far (forwarding of the users read so far) for the users whose forwarding it
   * needs, until it names no user whose forwarding is still unread: a single route then reads a
   * handful of users instead of the whole Workspace.
   */
  forwardingNeeded?: (state: TenantState) => string[];
  apis?: TenantApis;
}

/** Google calls in flight at once: enough to read thousands of users, few enough for Gmail's per-user quotas. */
const GOOGLE_CONCURRENCY = 8;
const DISPOSITIONS: readonly ForwardingDisposition[] = ["leaveInInbox", "archive", "trash", "markRead"];
const MEMBER_TYPES: readonly GoogleMemberType[] = ["USER", "GROUP", "CUSTOMER", "EXTERNAL"];
const DELIVERY_SETTINGS: readonly GoogleDeliverySetting[] = ["ALL_MAIL", "DAILY", "DIGEST", "DISABLED", "NONE"];
const DELEGATION = "Admin console > Security > Access and data control > API controls > Domain-wide delegation";

export async function readLiveState(options: LiveStateOptions = {}): Promise<TenantState> {
  const apis = options.apis ?? realApis(options.sandboxDir);
  const [exchange, directory] = await Promise.all([readExchange(apis), readDirectory(apis)]);
  const domains = new Set([...exchange.acceptedDomains.map((domain) => domain.domainName), ...googleState(directory, new Map()).domains]);
  for (const recipient of exchange.recipients) {
    for (const address of [recipient.externalEmailAddress, recipient.forwardingSmtpAddress, ...recipient.emailAddresses]) if (address) domains.add(domainOf(address));
  }
  const dns = await dnsOf(apis, options.mx ?? {});
  await dns.lookUp([...domains]);
  const google = await withForwarding(apis, directory, { dns: dns.state, exchange }, options.forwardingNeeded);
  await dns.lookUp(google.users.flatMap((user) => (user.autoForwarding?.enabled ? [domainOf(user.autoForwarding.emailAddress)] : [])));
  return { dns: dns.state, exchange, google };
}

async function readExchange(apis: TenantApis): Promise<TenantState["exchange"]> {
  const [acceptedDomains, connectors, rules, recipients, mailboxes, groups] = await Promise.all([
    apis.exchange("Get-AcceptedDomain", {}),
    apis.exchange("Get-OutboundConnector", {}),
    apis.exchange("Get-TransportRule", {}),
    apis.exchange("Get-Recipient", { RecipientTypeDetails: ["MailUser", "UserMailbox", "MailContact"], ResultSize: "Unlimited" }),
    apis.exchange("Get-Mailbox", { ResultSize: "Unlimited" }),
    apis.exchange("Get-DistributionGroup", { ResultSize: "Unlimited" }),
  ]);
  const members = await inBatches(groups, (group) => apis.exchange("Get-DistributionGroupMember", { Identity: text(group.PrimarySmtpAddress), ResultSize: "Unlimited" }));
  return {
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
    distributionGroups: groups.flatMap((group, index): DistributionGroupState[] => {
      const primary = smtpAddress(group.PrimarySmtpAddress);
      if (!primary) return [];
      return [
        {
          primarySmtpAddress: primary,
          emailAddresses: [...new Set([primary, ...smtpProxies(group.EmailAddresses)])],
          members: members[index].flatMap((member) => smtpAddress(member.PrimarySmtpAddress) ?? []),
          requireSenderAuthenticationEnabled: group.RequireSenderAuthenticationEnabled !== false,
        },
      ];
    }),
  };
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

/** The SMTP proxies of `EmailAddresses` (not X500:, SIP: …), without their prefix. */
function smtpProxies(value: unknown): string[] {
  return strings(value)
    .filter((proxy) => /^smtp:/i.test(proxy))
    .map((proxy) => smtpAddress(proxy) as string);
}

const RECIPIENT_TYPES: readonly RecipientState["recipientTypeDetails"][] = ["MailUser", "UserMailbox", "MailContact"];

function recipientsOf(recipients: ExchangeObject[], mailboxes: ExchangeObject[]): RecipientState[] {
  const forwardingOf = new Map(mailboxes.map((mailbox) => [smtpAddress(mailbox.PrimarySmtpAddress), smtpAddress(mailbox.ForwardingSmtpAddress)]));
  return recipients.flatMap((recipient): RecipientState[] => {
    const primary = smtpAddress(recipient.PrimarySmtpAddress);
    const type = RECIPIENT_TYPES.find((candidate) => candidate === text(recipient.RecipientTypeDetails)) ?? "MailUser";
    if (!primary) return [];
    const isMailbox = type === "UserMailbox";
    return [
      {
        recipientTypeDetails: type,
        primarySmtpAddress: primary,
        emailAddresses: [...new Set([primary, ...smtpProxies(recipient.EmailAddresses)])],
        externalEmailAddress: smtpAddress(recipient.ExternalEmailAddress),
        forwardingSmtpAddress: isMailbox ? (forwardingOf.get(primary) ?? smtpAddress(recipient.ForwardingSmtpAddress)) : undefined,
      },
    ];
  });
}

/** The Google Workspace as the Directory describes it, before anyone's forwarding is read. */
interface Directory {
  users: DirectoryUser[];
  groups: GoogleGroupState[];
  domains: string[];
}

/** A Directory read; a refusal of the token or the call names the scope to delegate. */
export async function needingScope<T>(what: string, scopes: string[], read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const refused = error instanceof GoogleApiError && (error.reason === "unauthorized_client" || error.status === 401 || error.status === 403);
    if (!refused) throw error;
    const scope = scopes.map((url) => url.replace("https://www.googleapis.com/auth/", "")).join(", ");
    throw new Error(`reading the ${what} was refused (${error.message}): delegate ${scope} to the service account for coexist:googleAdmin (${DELEGATION})`);
  }
}

async function readDirectory(apis: TenantApis): Promise<Directory> {
  const [users, groups, domains] = await Promise.all([
    needingScope("Google users", DIRECTORY_SCOPES, () => apis.directoryUsers()),
    needingScope("Google groups", DIRECTORY_GROUP_SCOPES, () => apis.directoryGroups()),
    needingScope("Google domains", DIRECTORY_DOMAIN_SCOPES, () => apis.directoryDomains()),
  ]);
  const members = await needingScope("Google group members", DIRECTORY_GROUP_SCOPES, () => inBatches(groups, (group) => apis.groupMembers(text(group.email))));
  return {
    users,
    groups: groups.map(
      (group, index): GoogleGroupState => ({
        email: normalizeAddress(text(group.email)),
        aliases: strings(group.aliases).map(normalizeAddress),
        nonEditableAliases: strings(group.nonEditableAliases).map(normalizeAddress),
        members: members[index].map(memberOf),
      }),
    ),
    domains: domains.flatMap((domain) => [text(domain.domainName), ...(domain.domainAliases ?? []).map((alias) => text(alias.domainAliasName))].filter(Boolean).map(normalizeAddress)),
  };
}

/** A member as members.list gives it (without delivery settings, which only members.get returns: taken as ALL_MAIL). */
function memberOf(member: DirectoryMember): GoogleGroupMemberState {
  const type = MEMBER_TYPES.find((candidate) => candidate === member.type) ?? "USER";
  const deliverySettings = DELIVERY_SETTINGS.find((candidate) => candidate === member.delivery_settings);
  return { ...(member.email ? { email: normalizeAddress(member.email) } : {}), type, ...(deliverySettings ? { deliverySettings } : {}) };
}

/** The Google side with the Gmail forwarding of every active user, or of those `forwardingNeeded` asks for. */
async function withForwarding(
  apis: TenantApis,
  directory: Directory,
  microsoft: Omit<TenantState, "google">,
  forwardingNeeded: LiveStateOptions["forwardingNeeded"],
): Promise<TenantState["google"]> {
  const forwarding = new Map<string, AutoForwarding>();
  const active = new Set(directory.users.filter((user) => !user.suspended && user.primaryEmail).map((user) => normalizeAddress(text(user.primaryEmail))));
  const google = () => googleState(directory, forwarding);
  let wanted = forwardingNeeded ? forwardingNeeded({ ...microsoft, google: google() }) : [...active];
  for (;;) {
    const unread = [...new Set(wanted.map(normalizeAddress))].filter((user) => active.has(user) && !forwarding.has(user)).sort();
    if (unread.length === 0) return google();
    const settings = await inBatches(unread, (user) => apis.autoForwarding(user));
    unread.forEach((user, index) => forwarding.set(user, settings[index]));
    if (!forwardingNeeded) return google();
    wanted = forwardingNeeded({ ...microsoft, google: google() });
  }
}

function googleState(directory: Directory, forwarding: Map<string, AutoForwarding>): TenantState["google"] {
  const users = directory.users
    .filter((user) => user.primaryEmail)
    .map((user): GoogleUserState => {
      const primaryEmail = normalizeAddress(text(user.primaryEmail));
      const settings = forwarding.get(primaryEmail);
      const disposition = DISPOSITIONS.find((candidate) => candidate === settings?.disposition) ?? "leaveInInbox";
      const nonEditableAliases = strings(user.nonEditableAliases).map(normalizeAddress);
      return {
        primaryEmail,
        aliases: strings(user.aliases).map(normalizeAddress),
        ...(nonEditableAliases.length > 0 && { nonEditableAliases }),
        suspended: user.suspended === true,
        autoForwarding: settings?.enabled && settings.emailAddress ? { enabled: true, emailAddress: normalizeAddress(settings.emailAddress), disposition } : undefined,
      };
    })
    .sort((left, right) => left.primaryEmail.localeCompare(right.primaryEmail));
  const domains = new Set([...directory.domains, ...users.flatMap((user) => [user.primaryEmail, ...user.aliases, ...(user.nonEditableAliases ?? [])].map(domainOf))]);
  return { domains: [...domains].sort(), users, groups: directory.groups };
}

async function inBatches<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += GOOGLE_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(start, start + GOOGLE_CONCURRENCY).map(read))));
  }
  return results;
}

/**
 * DNS as the routing model reads it: `state.mx` grows with each `lookUp` (a source that knows every
 * domain, the sandbox, fills it at once); the overrides win, and an `*.onmicrosoft.com` domain
 * without a record gets Microsoft's.
 */
async function dnsOf(apis: TenantApis, overrides: Record<string, string[]>): Promise<{ state: TenantState["dns"]; lookUp(domains: string[]): Promise<void> }> {
  const known = await apis.allMx();
  const mx: Record<string, string[]> = { ...(known ?? {}) };
  const looked = new Set<string>();
  const lookUp = async (domains: string[]) => {
    const fresh = [...new Set(domains)].filter((domain) => !looked.has(domain)).sort();
    for (const domain of fresh) looked.add(domain);
    if (known === undefined) {
      const hosts = await Promise.all(fresh.map((domain) => apis.mx(domain)));
      fresh.forEach((domain, index) => {
        if (hosts[index].length > 0) mx[domain] = hosts[index];
      });
    }
    for (const domain of fresh) if (domain.endsWith(".onmicrosoft.com") && !mx[domain]) mx[domain] = [microsoftMxHost(domain)];
    for (const [domain, hosts] of Object.entries(overrides)) mx[normalizeAddress(domain)] = hosts;
  };
  await lookUp([]);
  return { state: { mx }, lookUp };
}

/** Our clients; DNS from the sandbox the endpoints point at, else from the system's resolver. */
export function realApis(sandboxDir?: string): TenantApis {
  return {
    exchange: (cmdlet, parameters) => invoke(cmdlet, parameters),
    directoryUsers: listDirectoryUsers,
    directoryGroups: listDirectoryGroups,
    groupMembers: listGroupMembers,
    directoryDomains: listDirectoryDomains,
    autoForwarding: (user) => getAutoForwarding(user),
    allMx: () => sandboxMx(sandboxDir),
    mx: async (domain) => {
      try {
        return (await resolveMx(domain)).sort((a, b) => a.priority - b.priority).map((record) => record.exchange);
      } catch {
        return [];
      }
    },
  };
}

/**
 * The DNS of the sandbox the endpoints point at, or undefined for real tenants (provider/config.ts
 * refuses a mix of loopback and real endpoints, so a loopback Exchange endpoint is a sandbox). It is
 * read by URL from the sandbox's control API, whose token is in the sandbox's data directory: the
 * directory of the CA the clients trust (NODE_EXTRA_CA_CERTS, `<data dir>/ca.pem`, as `coexist
 * sandbox start` prints it), or `sandboxDir`, checked against the endpoint by the sandbox's runtime
 * file. Never the current folder: a trace must answer the same wherever it runs.
 */
export async function sandboxMx(sandboxDir?: string): Promise<Record<string, string[]> | undefined> {
  const endpoint = new URL(currentConfig().exchangeUrl);
  if (!isLoopbackHost(endpoint.hostname)) return undefined;
  // Loaded only for a sandbox: a project that talks to real tenants need not install it.
  const { controlRequest, readRuntime } = loadSandboxPackage("coexist trace against a sandbox");
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  const dataDir = sandboxDir ?? (caFile ? dirname(caFile) : undefined);
  const runtime = dataDir === undefined ? undefined : readRuntime(dataDir);
  const serves = runtime !== undefined && new URL(runtime.url).protocol === endpoint.protocol && new URL(runtime.url).port === endpoint.port;
  if (!runtime || !serves) {
    const looked = dataDir === undefined ? "neither --sandbox-dir nor NODE_EXTRA_CA_CERTS names its data directory" : `${dataDir} holds ${runtime ? `the sandbox at ${runtime.url}` : "no running sandbox (runtime.json)"}`;
    throw new Error(
      `coexist:exchangeUrl ${endpoint.origin} is a sandbox, whose DNS is read from its control API, but ${looked}: ` +
        `export NODE_EXTRA_CA_CERTS as \`coexist sandbox start\` prints it, or pass --sandbox-dir <its data directory>, or give every domain's MX with --mx`,
    );
  }
  const response = await controlRequest(runtime, "GET", "/sandbox/dns");
  if (response.status !== 200) throw new Error(`the sandbox at ${runtime.url} answered ${response.status} to GET /sandbox/dns; is it running? (coexist sandbox status)`);
  return (response.body as { mx: Record<string, string[]> }).mx;
}
