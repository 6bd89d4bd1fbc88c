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
  type GraphRequest,
  type Middleware,
  type MiddlewareOptions,
} from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { ConfigError, checkEndpoints, currentConfig, describeSetting, isConfigured, originOf, registerSecret, type CoexistConfig } from "../config";
import { BaseUrlError, beforeWrite, jsonObjectOf, registerEndpointCheck, tenantMismatch, verifyOnce, wrongService } from "./baseUrl";
import { entraCredential, entraRenewals, renewEntraCredentials, scopeFor, tokenTenantOf } from "./entra";
import { ApiError, describeAnswer, messageOf, networkCodeOf, throttleHeaders, unlessNotFound } from "./errors";
import { budgetSignalsOf, limiterFor } from "./limiter";
import { OUTCOME_UNKNOWN_NOTE, classifyFailure, isRetryable, outcomeIsUnknown, retryDelayFor, shouldRetry, sleep, withRetry } from "./retry";

/** The error codes Graph uses for "no such object" (microsoft-graph.md §3.1). */
const NOT_FOUND_CODES = new Set(["request_resourcenotfound", "resourcenotfound", "itemnotfound"]);

function isGraphNotFound(status: number | undefined, code: string | undefined): boolean {
  return status === 404 && code !== undefined && NOT_FOUND_CODES.has(code.toLowerCase());
}

export class GraphApiError extends ApiError {
  readonly code?: string;
  readonly requestId?: string;

  constructor(message: string, facts: { status?: number; code?: string; requestId?: string; networkCode?: string; retryAfter?: string }) {
    super("graph", message, { ...facts, reasons: facts.code ? [facts.code] : [], notFound: isGraphNotFound(facts.status, facts.code) });
    this.name = "GraphApiError";
    this.code = facts.code;
    this.requestId = facts.requestId;
  }
}

/**
 * One call's dealings with the retry middleware: whether it may be repeated, and what the
 * middleware learnt (the client builds the final error from the last answer and never sees ours).
 */
export class GraphCallControl implements MiddlewareOptions {
  retryNote?: string;
  outcomeUnknown = false;
  /** Our error for a call that got no answer at all (the client would wrap it beyond recognition). */
  transportFailure?: GraphApiError;
  /** A final 404 as it came (the client keeps only JSON error bodies), to show what answered. */
  notFoundAnswer?: { contentType?: string; body: string };

  constructor(readonly idempotent: boolean) {}
}

/**
 * Our retry policy as a Graph middleware. Retryable answers are retried here; once the policy
 * gives up (or refuses to repeat a non-idempotent call), the last response goes on to the client,
 * which turns it into its error as usual.
 */
class PolicyRetryHandler implements Middleware {
  private next?: Middleware;

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error("PolicyRetryHandler must not be the last middleware");
    const control = context.middlewareControl?.getMiddlewareOptions(GraphCallControl) as GraphCallControl | undefined;
    const idempotent = control?.idempotent ?? context.options?.method !== "POST";
    try {
      await withRetry(
        "graph",
        async (attempt, observe) => {
          // The previous attempt's answer is dropped only now: when the policy gives up, the client
          // still reads the last answer's body for its error.
          if (attempt > 1) await context.response?.body?.cancel();
          try {
            await next.execute(context);
          } catch (error) {
            throw new GraphApiError(`Graph could not be reached: ${messageOf(error)}`, { networkCode: networkCodeOf(error) ?? "ERR_NO_RESPONSE" });
          }
          const response = context.response;
          if (response) observe(budgetSignalsOf((name) => response.headers.get(name)));
          if (!response || response.ok) return;
          const failure = new GraphApiError(`Graph answered HTTP ${response.status}`, { status: response.status, ...throttleHeaders(response.headers) });
          if (isRetryable(failure) || (!idempotent && outcomeIsUnknown(failure))) throw failure;
        },
        { idempotent },
      );
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      if (error.status === undefined) {
        if (control) control.transportFailure = error;
        throw error;
      }
      if (control) {
        control.retryNote = error.retryNote;
        control.outcomeUnknown = error.outcomeUnknown;
      }
    }
    const response = context.response;
    if (control && response?.status === 404) {
      control.notFoundAnswer = { contentType: response.headers.get("content-type") ?? undefined, body: await response.clone().text() };
    }
  }
}

let cachedClient: { key: string; client: Client } | undefined;

/** The Graph client for the current configuration (cached for this process). */
export function graphClient(): Client {
  const config = checkEndpoints("graph");
  const credential = entraCredential("graph");
  // A renewal (by this client or Exchange's) replaces the credential the cached client holds.
  const key = JSON.stringify([config.graphUrl, config.accessToken, config.tenantId, config.clientId, config.clientSecret, config.loginUrl, entraRenewals()]);
  if (cachedClient?.key === key) return cachedClient.client;
  const { baseUrl, version } = splitGraphUrl(config.graphUrl);
  const chain: Middleware[] = [
    new AuthenticationHandler(new TokenCredentialAuthenticationProvider(credential, { scopes: [scopeFor("graph")] })),
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
export function toGraphApiError(error: unknown, action: string, control?: GraphCallControl): GraphApiError {
  if (control?.transportFailure) return rebuilt(control.transportFailure, `Graph ${action} failed: ${control.transportFailure.message.replace(/^Graph could not be reached: /, "could not reach Graph: ")}`);
  if (error instanceof GraphApiError) return error;
  if (error instanceof GraphError) {
    // statusCode -1: no HTTP answer; `code` is then only the JavaScript error's name.
    const status = error.statusCode > 0 ? error.statusCode : undefined;
    const code = status !== undefined ? (error.code ?? undefined) : undefined;
    const label = status !== undefined ? [`HTTP ${status}`, code].filter(Boolean).join(", ") : "";
    const text =
      status === 404 && !isGraphNotFound(status, code)
        ? strayNotFound(code, control?.notFoundAnswer)
        : `${error.message || String(error.body ?? "") || "no error text"}${status === 403 && code === "Authorization_RequestDenied" ? MISSING_GRANT_HINT : ""}`;
    const note = `${control?.retryNote ?? ""}${control?.outcomeUnknown ? OUTCOME_UNKNOWN_NOTE : ""}`;
    const built = new GraphApiError(`Graph ${action} failed${label ? ` (${label})` : ""}: ${text}${note}`, {
      status,
      code,
      requestId: error.requestId ?? undefined,
      ...throttleHeaders(error.headers),
    });
    built.outcomeUnknown = control?.outcomeUnknown ?? false;
    return built;
  }
  if (error instanceof ApiError) return rebuilt(error, `Graph ${action} failed: ${error.message}`);
  return new GraphApiError(`Graph ${action} failed: ${messageOf(error)}`, { networkCode: networkCodeOf(error) });
}

function rebuilt(error: ApiError, message: string): GraphApiError {
  const copy = new GraphApiError(message, { status: error.status, networkCode: error.networkCode });
  copy.outcomeUnknown = error.outcomeUnknown;
  return copy;
}

/** Graph says the same for a missing permission and a missing directory role; the doctor tells them apart. */
const MISSING_GRANT_HINT = " (the app lacks an application permission or an Entra directory role this call needs: `coexist doctor` names which, with the fix)";

/** A 404 without Graph's not-found code: not "gone", but a URL that reaches something else. */
function strayNotFound(code: string | undefined, answer: GraphCallControl["notFoundAnswer"]): string {
  return `answered ${describeAnswer(404, answer?.contentType, answer?.body ?? "")} without Graph's not-found code (code: ${code ?? "none"}), so nothing is taken as gone. Is ${describeSetting("graphUrl")} right?`;
}

/** `write`: whether the call changes the tenant (every method but GET, unless said otherwise: a `$batch` of reads). */
async function call<T>(action: string, path: string, send: (request: GraphRequest) => Promise<T>, options: { idempotent?: boolean; write?: boolean } = {}): Promise<T> {
  try {
    return await callOnce(action, path, send, options);
  } catch (error) {
    // A 401 comes before Graph runs anything, so one more try with a new token repeats no write.
    if (!(error instanceof GraphApiError && rejectsToken(error) && renewEntraCredentials())) throw error;
    return callOnce(action, path, send, options);
  }
}

/** Graph's answer to a token it does not accept (revoked, or signed with keys it no longer trusts). */
function rejectsToken(error: GraphApiError): boolean {
  return error.status === 401 && error.code === "InvalidAuthenticationToken";
}

async function callOnce<T>(action: string, path: string, send: (request: GraphRequest) => Promise<T>, options: { idempotent?: boolean; write?: boolean }): Promise<T> {
  const control = new GraphCallControl(options.idempotent ?? true);
  try {
    await verifyGraphUrl();
    if (options.write ?? !action.startsWith("GET ")) await beforeWrite();
    return await send(graphClient().api(path).middlewareOptions([control]));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw toGraphApiError(error, action, control);
  }
}

// ---------------------------------------------------------------------------------------------
// Base URL check (docs/clients.md, "Base URL check")

const PROBE_PATH = "/domains?$select=id";

/**
 * Before the first Graph call of the process: `GET /domains?$select=id` (Domain.Read.All, which
 * the domain resources need anyway) must answer as Graph, for the configured tenant.
 */
// Only a URL someone typed can be wrong: the default is the service's own.
registerEndpointCheck("graph", async () => {
  if (isConfigured("graphUrl")) await verifyGraphUrl();
});

function verifyGraphUrl(): Promise<void> {
  const config = checkEndpoints("graph");
  return verifyOnce(JSON.stringify(["graph", config.graphUrl, config.tenantId, config.accessToken, config.clientId]), () => probeGraph(config));
}

async function probeGraph(config: CoexistConfig): Promise<void> {
  const token = (await entraCredential("graph").getToken(scopeFor("graph")))?.token ?? "";
  const tenantId = config.tenantId;
  if (tenantId) {
    const problem = tenantMismatch(tokenTenantOf(token), tenantId, config.accessToken ? `coexist:accessToken (${originOf("accessToken")})` : "the Entra ID token");
    if (problem) throw new BaseUrlError("tenantId", problem);
  }
  const url = `${config.graphUrl.replace(/\/+$/, "")}${PROBE_PATH}`;
  const answer = await withRetry("graph", async () => {
    let response: Response;
    try {
      response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" }, redirect: "manual", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    } catch (error) {
      throw new GraphApiError(`Graph GET ${PROBE_PATH} (checking coexist:graphUrl) could not reach ${new URL(url).origin}: ${messageOf(error)}`, { networkCode: networkCodeOf(error) });
    }
    const text = await response.text();
    const failure = new GraphApiError(`Graph GET ${PROBE_PATH} (checking coexist:graphUrl) failed (HTTP ${response.status})`, { status: response.status, ...throttleHeaders(response.headers) });
    if (classifyFailure(failure) !== "fatal") throw failure;
    return { status: response.status, contentType: response.headers.get("content-type") ?? undefined, text };
  });
  const problem = graphProbeProblem(answer.status, answer.contentType, answer.text, tenantId);
  if (problem) throw problem;
}

const PROBE_TIMEOUT_MS = 60_000;

/**
 * What `GET /domains?$select=id` says about the URL: Graph answers 200 with a `value` list (which
 * holds a tenant-domain `tenantId` when the token is that tenant's), or 401/403 in its error
 * envelope (a permission the app lacks, reported by the calls themselves). Anything else is
 * not Graph.
 */
function graphProbeProblem(status: number, contentType: string | undefined, body: string, tenantId?: string): BaseUrlError | undefined {
  const json = jsonObjectOf(body);
  const error = json?.error as { code?: unknown; message?: unknown } | undefined;
  const graphError = typeof error?.code === "string" && typeof error.message === "string";
  if ((status === 401 || status === 403) && graphError) return undefined;
  if (status === 200 && Array.isArray(json?.value)) {
    const ids = (json.value as Array<{ id?: unknown }>).map((domain) => String(domain.id ?? "").toLowerCase());
    if (!tenantId || !tenantId.includes(".") || ids.includes(tenantId.toLowerCase())) return undefined;
    return new BaseUrlError("tenantId", `is ${tenantId}, but Graph at ${describeSetting("graphUrl")} answers for a tenant whose domains are ${ids.join(", ") || "none"}: the token is another tenant's`);
  }
  return wrongService("graphUrl", "Microsoft Graph", `GET ${PROBE_PATH}`, status, contentType, body, "https://graph.microsoft.com/v1.0");
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
  return unlessNotFound(call(`GET /domains/${name}`, `/domains/${segment(name)}`, (request) => request.get()));
}

export function createDomain(name: string): Promise<Domain> {
  return call(`POST /domains (${name})`, "/domains", (request) => request.post({ id: name }), { idempotent: false });
}

export function verificationDnsRecords(name: string): Promise<DomainDnsRecord[]> {
  return listAll(`/domains/${segment(name)}/verificationDnsRecords`);
}

export function serviceConfigurationRecords(name: string): Promise<DomainDnsRecord[]> {
  return listAll(`/domains/${segment(name)}/serviceConfigurationRecords`);
}

/** Not repeated blindly: a verify that went through answers 400 ("already verified") the second time. */
export function verifyDomain(name: string): Promise<Domain> {
  return call(`POST /domains/${name}/verify`, `/domains/${segment(name)}/verify`, (request) => request.post(undefined), { idempotent: false });
}

/** Replaces the whole list (PATCH of a collection property), so pass every service wanted. */
export async function setSupportedServices(name: string, services: string[]): Promise<void> {
  await call(`PATCH /domains/${name}`, `/domains/${segment(name)}`, (request) => request.patch({ supportedServices: services }));
}

/** Deletes the domain; false when it was already gone. */
export async function deleteDomain(name: string): Promise<boolean> {
  const deleted = await unlessNotFound(call(`DELETE /domains/${name}`, `/domains/${segment(name)}`, (request) => request.delete().then(() => true)));
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
    call(`GET /users/${idOrUpn}`, `/users/${segment(idOrUpn)}`, (request) => (select.length ? request.select(select) : request).get()),
  );
}

export async function setUsageLocation(idOrUpn: string, usageLocation: string): Promise<void> {
  await call(`PATCH /users/${idOrUpn}`, `/users/${segment(idOrUpn)}`, (request) => request.patch({ usageLocation }));
}

/**
 * An administrator's password reset (`passwordProfile`), which the user must change at the next
 * sign-in; the value is registered for redaction.
 */
export async function setPassword(idOrUpn: string, password: string): Promise<void> {
  registerSecret(password);
  await call(`PATCH /users/${idOrUpn}`, `/users/${segment(idOrUpn)}`, (request) => request.patch({ passwordProfile: { password, forceChangePasswordNextSignIn: true } }));
}

/** Allows or blocks the user's sign-in (`accountEnabled`). */
export async function setAccountEnabled(idOrUpn: string, accountEnabled: boolean): Promise<void> {
  await call(`PATCH /users/${idOrUpn}`, `/users/${segment(idOrUpn)}`, (request) => request.patch({ accountEnabled }));
}

/**
 * Both arrays are always sent: Graph rejects the call when one is missing (§2.2). Adding is
 * repeated freely (adding an assigned licence again changes nothing); a removal is not, because
 * repeating one that went through fails ("does not have a corresponding license").
 */
export function assignLicense(idOrUpn: string, change: { addLicenses?: AssignedLicense[]; removeLicenses?: string[] }): Promise<GraphUser> {
  const body = { addLicenses: change.addLicenses ?? [], removeLicenses: change.removeLicenses ?? [] };
  return call(`POST /users/${idOrUpn}/assignLicense`, `/users/${segment(idOrUpn)}/assignLicense`, (request) => request.post(body), { idempotent: body.removeLicenses.length === 0 });
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
export async function listAll<T>(path: string, onPage?: (items: T[]) => void): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = path;
  while (next) {
    const current: string = next;
    const page: { value?: T[]; "@odata.nextLink"?: string } = await call(`GET ${current}`, current, (request) => request.get());
    items.push(...(page.value ?? []));
    onPage?.(page.value ?? []);
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
 * unavailable are sent again (in a smaller batch) by the same policy as any call, except a POST
 * whose answer leaves its outcome unknown; the rest are returned as answered, by id. Check each
 * `status`.
 */
export async function batch(requests: BatchRequest[]): Promise<Map<string, BatchResponse>> {
  validateBatch(requests);
  const results = new Map<string, BatchResponse>();
  const limiter = limiterFor("graph");
  const started = Date.now();
  const byId = new Map(requests.map((request) => [request.id, request]));
  let serverErrors = 0;
  let pending = requests;
  for (let attempt = 1; pending.length; attempt++) {
    const responses = await postBatch(pending);
    for (const response of responses) results.set(response.id, response);
    const failures = responses
      .map((response) => ({ response, error: subRequestError(response) }))
      .filter(({ response, error }) => isRetryable(error) && (isIdempotentRequest(byId.get(response.id)) || !outcomeIsUnknown(error)));
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

/** Every method but POST can be sent twice with the same effect. */
function isIdempotentRequest(request: Pick<BatchRequest, "method"> | undefined): boolean {
  return request !== undefined && request.method !== "POST";
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
  const answer: { responses?: BatchResponse[] } = await call("POST /$batch", "/$batch", (request) => request.post(payload), {
    idempotent: requests.every(isIdempotentRequest),
    write: requests.some((request) => request.method !== "GET"),
  });
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

// ---------------------------------------------------------------------------------------------
// The app's own service principal and directory roles, users by the batch (`coexist doctor`)

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName?: string;
}

/** The service principal of an app in the tenant (an app may read its own without any permission); undefined when there is none. */
export function getServicePrincipalByAppId(appId: string): Promise<ServicePrincipal | undefined> {
  const path = `/servicePrincipals(appId='${segment(appId)}')`;
  return unlessNotFound(call(`GET ${path}`, path, (request) => request.select(["id", "appId", "displayName"]).get()));
}

export interface DirectoryRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  /** `/` for the whole tenant; an administrative unit or object otherwise. */
  directoryScopeId: string;
  roleDefinition?: { id?: string; templateId?: string; displayName?: string };
}

/** The directory roles assigned to a principal (active assignments), with their definitions. */
export function listRoleAssignmentsOf(principalId: string): Promise<DirectoryRoleAssignment[]> {
  return listAll(`/roleManagement/directory/roleAssignments?$filter=principalId eq '${segment(principalId)}'&$expand=roleDefinition`);
}

/**
 * Users by object id or UPN, 20 to a `$batch`: each key maps to the user, or to undefined when
 * Graph says there is no such user. Any other answer is thrown.
 */
export async function getUsers(idsOrUpns: string[], select: string[]): Promise<Map<string, GraphUser | undefined>> {
  const users = new Map<string, GraphUser | undefined>();
  const query = select.length ? `?$select=${select.join(",")}` : "";
  for (let start = 0; start < idsOrUpns.length; start += MAX_BATCH_SIZE) {
    const chunk = idsOrUpns.slice(start, start + MAX_BATCH_SIZE);
    const answers = await batch(chunk.map((key, index) => ({ id: String(index), method: "GET", url: `/users/${segment(key)}${query}` })));
    chunk.forEach((key, index) => {
      const answer = answers.get(String(index));
      if (answer && answer.status >= 200 && answer.status < 300) {
        users.set(key, answer.body as GraphUser);
        return;
      }
      const error = answer ? subRequestError(answer) : new GraphApiError(`Graph $batch answered nothing for GET /users/${key}`, {});
      if (!error.notFound) throw new GraphApiError(`Graph GET /users/${key} failed: ${error.message}`, { status: error.status, code: error.code });
      users.set(key, undefined);
    });
  }
  return users;
}
