import type { MessageOrigin } from "./model";
import type { TenantAddress } from "./tenantAddresses";
import type { Route } from "./types";

export type Severity = "mandatory" | "advisory";

export interface RoutingProblem {
  /** `mandatory`: mail is lost, bounced, looping or split (or will be at the next step); `advisory`: it works with a cost. */
  severity: Severity;
  /** Stable identifier of the check, e.g. `mail-loop`. */
  rule: string;
  /** The users concerned (addresses); empty for a tenant-wide problem. */
  users: string[];
  message: string;
  /** What an admin changes to solve it. */
  fix: string;
  /** For problems found by routing a message: where it started, and its route. */
  origin?: MessageOrigin;
  route?: Route;
  /** For problems found by routing a message: the address it was sent to, with its kind (user alias, group, …). */
  address?: TenantAddress;
}

export const ROUTING_RULES = {
  loop: "mail-loop",
  bounce: "bounce",
  splitDelivery: "split-delivery",
  duplicateDelivery: "duplicate-delivery",
  keptCopy: "gmail-forwarding-keeps-copy",
  internalRelayWithoutConnector: "internal-relay-without-connector",
  routingAddressNotAccepted: "routing-address-domain-not-accepted",
  mailUserTargetsRecipient: "mail-user-targets-exchange-recipient",
} as const;
