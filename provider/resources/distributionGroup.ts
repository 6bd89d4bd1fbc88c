import type * as pulumi from "@pulumi/pulumi";
import { apis } from "../clients";
import { FieldRule, sameIgnoringCase, sameSet, sameValue } from "./diff";
import { emailItem, InputChecker, isUnknown, UNKNOWN } from "./inputs";
import { note } from "./log";
import {
  DISTRIBUTION_GROUP,
  MAIL_CONTACT,
  afterSet,
  checkSharedInputs,
  createObject,
  creatingName,
  deleteObject,
  MarkedRecipient,
  localPart,
  objectDiff,
  objectState,
  parseObject,
  readObject,
  restoreParameters,
  savedObject,
  setObject,
  sharedChanges,
  updateObject,
  type DesiredObject,
  type LiveObject,
  type MarkedRecipientArgs,
  type ObjectSteps,
  type ObjectState,
} from "./markedRecipient";
import { acceptedDomainNames, smtpAddressesOf, unroutableNote } from "./proxyAddresses";
import { configureFromStack, engineOutputs, serializableProvider } from "./serializable";

const RESOURCE = "DistributionGroup";
/** Update-DistributionGroupMember takes at most this many members in one call. */
export const MAX_MEMBERS = 10_000;

/**
 * A Google group migrated to Exchange Online: a distribution group with the group's address, its
 * other addresses (the Google group's aliases and alias-domain addresses) and its members, created
 * during coexistence (before cutover) so that Microsoft 365 senders reach it, and that takes mail
 * from outside (`RequireSenderAuthenticationEnabled $false`), since mail the Internet sends, and mail
 * Gmail forwards, arrives by SMTP. Members are kept in sync with `members`
 * (Update-DistributionGroupMember replaces the list when it differs).
 *
 * The group's custom attribute `ownerAttribute` carries this stack's mark, `[managed by
 * pulumi-mail-coexistence: <project>/<stack>]`: delete removes only a group that carries it (one
 * the stack created); an adopted group is restored (members included), never removed, unless
 * `deleteAdopted`.
 */
export interface DistributionGroupArgs extends MarkedRecipientArgs {
  /** The group's Exchange name (at most 64 characters, unique among recipients), e.g. `Product launch`. Updated in place. */
  readonly name: pulumi.Input<string>;
  /** The group's address, e.g. `launch@contoso.com` (the Google group's). Changing it replaces the group. */
  readonly primarySmtpAddress: pulumi.Input<string>;
  /**
   * The group's other addresses: the Google group's aliases and its alias-domain addresses. Those on
   * an accepted domain of Exchange Online become proxy addresses; the others are reported (a note,
   * and the output `unroutableAddresses`), never silently dropped. An address removed from the list
   * is removed from the group. Updated in place.
   * @default []
   */
  readonly emailAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The members, each by an address of its Exchange recipient (a mail user, mailbox, mail contact or
   * distribution group: they must exist first, so declare the group with `dependsOn` them). At most
   * 10,000. Kept in sync: a member added or removed in Exchange by hand is drift.
   */
  readonly members: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Accept mail only from authenticated senders (Microsoft 365 users). Keep it false for a migrated
   * Google group: mail from the Internet and mail Google forwards arrive by SMTP and would be refused
   * (`550 5.7.133`). Updated in place.
   * @default false
   */
  readonly requireSenderAuthenticationEnabled?: pulumi.Input<boolean>;
}

/** The checked inputs, as create and update receive them. */
export interface DesiredGroup extends DesiredObject {
  members: string[];
  requireSenderAuthenticationEnabled: boolean;
}

export interface DistributionGroupState extends DesiredGroup, ObjectState {}

const fields: FieldRule[] = [
  { field: "primarySmtpAddress", replaces: true, equal: sameIgnoringCase },
  { field: "name" },
  { field: "alias" },
  { field: "displayName" },
  { field: "emailAddresses", equal: sameSet },
  { field: "members", equal: sameSet },
  { field: "requireSenderAuthenticationEnabled" },
  { field: "deleteAdopted", equal: (a, b) => (a === true) === (b === true) },
];

/** A member of Get-DistributionGroupMember: every address it answers to. */
function memberAddresses(member: Record<string, unknown>): string[] {
  const parsed = parseObject(member);
  return [...smtpAddressesOf(parsed.emailAddresses), ...(parsed.primarySmtpAddress ? [parsed.primarySmtpAddress] : []), ...(parsed.externalEmailAddress ? [parsed.externalEmailAddress] : [])];
}

/**
 * The members as the inputs name them: each live member by the wanted address it answers to,
 * else by its primary address (a member nobody asked for). Pure.
 */
export function membersAsWanted(live: Record<string, unknown>[], wanted: readonly string[]): string[] {
  const wantedSet = new Set(wanted.map((address) => address.toLowerCase()));
  return live.map((member) => {
    const addresses = memberAddresses(member);
    return addresses.find((address) => wantedSet.has(address)) ?? addresses[0] ?? String(member.Guid ?? "");
  });
}

async function liveMembers(guid: string, wanted: readonly string[]): Promise<string[]> {
  return membersAsWanted(await apis().exchange.invoke("Get-DistributionGroupMember", { Identity: guid }, { list: true }), wanted);
}

/** Replaces the members when they differ from the wanted ones; returns whether it did. */
async function syncMembers(guid: string, wanted: readonly string[]): Promise<boolean> {
  if (sameSet(await liveMembers(guid, wanted), wanted)) return false;
  await apis().exchange.invoke("Update-DistributionGroupMember", { Identity: guid, Members: [...wanted], ...DISTRIBUTION_GROUP.always });
  return true;
}

/** The Set-DistributionGroup parameters for the group's own settings, besides the shared ones. */
function groupParameters(live: LiveObject, desired: DesiredGroup): Record<string, unknown> {
  return live.requireSenderAuthenticationEnabled === desired.requireSenderAuthenticationEnabled ? {} : { RequireSenderAuthenticationEnabled: desired.requireSenderAuthenticationEnabled };
}

/**
 * Brings the group to the inputs: one Set-DistributionGroup for the names, the mark, the addresses
 * and RequireSenderAuthenticationEnabled, then the members. Returns the group as it is now and the
 * addresses Exchange cannot hold.
 */
async function reconcile(live: LiveObject, desired: DesiredGroup, options: { previousAddresses?: string[]; mark?: string; membersSet?: boolean }): Promise<{ live: LiveObject; unroutable: string[] }> {
  const change = sharedChanges(live, desired, { previousAddresses: options.previousAddresses, acceptedDomains: await acceptedDomainNames(), mark: options.mark });
  const parameters = { ...change.parameters, ...groupParameters(live, desired) };
  await setObject(DISTRIBUTION_GROUP, live.guid, parameters);
  if (!options.membersSet && (await syncMembers(live.guid, desired.members))) note(RESOURCE, `${desired.primarySmtpAddress}: members brought in line with the ${desired.members.length} wanted.`);
  if (change.unroutable.length > 0) note(RESOURCE, unroutableNote(`distribution group ${desired.primarySmtpAddress}`, change.unroutable, "unroutableAddresses"));
  return { live: afterSet(live, parameters), unroutable: change.unroutable };
}

function steps(desired: DesiredGroup): ObjectSteps<DistributionGroupState> {
  return {
    // New-DistributionGroup has just set the members of a group it created.
    reconcile: (live, options) => reconcile(live, desired, { ...options, membersSet: options.created }),
    state: (live, ownership, unroutable, saved) => engineOutputs({ ...desired, ...objectState(live, ownership, unroutable, saved) }),
  };
}

/** New-DistributionGroup with the members, under this stack's creation token until it is marked. */
async function newGroup(desired: DesiredGroup, owner: string): Promise<LiveObject> {
  const [created] = await apis().exchange.invoke("New-DistributionGroup", {
    Name: creatingName(desired, owner),
    Alias: desired.alias,
    DisplayName: desired.displayName,
    PrimarySmtpAddress: desired.primarySmtpAddress,
    Type: "Distribution",
    RequireSenderAuthenticationEnabled: desired.requireSenderAuthenticationEnabled,
    ...(desired.members.length > 0 ? { Members: desired.members } : {}),
  });
  return parseObject(created ?? {});
}

export const distributionGroupProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const name = inputs.name("name", { required: true, maxLength: 64 });
    const primary = inputs.email("primarySmtpAddress", { required: true });
    inputs.alias("alias", { fallback: primary && (isUnknown(primary) ? UNKNOWN : localPart(primary).slice(0, 64)), required: true });
    inputs.name("displayName", { fallback: name, maxLength: 256 });
    const members = inputs.list("members", emailItem, { required: false, fallback: [], maxItems: MAX_MEMBERS });
    if (members && !isUnknown(members) && primary && members.includes(primary)) inputs.problem("members", `${primary} is the group itself; a group cannot be its own member`);
    inputs.boolean("requireSenderAuthenticationEnabled", false);
    checkSharedInputs(inputs, olds, DISTRIBUTION_GROUP, primary);
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return objectDiff(olds, news, fields);
  },

  async create(inputs) {
    const desired = inputs as DesiredGroup;
    return createObject(DISTRIBUTION_GROUP, MAIL_CONTACT, inputs, desired, {
      ...steps(desired),
      create: (owner) => newGroup(desired, owner),
      differences: async (live) => {
        const change = sharedChanges(live, desired, { acceptedDomains: await acceptedDomainNames() });
        const members = sameSet(await liveMembers(live.guid, desired.members), desired.members) ? [] : ["members"];
        return [...change.differences, ...Object.keys(groupParameters(live, desired)), ...members];
      },
      saved: async (live) => ({ ...savedObject(live, desired), members: await liveMembers(live.guid, []) }),
    });
  },

  async read(id, props) {
    return readObject(DISTRIBUTION_GROUP, id, props, async (live) => ({
      requireSenderAuthenticationEnabled: live.requireSenderAuthenticationEnabled ?? props.requireSenderAuthenticationEnabled,
      members: await liveMembers(id, Array.isArray(props.members) ? (props.members as string[]) : []),
    }));
  },

  async update(id, olds, news) {
    const desired = news as DesiredGroup;
    return updateObject(DISTRIBUTION_GROUP, id, desired, olds as DistributionGroupState, steps(desired));
  },

  async delete(id, props) {
    await deleteObject(DISTRIBUTION_GROUP, id, props, async (live, saved) => {
      const parameters = restoreParameters(live, saved, String(props.ownerAttribute));
      if (saved.requireSenderAuthenticationEnabled !== undefined && saved.requireSenderAuthenticationEnabled !== live.requireSenderAuthenticationEnabled) {
        parameters.RequireSenderAuthenticationEnabled = saved.requireSenderAuthenticationEnabled;
      }
      await setObject(DISTRIBUTION_GROUP, id, parameters);
      if (saved.members && !sameValue([...saved.members].sort(), [...(await liveMembers(id, saved.members))].sort())) {
        await apis().exchange.invoke("Update-DistributionGroupMember", { Identity: id, Members: saved.members, ...DISTRIBUTION_GROUP.always });
      }
    });
  },
};

const provider = serializableProvider("distributionGroup", "distributionGroupProvider");

/** A Google group migrated to Exchange Online as a distribution group (members kept in sync). */
export class DistributionGroup extends MarkedRecipient {
  declare readonly members: pulumi.Output<string[]>;
  declare readonly requireSenderAuthenticationEnabled: pulumi.Output<boolean>;

  constructor(name: string, args: DistributionGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { requireSenderAuthenticationEnabled: undefined, ...args }, opts, "DistributionGroup");
  }
}
