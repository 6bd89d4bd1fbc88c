/**
 * Domain-wide delegation without a service-account key (google-workspace.md §3.3). The ambient
 * Google identity (Application Default Credentials: in CI the workload identity federation file
 * that google-github-actions/auth writes) asks IAM Credentials `signJwt` to sign the delegation
 * assertion with the service account's Google-held key; the signed assertion is then exchanged at
 * the OAuth token endpoint with the JWT-bearer grant, like a key-signed one. google-auth-library
 * cannot do this by itself: its `Impersonated` client has no subject.
 */
import { auth } from "googleapis/build/src/apis/gmail";
import { ConfigError } from "../config";
import { messageOf } from "./errors";

type OAuth2Client = InstanceType<typeof auth.OAuth2>;
type GoogleAuth = InstanceType<typeof auth.GoogleAuth>;

export interface KeylessDelegation {
  /** Email of the service account that Google Workspace trusts with domain-wide delegation. */
  serviceAccount: string;
  /** Root URL of IAM Credentials, e.g. `https://iamcredentials.googleapis.com/`. */
  iamUrl: string;
  /** The OAuth token endpoint, e.g. `https://oauth2.googleapis.com/token`. */
  tokenUrl: string;
}

/** What the ambient identity needs to call IAM Credentials. */
const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** The token endpoint accepts assertions of at most an hour. */
const ASSERTION_LIFETIME_S = 3600;
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** The ambient identity per credentials file the environment names (one STS exchange serves every user). */
const ambientIdentities = new Map<string, GoogleAuth>();

function ambientIdentity(): GoogleAuth {
  const file = process.env.GOOGLE_APPLICATION_CREDENTIALS ?? "";
  let identity = ambientIdentities.get(file);
  if (!identity) {
    // signJwt names no project (`projects/-`). Without one given, GoogleAuth looks for a project
    // before it hands out a client: environment, gcloud, the metadata server, then Resource
    // Manager, which a federated identity may not read.
    identity = new auth.GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], projectId: "-" });
    ambientIdentities.set(file, identity);
  }
  return identity;
}

/** The claims of the delegation assertion acting as `subject`, issued at `now` (seconds). */
export function delegationClaims(delegation: KeylessDelegation, subject: string, scopes: string[], now: number): Record<string, string | number> {
  return { iss: delegation.serviceAccount, sub: subject, scope: scopes.join(" "), aud: delegation.tokenUrl, iat: now, exp: now + ASSERTION_LIFETIME_S };
}

/** An auth client acting as `subject` with `scopes`; it gets (and renews) its token the keyless way. */
export function keylessClient(delegation: KeylessDelegation, subject: string, scopes: string[]): OAuth2Client {
  const client = new auth.OAuth2();
  let pending: Promise<{ access_token: string; expiry_date: number }> | undefined;
  // Requests that start together while the token is missing or expiring share one renewal.
  client.refreshHandler = () => (pending ??= delegatedToken(client, delegation, subject, scopes).finally(() => (pending = undefined)));
  return client;
}

async function delegatedToken(client: OAuth2Client, delegation: KeylessDelegation, subject: string, scopes: string[]): Promise<{ access_token: string; expiry_date: number }> {
  const signer = await ambientIdentity().getClient().catch((error: unknown) => {
    throw new ConfigError(
      "googleServiceAccount",
      `is set, so Google calls sign without a key, but there is no Google identity to sign with (${messageOf(error)}): ` +
        "run google-github-actions/auth (workload identity federation) before, or point GOOGLE_APPLICATION_CREDENTIALS at a credentials file",
    );
  });
  const iamRoot = delegation.iamUrl.endsWith("/") ? delegation.iamUrl : `${delegation.iamUrl}/`;
  const signed = await signer.request<{ signedJwt: string }>({
    url: new URL(`v1/projects/-/serviceAccounts/${encodeURIComponent(delegation.serviceAccount)}:signJwt`, iamRoot).toString(),
    method: "POST",
    data: { payload: JSON.stringify(delegationClaims(delegation, subject, scopes, Math.floor(Date.now() / 1000))) },
  });
  const token = await client.transporter.request<{ access_token: string; expires_in: number }>({
    url: delegation.tokenUrl,
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    data: new URLSearchParams({ grant_type: JWT_BEARER, assertion: signed.data.signedJwt }).toString(),
  });
  return { access_token: token.data.access_token, expiry_date: Date.now() + token.data.expires_in * 1000 };
}
