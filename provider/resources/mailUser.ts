import type * as pulumi from "@pulumi/pulumi";
import { secret } from "@pulumi/pulumi/output";
import { mergeOptions } from "@pulumi/pulumi/resource";
import { apis, autoForwardingOf, findExchangeObject, removeExchangeObject, unlessNotFound } from "../clients";
import { registerSecret } from "../config";
import { domainOf } from "../routing/addresses";
import { InputChecker, isUnknown } from "./inputs";
import { note } from "./log";
import { afterChange, changesToApply, hasSmtpAddress, isMailbox, parseRecipient, planMailUserDiff, routingAddressReleasable, type DesiredMailUser, type Recipient } from "./mailUserPlan";
import { matchesFingerprint, passwordFingerprint } from "./passwordFingerprint";
import { pollUntil } from "./poll";
import { configureFromStack, createdButNotReady, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

/**
 * A Google Workspace user as an Exchange Online mail user: it is in the address list, and mail
 * for it is relayed to Google until the user is migrated. Its secondary address on the routing
 * subdomain is where Google forwards the user's mail after migration. Licensing the user
 * (LicenseAssignment) turns it into a mailbox; from then on this resource keeps only the name,
 * alias, display name and routing address, and never deletes the mailbox.
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
   * Password of the Microsoft 365 account, at least 8 characters. Always stored as a secret input
   * (the resource wraps it); outputs hold only a salted scrypt fingerprint, which is how a changed
   * password is found. Changing it resets the password while a mail user.
   */
  readonly password: pulumi.Input<string>;
  /**
   * Secondary SMTP address on the Microsoft 365 routing subdomain, e.g. `alice@o365.contoso.com`:
   * the address Google forwards to after migration. Updated in place; a removed address is drift
   * and is added again.
   */
  readonly routingAddress: pulumi.Input<string>;
  /**
   * Take over an existing recipient with the `externalEmailAddress` instead of failing; it is
   * changed to match these inputs (a mail user's password is reset).
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
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
  adopt: boolean;
  /** Exchange object GUID (the resource id). */
  guid: string;
  /** The Entra user's object id. */
  externalDirectoryObjectId?: string;
  primarySmtpAddress?: string;
  /** Every proxy address as Exchange shows it (`SMTP:` primary, `smtp:` secondary). */
  emailAddresses: string[];
  /** `MailUser`, or `UserMailbox` once the user is licensed (that is not drift). */
  recipientTypeDetails: string;
  /** `scrypt$<salt>$<hash>` of the password last set; a secret output. */
  passwordHash: string;
}

const RESOURCE = "MailUser";
/** A new mail user can take about 90 s to be visible to the next cmdlet (exchange-admin-api.md §2.3). */
const NEW_OBJECT_LAG_MS = 120_000;
const MIN_PASSWORD_LENGTH = 8;

/** Outputs from what Exchange shows; what it did not return keeps the `fallback` (inputs or state). */
export function stateFrom(live: Recipient, fallback: Record<string, unknown>, passwordHash: string): MailUserState {
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
    adopt: fallback.adopt === true,
    guid: live.guid,
    externalDirectoryObjectId: keep(live.externalDirectoryObjectId, "externalDirectoryObjectId"),
    primarySmtpAddress: keep(live.primarySmtpAddress, "primarySmtpAddress"),
    emailAddresses: live.emailAddresses,
    recipientTypeDetails: live.recipientTypeDetails,
    passwordHash,
  });
}

async function getRecipient(identity: string): Promise<Recipient | undefined> {
  const found = await findExchangeObject("Get-Recipient", identity);
  return found ? parseRecipient(found) : undefined;
}

const label = (live: Recipient): string => `${live.primarySmtpAddress ?? live.guid} (${live.recipientTypeDetails})`;

/**
 * Applies `changesToApply`, tells the user what a mailbox kept, and returns the object as it is
 * now. `justCreated`: Exchange may not show a new object to the next cmdlet for a while
 * (exchange-admin-api.md §2.3), so a not-found answer is retried until it does.
 */
async function reconcile(live: Recipient, desired: DesiredMailUser, options: { previousRoutingAddress?: string; justCreated?: boolean }): Promise<Recipient> {
  const change = changesToApply(live, desired, options);
  if (change.ignored.length > 0) {
    note(RESOURCE, `${label(live)}: left ${change.ignored.join(", ")} as they are; ${isMailbox(live.recipientTypeDetails) ? "a mailbox belongs to its user now" : "only New-MailUser sets them"}.`);
  }
  if (change.keptRoutingAddress) {
    note(RESOURCE, `${label(live)}: kept the previous routing address ${change.keptRoutingAddress} as well, because Google may still forward to it; remove it once the user's GoogleForwardingRoute points to ${desired.routingAddress}.`);
  }
  const hasAddressChange = change.addresses.add !== undefined || change.addresses.remove !== undefined;
  if (Object.keys(change.parameters).length === 0 && !hasAddressChange) return live;
  const set = (): Promise<unknown> =>
    apis().exchange.invoke(change.cmdlet, {
      Identity: live.guid,
      ...change.parameters,
      ...(hasAddressChange ? { EmailAddresses: apis().exchange.addRemove(change.addresses) } : {}),
    });
  if (!options.justCreated) {
    await set();
  } else {
    const applied = await pollUntil(async () => ((await unlessNotFound(set())) === undefined ? undefined : true), { timeoutMs: NEW_OBJECT_LAG_MS });
    if (!applied) throw new Error(`Exchange does not show ${live.guid} to ${change.cmdlet} after ${NEW_OBJECT_LAG_MS / 1000} s`);
  }
  return afterChange(live, change);
}

/** New-MailUser's answer as a Recipient, or undefined when a recipient with the address or sign-in name already exists. */
async function newMailUser(desired: DesiredMailUser): Promise<Recipient | undefined> {
  let created: Record<string, unknown> | undefined;
  try {
    [created] = await apis().exchange.invoke("New-MailUser", {
      Name: desired.name,
      Alias: desired.alias,
      DisplayName: desired.displayName,
      ...(desired.firstName !== undefined ? { FirstName: desired.firstName } : {}),
      ...(desired.lastName !== undefined ? { LastName: desired.lastName } : {}),
      ExternalEmailAddress: desired.externalEmailAddress,
      MicrosoftOnlineServicesID: desired.microsoftOnlineServicesId,
      Password: apis().exchange.mailUserPassword(desired.password),
    });
  } catch (error) {
    if ((error as { alreadyExists?: boolean }).alreadyExists) return undefined;
    throw error;
  }
  const answer = created ? parseRecipient(created) : undefined;
  if (answer?.guid) return answer;
  const found = await pollUntil(() => getRecipient(desired.externalEmailAddress), { timeoutMs: NEW_OBJECT_LAG_MS });
  if (!found) {
    throw new Error(`${RESOURCE}: New-MailUser for ${desired.externalEmailAddress} succeeded but Exchange does not show the object; run pulumi up again (it will be taken over as identical).`);
  }
  return found;
}

/** An existing recipient with the address: taken over when identical or adopted, refused otherwise. */
async function takeOver(existing: Recipient, desired: DesiredMailUser): Promise<Recipient> {
  const { differences } = changesToApply(existing, desired);
  const identical = !isMailbox(existing.recipientTypeDetails) && differences.length === 0;
  if (identical) {
    note(RESOURCE, `found an identical mail user ${label(existing)} (left by an interrupted create?); taking it over without resetting its password.`);
    return reconcile(existing, desired, {});
  }
  if (!desired.adopt) {
    const what = isMailbox(existing.recipientTypeDetails) ? `as a ${existing.recipientTypeDetails}` : `with a different ${differences.join(", ")}`;
    throw new Error(`${RESOURCE}: ${desired.externalEmailAddress} already exists in Exchange Online ${what}; set adopt: true to take it over (it will be changed to match).`);
  }
  note(RESOURCE, `adopting ${label(existing)} and changing it to match.`);
  const adopted = await reconcile(existing, desired, {});
  if (!isMailbox(existing.recipientTypeDetails)) await apis().graph.setPassword(desired.microsoftOnlineServicesId, desired.password);
  return adopted;
}

export const mailUserProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const name = inputs.name("name", { required: true, maxLength: 64 });
    inputs.alias("alias", { required: true });
    inputs.name("displayName", { fallback: name });
    inputs.name("firstName", { maxLength: 64 });
    inputs.name("lastName", { maxLength: 64 });
    const external = inputs.email("externalEmailAddress", { required: true });
    inputs.email("microsoftOnlineServicesId", { required: true });
    const password = inputs.text("password", { required: true, secret: true });
    const routing = inputs.email("routingAddress", { required: true });
    inputs.boolean("adopt", false);
    if (password !== undefined && !isUnknown(password)) {
      registerSecret(password);
      if (password.length < MIN_PASSWORD_LENGTH) inputs.problem("password", `must be at least ${MIN_PASSWORD_LENGTH} characters long (Microsoft 365 password rules)`);
    }
    if (external && routing && !isUnknown(external) && !isUnknown(routing) && domainOf(routing) === domainOf(external)) {
      inputs.problem(
        "routingAddress",
        `${routing} is in ${domainOf(external)}, the user's own domain; Google will not forward there. Use the Microsoft 365 routing subdomain, e.g. ${routing.split("@")[0]}@o365.${domainOf(external)}`,
      );
    }
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planMailUserDiff(olds, news);
  },

  async create(inputs) {
    const desired = inputs as DesiredMailUser;
    const passwordHash = passwordFingerprint(desired.password);
    // No existence check first: New-MailUser refuses an address in use, and only then is the
    // recipient read. Two Exchange calls a new user instead of four (docs/benchmark.md).
    const created = await newMailUser(desired);
    if (!created) {
      const existing = await getRecipient(desired.externalEmailAddress);
      if (!existing) {
        throw new Error(`${RESOURCE}: ${desired.microsoftOnlineServicesId} is already taken by another Microsoft 365 user, but no recipient has ${desired.externalEmailAddress}; remove that user or set microsoftOnlineServicesId to a free sign-in name.`);
      }
      const live = await takeOver(existing, desired);
      return { id: live.guid, outs: stateFrom(live, inputs, passwordHash) };
    }
    try {
      const live = await reconcile(created, desired, { justCreated: true });
      return { id: created.guid, outs: stateFrom(live, inputs, passwordHash) };
    } catch (error) {
      throw createdButNotReady(
        `${RESOURCE}: created ${desired.externalEmailAddress} (${created.guid}) but adding the routing address failed: ${(error as Error).message}; run pulumi up again to add ${desired.routingAddress}.`,
        created.guid,
        stateFrom(created, inputs, passwordHash),
        inputs,
      );
    }
  },

  async read(id, props) {
    const listed = await apis().snapshots.recipientByIdentity(id);
    const live = listed ? parseRecipient(listed) : await getRecipient(id);
    if (!live) return {};
    return { id, props: stateFrom(live, props, props.passwordHash) };
  },

  async update(id, olds, news) {
    const desired = news as DesiredMailUser;
    const live = await getRecipient(id);
    if (!live) {
      throw new Error(`${RESOURCE}: ${olds.externalEmailAddress} (${id}) no longer exists in Exchange Online; run pulumi refresh, then pulumi up to create it again.`);
    }
    const resetPassword = !isMailbox(live.recipientTypeDetails) && !matchesFingerprint(desired.password, olds.passwordHash);
    const updated = await reconcile(live, desired, { previousRoutingAddress: olds.routingAddress });
    // Set-MailUser -Password is for users changing their own; an administrator resets it in Entra ID.
    if (resetPassword) await apis().graph.setPassword(desired.microsoftOnlineServicesId, desired.password);
    const passwordHash = resetPassword ? passwordFingerprint(desired.password) : olds.passwordHash;
    return { outs: stateFrom(updated, news, passwordHash) };
  },

  async delete(id, props) {
    // One call a user. The recipient comes from the shared list when many are deleted (docs/benchmark.md,
    // "Destroy"): a mail user there goes with Remove-MailUser; a mailbox there skips it and the read.
    // Remove-MailUser does not find a mailbox (a state or list from before licensing still says
    // MailUser), and only then is the recipient read on its own.
    const listed = await apis().snapshots.recipientByIdentity(id);
    const known = listed ? parseRecipient(listed) : undefined;
    const removeMailUser = (): Promise<boolean> => removeExchangeObject("Remove-MailUser", id);
    if (!isMailbox(known?.recipientTypeDetails ?? props.recipientTypeDetails) && (await removeMailUser())) return;
    const live = known && isMailbox(known.recipientTypeDetails) ? known : await getRecipient(id);
    if (!live) {
      note(RESOURCE, `${props.externalEmailAddress} (${id}) is already gone from Exchange Online.`);
      return;
    }
    if (isMailbox(live.recipientTypeDetails)) {
      const routingAddress: string = props.routingAddress;
      const onMailbox = hasSmtpAddress(live.emailAddresses, routingAddress);
      if (onMailbox && routingAddressReleasable(await autoForwardingOf(props.externalEmailAddress), routingAddress)) {
        await apis().exchange.invoke("Set-Mailbox", { Identity: id, EmailAddresses: apis().exchange.addRemove({ remove: `smtp:${routingAddress}` }) });
        note(RESOURCE, `${label(live)} was migrated: kept the mailbox; removed the routing address ${routingAddress}, which Gmail no longer forwards to.`);
        return;
      }
      const kept = onMailbox ? `the mailbox and its routing address ${routingAddress} (Gmail still forwards to it)` : "the mailbox";
      note(RESOURCE, `${label(live)} was migrated: kept ${kept}, so no mail is lost; only this resource's record was removed.`);
      return;
    }
    await removeMailUser();
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
  declare readonly guid: pulumi.Output<string>;
  declare readonly externalDirectoryObjectId: pulumi.Output<string | undefined>;
  declare readonly primarySmtpAddress: pulumi.Output<string | undefined>;
  declare readonly emailAddresses: pulumi.Output<string[]>;
  declare readonly recipientTypeDetails: pulumi.Output<string>;

  constructor(name: string, args: MailUserArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        guid: undefined,
        externalDirectoryObjectId: undefined,
        primarySmtpAddress: undefined,
        emailAddresses: undefined,
        recipientTypeDetails: undefined,
        ...args,
        password: secret(args.password),
      },
      mergeOptions(opts, { additionalSecretOutputs: ["passwordHash"] }),
      "coexist",
      "MailUser",
    );
  }
}
