/** What every Google API handler of the sandbox shares: the caller, scope and admin checks, query parameters and paging. */
import type { GoogleCaller } from "./auth";
import { googleError, type HttpError, type SandboxRequest, type SandboxResponse } from "./http";
import { findGoogleUser } from "./googleUsers";
import type { Seed } from "./seed";
import type { Store } from "./store";

export interface GoogleContext {
  store: Store;
  caller: GoogleCaller;
  seed: Seed;
}

export type GoogleHandler = (context: GoogleContext, request: SandboxRequest, match: string[]) => SandboxResponse;

export interface GoogleRoute {
  method: string;
  pattern: RegExp;
  handler: GoogleHandler;
}

export const SCOPE = "https://www.googleapis.com/auth/";

/** The 401 every Google API answers without a valid token (google-workspace.md §1.6). */
export function googleUnauthenticated(): HttpError {
  return googleError(401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", {
    location: "Authorization",
  });
}

export function requireScope(context: GoogleContext, scopes: string[]): void {
  if (!scopes.some((scope) => context.caller.hasScope(scope))) {
    throw googleError(403, "insufficientPermissions", "Request had insufficient authentication scopes.");
  }
}

/** Directory calls need one of the method's scopes and an admin subject (§2.1); a token without `sub` is nobody. */
export function requireDirectoryAdmin(context: GoogleContext, scopes: string[]): void {
  requireScope(context, scopes);
  const caller = context.caller;
  if (caller.kind === "static") return;
  if (caller.kind === "serviceAccount" || !findGoogleUser(context.store, caller.subject)?.isAdmin) throw googleError(403, "forbidden", "Not Authorized to access this resource/api");
}

/** Parameters every Google API takes (googleapis may send them); they do not change the answer here. */
const GOOGLE_SYSTEM_PARAMETERS = ["alt", "prettyPrint", "fields", "key", "quotaUser"];

/** Refuses query parameters the sandbox does not emulate, naming them. */
export function checkQuery(request: SandboxRequest, method: string, allowed: string[]): void {
  const unsupported = [...request.query.keys()].filter((name) => !allowed.includes(name) && !GOOGLE_SYSTEM_PARAMETERS.includes(name));
  if (unsupported.length > 0) {
    throw googleError(400, "invalid", `The sandbox's ${method} does not emulate ${unsupported.join(", ")}; it takes ${allowed.join(", ") || "no parameters"}.`);
  }
}

/** The customer a path or query names: `my_customer` or the seed's id; another customer is not the caller's. */
export function checkCustomer(context: GoogleContext, customer: string): void {
  if (customer !== "my_customer" && customer !== context.seed.google.customerId) throw googleError(403, "forbidden", "Not Authorized to access this resource/api");
}

/** One page of `items` by `maxResults` (1 to `max`, default `defaultSize`) and an opaque `pageToken`. */
export function page<T>(request: SandboxRequest, items: T[], defaultSize: number, max: number): { items: T[]; nextPageToken?: string } {
  const pageSize = Number(request.query.get("maxResults") ?? defaultSize);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) throw googleError(400, "invalid", `Invalid value for maxResults: ${request.query.get("maxResults")}; give 1 to ${max}.`);
  const offset = pageOffset(request.query.get("pageToken"));
  return {
    items: items.slice(offset, offset + pageSize),
    ...(offset + pageSize < items.length ? { nextPageToken: Buffer.from(`offset:${offset + pageSize}`).toString("base64url") } : {}),
  };
}

function pageOffset(token: string | null): number {
  if (!token) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw googleError(400, "invalid", "Invalid pageToken: pass the nextPageToken of the previous page unchanged.");
  return Number(match[1]);
}
