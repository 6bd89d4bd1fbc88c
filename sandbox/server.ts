/**
 * The sandbox HTTPS server: one port, every API by path prefix (docs/ARCHITECTURE.md), bound to
 * 127.0.0.1 only. Faults are decided before a request reaches its API.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  EXCHANGE_AUDIENCE,
  aadError,
  GRAPH_AUDIENCE,
  entraToken,
  findTenant,
  googleCaller,
  googleCredentialsJson,
  googleToken,
  instanceDiscovery,
  microsoftCaller,
  microsoftClaims,
  openIdConfiguration,
  staticToken,
} from "./auth";
import { cloudError, handleCloudIdentity } from "./cloudIdentity";
import { applyDueMailboxChanges } from "./directory";
import { cmdletNameOf, invokeCommand, isReadCmdlet } from "./exchange";
import { FaultInjector, RequestStats, pathTemplate, validateFaultSettings, type FaultApi, type FaultDecision, type FaultRequest, type FaultSettings } from "./faults";
import { handleGoogle } from "./google";
import { googleUnauthenticated } from "./googleRequest";
import { ciToken, googleIamRoute, isGoogleIamPath } from "./googleIam";
import { googlePolicy, setGooglePolicy, setGoogleUserStatus } from "./googleUsers";
import { handleGraph } from "./graph";
import { HttpError, MAX_BODY_BYTES, answerOf, bearerToken, exchangeError, googleError, graphError, json, readBody, type SandboxRequest, type SandboxResponse } from "./http";
import { simulateMail, tenantState } from "./mailflow";
import { RoutingWatch } from "./routingWatch";
import type { TenantRecord } from "./records";
import { ensureControlToken, restrictPrivateFiles } from "./runtime";
import { parseSeed, type Seed } from "./seed";
import { loadSeed } from "./seeding";
import { GOOGLE_SCOPE, Store } from "./store";
import { ensureCertificates } from "./tls";

export const LOOPBACK = "127.0.0.1";

export interface SandboxServerOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Overrides the seed's fault settings. */
  faults?: FaultSettings;
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  close(): Promise<void>;
}

type Api = FaultApi | "sandbox" | "googleToken" | "cloudIdentity";

interface Route {
  api: Api;
  handle(request: SandboxRequest): SandboxResponse;
  /** Operation name for statistics. */
  operation: string;
  read: boolean;
}

export function assertLoopback(host: string): void {
  if (host !== LOOPBACK) throw new Error(`The sandbox binds ${LOOPBACK} only (asked for ${host}); it must never be reachable from another machine.`);
}

export async function startServer(options: SandboxServerOptions): Promise<RunningServer> {
  const host = options.host ?? LOOPBACK;
  assertLoopback(host);
  restrictPrivateFiles(options.dataDir);
  const store = new Store(options.dataDir);
  store.seed();
  const tls = ensureCertificates(options.dataDir);
  const sandbox = new Sandbox(store, options.dataDir, tls.caPath, options.faults ?? store.seed().faults ?? {}, Buffer.from(ensureControlToken(options.dataDir)));
  const server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => void sandbox.serve(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  sandbox.origin = `https://${LOOPBACK}:${port}`;
  return { url: sandbox.origin, port, store, close: () => closeServer(server, store) };
}

function closeServer(server: Server, store: Store): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      store.close();
      resolve();
    });
    server.closeAllConnections();
  });
}

class Sandbox {
  origin = "";
  private faults: FaultInjector;
  private readonly stats = new RequestStats();
  private readonly watch = new RoutingWatch();

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly caPath: string,
    faults: FaultSettings,
    private readonly controlToken: Buffer,
  ) {
    this.faults = this.faultInjector(faults);
  }

  /** Fault injection whose Graph identity budget follows the first tenant's size (users counted at most every 5 s). */
  private faultInjector(settings: unknown): FaultInjector {
    let counted: { at: number; users: number } | undefined;
    const tenantUsers = (): number => {
      const tenant = this.store.tenants()[0];
      if (!counted || Date.now() - counted.at > 5_000) counted = { at: Date.now(), users: tenant ? this.store.count(tenant.tenantId, "user") : 0 };
      return counted.users;
    };
    return new FaultInjector(validateFaultSettings(settings), { tenantUsers });
  }

  async serve(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const body = await readBody(incoming);
    const url = new URL(incoming.url ?? "/", this.origin);
    const request: SandboxRequest = {
      method: (incoming.method ?? "GET").toUpperCase(),
      path: url.pathname.replace(/\/{2,}/g, "/"),
      query: url.searchParams,
      headers: incoming.headers,
      body: body ?? "",
      origin: this.origin,
      requestId: randomUUID(),
    };
    const api = apiOf(request.path);
    // The control API answers nobody without its token, not even with a 404 or a 413.
    if (api === "sandbox" && !this.holdsControlToken(request)) return write(outgoing, { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="coexist-sandbox"' }, body: "" });
    if (body === undefined) {
      const refusal = tooLarge(api, request);
      return write(outgoing, { ...refusal, headers: { ...(refusal.headers ?? {}), Connection: "close" } });
    }
    try {
      const route = this.route(request);
      if (api !== "sandbox") this.stats.record(api, route.operation, route.read);
      const response = await this.withFaults(route, request, outgoing);
      if (response) write(outgoing, response);
      if (response && response.status < 300 && !route.read && api !== "sandbox") this.watch.afterWrite(`${api} ${route.operation}`, () => this.firstTenantState());
    } catch (error) {
      if (error instanceof HttpError) write(outgoing, error.response);
      else write(outgoing, unexpected(api, request, error));
    }
  }

  private holdsControlToken(request: SandboxRequest): boolean {
    const given = Buffer.from(bearerToken(request) ?? "");
    return given.length === this.controlToken.length && timingSafeEqual(given, this.controlToken);
  }

  private async withFaults(route: Route, request: SandboxRequest, outgoing: ServerResponse): Promise<SandboxResponse | undefined> {
    if (route.api === "sandbox" || route.api === "googleToken" || route.api === "cloudIdentity") return route.handle(request);
    const api = route.api;
    const decision = this.faults.decide(api, Date.now(), faultRequest(route, request));
    // A throttled request is refused at the door: it takes none of the tenant's concurrency.
    const admitted = decision.kind !== "throttle";
    if (admitted) this.faults.enter(api);
    try {
      if (decision.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
      if (decision.kind === "drop") {
        this.stats.recordFault(api, decision.kind);
        outgoing.socket?.destroy();
        return undefined;
      }
      if (decision.kind !== "pass") this.stats.recordFault(api, decision.kind === "error" ? String(decision.status) : decision.kind);
      const response = decision.kind === "pass" ? answerOf(() => route.handle(request)) : faultResponse(api, request, decision, this.faults.faultsFor(api).throttleStatus);
      const budgetHeaders = { ...(api === "exchange" ? this.faults.rateLimitHeaders(api) : {}), ...(decision.kind === "pass" ? decision.headers : {}) };
      return Object.keys(budgetHeaders).length > 0 ? { ...response, headers: { ...budgetHeaders, ...(response.headers ?? {}) } } : response;
    } finally {
      if (admitted) this.faults.leave(api);
    }
  }

  private route(request: SandboxRequest): Route {
    const { path, method } = request;
    const segments = path.split("/").filter(Boolean);
    const operation = `${method} ${pathTemplate(path)}`;
    switch (apiOf(path)) {
      case "sandbox":
        return { api: "sandbox", operation: `${method} ${path}`, read: method === "GET", handle: (r) => this.control(r, segments.slice(1)) };
      case "googleToken": {
        const keyless = googleIamRoute(this.store, path);
        if (keyless) return { api: "googleToken", read: false, ...keyless };
        return { api: "googleToken", operation: "POST /token", read: false, handle: (r) => googleToken(this.store, r) };
      }
      case "graph": {
        const graphPath = `/${segments.slice(1).join("/")}`;
        return { api: "graph", operation: `${method} ${pathTemplate(graphPath)}`, read: method === "GET", handle: (r) => this.graph(r, graphPath) };
      }
      case "exchange":
        return this.exchangeRoute(request, segments);
      case "gmail":
      case "directory":
        return { api: segments[0] === "gmail" ? "gmail" : "directory", operation, read: method === "GET", handle: (r) => this.google(r) };
      case "cloudIdentity":
        return { api: "cloudIdentity", operation, read: method === "GET", handle: (r) => handleCloudIdentity({ store: this.store, caller: googleCaller(this.store, r) }, r) };
      case "entra":
        return this.entraRoute(request, segments);
    }
  }

  private entraRoute({ path, method }: SandboxRequest, segments: string[]): Route {
    if (path === "/common/discovery/instance") return { api: "entra", operation: "GET instance discovery", read: true, handle: instanceDiscovery };
    if (segments.length === 4 && segments[1] === "v2.0" && segments[2] === ".well-known") {
      return { api: "entra", operation: "GET openid-configuration", read: true, handle: (r) => openIdConfiguration(this.store, r, segments[0]) };
    }
    if (segments.length === 4 && segments[1] === "oauth2" && segments[3] === "token") {
      return { api: "entra", operation: "POST token", read: false, handle: (r) => entraToken(this.store, r, segments[0]) };
    }
    throw new HttpError(json(404, { error: { code: "NotFound", message: `No sandbox API serves ${method} ${path}. See docs/ARCHITECTURE.md for the URL layout.` } }));
  }

  private tenantFor(tenantId: string): TenantRecord {
    const tenant = findTenant(this.store, tenantId);
    if (!tenant) throw new Error(`Token names tenant ${tenantId}, which the sandbox no longer has; get a new token.`);
    applyDueMailboxChanges(this.store, tenant);
    return tenant;
  }

  private graph(request: SandboxRequest, graphPath: string): SandboxResponse {
    const claims = microsoftClaims(this.store, request, GRAPH_AUDIENCE);
    if (!claims?.tid) {
      throw graphError(request, 401, "InvalidAuthenticationToken", request.headers.authorization ? "Access token validation failure. Invalid audience." : "Access token is empty.", {
        "WWW-Authenticate": `Bearer realm="", authorization_uri="${this.origin}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
      });
    }
    const tenant = this.tenantFor(claims.tid);
    const context = {
      store: this.store,
      tenant,
      seed: this.store.seed(),
      caller: microsoftCaller(claims),
      throttleBatchStep: (step: SandboxRequest) => {
        const decision = this.faults.throttle("graph", { operation: `${step.method} ${pathTemplate(step.path)}`, method: step.method, path: step.path, query: step.query });
        if (!decision) return undefined;
        // A step throttled inside a 200 is a throttled answer all the same (microsoft-graph.md §3.3).
        this.stats.recordFault("graph", "throttle");
        return faultResponse("graph", request, decision);
      },
    };
    return request.method === "GET" ? handleGraph(context, request, graphPath) : this.store.transaction(() => handleGraph(context, request, graphPath));
  }

  private exchangeRoute(request: SandboxRequest, segments: string[]): Route {
    const cmdlet = cmdletNameOf(request.body);
    const handle = (r: SandboxRequest): SandboxResponse => {
      if (segments.length !== 4 || segments[3].toLowerCase() !== "invokecommand") {
        throw exchangeError(404, "notFound", `The sandbox emulates only POST /adminapi/beta/{tenant}/InvokeCommand, not ${r.path}.`);
      }
      if (segments[1] !== "beta") return { status: 405, body: "" };
      if (r.method !== "POST") return { status: 405, headers: { Allow: "POST" }, body: "" };
      const claims = microsoftClaims(this.store, r, EXCHANGE_AUDIENCE);
      const tenant = claims?.tid ? findTenant(this.store, segments[2]) : undefined;
      const unauthorized = (error: string): SandboxResponse => ({
        status: 401,
        headers: { "WWW-Authenticate": `Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="${this.origin}/common/oauth2/authorize", error="${error}"` },
        body: "",
      });
      if (!claims?.tid || tenant?.tenantId !== claims.tid) return unauthorized("invalid_token");
      return invokeCommand({ store: this.store, tenant: this.tenantFor(claims.tid), seed: this.store.seed(), caller: microsoftCaller(claims) }, r, unauthorized);
    };
    return { api: "exchange", operation: cmdlet, read: isReadCmdlet(cmdlet), handle };
  }

  private google(request: SandboxRequest): SandboxResponse {
    const caller = googleCaller(this.store, request);
    if (!caller) throw googleUnauthenticated();
    const context = { store: this.store, caller, seed: this.store.seed() };
    return request.method === "GET" ? handleGoogle(context, request) : this.store.transaction(() => handleGoogle(context, request));
  }

  // ---- control API ---------------------------------------------------------------------------

  private control(request: SandboxRequest, segments: string[]): SandboxResponse {
    const key = `${request.method} ${segments.join("/")}`;
    const input = (): Record<string, unknown> => {
      try {
        return request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
      } catch {
        throw new HttpError(json(400, { error: "The request body is not valid JSON." }));
      }
    };
    if (segments[0] === "google") return this.googleControl(key, segments, input);
    switch (key) {
      case "GET health":
        return json(200, { ok: true, url: this.origin });
      case "GET env":
        return json(200, sandboxEnv(this.store, this.origin, this.dataDir, this.caPath));
      case "GET tokens":
        return json(200, Object.fromEntries(this.store.tenants().map((tenant) => [tenant.tenantId, staticToken(this.store, tenant, this.origin)])));
      case "GET state":
        return json(200, this.state());
      case "GET stats":
        return json(200, this.stats.snapshot());
      case "POST stats/reset":
        this.stats.reset();
        return { status: 204 };
      case "GET faults":
        return json(200, this.faults.settings);
      case "PUT faults":
        return this.badRequestOnError(() => {
          this.faults = this.faultInjector(input());
          return json(200, this.faults.settings);
        });
      case "GET watch":
        return json(200, this.watch.report());
      case "PUT watch":
        return this.badRequestOnError(() => json(200, input().enabled === true ? this.watch.start(this.firstTenantState()) : this.watch.stop()));
      case "GET dns":
        return json(200, this.store.dns());
      case "PUT dns/mx":
      case "PUT dns/txt":
        return this.badRequestOnError(() => this.putDns(segments[1] as "mx" | "txt", input()));
      case "POST ci-token":
        return this.badRequestOnError(() => json(200, { token: ciToken(this.store, String(input().subject ?? "")) }));
      case "POST mail":
        return this.badRequestOnError(() => this.mail(input()));
      case "POST reset":
        return this.badRequestOnError(() => {
          const body = input();
          const seed = body.seed ? parseSeed(body.seed) : this.store.seed();
          loadSeed(this.store, seed);
          this.faults = this.faultInjector(seed.faults ?? {});
          this.stats.reset();
          return json(200, { reset: true, googleUsers: seed.google.users.length });
        });
      default:
        throw new HttpError(json(404, { error: `Unknown sandbox control ${request.method} /sandbox/${segments.join("/")}.` }));
    }
  }

  /** `PUT /sandbox/google/users/{email}` `{status}` and `PUT /sandbox/google/policy` `{autoForwardingAllowed}`. */
  private googleControl(key: string, segments: string[], input: () => Record<string, unknown>): SandboxResponse {
    if (key === "PUT google/policy") return json(200, setGooglePolicy(this.store, input()));
    if (segments.length === 3 && key.startsWith("PUT google/users/")) return json(200, setGoogleUserStatus(this.store, decodeURIComponent(segments[2]).toLowerCase(), input().status));
    throw new HttpError(json(404, { error: `Unknown sandbox control ${key.replace(" ", " /sandbox/")}; Google takes PUT /sandbox/google/users/{email} and PUT /sandbox/google/policy.` }));
  }

  private badRequestOnError(work: () => SandboxResponse): SandboxResponse {
    try {
      return work();
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(json(400, { error: error instanceof Error ? error.message : String(error) }));
    }
  }

  /** `{ "domain": "contoso.com", "hosts": ["x.mail.protection.outlook.com"] }`; an empty list removes the record. */
  private putDns(kind: "mx" | "txt", body: Record<string, unknown>): SandboxResponse {
    const domain = typeof body.domain === "string" ? body.domain.toLowerCase() : "";
    const values = kind === "mx" ? body.hosts : body.values;
    if (!domain || !Array.isArray(values) || values.some((value) => typeof value !== "string")) {
      const field = kind === "mx" ? "hosts" : "values";
      throw new Error(`Give {"domain": "<name>", "${field}": ["..."]}; an empty ${field} list removes the records.`);
    }
    const dns = this.store.dns();
    const table = { ...dns[kind] };
    if (values.length === 0) delete table[domain];
    else table[domain] = values as string[];
    const next: Seed["dns"] = { ...dns, [kind]: table };
    this.store.setMeta("dns", next);
    return json(200, next);
  }

  private mail(body: Record<string, unknown>): SandboxResponse {
    if (typeof body.from !== "string" || typeof body.to !== "string") {
      throw new Error('Give {"from": "internet" | "<sender address>", "to": "<recipient address>"} (and optionally "tenant").');
    }
    const tenant = typeof body.tenant === "string" ? findTenant(this.store, body.tenant) : this.store.tenants()[0];
    if (!tenant) throw new Error(`No tenant ${String(body.tenant)} in the sandbox; give its id or initial domain.`);
    applyDueMailboxChanges(this.store, tenant);
    return json(200, simulateMail(this.store, tenant, body.from, body.to));
  }

  /** The routing model's view of the first Microsoft tenant and Google, conversions applied. */
  private firstTenantState() {
    const tenant = this.store.tenants()[0];
    applyDueMailboxChanges(this.store, tenant);
    return tenantState(this.store, tenant);
  }

  private state(): object {
    const tenants = this.store.tenants().map((tenant) => {
      applyDueMailboxChanges(this.store, tenant);
      const scope = tenant.tenantId;
      return {
        tenantId: tenant.tenantId,
        initialDomain: tenant.initialDomain,
        domains: this.store.list(scope, "domain"),
        acceptedDomainTypes: this.store.list(scope, "acceptedDomainType"),
        skus: this.store.list(scope, "sku"),
        users: this.store.list(scope, "user"),
        recipients: this.store.list(scope, "recipient"),
        distributionGroups: this.store.list(scope, "distributionGroup"),
        connectors: this.store.list(scope, "connector"),
        transportRules: this.store.list(scope, "transportRule"),
        pendingMailboxChanges: this.store.list(scope, "pendingMailboxChange"),
      };
    });
    return {
      tenants,
      google: {
        domains: this.store.list(GOOGLE_SCOPE, "googleDomain"),
        users: this.store.list(GOOGLE_SCOPE, "googleUser"),
        groups: this.store.list(GOOGLE_SCOPE, "googleGroup"),
        deletedUsers: this.store.list(GOOGLE_SCOPE, "deletedGoogleUser"),
        policy: googlePolicy(this.store),
      },
      dns: this.store.dns(),
    };
  }
}

/** The environment a client (the provider, a test, CI) needs to use this sandbox. */
export function sandboxEnv(store: Store, origin: string, dataDir: string, caPath: string): Record<string, string> {
  const tenant = store.tenants()[0];
  const seed = store.seed();
  return {
    NODE_EXTRA_CA_CERTS: caPath,
    COEXIST_GRAPH_URL: `${origin}/v1.0`,
    COEXIST_EXCHANGE_URL: `${origin}/adminapi/beta`,
    COEXIST_GOOGLE_URL: `${origin}/`,
    COEXIST_LOGIN_URL: origin,
    COEXIST_TENANT_ID: tenant.tenantId,
    COEXIST_CLIENT_ID: tenant.apps[0].clientId,
    COEXIST_CLIENT_SECRET: tenant.apps[0].clientSecret,
    COEXIST_GOOGLE_CREDENTIALS: JSON.stringify(googleCredentialsJson(store, origin)),
    COEXIST_GOOGLE_ADMIN: seed.google.admins[0] ?? "",
    COEXIST_SANDBOX_DIR: dataDir,
    COEXIST_SANDBOX_STATIC_TOKEN: staticToken(store, tenant, origin),
  };
}

/** Which API a path belongs to, known before the body is read (entra: whatever no other API claims). */
/** What fault injection sees of a request: its operation and, for Graph's identity budget, what it costs. */
function faultRequest(route: Route, request: SandboxRequest): FaultRequest {
  return { operation: route.operation, method: request.method, path: request.path, query: request.query };
}

function apiOf(path: string): Api {
  const segments = path.split("/").filter(Boolean);
  if (segments[0] === "sandbox") return "sandbox";
  if (path === "/token" || isGoogleIamPath(path)) return "googleToken";
  if (segments[0] === "v1.0") return "graph";
  if (segments[0] === "adminapi") return "exchange";
  if (segments[0] === "gmail") return "gmail";
  if (segments[0] === "admin" && segments[1] === "directory") return "directory";
  if (segments[0] === "v1") return "cloudIdentity";
  return "entra";
}

/** 413 for a body over MAX_BODY_BYTES, in the error format of the API the path names. */
function tooLarge(api: Api, request: SandboxRequest): SandboxResponse {
  const text = `The request body is larger than the ${MAX_BODY_BYTES / (1024 * 1024)} MiB the sandbox accepts.`;
  switch (api) {
    case "graph":
      return graphError(request, 413, "RequestEntityTooLarge", text).response;
    case "exchange":
      return exchangeError(413, "requestTooLarge", text).response;
    case "gmail":
    case "directory":
      return googleError(413, "badRequest", text).response;
    case "cloudIdentity":
      return cloudError(413, "INVALID_ARGUMENT", text).response;
    case "entra":
      return aadError(413, "invalid_request", "AADSTS90023", text).response;
    case "googleToken":
      return json(413, { error: "invalid_request", error_description: text });
    default:
      return json(413, { error: text });
  }
}

function write(outgoing: ServerResponse, response: SandboxResponse): void {
  if (outgoing.destroyed) return;
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  let payload: string | Buffer = "";
  if (typeof response.body === "string" || Buffer.isBuffer(response.body)) payload = response.body;
  else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) headers["Content-Type"] = "application/json; charset=utf-8";
  }
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}

/** Each API's own answer to throttling and to injected server errors. */
function faultResponse(
  api: FaultApi,
  request: SandboxRequest,
  decision: Exclude<FaultDecision, { kind: "pass" } | { kind: "drop" }>,
  throttleStatus?: 403 | 429,
): SandboxResponse {
  if (api === "entra") {
    const retryAfter = decision.kind === "throttle" ? String(decision.retryAfterSeconds) : "1";
    const error = decision.kind === "throttle"
      ? aadError(429, "temporarily_unavailable", "AADSTS90055", "The request was throttled (injected by the sandbox). Retry after the Retry-After seconds.")
      : aadError(decision.status, decision.status === 503 ? "temporarily_unavailable" : "server_error", "AADSTS90033", "A transient error has occurred (injected by the sandbox). Please try again.");
    return { ...error.response, headers: { ...(error.response.headers ?? {}), "Retry-After": retryAfter } };
  }
  if (decision.kind === "throttle") {
    const retryAfter = String(decision.retryAfterSeconds);
    if (api === "graph") {
      return graphError(request, 429, "TooManyRequests", "Too many requests. Retry after the number of seconds in the Retry-After header.", {
        "Retry-After": retryAfter,
        "x-ms-throttle-scope": "Tenant_Application/ReadWrite/sandbox",
        "x-ms-throttle-information": decision.information ?? "ResourceUnitLimitExceeded",
      }).response;
    }
    if (api === "exchange") {
      const text =
        decision.reason === "concurrency"
          ? "You have reached the maximum number of concurrent requests per tenant. Please wait and try again"
          : `The request was throttled. Retry after ${retryAfter} seconds.`;
      return exchangeError(429, "concurrency", text, { "Retry-After": retryAfter }).response;
    }
    const status = throttleStatus ?? 403;
    const error = googleError(status, status === 429 ? "rateLimitExceeded" : "userRateLimitExceeded", status === 429 ? "Too many concurrent requests for user." : "User-rate limit exceeded.", {
      domain: "usageLimits",
    });
    return { ...error.response, headers: { ...(error.response.headers ?? {}), "Retry-After": retryAfter } };
  }
  if (api === "graph") {
    return graphError(request, decision.status, decision.status === 503 ? "serviceNotAvailable" : "generalException", "The service is temporarily unavailable (injected by the sandbox).", decision.status === 503 ? { "Retry-After": "1" } : {}).response;
  }
  if (api === "exchange") return { status: decision.status, body: "" };
  return googleError(decision.status, decision.status === 503 ? "backendError" : "internalError", decision.status === 503 ? "The service is currently unavailable." : "Internal error encountered.").response;
}

function unexpected(api: Api, request: SandboxRequest, error: unknown): SandboxResponse {
  const message = `Sandbox internal error: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${message}\n${error instanceof Error ? error.stack : ""}\n`);
  if (api === "graph") return graphError(request, 500, "generalException", message).response;
  if (api === "gmail" || api === "directory") return googleError(500, "internalError", message).response;
  if (api === "cloudIdentity") return cloudError(500, "INTERNAL", message).response;
  return json(500, { error: { code: "InternalServerError", message } });
}
