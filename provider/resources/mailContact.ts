import type * as pulumi from "@pulumi/pulumi";
import { apis } from "../clients";
import { domainOf } from "../routing/addresses";
import { FieldRule, sameIgnoringCase, sameSet } from "./diff";
import { InputChecker, isUnknown, UNKNOWN } from "./inputs";
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
  objectDiff,
  objectState,
  parseObject,
  primaryOf,
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
import { acceptedDomainNames, unroutableNote } from "./proxyAddresses";
import { configureFromStack, engineOutputs, serializableProvider } from "./serializable";

const RESOURCE = "MailContact";

/**
 * An Exchange Online mail contact: an address Exchange sends out of the organisation. Two uses:
 *
 * - a Google group kept at Google: the contact holds the group's address (`primarySmtpAddress`, e.g.
 *   `support@contoso.com`) and its aliases, and sends their mail to `externalEmailAddress`, an
 *   address of the same group on a domain whose MX stays at Google (its alias-domain address, e.g.
 *   `support@gsuite.contoso.com`). So the group keeps receiving once the primary domain is
 *   Authoritative and its MX points to Microsoft 365, and Microsoft 365 senders reach it at every
 *   stage. It relies on that DNS: while the group is kept, the MX of the external address's domain
 *   must point to Google;
 * - an outside member of a migrated group (a distribution group can only hold recipients): the
 *   contact is the outside address itself.
 *
 * The contact's custom attribute `ownerAttribute` carries this stack's mark: delete removes only a
 * contact that carries it; an adopted contact is restored, never removed, unless `deleteAdopted`.
 */
export interface MailContactArgs extends MarkedRecipientArgs {
  /** The contact's Exchange name (at most 64 characters, unique among recipients). Updated in place. */
  readonly name: pulumi.Input<string>;
  /**
   * Where Exchange sends the contact's mail, e.g. `support@gsuite.contoso.com`: for a group kept at
   * Google, an address of the group on a domain whose MX stays at Google. Updated in place.
   */
  readonly externalEmailAddress: pulumi.Input<string>;
  /**
   * The address people use, e.g. `support@contoso.com`: the contact's primary SMTP address, on an
   * accepted domain. Changing it replaces the contact.
   * @default the `externalEmailAddress` (an outside address)
   */
  readonly primarySmtpAddress?: pulumi.Input<string>;
  /**
   * The contact's other addresses (the kept group's aliases). Those on an accepted domain of
   * Exchange Online become proxy addresses; the others are reported (a note, and the output
   * `unroutableAddresses`). An address removed from the list is removed from the contact.
   * @default []
   */
  readonly emailAddresses?: pulumi.Input<pulumi.Input<string>[]>;
}

/** The checked inputs, as create and update receive them. */
export interface DesiredContact extends DesiredObject {
  externalEmailAddress: string;
}

export interface MailContactState extends DesiredContact, ObjectState {}

const fields: FieldRule[] = [
  { field: "primarySmtpAddress", replaces: true, equal: sameIgnoringCase },
  { field: "externalEmailAddress", equal: sameIgnoringCase },
  { field: "name" },
  { field: "alias" },
  { field: "displayName" },
  { field: "emailAddresses", equal: sameSet },
  { field: "deleteAdopted", equal: (a, b) => (a === true) === (b === true) },
];

/**
 * The Set-MailContact parameters for what only a contact has: its external address, and its
 * primary address when that is not the external one (New-MailContact makes the external address
 * the primary; the whole proxy list is sent then, with the wanted primary as `SMTP:`).
 */
export function contactParameters(live: LiveObject, desired: DesiredContact, shared: Record<string, unknown>): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if ((live.externalEmailAddress ?? "") !== desired.externalEmailAddress) parameters.ExternalEmailAddress = desired.externalEmailAddress;
  if (primaryOf(live.emailAddresses) === desired.primarySmtpAddress) return parameters;
  const after = afterSet(live, shared).emailAddresses.filter((proxy) => proxy.replace(/^smtp:/i, "").toLowerCase() !== desired.primarySmtpAddress);
  parameters.EmailAddresses = [`SMTP:${desired.primarySmtpAddress}`, ...after.map((proxy) => (proxy.startsWith("SMTP:") ? `smtp:${proxy.slice(5)}` : proxy))];
  return parameters;
}

/** Brings the contact to the inputs with one Set-MailContact; returns it as it is now and the addresses Exchange cannot hold. */
async function reconcile(live: LiveObject, desired: DesiredContact, options: { previousAddresses?: string[]; mark?: string }): Promise<{ live: LiveObject; unroutable: string[] }> {
  const accepted = await acceptedDomainNames();
  if (desired.primarySmtpAddress !== desired.externalEmailAddress && !accepted.has(domainOf(desired.primarySmtpAddress))) {
    throw new Error(
      `${RESOURCE}: the primarySmtpAddress ${desired.primarySmtpAddress} is on ${domainOf(desired.primarySmtpAddress)}, which is not an accepted domain of Exchange Online, so the contact cannot hold it; ` +
        "verify the domain in Microsoft 365 with Email, or leave primarySmtpAddress unset (the contact is then known by its external address).",
    );
  }
  const change = sharedChanges(live, desired, { previousAddresses: options.previousAddresses, acceptedDomains: accepted, mark: options.mark, keep: [desired.externalEmailAddress] });
  // When the whole proxy list is sent, it replaces the Add/Remove table and already holds its changes.
  const parameters = { ...change.parameters, ...contactParameters(live, desired, change.parameters) };
  await setObject(MAIL_CONTACT, live.guid, parameters);
  if (change.unroutable.length > 0) note(RESOURCE, unroutableNote(`mail contact ${desired.primarySmtpAddress}`, change.unroutable, "unroutableAddresses"));
  return { live: afterSet(live, parameters), unroutable: change.unroutable };
}

function steps(desired: DesiredContact): ObjectSteps<MailContactState> {
  return {
    reconcile: (live, options) => reconcile(live, desired, options),
    state: (live, ownership, unroutable, saved) => engineOutputs({ ...desired, ...objectState(live, ownership, unroutable, saved) }),
  };
}

async function newContact(desired: DesiredContact, owner: string): Promise<LiveObject> {
  const [created] = await apis().exchange.invoke("New-MailContact", {
    Name: creatingName(desired, owner),
    Alias: desired.alias,
    DisplayName: desired.displayName,
    ExternalEmailAddress: desired.externalEmailAddress,
  });
  return parseObject(created ?? {});
}

/** A contact's alias default: the primary address's local part, and for an outside address its domain too (no clash with a user's alias). */
export function defaultContactAlias(primary: string, external: string | undefined): string {
  const local = primary.slice(0, primary.lastIndexOf("@"));
  const alias = primary === external ? `${local}.${domainOf(primary)}` : local;
  return alias.replace(/[^A-Za-z0-9._'-]/g, "-").slice(0, 64);
}

export const mailContactProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const name = inputs.name("name", { required: true, maxLength: 64 });
    const external = inputs.email("externalEmailAddress", { required: true });
    const primary = inputs.email("primarySmtpAddress", { fallback: external });
    const known = primary && external && !isUnknown(primary) && !isUnknown(external);
    inputs.alias("alias", { fallback: primary && (known ? defaultContactAlias(primary, external) : UNKNOWN), required: true });
    inputs.name("displayName", { fallback: name, maxLength: 256 });
    checkSharedInputs(inputs, olds, MAIL_CONTACT, primary);
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return objectDiff(olds, news, fields);
  },

  async create(inputs) {
    const desired = inputs as DesiredContact;
    return createObject(MAIL_CONTACT, DISTRIBUTION_GROUP, inputs, desired, {
      ...steps(desired),
      create: (owner) => newContact(desired, owner),
      differences: async (live) => {
        const change = sharedChanges(live, desired, { acceptedDomains: await acceptedDomainNames(), keep: [desired.externalEmailAddress] });
        return [...change.differences, ...Object.keys(contactParameters(live, desired, change.parameters))];
      },
      saved: async (live) => savedObject(live, desired),
    });
  },

  async read(id, props) {
    return readObject(MAIL_CONTACT, id, props, (live) => ({ externalEmailAddress: live.externalEmailAddress ?? props.externalEmailAddress }));
  },

  async update(id, olds, news) {
    const desired = news as DesiredContact;
    return updateObject(MAIL_CONTACT, id, desired, olds as MailContactState, steps(desired));
  },

  async delete(id, props) {
    await deleteObject(MAIL_CONTACT, id, props, async (live, saved) => {
      const parameters = restoreParameters(live, saved, String(props.ownerAttribute));
      if (saved.externalEmailAddress && saved.externalEmailAddress !== live.externalEmailAddress) parameters.ExternalEmailAddress = saved.externalEmailAddress;
      await setObject(MAIL_CONTACT, id, parameters);
    });
  },
};

const provider = serializableProvider("mailContact", "mailContactProvider");

/** An Exchange Online mail contact: the route to a Google group kept at Google, or an outside member of a migrated group. */
export class MailContact extends MarkedRecipient {
  declare readonly externalEmailAddress: pulumi.Output<string>;

  constructor(name: string, args: MailContactArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, args, opts, "MailContact");
  }
}
