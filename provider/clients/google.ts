/**
 * Google clients: Gmail v1 forwarding settings and Admin SDK Directory v1 users, groups, members and domains, through
 * `googleapis` with its own retry off (ours is the only one). Auth is a service account with
 * domain-wide delegation, one token per impersonated user, signed with its key or without one
 * (googleKeyless.ts), or the configured static token.
 */
import { admin, type admin_directory_v1 } from "googleapis/build/src/apis/admin";
import { cloudidentity, type cloudidentity_v1 } from "googleapis/build/src/apis/cloudidentity";
import { auth, gmail, type gmail_v1 } from "googleapis/build/src/apis/gmail";
import { ConfigError, checkEndpoints, currentConfig, describeSetting, howToSet, isConfigured, requireSetting } from "../config";
import { BaseUrlError, beforeWrite, jsonObjectOf, registerEndpointCheck, verifyOnce, wrongService } from "./baseUrl";
import { ApiError, describeAnswer, headerOf, messageOf, networkCodeOf, unlessNotFound } from "./errors";
import { keylessClient } from "./googleKeyless";
import { productGrants } from "./grants";
import { isRetryable, withRetry } from "./retry";

export const GMAIL_SCOPES = [
  "https://www.googleapis.com/auth/gmail.settings.basic",
  "https://www.googleapis.com/auth/gmail.settings.sharing",
];
export const DIRECTORY_SCOPES = ["https://www.googleapis.com/auth/admin.directory.user.readonly"];
/** Groups, their aliases and their members (members.list accepts the group scope). */
export const DIRECTORY_GROUP_SCOPES = ["https://www.googleapis.com/auth/admin.directory.group.readonly"];
export const DIRECTORY_DOMAIN_SCOPES = ["https://www.googleapis.com/auth/admin.directory.domain.readonly"];
/** The token URL google-auth-library always calls (gtoken hard-codes it). */
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export class GoogleApiError extends ApiError {
  /** The first `errors[].reason` (e.g. `failedPrecondition`, `notFound`), or the OAuth error code. */
  readonly reason?: string;

  /**
   * `notFound` is what `toGoogleApiError` read from the answer (a 404 in Google's error envelope);
   * an error built by hand is not-found when it is a 404 whose reason is `notFound`.
   */
  constructor(message: string, facts: { status?: number; reasons?: string[]; networkCode?: string; retryAfter?: string; notFound?: boolean }) {
    super("google", message, { ...facts, notFound: facts.notFound ?? (facts.status === 404 && (facts.reasons ?? []).includes("notFound")) });
    this.name = "GoogleApiError";
    this.reason = facts.reasons?.[0];
  }
}

/** Google's error envelope (google-workspace.md §1.6): `{error: {code: <status>, message, ...}}`. */
export function isGoogleErrorEnvelope(data: unknown): boolean {
  const error = jsonObjectOf(data)?.error as { code?: unknown; message?: unknown } | undefined;
  return typeof error?.code === "number" && typeof error.message === "string";
}

const UNAUTHORIZED_CLIENT_HINT =
  " (grant the service account's client ID these scopes in the Admin console under Security → API controls → Domain-wide delegation: " +
  productGrants("googleScope").join(", ") +
  "; `coexist doctor` tries each one alone)";

/** A GoogleApiError from a GaxiosError (API or token endpoint) or a transport failure. */
export function toGoogleApiError(error: unknown, action: string): GoogleApiError {
  if (error instanceof GoogleApiError) return error;
  const response = (error as { response?: { status?: number; data?: unknown; headers?: unknown } })?.response;
  if (!response?.status) {
    return new GoogleApiError(`Google ${action} failed: ${messageOf(error)}`, { networkCode: networkCodeOf(error) });
  }
  const { reasons, text } = googleErrorBody(response.data);
  const envelope = isGoogleErrorEnvelope(response.data);
  const label = [`HTTP ${response.status}`, reasons[0]].filter(Boolean).join(", ");
  const hint = reasons.includes("unauthorized_client") ? UNAUTHORIZED_CLIENT_HINT : "";
  const shown =
    response.status === 404 && !envelope
      ? `${describeAnswer(404, headerOf(response.headers, "content-type"), typeof response.data === "string" ? response.data : JSON.stringify(response.data ?? ""))} without Google's error body, so nothing is taken as gone. Is ${describeSetting("googleUrl")} right?`
      : text || messageOf(error);
  return new GoogleApiError(`Google ${action} failed (${label}): ${shown}${hint}`, {
    status: response.status,
    reasons,
    retryAfter: headerOf(response.headers, "retry-after"),
    notFound: response.status === 404 && envelope,
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
  const config = checkEndpoints("google");
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
  return gmail({ version: "v1", auth: authFor(user, GMAIL_SCOPES), rootUrl: checkEndpoints("google").googleUrl, retry: false });
}

/** The Directory API as coexist:googleAdmin, with a token for `scopes` only: each read asks for the least it needs. */
function directory(scopes = DIRECTORY_SCOPES): admin_directory_v1.Admin {
  const config = checkEndpoints("google");
  // The static token acts for whoever it was issued to; only delegation needs a subject.
  const adminUser = config.accessToken ? (config.googleAdmin ?? "") : requireSetting("googleAdmin", "the Directory API is called as this Google Workspace admin");
  return admin({ version: "directory_v1", auth: authFor(adminUser, scopes), rootUrl: config.googleUrl, retry: false });
}

/** Which Google API a call goes to, and as whom: the base URL check asks the same. */
type Caller = { gmail: string } | "directory";

/** `write`: the call changes the mailbox's settings (then every client's URL is checked first). */
async function call<T>(caller: Caller, action: string, run: () => Promise<{ data: T }>, options: { idempotent?: boolean; write?: boolean } = {}): Promise<T> {
  await verifyGoogleUrl(caller);
  if (options.write) await beforeWrite();
  return withRetry(
    "google",
    async () => {
      try {
        return (await run()).data;
      } catch (error) {
        throw error instanceof ConfigError ? error : toGoogleApiError(error, action);
      }
    },
    options,
  );
}

// ---------------------------------------------------------------------------------------------
// Base URL check (docs/clients.md, "Base URL check")

/**
 * Before the first Google call of the process, a harmless read with the same credentials must
 * answer as Google: the first Gmail call's user's auto-forwarding setting, or one Directory user.
 * When the token endpoint refuses (a departed user, a missing delegation), nothing was learnt
 * about the URL: the call goes ahead, fails as it would have, and the next call checks again.
 */
/**
 * Before any write of the process: a googleUrl someone typed is checked through the Directory as
 * coexist:googleAdmin (or the static token), the only caller known without a mailbox.
 */
registerEndpointCheck("google", async () => {
  if (!isConfigured("googleUrl")) return;
  const { googleAdmin, accessToken } = currentConfig();
  if (googleAdmin !== undefined || accessToken !== undefined) await verifyGoogleUrl("directory");
});

function verifyGoogleUrl(caller: Caller): Promise<void> {
  const googleUrl = checkEndpoints("google").googleUrl;
  return verifyOnce(JSON.stringify(["google", googleUrl]), () => probeGoogle(caller, googleUrl)).catch((error: unknown) => {
    if (error !== INCONCLUSIVE) throw error;
  });
}

const INCONCLUSIVE = new Error("the token endpoint answered, not the API");

async function probeGoogle(caller: Caller, googleUrl: string): Promise<void> {
  const request =
    caller === "directory"
      ? () => directory().users.list({ customer: "my_customer", maxResults: 1, fields: "users(primaryEmail)" })
      : () => gmailFor(caller.gmail).users.settings.getAutoForwarding({ userId: caller.gmail, fields: "enabled" });
  const answer = await withRetry("google", async () => {
    try {
      const response = await request();
      return { status: response.status, contentType: headerOf(response.headers, "content-type"), data: response.data as unknown };
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const { response, config } = error as { response?: { status?: number; headers?: unknown; data?: unknown }; config?: { url?: unknown } };
      const apiError = toGoogleApiError(error, "checking coexist:googleUrl");
      if (!response?.status) throw apiError;
      if (!isApiRequest(String(config?.url ?? ""), googleUrl)) throw INCONCLUSIVE;
      if (isRetryable(apiError)) throw apiError;
      return { status: response.status, contentType: headerOf(response.headers, "content-type"), data: response.data };
    }
  });
  const problem = googleProbeProblem(answer.status, answer.contentType, answer.data, caller === "directory" ? "GET admin/directory/v1/users" : "GET gmail/v1/users/{user}/settings/autoForwarding");
  if (problem) throw problem;
}

/**
 * Whether a failed request went to Gmail or the Directory, not to a token endpoint that may share
 * their origin. googleapis keeps only the origin of `rootUrl` (google-workspace.md §3.4).
 */
function isApiRequest(url: string, googleUrl: string): boolean {
  const origin = new URL(googleUrl).origin;
  return url.startsWith(`${origin}/gmail/`) || url.startsWith(`${origin}/admin/directory/`);
}

/** Google answers in JSON: an object on success, its error envelope otherwise. Anything else is not Google. */
function googleProbeProblem(status: number, contentType: string | undefined, data: unknown, request: string): BaseUrlError | undefined {
  if (status >= 200 && status < 300 && jsonObjectOf(data)) return undefined;
  if (status >= 400 && isGoogleErrorEnvelope(data)) return undefined;
  return wrongService("googleUrl", "the Google APIs", request, status, contentType, typeof data === "string" ? data : JSON.stringify(data ?? ""), "https://www.googleapis.com/");
}

// ---------------------------------------------------------------------------------------------
// Gmail forwarding (google-workspace.md §1)

export type ForwardingAddress = gmail_v1.Schema$ForwardingAddress;
export type AutoForwarding = gmail_v1.Schema$AutoForwarding;

export function listForwardingAddresses(user: string): Promise<ForwardingAddress[]> {
  return call({ gmail: user }, `forwardingAddresses.list for ${user}`, () => gmailFor(user).users.settings.forwardingAddresses.list({ userId: user })).then(
    (data) => data.forwardingAddresses ?? [],
  );
}

export function getForwardingAddress(user: string, forwardingEmail: string): Promise<ForwardingAddress | undefined> {
  return unlessNotFound(
    call({ gmail: user }, `forwardingAddresses.get ${forwardingEmail} for ${user}`, () =>
      gmailFor(user).users.settings.forwardingAddresses.get({ userId: user, forwardingEmail }),
    ),
  );
}

/** Not repeated blindly: a repeat may send the target another verification mail, or answer "already exists". */
export function createForwardingAddress(user: string, forwardingEmail: string): Promise<ForwardingAddress> {
  return call(
    { gmail: user },
    `forwardingAddresses.create ${forwardingEmail} for ${user}`,
    () => gmailFor(user).users.settings.forwardingAddresses.create({ userId: user, requestBody: { forwardingEmail } }),
    { idempotent: false, write: true },
  );
}

/** Deletes the forwarding address; false when it was already gone. */
export async function deleteForwardingAddress(user: string, forwardingEmail: string): Promise<boolean> {
  const deleted = await unlessNotFound(
    call({ gmail: user }, `forwardingAddresses.delete ${forwardingEmail} for ${user}`, () =>
      gmailFor(user).users.settings.forwardingAddresses.delete({ userId: user, forwardingEmail }),
      { write: true },
    ).then(() => true),
  );
  return deleted ?? false;
}

export function getAutoForwarding(user: string): Promise<AutoForwarding> {
  return call({ gmail: user }, `getAutoForwarding for ${user}`, () => gmailFor(user).users.settings.getAutoForwarding({ userId: user }));
}

/** A full PUT of the singleton: send `enabled`, `emailAddress` and `disposition` together. */
export function updateAutoForwarding(user: string, settings: AutoForwarding): Promise<AutoForwarding> {
  return call({ gmail: user }, `updateAutoForwarding for ${user}`, () => gmailFor(user).users.settings.updateAutoForwarding({ userId: user, requestBody: settings }), { write: true });
}

// ---------------------------------------------------------------------------------------------
// Directory (google-workspace.md §2.1)

export type DirectoryUser = admin_directory_v1.Schema$User;

/** A user by primary email, alias or id, read as coexist:googleAdmin; undefined when there is none. */
export function getDirectoryUser(userKey: string): Promise<DirectoryUser | undefined> {
  return unlessNotFound(call("directory", `users.get ${userKey}`, () => directory().users.get({ userKey })));
}

/** users.list's largest page (google-workspace.md §2.1). */
const DIRECTORY_PAGE_SIZE = 500;
/** groups.list's and members.list's largest page. */
const GROUPS_PAGE_SIZE = 200;

/** Every item of a Directory list, following nextPageToken. */
async function allPages<Page extends { nextPageToken?: string | null }, T>(
  action: string,
  page: (pageToken: string | undefined) => Promise<{ data: Page }>,
  items: (data: Page) => T[] | undefined | null,
): Promise<T[]> {
  const all: T[] = [];
  let pageToken: string | undefined;
  do {
    const data = await call("directory", action, () => page(pageToken));
    all.push(...(items(data) ?? []));
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return all;
}

/** Every user of the Workspace customer (with `aliases` and `nonEditableAliases`), read as coexist:googleAdmin. */
export function listDirectoryUsers(): Promise<DirectoryUser[]> {
  return allPages(
    "users.list",
    (pageToken) => directory().users.list({ customer: "my_customer", maxResults: DIRECTORY_PAGE_SIZE, pageToken }),
    (data) => data.users,
  );
}

export type DirectoryGroup = admin_directory_v1.Schema$Group;
export type DirectoryMember = admin_directory_v1.Schema$Member;
export type DirectoryDomain = admin_directory_v1.Schema$Domains;

/** Every group of the Workspace customer, with its `aliases` and `nonEditableAliases` (scope admin.directory.group.readonly). */
export function listDirectoryGroups(): Promise<DirectoryGroup[]> {
  return allPages(
    "groups.list",
    (pageToken) => directory(DIRECTORY_GROUP_SCOPES).groups.list({ customer: "my_customer", maxResults: GROUPS_PAGE_SIZE, pageToken }),
    (data) => data.groups,
  );
}

/** The direct members of a group (users, groups, outside addresses, the whole customer), by its address or id. */
export function listGroupMembers(groupKey: string): Promise<DirectoryMember[]> {
  return allPages(
    `members.list of ${groupKey}`,
    (pageToken) => directory(DIRECTORY_GROUP_SCOPES).members.list({ groupKey, maxResults: GROUPS_PAGE_SIZE, pageToken }),
    (data) => data.members,
  );
}

/** The primary and secondary domains of the customer, each with its domain aliases (scope admin.directory.domain.readonly). */
export async function listDirectoryDomains(): Promise<DirectoryDomain[]> {
  const data = await call("directory", "domains.list", () => directory(DIRECTORY_DOMAIN_SCOPES).domains.list({ customer: "my_customer" }));
  return data.domains ?? [];
}

// ---------------------------------------------------------------------------------------------
// Delegation, one scope at a time, and the admin's Gmail policy (`coexist doctor`)

export const POLICY_SCOPES = ["https://www.googleapis.com/auth/cloud-identity.policies.readonly"];
const GMAIL_READ_SCOPE = GMAIL_SCOPES[0];

/**
 * Domain-wide delegation of one scope, tried alone: a token acting as `subject` with only that
 * scope (the token endpoint refuses a scope that is not delegated with `unauthorized_client`),
 * then, for a scope a harmless read accepts, that read: the user's auto-forwarding setting for
 * `gmail.settings.basic`, Directory users.get of `readUser` for the Directory scope, policies.list
 * for the Cloud Identity one. `gmail.settings.sharing` serves only writes, so its token is the
 * evidence. Returns what was done; throws the GoogleApiError (or ConfigError) otherwise.
 */
export async function probeDelegatedScope(subject: string, scope: string, readUser = subject): Promise<string> {
  const client = authFor(subject, [scope]);
  await withRetry("google", async () => {
    try {
      await client.getAccessToken();
    } catch (error) {
      throw error instanceof ConfigError ? error : toGoogleApiError(error, `token for ${subject} with ${scope}`);
    }
  });
  const root = checkEndpoints("google").googleUrl;
  if (scope === GMAIL_READ_SCOPE) {
    const answer = await call({ gmail: subject }, `getAutoForwarding for ${subject}`, () =>
      gmail({ version: "v1", auth: client, rootUrl: root, retry: false }).users.settings.getAutoForwarding({ userId: subject, fields: "enabled" }),
    );
    return `a token acting as ${subject} with only this scope, and Gmail getAutoForwarding for ${subject} with it (forwarding ${answer.enabled ? "on" : "off"})`;
  }
  if (DIRECTORY_SCOPES.includes(scope)) {
    const user = await call("directory", `users.get ${readUser}`, () =>
      admin({ version: "directory_v1", auth: client, rootUrl: root, retry: false }).users.get({ userKey: readUser, fields: "primaryEmail,suspended" }),
    );
    return `a token acting as ${subject} with only this scope, and Directory users.get ${readUser} with it (${user.suspended ? "suspended" : "active"})`;
  }
  if (POLICY_SCOPES.includes(scope)) {
    await call("directory", "policies.list", () => policyApi(client).policies.list({ pageSize: 1, filter: AUTO_FORWARDING_FILTER }));
    return `a token acting as ${subject} with only this scope, and Cloud Identity policies.list with it`;
  }
  return `a token acting as ${subject} with only this scope (no read accepts it alone; the writes that need it are not harmless)`;
}

export type GooglePolicy = cloudidentity_v1.Schema$Policy;

const AUTO_FORWARDING_SETTING = "settings/gmail.auto_forwarding";
const AUTO_FORWARDING_FILTER = `setting.type.matches('${AUTO_FORWARDING_SETTING.replace(".", "\\.")}')`;

/**
 * The Admin console's "Automatic forwarding" policies (Cloud Identity Policy API, setting
 * `settings/gmail.auto_forwarding`), every page, read as coexist:googleAdmin (a super
 * administrator) with `cloud-identity.policies.readonly`.
 */
export async function listAutoForwardingPolicies(): Promise<GooglePolicy[]> {
  const config = checkEndpoints("google");
  const adminUser = config.accessToken ? (config.googleAdmin ?? "") : requireSetting("googleAdmin", "the Cloud Identity Policy API is read as this super administrator");
  const api = policyApi(authFor(adminUser, POLICY_SCOPES));
  const policies: GooglePolicy[] = [];
  let pageToken: string | undefined;
  do {
    const data = await call("directory", "policies.list", () => api.policies.list({ filter: AUTO_FORWARDING_FILTER, pageSize: 100, pageToken }));
    policies.push(...(data.policies ?? []).filter((policy) => policy.setting?.type === AUTO_FORWARDING_SETTING));
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return policies;
}

function policyApi(client: OAuth2Client): cloudidentity_v1.Cloudidentity {
  return cloudidentity({ version: "v1", auth: client, rootUrl: policyApiRootUrl(checkEndpoints("google").googleUrl), retry: false });
}

/**
 * Google serves the Policy API on its own host; a sandbox (or any other root) serves every
 * Google API on the configured one.
 */
export function policyApiRootUrl(googleUrl: string): string {
  return new URL(googleUrl).hostname.endsWith(".googleapis.com") ? "https://cloudidentity.googleapis.com/" : googleUrl;
}
