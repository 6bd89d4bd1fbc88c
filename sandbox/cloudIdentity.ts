/**
 * Cloud Identity Policy API, read side (`policies.list`, `policies.get`), at the paths googleapis'
 * `cloudidentity` v1 client generates under its `rootUrl`. The sandbox models one setting, Gmail's
 * `settings/gmail.auto_forwarding` ("Allow users to automatically forward incoming email"), on the
 * Workspace's top-level organisational unit, as Google serves it: a SYSTEM default that allows
 * forwarding, and, when the admin forbids it, an ADMIN policy with a greater sortOrder (the Max
 * reducer takes the value of the greatest sortOrder: Policy API concepts).
 */
import type { GoogleCaller } from "./auth";
import { findGoogleUser, googlePolicy } from "./googleUsers";
import { HttpError, json, type SandboxRequest, type SandboxResponse } from "./http";
import type { Store } from "./store";

export interface CloudIdentityContext {
  store: Store;
  caller: GoogleCaller | undefined;
}

const SCOPES = ["https://www.googleapis.com/auth/cloud-identity.policies", "https://www.googleapis.com/auth/cloud-identity.policies.readonly"];
export const AUTO_FORWARDING_SETTING = "settings/gmail.auto_forwarding";
const ROOT_ORG_UNIT_ID = "03ph8a2z1sandbox";
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;
const SYSTEM_PARAMETERS = ["alt", "prettyPrint", "fields", "key", "quotaUser", "$.xgafv"];

interface Policy {
  name: string;
  customer: string;
  policyQuery: { orgUnit: string; query: string; sortOrder: number };
  setting: { type: string; value: Record<string, unknown> };
  type: "SYSTEM" | "ADMIN";
}

/** A Cloud API error (`google.rpc.Status` as JSON): code, message, status, no legacy `errors[]`. */
export function cloudError(code: number, status: string, message: string, reason?: string): HttpError {
  const details = reason ? [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "googleapis.com", metadata: { service: "cloudidentity.googleapis.com" } }] : undefined;
  return new HttpError(json(code, { error: { code, message, status, ...(details ? { details } : {}) } }));
}

export function handleCloudIdentity(context: CloudIdentityContext, request: SandboxRequest): SandboxResponse {
  const name = /^\/v1\/policies(?:\/([^/]+))?$/.exec(request.path);
  if (!name || request.method !== "GET") throw cloudError(404, "NOT_FOUND", `The sandbox emulates only GET /v1/policies and GET /v1/policies/{policy}, not ${request.method} ${request.path}.`);
  requireSuperAdmin(context);
  const policies = autoForwardingPolicies(context.store);
  if (name[1] !== undefined) {
    const policy = policies.find((entry) => entry.name === `policies/${decodeURIComponent(name[1])}`);
    if (!policy) throw cloudError(404, "NOT_FOUND", "Requested entity was not found.");
    return json(200, policy);
  }
  return listPolicies(context, request, policies);
}

/** "Only a super administrator can use the Cloud Identity Policy API" (Policy API overview). */
function requireSuperAdmin(context: CloudIdentityContext): void {
  const caller = context.caller;
  if (!caller) {
    throw cloudError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
  }
  if (!SCOPES.some((scope) => caller.hasScope(scope))) throw cloudError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", "ACCESS_TOKEN_SCOPE_INSUFFICIENT");
  if (caller.kind === "static") return;
  if (caller.kind === "serviceAccount" || !findGoogleUser(context.store, caller.subject)?.isAdmin) throw cloudError(403, "PERMISSION_DENIED", "The caller does not have permission");
}

function autoForwardingPolicies(store: Store): Policy[] {
  const customer = `customers/${store.seed().google.customerId}`;
  const policyQuery = (sortOrder: number) => ({
    orgUnit: `orgUnits/${ROOT_ORG_UNIT_ID}`,
    query: `entity.org_units.exists(org_unit, org_unit.org_unit_id == orgUnitId('${ROOT_ORG_UNIT_ID}'))`,
    sortOrder,
  });
  const system: Policy = { name: "policies/sandbox0system0gmail0auto0forwarding", customer, policyQuery: policyQuery(100.00049), setting: { type: AUTO_FORWARDING_SETTING, value: { enableAutoForwarding: true } }, type: "SYSTEM" };
  if (googlePolicy(store).autoForwardingAllowed) return [system];
  return [system, { name: "policies/sandbox0admin0gmail0auto0forwarding", customer, policyQuery: policyQuery(201.00243), setting: { type: AUTO_FORWARDING_SETTING, value: { enableAutoForwarding: false } }, type: "ADMIN" }];
}

function listPolicies(context: CloudIdentityContext, request: SandboxRequest, policies: Policy[]): SandboxResponse {
  const unsupported = [...request.query.keys()].filter((key) => !["filter", "pageSize", "pageToken", ...SYSTEM_PARAMETERS].includes(key));
  if (unsupported.length > 0) throw cloudError(400, "INVALID_ARGUMENT", `Invalid JSON payload received. Unknown name "${unsupported[0]}": Cannot bind query parameter.`);
  const pageSize = Number(request.query.get("pageSize") ?? 0);
  if (!Number.isInteger(pageSize) || pageSize < 0) throw cloudError(400, "INVALID_ARGUMENT", "page_size must not be negative.");
  const filter = request.query.get("filter") ?? "";
  const matching = filter.trim() === "" ? policies : policies.filter(parseFilter(filter, context.store.seed().google.customerId));
  const size = Math.min(pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize, MAX_PAGE_SIZE);
  const offset = pageOffset(request.query.get("pageToken"), filter);
  const page = matching.slice(offset, offset + size);
  return json(200, {
    ...(page.length > 0 ? { policies: page } : {}),
    ...(offset + size < matching.length ? { nextPageToken: Buffer.from(JSON.stringify({ offset: offset + size, filter })).toString("base64url") } : {}),
  });
}

function pageOffset(token: string | null, filter: string): number {
  if (!token) return 0;
  let parsed: { offset?: unknown; filter?: unknown } = {};
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as typeof parsed;
  } catch {
    // not one of ours: refused below
  }
  if (typeof parsed.offset !== "number" || parsed.filter !== filter) throw cloudError(400, "INVALID_ARGUMENT", "Invalid page token: pass the nextPageToken of the previous page with the same filter.");
  return parsed.offset;
}

type Predicate = (policy: Policy) => boolean;

/**
 * The documented filter forms (policies.list reference): `setting.type.matches('<RE2>')` and
 * `customer == "customers/{id|my_customer}"`, combined with `&&`, `||` and parentheses. Anything
 * else is refused rather than guessed at.
 */
export function parseFilter(filter: string, customerId: string): Predicate {
  const tokens = filter.match(/&&|\|\||\(|\)|setting\.type\.matches\(\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\)|customer\s*==\s*(?:'[^']*'|"[^"]*")|\S+/g) ?? [];
  let position = 0;
  const invalid = (): HttpError => cloudError(400, "INVALID_ARGUMENT", `Invalid filter: ${filter}. The sandbox understands setting.type.matches('<regex>') and customer == "customers/<id>", joined by && and ||.`);
  const primary = (): Predicate => {
    const token = tokens[position++];
    if (token === "(") {
      const inner = disjunction();
      if (tokens[position++] !== ")") throw invalid();
      return inner;
    }
    const matches = /^setting\.type\.matches\(\s*(['"])(.*)\1\s*\)$/s.exec(token ?? "");
    if (matches) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(matches[2].replace(/\\([\\'"])/g, "$1"));
      } catch {
        throw invalid();
      }
      return (policy) => pattern.test(policy.setting.type);
    }
    const customer = /^customer\s*==\s*['"]customers\/([^'"]+)['"]$/.exec(token ?? "");
    if (customer) {
      if (customer[1] !== "my_customer" && customer[1] !== customerId) throw cloudError(403, "PERMISSION_DENIED", "The caller does not have permission");
      return () => true;
    }
    throw invalid();
  };
  const conjunction = (): Predicate => {
    let left = primary();
    while (tokens[position] === "&&") {
      position++;
      const [first, second] = [left, primary()];
      left = (policy) => first(policy) && second(policy);
    }
    return left;
  };
  const disjunction = (): Predicate => {
    let left = conjunction();
    while (tokens[position] === "||") {
      position++;
      const [first, second] = [left, conjunction()];
      left = (policy) => first(policy) || second(policy);
    }
    return left;
  };
  const predicate = disjunction();
  if (position !== tokens.length) throw invalid();
  return predicate;
}
