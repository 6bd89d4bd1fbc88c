/**
 * Exchange Online admin API (`/adminapi/beta/{tenant}/InvokeCommand`) client. Wire decisions are
 * in docs/clients.md; the protocol is exchange-admin-api.md §1.
 */
import { randomUUID } from "node:crypto";
import { checkEndpoints, currentConfig, describeSetting, isConfigured, originOf, registerSecret, requireSetting } from "../config";
import { BaseUrlError, beforeWrite, jsonObjectOf, registerEndpointCheck, tenantMismatch, verifyOnce, wrongService } from "./baseUrl";
import { entraToken, renewEntraCredentials, tokenTenantOf } from "./entra";
import { ApiError, describeAnswer, headerOf, messageOf, networkCodeOf, throttleHeaders } from "./errors";
import { budgetSignalsOf } from "./limiter";
import { classifyFailure, withRetry, type ObserveSignals } from "./retry";

export type ExchangeObject = Record<string, unknown>;
export type CmdletParameters = Record<string, unknown>;

export interface InvokeOptions {
  /** A list call: sends `ResultSize: "Unlimited"` (unless given) so the first page is not cut to one row. */
  list?: boolean;
  /** Trims the output to these properties (`?$select=`). */
  select?: string[];
  /** Told each page's objects as it arrives (a list of thousands is many pages, one after another). */
  onPage?: (objects: ExchangeObject[]) => void;
}

export interface InvokeResult {
  objects: ExchangeObject[];
  warnings: string[];
}

/** Rows per page of a list (`Prefer: odata.maxpagesize`); the service's largest. */
export const EXCHANGE_PAGE_SIZE = 1000;

export const APP_ONLY_ANCHOR_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
const REQUEST_TIMEOUT_MS = 120_000;
const MAX_REDIRECTS = 3;
const CONNECTION_ID = randomUUID();
const TRUNCATION_WARNING = /resultsize/i;

export class ExchangeError extends ApiError {
  readonly exceptionType?: string;
  readonly errorId?: string;
  /** The object, an address or the sign-in name is taken (docs/clients.md, "Already exists"). */
  readonly alreadyExists: boolean;

  constructor(
    readonly cmdlet: string,
    message: string,
    facts: {
      status?: number;
      exceptionType?: string;
      errorId?: string;
      networkCode?: string;
      retryAfter?: string;
      rateLimitReset?: string;
      notFound?: boolean;
      alreadyExists?: boolean;
    },
  ) {
    super("exchange", message, { ...facts, reasons: facts.exceptionType ? [facts.exceptionType] : [] });
    this.name = "ExchangeError";
    this.exceptionType = facts.exceptionType;
    this.errorId = facts.errorId;
    this.alreadyExists = facts.alreadyExists ?? false;
  }
}

/** `@{Add=...; Remove=...}`: the hashtable tag is required, or Exchange rejects the value (§1.4). */
export function addRemove(change: { add?: string | string[]; remove?: string | string[] }): Record<string, unknown> {
  const table: Record<string, unknown> = { "@odata.type": "#Exchange.GenericHashTable" };
  if (change.add !== undefined) table.Add = change.add;
  if (change.remove !== undefined) table.Remove = change.remove;
  return table;
}

/**
 * The value to send as New-MailUser/Set-MailUser `-Password`: the plain string (docs/clients.md,
 * "SecureString parameters"). Registered for redaction so it never shows in an error.
 */
export function mailUserPassword(plain: string): string {
  registerSecret(plain);
  return plain;
}

export function requestBody(cmdlet: string, parameters: CmdletParameters, options: InvokeOptions = {}): object {
  const withResultSize = options.list && !hasParameter(parameters, "ResultSize") ? { ...parameters, ResultSize: "Unlimited" } : parameters;
  return { CmdletInput: { CmdletName: cmdlet, Parameters: withResultSize } };
}

function hasParameter(parameters: CmdletParameters, name: string): boolean {
  return Object.keys(parameters).some((key) => key.toLowerCase() === name.toLowerCase());
}

/** Drops OData annotation keys (`Prop@odata.type`, `@odata.context`, ...), at any depth. */
export function stripAnnotations<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => stripAnnotations(item)) as T;
  if (!value || typeof value !== "object") return value;
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!key.includes("@")) result[key] = stripAnnotations(inner);
  }
  return result as T;
}

/** Runs a cmdlet and returns every output object, following `@odata.nextLink`. */
export async function invoke(cmdlet: string, parameters: CmdletParameters = {}, options: InvokeOptions = {}): Promise<ExchangeObject[]> {
  return (await invokeWithWarnings(cmdlet, parameters, options)).objects;
}

export async function invokeWithWarnings(cmdlet: string, parameters: CmdletParameters = {}, options: InvokeOptions = {}): Promise<InvokeResult> {
  await verifyExchangeUrl();
  if (!/^Get-/i.test(cmdlet)) await beforeWrite();
  const body = JSON.stringify(requestBody(cmdlet, parameters, options));
  const result: InvokeResult = { objects: [], warnings: [] };
  let url: string | undefined = invokeUrl(options.select);
  while (url) {
    const pageUrl: string = url;
    const page = await withRetry("exchange", (_attempt, observe) => postPage(pageUrl, body, cmdlet, observe), { idempotent: isIdempotentCmdlet(cmdlet) });
    result.objects.push(...page.objects);
    result.warnings.push(...page.warnings);
    options.onPage?.(page.objects);
    url = page.nextLink;
  }
  const truncation = result.warnings.find((warning) => TRUNCATION_WARNING.test(warning));
  if (truncation) {
    throw new ExchangeError(cmdlet, `Exchange ${cmdlet} returned a truncated result: ${truncation}`, { status: 200 });
  }
  return result;
}

/**
 * Verbs whose cmdlets are not repeated blindly after an answer that leaves their outcome unknown:
 * they create (New-, Add-), or validate and send test mail (Validate-, Test-, Send-). Get-, Set-,
 * Enable-, Disable- and Remove- do the same the second time (a repeated Remove- finds nothing,
 * which the callers take as "gone").
 */
const NON_IDEMPOTENT_VERBS = new Set(["new", "add", "validate", "test", "send"]);

export function isIdempotentCmdlet(cmdlet: string): boolean {
  return !NON_IDEMPOTENT_VERBS.has(cmdlet.split("-")[0].toLowerCase());
}

/** Hosts we were redirected to, by configured origin: later calls go there directly (§1.1). */
const regionalOrigins = new Map<string, string>();

function invokeUrl(select: string[] | undefined): string {
  const config = checkEndpoints("exchange");
  const tenantId = requireSetting("tenantId", "the Exchange admin API URL contains the tenant");
  const base = new URL(config.exchangeUrl.replace(/\/+$/, "") + `/${encodeURIComponent(tenantId)}/InvokeCommand`);
  const regional = regionalOrigins.get(base.origin);
  const url = regional ? new URL(base.pathname + base.search, regional) : base;
  if (select?.length) url.searchParams.set("$select", select.join(","));
  return url.toString();
}

interface Page {
  objects: ExchangeObject[];
  warnings: string[];
  nextLink?: string;
}

async function postPage(url: string, body: string, cmdlet: string, observe: ObserveSignals): Promise<Page> {
  const answer = await post(url, body, cmdlet);
  observe(budgetSignalsOf((name) => answer.headers.get(name)));
  if (answer.status < 200 || answer.status >= 300) throw parseExchangeError(cmdlet, answer.status, answer.text, answer.headers);
  return parsePage(cmdlet, answer.text, answer.headers);
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One POST, following the regional redirect; the answer whatever its status. A token Exchange
 * calls invalid is renewed once: a second refusal is the answer.
 */
async function post(url: string, body: string, cmdlet: string): Promise<Answer> {
  const answer = await postWithToken(url, body, cmdlet);
  if (answer.status === 401 && rejectsToken(answer.headers) && renewEntraCredentials()) return postWithToken(url, body, cmdlet);
  return answer;
}

/** Exchange's challenge for a token it does not accept: `error="invalid_token"`. */
function rejectsToken(headers: unknown): boolean {
  return /error="invalid_token"/.test(headerOf(headers, "www-authenticate") ?? "");
}

async function postWithToken(url: string, body: string, cmdlet: string): Promise<Answer> {
  // A fresh token per page: a long paged read can outlive one (ExoHelper does the same).
  const headers = requestHeaders(await entraToken("exchange"), cmdlet);
  let target = url;
  for (let redirects = 0; ; redirects++) {
    const response = await send(target, headers, body, cmdlet);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      target = redirectTarget(target, headerOf(response.headers, "location"), redirects, cmdlet);
      continue;
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  }
}

function requestHeaders(token: string, cmdlet: string): Record<string, string> {
  const tenantId = requireSetting("tenantId", "the Exchange admin API anchor mailbox contains the tenant");
  return {
    Authorization: `Bearer ${token}`,
    "Content-Type": "application/json",
    Accept: "application/json",
    Prefer: `odata.maxpagesize=${EXCHANGE_PAGE_SIZE}`,
    "X-AnchorMailbox": `APP:${APP_ONLY_ANCHOR_MAILBOX}@${tenantId}`,
    "X-CmdletName": cmdlet,
    "X-ResponseFormat": "json",
    "X-ClientApplication": "pulumi-mail-coexistence",
    "connection-id": CONNECTION_ID,
    "client-request-id": randomUUID(),
  };
}

async function send(url: string, headers: Record<string, string>, body: string, cmdlet: string): Promise<Response> {
  try {
    return await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new ExchangeError(cmdlet, `Exchange ${cmdlet} could not reach ${new URL(url).origin}: ${messageOf(error)}`, {
      networkCode: networkCodeOf(error) ?? "ERR_NO_RESPONSE",
    });
  }
}

/**
 * The regional redirect is followed by hand (fetch drops Authorization across hosts), at most
 * MAX_REDIRECTS times.
 */
function redirectTarget(from: string, location: string | undefined, redirects: number, cmdlet: string): string {
  if (!location) throw new ExchangeError(cmdlet, `Exchange ${cmdlet} answered with a redirect without a Location header`, {});
  if (redirects >= MAX_REDIRECTS) throw new ExchangeError(cmdlet, `Exchange ${cmdlet} redirected more than ${MAX_REDIRECTS} times`, {});
  const target = trustedTarget(new URL(location, from), cmdlet, "redirected to");
  const configuredOrigin = new URL(currentConfig().exchangeUrl).origin;
  if (target.origin !== new URL(from).origin) regionalOrigins.set(configuredOrigin, target.origin);
  return target.toString();
}

/** Only the configured host or one of its subdomains (a regional host) ever gets the token. */
function trustedTarget(target: URL, cmdlet: string, how: string): URL {
  const configured = new URL(currentConfig().exchangeUrl);
  const trusted =
    target.protocol === configured.protocol &&
    (target.hostname === configured.hostname || target.hostname.endsWith(`.${configured.hostname}`));
  if (!trusted) {
    throw new ExchangeError(cmdlet, `Exchange ${cmdlet} ${how} ${target.origin}, which is not ${configured.hostname} or a subdomain of it; not sending the token there`, {});
  }
  return target;
}

function parsePage(cmdlet: string, text: string, headers: Headers): Page {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ExchangeError(cmdlet, `Exchange ${cmdlet} answered 200 with a body that is not JSON: ${text.slice(0, 200)}`, { status: 200 });
  }
  const page = (parsed ?? {}) as { value?: unknown; "@odata.nextLink"?: unknown; "@adminapi.warnings"?: unknown };
  const objects = Array.isArray(page.value) ? page.value.map((item) => stripAnnotations(item as ExchangeObject)) : [];
  const warnings = Array.isArray(page["@adminapi.warnings"]) ? page["@adminapi.warnings"].map(String) : [];
  const headerWarning = headerOf(headers, "x-warnings");
  if (headerWarning) warnings.push(headerWarning);
  const nextLink = typeof page["@odata.nextLink"] === "string" ? trustedTarget(new URL(page["@odata.nextLink"]), cmdlet, "sent a nextLink to").toString() : undefined;
  return { objects, warnings, nextLink };
}

// ---------------------------------------------------------------------------------------------
// Errors (§1.7)

interface DetailParts {
  errorId?: string;
  exceptionType?: string;
  text: string;
}

/** `details[0].message` in either documented format: `Id|Type|Text`, or a JSON object in a string. */
export function parseDetailMessage(message: string): DetailParts {
  const trimmed = message.trim();
  if (trimmed.startsWith("{")) {
    try {
      const json = JSON.parse(trimmed) as {
        Message?: unknown;
        TypeName?: unknown;
        ClassName?: unknown;
        localizedString?: { stringId?: unknown };
      };
      const text = typeof json.Message === "string" ? json.Message : trimmed;
      const type = typeof json.TypeName === "string" ? json.TypeName : typeof json.ClassName === "string" ? json.ClassName : undefined;
      const errorId = typeof json.localizedString?.stringId === "string" ? json.localizedString.stringId : undefined;
      return { errorId, exceptionType: type, text };
    } catch {
      // Not JSON after all: fall through to the other formats.
    }
  }
  const parts = trimmed.split("|");
  if (parts.length >= 3 && /^[\w.+`]+$/.test(parts[1])) {
    return { errorId: parts[0] || undefined, exceptionType: parts[1], text: parts.slice(2).join("|").trim() };
  }
  return { text: trimmed };
}

/** Exchange's own "no such object" (exchange-admin-api.md §1.7); never inferred from the text. */
const NOT_FOUND_TYPE = /(^|\.)ManagementObjectNotFoundException$/;
const ALREADY_EXISTS_TYPE = /(^|\.)ADObjectAlreadyExistsException$/;

/**
 * The forms in which Exchange says an object, an address or a sign-in name is taken, when the
 * exception type is lost or is another one (docs/clients.md, "Already exists"):
 * ADObjectAlreadyExistsException's own text; the proxy-address clash, which is also what
 * New-MailUser says when its MicrosoftOnlineServicesID is an existing user's; Active Directory's
 * UPN uniqueness error; and the directory's ObjectConflict.
 */
const ALREADY_EXISTS_TEXTS = [
  /^The object '[^']*' already exists\.?$/i,
  /is already being used by the proxy addresses or LegacyExchangeDN/i,
  /UPN value provided for addition\/modification is not unique forest-wide/i,
  /is incorrect\. Reason: ObjectConflict/i,
];

/** An ExchangeError from a failed response: body (every observed shape), headers, then fallbacks. */
export function parseExchangeError(cmdlet: string, status: number, bodyText: string, headers: unknown): ExchangeError {
  const parts = errorParts(bodyText);
  const exceptionType = parts.exceptionType ?? headerOf(headers, "x-exceptiontype");
  const shortType = exceptionType ? exceptionType.split(".").pop() : undefined;
  const clientError = status >= 400 && status < 500;
  const notFound = clientError && NOT_FOUND_TYPE.test(exceptionType ?? "");
  const alreadyExists = clientError && (ALREADY_EXISTS_TYPE.test(exceptionType ?? "") || ALREADY_EXISTS_TEXTS.some((form) => form.test(parts.text)));
  let text = parts.text || fallbackText(status, headers, bodyText);
  if (status === 404 && !notFound) {
    text = `${parts.text ? `${parts.text}; ` : `${describeAnswer(status, headerOf(headers, "content-type"), bodyText)}: `}not Exchange's not-found (ManagementObjectNotFoundException), so nothing is taken as gone. Is ${describeSetting("exchangeUrl")} right?`;
  }
  const label = shortType ? `HTTP ${status}, ${shortType}` : `HTTP ${status}`;
  return new ExchangeError(cmdlet, `Exchange ${cmdlet} failed (${label}): ${text}`, {
    status,
    exceptionType,
    errorId: parts.errorId,
    notFound,
    alreadyExists,
    ...throttleHeaders(headers),
  });
}

/** Id, type and text of an error body, from `details`, then the inner exception, then the outer message. */
function errorParts(bodyText: string): DetailParts {
  const error = (parseJsonObject(bodyText)?.error ?? {}) as {
    message?: unknown;
    details?: Array<{ message?: unknown }>;
    innererror?: { message?: unknown; internalexception?: { message?: unknown } };
  };
  const detail = Array.isArray(error.details) ? error.details.find((d) => typeof d?.message === "string") : undefined;
  const candidates = [detail?.message, error.innererror?.internalexception?.message, error.innererror?.message, error.message];
  const first = candidates.find((candidate): candidate is string => typeof candidate === "string" && candidate.trim() !== "");
  return first ? parseDetailMessage(first) : { text: "" };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function fallbackText(status: number, headers: unknown, bodyText: string): string {
  if (status === 401) {
    const challenge = headerOf(headers, "www-authenticate");
    return `not authorised${challenge ? ` (${challenge})` : ""}: check that the app has the Exchange.ManageAsApp permission with admin consent (\`coexist doctor\` checks it), and that ${describeSetting("tenantId")} is the tenant of the token`;
  }
  if (status === 403) {
    return "access denied: the app's service principal lacks an Exchange role that allows this cmdlet (Exchange Administrator; `coexist doctor` checks it), or the cmdlet name is unknown";
  }
  // Bodies can be NUL bytes declared as gzip (§1.7); keep only printable text.
  const printable = bodyText.replace(/[^\x20-\x7e]/g, "").trim();
  return printable ? printable.slice(0, 300) : "no error text in the response";
}

// ---------------------------------------------------------------------------------------------
// Base URL check (docs/clients.md, "Base URL check")

/** The Exchange service principal's app id, which Exchange's 401 challenge names (exo §1.2). */
const EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";
const PROBE_CMDLET = "Get-AcceptedDomain";

/**
 * Before the first cmdlet of the process: `Get-AcceptedDomain` (read by the domain resources
 * anyway), trimmed to DomainName, must answer as the Exchange admin API of the configured tenant.
 */
// Only a URL someone typed can be wrong: the default is the service's own.
registerEndpointCheck("exchange", async () => {
  if (isConfigured("exchangeUrl")) await verifyExchangeUrl();
});

function verifyExchangeUrl(): Promise<void> {
  const config = checkEndpoints("exchange");
  const tenantId = requireSetting("tenantId", "the Exchange admin API URL contains the tenant");
  return verifyOnce(JSON.stringify(["exchange", config.exchangeUrl, tenantId, config.accessToken, config.clientId]), async () => {
    const token = await entraToken("exchange");
    const problem = tenantMismatch(tokenTenantOf(token), tenantId, config.accessToken ? `coexist:accessToken (${originOf("accessToken")})` : "the Entra ID token");
    if (problem) throw new BaseUrlError("tenantId", `${problem} (Exchange calls go to ${config.exchangeUrl}/${tenantId}/InvokeCommand)`);
    const body = JSON.stringify(requestBody(PROBE_CMDLET, {}));
    const answer = await withRetry("exchange", async () => {
      const answered = await post(invokeUrl(["DomainName"]), body, PROBE_CMDLET);
      if (answered.status < 300) return answered;
      const failure = parseExchangeError(PROBE_CMDLET, answered.status, answered.text, answered.headers);
      if (classifyFailure(failure) !== "fatal") throw failure;
      return answered;
    });
    const wrong = exchangeProbeProblem(answer.status, answer.headers, answer.text, tenantId);
    if (wrong) throw wrong;
  });
}

/**
 * What Get-AcceptedDomain says about the URL: Exchange answers 200 with a `value` list (holding a
 * tenant-domain `tenantId`), a 401 whose challenge names Exchange, or a 403 (a role the app lacks)
 * with its exception type or error envelope; the calls themselves then report those. Anything
 * else, a 404 above all (a list has no "not found"), is not the admin API.
 */
function exchangeProbeProblem(status: number, headers: unknown, text: string, tenantId: string): BaseUrlError | undefined {
  const json = jsonObjectOf(text);
  if (status === 200 && Array.isArray(json?.value)) {
    const domains = (json.value as Array<{ DomainName?: unknown }>).map((domain) => String(domain.DomainName ?? "").toLowerCase()).filter(Boolean);
    if (!tenantId.includes(".") || domains.length === 0 || domains.includes(tenantId.toLowerCase())) return undefined;
    return new BaseUrlError("tenantId", `is ${tenantId}, but the Exchange tenant at ${describeSetting("exchangeUrl")} accepts ${domains.join(", ")}: the token is another tenant's`);
  }
  if (status === 401 && (headerOf(headers, "www-authenticate") ?? "").includes(EXCHANGE_APP_ID)) return undefined;
  if (status === 403 && (headerOf(headers, "x-exceptiontype") || typeof (json?.error as { message?: unknown } | undefined)?.message === "string")) return undefined;
  const parts = errorParts(text);
  const shown = parts.text ? [parts.exceptionType?.split(".").pop(), parts.text].filter(Boolean).join(": ") : text;
  return wrongService("exchangeUrl", "the Exchange admin API", `POST {exchangeUrl}/{tenantId}/InvokeCommand (${PROBE_CMDLET})`, status, headerOf(headers, "content-type"), shown, "https://outlook.office365.com/adminapi/beta (the tenant is added from coexist:tenantId)");
}
