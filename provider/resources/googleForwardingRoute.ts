import type * as pulumi from "@pulumi/pulumi";
import { apis, autoForwardingOf, findExchangeObject } from "../clients";
import type { AutoForwarding } from "../clients/google";
import { domainOf } from "../routing/addresses";
import { FieldRule, planDiff, sameIgnoringCase } from "./diff";
import { InputChecker, isUnknown } from "./inputs";
import { note } from "./log";
import { configureFromStack, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

export type Disposition = "trash" | "archive" | "markRead" | "leaveInInbox";
const DISPOSITIONS: readonly Disposition[] = ["trash", "archive", "markRead", "leaveInInbox"];

/**
 * Gmail automatic forwarding of a migrated user's mail to the user's routing-subdomain address
 * in Microsoft 365. Gmail has one forwarding target per mailbox, so the resource is that
 * mailbox's forwarding (id = the user's address). Create it only once the user is a Microsoft
 * 365 mailbox (depend on the LicenseAssignment): forwarding to a mail user loops back to Google.
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
   * Take over a mailbox that already forwards elsewhere (it will be changed to forward here)
   * instead of failing. Identical forwarding is always taken over.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
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
}

/** The checked inputs, as create and update receive them. */
type DesiredRoute = Omit<GoogleForwardingRouteState, "disposition" | "enabled" | "forwardingEmail"> & { disposition: Disposition };

const RESOURCE = "GoogleForwardingRoute";

const fields: FieldRule[] = [
  { field: "userEmail", replaces: true, equal: sameIgnoringCase },
  { field: "forwardTo", equal: sameIgnoringCase },
  { field: "disposition" },
  { field: "requireMailbox" },
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
export function existingForwarding(settings: AutoForwarding, desired: DesiredRoute): "none" | "identical" | "adopt" | "refuse" {
  if (!settings.enabled) return "none";
  if (forwardsAsWanted(settings, desired)) return "identical";
  return desired.adopt ? "adopt" : "refuse";
}

/** Refuses, with the reason, a target that is not a mailbox in Exchange Online. */
async function assertMailbox(desired: DesiredRoute): Promise<void> {
  if (!desired.requireMailbox) return;
  // A batch's routes ask at once: one list of the tenant's mailboxes answers them all.
  if (await apis().snapshots.mailboxNow(desired.forwardTo)) return;
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

/** Makes `forwardTo` an accepted forwarding address of the mailbox; refuses one Google left pending. */
async function ensureForwardingAddress(desired: DesiredRoute): Promise<void> {
  const existing = await apis().google.getForwardingAddress(desired.userEmail, desired.forwardTo);
  const address = existing ?? (await apis().google.createForwardingAddress(desired.userEmail, desired.forwardTo));
  if (address.verificationStatus === "accepted") return;
  throw new Error(
    `${RESOURCE}.forwardTo: Google left ${desired.forwardTo} "${address.verificationStatus}" for ${desired.userEmail}: it forwards without verification only to the user's own domain, ` +
      `its subdomains or domain aliases, and has mailed a verification link to ${desired.forwardTo} instead. Use the routing address on a subdomain of ` +
      `${domainOf(desired.userEmail)} (e.g. ${desired.userEmail.split("@")[0]}@o365.${domainOf(desired.userEmail)}), or have the link opened and run pulumi up again.`,
  );
}

/** Switches forwarding on to `forwardTo`: mailbox check, accepted address, then the full settings. */
async function forward(desired: DesiredRoute): Promise<AutoForwarding> {
  await assertMailbox(desired);
  await ensureForwardingAddress(desired);
  return apis().google.updateAutoForwarding(desired.userEmail, { enabled: true, emailAddress: desired.forwardTo, disposition: desired.disposition });
}

function stateOf(desired: DesiredRoute, settings: AutoForwarding): GoogleForwardingRouteState {
  return engineOutputs({
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
    inputs.boolean("adopt", false);
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
        return { id: desired.userEmail, outs: stateOf(desired, settings) };
      case "refuse":
        throw new Error(
          `${RESOURCE}: ${desired.userEmail} already forwards to ${settings.emailAddress} (${settings.disposition}); set adopt: true to take it over (it will be changed to forward to ${desired.forwardTo}, ${desired.disposition}).`,
        );
      case "adopt":
        note(RESOURCE, `${desired.userEmail} forwarded to ${settings.emailAddress} (${settings.disposition}); changing it to ${desired.forwardTo} (${desired.disposition}).`);
        break;
      case "none":
        break;
    }
    return { id: desired.userEmail, outs: stateOf(desired, await forward(desired)) };
  },

  async read(id, props) {
    const settings = await autoForwardingOf(id);
    if (!settings) return {};
    return { id, props: { ...props, ...stateOf(props as DesiredRoute, settings) } };
  },

  async update(_id, olds, news) {
    const desired = news as DesiredRoute;
    const settings = await forward(desired);
    const previous = olds.forwardTo as string;
    if (previous.toLowerCase() !== desired.forwardTo.toLowerCase()) {
      await apis().google.deleteForwardingAddress(desired.userEmail, previous);
    }
    return { outs: stateOf(desired, settings) };
  },

  async delete(id, props) {
    const settings = await autoForwardingOf(id);
    if (!settings) {
      note(RESOURCE, `Google Workspace has no user ${id} any more; nothing to switch off.`);
      return;
    }
    // Forwarding goes off before its address goes, so Gmail never forwards to a removed address.
    if (settings.enabled && sameIgnoringCase(settings.emailAddress, props.forwardTo)) {
      await apis().google.updateAutoForwarding(id, { enabled: false });
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
    super(provider, name, { enabled: undefined, forwardingEmail: undefined, ...args }, opts, "coexist", "GoogleForwardingRoute");
  }
}
