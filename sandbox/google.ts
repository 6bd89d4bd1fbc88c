/**
 * Gmail v1 forwarding settings and Directory `users.get`/`users.list` (google-workspace.md §1, §2.1), at the
 * paths googleapis generates when `rootUrl` is the sandbox.
 */
import type { ForwardingDisposition } from "../provider/routing/types";
import type { GoogleCaller } from "./auth";
import { domainAliasAddresses } from "./directory";
import { googleError, json, jsonBody, type HttpError, type SandboxRequest, type SandboxResponse } from "./http";
import type { GoogleDomainRecord, GoogleUserRecord } from "./records";
import type { Seed } from "./seed";
import { findGoogleUser, googlePolicy } from "./googleUsers";
import { GOOGLE_SCOPE, type Store } from "./store";

export interface GoogleContext {
  store: Store;
  caller: GoogleCaller;
  seed: Seed;
}

const SCOPE = "https://www.googleapis.com/auth/";
const GMAIL_READ_SCOPES = ["gmail.settings.basic", "gmail.settings.sharing", "gmail.modify", "gmail.readonly"].map((scope) => SCOPE + scope).concat("https://mail.google.com/");
const GMAIL_WRITE_SCOPES = [`${SCOPE}gmail.settings.sharing`];
const DIRECTORY_SCOPES = ["admin.directory.user", "admin.directory.user.readonly"].map((scope) => SCOPE + scope);
const DISPOSITIONS: ForwardingDisposition[] = ["leaveInInbox", "archive", "trash", "markRead"];

type Handler = (context: GoogleContext, request: SandboxRequest, match: string[]) => SandboxResponse;

const ROUTES: { method: string; pattern: RegExp; handler: Handler }[] = [
  { method: "GET", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses$/, handler: listForwardingAddresses },
  { method: "POST", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses$/, handler: createForwardingAddress },
  { method: "GET", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses\/([^/]+)$/, handler: getForwardingAddress },
  { method: "DELETE", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/forwardingAddresses\/([^/]+)$/, handler: deleteForwardingAddress },
  { method: "GET", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/autoForwarding$/, handler: getAutoForwarding },
  { method: "PUT", pattern: /^\/gmail\/v1\/users\/([^/]+)\/settings\/autoForwarding$/, handler: updateAutoForwarding },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/users$/, handler: listDirectoryUsers },
  { method: "GET", pattern: /^\/admin\/directory\/v1\/users\/([^/]+)$/, handler: getDirectoryUser },
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

/** The 401 every Google API answers without a valid token (§1.6). */
export function googleUnauthenticated(): HttpError {
  return googleError(401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", {
    location: "Authorization",
  });
}

function requireScope(context: GoogleContext, scopes: string[]): void {
  if (!scopes.some((scope) => context.caller.hasScope(scope))) {
    throw googleError(403, "insufficientPermissions", "Request had insufficient authentication scopes.");
  }
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

/** Directory calls need a Directory user scope and an admin subject (§2.1); a token without `sub` is nobody. */
function requireDirectoryAdmin(context: GoogleContext): void {
  requireScope(context, DIRECTORY_SCOPES);
  const caller = context.caller;
  if (caller.kind === "static") return;
  if (caller.kind === "serviceAccount" || !findGoogleUser(context.store, caller.subject)?.isAdmin) throw googleError(403, "forbidden", "Not Authorized to access this resource/api");
}

function getDirectoryUser(context: GoogleContext, _request: SandboxRequest, [userKey]: string[]): SandboxResponse {
  requireDirectoryAdmin(context);
  const user = findGoogleUser(context.store, userKey.toLowerCase()) ?? context.store.list<GoogleUserRecord>(GOOGLE_SCOPE, "googleUser").find((entry) => entry.id === userKey);
  if (!user) throw googleError(404, "notFound", "Resource Not Found: userKey");
  return json(200, directoryUserView(context, user));
}

const LIST_PARAMETERS = ["customer", "domain", "maxResults", "pageToken", "showDeleted"];
/** Parameters every Google API takes (googleapis may send them); they do not change the answer here. */
const GOOGLE_SYSTEM_PARAMETERS = ["alt", "prettyPrint", "fields", "key", "quotaUser"];
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 500;

/**
 * users.list for the customer (`my_customer` or its id) or one of its domains, ordered by primary
 * email, paged by an opaque `pageToken`/`nextPageToken`.
 */
function listDirectoryUsers(context: GoogleContext, request: SandboxRequest): SandboxResponse {
  requireDirectoryAdmin(context);
  const unsupported = [...request.query.keys()].filter((name) => !LIST_PARAMETERS.includes(name) && !GOOGLE_SYSTEM_PARAMETERS.includes(name));
  if (unsupported.length > 0) throw googleError(400, "invalid", `The sandbox's users.list does not emulate ${unsupported.join(", ")}; it takes ${LIST_PARAMETERS.join(", ")}.`);
  const customer = request.query.get("customer");
  const domain = request.query.get("domain")?.toLowerCase();
  if (!customer && !domain) throw googleError(400, "badRequest", "Bad Request: give customer (my_customer or the customer id) or domain.");
  if (customer && customer !== "my_customer" && customer !== context.seed.google.customerId) throw googleError(403, "forbidden", "Not Authorized to access this resource/api");
  const domains = context.store.list<GoogleDomainRecord>(GOOGLE_SCOPE, "googleDomain");
  if (domain && !domains.some((entry) => entry.domainName === domain)) throw googleError(403, "forbidden", "Not Authorized to access this resource/api");
  const pageSize = Number(request.query.get("maxResults") ?? DEFAULT_PAGE_SIZE);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw googleError(400, "invalid", `Invalid value for maxResults: ${request.query.get("maxResults")}; give 1 to ${MAX_PAGE_SIZE}.`);
  const offset = pageOffset(request.query.get("pageToken"));
  // showDeleted=true lists the deleted users instead (users.list reference): positive evidence that one is gone.
  const users = context.store
    .list<GoogleUserRecord>(GOOGLE_SCOPE, request.query.get("showDeleted") === "true" ? "deletedGoogleUser" : "googleUser")
    .filter((user) => !domain || user.primaryEmail.endsWith(`@${domain}`))
    .sort((left, right) => left.primaryEmail.localeCompare(right.primaryEmail));
  const page = users.slice(offset, offset + pageSize);
  return json(200, {
    kind: "admin#directory#users",
    etag: `"${users.length}"`,
    ...(page.length > 0 ? { users: page.map((user) => directoryUserView(context, user)) } : {}),
    ...(offset + pageSize < users.length ? { nextPageToken: Buffer.from(`offset:${offset + pageSize}`).toString("base64url") } : {}),
  });
}

function pageOffset(token: string | null): number {
  if (!token) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw googleError(400, "invalid", "Invalid pageToken: pass the nextPageToken of the previous page unchanged.");
  return Number(match[1]);
}

function directoryUserView(context: GoogleContext, user: GoogleUserRecord): object {
  return {
    kind: "admin#directory#user",
    id: user.id,
    etag: `"${user.id}"`,
    primaryEmail: user.primaryEmail,
    name: { givenName: user.givenName, familyName: user.familyName, fullName: `${user.givenName} ${user.familyName}` },
    isAdmin: user.isAdmin,
    isDelegatedAdmin: false,
    suspended: user.suspended,
    ...(user.suspended ? { suspensionReason: "ADMIN" } : {}),
    ...("deletionTime" in user ? { deletionTime: user.deletionTime } : {}),
    archived: false,
    isMailboxSetup: true,
    customerId: context.seed.google.customerId,
    orgUnitPath: "/",
    ...(user.aliases.length > 0 ? { aliases: user.aliases } : {}),
    nonEditableAliases: domainAliasAddresses(user.primaryEmail, context.store.list(GOOGLE_SCOPE, "googleDomain")),
    ...(user.department ? { organizations: [{ department: user.department, primary: true, customType: "" }] } : {}),
  };
}
