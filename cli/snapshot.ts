/**
 * `coexist snapshot`: both live tenants, read-only, into one seed file that the sandbox loads
 * (`coexist sandbox start --seed <file>`), so that a migration is rehearsed on the admin's own
 * users, aliases, groups, domains, licences, connectors and rules before it touches production.
 *
 * The reads are cli/liveState.ts's (the same clients, configuration and scope refusals) plus
 * Graph's domains, subscribed SKUs and users with their licences. The file holds no secret: no app
 * (the sandbox makes one for its data directory), no password, token or key; it is checked against
 * every credential the command knows before it is written. It is deterministic: keys and lists
 * sorted, no timestamp, no generated id, so an unchanged tenant gives the same bytes again.
 */
import { writeFileSync } from "node:fs";
import type { ExchangeObject } from "../provider/clients/exchange";
import { listAll, type Domain, type GraphUser, type SubscribedSku } from "../provider/clients/graph";
import {
  DIRECTORY_DOMAIN_SCOPES,
  DIRECTORY_GROUP_SCOPES,
  DIRECTORY_SCOPES,
  GMAIL_SCOPES,
  POLICY_SCOPES,
  type DirectoryDomain,
  type DirectoryGroup,
  type DirectoryMember,
  type DirectoryUser,
} from "../provider/clients/google";
import { currentConfig } from "../provider/config";
import { normalizeAddress } from "../provider/routing/addresses";
import type { GoogleDeliverySetting, TenantState } from "../provider/routing/types";
import type { DomainSeed, EntraUserSeed, ExchangeSeed, GoogleSeed, GoogleUserSeed, MicrosoftTenantSeed, SkuSeed } from "pulumi-mail-coexistence-sandbox/seed";
import type { GoogleMemberRecord } from "pulumi-mail-coexistence-sandbox/records";
import { readLiveState, realApis, type LiveStateOptions, type TenantApis } from "./liveState";
import { DEFAULT_SALT, pseudonymizeSnapshot } from "./pseudonymize";
import type { SnapshotSeed } from "./snapshotSeed";
import { argsOrUsage, UsageError } from "./usage";

export type { SnapshotSeed } from "./snapshotSeed";

export const SNAPSHOT_HELP = `coexist snapshot — both live tenants, read-only, into one sandbox seed file

Usage:
  coexist snapshot [--out <file>] [--pseudonymize [--salt <text>]] [--sandbox-dir <dir>] [--mx <domain>=<host>]…

Reads, through the same settings as the resources (COEXIST_* / coexist:*), read-only:
  Microsoft 365   domains, accepted domains, outbound connectors, transport rules, mail users,
                  mailboxes (with forwarding), mail contacts, distribution groups with members,
                  SKUs with the seats left, the licences of the users behind mail users and mailboxes
  Google          users with aliases, suspension and Gmail auto-forwarding, groups with aliases and
                  members, domains and alias domains; the MX records of every domain
and writes one seed file (default: standard output) that the sandbox loads:
  coexist sandbox start --seed <file> --strict      then: coexist rehearse --seed <file>

The file holds no secret (no app, password, token or key: the sandbox makes its own app when it
loads the file) and nothing that changes between runs: an unchanged tenant gives the same bytes.
Progress (counts per collection) goes to standard error.

Options:
  --out <file>          where to write (default standard output)
  --pseudonymize        replace every name and local part by a pseudonym (HMAC-SHA256), the same
                        input by the same pseudonym across the file; domains and structure stay
  --salt <text>         the pseudonyms' key (default $COEXIST_SNAPSHOT_SALT, else a fixed one,
                        which anyone can use to test guessed names: give your own to share a file)
  --mx <domain>=<host>[,<host>]   MX hosts of a domain, best first (repeatable)
  --sandbox-dir <dir>   the data directory of the sandbox the endpoints point at (its DNS)

Needs (read-only): Graph Domain.Read.All, User.Read.All, LicenseAssignment.Read.All; Exchange
View-Only Recipients and View-Only Configuration; Google admin.directory.user.readonly,
admin.directory.group.readonly, admin.directory.domain.readonly, gmail.settings.basic.
Exit code: 0 written, 1 it would hold a credential (nothing written), 2 usage error, 3 a tenant
could not be read (a missing scope is named).
`;


/** What a snapshot reads: liveState's calls and Graph's. */
export interface SnapshotApis extends TenantApis {
  graphDomains(): Promise<Domain[]>;
  graphUsers(): Promise<GraphUser[]>;
  skus(): Promise<(SubscribedSku & { servicePlans?: SkuSeed["servicePlans"] })[]>;
}

export interface SnapshotIo {
  out(text: string): void;
  err(text: string): void;
  apis?: SnapshotApis;
}

const defaultIo: SnapshotIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };


interface SnapshotArgs {
  out?: string;
  salt?: string;
  live: LiveStateOptions;
}

export function parseSnapshotArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SnapshotArgs {
  const args: SnapshotArgs = { live: { mx: {} } };
  let pseudonymize = false;
  let salt: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === "--pseudonymize") {
      pseudonymize = true;
      continue;
    }
    const value = argv[++index];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    if (flag === "--out") args.out = value;
    else if (flag === "--salt") salt = value;
    else if (flag === "--sandbox-dir") args.live.sandboxDir = value;
    else if (flag === "--mx") {
      const [domain, hosts] = value.split("=");
      if (!domain || !hosts) throw new UsageError(`--mx takes <domain>=<host>[,<host>] (got "${value}")`);
      (args.live.mx as Record<string, string[]>)[normalizeAddress(domain)] = hosts.split(",").filter(Boolean);
    } else throw new UsageError(`unknown argument ${flag}`);
  }
  if (salt !== undefined && !pseudonymize) throw new UsageError("--salt goes with --pseudonymize");
  if (pseudonymize) args.salt = salt ?? env.COEXIST_SNAPSHOT_SALT ?? DEFAULT_SALT;
  return args;
}

/** Exit codes: 0 written, 1 it would hold a credential, 2 usage, 3 a tenant could not be read. */
export async function runSnapshot(argv: string[], io: SnapshotIo = defaultIo): Promise<number> {
  const args = argsOrUsage("snapshot", SNAPSHOT_HELP, () => parseSnapshotArgs(argv), io.err);
  if (args === undefined) return 2;
  let text: string;
  try {
    const snapshot = await takeSnapshot({ ...args.live, apis: io.apis ?? snapshotApis(args.live.sandboxDir) }, (line) => io.err(`snapshot: ${line}\n`));
    text = snapshotText(args.salt === undefined ? snapshot : pseudonymizeSnapshot(snapshot, args.salt));
  } catch (error) {
    io.err(`coexist snapshot: could not read the tenants: ${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  }
  try {
    assertNoSecret(text, knownSecrets());
  } catch (error) {
    io.err(`coexist snapshot: ${(error as Error).message}\n`);
    return 1;
  }
  if (args.out === undefined) io.out(text);
  else {
    writeFileSync(args.out, text);
    io.err(`snapshot: wrote ${args.out}\n`);
  }
  return 0;
}

export function snapshotApis(sandboxDir?: string): SnapshotApis {
  return {
    ...realApis(sandboxDir),
    graphDomains: () => listAll<Domain>("/domains"),
    graphUsers: () => listAll<GraphUser>("/users?$select=id,userPrincipalName,displayName,usageLocation,assignedLicenses"),
    // Without $select: the service plans tell the sandbox which licence brings a mailbox.
    skus: () => listAll("/subscribedSkus"),
  };
}

/** The raw answers a snapshot keeps beside liveState's TenantState (names, licences, roles). */
interface Raw {
  exchange: Map<string, ExchangeObject[]>;
  directoryUsers: DirectoryUser[];
  directoryGroups: DirectoryGroup[];
  members: Map<string, DirectoryMember[]>;
  directoryDomains: DirectoryDomain[];
}

const EXCHANGE_COLLECTIONS: Record<string, string> = {
  "Get-AcceptedDomain": "accepted domains",
  "Get-OutboundConnector": "outbound connectors",
  "Get-TransportRule": "transport rules",
  "Get-Recipient": "Exchange recipients (mail users, mailboxes, contacts)",
  "Get-Mailbox": "mailboxes",
  "Get-DistributionGroup": "distribution groups",
};

/** `apis` that keep what they answered in `raw` and tell `progress` how many of each they read. */
function recording(apis: TenantApis, raw: Raw, progress: (line: string) => void): TenantApis {
  let forwardingRead = 0;
  const counted = <T>(what: string, list: T[]): T[] => (progress(`${list.length} ${what}`), list);
  return {
    ...apis,
    exchange: async (cmdlet, parameters) => {
      const objects = await apis.exchange(cmdlet, parameters);
      const key = cmdlet === "Get-DistributionGroupMember" ? `${cmdlet} ${String(parameters.Identity)}` : cmdlet;
      raw.exchange.set(key, objects);
      return cmdlet === "Get-DistributionGroupMember" ? objects : counted(EXCHANGE_COLLECTIONS[cmdlet] ?? `from ${cmdlet}`, objects);
    },
    directoryUsers: async () => (raw.directoryUsers = counted("Google users", await apis.directoryUsers())),
    directoryGroups: async () => (raw.directoryGroups = counted("Google groups", await apis.directoryGroups())),
    groupMembers: async (group) => {
      const members = await apis.groupMembers(group);
      raw.members.set(normalizeAddress(group), members);
      return members;
    },
    directoryDomains: async () => (raw.directoryDomains = counted("Google domains", await apis.directoryDomains())),
    autoForwarding: async (user) => {
      const forwarding = await apis.autoForwarding(user);
      if (++forwardingRead % 100 === 0) progress(`Gmail forwarding of ${forwardingRead} users`);
      return forwarding;
    },
  };
}

/** Reads both tenants into a snapshot seed; `progress` gets one line per collection. */
export async function takeSnapshot(options: LiveStateOptions & { apis: SnapshotApis }, progress: (line: string) => void): Promise<SnapshotSeed> {
  const raw: Raw = { exchange: new Map(), directoryUsers: [], directoryGroups: [], members: new Map(), directoryDomains: [] };
  const { apis } = options;
  const [state, domains, users, skus] = await Promise.all([
    readLiveState({ ...options, apis: recording(apis, raw, progress) }),
    apis.graphDomains(),
    apis.graphUsers(),
    apis.skus(),
  ]);
  progress(`${domains.length} Microsoft 365 domains, ${skus.length} SKUs, ${users.length} Entra users`);
  const snapshot = snapshotOf(state, raw, { domains, users, skus }, currentConfig());
  return snapshot;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");
const address = (value: unknown): string => normalizeAddress(text(value).replace(/^smtp:/i, ""));
const byKey = <T>(key: (item: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const sorted = (list: string[]): string[] => [...new Set(list)].sort();

/** The seed of `state` and the raw answers: pure, sorted, without ids the services made up. */
export function snapshotOf(
  state: TenantState,
  raw: Raw,
  graph: { domains: Domain[]; users: GraphUser[]; skus: (SubscribedSku & { servicePlans?: SkuSeed["servicePlans"] })[] },
  config: { tenantId?: string; googleAdmin?: string } = {},
): SnapshotSeed {
  if (!config.tenantId) throw new Error("coexist:tenantId (COEXIST_TENANT_ID) is not set: the snapshot names the Microsoft 365 tenant it read");
  const initial = graph.domains.find((domain) => domain.isInitial) ?? graph.domains.find((domain) => domain.id.endsWith(".onmicrosoft.com"));
  if (!initial) throw new Error("Graph lists no initial (*.onmicrosoft.com) domain; is coexist:tenantId the right tenant?");
  const upnOfObject = new Map(graph.users.map((user) => [user.id, normalizeAddress(text(user.userPrincipalName))]));
  const exchange = exchangeOf(state, raw, upnOfObject);
  const upns = new Set(exchange.recipients.flatMap((recipient) => recipient.userPrincipalName ?? []));
  const partNumber = new Map(graph.skus.map((sku) => [sku.skuId, sku.skuPartNumber]));
  const entraUsers = graph.users
    .filter((user) => upns.has(normalizeAddress(text(user.userPrincipalName))))
    .map(
      (user): EntraUserSeed => ({
        userPrincipalName: normalizeAddress(text(user.userPrincipalName)),
        displayName: text(user.displayName),
        ...(user.usageLocation ? { usageLocation: user.usageLocation } : {}),
        licenses: sorted((user.assignedLicenses ?? []).flatMap((licence) => partNumber.get(licence.skuId) ?? [])),
      }),
    )
    .sort(byKey((user) => user.userPrincipalName));
  const held = (skuPart: string): number => entraUsers.filter((user) => user.licenses?.includes(skuPart)).length;
  const skus: SkuSeed[] = graph.skus
    .map((sku) => ({
      skuId: sku.skuId.toLowerCase(),
      skuPartNumber: sku.skuPartNumber,
      // The seats left stay what they are: the users the snapshot holds, plus what nobody holds yet.
      seats: held(sku.skuPartNumber) + Math.max(0, (sku.prepaidUnits?.enabled ?? 0) - (sku.consumedUnits ?? 0)),
      servicePlans: [...(sku.servicePlans ?? [])].map(({ servicePlanId, servicePlanName }) => ({ servicePlanId, servicePlanName })).sort(byKey((plan) => plan.servicePlanName)),
    }))
    .sort(byKey((sku) => sku.skuPartNumber));
  const domains: DomainSeed[] = graph.domains
    .filter((domain) => domain !== initial)
    .map((domain) => ({ name: domain.id.toLowerCase(), isVerified: domain.isVerified, supportedServices: sorted(domain.supportedServices ?? []), isDefault: domain.isDefault === true }))
    .sort(byKey((domain) => domain.name));
  const tenant: Omit<MicrosoftTenantSeed, "apps"> = {
    tenantId: config.tenantId.toLowerCase(),
    initialDomain: initial.id.toLowerCase(),
    domains,
    acceptedDomainTypes: Object.fromEntries(state.exchange.acceptedDomains.map((domain) => [domain.domainName, domain.domainType])),
    skus,
    users: entraUsers,
    exchange,
  };
  return { microsoft: [tenant], google: googleOf(state, raw, config.googleAdmin), dns: { mx: state.dns.mx, txt: {} } };
}

/** `upnOfObject`: Entra users' UPNs by object id (a recipient's ExternalDirectoryObjectId). */
function exchangeOf(state: TenantState, raw: Raw, upnOfObject: Map<string, string>): ExchangeSeed {
  const rawOf = (cmdlets: string[]) => new Map(cmdlets.flatMap((cmdlet) => raw.exchange.get(cmdlet) ?? []).map((object) => [address(object.PrimarySmtpAddress), object]));
  const recipientsRaw = rawOf(["Get-Recipient"]);
  const mailboxesRaw = rawOf(["Get-Mailbox"]);
  const groupsRaw = rawOf(["Get-DistributionGroup"]);
  const known = new Set([...state.exchange.recipients.map((recipient) => recipient.primarySmtpAddress), ...(state.exchange.distributionGroups ?? []).map((group) => group.primarySmtpAddress)]);
  const others = (primary: string, all: string[]): string[] => sorted(all.filter((entry) => entry !== primary));
  const recipients = state.exchange.recipients.map((recipient) => {
    const object = recipientsRaw.get(recipient.primarySmtpAddress) ?? {};
    const mailbox = mailboxesRaw.get(recipient.primarySmtpAddress) ?? {};
    const upn = upnOfObject.get(text(object.ExternalDirectoryObjectId)) ?? address(object.UserPrincipalName ?? mailbox.UserPrincipalName ?? object.WindowsLiveID ?? object.MicrosoftOnlineServicesID);
    return {
      type: recipient.recipientTypeDetails,
      name: text(object.Name) || recipient.primarySmtpAddress,
      displayName: text(object.DisplayName) || text(object.Name),
      ...(text(object.Alias) ? { alias: text(object.Alias) } : {}),
      ...(recipient.recipientTypeDetails !== "MailContact" && upn ? { userPrincipalName: upn } : {}),
      primarySmtpAddress: recipient.primarySmtpAddress,
      emailAddresses: others(recipient.primarySmtpAddress, recipient.emailAddresses),
      ...(recipient.externalEmailAddress ? { externalEmailAddress: recipient.externalEmailAddress } : {}),
      ...(recipient.forwardingSmtpAddress ? { forwardingSmtpAddress: recipient.forwardingSmtpAddress } : {}),
    };
  });
  return {
    outboundConnectors: state.exchange.outboundConnectors.map((connector) => ({ ...connector, recipientDomains: sorted(connector.recipientDomains), smartHosts: sorted(connector.smartHosts) })).sort(byKey((connector) => connector.name)),
    // In the order the service lists them, which is their priority.
    transportRules: state.exchange.transportRules.map((rule) => ({ ...rule, sentTo: sorted(rule.sentTo) })),
    recipients: recipients.sort(byKey((recipient) => recipient.primarySmtpAddress)),
    distributionGroups: (state.exchange.distributionGroups ?? [])
      .map((group) => {
        const object = groupsRaw.get(group.primarySmtpAddress) ?? {};
        return {
          name: text(object.Name) || group.primarySmtpAddress,
          displayName: text(object.DisplayName) || text(object.Name),
          ...(text(object.Alias) ? { alias: text(object.Alias) } : {}),
          primarySmtpAddress: group.primarySmtpAddress,
          emailAddresses: others(group.primarySmtpAddress, group.emailAddresses),
          // Members the snapshot does not read (shared mailboxes, Microsoft 365 groups) are left out.
          members: sorted(group.members.filter((member) => known.has(member))),
          requireSenderAuthenticationEnabled: group.requireSenderAuthenticationEnabled !== false,
        };
      })
      .sort(byKey((group) => group.primarySmtpAddress)),
  };
}

/** The sandbox's service account: the scopes every command and resource of the project uses (no key: the sandbox makes one). */
const SANDBOX_SERVICE_ACCOUNT: GoogleSeed["serviceAccount"] = {
  clientEmail: "coexist@coexist-sandbox.iam.gserviceaccount.com",
  clientId: "109876543210987654321",
  scopes: sorted([...GMAIL_SCOPES, ...DIRECTORY_SCOPES, ...DIRECTORY_GROUP_SCOPES, ...DIRECTORY_DOMAIN_SCOPES, "https://www.googleapis.com/auth/admin.directory.group.member.readonly", ...POLICY_SCOPES]),
};

const DELIVERY_SETTINGS: readonly GoogleDeliverySetting[] = ["ALL_MAIL", "DAILY", "DIGEST", "DISABLED", "NONE"];

function googleOf(state: TenantState, raw: Raw, configuredAdmin: string | undefined): SnapshotSeed["google"] {
  const forwardingOf = new Map(state.google.users.map((user) => [normalizeAddress(user.primaryEmail), user.autoForwarding]));
  const users = raw.directoryUsers
    .map((user): GoogleUserSeed => {
      const primaryEmail = normalizeAddress(text(user.primaryEmail));
      const organizations = (user.organizations ?? []) as { department?: string; primary?: boolean }[];
      const department = (organizations.find((entry) => entry.primary) ?? organizations[0])?.department?.trim();
      const forwarding = forwardingOf.get(primaryEmail);
      return {
        primaryEmail,
        givenName: user.name?.givenName ?? "",
        familyName: user.name?.familyName ?? "",
        ...(department ? { department } : {}),
        ...(user.suspended ? { status: "suspended" as const } : {}),
        aliases: sorted((user.aliases ?? []).map(normalizeAddress)),
        ...(forwarding?.enabled ? { autoForwarding: { emailAddress: forwarding.emailAddress, disposition: forwarding.disposition } } : {}),
      };
    })
    .sort(byKey((user) => user.primaryEmail));
  const admins = sorted(raw.directoryUsers.filter((user) => user.isAdmin).map((user) => normalizeAddress(text(user.primaryEmail))));
  const admin = configuredAdmin === undefined ? undefined : normalizeAddress(configuredAdmin);
  const groups = raw.directoryGroups
    .map((group) => {
      const email = normalizeAddress(text(group.email));
      const members = (raw.members.get(email) ?? []).map(
        (member): GoogleMemberRecord => ({
          ...(member.email ? { email: normalizeAddress(member.email) } : {}),
          // The Directory reports members outside the Workspace as USER; EXTERNAL is documented only.
          type: member.type === "GROUP" || member.type === "CUSTOMER" ? member.type : "USER",
          role: member.role === "OWNER" || member.role === "MANAGER" ? member.role : "MEMBER",
          deliverySettings: DELIVERY_SETTINGS.find((setting) => setting === member.delivery_settings) ?? "ALL_MAIL",
        }),
      );
      return { email, name: text(group.name), description: text(group.description), aliases: sorted((group.aliases ?? []).map(normalizeAddress)), members: members.sort(byKey((member) => member.email ?? "")) };
    })
    .sort(byKey((group) => group.email));
  return {
    customerId: text(raw.directoryUsers[0]?.customerId) || "C0snapshot",
    domains: raw.directoryDomains
      .flatMap((domain) => [
        { domainName: normalizeAddress(text(domain.domainName)), ...(domain.isPrimary ? { isPrimary: true } : {}) },
        ...(domain.domainAliases ?? []).map((alias) => ({ domainName: normalizeAddress(text(alias.domainAliasName)), aliasOf: normalizeAddress(text(domain.domainName)) })),
      ])
      .sort(byKey((domain) => domain.domainName)),
    // The sandbox impersonates its first admin: the one the settings name, when it is one.
    admins: admin !== undefined && admins.includes(admin) ? [admin, ...admins.filter((entry) => entry !== admin)] : admins,
    serviceAccount: SANDBOX_SERVICE_ACCOUNT,
    users,
    groups,
    policy: { autoForwardingAllowed: true },
  };
}

/** JSON with every object's keys sorted and undefined left out, two-space indented, one trailing newline. */
export function snapshotText(snapshot: SnapshotSeed): string {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => [key, sortKeys(entry)]),
    );
  };
  return `${JSON.stringify(sortKeys(snapshot), null, 2)}\n`;
}

/** The credentials the settings hold: none may be in a snapshot. */
function knownSecrets(): string[] {
  const config = currentConfig();
  const googleKey = (() => {
    try {
      return config.googleCredentials ? text((JSON.parse(config.googleCredentials) as { private_key?: unknown }).private_key) : "";
    } catch {
      return "";
    }
  })();
  return [config.clientSecret, config.accessToken, googleKey].filter((secret): secret is string => typeof secret === "string" && secret.length >= 8);
}

/** Throws when `text` holds one of `secrets`, or a field named like a credential. */
export function assertNoSecret(text: string, secrets: string[]): void {
  if (secrets.some((secret) => text.includes(secret))) throw new Error("the snapshot would hold a credential of the settings; nothing was written");
  const field = /"(clientSecret|password|passwordProfile|privateKey|private_key|accessToken|access_token|refreshToken|certificate)"\s*:/i.exec(text);
  if (field) throw new Error(`the snapshot would hold a field ${field[1]}; nothing was written`);
}
