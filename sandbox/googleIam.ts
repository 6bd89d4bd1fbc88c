/**
 * Google's keyless path for CI (google-workspace.md §3.3): the Security Token Service exchange
 * (`POST /v1/token`) that turns a CI job's OIDC token into a federated access token, and IAM
 * Credentials `signJwt` (`POST /v1/projects/-/serviceAccounts/{email}:signJwt`), which signs a
 * payload with the service account's key for a caller allowed to. The signed domain-wide
 * delegation assertion then goes to the token endpoint (`googleToken` in auth.ts) like a
 * key-signed one.
 */
import { createSign } from "node:crypto";
import { signToken, verifyToken } from "./auth";
import { HttpError, bearerToken, json, jsonBody, type SandboxRequest, type SandboxResponse } from "./http";
import type { Store } from "./store";

/** The issuer of GitHub Actions' OIDC tokens, which the sandbox's workload identity pool trusts. */
export const CI_ISSUER = "https://token.actions.githubusercontent.com";
/** The sandbox's workload identity provider, as an external-account credentials file names it. */
export const WORKLOAD_PROVIDER = "//iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/ci/providers/github";
/** The audience google-github-actions/auth asks GitHub for: the provider's resource URL. */
const CI_TOKEN_AUDIENCE = `https:${WORKLOAD_PROVIDER}`;
const PRINCIPAL_PREFIX = "principal://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/ci/subject/";
/**
 * Who holds Service Account Token Creator on the delegation service account: the pipeline's
 * deployment job (examples/gitops/README.md), never a pull request's.
 */
const TOKEN_CREATOR_SUBJECT = /^repo:[^/]+\/[^:]+:environment:production$/;
/** Audience of the federated tokens this STS issues: they are good for IAM Credentials only. */
const FEDERATED_AUDIENCE = "https://iamcredentials.googleapis.com";
const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const TOKEN_LIFETIME_S = 3600;
/** signJwt refuses an `exp` further ahead (google-workspace.md §3.3). */
const MAX_SIGNED_LIFETIME_S = 12 * 3600;

/** A CI job's OIDC token for `subject` (e.g. `repo:contoso/migration:environment:production`), as GitHub would issue it. */
export function ciToken(store: Store, subject: string): string {
  if (!subject) throw new Error("a CI token needs a subject, e.g. repo:contoso/migration:environment:production");
  const now = Math.floor(Date.now() / 1000);
  return signToken(store.secrets().tokenKey, { iss: CI_ISSUER, sub: subject, aud: CI_TOKEN_AUDIENCE, iat: now, exp: now + TOKEN_LIFETIME_S });
}

/** The external-account credentials file google-github-actions/auth writes (direct workload identity federation), pointed at this sandbox. */
export function workloadIdentityCredentials(origin: string, tokenFile: string): object {
  return {
    type: "external_account",
    audience: WORKLOAD_PROVIDER,
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    token_url: `${origin}/v1/token`,
    credential_source: { file: tokenFile },
    universe_domain: "googleapis.com",
  };
}

const SIGN_JWT_PATH = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+):signJwt$/;

/** Whether `path` is one of the keyless path's URLs (STS token exchange, IAM Credentials signJwt). */
export function isGoogleIamPath(path: string): boolean {
  return path === "/v1/token" || SIGN_JWT_PATH.test(path);
}

/** The handler of a keyless-path URL, or undefined when `path` is none of them. */
export function googleIamRoute(store: Store, path: string): { operation: string; handle: (request: SandboxRequest) => SandboxResponse } | undefined {
  if (path === "/v1/token") return { operation: "POST sts token", handle: (request) => stsToken(store, request) };
  const signJwtTarget = SIGN_JWT_PATH.exec(path)?.[1];
  if (signJwtTarget) return { operation: "POST signJwt", handle: (request) => signJwt(store, request, decodeURIComponent(signJwtTarget)) };
  return undefined;
}

function stsError(error: string, description: string): HttpError {
  return new HttpError(json(400, { error, error_description: description }));
}

/** RFC 8693 token exchange as Google's STS answers it: a CI OIDC token for a federated access token. */
function stsToken(store: Store, request: SandboxRequest): SandboxResponse {
  const form = new URLSearchParams(request.body);
  if (request.method !== "POST" || form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:token-exchange") {
    throw stsError("unsupported_grant_type", `Unsupported grant_type: ${form.get("grant_type") ?? ""}`);
  }
  if (form.get("audience") !== WORKLOAD_PROVIDER) {
    throw stsError("invalid_target", 'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.');
  }
  const subject = verifyToken(store.secrets().tokenKey, form.get("subject_token") ?? "");
  if (!subject || subject.iss !== CI_ISSUER || subject.aud !== CI_TOKEN_AUDIENCE || !subject.sub) {
    throw stsError("invalid_grant", "The provided subject token is not a valid OIDC token of the provider's issuer, or it has expired.");
  }
  const scopes = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
  const now = Math.floor(Date.now() / 1000);
  const accessToken = signToken(store.secrets().tokenKey, {
    aud: FEDERATED_AUDIENCE,
    sub: `${PRINCIPAL_PREFIX}${subject.sub}`,
    scope: scopes.join(" "),
    iss: request.origin,
    iat: now,
    exp: now + TOKEN_LIFETIME_S,
  });
  return json(200, { access_token: accessToken, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: TOKEN_LIFETIME_S - 1 });
}

function iamError(code: number, status: string, message: string): HttpError {
  return new HttpError(json(code, { error: { code, message, status } }));
}

/** `serviceAccounts.signJwt`: signs the caller's claims with the service account's key (RS256). */
function signJwt(store: Store, request: SandboxRequest, serviceAccount: string): SandboxResponse {
  if (request.method !== "POST") throw iamError(405, "METHOD_NOT_ALLOWED", `signJwt takes POST, not ${request.method}.`);
  const caller = verifyToken(store.secrets().tokenKey, bearerToken(request) ?? "");
  if (!caller || caller.aud !== FEDERATED_AUDIENCE || !(caller.scope ?? "").split(" ").includes(CLOUD_PLATFORM_SCOPE)) {
    throw iamError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
  }
  const account = store.seed().google.serviceAccount;
  if (serviceAccount !== account.clientEmail && serviceAccount !== account.clientId) {
    throw iamError(404, "NOT_FOUND", `Not found; Gaia id not found for email ${serviceAccount}`);
  }
  if (!TOKEN_CREATOR_SUBJECT.test((caller.sub ?? "").slice(PRINCIPAL_PREFIX.length))) {
    throw iamError(403, "PERMISSION_DENIED", "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).");
  }
  const { payload } = jsonBody<{ payload?: unknown }>(request, (message) => iamError(400, "INVALID_ARGUMENT", message));
  let claims: { exp?: unknown };
  try {
    claims = JSON.parse(String(payload)) as { exp?: unknown };
  } catch {
    throw iamError(400, "INVALID_ARGUMENT", "Invalid JWT payload: it must be a JSON object.");
  }
  if (typeof claims !== "object" || claims === null) throw iamError(400, "INVALID_ARGUMENT", "Invalid JWT payload: it must be a JSON object.");
  if (typeof claims.exp === "number" && claims.exp > Math.floor(Date.now() / 1000) + MAX_SIGNED_LIFETIME_S) {
    throw iamError(400, "INVALID_ARGUMENT", "The exp claim must be at most 12 hours in the future.");
  }
  const { privateKeyPem, privateKeyId } = store.secrets().google;
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "RS256", typ: "JWT", kid: privateKeyId })}.${encode(claims)}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(privateKeyPem).toString("base64url");
  return json(200, { keyId: privateKeyId, signedJwt: `${unsigned}.${signature}` });
}
