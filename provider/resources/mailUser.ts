import type * as pulumi from "@pulumi/pulumi";
import { secret } from "@pulumi/pulumi/output";
import { mergeOptions } from "@pulumi/pulumi/resource";
import { apis, removeExchangeObject } from "../clients";
import { registerSecret } from "../config";
import { domainOf } from "../routing/addresses";
import { claim, handedOver } from "./claims";
import { newInitialPassword } from "./initialPassword";
import { emailItem, InputChecker, isUnknown } from "./inputs";
import { acceptedDomainsFor, getRecipient, keepMailbox, label, listedRecipient, reconcile, restoreAdopted } from "./mailUserRecipient";
import {
  DEFAULT_REPLICATION_TIMEOUT_SECONDS,
  MAX_PASSWORD_LENGTH,
  checkPassword,
  ensureSignIn,
  entraUser,
  listedEntraUser,
  managesSignIn,
  passwordFacts,
  replicationTimeoutMs,
  resetPassword,
} from "./mailUserAccount";
import { note } from "./log";
import {
  adoptedByMark,
  adoptedSettingsOf,
  changesToApply,
  checkOwnerAttribute,
  creationName,
  hasSmtpAddress,
  isMailbox,
  isUserRecipient,
  markedValue,
  parseRecipient,
  passwordToSet,
  planMailUserDiff,
  recipientOwner,
  type AdoptedSettings,
  type DesiredMailUser,
  type Recipient,
} from "./mailUserPlan";
import { actionForExisting, creationToken, deleteAction, ownershipAfter, stackOwner, type Ownership } from "./ownership";
import { pollUntil } from "./poll";
import { splitByAcceptedDomain } from "./proxyAddresses";
import { configureFromStack, createdButNotReady, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

/**
 * A Google Workspace user as an Exchange Online mail user: it is in the address list, and mail
 * for it is relayed to Google until the user is migrated. Its secondary address on the routing
 * subdomain is where Google forwards the user's mail after migration. Licensing the user
 * (LicenseAssignment) turns it into a mailbox; from then on this resource keeps only the name,
 * alias, display name, routing address and sign-in state, and never deletes the mailbox.
 *
 * Each mail user gets its own initial password (or the one supplied), which the user must change
 * at the first sign-in, and cannot sign in at all until `signInEnabled` (its batch is migrating).
 */
export interface MailUserArgs {
  /** Exchange object name, at most 64 characters, e.g. `Alice Smith`. Updated in place. */
  readonly name: pulumi.Input<string>;
  /** Mail nickname, e.g. `alice`. Updated in place; it never changes an address. */
  readonly alias: pulumi.Input<string>;
  /**
   * Name in the address list. Updated in place.
   * @default the `name`
   */
  readonly displayName?: pulumi.Input<string>;
  /**
   * Given name, set when the mail user is created. Changing it re-creates a mail user (Set-MailUser
   * cannot change it); on a mailbox it is left alone.
   * @default unset: not managed
   */
  readonly firstName?: pulumi.Input<string>;
  /**
   * Surname, set when the mail user is created. Changing it re-creates a mail user (Set-MailUser
   * cannot change it); on a mailbox it is left alone.
   * @default unset: not managed
   */
  readonly lastName?: pulumi.Input<string>;
  /**
   * The user's Google address, e.g. `alice@contoso.com`: Exchange relays the user's mail there
   * (with the domain Internal Relay and the outbound connector to Google), and it is also the
   * primary SMTP address. Updated in place while a mail user (the primary address stays).
   */
  readonly externalEmailAddress: pulumi.Input<string>;
  /** Microsoft 365 sign-in name (UPN), e.g. `alice@contoso.com`. Changing it replaces a mail user. */
  readonly microsoftOnlineServicesId: pulumi.Input<string>;
  /**
   * The initial password of the Microsoft 365 account, for admins who hand out their own: 8 to 256
   * characters with three of lower case, upper case, digits and symbols (Microsoft Entra ID's rule).
   * Always stored as a secret. Changing it resets the password while a mail user; the user must
   * change it at the next sign-in.
   * @default unset: the provider generates a random 20-character password for this user alone,
   * readable only as the secret output `initialPassword`
   */
  readonly password?: pulumi.Input<string>;
  /**
   * Secondary SMTP address on the Microsoft 365 routing subdomain, e.g. `alice@o365.contoso.com`:
   * the address Google forwards to after migration. Updated in place; a removed address is drift
   * and is added again.
   */
  readonly routingAddress: pulumi.Input<string>;
  /**
   * The user's other addresses: its Google aliases and its addresses at alias domains (the
   * Directory's `aliases` and `nonEditableAliases`). Each one on an accepted domain of Exchange
   * Online (a domain verified in Microsoft 365 with Email) becomes a secondary proxy address, so
   * Microsoft 365 senders reach the user there, and the mailbox keeps it after licensing. The others
   * are not added but reported: a note at create and update, and the output `unroutableAliases`.
   * An alias removed from the list is removed from the object. Updated in place.
   * @default [] (no aliases managed)
   */
  readonly aliases?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Whether the user may sign in to Microsoft 365 (Entra `accountEnabled`). Keep it false until the
   * user's batch is migrating: then the user signs in with the initial password and must change it.
   * Updated in place (needs the Graph permission User.EnableDisableAccount.All).
   * @default false
   */
  readonly signInEnabled?: pulumi.Input<boolean>;
  /**
   * How long to wait, 0 to 3600 seconds, for a new mail user to reach the services that must see
   * it next: Exchange's own next cmdlet (Set-MailUser; up to about 90 s observed) and Microsoft
   * Graph (Entra ID; seconds to minutes). On timeout the step fails and the next `up` waits again.
   * @default 900
   */
  readonly replicationTimeoutSeconds?: pulumi.Input<number>;
  /**
   * The custom attribute (`CustomAttribute1` … `CustomAttribute15`) that carries the stack's mark,
   * `[managed by pulumi-mail-coexistence: <project>/<stack>]`, by which the stack knows the mail
   * users it created. Pick one your organisation does not use; it cannot change once created.
   * @default "CustomAttribute15"
   */
  readonly ownerAttribute?: pulumi.Input<string>;
  /**
   * Take over an existing recipient with the `externalEmailAddress` that this stack did not create
   * instead of failing; it is changed to match these inputs (a mail user's password is reset) and
   * is restored on delete, never removed (unless `deleteAdopted`).
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Remove an adopted mail user on delete like one the stack created, instead of restoring it.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
}

export interface MailUserState {
  name: string;
  alias: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  externalEmailAddress?: string;
  microsoftOnlineServicesId: string;
  routingAddress: string;
  /** The aliases asked for (input). */
  aliases?: string[];
  /** Aliases not added because their domain is not an accepted domain of Exchange Online. */
  unroutableAliases?: string[];
  adopt: boolean;
  deleteAdopted: boolean;
  replicationTimeoutSeconds: number;
  ownerAttribute: string;
  /** Exchange object GUID (the resource id). */
  guid: string;
  /** The Entra user's object id. */
  externalDirectoryObjectId?: string;
  primarySmtpAddress?: string;
  /** Every proxy address as Exchange shows it (`SMTP:` primary, `smtp:` secondary). */
  emailAddresses: string[];
  /** `MailUser`, or `UserMailbox` once the user is licensed (that is not drift). */
  recipientTypeDetails: string;
  /** Whether the user may sign in, as this resource last set it (absent in a state written before it was managed). */
  signInEnabled?: boolean;
  /** `created`, or `adopted` (restored on delete). */
  ownership?: Ownership;
  /** The stack whose mark the object carries, `<project>/<stack>`. */
  owner?: string;
  /** The resource that declares the user (a set's name for a set's member). */
  holder?: string;
  /** What an adopted recipient had, put back on delete. */
  adopted?: AdoptedSettings & { recipientTypeDetails: string };
  /** The password this resource generated and set, which the user must change at the first sign-in; a secret output. */
  initialPassword?: string;
  /** `hmac-scrypt$<salt>$<hash>` of the supplied password last set; a secret output. */
  passwordHash?: string;
}

const RESOURCE = "MailUser";
export const DEFAULT_OWNER_ATTRIBUTE = "CustomAttribute15";

/** What the state records besides what Exchange shows. */
interface Facts {
  /** Undefined in a state written before sign-in was managed: the next update finds out. */
  signInEnabled?: boolean;
  ownership?: Ownership;
  owner?: string;
  adopted?: MailUserState["adopted"];
  initialPassword?: string;
  passwordHash?: string;
}

const factsOf = (state: Record<string, unknown>): Facts => ({
  signInEnabled: typeof state.signInEnabled === "boolean" ? state.signInEnabled : undefined,
  ownership: state.ownership as Ownership | undefined,
  owner: state.owner as string | undefined,
  adopted: state.adopted as MailUserState["adopted"],
  initialPassword: state.initialPassword as string | undefined,
  passwordHash: state.passwordHash as string | undefined,
});

/** Outputs from what Exchange shows; what it did not return keeps the `fallback` (inputs or state). */
export function stateFrom(live: Recipient, fallback: Record<string, unknown>, facts: Facts, unroutableAliases?: string[]): MailUserState {
  const aliases = Array.isArray(fallback.aliases) && fallback.aliases.length > 0 ? (fallback.aliases as string[]) : undefined;
  const keep = (value: string | undefined, field: string): string | undefined => value ?? (fallback[field] as string | undefined);
  return engineOutputs({
    name: keep(live.name, "name") as string,
    alias: keep(live.alias, "alias") as string,
    displayName: keep(live.displayName, "displayName") as string,
    firstName: keep(live.firstName, "firstName"),
    lastName: keep(live.lastName, "lastName"),
    externalEmailAddress: keep(live.externalEmailAddress, "externalEmailAddress"),
    microsoftOnlineServicesId: keep(live.microsoftOnlineServicesId, "microsoftOnlineServicesId") as string,
    routingAddress: fallback.routingAddress as string,
    aliases,
    unroutableAliases: aliases ? (unroutableAliases ?? (fallback.unroutableAliases as string[] | undefined) ?? []) : undefined,
    adopt: fallback.adopt === true,
    deleteAdopted: fallback.deleteAdopted === true,
    replicationTimeoutSeconds: (fallback.replicationTimeoutSeconds as number | undefined) ?? DEFAULT_REPLICATION_TIMEOUT_SECONDS,
    ownerAttribute: (fallback.ownerAttribute as string | undefined) ?? DEFAULT_OWNER_ATTRIBUTE,
    holder: fallback.holder as string | undefined,
    guid: live.guid,
    externalDirectoryObjectId: keep(live.externalDirectoryObjectId, "externalDirectoryObjectId"),
    primarySmtpAddress: keep(live.primarySmtpAddress, "primarySmtpAddress"),
    emailAddresses: live.emailAddresses,
    recipientTypeDetails: live.recipientTypeDetails,
    ...facts,
  });
}

/** The stack that declares the resource: its hidden input (every MailUser passes it). */
function ownerOf(desired: { owner?: string }): string {
  if (!desired.owner) throw new Error(`${RESOURCE}: the input owner is missing; declare the resource with the MailUser or MailUserSet class, which passes it.`);
  return desired.owner;
}

/**
 * New-MailUser; undefined when a recipient with the address (or sign-in name) already exists. The
 * name carries this stack's creation token until the Set-MailUser that marks the object, so an
 * object left between the two calls is known as this stack's. A call whose outcome is unknown
 * (no answer, or one that does not prove it was not applied) is never repeated blindly: the
 * address is read first, and New-MailUser is sent once more only when nothing is there.
 */
async function newMailUser(desired: DesiredMailUser, owner: string, password: string): Promise<Recipient | undefined> {
  const parameters = {
    Name: creationName(desired.name, creationToken(owner, desired.externalEmailAddress)),
    Alias: desired.alias,
    DisplayName: desired.displayName,
    ...(desired.firstName !== undefined ? { FirstName: desired.firstName } : {}),
    ...(desired.lastName !== undefined ? { LastName: desired.lastName } : {}),
    ExternalEmailAddress: desired.externalEmailAddress,
    MicrosoftOnlineServicesID: desired.microsoftOnlineServicesId,
    Password: apis().exchange.mailUserPassword(password),
    ResetPasswordOnNextLogon: true,
  };
  for (let attempt = 1; ; attempt++) {
    let created: Record<string, unknown> | undefined;
    try {
      [created] = await apis().exchange.invoke("New-MailUser", parameters);
    } catch (error) {
      if ((error as { alreadyExists?: boolean }).alreadyExists) return undefined;
      if (!(error as { outcomeUnknown?: boolean }).outcomeUnknown || attempt > 1) throw error;
      note(RESOURCE, `New-MailUser for ${desired.externalEmailAddress} got no answer that says whether it was applied (${(error as Error).message}); reading before trying again.`);
      if (await getRecipient(desired.externalEmailAddress)) return undefined;
      continue;
    }
    const answer = created ? parseRecipient(created) : undefined;
    if (answer?.guid) return answer;
    const found = await pollUntil(() => getRecipient(desired.externalEmailAddress), {
      timeoutMs: replicationTimeoutMs(desired),
      progress: { resource: RESOURCE, waitingFor: "Exchange to show new mail users (up to about 90 s observed)", subject: desired.externalEmailAddress, setting: "replicationTimeoutSeconds" },
    });
    if (!found) {
      throw new Error(`${RESOURCE}: New-MailUser for ${desired.externalEmailAddress} succeeded but Exchange does not show the object; run pulumi up again (this stack's object is then taken over).`);
    }
    return found;
  }
}

/**
 * Why New-MailUser said "already exists" when no recipient has the address: who holds the sign-in
 * name (`recipient`, which Get-Recipient may have found by it), in Exchange or only in Entra ID,
 * or (neither) what Exchange said.
 */
async function upnClash(desired: DesiredMailUser, found: Recipient | undefined): Promise<Error> {
  const upn = desired.microsoftOnlineServicesId;
  const recipient = found ?? (await getRecipient(upn));
  if (recipient) {
    return new Error(
      `${RESOURCE}: the sign-in name ${upn} is already used by the ${recipient.recipientTypeDetails} ${recipient.name ?? recipient.guid} (${recipient.primarySmtpAddress ?? "no primary address"}), ` +
        `which does not have ${desired.externalEmailAddress}; set microsoftOnlineServicesId to a free sign-in name, or give that recipient the address and adopt it.`,
    );
  }
  const user = await apis().graph.getUser(upn, ["id", "userPrincipalName", "displayName"]);
  if (user) {
    return new Error(
      `${RESOURCE}: the sign-in name ${upn} belongs to the Microsoft 365 user ${String(user.displayName ?? upn)} (${user.id}), which has no Exchange object; ` +
        "remove that user (or change its sign-in name), or set microsoftOnlineServicesId to a free sign-in name.",
    );
  }
  return new Error(
    `${RESOURCE}: New-MailUser answered that an object already exists, but no recipient has ${desired.externalEmailAddress} and no user has the sign-in name ${upn}. ` +
      "An object removed minutes ago can still block its names (Exchange and Entra ID replicate in their own time): run pulumi up again in a few minutes.",
  );
}

/** The recipient with the address that New-MailUser found in the way; one found only by the sign-in name is a clash of sign-in names. */
async function existingRecipient(desired: DesiredMailUser): Promise<Recipient> {
  const address = desired.externalEmailAddress;
  const existing = await getRecipient(address);
  if (existing && (hasSmtpAddress(existing.emailAddresses, address) || existing.externalEmailAddress === address)) return existing;
  throw await upnClash(desired, existing);
}

/**
 * An existing recipient with the address: this stack's (its mark, or its creation token: an
 * interrupted create, or a state that lost it) is taken over silently; anyone else's needs adopt.
 */
async function takeOver(existing: Recipient, desired: DesiredMailUser): Promise<MailUserState> {
  const owner = ownerOf(desired);
  const attribute = desired.ownerAttribute;
  const { differences } = changesToApply(existing, desired);
  if (!isUserRecipient(existing.recipientTypeDetails)) {
    throw new Error(
      `${RESOURCE}: ${desired.externalEmailAddress} is already the address of a ${existing.recipientTypeDetails} (${existing.name ?? existing.guid}) in Exchange Online, ` +
        "which a mail user cannot take over, with or without adopt: remove that object or the address from it, or leave this user out of the stack.",
    );
  }
  const liveOwner = recipientOwner(existing, attribute, owner, desired.externalEmailAddress);
  const action = actionForExisting(RESOURCE, `${desired.externalEmailAddress} (${existing.recipientTypeDetails} ${existing.name ?? existing.guid})`, { owner: liveOwner, differences }, { owner, adopt: desired.adopt });
  const mailbox = isMailbox(existing.recipientTypeDetails);
  if (action === "adopt") note(RESOURCE, `adopting ${label(existing)} and changing it to match; delete restores what it has now.`);
  else note(RESOURCE, `found ${label(existing)}, which this stack created (held by another of its resources before, or left by an interrupted run or a lost state); taking it over.`);
  const user = await entraUser(desired);
  const adopting = action === "adopt";
  const adopted = adopting
    ? { ...adoptedSettingsOf(existing, attribute, desired.routingAddress, user.accountEnabled as boolean | undefined, desired.aliases), recipientTypeDetails: existing.recipientTypeDetails }
    : adoptedByMark(existing, attribute);
  const { recipient: live, unroutableAliases } = await reconcile(existing, desired, { mark: { attribute, value: markedValue(owner, existing.customAttributes[attribute], adopting) } });
  const facts: Facts = { signInEnabled: desired.signInEnabled, ownership: adopted ? "adopted" : ownershipAfter(action), owner, ...(adopted ? { adopted } : {}) };
  // The password of an object this stack did not just create is not known: a mail user gets a new one.
  if (!mailbox) Object.assign(facts, await resetPassword(desired, user));
  else note(RESOURCE, `${label(existing)} is a mailbox: its password belongs to its user and is left alone.`);
  if (managesSignIn(adopted)) facts.signInEnabled = await ensureSignIn(desired, user);
  else note(RESOURCE, `${label(existing)} is a mailbox someone already uses: its sign-in is left as it is.`);
  return stateFrom(live, desired as unknown as Record<string, unknown>, facts, unroutableAliases);
}

/** Aliases are the user's other addresses: never its own address, sign-in name or routing address, nor on the routing domain. */
function checkAliases(inputs: InputChecker, aliases: string[] | undefined, own: (string | undefined)[]): void {
  if (!aliases || isUnknown(aliases)) return;
  const routing = own[1];
  for (const [index, alias] of aliases.entries()) {
    if (isUnknown(alias)) continue;
    if (own.some((address) => address !== undefined && !isUnknown(address) && address === alias)) {
      inputs.problem(`aliases[${index}]`, `${alias} is the user's own address, sign-in name or routing address; list only its other addresses`);
    } else if (routing && !isUnknown(routing) && domainOf(alias) === domainOf(routing)) {
      inputs.problem(`aliases[${index}]`, `${alias} is on the routing domain ${domainOf(routing)}, where only routing addresses belong; remove it`);
    }
  }
}

export const mailUserProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const name = inputs.name("name", { required: true, maxLength: 64 });
    inputs.alias("alias", { required: true });
    inputs.name("displayName", { fallback: name });
    inputs.name("firstName", { maxLength: 64 });
    inputs.name("lastName", { maxLength: 64 });
    const external = inputs.email("externalEmailAddress", { required: true });
    inputs.email("microsoftOnlineServicesId", { required: true });
    const password = inputs.text("password", { secret: true, maxLength: MAX_PASSWORD_LENGTH });
    const routing = inputs.email("routingAddress", { required: true });
    const aliases = inputs.list("aliases", emailItem);
    inputs.boolean("signInEnabled", false);
    inputs.integer("replicationTimeoutSeconds", DEFAULT_REPLICATION_TIMEOUT_SECONDS, { min: 0, max: 3600 });
    const attribute = inputs.text("ownerAttribute", { fallback: DEFAULT_OWNER_ATTRIBUTE, maxLength: 20 });
    inputs.boolean("adopt", false);
    inputs.boolean("deleteAdopted", false);
    const holder = inputs.text("holder");
    inputs.text("owner");
    checkPassword(inputs, news.password, password);
    checkOwnerAttribute(inputs, attribute, olds.ownerAttribute, "mail user");
    if (external && routing && !isUnknown(external) && !isUnknown(routing) && domainOf(routing) === domainOf(external)) {
      inputs.problem(
        "routingAddress",
        `${routing} is in ${domainOf(external)}, the user's own domain; Google will not forward there. Use the Microsoft 365 routing subdomain, e.g. ${routing.split("@")[0]}@o365.${domainOf(external)}`,
      );
    }
    checkAliases(inputs, aliases, [external, routing, inputs.values.microsoftOnlineServicesId as string | undefined]);
    if (external && holder && !isUnknown(external) && !isUnknown(holder)) claim(RESOURCE, external, holder);
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planMailUserDiff(olds, news);
  },

  async create(inputs) {
    const desired = inputs as DesiredMailUser;
    const owner = ownerOf(desired);
    const password = desired.password ?? newInitialPassword();
    registerSecret(password);
    const created = await newMailUser(desired, owner, password);
    if (!created) {
      const outs = await takeOver(await existingRecipient(desired), desired);
      return { id: outs.guid, outs };
    }
    // New-MailUser makes an account that can sign in, with the password just sent.
    let facts: Facts = { signInEnabled: true, ownership: "created", owner, ...passwordFacts(desired, password) };
    let live = created;
    try {
      const reconciled = await reconcile(created, desired, { justCreated: true, mark: { attribute: desired.ownerAttribute, value: markedValue(owner, undefined) } });
      live = reconciled.recipient;
      const user = await entraUser(desired);
      facts = { ...facts, signInEnabled: await ensureSignIn(desired, user) };
      return { id: created.guid, outs: stateFrom(live, inputs, facts, reconciled.unroutableAliases) };
    } catch (error) {
      throw createdButNotReady(
        `${RESOURCE}: created ${desired.externalEmailAddress} (${created.guid}) but could not finish it: ${(error as Error).message}; run pulumi up again to finish it.`,
        created.guid,
        stateFrom(live, inputs, facts),
        inputs,
      );
    }
  },

  async read(id, props) {
    const live = await listedRecipient(id);
    if (!live) return {};
    // An alias domain verified since the last update: its aliases are no longer unroutable, so the next up adds them.
    const aliases = Array.isArray(props.aliases) ? (props.aliases as string[]) : [];
    const unroutable = aliases.length > 0 ? splitByAcceptedDomain(aliases, await acceptedDomainsFor(aliases)).unroutable : undefined;
    return { id, props: stateFrom(live, props, factsOf(props), unroutable) };
  },

  async update(id, olds, news) {
    const desired = news as DesiredMailUser;
    const facts = factsOf(olds);
    const signInChanges = managesSignIn(facts.adopted) && desired.signInEnabled !== facts.signInEnabled;
    // Read beside the recipient, not after it: at a batch move each is a list of the whole tenant.
    const account = signInChanges ? listedEntraUser(desired) : undefined;
    account?.catch(() => undefined);
    const live = await listedRecipient(id);
    if (!live) {
      throw new Error(`${RESOURCE}: ${olds.externalEmailAddress} (${id}) no longer exists in Exchange Online; run pulumi refresh, then pulumi up to create it again.`);
    }
    const owner = facts.owner ?? ownerOf(desired);
    const liveOwner = recipientOwner(live, desired.ownerAttribute, owner, desired.externalEmailAddress);
    if (liveOwner !== undefined && liveOwner !== owner) {
      throw new Error(
        `${RESOURCE}: ${label(live)} now carries the mark of the stack ${liveOwner}, which took it over; this stack leaves it alone. ` +
          "Remove the resource from this stack (pulumi state delete <urn>), or take the user back with adopt from a new resource.",
      );
    }
    const mark = liveOwner === undefined ? { attribute: desired.ownerAttribute, value: markedValue(owner, live.customAttributes[desired.ownerAttribute]) } : undefined;
    const previousAliases = Array.isArray(olds.aliases) ? (olds.aliases as string[]) : undefined;
    const { recipient: updated, unroutableAliases } = await reconcile(live, desired, { previousRoutingAddress: olds.routingAddress, previousAliases, mark });
    const next: Facts = { ...facts, owner, ownership: facts.ownership ?? "created" };
    const password = passwordToSet({ ...olds, recipientTypeDetails: live.recipientTypeDetails }, news);
    if (password || signInChanges) {
      const user = await (account ?? listedEntraUser(desired));
      if (password) Object.assign(next, { passwordHash: undefined, initialPassword: undefined }, await resetPassword(desired, user));
      if (signInChanges) next.signInEnabled = await ensureSignIn(desired, user);
    }
    if (!managesSignIn(facts.adopted)) next.signInEnabled = desired.signInEnabled;
    return { outs: stateFrom(updated, news, next, unroutableAliases) };
  },

  async delete(id, props) {
    const address = String(props.externalEmailAddress || props.primarySmtpAddress || "");
    if (handedOver(RESOURCE, address, props.holder)) return;
    const live = await listedRecipient(id);
    if (!live) {
      note(RESOURCE, `${address} (${id}) is already gone from Exchange Online.`);
      return;
    }
    const facts = factsOf(props);
    const owner = facts.owner ?? "";
    const attribute = (props.ownerAttribute as string | undefined) ?? DEFAULT_OWNER_ATTRIBUTE;
    const liveOwner = recipientOwner(live, attribute, owner, address);
    switch (deleteAction({ ownership: facts.ownership, deleteAdopted: props.deleteAdopted === true }, { keepsMark: true, owner: liveOwner }, owner)) {
      case "leave":
        note(RESOURCE, `${label(live)} ${liveOwner ? `now carries the mark of the stack ${liveOwner}` : "no longer carries this stack's mark"}: left as it is; only this resource's record was removed.`);
        return;
      case "restore":
        await restoreAdopted(live, props, facts, attribute);
        return;
      case "remove": {
        if (!isMailbox(live.recipientTypeDetails) && (await removeExchangeObject("Remove-MailUser", id))) return;
        // A mailbox, or no mail user any more (licensed since it was read): read it as it is now.
        const now = isMailbox(live.recipientTypeDetails) ? live : await getRecipient(id);
        if (now && isMailbox(now.recipientTypeDetails)) await keepMailbox(now, props, attribute);
        else note(RESOURCE, `${address} (${id}) is already gone from Exchange Online.`);
      }
    }
  },
};

const provider = serializableProvider("mailUser", "mailUserProvider");

/** A Google Workspace user as an Exchange Online mail user with a routing-subdomain address. */
export class MailUser extends DynamicResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly alias: pulumi.Output<string>;
  declare readonly displayName: pulumi.Output<string>;
  declare readonly firstName: pulumi.Output<string | undefined>;
  declare readonly lastName: pulumi.Output<string | undefined>;
  declare readonly externalEmailAddress: pulumi.Output<string | undefined>;
  declare readonly microsoftOnlineServicesId: pulumi.Output<string>;
  declare readonly routingAddress: pulumi.Output<string>;
  declare readonly aliases: pulumi.Output<string[] | undefined>;
  /** Aliases not added because their domain is not an accepted domain of Exchange Online (see `aliases`). */
  declare readonly unroutableAliases: pulumi.Output<string[] | undefined>;
  declare readonly guid: pulumi.Output<string>;
  declare readonly externalDirectoryObjectId: pulumi.Output<string | undefined>;
  declare readonly primarySmtpAddress: pulumi.Output<string | undefined>;
  declare readonly emailAddresses: pulumi.Output<string[]>;
  declare readonly recipientTypeDetails: pulumi.Output<string>;
  declare readonly signInEnabled: pulumi.Output<boolean>;
  /** The initial password (generated unless supplied), which the user must change at the first sign-in; a secret. */
  declare readonly initialPassword: pulumi.Output<string | undefined>;

  constructor(name: string, args: MailUserArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        displayName: undefined,
        signInEnabled: undefined,
        guid: undefined,
        externalDirectoryObjectId: undefined,
        primarySmtpAddress: undefined,
        emailAddresses: undefined,
        recipientTypeDetails: undefined,
        initialPassword: undefined,
        unroutableAliases: undefined,
        ...args,
        password: args.password === undefined ? undefined : secret(args.password),
        owner: stackOwner(),
        holder: name,
      },
      mergeOptions(opts, { additionalSecretOutputs: ["passwordHash", "initialPassword"] }),
      "coexist",
      "MailUser",
    );
  }
}
