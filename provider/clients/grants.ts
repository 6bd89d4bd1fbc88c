/**
 * Which grant each call of the product needs, and which resource makes which calls: the one table
 * that `coexist doctor` checks, the docs print (README, docs/security.md, docs/clients.md) and
 * error messages quote. Pure data. Where each requirement comes from is in sandbox/README.md,
 * "Permissions and roles" (the endpoints' permission tables), which the sandbox enforces.
 */

/** Graph application permissions and Exchange's are app roles in a token's `roles`; directory roles are the service principal's (`wids`); Google scopes are granted to the delegation client. */
export type GrantKind = "graphPermission" | "exchangePermission" | "directoryRole" | "googleScope";

/** Whom a Google token acts for. */
export type GoogleSubject = "mailbox owner" | "coexist:googleAdmin";

export interface Requirement {
  kind: GrantKind;
  /**
   * The ways to satisfy it, least privileged first; an option is met when every grant in it is
   * held. Google has no alternatives: the token request names its scopes, and each of them must
   * be delegated.
   */
  anyOf: readonly (readonly string[])[];
  subject?: GoogleSubject;
}

export interface Operation {
  /** The calls, as the API names them. */
  calls: string;
  needs: readonly Requirement[];
}

const graph = (...anyOf: (string | string[])[]): Requirement => ({ kind: "graphPermission", anyOf: anyOf.map((option) => [option].flat()) });
const roles = (...anyOf: string[]): Requirement => ({ kind: "directoryRole", anyOf: anyOf.map((role) => [role]) });
const scope = (name: string, subject: GoogleSubject): Requirement => ({ kind: "googleScope", anyOf: [[`https://www.googleapis.com/auth/${name}`]], subject });
const MANAGE_AS_APP: Requirement = { kind: "exchangePermission", anyOf: [["Exchange.ManageAsApp"]] };

export const OPERATIONS = {
  readDomain: { calls: "Graph GET /domains/{id}, its verificationDnsRecords and serviceConfigurationRecords", needs: [graph("Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All")] },
  writeDomain: { calls: "Graph POST /domains, POST /domains/{id}/verify, PATCH and DELETE /domains/{id}", needs: [graph("Domain.ReadWrite.All")] },
  readUser: { calls: "Graph GET /users/{id}", needs: [graph("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")] },
  setUsageLocation: { calls: "Graph PATCH /users/{id} {usageLocation}", needs: [graph("User.ReadUpdate.All", "User.ReadWrite.All", "Directory.ReadWrite.All")] },
  setAccountEnabled: {
    calls: "Graph PATCH /users/{id} {accountEnabled}",
    needs: [graph(["User.EnableDisableAccount.All", "User.Read.All"], "User.ReadWrite.All", "Directory.ReadWrite.All")],
  },
  setPassword: {
    calls: "Graph PATCH /users/{id} {passwordProfile}",
    needs: [graph("User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"), roles("User Administrator", "Privileged Authentication Administrator", "Global Administrator")],
  },
  assignLicense: { calls: "Graph POST /users/{id}/assignLicense", needs: [graph("LicenseAssignment.ReadWrite.All", "Directory.ReadWrite.All", "User.ReadWrite.All")] },
  listSubscribedSkus: {
    calls: "Graph GET /subscribedSkus",
    needs: [graph("LicenseAssignment.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", "Organization.Read.All", "Organization.ReadWrite.All")],
  },
  readRoleAssignments: {
    calls: "Graph GET /roleManagement/directory/roleAssignments",
    needs: [graph("RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All")],
  },
  exchangeOrganization: {
    calls: "Exchange Get-/Set-AcceptedDomain, Get-/New-/Set-/Validate-/Remove-OutboundConnector, Get-/New-/Set-/Enable-/Disable-/Remove-TransportRule",
    needs: [MANAGE_AS_APP, roles("Exchange Administrator", "Global Administrator")],
  },
  exchangeRecipients: {
    calls: "Exchange Get-Recipient, Get-AcceptedDomain, Get-/New-/Set-/Remove-MailUser, Set-Mailbox",
    needs: [MANAGE_AS_APP, roles("Exchange Recipient Administrator", "Exchange Administrator", "Global Administrator")],
  },
  exchangeGroupsAndContacts: {
    calls:
      "Exchange Get-Recipient, Get-AcceptedDomain, Get-/New-/Set-/Remove-DistributionGroup, Get-/Update-DistributionGroupMember, Get-/New-/Set-/Remove-MailContact",
    needs: [MANAGE_AS_APP, roles("Exchange Recipient Administrator", "Exchange Administrator", "Global Administrator")],
  },
  gmailSettings: {
    calls: "Gmail forwardingAddresses and autoForwarding (every Gmail call asks for both scopes in one token)",
    needs: [scope("gmail.settings.basic", "mailbox owner"), scope("gmail.settings.sharing", "mailbox owner")],
  },
  readDirectoryUser: { calls: "Directory users.get, users.list", needs: [scope("admin.directory.user.readonly", "coexist:googleAdmin")] },
  readDirectoryGroups: { calls: "Directory groups.list, members.list", needs: [scope("admin.directory.group.readonly", "coexist:googleAdmin")] },
  readDirectoryDomains: { calls: "Directory domains.list (with the domain aliases)", needs: [scope("admin.directory.domain.readonly", "coexist:googleAdmin")] },
  readGmailPolicy: { calls: "Cloud Identity policies.list (settings/gmail.auto_forwarding), as a super administrator", needs: [scope("cloud-identity.policies.readonly", "coexist:googleAdmin")] },
} as const satisfies Record<string, Operation>;

export type OperationId = keyof typeof OPERATIONS;

/** Who makes the calls: a resource, or a command of the CLI. */
export type Consumer =
  | "RoutingDomain"
  | "OutboundConnector"
  | "AcceptedDomain"
  | "MailUser"
  | "LicenseAssignment"
  | "GoogleForwardingRoute"
  | "TransportRule"
  | "DistributionGroup"
  | "MailContact"
  | "coexist doctor"
  | "coexist trace"
  | "coexist inventory";

export interface Use {
  operation: OperationId;
  /** What the consumer does with it, as an admin reads it. */
  purpose: string;
}

/** Each consumer's calls and why. The set forms (MailUserSet, …) make the calls of their per-user resource. */
export const USES: Readonly<Record<Consumer, readonly Use[]>> = {
  RoutingDomain: [
    { operation: "writeDomain", purpose: "create, verify, enable Email, delete the routing domain" },
    { operation: "readDomain", purpose: "read the routing domain and its DNS records" },
    { operation: "exchangeRecipients", purpose: "wait for the accepted domain; refuse to delete a domain still in use (Get-Recipient)" },
  ],
  OutboundConnector: [{ operation: "exchangeOrganization", purpose: "create, validate, update and remove the connector to Google" }],
  AcceptedDomain: [
    { operation: "readDomain", purpose: "check the primary domain is verified with Email" },
    { operation: "exchangeOrganization", purpose: "switch the primary domain to Internal Relay and back" },
  ],
  MailUser: [
    { operation: "exchangeRecipients", purpose: "create, update and remove the mail users" },
    { operation: "readUser", purpose: "wait for the Entra user behind a new mail user" },
    { operation: "setAccountEnabled", purpose: "block sign-in until the user's batch migrates" },
    { operation: "setPassword", purpose: "set the password of an adopted user or when it changes" },
    { operation: "gmailSettings", purpose: "before removing a mail user, check Gmail no longer forwards to it" },
    { operation: "readDirectoryUser", purpose: "step past a departed (suspended or deleted) Google user at teardown" },
  ],
  LicenseAssignment: [
    { operation: "listSubscribedSkus", purpose: "resolve the licence's SKU" },
    { operation: "readUser", purpose: "read the user's licences and usage location" },
    { operation: "setUsageLocation", purpose: "set the usage location a licence needs" },
    { operation: "assignLicense", purpose: "assign the licence (and remove it on rollback)" },
    { operation: "exchangeRecipients", purpose: "wait for the mailbox (Get-Recipient)" },
  ],
  GoogleForwardingRoute: [
    { operation: "gmailSettings", purpose: "add the forwarding address and switch forwarding on and off" },
    { operation: "exchangeRecipients", purpose: "refuse to forward to anything but a mailbox (Get-Recipient)" },
    { operation: "readDirectoryUser", purpose: "step past a departed (suspended or deleted) Google user at teardown" },
  ],
  TransportRule: [{ operation: "exchangeOrganization", purpose: "create, update, enable, disable and remove the rule" }],
  DistributionGroup: [{ operation: "exchangeGroupsAndContacts", purpose: "create, update (members, addresses) and remove a migrated Google group; replace this stack's mail contact when the group's plan changes" }],
  MailContact: [{ operation: "exchangeGroupsAndContacts", purpose: "create, update and remove the route to a group kept at Google (or an outside member); replace this stack's distribution group when the plan changes" }],
  "coexist doctor": [
    { operation: "readRoleAssignments", purpose: "read the directory roles assigned to the app (otherwise judged from the token's wids claim alone)" },
    { operation: "readGmailPolicy", purpose: "read whether the Admin console allows automatic forwarding" },
    { operation: "readDirectoryUser", purpose: "find an active Google user to try delegation with" },
  ],
  "coexist trace": [
    { operation: "exchangeRecipients", purpose: "read recipients and accepted domains" },
    { operation: "exchangeOrganization", purpose: "read connectors and transport rules" },
    { operation: "exchangeGroupsAndContacts", purpose: "read distribution groups, their members and mail contacts" },
    { operation: "readDirectoryUser", purpose: "read Google users" },
    { operation: "readDirectoryGroups", purpose: "read Google groups and their members" },
    { operation: "readDirectoryDomains", purpose: "read the Google domains and domain aliases" },
    { operation: "gmailSettings", purpose: "read each user's forwarding" },
  ],
  "coexist inventory": [
    { operation: "readDirectoryUser", purpose: "read the users, their aliases and alias-domain addresses" },
    { operation: "readDirectoryGroups", purpose: "read the groups, their aliases and members" },
    { operation: "readDirectoryDomains", purpose: "read the primary, secondary and alias domains" },
  ],
};

/**
 * Built-in Entra role template ids, the same in every tenant (learn.microsoft.com, "Microsoft Entra
 * built-in roles"): `wids` claims and role assignments name roles by these.
 */
export const DIRECTORY_ROLE_TEMPLATE_IDS: Readonly<Record<string, string>> = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
  "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
  "Exchange Recipient Administrator": "31392ffb-586c-42d1-9346-e59415a2cc4e",
};

/** The app ids of the APIs whose app roles the permissions are (`az ad app permission add --api`). */
export const PERMISSION_API_APP_IDS: Readonly<Record<"graphPermission" | "exchangePermission", string>> = {
  graphPermission: "00000003-0000-0000-c000-000000000000",
  exchangePermission: "00000002-0000-0ff1-ce00-000000000000",
};

/** One requirement as the consumers that need it make it. */
export interface NeededRequirement extends Requirement {
  /** "MailUser: block sign-in until the user's batch migrates (Graph PATCH /users/{id} {accountEnabled})". */
  neededFor: string[];
}

/** The requirements of some consumers, one per distinct requirement, each naming what needs it. */
export function requirementsOf(consumers: readonly Consumer[]): NeededRequirement[] {
  const found = new Map<string, NeededRequirement>();
  for (const consumer of consumers) {
    for (const use of USES[consumer]) {
      const operation: Operation = OPERATIONS[use.operation];
      for (const requirement of operation.needs) {
        const key = requirementKey(requirement);
        const entry = found.get(key) ?? { ...requirement, neededFor: [] };
        entry.neededFor.push(`${consumer}: ${use.purpose} (${operation.calls})`);
        found.set(key, entry);
      }
    }
  }
  return [...found.values()];
}

/** Requirements are equal when kind, subject and options are. */
export function requirementKey(requirement: Requirement): string {
  return JSON.stringify([requirement.kind, requirement.subject ?? "", requirement.anyOf]);
}

/** Whether `held` meets the requirement: every grant of one option. */
export function isMet(requirement: Pick<Requirement, "anyOf">, held: ReadonlySet<string>): boolean {
  return requirement.anyOf.some((option) => option.every((grant) => held.has(grant)));
}

/**
 * Whether meeting `stronger` always meets `weaker` (every option of `stronger` contains an option
 * of `weaker`): a row for `weaker` would then only repeat `stronger`'s.
 */
export function implies(stronger: Requirement, weaker: Requirement): boolean {
  if (stronger.kind !== weaker.kind || stronger.subject !== weaker.subject) return false;
  return stronger.anyOf.every((option) => weaker.anyOf.some((candidate) => candidate.every((grant) => option.includes(grant))));
}

/**
 * The requirements without those another one covers (a stronger requirement whose every option
 * meets the weaker one), whose uses move to the one that covers them; `mayCover` limits which may
 * cover which (the doctor: only one needed at least as soon).
 */
export function withoutCovered<T extends NeededRequirement>(requirements: readonly T[], mayCover: (stronger: T, weaker: T) => boolean = () => true): T[] {
  const covers = (stronger: T, weaker: T): boolean => stronger !== weaker && mayCover(stronger, weaker) && implies(stronger, weaker) && !implies(weaker, stronger);
  const kept = requirements.filter((requirement) => !requirements.some((other) => covers(other, requirement)));
  for (const covered of requirements.filter((requirement) => !kept.includes(requirement))) {
    const stronger = kept.find((other) => covers(other, covered)) as T;
    stronger.neededFor.push(...covered.neededFor.filter((use) => !stronger.neededFor.includes(use)));
  }
  return kept;
}

/** The least-privileged grants of the requirements: the first option of each. */
export function leastPrivileged(requirements: readonly Requirement[]): string[] {
  return [...new Set(requirements.flatMap((requirement) => requirement.anyOf[0]))];
}

/** The other options of a requirement: the higher-privileged grants that would also do. */
export function alternativesTo(requirement: Requirement): string[] {
  return requirement.anyOf.slice(1).map((option) => option.join(" + "));
}

/** Every resource of the product, and the doctor: what the docs and the sandbox's demo app hold. */
export const PRODUCT: readonly Consumer[] = [
  "RoutingDomain",
  "OutboundConnector",
  "AcceptedDomain",
  "MailUser",
  "LicenseAssignment",
  "GoogleForwardingRoute",
  "DistributionGroup",
  "MailContact",
  "coexist doctor",
];

/** The least-privileged grants of one kind that the whole product needs. */
export function productGrants(kind: GrantKind): string[] {
  return leastPrivileged(withoutCovered(requirementsOf(PRODUCT)).filter((requirement) => requirement.kind === kind));
}
