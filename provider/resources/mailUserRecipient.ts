/**
 * A mail user's Exchange side: reading the recipient, sending the changes a plan says (waiting while
 * Exchange does not show a new object yet), and what delete does with a mailbox or an adopted user.
 */
import { apis, autoForwardingOf, findExchangeObject, unlessNotFound } from "../clients";
import { DEPARTED, unlessDeparted } from "./departedUsers";
import { note } from "./log";
import { graphWrite, managesSignIn, replicationTimeoutMs } from "./mailUserAccount";
import {
  afterChange,
  changesToApply,
  hasSmtpAddress,
  isMailbox,
  parseRecipient,
  restoreChange,
  routingAddressReleasable,
  type AdoptedSettings,
  type DesiredMailUser,
  type Recipient,
  type RecipientChange,
} from "./mailUserPlan";
import { pollUntil } from "./poll";
import { acceptedDomainNames, unroutableNote } from "./proxyAddresses";

const RESOURCE = "MailUser";

export async function getRecipient(identity: string): Promise<Recipient | undefined> {
  const found = await findExchangeObject("Get-Recipient", identity);
  return found ? parseRecipient(found) : undefined;
}

/**
 * The recipient from the deployment's shared list, or read on its own when the list does not show
 * it: for reads made before this deployment writes to the recipient (clients/snapshots.ts).
 */
export async function listedRecipient(identity: string): Promise<Recipient | undefined> {
  const listed = await apis().snapshots.recipientByIdentity(identity);
  return listed ? parseRecipient(listed) : getRecipient(identity);
}

export const label = (live: Recipient): string => `${live.primarySmtpAddress ?? live.guid} (${live.recipientTypeDetails})`;

/** A single address as itself, several as a list: the hashtable takes either, and one address keeps its form on the wire. */
function oneOrMany(addresses: RecipientChange["addresses"]): { add?: string | string[]; remove?: string | string[] } {
  const shape = (list: string[] | undefined): string | string[] | undefined => (list === undefined || list.length === 0 ? undefined : list.length === 1 ? list[0] : list);
  return { add: shape(addresses.add), remove: shape(addresses.remove) };
}

/** Sends one Set-MailUser/Set-Mailbox; `justCreated`: retried while Exchange does not show the new object yet. */
export async function send(live: Recipient, change: RecipientChange, desired: { replicationTimeoutSeconds?: number }, justCreated = false): Promise<void> {
  const hasAddressChange = (change.addresses.add ?? []).length > 0 || (change.addresses.remove ?? []).length > 0;
  if (Object.keys(change.parameters).length === 0 && !hasAddressChange) return;
  const set = (): Promise<unknown> =>
    apis().exchange.invoke(change.cmdlet, {
      Identity: live.guid,
      ...change.parameters,
      ...(hasAddressChange ? { EmailAddresses: apis().exchange.addRemove(oneOrMany(change.addresses)) } : {}),
    });
  if (!justCreated) {
    await set();
    return;
  }
  const applied = await pollUntil(async () => ((await unlessNotFound(set())) === undefined ? undefined : true), {
    timeoutMs: replicationTimeoutMs(desired),
    progress: { resource: RESOURCE, waitingFor: "Exchange to show new mail users to Set-MailUser (up to about 90 s observed)", subject: live.primarySmtpAddress ?? live.guid, setting: "replicationTimeoutSeconds" },
  });
  if (!applied) {
    throw new Error(`Exchange does not show ${live.guid} to ${change.cmdlet} after ${replicationTimeoutMs(desired) / 1000} s; run pulumi up again to keep waiting, or raise replicationTimeoutSeconds.`);
  }
}

/** The accepted domains, read only when the user has aliases to place. */
export async function acceptedDomainsFor(aliases: readonly string[] | undefined): Promise<ReadonlySet<string>> {
  return aliases?.length ? acceptedDomainNames() : new Set();
}

/**
 * Applies `changesToApply` (with the owner's mark when given), tells the user what a mailbox kept
 * and which aliases Exchange cannot hold, and returns the object as it is now with those aliases.
 */
export async function reconcile(
  live: Recipient,
  desired: DesiredMailUser,
  options: { previousRoutingAddress?: string; previousAliases?: string[]; justCreated?: boolean; mark?: { attribute: string; value: string } },
): Promise<{ recipient: Recipient; unroutableAliases: string[] }> {
  const change = changesToApply(live, desired, { ...options, acceptedDomains: await acceptedDomainsFor(desired.aliases) });
  if (change.ignored.length > 0) {
    note(RESOURCE, `${label(live)}: left ${change.ignored.join(", ")} as they are; ${isMailbox(live.recipientTypeDetails) ? "a mailbox belongs to its user now" : "only New-MailUser sets them"}.`);
  }
  if (change.keptRoutingAddress) {
    note(RESOURCE, `${label(live)}: kept the previous routing address ${change.keptRoutingAddress} as well, because Google may still forward to it; remove it once the user's GoogleForwardingRoute points to ${desired.routingAddress}.`);
  }
  const unroutableAliases = change.unroutableAliases ?? [];
  if (unroutableAliases.length > 0) note(RESOURCE, unroutableNote(label(live), unroutableAliases, "unroutableAliases"));
  await send(live, change, desired, options.justCreated);
  return { recipient: afterChange(live, change), unroutableAliases };
}

// -------------------------------------------------------------------------------------------------
// create

/** Whether Gmail may still forward to the routing address: only a departed Google user (positive Directory evidence) or forwarding elsewhere releases it. */
async function routingAddressFree(googleAddress: string, routingAddress: string): Promise<boolean> {
  const forwarding = await unlessDeparted(RESOURCE, googleAddress, "the check of its Gmail forwarding", () => autoForwardingOf(googleAddress));
  return forwarding === DEPARTED || routingAddressReleasable(forwarding, routingAddress);
}

/**
 * A migrated user's mailbox stays, always. What this stack added goes: its mark, and the routing
 * address once Gmail no longer forwards to it (removing it earlier would bounce forwarded mail).
 */
export async function keepMailbox(live: Recipient, props: Record<string, unknown>, attribute: string): Promise<void> {
  const routingAddress = String(props.routingAddress);
  const onMailbox = hasSmtpAddress(live.emailAddresses, routingAddress);
  const release = onMailbox && (await routingAddressFree(String(props.externalEmailAddress || live.primarySmtpAddress), routingAddress));
  const change: RecipientChange = {
    cmdlet: "Set-Mailbox",
    parameters: live.customAttributes[attribute] ? { [attribute]: "" } : {},
    addresses: release ? { remove: [`smtp:${routingAddress}`] } : {},
    differences: [],
    ignored: [],
  };
  await send(live, change, props);
  const kept = onMailbox && !release ? `the mailbox and its routing address ${routingAddress} (Gmail still forwards to it)` : "the mailbox";
  const removed = release ? `; removed the routing address ${routingAddress}, which Gmail no longer forwards to` : "";
  note(RESOURCE, `${label(live)} was migrated: kept ${kept}, so no mail is lost${removed}.`);
}

/** An adopted recipient gets back what it had; nothing is removed. */
export async function restoreAdopted(live: Recipient, props: Record<string, unknown>, facts: { adopted?: AdoptedSettings & { recipientTypeDetails: string }; signInEnabled?: boolean }, attribute: string): Promise<void> {
  const saved = facts.adopted!;
  const routingAddress = String(props.routingAddress);
  const mayRelease = !saved.hadRoutingAddress && hasSmtpAddress(live.emailAddresses, routingAddress);
  const releasable = mayRelease && (!isMailbox(live.recipientTypeDetails) || (await routingAddressFree(String(props.externalEmailAddress || live.primarySmtpAddress), routingAddress)));
  const aliases = Array.isArray(props.aliases) ? props.aliases.map(String) : [];
  await send(live, restoreChange(live, saved, attribute, routingAddress, releasable, aliases), props);
  const restoresSignIn = managesSignIn(saved) && saved.accountEnabled !== undefined && saved.accountEnabled !== facts.signInEnabled;
  if (restoresSignIn) {
    const upn = String(props.microsoftOnlineServicesId);
    const user = await apis().graph.getUser(upn, ["id", "accountEnabled"]);
    if (user) await graphWrite("signIn", upn, () => apis().graph.setAccountEnabled(user.id, saved.accountEnabled!));
  }
  const keptAddress = mayRelease && !releasable ? `; kept the routing address ${routingAddress} (Gmail still forwards to it)` : "";
  note(RESOURCE, `${label(live)} was adopted: restored its names, ${attribute}${restoresSignIn ? " and sign-in" : ""} as they were (a password set at adoption stays); nothing removed${keptAddress}.`);
}

