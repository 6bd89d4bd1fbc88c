/**
 * Google clients: Gmail v1 forwarding settings and Admin SDK Directory v1 users, through
 * `googleapis` with its own retry off (ours is the only one). Auth is a service account with
 * domain-wide delegation, one token per impersonated user, signed with its key or without one
 * (googleKeyless.ts), or the configured static token.
 */
import { admin, type admin_directory_v1 } from "googleapis/build/src/apis/admin";
import { auth, gmail, type gmail_v1 } from "googleapis/build/src/apis/gmail";
import { ConfigError, currentConfig, howToSet, requireSetting } from "../config";
import { ApiError, headerOf, messageOf, networkCodeOf, unlessNotFound } from "./errors";
import { keylessClient } from "./googleKeyless";
import { withRetry } from "./retry";

export const GMAIL_SCOPES = [
  "https://www.googleapis.com/auth/gmail.settings.basic",
  "https://www.googleapis.com/auth/gmail.settings.sharing",
];
export const DIRECTORY_SCOPES = ["https://www.googleapis.com/auth/admin.directory.user.readonly"];
/** The token URL google-auth-library always calls (gtoken hard-codes it). */
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export class GoogleApiError extends ApiError {
  /** The first `errors[].reason` (e.g. `failedPrecondition`, `notFound`), or the OAuth error code. */
  readonly reason?: string;

  constructor(message: string, facts: { status?: number; reasons?: string[]; networkCode?: string; retryAfter?: string }) {
    super("google", message, facts);
    this.name = "GoogleApiError";
    this.reason = facts.reasons?.[0];
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

const UNAUTHORIZED_CLIENT_HINT =
  " (grant the service account's client ID these scopes in the Admin console under Security → API controls → Domain-wide delegation: " +
  [...GMAIL_SCOPES, ...DIRECTORY_SCOPES].join(", ") +
  ")";

/** A GoogleApiError from a GaxiosError (API or token endpoint) or a transport failure. */
export function toGoogleApiError(error: unknown, action: string): GoogleApiError {
  if (error instanceof GoogleApiError) return error;
  const response = (error as { response?: { status?: number; data?: unknown; headers?: unknown } })?.response;
  if (!response?.status) {
    return new GoogleApiError(`Google ${action} failed: ${messageOf(error)}`, { networkCode: networkCodeOf(error) });
  }
  const { reasons, text } = googleErrorBody(response.data);
  const label = [`HTTP ${response.status}`, reasons[0]].filter(Boolean).join(", ");
  const hint = reasons.includes("unauthorized_client") ? UNAUTHORIZED_CLIENT_HINT : "";
  return new GoogleApiError(`Google ${action} failed (${label}): ${text || messageOf(error)}${hint}`, {
    status: response.status,
    reasons,
    retryAfter: headerOf(response.headers, "retry-after"),
  });
}

/** Reasons and text of a Google error body: `{error:{message, errors:[{reason}], status}}` or OAuth `{error, error_description}`. */
export function googleErrorBody(data: unknown): { reasons: string[]; text: string } {
  const body = (typeof data === "string" ? safeJson(data) : data) as
    | { error?: string | { message?: string; status?: string; errors?: Array<{ reason?: string }> }; error_description?: string }
    | undefined;
  const error = body?.error;
  if (typeof error === "string") return { reasons: [error], text: body?.error_description ?? error };
  if (!error) return { reasons: [], text: typeof data === "string" ? data.slice(0, 300) : "" };
  const reasons = (error.errors ?? []).map((detail) => detail.reason).filter((reason): reason is string => !!reason);
  if (!reasons.length && error.status) reasons.push(error.status);
  return { reasons, text: error.message ?? "" };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Auth

export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  tokenUri: string;
}

export function parseServiceAccount(json: string): ServiceAccount {
  const parsed = safeJson(json) as { client_email?: unknown; private_key?: unknown; token_uri?: unknown } | undefined;
  if (!parsed || typeof parsed !== "object") {
    throw new ConfigError("googleCredentials", `is not JSON; it must be a service-account key file's content: ${howToSet("googleCredentials")}`);
  }
  for (const field of ["client_email", "private_key"] as const) {
    if (typeof parsed[field] !== "string" || !parsed[field]) {
      throw new ConfigError("googleCredentials", `has no "${field}"; use a service-account JSON key: ${howToSet("googleCredentials")}`);
    }
  }
  return {
    clientEmail: parsed.client_email as string,
    privateKey: parsed.private_key as string,
    tokenUri: typeof parsed.token_uri === "string" && parsed.token_uri ? parsed.token_uri : GOOGLE_TOKEN_URL,
  };
}

// google-auth-library's classes, as googleapis exposes them (it is googleapis' dependency, not ours).
type OAuth2Client = InstanceType<typeof auth.OAuth2>;

const authClients = new Map<string, OAuth2Client>();

/** The auth client acting as `subject` with `scopes`, cached per configuration, subject and scopes. */
function authFor(subject: string, scopes: string[]): OAuth2Client {
  const config = currentConfig();
  const key = JSON.stringify([config.accessToken, config.googleCredentials, config.googleServiceAccount, config.googleIamUrl, config.googleTokenUrl, subject, scopes]);
  let client = authClients.get(key);
  if (client) return client;
  if (config.accessToken) {
    client = new auth.OAuth2();
    client.setCredentials({ access_token: config.accessToken });
  } else if (config.googleServiceAccount) {
    if (config.googleCredentials) throw new ConfigError("googleServiceAccount", "and coexist:googleCredentials are both set: keep googleServiceAccount to sign without a key, or googleCredentials to sign with one");
    client = keylessClient({ serviceAccount: config.googleServiceAccount, iamUrl: config.googleIamUrl, tokenUrl: config.googleTokenUrl }, subject, scopes);
  } else {
    const account = parseServiceAccount(requireSetting("googleCredentials", "needed for Google calls unless coexist:googleServiceAccount (no key) or coexist:accessToken is set"));
    const customTokenUri = account.tokenUri !== GOOGLE_TOKEN_URL;
    const jwt = new auth.JWT({
      email: account.clientEmail,
      key: account.privateKey,
      scopes,
      subject,
      // gtoken signs for and posts to Google's token URL; honour the key file's token_uri instead.
      additionalClaims: customTokenUri ? { aud: account.tokenUri } : undefined,
    });
    if (customTokenUri) {
      jwt.transporter.interceptors.request.add({
        resolved: async (request) => {
          if (request.url.toString() === GOOGLE_TOKEN_URL) request.url = new URL(account.tokenUri);
          return request;
        },
      });
    }
    client = jwt;
  }
  authClients.set(key, client);
  return client;
}

function gmailFor(user: string): gmail_v1.Gmail {
  return gmail({ version: "v1", auth: authFor(user, GMAIL_SCOPES), rootUrl: currentConfig().googleUrl, retry: false });
}

function directory(): admin_directory_v1.Admin {
  const config = currentConfig();
  // The static token acts for whoever it was issued to; only delegation needs a subject.
  const adminUser = config.accessToken ? (config.googleAdmin ?? "") : requireSetting("googleAdmin", "the Directory API is called as this Google Workspace admin");
  return admin({ version: "directory_v1", auth: authFor(adminUser, DIRECTORY_SCOPES), rootUrl: config.googleUrl, retry: false });
}

async function call<T>(action: string, run: () => Promise<{ data: T }>): Promise<T> {
  return withRetry("google", async () => {
    try {
      return (await run()).data;
    } catch (error) {
      throw error instanceof ConfigError ? error : toGoogleApiError(error, action);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Gmail forwarding (google-workspace.md §1)

export type ForwardingAddress = gmail_v1.Schema$ForwardingAddress;
export type AutoForwarding = gmail_v1.Schema$AutoForwarding;

export function listForwardingAddresses(user: string): Promise<ForwardingAddress[]> {
  return call(`forwardingAddresses.list for ${user}`, () => gmailFor(user).users.settings.forwardingAddresses.list({ userId: user })).then(
    (data) => data.forwardingAddresses ?? [],
  );
}

export function getForwardingAddress(user: string, forwardingEmail: string): Promise<ForwardingAddress | undefined> {
  return unlessNotFound(
    call(`forwardingAddresses.get ${forwardingEmail} for ${user}`, () =>
      gmailFor(user).users.settings.forwardingAddresses.get({ userId: user, forwardingEmail }),
    ),
  );
}

export function createForwardingAddress(user: string, forwardingEmail: string): Promise<ForwardingAddress> {
  return call(`forwardingAddresses.create ${forwardingEmail} for ${user}`, () =>
    gmailFor(user).users.settings.forwardingAddresses.create({ userId: user, requestBody: { forwardingEmail } }),
  );
}

/** Deletes the forwarding address; false when it was already gone. */
export async function deleteForwardingAddress(user: string, forwardingEmail: string): Promise<boolean> {
  const deleted = await unlessNotFound(
    call(`forwardingAddresses.delete ${forwardingEmail} for ${user}`, () =>
      gmailFor(user).users.settings.forwardingAddresses.delete({ userId: user, forwardingEmail }),
    ).then(() => true),
  );
  return deleted ?? false;
}

export function getAutoForwarding(user: string): Promise<AutoForwarding> {
  return call(`getAutoForwarding for ${user}`, () => gmailFor(user).users.settings.getAutoForwarding({ userId: user }));
}

/** A full PUT of the singleton: send `enabled`, `emailAddress` and `disposition` together. */
export function updateAutoForwarding(user: string, settings: AutoForwarding): Promise<AutoForwarding> {
  return call(`updateAutoForwarding for ${user}`, () => gmailFor(user).users.settings.updateAutoForwarding({ userId: user, requestBody: settings }));
}

// ---------------------------------------------------------------------------------------------
// Directory (google-workspace.md §2.1)

export type DirectoryUser = admin_directory_v1.Schema$User;

/** A user by primary email, alias or id, read as coexist:googleAdmin; undefined when there is none. */
export function getDirectoryUser(userKey: string): Promise<DirectoryUser | undefined> {
  return unlessNotFound(call(`users.get ${userKey}`, () => directory().users.get({ userKey })));
}

/** users.list's largest page (google-workspace.md §2.1). */
const DIRECTORY_PAGE_SIZE = 500;

/** Every user of the Workspace customer, read as coexist:googleAdmin, following nextPageToken. */
export async function listDirectoryUsers(): Promise<DirectoryUser[]> {
  const users: DirectoryUser[] = [];
  let pageToken: string | undefined;
  do {
    const data = await call("users.list", () => directory().users.list({ customer: "my_customer", maxResults: DIRECTORY_PAGE_SIZE, pageToken }));
    users.push(...(data.users ?? []));
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return users;
}
