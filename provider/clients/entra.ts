/**
 * Entra ID tokens for Graph and the Exchange admin API: a client-secret credential against the
 * configured authority host, or the configured static access token (a loopback sandbox only,
 * config.ts `checkEndpoints`). Scopes follow the configured cloud (clouds.ts).
 */
import { ClientSecretCredential, WorkloadIdentityCredential, type AccessToken, type TokenCredential } from "@azure/identity";
import { currentConfig, requireSetting } from "../config";
import { scopesFor, usesMicrosoftAuthority } from "./clouds";
import { ApiError, messageOf } from "./errors";

export type MicrosoftApi = "graph" | "exchange";

const credentials = new Map<string, TokenCredential>();

/**
 * The credential for the current configuration: the static token, or a client-secret credential
 * (cached per configuration for this process) whose failures name the settings to check.
 */
export function entraCredential(api: MicrosoftApi): TokenCredential {
  const config = currentConfig();
  if (config.accessToken) return staticTokenCredential(config.accessToken);
  const why = "needed to get an Entra ID token unless coexist:accessToken is set";
  const tenantId = requireSetting("tenantId", why);
  const clientId = requireSetting("clientId", why);
  const federatedTokenFile = process.env.AZURE_FEDERATED_TOKEN_FILE;
  if (!config.clientSecret && federatedTokenFile) return federatedCredential(config.loginUrl, tenantId, clientId, federatedTokenFile);
  const clientSecret = requireSetting("clientSecret", `${why} or AZURE_FEDERATED_TOKEN_FILE holds a federated token (GitHub OIDC)`);
  const cacheKey = JSON.stringify([config.loginUrl, tenantId, clientId, clientSecret]);
  let credential = credentials.get(cacheKey);
  if (!credential) {
    credential = new ClientSecretCredential(tenantId, clientId, clientSecret, {
      authorityHost: config.loginUrl,
      disableInstanceDiscovery: !usesMicrosoftAuthority(config.loginUrl),
    });
    credentials.set(cacheKey, credential);
  }
  return explainingFailures(credential, api, config.loginUrl);
}

/**
 * Workload identity federation (e.g. a GitHub Actions OIDC token written to a file): no client
 * secret exists anywhere; Entra ID exchanges the file's token for access tokens.
 */
function federatedCredential(loginUrl: string, tenantId: string, clientId: string, tokenFilePath: string): TokenCredential {
  const cacheKey = JSON.stringify([loginUrl, tenantId, clientId, tokenFilePath]);
  let credential = credentials.get(cacheKey);
  if (!credential) {
    credential = new WorkloadIdentityCredential({
      tenantId,
      clientId,
      tokenFilePath,
      authorityHost: loginUrl,
      disableInstanceDiscovery: !usesMicrosoftAuthority(loginUrl),
    });
    credentials.set(cacheKey, credential);
  }
  return credential;
}

function staticTokenCredential(token: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

function explainingFailures(credential: TokenCredential, api: MicrosoftApi, loginUrl: string): TokenCredential {
  return {
    async getToken(scopes, options): Promise<AccessToken> {
      let reason: string;
      try {
        const token = await credential.getToken(scopes, options);
        if (token) return token;
        reason = "no token was returned";
      } catch (error) {
        reason = messageOf(error);
      }
      throw new ApiError(
        api,
        `Could not get an Entra ID token for ${[scopes].flat().join(" ")} from ${loginUrl}: ${reason}. ` +
          "Check coexist:tenantId, coexist:clientId and coexist:clientSecret, and that the app has admin consent.",
        {},
      );
    },
  };
}

let renewals = 0;

/**
 * Forgets the credentials this process holds, so the next token is a new one: for a token a
 * service rejects as invalid although it has not expired (revoked, or signed by a sign-in
 * service whose keys changed). Gives false when there is nothing to renew (a static token).
 */
export function renewEntraCredentials(): boolean {
  if (currentConfig().accessToken) return false;
  credentials.clear();
  renewals++;
  return true;
}

/** How many times the credentials were renewed: a client that holds a credential keys on it. */
export function entraRenewals(): number {
  return renewals;
}

/** The `.default` scope of `api` in the configured cloud. */
export function scopeFor(api: MicrosoftApi): string {
  return scopesFor(currentConfig())[api];
}

/** A bearer token for `api`. */
export async function entraToken(api: MicrosoftApi): Promise<string> {
  const accessToken = await entraCredential(api).getToken(scopeFor(api));
  return (accessToken as AccessToken).token;
}

/** The claims of an Entra access token that say who it is for and what it may do. */
export interface TokenClaims {
  /** The app (client) id. */
  appid?: string;
  tid?: string;
  aud?: string;
  /** App roles granted on the token's resource: Graph application permissions, `Exchange.ManageAsApp`. */
  roles: string[];
  /** Directory role template ids of the app's service principal. */
  wids: string[];
}

/** The claims of an Entra access token, when it is a readable JWT (the sandbox's static token may not be). */
export function tokenClaimsOf(token: string): TokenClaims | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!claims || typeof claims !== "object") return undefined;
  const text = (name: string): string | undefined => (typeof claims[name] === "string" && claims[name] ? (claims[name] as string) : undefined);
  const list = (name: string): string[] => (Array.isArray(claims[name]) ? (claims[name] as unknown[]).filter((item): item is string => typeof item === "string") : []);
  return { appid: text("appid") ?? text("azp"), tid: text("tid"), aud: text("aud"), roles: list("roles"), wids: list("wids") };
}

/** The tenant (`tid` claim) an Entra access token was issued for, when it is a readable JWT. */
export function tokenTenantOf(token: string): string | undefined {
  return tokenClaimsOf(token)?.tid;
}
