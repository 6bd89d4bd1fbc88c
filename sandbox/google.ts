/**
 * Gmail v1 forwarding settings (google-workspace.md §1) and the Directory API (googleDirectory.ts),
 * at the paths googleapis generates when `rootUrl` is the sandbox.
 */
import type { ForwardingDisposition } from "pulumi-mail-coexistence/routing/types";
import { DIRECTORY_ROUTES } from "./googleDirectory";
import { googleUnauthenticated, requireScope, SCOPE, type GoogleContext, type GoogleRoute } from "./googleRequest";
import { googleError, json, jsonBody, type SandboxRequest, type SandboxResponse } from "./http";
import type { GoogleDomainRecord, GoogleUserRecord } from "./records";
import { findGoogleUser, googlePolicy } from "./googleUsers";
import { GOOGLE_SCOPE } from "./store";

const GMAIL_READ_SCOPES = ["gmail.settings.basic", "gmail.settings.sharing", "gmail.modify", "gmail.readonly"].map((scope) => SCOPE + scope).concat("https://mail.google.com/");
const GMAIL_WRITE_SCOPES = [`${SCOPE}gmail.settings.sharing`];
const DISPOSITIONS: ForwardingDisposition[] = ["leaveInInbox", "archive", "trash", "markRead"];

const ROUTES: GoogleRoute[] = [
  { method: "GET", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses$/, handler: listForwardingAddresses },
  { method: "POST", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses$/, handler: createForwardingAddress },
  { method: "GET", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses\/([^/]+)$/, handler: getForwardingAddress },
  { method: "DELETE", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses\/([^/]+)$/, handler: deleteForwardingAddress },
  { method: "GET", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/autoForwarding$/, handler: getAutoForwarding },
  { method: "PUT", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/autoForwarding$/, handler: updateAutoForwarding },
  ...DIRECTORY_ROUTES,
];

export function handleGoogle(context: GoogleContext, request: SandboxRequest): SandboxResponse {
  const route = ROUTES.find((candidate) => candidate.method === request.method && candidate.pattern.test(request.path));
  if (!route) throw googleError(404, "notFound", `The sandbox does not emulate ${request.method} ${request.path}.`);
  const match = (route.pattern.exec(request.path) ?? []).slice(1).map((segment) => decodeURIComponent(segment));
  return route.handler(context, request, match);
}

export function isGoogleRead(method: string): boolean {
  return method === "GET";
}

/**
 * The mailbox `userId` names, checked against the caller: a delegated token acts only for its
 * subject (domain-wide delegation), a token without `sub` for nobody, the static token for anyone.
 */
function mailbox(context: GoogleContext, userId: string, scopes: string[]): GoogleUserRecord {
  requireScope(context, scopes);
  const caller = context.caller;
  // What Gmail answers a service account calling as itself, without `sub`.
  if (caller.kind === "serviceAccount") throw googleError(400, "failedPrecondition", "Precondition check failed.");
  let user: GoogleUserRecord | undefined;
  if (caller.kind === "delegated") {
    // A token issued before its subject was deleted no longer works; asking for a new one names the cause.
    user = findGoogleUser(context.store, caller.subject);
    if (!user) throw googleUnauthenticated();
    if (userId !== "me" && findGoogleUser(context.store, userId)?.primaryEmail !== user.primaryEmail) throw googleError(403, "forbidden", `Delegation denied for ${caller.subject}`);
  } else {
    if (userId === "me") throw googleError(400, "invalidArgument", "userId 'me' needs a delegated (impersonating) token; give the mailbox address instead.");
    user = findGoogleUser(context.store, userId);
    if (!user) throw googleError(404, "notFound", "Requested entity was not found.");
  }
  if (user.suspended) throw googleError(400, "failedPrecondition", "Mail service not enabled");
  return user;
}

function save(context: GoogleContext, user: GoogleUserRecord): void {
  context.store.put(GOOGLE_SCOPE, "googleUser", user.primaryEmail, user);
}

function listForwardingAddresses(context: GoogleContext, _request: SandboxRequest, [userId]: string[]): SandboxResponse {
  const user = mailbox(context, userId, GMAIL_READ_SCOPES);
  return json(200, user.forwardingAddresses.length > 0 ? { forwardingAddresses: user.forwardingAddresses } : {});
}

function getForwardingAddress(context: GoogleContext, _request: SandboxRequest, [userId, email]: string[]): SandboxResponse {
  const user = mailbox(context, userId, GMAIL_READ_SCOPES);
  const address = user.forwardingAddresses.find((entry) => entry.forwardingEmail === email.toLowerCase());
  if (!address) throw googleError(404, "notFound", "Requested entity was not found.");
  return json(200, address);
}

/**
 * Verification is skipped for the mailbox's own domain, its subdomains and the account's domain
 * aliases (§1.3); any other target stays `pending` until its owner clicks the link.
 */
export function forwardingVerification(mailboxAddress: string, target: string, domains: GoogleDomainRecord[]): "accepted" | "pending" {
  const own = mailboxAddress.slice(mailboxAddress.indexOf("@") + 1);
  const targetDomain = target.slice(target.indexOf("@") + 1);
  const aliasDomains = domains.filter((domain) => domain.aliasOf).map((domain) => domain.domainName);
  return targetDomain === own || targetDomain.endsWith(`.${own}`) || aliasDomains.includes(targetDomain) ? "accepted" : "pending";
}

function createForwardingAddress(context: GoogleContext, request: SandboxRequest, [userId]: string[]): SandboxResponse {
  const user = mailbox(context, userId, GMAIL_WRITE_SCOPES);
  const input = jsonBody<{ forwardingEmail?: unknown }>(request, (message) => googleError(400, "invalidArgument", message));
  const target = typeof input.forwardingEmail === "string" ? input.forwardingEmail.trim().toLowerCase() : "";
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(target)) throw googleError(400, "invalidArgument", "Invalid forwardingEmail: give an email address.");
  if (target === user.primaryEmail || user.aliases.includes(target)) throw googleError(400, "invalidArgument", "The requested forwarding address is not allowed: it is the mailbox's own address.");
  if (user.forwardingAddresses.some((entry) => entry.forwardingEmail === target)) throw googleError(409, "alreadyExists", "Forwarding address already exists.");
  const address = { forwardingEmail: target, verificationStatus: forwardingVerification(user.primaryEmail, target, context.store.list(GOOGLE_SCOPE, "googleDomain")) };
  save(context, { ...user, forwardingAddresses: [...user.forwardingAddresses, address] });
  return json(200, address);
}

function deleteForwardingAddress(context: GoogleContext, _request: SandboxRequest, [userId, email]: string[]): SandboxResponse {
  const user = mailbox(context, userId, GMAIL_WRITE_SCOPES);
  const target = email.toLowerCase();
  if (!user.forwardingAddresses.some((entry) => entry.forwardingEmail === target)) throw googleError(404, "notFound", "Requested entity was not found.");
  if (user.autoForwarding.enabled && user.autoForwarding.emailAddress === target) {
    throw googleError(400, "failedPrecondition", "The forwarding address is the current auto-forwarding target; disable auto-forwarding first.");
  }
  save(context, { ...user, forwardingAddresses: user.forwardingAddresses.filter((entry) => entry.forwardingEmail !== target) });
  return { status: 204, body: "" };
}

function getAutoForwarding(context: GoogleContext, _request: SandboxRequest, [userId]: string[]): SandboxResponse {
  return json(200, mailbox(context, userId, GMAIL_READ_SCOPES).autoForwarding);
}

function updateAutoForwarding(context: GoogleContext, request: SandboxRequest, [userId]: string[]): SandboxResponse {
  const user = mailbox(context, userId, GMAIL_WRITE_SCOPES);
  const input = jsonBody<{ enabled?: unknown; emailAddress?: unknown; disposition?: unknown }>(request, (message) => googleError(400, "invalidArgument", message));
  if (input.enabled !== true) {
    const disabled = { enabled: false };
    save(context, { ...user, autoForwarding: disabled });
    return json(200, disabled);
  }
  if (!googlePolicy(context.store).autoForwardingAllowed) {
    throw googleError(400, "failedPrecondition", "Automatic forwarding is disabled by the administrator for this user (Admin console: Gmail > End User Access > Automatic forwarding).");
  }
  const target = typeof input.emailAddress === "string" ? input.emailAddress.toLowerCase() : "";
  if (user.forwardingAddresses.find((entry) => entry.forwardingEmail === target)?.verificationStatus !== "accepted") {
    throw googleError(400, "failedPrecondition", "Invalid forwarding address");
  }
  if (!DISPOSITIONS.includes(input.disposition as ForwardingDisposition)) {
    throw googleError(400, "invalidArgument", `Invalid disposition '${String(input.disposition ?? "")}': give one of ${DISPOSITIONS.join(", ")}.`);
  }
  const enabled = { enabled: true, emailAddress: target, disposition: input.disposition as ForwardingDisposition };
  save(context, { ...user, autoForwarding: enabled });
  return json(200, enabled);
}
