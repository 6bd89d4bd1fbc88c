import type * as pulumi from "@pulumi/pulumi";
import type { Disposition } from "./googleForwardingRoute";
import { resourceSetProvider } from "./resourceSet";
import { DynamicResource, serializableProvider } from "./serializable";

/** One user's Gmail forwarding in a GoogleForwardingRouteSet (see GoogleForwardingRouteArgs). */
export interface GoogleForwardingRouteSetItem {
  /**
   * Where Gmail forwards, the user's routing address, e.g. `alice@o365.contoso.com` (a subdomain
   * of the user's domain). Updated in place.
   */
  forwardTo: string;
}

/**
 * Gmail automatic forwarding of many migrated users, in one resource (one engine step for a whole
 * batch instead of one per user). Each route behaves exactly as a GoogleForwardingRoute.
 */
export interface GoogleForwardingRouteSetArgs {
  /** The routes, keyed by the Google user's address (userEmail), e.g. `alice@contoso.com`. */
  readonly routes: pulumi.Input<Record<string, GoogleForwardingRouteSetItem>>;
  /**
   * What Gmail does with its own copy of every forwarded message. Updated in place.
   * @default "trash"
   */
  readonly disposition?: pulumi.Input<Disposition>;
  /**
   * Refuse to forward a user unless its `forwardTo` is a mailbox in Exchange Online.
   * @default true
   */
  readonly requireMailbox?: pulumi.Input<boolean>;
  /**
   * How long each route's create waits for its `forwardTo` to become a mailbox before refusing,
   * 0 to 86400 seconds (see GoogleForwardingRouteArgs.mailboxTimeoutSeconds). With it the set may
   * run beside the LicenseAssignmentSet instead of after it: each user is forwarded as soon as its
   * own mailbox appears.
   * @default 0
   */
  readonly mailboxTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Take over mailboxes that already forward elsewhere instead of failing; delete gives them their
   * forwarding back.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Switch adopted mailboxes' forwarding off on delete instead of giving it back.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
  /**
   * The users whose routes the other GoogleForwardingRouteSets of this stack hold (the Coexistence
   * component passes them): a route moved from this set to another one is handed over, never
   * switched off. `check` takes them in and leaves them out of the state.
   * @default []
   */
  readonly heldElsewhere?: pulumi.Input<string[]>;
}

export const googleForwardingRouteSetProvider = resourceSetProvider({
  resource: "GoogleForwardingRouteSet",
  itemsField: "routes",
  keyField: "userEmail",
  sharedFields: ["disposition", "requireMailbox", "mailboxTimeoutSeconds", "adopt", "deleteAdopted", "holder"],
  itemProvider: () => (require("./googleForwardingRoute") as typeof import("./googleForwardingRoute")).googleForwardingRouteProvider,
  itemResource: "GoogleForwardingRoute",
});

const provider = serializableProvider("googleForwardingRouteSet", "googleForwardingRouteSetProvider");

/** Gmail automatic forwarding of a batch of migrated users to their Microsoft 365 routing addresses. */
export class GoogleForwardingRouteSet extends DynamicResource {
  /** Each route's GoogleForwardingRoute outputs (`enabled`, `forwardingEmail`, …), by Google address. */
  declare readonly routes: pulumi.Output<Record<string, Record<string, unknown>>>;

  constructor(name: string, args: GoogleForwardingRouteSetArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, holder: name }, opts, "coexist", "GoogleForwardingRouteSet");
  }
}
