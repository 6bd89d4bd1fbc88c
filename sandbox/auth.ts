/**
 * Token issuing and checking: Entra ID client credentials (for Graph and Exchange) and Google's
 * JWT-bearer grant (service account with domain-wide delegation). Tokens are JWT-shaped and
 * HMAC-signed with a per-data-dir key, so they survive restarts and need no token table.
 */
import { createHmac, createVerify, timingSafeEqual } from "node:crypto";
import { callerOf, grantClaims, type Caller } from "./authorization";
import { HttpError, bearerToken, json, type SandboxRequest, type SandboxResponse } from "./http";
import { findDeletedGoogleUser, findGoogleUser } from "./googleUsers";
import type { TenantRecord } from "./records";
import type { Store } from "./store";

export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
export const EXCHANGE_AUDIENCE = "https://outlook.office365.com";
export const GOOGLE_AUDIENCE = "https://www.googleapis.com";
/** Audience of the static tokens (`COEXIST_ACCESS_TOKEN` mode): every API of the sandbox. */
const ANY_AUDIENCE = "*";
const TOKEN_LIFETIME_S = 3600;
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export interface TokenClaims {
  aud: string;
  /** Entra tenant; absent on Google tokens. */
  tid?: string;
  appid?: string;
  /** Google: the impersonated user. */
  sub?: string;
  /** Entra: the application permissions granted on the token's resource; absent when there are none. */
  roles?: string[];
  /** Entra: the directory role template ids of the app's service principal; absent when there are none. */
  wids?: string[];
  scope?: string;
  iss: string;
  iat: number;
  exp: number;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

export function signToken(key: string, claims: TokenClaims): string {
  const unsigned = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${createHmac("sha256", key).update(unsigned).digest("base64url")}`;
}

/** The claims of a token this sandbox issued and that has not expired, else undefined. */
export function verifyToken(key: string, token: string, now = Date.now()): TokenClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const expected = createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString()) as TokenClaims;
  return claims.exp * 1000 > now ? claims : undefined;
}

/** One token per tenant valid for Graph, Exchange and Google for ten years (a documented deviation). */
export function staticToken(store: Store, tenant: TenantRecord, origin: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signToken(store.secrets().tokenKey, {
    aud: ANY_AUDIENCE,
    tid: tenant.tenantId,
    appid: tenant.apps[0].clientId,
    iss: `${origin}/${tenant.tenantId}/v2.0`,
    iat: now,
    exp: now + 10 * 365 * 24 * 3600,
  });
}

export function findTenant(store: Store, idOrDomain: string): TenantRecord | undefined {
  const key = idOrDomain.toLowerCase();
  return store.tenants().find((tenant) => tenant.tenantId === key || tenant.initialDomain === key);
}

/** Claims of a valid bearer token for `audience`, or undefined (the caller answers 401 its own way). */
export function microsoftClaims(store: Store, request: SandboxRequest, audience: string): TokenClaims | undefined {
  const token = bearerToken(request);
  const claims = token ? verifyToken(store.secrets().tokenKey, token) : undefined;
  if (!claims?.tid) return undefined;
  return claims.aud === audience || claims.aud === ANY_AUDIENCE ? claims : undefined;
}

/** Who calls with these claims; the static token may do anything. */
export function microsoftCaller(claims: TokenClaims): Caller {
  return callerOf(claims, claims.aud === ANY_AUDIENCE);
}

// ---- Entra endpoints -------------------------------------------------------------------------

export function aadError(status: number, error: string, aadsts: string, description: string): HttpError {
  const code = Number(aadsts.replace("AADSTS", ""));
  return new HttpError(
    json(status, {
      error,
      error_description: `${aadsts}: ${description} Trace ID: sandbox Correlation ID: sandbox Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: "sandbox",
      correlation_id: "sandbox",
    }),
  );
}

const RESOURCES = new Map([
  [`${GRAPH_AUDIENCE}/.default`, { audience: GRAPH_AUDIENCE, api: "graph" as const }],
  [`${EXCHANGE_AUDIENCE}/.default`, { audience: EXCHANGE_AUDIENCE, api: "exchange" as const }],
]);

/** `POST /{tenant}/oauth2/v2.0/token`, client-credentials grant with a client secret. */
export function entraToken(store: Store, request: SandboxRequest, tenantSegment: string): SandboxResponse {
  const form = new URLSearchParams(request.body);
  const tenant = findTenant(store, tenantSegment);
  if (!tenant) throw aadError(400, "invalid_request", "AADSTS90002", `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID.`);
  if (form.get("grant_type") !== "client_credentials") {
    throw aadError(400, "unsupported_grant_type", "AADSTS70003", `The app requested an unsupported grant type '${form.get("grant_type") ?? ""}'.`);
  }
  const clientId = form.get("client_id") ?? "";
  const app = tenant.apps.find((entry) => entry.clientId === clientId);
  if (!app) {
    throw aadError(400, "unauthorized_client", "AADSTS700016", `Application with identifier '${clientId}' was not found in the directory '${tenant.initialDomain}'.`);
  }
  if (form.get("client_secret") !== app.clientSecret) {
    throw aadError(401, "invalid_client", "AADSTS7000215", "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.");
  }
  const scopes = (form.get("scope") ?? "").split(" ").filter((scope) => scope && !["openid", "profile", "offline_access"].includes(scope));
  const resource = scopes.length === 1 ? RESOURCES.get(scopes[0]) : undefined;
  if (!resource) {
    throw aadError(
      400,
      "invalid_scope",
      "AADSTS1002012",
      `The provided value for scope ${scopes.join(" ")} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const accessToken = signToken(store.secrets().tokenKey, {
    aud: resource.audience,
    tid: tenant.tenantId,
    appid: app.clientId,
    ...grantClaims(app, resource.api),
    iss: `${request.origin}/${tenant.tenantId}/v2.0`,
    iat: now,
    exp: now + TOKEN_LIFETIME_S,
  });
  return json(200, { token_type: "Bearer", expires_in: TOKEN_LIFETIME_S - 1, ext_expires_in: TOKEN_LIFETIME_S - 1, access_token: accessToken });
}

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`: what MSAL reads before the token call. */
export function openIdConfiguration(store: Store, request: SandboxRequest, tenantSegment: string): SandboxResponse {
  const tenant = findTenant(store, tenantSegment);
  if (!tenant) throw aadError(400, "invalid_tenant", "AADSTS90002", `Tenant '${tenantSegment}' not found.`);
  const base = `${request.origin}/${tenant.tenantId}`;
  return json(200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${request.origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "tid"],
    tenant_region_scope: "EU",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  });
}

/** `GET /common/discovery/instance`: only called when the client does not disable instance discovery. */
export function instanceDiscovery(request: SandboxRequest): SandboxResponse {
  const host = new URL(request.origin).host;
  return json(200, {
    tenant_discovery_endpoint: `${request.origin}/{tenant}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}

// ---- Google token endpoint -------------------------------------------------------------------

function googleTokenError(status: number, error: string, description: string): HttpError {
  return new HttpError(json(status, { error, error_description: description }));
}

/**
 * `POST /token` with the JWT-bearer grant google-auth-library sends (google-workspace.md §3.1):
 * the assertion must be signed with the sandbox service account's key, name a subject that is a
 * Workspace user, and ask only for scopes granted to the service account (domain-wide delegation).
 */
export function googleToken(store: Store, request: SandboxRequest): SandboxResponse {
  const form = new URLSearchParams(request.body);
  if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    throw googleTokenError(400, "unsupported_grant_type", "Invalid grant_type: " + (form.get("grant_type") ?? ""));
  }
  const parts = (form.get("assertion") ?? "").split(".");
  if (parts.length !== 3) throw googleTokenError(400, "invalid_request", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
  const seed = store.seed();
  const verifier = createVerify("RSA-SHA256").update(`${parts[0]}.${parts[1]}`);
  if (!verifier.verify(store.secrets().google.publicKeyPem, Buffer.from(parts[2], "base64url"))) {
    throw googleTokenError(400, "invalid_grant", "Invalid JWT Signature.");
  }
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString()) as { iss?: string; sub?: string; scope?: string; aud?: string; exp?: number };
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== seed.google.serviceAccount.clientEmail) throw googleTokenError(400, "invalid_grant", "Invalid grant: account not found");
  if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== `${request.origin}/token`) {
    throw googleTokenError(400, "invalid_grant", `Invalid JWT: audience must be ${GOOGLE_TOKEN_URL}.`);
  }
  if (!claims.exp || claims.exp <= now) throw googleTokenError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
  const requested = (claims.scope ?? "").split(/\s+/).filter(Boolean);
  const granted = new Set(seed.google.serviceAccount.scopes);
  if (requested.length === 0 || requested.some((scope) => !granted.has(scope))) {
    throw googleTokenError(
      401,
      "unauthorized_client",
      "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
    );
  }
  if (claims.sub && !findGoogleUser(store, claims.sub)) {
    // GAM (GAM-team/GAM src/gam/gamlib/glapi.py OAUTH2_TOKEN_ERRORS; PR #1171): a recently deleted account and an unknown one answer differently.
    throw googleTokenError(400, "invalid_grant", findDeletedGoogleUser(store, claims.sub) ? "The account has been deleted" : "Invalid email or User ID");
  }
  const accessToken = signToken(store.secrets().tokenKey, {
    aud: GOOGLE_AUDIENCE,
    sub: claims.sub?.toLowerCase(),
    scope: requested.join(" "),
    iss: claims.iss,
    iat: now,
    exp: now + TOKEN_LIFETIME_S,
  });
  return json(200, { access_token: accessToken, expires_in: TOKEN_LIFETIME_S - 1, token_type: "Bearer" });
}

/**
 * Who calls a Google API: a service account acting for `subject` (domain-wide delegation), the
 * service account as itself (a token without `sub`, which acts for no mailbox), or the static token
 * (`COEXIST_ACCESS_TOKEN` mode: a super admin for every mailbox, the documented deviation, unless the
 * seed's `google.staticToken` is `noMailbox`).
 */
export type GoogleCaller = { hasScope(scope: string): boolean } & ({ kind: "delegated"; subject: string } | { kind: "serviceAccount" } | { kind: "static" });

export function googleCaller(store: Store, request: SandboxRequest): GoogleCaller | undefined {
  const token = bearerToken(request);
  const claims = token ? verifyToken(store.secrets().tokenKey, token) : undefined;
  if (!claims) return undefined;
  if (claims.aud === ANY_AUDIENCE) {
    // A static token is the Google super admin only for the tenant that the Google workspace pairs with.
    if (claims.tid !== store.tenants()[0]?.tenantId) return undefined;
    return store.seed().google.staticToken === "noMailbox" ? { kind: "serviceAccount", hasScope: () => true } : { kind: "static", hasScope: () => true };
  }
  if (claims.aud !== GOOGLE_AUDIENCE) return undefined;
  const scopes = new Set((claims.scope ?? "").split(" "));
  const hasScope = (scope: string): boolean => scopes.has(scope);
  return claims.sub ? { kind: "delegated", subject: claims.sub, hasScope } : { kind: "serviceAccount", hasScope };
}

/** The service-account key file clients use; `token_uri` points at the sandbox. */
export function googleCredentialsJson(store: Store, origin: string): object {
  const seed = store.seed();
  const secrets = store.secrets();
  return {
    type: "service_account",
    project_id: "coexist-sandbox",
    private_key_id: secrets.google.privateKeyId,
    private_key: secrets.google.privateKeyPem,
    client_email: seed.google.serviceAccount.clientEmail,
    client_id: seed.google.serviceAccount.clientId,
    auth_uri: `${origin}/o/oauth2/auth`,
    token_uri: `${origin}/token`,
    universe_domain: "googleapis.com",
  };
}
