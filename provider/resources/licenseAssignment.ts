import type * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject } from "../clients";
import type { AssignedLicense, GraphUser, SubscribedSku } from "../clients/graph";
import { claim, handedOver } from "./claims";
import { FieldRule, planDiff, sameIgnoringCase, sameSet, unlessUnset } from "./diff";
import type { Ownership } from "./ownership";
import { InputChecker, guidItem, isUnknown } from "./inputs";
import { note } from "./log";
import { licensingFailed, mailboxNow } from "./mailboxWaits";
import { pollUntil } from "./poll";
import { configureFromStack, createdButNotReady, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

export type OnDelete = "retain" | "remove";
const ON_DELETE: readonly OnDelete[] = ["retain", "remove"];

/**
 * A licence assigned directly to a Microsoft 365 user. An Exchange Online licence turns the
 * user's mail user into a mailbox: from then on mail from Microsoft 365 senders (and from the
 * Internet once the MX points there) stays in Microsoft 365, so license a batch only when its
 * data copy starts. The resource waits until Exchange shows the mailbox.
 */
export interface LicenseAssignmentArgs {
  /** The user, e.g. `alice@contoso.com`. Changing it replaces the assignment. */
  readonly userPrincipalName: pulumi.Input<string>;
  /**
   * The subscription: a skuPartNumber such as `EXCHANGESTANDARD`, or its skuId GUID. Checked
   * against the tenant's subscriptions at preview. Changing it to another SKU replaces the
   * assignment (the new licence is assigned before the old one is deleted).
   */
  readonly sku: pulumi.Input<string>;
  /**
   * servicePlanIds of the SKU to switch off. Updated in place. Do not list the Exchange plan:
   * the user would never get a mailbox.
   * @default []
   */
  readonly disabledPlans?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Two-letter country code, e.g. `GB`; a licence cannot be assigned without one. Set on the user
   * when it differs. Updated in place.
   * @default unset: the user's current usage location is kept (creating fails if it has none)
   */
  readonly usageLocation?: pulumi.Input<string>;
  /**
   * On delete: `retain` leaves the licence (after cutover the users live in Microsoft 365);
   * `remove` takes it away, for rolling back a user licensed by mistake. Removing it deletes
   * the cloud user's mailbox (soft-deleted for 30 days) and its addresses: mail for the user then
   * follows Internal Relay to Google, so stop any Google forwarding to the user first.
   * @default "retain"
   */
  readonly onDelete?: pulumi.Input<OnDelete>;
  /**
   * How long create waits for Exchange to show the mailbox, 0 to 86400 seconds (0: do not wait).
   * Microsoft: provisioning "typically takes less than 30 minutes", in some situations up to 24
   * hours. On timeout the licence stays assigned, the step fails, and the next `up` waits again.
   * @default 1800
   */
  readonly conversionTimeoutSeconds?: pulumi.Input<number>;
  /**
   * How long to wait, 0 to 3600 seconds, for Microsoft Graph to show the user: a mail user created
   * in the same `up` (a CSV row joining a batch that is already migrating) reaches Entra ID seconds
   * to minutes after New-MailUser. On timeout the step fails and the next `up` waits again.
   * @default 900
   */
  readonly userTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Take over a licence the user already has with other disabled plans (they are changed to
   * match) instead of failing. An identical assignment is always taken over. Either way the
   * assignment is recorded as adopted: with `onDelete: "remove"`, delete gives it back its disabled
   * plans and never removes it (unless `deleteAdopted`).
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * With `onDelete: "remove"`, remove an adopted licence too instead of restoring its disabled plans.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
}

export interface LicenseAssignmentState {
  userPrincipalName: string;
  sku: string;
  /** The resolved skuId. */
  skuId: string;
  skuPartNumber: string;
  disabledPlans: string[];
  /** The user's usage location as last seen. */
  usageLocation?: string;
  onDelete: OnDelete;
  conversionTimeoutSeconds: number;
  userTimeoutSeconds: number;
  adopt: boolean;
  deleteAdopted: boolean;
  /** `created`, or `adopted`: the user had the licence before (delete never removes it unless `deleteAdopted`). */
  ownership?: Ownership;
  /** The disabled plans an adopted licence had, given back on delete. */
  adoptedDisabledPlans?: string[];
  /** The resource that declares the assignment (a set's name for a set's member). */
  holder?: string;
  /** The Entra user's object id. */
  userId: string;
  /** Whether the user has the licence by direct assignment; false after refresh means it was removed out of band. */
  assigned: boolean;
  /** `UserMailbox` once Exchange has converted the user; as last seen by create or update. */
  recipientTypeDetails?: string;
}

/** The checked inputs, as create and update receive them. */
type DesiredLicense = Omit<LicenseAssignmentState, "userId" | "assigned" | "recipientTypeDetails" | "ownership" | "adoptedDisabledPlans">;
/** How the resource came to hold the assignment, as the state records it. */
type LicenseOwnership = Pick<LicenseAssignmentState, "ownership" | "adoptedDisabledPlans">;

const RESOURCE = "LicenseAssignment";
const MAILBOX = "UserMailbox";
const USER_SELECT = ["id", "userPrincipalName", "usageLocation", "assignedLicenses", "licenseAssignmentStates"];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COUNTRY = /^[A-Z]{2}$/;

const fields: FieldRule[] = [
  { field: "userPrincipalName", replaces: true, equal: sameIgnoringCase },
  { field: "disabledPlans", equal: sameSet },
  { field: "usageLocation", equal: unlessUnset(sameIgnoringCase) },
  { field: "onDelete" },
  // Delete reads it from the state; an unset value (a state written before it existed) is false.
  { field: "deleteAdopted", equal: (a, b) => (a === true) === (b === true) },
];

/** Whether `sku` (a part number in any case, or a skuId) names the SKU the assignment has. */
export function namesAssignedSku(olds: Record<string, unknown>, sku: unknown): boolean {
  if (typeof sku !== "string" || isUnknown(sku)) return false;
  const named = sku.trim().toLowerCase();
  return [olds.skuId, olds.skuPartNumber, olds.sku].some((known) => typeof known === "string" && known.toLowerCase() === named);
}

/**
 * The engine's diff: input changes, another SKU (a replacement: the new licence is assigned before
 * the old one goes), and a licence that refresh found removed (re-assigned by the next up).
 */
export function planLicenseDiff(olds: Record<string, unknown>, news: Record<string, unknown>): pulumi.dynamic.DiffResult {
  const planned = planDiff(olds, news, fields);
  const replaces = [...(planned.replaces ?? []), ...(namesAssignedSku(olds, news.sku) ? [] : ["sku"])];
  return { ...planned, replaces, changes: planned.changes || replaces.length > 0 || olds.assigned === false };
}

/** The SKU named by part number or skuId, or a reason naming what the tenant has. */
export function findSku(skus: SubscribedSku[], sku: string): SubscribedSku | { reason: string } {
  const match = skus.find((candidate) => (GUID.test(sku) ? candidate.skuId.toLowerCase() === sku.toLowerCase() : candidate.skuPartNumber.toLowerCase() === sku.toLowerCase()));
  if (match && match.appliesTo !== undefined && match.appliesTo !== "User") {
    return { reason: `${match.skuPartNumber} applies to the company, not to users; name a user licence` };
  }
  if (match) return match;
  const known = skus.filter((candidate) => candidate.appliesTo === undefined || candidate.appliesTo === "User").map((candidate) => `${candidate.skuPartNumber} (${candidate.skuId})`);
  return { reason: `the tenant has no subscription ${JSON.stringify(sku)}; it has: ${known.join(", ") || "none"}` };
}

/** Why no seat can be taken, or undefined when one is free. */
export function seatShortage(sku: SubscribedSku): string | undefined {
  if (sku.capabilityStatus && !["Enabled", "Warning"].includes(sku.capabilityStatus)) {
    return `the ${sku.skuPartNumber} subscription is ${sku.capabilityStatus}; renew or reactivate it`;
  }
  const enabled = sku.prepaidUnits?.enabled ?? 0;
  const consumed = sku.consumedUnits ?? 0;
  const free = enabled - consumed;
  if (free >= 1) return undefined;
  return `no free ${sku.skuPartNumber} seat (skuId ${sku.skuId}): ${enabled} enabled, ${consumed} consumed, ${Math.max(0, free)} free; buy more or free one, then run pulumi up again`;
}

/** The user's direct assignment of the SKU (group-based assignments are not ours to change). */
export function directAssignment(user: GraphUser, skuId: string): AssignedLicense | undefined {
  const same = (id: string): boolean => id.toLowerCase() === skuId.toLowerCase();
  const license = (user.assignedLicenses ?? []).find((candidate) => same(candidate.skuId));
  if (!license) return undefined;
  const states = (user.licenseAssignmentStates ?? []).filter((state) => same(state.skuId));
  const direct = states.length === 0 || states.some((state) => !state.assignedByGroup);
  return direct ? license : undefined;
}

let cachedSkus: Promise<SubscribedSku[]> | undefined;

/** subscribedSkus once per provider process, to name SKUs; seat counts are read fresh when a seat is refused. */
function subscribedSkus(): Promise<SubscribedSku[]> {
  cachedSkus ??= apis().graph.listSubscribedSkus().catch((error: unknown) => {
    cachedSkus = undefined;
    throw error;
  });
  return cachedSkus;
}

/** The SKU's id and part number: kept from check when known, else looked up (once per process) before any write. */
async function resolveSku(desired: DesiredLicense): Promise<DesiredLicense> {
  if (desired.skuId && desired.skuPartNumber) return desired;
  const found = findSku(await subscribedSkus(), desired.sku.trim());
  if ("reason" in found) throw new Error(`${RESOURCE}.sku: ${found.reason}.`);
  return { ...desired, skuId: found.skuId.toLowerCase(), skuPartNumber: found.skuPartNumber };
}

export const DEFAULT_CONVERSION_TIMEOUT_SECONDS = 1800;
export const DEFAULT_USER_TIMEOUT_SECONDS = 900;

/**
 * The user from the shared list when many are read at once (a batch being licensed), else on its
 * own; a user Graph does not show yet is waited for (a new mail user reaches Entra ID in its own time).
 */
async function getUser(desired: Pick<DesiredLicense, "userPrincipalName" | "userTimeoutSeconds">): Promise<GraphUser> {
  const upn = desired.userPrincipalName;
  const timeoutSeconds = desired.userTimeoutSeconds ?? DEFAULT_USER_TIMEOUT_SECONDS;
  const listed = await apis().snapshots.userByIdOrUpn(upn, USER_SELECT);
  const user =
    listed ??
    (await pollUntil(() => apis().graph.getUser(upn, USER_SELECT), {
      timeoutMs: timeoutSeconds * 1000,
      progress: { resource: RESOURCE, waitingFor: "Microsoft Graph to show users to license (a new mail user reaches Entra ID seconds to minutes after New-MailUser)", subject: upn, setting: "userTimeoutSeconds" },
    }));
  if (!user) {
    throw new Error(
      `${RESOURCE}: Microsoft Graph shows no user ${upn} after ${timeoutSeconds} s. A mail user created moments ago takes seconds to minutes to reach Entra ID: run pulumi up again to keep ` +
        "waiting (or raise userTimeoutSeconds). Otherwise create the user first (a MailUser creates one) and make this resource depend on it.",
    );
  }
  return user;
}

async function ensureUsageLocation(user: GraphUser, desired: DesiredLicense): Promise<string | undefined> {
  const current = user.usageLocation ?? undefined;
  if (desired.usageLocation && desired.usageLocation !== current?.toUpperCase()) {
    await apis().graph.setUsageLocation(user.id, desired.usageLocation);
    return desired.usageLocation;
  }
  if (!current) {
    throw new Error(`${RESOURCE}.usageLocation: ${desired.userPrincipalName} has no usage location and a licence cannot be assigned without one; set usageLocation (e.g. "US").`);
  }
  return current;
}

/** Assigns the licence; a refusal for want of a seat is explained with the subscription's counts. */
async function assign(user: GraphUser, desired: DesiredLicense, needsSeat: boolean): Promise<void> {
  try {
    await apis().graph.assignLicense(user.id, { addLicenses: [{ skuId: desired.skuId, disabledPlans: desired.disabledPlans }] });
  } catch (error) {
    if (!needsSeat || (error as { status?: number }).status !== 400) throw error;
    const sku = (await apis().graph.listSubscribedSkus()).find((candidate) => candidate.skuId.toLowerCase() === desired.skuId);
    const shortage = sku ? seatShortage(sku) : `the tenant no longer has the subscription ${desired.sku}`;
    if (shortage) throw new Error(`${RESOURCE}.sku: cannot license ${desired.userPrincipalName}: ${shortage}.`);
    throw error;
  }
}

/**
 * Polls Exchange until the user is a mailbox (the polls of a whole batch share one list of the
 * tenant's mailboxes); the type last seen, and whether it got there in time.
 */
async function waitForMailbox(desired: DesiredLicense): Promise<{ converted: boolean; lastSeen?: string }> {
  const converted = await pollUntil(async () => ((await mailboxNow(desired.userPrincipalName)) ? true : undefined), {
    timeoutMs: desired.conversionTimeoutSeconds * 1000,
    progress: { resource: RESOURCE, waitingFor: "Exchange to make licensed users mailboxes (typically under 30 minutes, Microsoft says)", subject: desired.userPrincipalName, setting: "conversionTimeoutSeconds" },
  });
  if (converted) return { converted: true, lastSeen: MAILBOX };
  // The list says only "not a mailbox yet"; the message names what Exchange shows instead.
  const recipient = await findExchangeObject("Get-Recipient", desired.userPrincipalName);
  const lastSeen = recipient ? String(recipient.RecipientTypeDetails ?? "") : undefined;
  return { converted: lastSeen === MAILBOX, lastSeen };
}

function stateOf(desired: DesiredLicense, owned: LicenseOwnership, user: GraphUser, usageLocation: string | undefined, recipientTypeDetails: string | undefined): LicenseAssignmentState {
  return engineOutputs({
    ...owned,
    userPrincipalName: desired.userPrincipalName,
    sku: desired.sku,
    skuId: desired.skuId,
    skuPartNumber: desired.skuPartNumber,
    disabledPlans: desired.disabledPlans,
    usageLocation,
    onDelete: desired.onDelete,
    conversionTimeoutSeconds: desired.conversionTimeoutSeconds,
    userTimeoutSeconds: desired.userTimeoutSeconds,
    adopt: desired.adopt,
    deleteAdopted: desired.deleteAdopted,
    holder: desired.holder,
    userId: user.id,
    assigned: true,
    recipientTypeDetails,
  });
}

/**
 * Assigns (or corrects) the licence and waits for the mailbox. When the wait runs out the
 * licence is assigned: the step fails but the engine records the resource, and the next up waits again.
 */
async function converge(id: string, desired: DesiredLicense, owned: LicenseOwnership, inputs: Record<string, unknown>, previousType: string | undefined): Promise<LicenseAssignmentState> {
  const user = await getUser(desired);
  const usageLocation = await ensureUsageLocation(user, desired);
  const existing = directAssignment(user, desired.skuId);
  if (!existing || !sameSet(existing.disabledPlans, desired.disabledPlans)) await assign(user, desired, !existing);
  if (previousType === MAILBOX || desired.conversionTimeoutSeconds === 0) return stateOf(desired, owned, user, usageLocation, previousType);
  const { converted, lastSeen } = await waitForMailbox(desired);
  const state = stateOf(desired, owned, user, usageLocation, lastSeen);
  if (!converted) {
    const message =
      `${RESOURCE}: assigned ${desired.skuPartNumber} to ${desired.userPrincipalName}, but after ${desired.conversionTimeoutSeconds} s Exchange shows it as ` +
      `${lastSeen ?? "no recipient"}, not a UserMailbox. Conversion can take minutes: run pulumi up again to keep waiting (or raise conversionTimeoutSeconds). ` +
      `If it never converts, check that the SKU includes Exchange Online and that its Exchange plan is not in disabledPlans.`;
    throw createdButNotReady(message, id, state, inputs);
  }
  return state;
}

async function createLicense(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
  const desired = await resolveSku(inputs as DesiredLicense);
  const id = `${desired.userPrincipalName}/${desired.skuId}`;
  const user = await getUser(desired);
  const existing = directAssignment(user, desired.skuId);
  // A licence carries no mark: one the user already has may be an interrupted create's or an
  // admin's, so it is recorded as adopted, and delete never removes it unless asked to.
  if (existing && sameSet(existing.disabledPlans, desired.disabledPlans)) {
    note(RESOURCE, `${desired.userPrincipalName} already has ${desired.skuPartNumber} exactly as wanted; taking the assignment over (as adopted: delete never removes it).`);
  } else if (existing && !desired.adopt) {
    throw new Error(
      `${RESOURCE}: ${desired.userPrincipalName} already has ${desired.skuPartNumber} with disabled plans [${existing.disabledPlans.join(", ")}]; set adopt: true to take it over ` +
        "(it will be changed to match, and its disabled plans given back on delete, never removed, unless deleteAdopted: true).",
    );
  }
  const owned: LicenseOwnership = existing ? { ownership: "adopted", adoptedDisabledPlans: existing.disabledPlans } : { ownership: "created" };
  return { id, outs: await converge(id, desired, owned, inputs, undefined) };
}

/** A create or update; its failure is told to the forwarding routes waiting for this user's mailbox (mailboxWaits.ts). */
async function tellingRoutesOfFailure<T>(userPrincipalName: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    licensingFailed(userPrincipalName, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

export const licenseAssignmentProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const userPrincipalName = inputs.email("userPrincipalName", { required: true });
    inputs.text("sku", { required: true, maxLength: 64 });
    inputs.list("disabledPlans", guidItem, { fallback: [] });
    const usageLocation = inputs.text("usageLocation", { maxLength: 8 });
    inputs.oneOf("onDelete", ON_DELETE, "retain");
    inputs.integer("conversionTimeoutSeconds", DEFAULT_CONVERSION_TIMEOUT_SECONDS, { min: 0, max: 86_400 });
    inputs.integer("userTimeoutSeconds", DEFAULT_USER_TIMEOUT_SECONDS, { min: 0, max: 3600 });
    inputs.boolean("adopt", false);
    inputs.boolean("deleteAdopted", false);
    const holder = inputs.text("holder");
    if (userPrincipalName && holder && !isUnknown(userPrincipalName) && !isUnknown(holder)) claim(RESOURCE, userPrincipalName, holder);
    if (usageLocation !== undefined && !isUnknown(usageLocation)) {
      if (COUNTRY.test(usageLocation.toUpperCase())) inputs.values.usageLocation = usageLocation.toUpperCase();
      else inputs.problem("usageLocation", `${JSON.stringify(usageLocation)} is not a two-letter country code (ISO 3166), e.g. US or GB`);
    }
    // The SKU is resolved by create, before any write: a preview reads nothing (diff needs only
    // the stored skuId and part number to tell another SKU from the same one by another name).
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planLicenseDiff(olds, news);
  },

  async create(inputs) {
    return tellingRoutesOfFailure(String(inputs.userPrincipalName), () => createLicense(inputs));
  },

  async read(id, props) {
    const listed = await apis().snapshots.userByIdOrUpn(props.userPrincipalName, USER_SELECT);
    const user = listed ?? (await apis().graph.getUser(props.userPrincipalName, USER_SELECT));
    if (!user) return {};
    const license = directAssignment(user, props.skuId);
    return {
      id,
      props: engineOutputs({
        ...props,
        userId: user.id,
        usageLocation: user.usageLocation ?? undefined,
        assigned: license !== undefined,
        disabledPlans: license ? license.disabledPlans : props.disabledPlans,
      }),
    };
  },

  async update(id, olds, news) {
    // Another SKU is a replacement, so an update keeps the one resolved at create.
    const desired = { ...news, skuId: olds.skuId, skuPartNumber: olds.skuPartNumber } as DesiredLicense;
    const owned: LicenseOwnership = { ownership: olds.ownership, adoptedDisabledPlans: olds.adoptedDisabledPlans };
    return tellingRoutesOfFailure(desired.userPrincipalName, async () => ({ outs: await converge(id, desired, owned, news, olds.assigned === false ? undefined : olds.recipientTypeDetails) }));
  },

  async delete(_id, props) {
    if (handedOver(RESOURCE, props.userPrincipalName, props.holder)) return;
    if (props.onDelete !== "remove") {
      note(RESOURCE, `kept ${props.skuPartNumber} on ${props.userPrincipalName} (onDelete "retain"): the mailbox stays.`);
      return;
    }
    const user = await apis().graph.getUser(props.userPrincipalName, USER_SELECT);
    const license = user && directAssignment(user, props.skuId);
    if (!user || !license) {
      note(RESOURCE, `${props.userPrincipalName} no longer has ${props.skuPartNumber}; nothing to remove.`);
      return;
    }
    if (props.ownership === "adopted" && props.deleteAdopted !== true) {
      const plans: string[] = props.adoptedDisabledPlans ?? [];
      if (!sameSet(license.disabledPlans, plans)) await apis().graph.assignLicense(user.id, { addLicenses: [{ skuId: props.skuId, disabledPlans: plans }] });
      note(RESOURCE, `kept ${props.skuPartNumber} on ${props.userPrincipalName}: the user had it before this stack (adopted); its disabled plans are as they were.`);
      return;
    }
    await apis().graph.assignLicense(user.id, { removeLicenses: [props.skuId] });
    note(RESOURCE, `removed ${props.skuPartNumber} from ${props.userPrincipalName}: Exchange removes the mailbox (soft-deleted, recoverable for 30 days).`);
  },
};

const provider = serializableProvider("licenseAssignment", "licenseAssignmentProvider");

/** A licence assigned directly to a user, waited on until the user is an Exchange mailbox. */
export class LicenseAssignment extends DynamicResource {
  declare readonly userPrincipalName: pulumi.Output<string>;
  declare readonly sku: pulumi.Output<string>;
  declare readonly skuId: pulumi.Output<string>;
  declare readonly skuPartNumber: pulumi.Output<string>;
  declare readonly disabledPlans: pulumi.Output<string[]>;
  declare readonly usageLocation: pulumi.Output<string | undefined>;
  declare readonly onDelete: pulumi.Output<OnDelete>;
  declare readonly userId: pulumi.Output<string>;
  declare readonly assigned: pulumi.Output<boolean>;
  declare readonly recipientTypeDetails: pulumi.Output<string | undefined>;

  constructor(name: string, args: LicenseAssignmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { skuId: undefined, skuPartNumber: undefined, disabledPlans: undefined, onDelete: undefined, userId: undefined, assigned: undefined, recipientTypeDetails: undefined, ...args, holder: name },
      opts,
      "coexist",
      "LicenseAssignment",
    );
  }
}
