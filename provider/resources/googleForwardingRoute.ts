import type * as pulumi from "@pulumi/pulumi";
import { apis, autoForwardingOf, findExchangeObject } from "../clients";
import type { AutoForwarding, ForwardingAddress } from "../clients/google";
import { domainOf } from "../routing/addresses";
import { claim, handedOver } from "./claims";
import { DEPARTED, unlessDeparted } from "./departedUsers";
import { FieldRule, planDiff, sameIgnoringCase } from "./diff";
import type { Ownership } from "./ownership";
import { InputChecker, isUnknown } from "./inputs";
import { note } from "./log";
import { awaitMailbox } from "./mailboxWaits";
import { configureFromStack, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

export type Disposition = "trash" | "archive" | "markRead" | "leaveInInbox";
const DISPOSITIONS: readonly Disposition[] = ["trash", "archive", "markRead", "leaveInInbox"];

/**
 * Gmail automatic forwarding of a migrated user's mail to the user's routing-subdomain address
 * in Microsoft 365. Gmail has one forwarding target per mailbox, so the resource is that
 * mailbox's forwarding (id = the user's address). It forwards only once the user is a Microsoft
 * 365 mailbox: forwarding to a mail user loops back to Google. Depend on the LicenseAssignment, or
 * let the route wait for the mailbox beside it (`mailboxTimeoutSeconds`).
 */
export interface GoogleForwardingRouteArgs {
  /** The Google user, e.g. `alice@contoso.com`. Changing it replaces the route. */
  readonly userEmail: pulumi.Input<string>;
  /**
   * Where Gmail forwards, the user's routing address, e.g. `alice@o365.contoso.com`. It must be on
   * a subdomain (or domain alias) of the user's domain, or Google asks for verification and
   * forwarding cannot be switched on. Updated in place: the new target is switched on before the
   * old forwarding address is removed.
   */
  readonly forwardTo: pulumi.Input<string>;
  /**
   * What Gmail does with its own copy. `trash`, because the copy must not stay at the source:
   * the data migration would copy it again as a duplicate. Updated in place.
   * @default "trash"
   */
  readonly disposition?: pulumi.Input<Disposition>;
  /**
   * Refuse to forward unless `forwardTo` is a mailbox in Exchange Online: forwarding to a mail
   * user loops (554 5.4.14), to no recipient bounces (550 5.4.1). Turn off only for a target
   * outside this tenant.
   * @default true
   */
  readonly requireMailbox?: pulumi.Input<boolean>;
  /**
   * How long create waits, 0 to 86400 seconds, for `forwardTo` to become a mailbox before refusing
   * (0: refuse at once). With it the route may be created beside the LicenseAssignment that makes
   * the mailbox instead of after it: Gmail forwards the moment Exchange shows the mailbox, and a
   * licence that fails in the same run ends the wait at once. Only create and update wait, so a
   * change of it changes nothing.
   * @default 0
   */
  readonly mailboxTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Take over a mailbox that already forwards elsewhere (it will be changed to forward here, and
   * given its forwarding back on delete) instead of failing. Identical forwarding is always taken
   * over: it is this route.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Switch an adopted mailbox's forwarding off on delete, like a route this stack started, instead
   * of giving it back the forwarding it had.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
}

export interface GoogleForwardingRouteState {
  userEmail: string;
  forwardTo: string;
  /** Gmail's disposition as last seen. */
  disposition: string;
  requireMailbox: boolean;
  adopt: boolean;
  /** Whether Gmail forwards automatically, as last seen; false after refresh means it was switched off. */
  enabled: boolean;
  /** Gmail's current forwarding target ("" when none), as last seen. */
  forwardingEmail: string;
  /** The resource that declares the route (a set's name for a set's member). */
  holder?: string;
  deleteAdopted: boolean;
  /** `created`, or `adopted`: the mailbox forwarded elsewhere before (`adoptedForwarding`), given back on delete. */
  ownership?: Ownership;
  adoptedForwarding?: { emailAddress: string; disposition: string };
}

/** The checked inputs, as create and update receive them. */
type DesiredRoute = Omit<GoogleForwardingRouteState, "disposition" | "enabled" | "forwardingEmail" | "ownership" | "adoptedForwarding"> & {
  disposition: Disposition;
  mailboxTimeoutSeconds: number;
};
/** How the route came to be, as the state records it. */
type RouteOwnership = Pick<GoogleForwardingRouteState, "ownership" | "adoptedForwarding">;

const RESOURCE = "GoogleForwardingRoute";

const ownershipOf = (state: Record<string, unknown>): RouteOwnership => ({
  ownership: state.ownership as Ownership | undefined,
  adoptedForwarding: state.adoptedForwarding as RouteOwnership["adoptedForwarding"],
});

const fields: FieldRule[] = [
  { field: "userEmail", replaces: true, equal: sameIgnoringCase },
  { field: "forwardTo", equal: sameIgnoringCase },
  { field: "disposition" },
  { field: "requireMailbox" },
  // Delete reads it from the state; an unset value (a state written before it existed) is false.
  { field: "deleteAdopted", equal: (a, b) => (a === true) === (b === true) },
];

/** Whether Gmail's settings are exactly this route. */
export function forwardsAsWanted(settings: AutoForwarding, desired: Pick<DesiredRoute, "forwardTo" | "disposition">): boolean {
  return settings.enabled === true && (settings.emailAddress ?? "").toLowerCase() === desired.forwardTo.toLowerCase() && settings.disposition === desired.disposition;
}

/** The engine's diff: input changes, plus forwarding that refresh found off or pointing elsewhere. */
export function planRouteDiff(olds: Record<string, unknown>, news: Record<string, unknown>): pulumi.dynamic.DiffResult {
  const planned = planDiff(olds, news, fields);
  const drifted = olds.enabled === false || !sameIgnoringCase(olds.forwardingEmail, olds.forwardTo);
  return { ...planned, changes: planned.changes || drifted };
}

/** What to do about forwarding found on the mailbox when creating: start, take it over silently, or refuse. */
export function existingForwarding(settings: AutoForwarding, desired: Pick<DesiredRoute, "forwardTo" | "disposition" | "adopt">): "none" | "identical" | "adopt" | "refuse" {
  if (!settings.enabled) return "none";
  if (forwardsAsWanted(settings, desired)) return "identical";
  return desired.adopt ? "adopt" : "refuse";
}

/** Whether `forwardTo` is a mailbox, waited for up to `mailboxTimeoutSeconds`; refuses at once if the user's licensing failed in this run. */
async function mailboxWithin(desired: DesiredRoute): Promise<boolean> {
  // A batch's routes ask at once: one list of the tenant's mailboxes answers them all.
  const outcome = await awaitMailbox(desired.forwardTo, {
    owner: desired.userEmail,
    timeoutMs: (desired.mailboxTimeoutSeconds ?? 0) * 1000,
    progress: { resource: RESOURCE, waitingFor: "the users to forward to become Microsoft 365 mailboxes", subject: desired.userEmail, setting: "mailboxTimeoutSeconds" },
  });
  if (outcome && "licensingFailed" in outcome) {
    throw new Error(`${RESOURCE}: not forwarding ${desired.userEmail} to ${desired.forwardTo}: licensing ${desired.userEmail} failed in this run, so it is not a mailbox (${outcome.licensingFailed})`);
  }
  return outcome !== undefined;
}

/** Refuses, with the reason, a target that is not a mailbox in Exchange Online. */
async function assertMailbox(desired: DesiredRoute): Promise<void> {
  if (!desired.requireMailbox) return;
  if (await mailboxWithin(desired)) return;
  const recipient = await findExchangeObject("Get-Recipient", desired.forwardTo);
  const type = recipient ? String(recipient.RecipientTypeDetails ?? "") : undefined;
  if (type && /Mailbox$/.test(type)) return;
  const consequence = type
    ? `it is a ${type}, whose mail goes back to Google: forwarding now would loop (554 5.4.14 Hop count exceeded)`
    : "no Exchange recipient has that address: forwarded mail would bounce (550 5.4.1)";
  throw new Error(
    `${RESOURCE}: not forwarding ${desired.userEmail} to ${desired.forwardTo}: ${consequence}. License the user first and make this route depend on its LicenseAssignment (or add the address to the user's mailbox).`,
  );
}

/**
 * forwardingAddresses.create, never repeated blindly: when its outcome is unknown (no answer, or
 * one that does not prove it was not applied) the address is read first, and created once more
 * only when it is not there; "already exists" is answered by reading it.
 */
async function createForwardingAddress(desired: DesiredRoute): Promise<ForwardingAddress> {
  const read = (): Promise<ForwardingAddress | undefined> => apis().google.getForwardingAddress(desired.userEmail, desired.forwardTo);
  for (let attempt = 1; ; attempt++) {
    try {
      return await apis().google.createForwardingAddress(desired.userEmail, desired.forwardTo);
    } catch (error) {
      const { outcomeUnknown, status } = error as { outcomeUnknown?: boolean; status?: number };
      if (!outcomeUnknown && status !== 409) throw error;
      if (outcomeUnknown) note(RESOURCE, `forwardingAddresses.create of ${desired.forwardTo} for ${desired.userEmail} got no answer that says whether it was applied; reading before trying again.`);
      const found = await read();
      if (found) return found;
      if (!outcomeUnknown || attempt > 1) throw error;
    }
  }
}

/** Makes `forwardTo` an accepted forwarding address of the mailbox (`existing`: as read before); refuses one Google left pending. */
async function ensureForwardingAddress(desired: DesiredRoute, existing: ForwardingAddress | undefined): Promise<void> {
  const address = existing ?? (await createForwardingAddress(desired));
  if (address.verificationStatus === "accepted") return;
  throw new Error(
    `${RESOURCE}.forwardTo: Google left ${desired.forwardTo} "${address.verificationStatus}" for ${desired.userEmail}: it forwards without verification only to the user's own domain, ` +
      `its subdomains or domain aliases, and has mailed a verification link to ${desired.forwardTo} instead. Use the routing address on a subdomain of ` +
      `${domainOf(desired.userEmail)} (e.g. ${desired.userEmail.split("@")[0]}@o365.${domainOf(desired.userEmail)}), or have the link opened and run pulumi up again.`,
  );
}

/**
 * Switches forwarding on to `forwardTo`: mailbox check, accepted address, then the full settings.
 * The address is read before the mailbox check, so that once the mailbox is there (perhaps after
 * a wait) only the writes are left.
 */
async function forward(desired: DesiredRoute): Promise<AutoForwarding> {
  const existing = await apis().google.getForwardingAddress(desired.userEmail, desired.forwardTo);
  await assertMailbox(desired);
  await ensureForwardingAddress(desired, existing);
  return apis().google.updateAutoForwarding(desired.userEmail, { enabled: true, emailAddress: desired.forwardTo, disposition: desired.disposition });
}

function stateOf(desired: DesiredRoute, owned: RouteOwnership, settings: AutoForwarding): GoogleForwardingRouteState {
  return engineOutputs({
    ...owned,
    holder: desired.holder,
    deleteAdopted: desired.deleteAdopted,
    userEmail: desired.userEmail,
    forwardTo: desired.forwardTo,
    disposition: settings.disposition ?? "",
    requireMailbox: desired.requireMailbox,
    adopt: desired.adopt,
    enabled: settings.enabled === true,
    forwardingEmail: settings.enabled ? (settings.emailAddress ?? "").toLowerCase() : "",
  });
}

export const googleForwardingRouteProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const userEmail = inputs.email("userEmail", { required: true });
    const forwardTo = inputs.email("forwardTo", { required: true });
    inputs.oneOf("disposition", DISPOSITIONS, "trash");
    inputs.boolean("requireMailbox", true);
    inputs.integer("mailboxTimeoutSeconds", 0, { min: 0, max: 86_400 });
    inputs.boolean("adopt", false);
    inputs.boolean("deleteAdopted", false);
    const holder = inputs.text("holder");
    if (userEmail && holder && !isUnknown(userEmail) && !isUnknown(holder)) claim(RESOURCE, userEmail, holder);
    if (userEmail && forwardTo && !isUnknown(userEmail) && !isUnknown(forwardTo) && domainOf(forwardTo) === domainOf(userEmail)) {
      inputs.problem(
        "forwardTo",
        `${forwardTo} is in ${domainOf(userEmail)}, the user's own domain, which Google refuses as a forwarding target; use the routing subdomain, e.g. ${forwardTo.split("@")[0]}@o365.${domainOf(userEmail)}`,
      );
    }
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planRouteDiff(olds, news);
  },

  async create(inputs) {
    const desired = inputs as DesiredRoute;
    const settings = await autoForwardingOf(desired.userEmail);
    if (!settings) throw new Error(`${RESOURCE}.userEmail: Google Workspace has no user ${desired.userEmail}.`);
    switch (existingForwarding(settings, desired)) {
      case "identical":
        note(RESOURCE, `${desired.userEmail} already forwards to ${desired.forwardTo} (${desired.disposition}); taking it over.`);
        return { id: desired.userEmail, outs: stateOf(desired, { ownership: "created" }, settings) };
      case "refuse":
        throw new Error(
          `${RESOURCE}: ${desired.userEmail} already forwards to ${settings.emailAddress} (${settings.disposition}); set adopt: true to take it over (it will be changed to forward to ${desired.forwardTo}, ${desired.disposition}).`,
        );
      case "adopt": {
        note(RESOURCE, `${desired.userEmail} forwarded to ${settings.emailAddress} (${settings.disposition}); changing it to ${desired.forwardTo} (${desired.disposition}); delete gives it back.`);
        const adoptedForwarding = { emailAddress: String(settings.emailAddress), disposition: String(settings.disposition) };
        return { id: desired.userEmail, outs: stateOf(desired, { ownership: "adopted", adoptedForwarding }, await forward(desired)) };
      }
      case "none":
        break;
    }
    return { id: desired.userEmail, outs: stateOf(desired, { ownership: "created" }, await forward(desired)) };
  },

  async read(id, props) {
    // A departed user's route is kept as last seen: Gmail shows nothing for it, and nothing forwards.
    const settings = await unlessDeparted(RESOURCE, id, "reading its Gmail forwarding", () => autoForwardingOf(id));
    if (settings === DEPARTED) return { id, props };
    if (!settings) return {};
    return { id, props: { ...props, ...stateOf(props as DesiredRoute, ownershipOf(props), settings) } };
  },

  async update(_id, olds, news) {
    const desired = news as DesiredRoute;
    const settings = await forward(desired);
    const previous = olds.forwardTo as string;
    if (previous.toLowerCase() !== desired.forwardTo.toLowerCase()) {
      await apis().google.deleteForwardingAddress(desired.userEmail, previous);
    }
    return { outs: stateOf(desired, ownershipOf(olds), settings) };
  },

  async delete(id, props) {
    if (handedOver(RESOURCE, id, props.holder)) return;
    const settings = await unlessDeparted(RESOURCE, id, "switching its forwarding off", () => autoForwardingOf(id));
    if (settings === DEPARTED) return;
    if (!settings) {
      note(RESOURCE, `Google Workspace has no user ${id} any more; nothing to switch off.`);
      return;
    }
    const restore = props.ownership === "adopted" && props.deleteAdopted !== true ? (props.adoptedForwarding as RouteOwnership["adoptedForwarding"]) : undefined;
    // Forwarding goes off (or back to what an adopted mailbox had) before its address goes, so Gmail
    // never forwards to a removed address.
    if (settings.enabled && sameIgnoringCase(settings.emailAddress, props.forwardTo)) {
      await apis().google.updateAutoForwarding(id, restore ? { enabled: true, ...restore } : { enabled: false });
      if (restore) note(RESOURCE, `${id} was adopted: it forwards to ${restore.emailAddress} (${restore.disposition}) again, as before.`);
    } else if (settings.enabled) {
      note(RESOURCE, `${id} now forwards to ${settings.emailAddress}, not ${props.forwardTo}; left that forwarding on.`);
    }
    await apis().google.deleteForwardingAddress(id, props.forwardTo);
  },
};

const provider = serializableProvider("googleForwardingRoute", "googleForwardingRouteProvider");

/** Gmail automatic forwarding of one migrated user to the Microsoft 365 routing address. */
export class GoogleForwardingRoute extends DynamicResource {
  declare readonly userEmail: pulumi.Output<string>;
  declare readonly forwardTo: pulumi.Output<string>;
  declare readonly disposition: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly forwardingEmail: pulumi.Output<string>;

  constructor(name: string, args: GoogleForwardingRouteArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { disposition: undefined, enabled: undefined, forwardingEmail: undefined, ...args, holder: name }, opts, "coexist", "GoogleForwardingRoute");
  }
}
