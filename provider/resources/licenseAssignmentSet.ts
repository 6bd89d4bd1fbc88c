import type * as pulumi from "@pulumi/pulumi";
import type { OnDelete } from "./licenseAssignment";
import { resourceSetProvider } from "./resourceSet";
import { DynamicResource, serializableProvider } from "./serializable";

/** One user's licence in a LicenseAssignmentSet; the fields are LicenseAssignment's (see LicenseAssignmentArgs). */
export interface LicenseAssignmentSetItem {
  /**
   * Two-letter country code, e.g. `GB`, set on the user when it differs. Updated in place.
   * @default unset: the user's current usage location is kept (licensing fails if it has none)
   */
  usageLocation?: string;
  /**
   * servicePlanIds of the SKU to switch off. Updated in place. Never the Exchange plan.
   * @default []
   */
  disabledPlans?: string[];
}

/**
 * One SKU assigned directly to many users, in one resource (one engine step for a whole batch
 * instead of one per user), each waited on until Exchange shows the mailbox. Each user behaves
 * exactly as a LicenseAssignment.
 */
export interface LicenseAssignmentSetArgs {
  /** The users to license, keyed by userPrincipalName, e.g. `alice@contoso.com`. */
  readonly users: pulumi.Input<Record<string, LicenseAssignmentSetItem>>;
  /**
   * The subscription: a skuPartNumber such as `EXCHANGESTANDARD`, or its skuId. Changing it to
   * another SKU re-assigns every user (the new licence before the old one goes).
   */
  readonly sku: pulumi.Input<string>;
  /**
   * On delete (or a user removed from the set): `retain` leaves the licence, `remove` takes it
   * away (which deletes the mailbox; see LicenseAssignmentArgs.onDelete).
   * @default "retain"
   */
  readonly onDelete?: pulumi.Input<OnDelete>;
  /**
   * How long each user's create waits for the mailbox, 0 to 86400 seconds (0: do not wait). On
   * timeout the licences stay assigned, the step fails, and the next `up` waits again.
   * @default 1800
   */
  readonly conversionTimeoutSeconds?: pulumi.Input<number>;
  /**
   * How long each user's licensing waits for Microsoft Graph to show a new user (see
   * LicenseAssignmentArgs.userTimeoutSeconds), 0 to 3600 seconds.
   * @default 900
   */
  readonly userTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Take over licences users already have with other disabled plans instead of failing.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * With `onDelete: "remove"`, remove adopted licences too (see LicenseAssignmentArgs.deleteAdopted).
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
  /**
   * The users the other LicenseAssignmentSets of this stack hold (the Coexistence component passes
   * them): a user moved from this set to another one keeps the licence, even with `onDelete:
   * "remove"`. `check` takes them in and leaves them out of the state.
   * @default []
   */
  readonly heldElsewhere?: pulumi.Input<string[]>;
}

export const licenseAssignmentSetProvider = resourceSetProvider({
  resource: "LicenseAssignmentSet",
  itemsField: "users",
  keyField: "userPrincipalName",
  sharedFields: ["sku", "onDelete", "conversionTimeoutSeconds", "userTimeoutSeconds", "adopt", "deleteAdopted", "holder"],
  itemProvider: () => (require("./licenseAssignment") as typeof import("./licenseAssignment")).licenseAssignmentProvider,
  itemResource: "LicenseAssignment",
});

const provider = serializableProvider("licenseAssignmentSet", "licenseAssignmentSetProvider");

/** One licence assigned directly to a batch of users, waited on until each is an Exchange mailbox. */
export class LicenseAssignmentSet extends DynamicResource {
  /** Each user's LicenseAssignment outputs (`skuId`, `userId`, `assigned`, `recipientTypeDetails`, …), by userPrincipalName. */
  declare readonly users: pulumi.Output<Record<string, Record<string, unknown>>>;

  constructor(name: string, args: LicenseAssignmentSetArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, holder: name }, opts, "coexist", "LicenseAssignmentSet");
  }
}
