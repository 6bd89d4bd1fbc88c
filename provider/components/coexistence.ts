import type * as pulumi from "@pulumi/pulumi";
import { all, secret } from "@pulumi/pulumi/output";
import { ComponentResource, rootStackResource } from "@pulumi/pulumi/resource";
import { AcceptedDomain } from "../resources/acceptedDomain";
import { DistributionGroup } from "../resources/distributionGroup";
import { DistributionGroupSet, type DistributionGroupSetItem } from "../resources/distributionGroupSet";
import { GoogleForwardingRoute } from "../resources/googleForwardingRoute";
import { GoogleForwardingRouteSet, type GoogleForwardingRouteSetItem } from "../resources/googleForwardingRouteSet";
import { DEFAULT_CONVERSION_TIMEOUT_SECONDS, LicenseAssignment } from "../resources/licenseAssignment";
import { LicenseAssignmentSet, type LicenseAssignmentSetItem } from "../resources/licenseAssignmentSet";
import { MailContact } from "../resources/mailContact";
import { MailUser } from "../resources/mailUser";
import { MailUserSet, type MailUserSetItem } from "../resources/mailUserSet";
import { OutboundConnector } from "../resources/outboundConnector";
import { RoutingDomain } from "../resources/routingDomain";
import { microsoftMxHost } from "../routing/addresses";
import {
  anyUserAtGoogle,
  BatchState,
  type BatchGroup,
  CoexistenceScope,
  coexistenceSpf,
  Granularity,
  groupByBatch,
  groupProblems,
  aliasDomainProblems,
  Phase,
  planGroups,
  planDomain,
  planProblems,
  planScope,
  planUser,
  type GroupsPlan,
  type MigratedGroupPlan,
  type UserPlan,
} from "./plan";
import type { MigrationGroup } from "./groupsCsv";
import type { MigrationUser } from "./usersCsv";

export interface CoexistenceArgs {
  /** The mail domain being migrated, e.g. `contoso.com`. */
  readonly primaryDomain: string;
  /** The Microsoft 365 routing subdomain Google forwards to, e.g. `o365.contoso.com`. */
  readonly routingDomain: string;
  /**
   * Google's MX hosts, the smart hosts of the connector to Google.
   * @default ["smtp.google.com"] (the OutboundConnector default)
   */
  readonly smartHosts?: string[];
  /** The licence that turns a mail user into a mailbox: a skuPartNumber (e.g. `EXCHANGESTANDARD`) or skuId. */
  readonly licenseSku: string;
  /**
   * Usage location (ISO country) for users whose CSV row has none; licences need one.
   * @default "US"
   */
  readonly usageLocation?: string;
  /**
   * One initial password for every mail user, for admins who hand out their own (a secret). Users
   * must change it at their first sign-in, and cannot sign in before their batch is migrating.
   * @default unset: every mail user gets its own generated password (the `initialPasswords` output)
   */
  readonly mailUserPassword?: pulumi.Input<string>;
  /** The users, usually `parseUsersCsv(...)` of the migration CSV. */
  readonly users: MigrationUser[];
  /**
   * State per batch: `google` → `migrating` (licensed, data copying) → `migrated` (Google forwards).
   * @default every batch "google"
   */
  readonly batches?: Record<string, BatchState>;
  /**
   * `coexistence` → `cutover` (MX at Microsoft 365) → `decommissioned` (coexistence objects removed).
   * @default "coexistence"
   */
  readonly phase?: Phase;
  /**
   * Name of the outbound connector to Google.
   * @default "Google Workspace coexistence"
   */
  readonly connectorName?: string;
  /**
   * Take over objects that already exist instead of failing (see each resource's `adopt`).
   * @default false
   */
  readonly adopt?: boolean;
  /**
   * The part of the set-up this stack holds, for a tenant split into several stacks
   * (docs/benchmark.md, "10,000 users: one stack per batch"): `"tenant"` only the tenant-wide
   * objects (routing domain, connector, accepted domain); `{ batch }` only that batch's mail users,
   * licences and forwarding routes, without the tenant-wide objects, so the tenant stack must be
   * applied before the batch stacks (and destroyed after them). Every scope takes the whole CSV and
   * every batch state: the plan is checked, and the tenant-wide objects are planned, over all users.
   * Resource names are the same in every scope, so resources can move between stacks.
   * @default "all"
   */
  readonly scope?: CoexistenceScope;
  /**
   * `"user"`: one MailUser, LicenseAssignment and GoogleForwardingRoute per user (`mail-user-<email>`,
   * `licence-<email>`, `forward-<email>`). `"batch"`: per batch of the CSV at most one MailUserSet,
   * LicenseAssignmentSet and GoogleForwardingRouteSet (`mail-users-<batch>`, `licences-<batch>`,
   * `forwards-<batch>`) holding the same users, so a stack of thousands of users stays a few
   * resources per batch (docs/ARCHITECTURE.md, "Granularity: per user or per batch").
   * @default "user"
   */
  readonly granularity?: Granularity;
  /**
   * The Google groups, usually `parseGroupsCsv(...)` of the groups CSV `coexist inventory` writes.
   * Each group's `plan` decides: `migrate` makes it an Exchange DistributionGroup (with granularity
   * `batch`, one DistributionGroupSet for all) with its addresses and members, `keep` leaves it at
   * Google behind a MailContact that sends its mail to its address on `googleRoutingDomain`, and no
   * plan is allowed only until cutover (Internal Relay still sends its mail to Google), which the
   * component refuses, naming the groups. Groups belong to the stack of the tenant-wide objects.
   * @default [] (no group managed)
   */
  readonly groups?: MigrationGroup[];
  /**
   * A Google alias domain whose MX stays at Google while any group is kept there, e.g.
   * `gsuite.contoso.com`; each kept group needs an address on it (Google gives every group one).
   * @default unset: no group may be kept at Google
   */
  readonly googleRoutingDomain?: string;
  /**
   * Google's alias and secondary domains whose addresses move to Microsoft 365 with the primary
   * domain, e.g. `contoso.net`. Each must already be verified in Microsoft 365 with Email (the
   * verification is the admin's, as for the primary domain). Each gets what the primary domain
   * gets: Internal Relay while users are at Google, the connector's recipient domains, Authoritative
   * from cutover, and an MX record to publish at cutover. The users' and groups' addresses on it
   * (their `aliases`) then become proxy addresses. An alias domain left out keeps its MX at Google,
   * and its addresses land in Gmail once forwarding is removed at decommission (docs/groups-and-aliases.md).
   * @default [] (only the primary domain moves)
   */
  readonly aliasDomains?: string[];
}

export interface DnsRecord {
  type: "MX" | "TXT";
  name: string;
  value: string;
  priority?: number;
}

/**
 * The whole coexistence set-up for one domain, from a CSV of users and a state per batch. It
 * creates the right resources for each state and wires `dependsOn` so that every step of an
 * update is safe for mail: the connector exists before the domain relays to it, the domain relays
 * before any user is licensed, a user's mailbox exists (licence assigned, mailbox converted)
 * before Google forwards to it, and — since Pulumi deletes dependents first — forwarding stops
 * before a licence is rolled back and before the relay is torn down.
 */
export class Coexistence extends ComponentResource {
  readonly mailUsers: Record<string, MailUser> = {};
  readonly licenses: Record<string, LicenseAssignment> = {};
  readonly forwardingRoutes: Record<string, GoogleForwardingRoute> = {};
  /** By batch name, with `granularity: "batch"`. */
  readonly mailUserSets: Record<string, MailUserSet> = {};
  readonly licenseSets: Record<string, LicenseAssignmentSet> = {};
  readonly forwardingRouteSets: Record<string, GoogleForwardingRouteSet> = {};
  /** By group address: migrated groups (`granularity: "user"`), kept groups' contacts and outside members' contacts. */
  readonly distributionGroups: Record<string, DistributionGroup> = {};
  readonly mailContacts: Record<string, MailContact> = {};
  /** Every migrated group, with `granularity: "batch"`. */
  readonly distributionGroupSet?: DistributionGroupSet;
  readonly routingDomainResource?: RoutingDomain;
  readonly connector?: OutboundConnector;
  readonly acceptedDomain?: AcceptedDomain;
  /** By domain name: the alias domains' accepted domains, the same type as the primary's. */
  readonly aliasAcceptedDomains: Record<string, AcceptedDomain> = {};
  /** DNS records the admin must publish (routing domain TXT and MX; the primary's and alias domains' MX from cutover). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The SPF record for the primary domain in the current phase. */
  readonly spfRecord: string;
  /**
   * Each mail user's initial password, by Google address (a secret: `pulumi stack output
   * initialPasswords --show-secrets`). Hand each user theirs on the day their batch moves; they
   * must change it at the first sign-in.
   */
  readonly initialPasswords: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: CoexistenceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coexist:index:Coexistence", name, {}, opts);
    const scope = args.scope ?? "all";
    const phase = args.phase ?? "coexistence";
    const batches = args.batches ?? {};
    const input = {
      primaryDomain: args.primaryDomain,
      routingDomain: args.routingDomain,
      licenseSku: args.licenseSku,
      usageLocation: args.usageLocation ?? "US",
      connectorName: args.connectorName ?? "Google Workspace coexistence",
      users: args.users,
      batches,
      phase,
    };
    const groupsInput = { groups: args.groups ?? [], users: args.users, primaryDomain: args.primaryDomain, googleRoutingDomain: args.googleRoutingDomain, phase };
    const aliasDomains = args.aliasDomains ?? [];
    const problems = [...planProblems(input), ...groupProblems(groupsInput), ...aliasDomainProblems(aliasDomains, args)];
    if (problems.length > 0) {
      throw new Error(`Coexistence ${name}: the plan is not safe:\n- ${problems.join("\n- ")}`);
    }
    const adopt = args.adopt ?? false;
    const child = { parent: this };
    const movingDomains = [input.primaryDomain, ...aliasDomains.map((d) => d.trim().toLowerCase())];
    const domain = planDomain(phase, anyUserAtGoogle(args.users, batches));
    const contents = planScope(scope, args.users);
    // `pulumi state move` parents a resource moved without its parent to the destination's root
    // stack: a batch stack split off a single stack finds its resources there (docs/benchmark.md).
    const movedIn: pulumi.CustomResourceOptions = contents.tenantWide ? {} : { aliases: [{ parent: rootStackResource }] };

    if (contents.tenantWide && domain.routingDomain) {
      this.routingDomainResource = new RoutingDomain("routing-domain", { domainName: input.routingDomain, parentDomain: input.primaryDomain, adopt }, child);
    }

    if (contents.tenantWide && domain.connector.present) {
      this.connector = new OutboundConnector(
        "connector",
        {
          name: input.connectorName,
          recipientDomains: movingDomains,
          smartHosts: args.smartHosts,
          enabled: domain.connector.enabled,
          comment: `Mail for ${input.primaryDomain} users still at Google (managed by pulumi-mail-coexistence)`,
          adopt,
        },
        child,
      );
    }
    if (contents.tenantWide && domain.acceptedDomain.present) {
      this.acceptedDomain = new AcceptedDomain(
        "accepted-domain",
        { domainName: input.primaryDomain, domainType: domain.acceptedDomain.domainType, adopt },
        { parent: this, dependsOn: this.connector ? [this.connector] : [] },
      );
      for (const aliasDomain of movingDomains.slice(1)) {
        this.aliasAcceptedDomains[aliasDomain] = new AcceptedDomain(
          `accepted-domain-${aliasDomain}`,
          { domainName: aliasDomain, domainType: domain.acceptedDomain.domainType, adopt },
          { parent: this, dependsOn: this.connector ? [this.connector] : [] },
        );
      }
    }

    const plans = contents.users.map((user) => planUser(user, input));
    const shared: UserResourceContext = {
      password: args.mailUserPassword,
      licenseSku: input.licenseSku,
      usageLocation: input.usageLocation,
      adopt,
      routingDomain: this.routingDomainResource,
      acceptedDomains: [...(this.acceptedDomain ? [this.acceptedDomain] : []), ...Object.values(this.aliasAcceptedDomains)],
      movedIn,
    };
    if ((args.granularity ?? "user") === "batch") {
      this.createBatchSets(plans, shared);
    } else {
      this.createUserResources(plans, shared);
    }

    if (contents.tenantWide && groupsInput.groups.length > 0) {
      const granularity = args.granularity ?? "user";
      this.distributionGroupSet = this.createGroups(planGroups(groupsInput), { adopt, granularity });
    }

    this.initialPasswords = collectInitialPasswords(this.mailUsers, this.mailUserSets);
    this.spfRecord = coexistenceSpf(phase);
    const primaryMx: DnsRecord[] = contents.tenantWide && domain.mxAtMicrosoft
      ? movingDomains.map((name) => ({ type: "MX", name, value: microsoftMxHost(name), priority: 0 }))
      : [];
    const routing = this.routingDomainResource;
    this.dnsRecords = all([routing?.verificationTxtRecord, routing?.mxRecord])
      .apply(([txt, mx]) => [
        ...(txt ? [{ type: "TXT" as const, name: input.routingDomain, value: txt.text }] : []),
        ...(mx ? [{ type: "MX" as const, name: input.routingDomain, value: mx.mailExchange, priority: mx.preference }] : []),
        ...primaryMx,
      ]);
    // The scope is an output too: the policy pack sees a component's outputs, and judges a batch's
    // stack by what it can hold (docs/safety-checks.md).
    this.registerOutputs({ dnsRecords: this.dnsRecords, spfRecord: this.spfRecord, scope, initialPasswords: this.initialPasswords });
  }

  private createUserResources(plans: UserPlan[], context: UserResourceContext): void {
    for (const plan of plans) {
      const key = plan.user.email;
      let mailUser: MailUser | undefined;
      if (plan.mailUser) {
        mailUser = new MailUser(
          `mail-user-${key}`,
          { ...mailUserItem(plan), externalEmailAddress: key, password: context.password, signInEnabled: signInEnabled(plan.state), adopt: context.adopt },
          { parent: this, dependsOn: context.routingDomain ? [context.routingDomain] : [], ...context.movedIn },
        );
        this.mailUsers[key] = mailUser;
      }
      if (!plan.licensed) continue;
      const license = new LicenseAssignment(
        // The logical name keeps its British spelling: it is part of the URN in users' state, and
        // a new name would replace every assignment.
        `licence-${key}`,
        { userPrincipalName: key, sku: context.licenseSku, ...licenseItem(plan, context), onDelete: "retain" },
        { parent: this, dependsOn: [...(mailUser ? [mailUser] : []), ...context.acceptedDomains], ...context.movedIn },
      );
      this.licenses[key] = license;
      if (plan.forwarded) {
        this.forwardingRoutes[key] = new GoogleForwardingRoute(
          `forward-${key}`,
          { userEmail: key, ...forwardItem(plan), disposition: "trash", adopt: context.adopt },
          // The mail user too: its deletion releases the routing address only once nothing forwards to it.
          { parent: this, dependsOn: [license, ...(mailUser ? [mailUser] : [])], ...context.movedIn },
        );
      }
    }
  }

  /** The same objects and order as `createUserResources`, one set per batch and kind; a set without users is not created. */
  private createBatchSets(plans: UserPlan[], context: UserResourceContext): void {
    const groups = groupByBatch(plans);
    // What the other sets of each kind hold: a user moved between batches is handed over, never deleted.
    const heldElsewhere = (batch: string, members: (group: BatchGroup) => UserPlan[]): string[] =>
      groups.filter((other) => other.batch !== batch).flatMap((other) => members(other).map((plan) => plan.user.email));
    for (const group of groups) {
      const { batch } = group;
      let mailUsers: MailUserSet | undefined;
      if (group.mailUsers.length > 0) {
        mailUsers = new MailUserSet(
          `mail-users-${batch}`,
          {
            users: itemsByEmail(group.mailUsers, mailUserItem),
            password: context.password,
            signInEnabled: signInEnabled(group.mailUsers[0].state),
            adopt: context.adopt,
            heldElsewhere: heldElsewhere(batch, (other) => other.mailUsers),
          },
          { parent: this, dependsOn: context.routingDomain ? [context.routingDomain] : [], ...context.movedIn },
        );
        this.mailUserSets[batch] = mailUsers;
      }
      if (group.licensed.length === 0) continue;
      const licenses = new LicenseAssignmentSet(
        // The logical name keeps its British spelling: it is part of the URN in users' state, and
        // a new name would replace the set.
        `licences-${batch}`,
        {
          users: itemsByEmail(group.licensed, (plan) => licenseItem(plan, context)),
          sku: context.licenseSku,
          onDelete: "retain",
          heldElsewhere: heldElsewhere(batch, (other) => other.licensed),
        },
        { parent: this, dependsOn: [...(mailUsers ? [mailUsers] : []), ...context.acceptedDomains], ...context.movedIn },
      );
      this.licenseSets[batch] = licenses;
      if (group.forwarded.length > 0) {
        // Beside the licences, not after them: each route waits for its own user's mailbox, so Gmail
        // forwards each user as its mailbox appears rather than after the whole batch's (a batch
        // move's Gmail calls overlap its licensing). The licences are kept on delete (onDelete
        // "retain"), so no order between the two is needed when they go; the mail users still go
        // after the routes.
        this.forwardingRouteSets[batch] = new GoogleForwardingRouteSet(
          `forwards-${batch}`,
          {
            routes: itemsByEmail(group.forwarded, forwardItem),
            disposition: "trash",
            mailboxTimeoutSeconds: DEFAULT_CONVERSION_TIMEOUT_SECONDS,
            adopt: context.adopt,
            heldElsewhere: heldElsewhere(batch, (other) => other.forwarded),
          },
          { parent: this, dependsOn: [...(mailUsers ? [mailUsers] : []), ...context.acceptedDomains], ...context.movedIn },
        );
      }
    }
  }

  /**
   * Kept groups' contacts and outside members' contacts first, then the migrated groups, each after
   * its members' resources (mail users, contacts, member groups): per group, or one set for all.
   */
  private createGroups(plan: GroupsPlan, options: { adopt: boolean; granularity: Granularity }): DistributionGroupSet | undefined {
    const contactsOf: Record<string, MailContact> = {};
    for (const kept of plan.kept) {
      contactsOf[kept.group.email] = new MailContact(
        `kept-group-${kept.group.email}`,
        { name: kept.group.name, primarySmtpAddress: kept.group.email, emailAddresses: kept.emailAddresses, externalEmailAddress: kept.externalEmailAddress, adopt: options.adopt },
        { parent: this },
      );
    }
    for (const address of plan.outsideMembers) {
      contactsOf[address] = new MailContact(`contact-${address}`, { name: address, externalEmailAddress: address, adopt: options.adopt }, { parent: this });
    }
    Object.assign(this.mailContacts, contactsOf);
    if (options.granularity === "batch") {
      if (plan.migrated.length === 0) return undefined;
      return new DistributionGroupSet(
        "distribution-groups",
        { groups: Object.fromEntries(plan.migrated.map((group) => [group.group.email, groupItem(group)])), adopt: options.adopt },
        { parent: this, dependsOn: [...Object.values(this.mailUserSets), ...Object.values(contactsOf)] },
      );
    }
    for (const group of inMemberOrder(plan.migrated)) {
      const dependsOn = [
        ...group.userMembers.flatMap((email) => this.mailUsers[email] ?? []),
        ...group.groupMembers.flatMap((email) => this.distributionGroups[email] ?? contactsOf[email] ?? []),
        ...group.outsideMembers.map((address) => contactsOf[address]),
      ];
      this.distributionGroups[group.group.email] = new DistributionGroup(
        `group-${group.group.email}`,
        { ...groupItem(group), primarySmtpAddress: group.group.email, adopt: options.adopt },
        { parent: this, dependsOn },
      );
    }
    return undefined;
  }
}

/** A migrated group's fields, the same in a DistributionGroup and in a DistributionGroupSet. */
function groupItem({ group, members }: MigratedGroupPlan): DistributionGroupSetItem {
  return { name: group.name, emailAddresses: group.aliases, members };
}

/** Migrated groups, each after the migrated groups it holds (a membership circle keeps the CSV's order). */
function inMemberOrder(groups: MigratedGroupPlan[]): MigratedGroupPlan[] {
  const ordered: MigratedGroupPlan[] = [];
  let rest = groups;
  while (rest.length > 0) {
    const pending = new Set(rest.map((group) => group.group.email));
    const ready = rest.filter((group) => !group.groupMembers.some((member) => pending.has(member) && member !== group.group.email));
    const next = ready.length > 0 ? ready : rest;
    ordered.push(...next);
    rest = rest.filter((group) => !next.includes(group));
  }
  return ordered;
}

/** What the per-user resources and the per-batch sets of one stack share. */
interface UserResourceContext {
  password?: pulumi.Input<string>;
  licenseSku: string;
  usageLocation: string;
  adopt: boolean;
  routingDomain?: RoutingDomain;
  /** The accepted domains a licence waits for: the primary's and the alias domains'. */
  acceptedDomains: AcceptedDomain[];
  movedIn: pulumi.CustomResourceOptions;
}

/** Users may sign in once their batch is migrating: the day they move, with their initial password. */
function signInEnabled(state: BatchState): boolean {
  return state !== "google";
}

/** Every mail user's initial password by Google address, from the per-user resources and the sets, as one secret. */
function collectInitialPasswords(mailUsers: Record<string, MailUser>, sets: Record<string, MailUserSet>): pulumi.Output<Record<string, string>> {
  const single = Object.entries(mailUsers).map(([email, user]) => user.initialPassword.apply((password): Record<string, string> => (password ? { [email]: password } : {})));
  const batched = Object.values(sets).map((set) => set.initialPasswords.apply((passwords) => passwords ?? {}));
  return secret(all([...single, ...batched]).apply((parts) => Object.assign({}, ...parts) as Record<string, string>));
}

/** A user's mail-user fields, the same in a MailUser and in a MailUserSet. */
function mailUserItem({ user, routingAddress }: UserPlan): MailUserSetItem {
  return {
    name: user.displayName,
    alias: user.alias,
    displayName: user.displayName,
    firstName: user.firstName,
    lastName: user.lastName,
    microsoftOnlineServicesId: user.email,
    routingAddress,
    ...(user.aliases?.length ? { aliases: user.aliases } : {}),
  };
}

function licenseItem({ user }: UserPlan, context: UserResourceContext): LicenseAssignmentSetItem {
  return { usageLocation: user.usageLocation ?? context.usageLocation };
}

function forwardItem({ routingAddress }: UserPlan): GoogleForwardingRouteSetItem {
  return { forwardTo: routingAddress };
}

function itemsByEmail<T>(plans: UserPlan[], item: (plan: UserPlan) => T): Record<string, T> {
  return Object.fromEntries(plans.map((plan) => [plan.user.email, item(plan)]));
}
