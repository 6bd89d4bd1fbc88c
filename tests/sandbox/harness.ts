/**
 * Test harness: a sandbox per test file, trusted by this process, and the real clients pointed
 * at it (Graph client + ClientSecretCredential, googleapis + a service-account JWT).
 */
import { ClientSecretCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { google } from "googleapis";
import { controlRequest, startSandbox, trustCa, useSandboxEnvironment, type SandboxHandle, type StartSandboxOptions } from "pulumi-mail-coexistence-sandbox";

export { trustCa, useSandboxEnvironment };

export async function startTestSandbox(options: StartSandboxOptions = {}): Promise<SandboxHandle> {
  const handle = await startSandbox(options);
  trustCa(handle.env.NODE_EXTRA_CA_CERTS);
  return handle;
}

export const FABRIKAM = { tenantId: "9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d", clientId: "7e6d5c4b-3a29-4817-9f6e-5d4c3b2a1908", clientSecret: "sandbox-secret-fabrikam" };

export function credential(handle: SandboxHandle, tenant = { tenantId: handle.env.COEXIST_TENANT_ID, clientId: handle.env.COEXIST_CLIENT_ID, clientSecret: handle.env.COEXIST_CLIENT_SECRET }): ClientSecretCredential {
  return new ClientSecretCredential(tenant.tenantId, tenant.clientId, tenant.clientSecret, {
    authorityHost: handle.env.COEXIST_LOGIN_URL,
    disableInstanceDiscovery: true,
  });
}

export function graphClient(handle: SandboxHandle, tenant?: Parameters<typeof credential>[1]): Client {
  const authProvider = new TokenCredentialAuthenticationProvider(credential(handle, tenant), { scopes: ["https://graph.microsoft.com/.default"] });
  return Client.initWithMiddleware({
    authProvider,
    baseUrl: handle.url,
    customHosts: new Set([new URL(handle.url).hostname]),
  });
}

export async function exchangeToken(handle: SandboxHandle): Promise<string> {
  const token = await credential(handle).getToken("https://outlook.office365.com/.default");
  return token.token;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
}

export async function raw(handle: SandboxHandle, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const response = await fetch(path.startsWith("https:") ? path : `${handle.url}${path}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...(options.headers ?? {}),
    },
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

export async function invokeRaw(handle: SandboxHandle, token: string, cmdlet: string, parameters: Record<string, unknown> = {}, options: { pageSize?: number; url?: string } = {}): Promise<RawResponse> {
  return raw(handle, "POST", options.url ?? `/adminapi/beta/${handle.env.COEXIST_TENANT_ID}/InvokeCommand`, {
    token,
    body: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
    headers: options.pageSize ? { Prefer: `odata.maxpagesize=${options.pageSize}` } : {},
  });
}

/**
 * A sandbox for the whole suite (`describe`), with the provider's clients pointed at it while the
 * suite runs; the returned function gives the sandbox to the tests.
 */
export function sandboxForSuite(options: StartSandboxOptions = {}): () => SandboxHandle {
  let handle: SandboxHandle;
  let restoreEnvironment: () => void;
  before(async () => {
    handle = await startTestSandbox(options);
    restoreEnvironment = useSandboxEnvironment(handle);
  });
  after(async () => {
    restoreEnvironment();
    await handle.stop();
  });
  return () => handle;
}

export const GMAIL_SCOPES = ["https://www.googleapis.com/auth/gmail.settings.basic", "https://www.googleapis.com/auth/gmail.settings.sharing"];
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

/**
 * A domain-wide-delegation JWT client for `subject` (undefined: the service account as itself).
 * google-auth-library ignores the key file's token_uri (google-workspace.md §3.2), so its token
 * request is redirected to that token_uri.
 */
export function googleJwt(handle: SandboxHandle, subject: string | undefined, scopes = GMAIL_SCOPES): InstanceType<typeof google.auth.JWT> {
  const key = JSON.parse(handle.env.COEXIST_GOOGLE_CREDENTIALS) as { client_email: string; private_key: string; token_uri: string };
  const jwt = new google.auth.JWT({ email: key.client_email, key: key.private_key, scopes, subject });
  jwt.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (String(config.url) === GOOGLE_TOKEN_URL) config.url = new URL(key.token_uri);
      return config;
    },
  });
  return jwt;
}

export function gmail(handle: SandboxHandle, subject: string | undefined, scopes?: string[]) {
  return google.gmail({ version: "v1", auth: googleJwt(handle, subject, scopes), rootUrl: handle.env.COEXIST_GOOGLE_URL });
}

export function directory(handle: SandboxHandle, subject: string | undefined, scopes = ["https://www.googleapis.com/auth/admin.directory.user.readonly"]) {
  return google.admin({ version: "directory_v1", auth: googleJwt(handle, subject, scopes), rootUrl: handle.env.COEXIST_GOOGLE_URL });
}

/** A control call as the CLI makes it: `controlRequest` carries the token from the data directory. */
export async function control(handle: SandboxHandle, method: string, path: string, body?: unknown): Promise<any> {
  const response = await controlRequest(handle, method, `/sandbox/${path}`, body);
  if (response.status >= 400) throw new Error(`/sandbox/${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Rejections as values, so tests can assert on the error a client raised. */
export async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("Expected the call to fail, but it succeeded.");
}
