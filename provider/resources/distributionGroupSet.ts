import type * as pulumi from "@pulumi/pulumi";
import { stackOwner } from "./ownership";
import { resourceSetProvider } from "./resourceSet";
import { DynamicResource, serializableProvider } from "./serializable";

/** One group of a DistributionGroupSet; the fields are DistributionGroup's (see DistributionGroupArgs). */
export interface DistributionGroupSetItem {
  /** The group's Exchange name (at most 64 characters, unique among recipients). Updated in place. */
  name: string;
  /**
   * Mail nickname. Updated in place.
   * @default the local part of the group's address
   */
  alias?: string;
  /**
   * Name in the address list. Updated in place.
   * @default the `name`
   */
  displayName?: string;
  /**
   * The group's other addresses (Google aliases, alias-domain addresses): those on accepted domains
   * become proxy addresses, the others are reported in the group's `unroutableAddresses`.
   * @default []
   */
  emailAddresses?: string[];
  /** The members, each by an address of its Exchange recipient; kept in sync. */
  members: string[];
}

/**
 * Many migrated Google groups as Exchange Online distribution groups, in one resource (one engine
 * step instead of one per group). Each group behaves exactly as a DistributionGroup; a group whose
 * member is another group of the set is created after it.
 */
export interface DistributionGroupSetArgs {
  /** The groups, keyed by the group's address (each one's primarySmtpAddress). */
  readonly groups: pulumi.Input<Record<string, DistributionGroupSetItem>>;
  /**
   * Accept mail only from authenticated senders (see DistributionGroupArgs): keep it false for
   * migrated Google groups.
   * @default false
   */
  readonly requireSenderAuthenticationEnabled?: pulumi.Input<boolean>;
  /**
   * The custom attribute that carries the stack's mark (see DistributionGroupArgs.ownerAttribute).
   * @default "CustomAttribute15"
   */
  readonly ownerAttribute?: pulumi.Input<string>;
  /**
   * Take over existing groups with these addresses that this stack did not create; they are
   * restored on delete (see DistributionGroupArgs.adopt).
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Remove adopted groups on delete instead of restoring them.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
}

export const distributionGroupSetProvider = resourceSetProvider({
  resource: "DistributionGroupSet",
  itemsField: "groups",
  keyField: "primarySmtpAddress",
  sharedFields: ["requireSenderAuthenticationEnabled", "ownerAttribute", "adopt", "deleteAdopted", "owner", "holder"],
  itemProvider: () => (require("./distributionGroup") as typeof import("./distributionGroup")).distributionGroupProvider,
  itemResource: "DistributionGroup",
  // A nested group must exist before the group that holds it.
  itemsBefore: (_key, inputs) => (Array.isArray(inputs.members) ? inputs.members.map(String) : []),
});

const provider = serializableProvider("distributionGroupSet", "distributionGroupSetProvider");

/** Migrated Google groups as Exchange Online distribution groups, in one resource. */
export class DistributionGroupSet extends DynamicResource {
  /** Each group's DistributionGroup outputs (`guid`, `proxyAddresses`, `unroutableAddresses`, …; the Exchange GUID also as `id`), by address. */
  declare readonly groups: pulumi.Output<Record<string, Record<string, unknown>>>;

  constructor(name: string, args: DistributionGroupSetArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, owner: stackOwner(), holder: name }, opts, "coexist", "DistributionGroupSet");
  }
}
