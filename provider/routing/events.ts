import type { ForwardingDisposition, System } from "./types";

/**
 * What one system did with the message in one hop, as data. The model records these; the hop's
 * `action` text is derived from them, and the problem finder reads them to say what to fix.
 */
export type RoutingEvent =
  | { kind: "mxLookup"; domain: string; host: string; reaches: System }
  | { kind: "noMx"; domain: string }
  | { kind: "nullMx"; domain: string }
  | { kind: "deliveredOutside"; host: string; otherGoogleCustomer: boolean }
  | { kind: "gmailDelivered"; mailbox: string }
  | { kind: "gmailUnknownAddress" }
  | { kind: "gmailSuspended"; mailbox: string }
  | { kind: "gmailForward"; mailbox: string; target: string; disposition: ForwardingDisposition }
  | { kind: "gmailHopLimit"; received: number; limit: number }
  | { kind: "relayDenied"; domain: string }
  | { kind: "edgeBlocked"; domain: string }
  | { kind: "recipientNotFound"; domain: string }
  | { kind: "relayedUnknown"; domain: string }
  | { kind: "mailboxDelivered"; mailbox: string }
  | { kind: "mailboxForward"; mailbox: string; target: string }
  | { kind: "mailUserRedirect"; mailUser: string; target: string; routedOut: boolean; contact?: boolean }
  | { kind: "mailUserWithoutTarget"; mailUser: string }
  | { kind: "connector"; name: string; selectedBy: string; smartHost?: string; reaches?: System }
  | { kind: "noConnector"; domain: string }
  | { kind: "connectorWithoutHost"; name: string }
  | { kind: "exchangeHopLimit"; received: number; limit: number }
  | { kind: "redirectLimit"; redirects: number; limit: number }
  | { kind: "bounceToForwarder"; mailbox: string; envelopeSender: string }
  | { kind: "groupExpanded"; group: string; members: number; nested: string[]; skipped: string[] }
  | { kind: "groupMember"; group: string; via: string[] }
  | { kind: "groupLoop"; group: string }
  | { kind: "senderNotAuthenticated"; group: string }
  | { kind: "copyLimit"; copies: number; limit: number };

export interface RouteStep {
  system: System;
  recipient: string;
  event: RoutingEvent;
}

const SYSTEM_NAMES: Record<System, string> = {
  google: "Google Workspace",
  exchange: "Exchange Online",
  internet: "outside both tenants",
};

const COPY_KEPT: Record<ForwardingDisposition, string> = {
  leaveInInbox: "left in the inbox",
  archive: "archived",
  trash: "moved to trash",
  markRead: "marked read in the inbox",
};

export function describeEvent(event: RoutingEvent): string {
  switch (event.kind) {
    case "mxLookup":
      return `MX lookup of ${event.domain}: ${event.host} (${SYSTEM_NAMES[event.reaches]})`;
    case "noMx":
      return `no MX record for ${event.domain}: undeliverable (DNS failure)`;
    case "nullMx":
      return `${event.domain} publishes a null MX: it accepts no mail`;
    case "deliveredOutside":
      return event.otherGoogleCustomer
        ? `handed to ${event.host}: not a domain of this Google Workspace, delivered to another Google customer`
        : `delivered to ${event.host}, outside both tenants`;
    case "gmailDelivered":
      return `delivered to the Gmail mailbox of ${event.mailbox}`;
    case "gmailUnknownAddress":
      return "no Google user or alias has this address: bounced";
    case "gmailSuspended":
      return `the Google account ${event.mailbox} is suspended: bounced`;
    case "gmailForward":
      return `automatic forwarding of ${event.mailbox} to ${event.target}, Gmail copy ${COPY_KEPT[event.disposition]}`;
    case "gmailHopLimit":
      return `the message carries ${event.received} Received headers, more than Gmail's limit of ${event.limit}: loop stopped`;
    case "relayDenied":
      return `${event.domain} is not an accepted domain of this tenant: refused (Relay Access Denied)`;
    case "edgeBlocked":
      return `no recipient has this address and ${event.domain} is Authoritative: rejected during the SMTP session (Directory Based Edge Blocking)`;
    case "recipientNotFound":
      return `no recipient has this address and ${event.domain} is Authoritative: non-delivery report`;
    case "relayedUnknown":
      return `no recipient has this address; ${event.domain} is an InternalRelay domain: relayed out of the organisation`;
    case "mailboxDelivered":
      return `delivered to the mailbox ${event.mailbox}`;
    case "mailboxForward":
      return `mailbox ${event.mailbox} forwards to ${event.target} (ForwardingSmtpAddress)`;
    case "mailUserRedirect":
      return `${event.contact ? "mail contact" : "mail user"} redirect to ${event.target} (ExternalEmailAddress of ${event.mailUser})${
        event.routedOut ? "; its own address in an accepted domain: routed out of the organisation" : ""
      }`;
    case "mailUserWithoutTarget":
      return `mail user ${event.mailUser} has no ExternalEmailAddress: non-delivery report`;
    case "connector":
      return `outbound connector ${event.name} (${event.selectedBy}): ${
        event.smartHost === undefined
          ? "delivery by MX (UseMXRecord)"
          : `smart host ${event.smartHost} (${SYSTEM_NAMES[event.reaches ?? "internet"]})`
      }`;
    case "noConnector":
      return `no outbound connector matches ${event.domain}: delivery by MX`;
    case "connectorWithoutHost":
      return `outbound connector ${event.name} has no smart host and does not use MX: unable to route`;
    case "exchangeHopLimit":
      return `the message carries ${event.received} Received headers, more than Exchange Online's limit of ${event.limit}: loop stopped`;
    case "redirectLimit":
      return `redirect number ${event.redirects} of this message in the tenant, over the limit of ${event.limit} (X-LD-Processed): loop stopped`;
    case "bounceToForwarder":
      return `the non-delivery report goes to ${event.envelopeSender}, back into the Gmail mailbox of ${event.mailbox}, not to the original sender`;
    case "groupExpanded":
      return `group ${event.group} expanded to ${event.members} member(s)${event.nested.length > 0 ? ` (nested groups: ${event.nested.join(", ")})` : ""}${
        event.skipped.length > 0 ? `; no copy for ${event.skipped.join(", ")}` : ""
      }`;
    case "groupMember":
      return `a copy for this member of ${event.group}${event.via.length > 0 ? ` (through ${event.via.join(" → ")})` : ""}`;
    case "groupLoop":
      return `the message reaches the group ${event.group} again, which it has already expanded: loop stopped`;
    case "senderNotAuthenticated":
      return `group ${event.group} accepts only authenticated (internal) senders (RequireSenderAuthenticationEnabled) and this message arrived by SMTP: rejected`;
    case "copyLimit":
      return `the message has fanned out into ${event.copies} copies, more than the ${event.limit} the model follows (a mail storm between groups): stopped`;
  }
}
