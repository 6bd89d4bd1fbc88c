import { domainOf, microsoftMxHost, normalizeAddress, systemForHost } from "./addresses";
import type { RouteStep, RoutingEvent } from "./events";
import type { TenantIndex } from "./tenantIndex";

type EventOf<K extends RoutingEvent["kind"]> = Extract<RoutingEvent, { kind: K }>;

export function eventsOf<K extends RoutingEvent["kind"]>(steps: readonly RouteStep[], kind: K): EventOf<K>[] {
  return steps.flatMap((step) => (step.event.kind === kind ? [step.event as EventOf<K>] : []));
}

export function uniqueText(items: string[]): string {
  return [...new Set(items)].join(", ");
}

export const GOOGLE_SMART_HOST = "smtp.google.com";

export function connectorToGoogleFix(domain: string): string {
  return `create an enabled outbound connector with RecipientDomains ${domain}, SmartHosts ${GOOGLE_SMART_HOST} and UseMXRecord $false`;
}

export function smartHostFix(connector: string): string {
  return `set UseMXRecord $false and SmartHosts ${GOOGLE_SMART_HOST} on outbound connector ${connector}`;
}

/** The member copies that led to this end, as `group → member` hops: `team@contoso.com → b@contoso.com`. */
export function groupPath(steps: readonly RouteStep[]): string {
  return steps
    .filter((step) => step.event.kind === "groupMember")
    .map((step) => {
      const event = step.event as EventOf<"groupMember">;
      return [event.group, ...event.via, step.recipient].join(" → ");
    })
    .join(", then ");
}

/** What sends the message round, from the events of its route. */
export function loopFix(steps: readonly RouteStep[]): string {
  const gmailForwards = eventsOf(steps, "gmailForward");
  const mailUserRedirects = eventsOf(steps, "mailUserRedirect");
  const mailboxForwards = eventsOf(steps, "mailboxForward");
  const [groupLoop] = eventsOf(steps, "groupLoop");
  if (groupLoop) {
    return `remove the membership that sends the message back to group ${groupLoop.group} (${groupPath(steps)} leads to it again), so that each group is reached once`;
  }
  if (eventsOf(steps, "copyLimit").length > 0) {
    return `groups send the message to each other and multiply it (${groupPath(steps)}): remove the memberships that lead from one group back into another`;
  }
  // F1 and F9: Gmail forwards to an address whose Exchange object sends the message back.
  const forwardsSoFar: EventOf<"gmailForward">[] = [];
  for (const step of steps) {
    if (step.event.kind === "gmailForward") forwardsSoFar.push(step.event);
    const gmailForward = forwardsSoFar.find((forward) => forward.target === step.recipient);
    if (gmailForward === undefined) continue;
    if (step.event.kind === "mailUserRedirect" && step.event.contact) {
      return `point mail contact ${step.event.mailUser} at an address whose MX is Google and that Exchange Online does not accept, or remove the Gmail forwarding of ${gmailForward.mailbox}`;
    }
    if (step.event.kind === "mailUserRedirect") {
      return `license ${step.event.mailUser} (make the mail user a mailbox) before Google forwards to ${gmailForward.target}, or remove the Gmail forwarding of ${gmailForward.mailbox}`;
    }
    if (step.event.kind === "mailboxForward") {
      return `remove the ForwardingSmtpAddress ${step.event.target} of mailbox ${step.event.mailbox}, or the Gmail forwarding of ${gmailForward.mailbox} to ${gmailForward.target}: forward in one direction only`;
    }
  }
  const backIntoExchange = steps.find(
    (step) => step.system === "exchange" && step.event.kind === "mxLookup" && step.event.reaches === "exchange",
  );
  if (backIntoExchange) {
    const domain = domainOf(backIntoExchange.recipient);
    const [mxConnector] = eventsOf(steps, "connector").filter((event) => event.smartHost === undefined);
    const cause = `the MX of ${domain} points back to Exchange Online`;
    return mxConnector ? `${smartHostFix(mxConnector.name)}: ${cause}` : `${connectorToGoogleFix(domain)}: ${cause}`;
  }
  if (gmailForwards.length > 0) {
    return `remove one of the Gmail forwardings that send the message round: ${uniqueText(
      gmailForwards.map((event) => `${event.mailbox} → ${event.target}`),
    )}`;
  }
  const redirects = [
    ...mailUserRedirects.map((event) => `${event.contact ? "mail contact" : "mail user"} ${event.mailUser} → ${event.target}`),
    ...mailboxForwards.map((event) => `mailbox ${event.mailbox} → ${event.target}`),
  ];
  if (redirects.length > 0) return `change one of the redirects that send the message round: ${uniqueText(redirects)}`;
  return `break the loop between ${uniqueText(steps.map((step) => step.system))}: see the route`;
}

/** What to change so that the bounced message arrives, from the step that bounced it. */
export function bounceFix(index: TenantIndex, steps: readonly RouteStep[]): string {
  const bounced = [...steps].reverse().find((step) => step.event.kind !== "bounceToForwarder");
  if (bounced === undefined) return "see the route";
  const address = bounced.recipient;
  const domain = domainOf(address);
  const forward = eventsOf(steps, "gmailForward").find((event) => event.target === address);
  const orForwarding = forward ? `, or change the Gmail forwarding of ${forward.mailbox}` : "";
  const event = bounced.event;
  switch (event.kind) {
    case "edgeBlocked":
      if (forward) return `add ${address} as a proxy address of ${forward.mailbox}'s Exchange object and license it as a mailbox${orForwarding}`;
      return (
        googleAddressFix(index, address) ??
        `create an Exchange recipient for ${address}, or set ${domain} to InternalRelay with an outbound connector to Google while the address exists only in Google`
      );
    case "recipientNotFound":
      return (
        googleAddressFix(index, address) ??
        `create an Exchange recipient for ${address} (a mail user pointing to Google while the user is still there), or set ${domain} to InternalRelay with an outbound connector to Google`
      );
    case "mailUserWithoutTarget":
      return `set the ExternalEmailAddress of mail user ${event.mailUser}`;
    case "relayDenied":
      return `add ${domain} as an accepted domain of Exchange Online (Authoritative), or point its MX elsewhere${orForwarding}`;
    case "noMx":
      return `${mxFix(index, domain)}${orForwarding}`;
    case "nullMx":
      return `${domain} accepts no mail (null MX): correct the address ${address}${orForwarding}`;
    case "gmailUnknownAddress":
      return gmailUnknownFix(index, steps, address);
    case "gmailSuspended":
      return `reactivate the Google account ${event.mailbox} (a suspended account bounces and forwards nothing), or move its addresses to an active user`;
    case "connectorWithoutHost":
      return `give outbound connector ${event.name} a smart host, or set UseMXRecord $true`;
    case "senderNotAuthenticated":
      return `let group ${event.group} take mail from outside: Set-DistributionGroup -Identity ${event.group} -RequireSenderAuthenticationEnabled $false (mail that reaches Exchange Online by SMTP, from the Internet or from Google, is not authenticated)`;
    default:
      return "see the route";
  }
}

/**
 * An address of the group or user that Google receives mail at and Exchange Online routes out to
 * Google: on a domain Google hosts, whose MX is Google and which Exchange Online does not accept.
 */
export function googleRoutedAddress(index: TenantIndex, addresses: readonly string[]): string | undefined {
  return addresses.map(normalizeAddress).find((address) => {
    const domain = domainOf(address);
    const mx = index.mx.get(domain)?.[0];
    return index.googleDomains.has(domain) && !index.acceptedDomains.has(domain) && mx !== undefined && systemForHost(mx) === "google";
  });
}

/** For an address that Google has as a user alias, an alias-domain address or a group: what Exchange Online needs to keep it. */
function googleAddressFix(index: TenantIndex, address: string): string | undefined {
  const domain = domainOf(address);
  const orRelay = `, or keep ${domain} InternalRelay with an outbound connector to Google`;
  const group = index.googleGroups.get(address);
  if (group) {
    const routed = googleRoutedAddress(index, [...group.aliases, ...(group.nonEditableAliases ?? []), group.email]);
    const contact = routed
      ? `a mail contact with the address ${address} and ExternalEmailAddress ${routed}`
      : `a mail contact with the address ${address} whose ExternalEmailAddress is an address of the group on a domain whose MX is Google (an alias domain)`;
    return `${address} is the Google group ${normalizeAddress(group.email)}: migrate it (an Exchange distribution group with this address), or keep it at Google through ${contact}${orRelay}`;
  }
  const user = index.googleUsers.get(address);
  if (user && normalizeAddress(user.primaryEmail) !== address) {
    const primary = normalizeAddress(user.primaryEmail);
    const kind = (user.nonEditableAliases ?? []).map(normalizeAddress).includes(address) ? "an alias-domain address" : "a user alias";
    return `${address} is ${kind} of ${primary} at Google: add it as a proxy address (EmailAddresses) of ${primary}'s Exchange recipient${orRelay}`;
  }
  return undefined;
}

function mxFix(index: TenantIndex, domain: string): string {
  if (index.acceptedDomains.has(domain)) {
    return `publish the MX record of ${domain}: 0 ${microsoftMxHost(domain)}`;
  }
  if (index.googleDomains.has(domain)) return `publish the MX record of ${domain}: 1 ${GOOGLE_SMART_HOST}`;
  return `${domain} has no MX record: publish one or correct the address`;
}

function gmailUnknownFix(index: TenantIndex, steps: readonly RouteStep[], address: string): string {
  const exchangeRecipient = index.recipients.get(address) ?? index.exchangeGroups.get(address);
  if (exchangeRecipient && steps.every((step) => step.system === "google")) {
    return `${address} exists in Exchange Online, but Google delivers ${domainOf(address)} internally and has no user for it: keep its Google account with forwarding to its routing address, or add a Gmail routing rule that sends unrecognised internal recipients to Microsoft 365`;
  }
  if (steps.some((step) => step.event.kind === "relayedUnknown" && step.recipient === address)) {
    return `${address} has neither an Exchange recipient nor a Google user or alias: create it where the user lives (a Google user plus an Exchange mail user), or correct the address`;
  }
  return `create a Google user or alias for ${address}, or correct the address`;
}
