/**
 * Microsoft Graph client: `@microsoft/microsoft-graph-client` v3 with a middleware chain whose only
 * retry layer is ours (microsoft-graph.md §4.1–§4.2), plus the typed calls the resources need.
 */
import {
  AuthenticationHandler,
  Client,
  GraphError,
  HTTPMessageHandler,
  RedirectHandler,
  type Context,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { currentConfig, registerSecret } from "../config";
import { ApiError, messageOf, networkCodeOf, throttleHeaders, unlessNotFound } from "./errors";
import { GRAPH_SCOPE, entraCredential } from "./entra";
import { classifyFailure, isRetryable, limiterFor, retryDelayFor, shouldRetry, sleep, withRetry } from "./retry";

export class GraphApiError extends ApiError {
  readonly code?: string;
  readonly requestId?: string;

  constructor(message: string, facts: { status?: number; code?: string; requestId?: string; networkCode?: string; retryAfter?: string }) {
    super("graph", message, { ...facts, reasons: facts.code ? [facts.code] : [] });
    this.name = "GraphApiError";
    this.code = facts.code;
    this.requestId = facts.requestId;
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

/**
 * Our retry policy as a Graph middleware. Retryable answers are retried here; once the policy
 * gives up, the last response goes on to the client, which turns it into its error as usual.
 */
class PolicyRetryHandler implements Middleware {
  private next?: Middleware;

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error("PolicyRetryHandler must not be the last middleware");
    try {
      await withRetry("graph", async (attempt) => {
        // The previous attempt's answer is dropped only now: when the policy gives up, the client
        // still reads the last answer's body for its error.
        if (attempt > 1) await context.response?.body?.cancel();
        try {
          await next.execute(context);
        } catch (error) {
          throw new GraphApiError(`Graph could not be reached: ${messageOf(error)}`, { networkCode: networkCodeOf(error) });
        }
        const response = context.response;
        if (!response || response.ok) return;
        const failure = new GraphApiError(`Graph answered HTTP ${response.status}`, { status: response.status, ...throttleHeaders(response.headers) });
        if (isRetryable(failure)) throw failure;
      });
    } catch (error) {
      if (!(error instanceof GraphApiError) || error.status === undefined) throw error;
      if (error.retryNote && context.response) retryNotes.set(context.response.headers, error.retryNote);
    }
  }
}

/**
 * Why the policy gave up, by the last answer's headers: the client's GraphError carries that same
 * Headers object, so toGraphApiError can tell the user how long it tried.
 */
const retryNotes = new WeakMap<Headers, string>();

let cachedClient: { key: string; client: Client } | undefined;

/** The Graph client for the current configuration (cached for this process). */
export function graphClient(): Client {
  const config = currentConfig();
  const credential = entraCredential("graph");
  const key = JSON.stringify([config.graphUrl, config.accessToken, config.tenantId, config.clientId, config.clientSecret, config.loginUrl]);
  if (cachedClient?.key === key) return cachedClient.client;
  const { baseUrl, version } = splitGraphUrl(config.graphUrl);
  const chain: Middleware[] = [
    new AuthenticationHandler(new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] })),
    new PolicyRetryHandler(),
    new RedirectHandler(),
    new HTTPMessageHandler(),
  ];
  const client = Client.initWithMiddleware({
    middleware: chain,
    baseUrl,
    defaultVersion: version,
    // The authentication handler only attaches the token to Graph hosts and these (https only).
    customHosts: new Set([new URL(config.graphUrl).hostname]),
  });
  cachedClient = { key, client };
  return client;
}

/** `https://host/v1.0` → base `https://host/`, version `v1.0` (the client joins them again). */
export function splitGraphUrl(graphUrl: string): { baseUrl: string; version: string } {
  const trimmed = graphUrl.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  const url = new URL(trimmed);
  if (url.pathname === "/" || url.pathname === "") {
    throw new ApiError("graph", `coexist:graphUrl must end with the API version, e.g. ${url.origin}/v1.0 (got ${graphUrl})`, {});
  }
  return { baseUrl: trimmed.slice(0, cut + 1), version: trimmed.slice(cut + 1) };
}

/** A GraphApiError (status, code, readable redacted message) from whatever the client threw. */
export function toGraphApiError(error: unknown, action: string): GraphApiError {
  if (error instanceof GraphApiError) return error;
  if (error instanceof GraphError) {
    // statusCode -1: no HTTP answer; `code` is then only the JavaScript error's name.
    const status = error.statusCode > 0 ? error.statusCode : undefined;
    const label = status !== undefined ? [`HTTP ${status}`, error.code].filter(Boolean).join(", ") : "";
    const note = error.headers ? (retryNotes.get(error.headers) ?? "") : "";
    return new GraphApiError(`Graph ${action} failed${label ? ` (${label})` : ""}: ${error.message || error.body || "no error text"}${note}`, {
      status,
      code: status !== undefined ? (error.code ?? undefined) : undefined,
      requestId: error.requestId ?? undefined,
      ...throttleHeaders(error.headers),
    });
  }
  if (error instanceof ApiError) return new GraphApiError(`Graph ${action} failed: ${error.message}`, { status: error.status, networkCode: error.networkCode });
  return new GraphApiError(`Graph ${action} failed: ${messageOf(error)}`, { networkCode: networkCodeOf(error) });
}

async function call<T>(action: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = graphClient();
  try {
    return await run(client);
  } catch (error) {
    throw toGraphApiError(error, action);
  }
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

// ---------------------------------------------------------------------------------------------
// Domains (§1)

export interface Domain {
  id: string;
  isVerified: boolean;
  isRoot?: boolean;
  isDefault?: boolean;
  isInitial?: boolean;
  authenticationType?: string;
  availabilityStatus?: string | null;
  supportedServices: string[];
}

export interface DomainDnsRecord {
  id?: string;
  recordType: string;
  label: string;
  supportedService?: string;
  isOptional?: boolean;
  ttl?: number;
  text?: string;
  mailExchange?: string;
  preference?: number;
  canonicalName?: string;
}

export function getDomain(name: string): Promise<Domain | undefined> {
  return unlessNotFound(call(`GET /domains/${name}`, (client) => client.api(`/domains/${segment(name)}`).get()));
}

export function createDomain(name: string): Promise<Domain> {
  return call(`POST /domains (${name})`, (client) => client.api("/domains").post({ id: name }));
}

export function verificationDnsRecords(name: string): Promise<DomainDnsRecord[]> {
  return listAll(`/domains/${segment(name)}/verificationDnsRecords`);
}

export function serviceConfigurationRecords(name: string): Promise<DomainDnsRecord[]> {
  return listAll(`/domains/${segment(name)}/serviceConfigurationRecords`);
}

export function verifyDomain(name: string): Promise<Domain> {
  return call(`POST /domains/${name}/verify`, (client) => client.api(`/domains/${segment(name)}/verify`).post(undefined));
}

/** Replaces the whole list (PATCH of a collection property), so pass every service wanted. */
export async function setSupportedServices(name: string, services: string[]): Promise<void> {
  await call(`PATCH /domains/${name}`, (client) => client.api(`/domains/${segment(name)}`).patch({ supportedServices: services }));
}

/** Deletes the domain; false when it was already gone. */
export async function deleteDomain(name: string): Promise<boolean> {
  const deleted = await unlessNotFound(call(`DELETE /domains/${name}`, (client) => client.api(`/domains/${segment(name)}`).delete().then(() => true)));
  return deleted ?? false;
}

// ---------------------------------------------------------------------------------------------
// Users and licences (§2)

export interface AssignedLicense {
  skuId: string;
  disabledPlans: string[];
}

export interface GraphUser {
  id: string;
  userPrincipalName?: string;
  mail?: string | null;
  proxyAddresses?: string[];
  usageLocation?: string | null;
  assignedLicenses?: AssignedLicense[];
  licenseAssignmentStates?: Array<{ skuId: string; assignedByGroup: string | null; state: string; error: string | null }>;
  [property: string]: unknown;
}

/** A user by object id or UPN; most properties come back only when named in `select`. */
export function getUser(idOrUpn: string, select: string[]): Promise<GraphUser | undefined> {
  return unlessNotFound(
    call(`GET /users/${idOrUpn}`, (client) => {
      const request = client.api(`/users/${segment(idOrUpn)}`);
      return (select.length ? request.select(select) : request).get();
    }),
  );
}

export async function setUsageLocation(idOrUpn: string, usageLocation: string): Promise<void> {
  await call(`PATCH /users/${idOrUpn}`, (client) => client.api(`/users/${segment(idOrUpn)}`).patch({ usageLocation }));
}

/**
 * An administrator's password reset (`passwordProfile`), which the user must change at the next
 * sign-in; the value is registered for redaction.
 */
export async function setPassword(idOrUpn: string, password: string): Promise<void> {
  registerSecret(password);
  await call(`PATCH /users/${idOrUpn}`, (client) =>
    client.api(`/users/${segment(idOrUpn)}`).patch({ passwordProfile: { password, forceChangePasswordNextSignIn: true } }),
  );
}

/** Allows or blocks the user's sign-in (`accountEnabled`). */
export async function setAccountEnabled(idOrUpn: string, accountEnabled: boolean): Promise<void> {
  await call(`PATCH /users/${idOrUpn}`, (client) => client.api(`/users/${segment(idOrUpn)}`).patch({ accountEnabled }));
}

/** Both arrays are always sent: Graph rejects the call when one is missing (§2.2). */
export function assignLicense(idOrUpn: string, change: { addLicenses?: AssignedLicense[]; removeLicenses?: string[] }): Promise<GraphUser> {
  const body = { addLicenses: change.addLicenses ?? [], removeLicenses: change.removeLicenses ?? [] };
  return call(`POST /users/${idOrUpn}/assignLicense`, (client) => client.api(`/users/${segment(idOrUpn)}/assignLicense`).post(body));
}

export interface SubscribedSku {
  skuId: string;
  skuPartNumber: string;
  appliesTo?: string;
  capabilityStatus?: string;
  consumedUnits?: number;
  prepaidUnits?: { enabled: number; suspended?: number; warning?: number; lockedOut?: number };
}

export function listSubscribedSkus(): Promise<SubscribedSku[]> {
  return listAll("/subscribedSkus?$select=skuId,skuPartNumber,prepaidUnits,consumedUnits,capabilityStatus,appliesTo");
}

/** The skuId of a part number (e.g. EXCHANGESTANDARD) among the tenant's subscriptions. */
export function skuIdFor(skus: SubscribedSku[], skuPartNumber: string): string {
  const match = skus.find((sku) => sku.skuPartNumber.toLowerCase() === skuPartNumber.toLowerCase());
  if (!match) {
    const known = skus.map((sku) => sku.skuPartNumber).join(", ") || "none";
    throw new GraphApiError(`The tenant has no subscription with skuPartNumber "${skuPartNumber}" (it has: ${known}); use one of those part numbers`, {});
  }
  return match.skuId;
}

export async function resolveSkuId(skuPartNumber: string): Promise<string> {
  return skuIdFor(await listSubscribedSkus(), skuPartNumber);
}

/** Every item of a collection, following `@odata.nextLink` (only within the configured Graph URL). */
export async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = path;
  while (next) {
    const current: string = next;
    const page: { value?: T[]; "@odata.nextLink"?: string } = await call(`GET ${current}`, (client) => client.api(current).get());
    items.push(...(page.value ?? []));
    next = page["@odata.nextLink"] ? relativeToGraphUrl(page["@odata.nextLink"]) : undefined;
  }
  return items;
}

/** A nextLink as a path under the configured Graph URL; anything else would carry our token elsewhere. */
function relativeToGraphUrl(link: string): string {
  const base = currentConfig().graphUrl.replace(/\/+$/, "");
  if (!link.startsWith(`${base}/`)) {
    throw new GraphApiError(`Graph returned a nextLink outside ${base} (${link}); not following it`, {});
  }
  return link.slice(base.length);
}

// ---------------------------------------------------------------------------------------------
// $batch (§3.3)

export interface BatchRequest {
  id: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Relative to the version, e.g. `/users/jane@contoso.com`. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export const MAX_BATCH_SIZE = 20;

/**
 * Sends up to 20 independent requests in one `$batch`. Sub-requests that come back throttled or
 * unavailable are sent again (in a smaller batch) by the same policy as any call; the rest are
 * returned as answered, by id. Check each `status`.
 */
export async function batch(requests: BatchRequest[]): Promise<Map<string, BatchResponse>> {
  validateBatch(requests);
  const results = new Map<string, BatchResponse>();
  const limiter = limiterFor("graph");
  const started = Date.now();
  let serverErrors = 0;
  let pending = requests;
  for (let attempt = 1; pending.length; attempt++) {
    const responses = await postBatch(pending);
    for (const response of responses) results.set(response.id, response);
    const failures = responses.map((response) => ({ response, error: subRequestError(response) })).filter(({ error }) => isRetryable(error));
    if (!failures.length) break;
    const delay = Math.max(...failures.map(({ error }) => retryDelayFor(error, attempt)));
    const kinds = failures.map(({ error }) => classifyFailure(error));
    const kind = kinds.includes("throttled") ? "throttled" : kinds[0];
    if (kind === "serverError") serverErrors++;
    if (!shouldRetry(kind, { attempts: attempt, serverErrors, elapsedMs: Date.now() - started }, delay)) break;
    if (kind === "throttled") limiter.pause(delay);
    await sleep(delay);
    const retryIds = new Set(failures.map(({ response }) => response.id));
    pending = pending.filter((request) => retryIds.has(request.id));
  }
  return results;
}

export function validateBatch(requests: BatchRequest[]): void {
  if (requests.length === 0 || requests.length > MAX_BATCH_SIZE) {
    throw new GraphApiError(`A Graph $batch takes 1 to ${MAX_BATCH_SIZE} requests, got ${requests.length}; split the list`, {});
  }
  const ids = new Set(requests.map((request) => request.id));
  if (ids.size !== requests.length) throw new GraphApiError("Graph $batch request ids must be unique", {});
}

async function postBatch(requests: BatchRequest[]): Promise<BatchResponse[]> {
  const payload = {
    requests: requests.map((request) => ({
      id: request.id,
      method: request.method,
      url: request.url,
      ...(request.body !== undefined
        ? { body: request.body, headers: { "Content-Type": "application/json", ...request.headers } }
        : request.headers
          ? { headers: request.headers }
          : {}),
    })),
  };
  const answer: { responses?: BatchResponse[] } = await call("POST /$batch", (client) => client.api("/$batch").post(payload));
  return (answer.responses ?? []).map((response) => ({ ...response, headers: response.headers ?? {} }));
}

function subRequestError(response: BatchResponse): GraphApiError {
  const error = (response.body as { error?: { code?: string; message?: string } } | null)?.error;
  return new GraphApiError(`Graph $batch request ${response.id} answered HTTP ${response.status}: ${error?.message ?? ""}`, {
    status: response.status,
    code: error?.code,
    ...throttleHeaders(response.headers),
  });
}
