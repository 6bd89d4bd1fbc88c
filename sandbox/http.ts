/** Request and response values the API handlers work with, each API's error envelope, and reading a request body. */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

/**
 * The largest request body the sandbox reads, for every API and the control API: far above the
 * largest legitimate request (a Graph $batch of 20 steps is a few KB; a 10,000-user seed posted to
 * `/sandbox/reset` is about 1.2 MB), far below what could exhaust the process.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The body as text, or undefined when it is larger than `limit`: the rest is read and dropped,
 * so the client still gets the 413 the caller writes.
 */
export function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on("end", () => resolve(size <= limit ? Buffer.concat(chunks).toString("utf8") : undefined));
    request.on("error", reject);
  });
}

export interface SandboxRequest {
  method: string;
  /** Path with repeated slashes collapsed. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** `https://127.0.0.1:<port>`: links the sandbox returns point at itself. */
  origin: string;
  requestId: string;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is a string. */
  body?: unknown;
}

/** Thrown by handlers; the server answers with `response`. */
export class HttpError extends Error {
  constructor(readonly response: SandboxResponse) {
    super(`HTTP ${response.status}`);
  }
}

/** The handler's answer, its HttpError's answer included (other errors propagate). */
export function answerOf(handle: () => SandboxResponse): SandboxResponse {
  try {
    return handle();
  } catch (error) {
    if (error instanceof HttpError) return error.response;
    throw error;
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SandboxResponse {
  return { status, body, headers };
}

export function header(request: Pick<SandboxRequest, "headers">, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function bearerToken(request: Pick<SandboxRequest, "headers">): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header(request, "authorization") ?? "");
  return match?.[1].trim();
}

/** The request body as JSON; `invalid` builds the API's own error for a body that is not JSON. */
export function jsonBody<T>(request: SandboxRequest, invalid: (message: string) => HttpError): T {
  if (request.body.trim() === "") return {} as T;
  try {
    return JSON.parse(request.body) as T;
  } catch {
    throw invalid("The request body is not valid JSON.");
  }
}

/** `{error:{code,message,innerError:{date,request-id,client-request-id}}}` (microsoft-graph.md §3.1). */
export function graphError(request: SandboxRequest, status: number, code: string, message: string, headers: Record<string, string> = {}): HttpError {
  const clientRequestId = header(request, "client-request-id") ?? request.requestId;
  return new HttpError(
    json(
      status,
      {
        error: {
          code,
          message,
          innerError: { date: new Date().toISOString().slice(0, 19), "request-id": request.requestId, "client-request-id": clientRequestId },
        },
      },
      { "request-id": request.requestId, "client-request-id": clientRequestId, ...headers },
    ),
  );
}

/** Gmail / Directory error (google-workspace.md §1.6). */
export function googleError(status: number, reason: string, message: string, extra: { domain?: string; location?: string } = {}): HttpError {
  const detail: Record<string, string> = { message, domain: extra.domain ?? "global", reason };
  if (extra.location) {
    detail.location = extra.location;
    detail.locationType = "header";
  }
  return new HttpError(json(status, { error: { code: status, message, errors: [detail], status: GOOGLE_STATUS[status] ?? "UNKNOWN" } }));
}

const GOOGLE_STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  413: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ALREADY_EXISTS",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

export const EXCHANGE_ERROR_IDS = {
  notFound: "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
  alreadyExists: "Ex5A2B2D|Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
  proxyInUse: "Ex3B0F7E|Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
  invalidParameter: "Ex9E0B0B|Microsoft.Exchange.Management.Tasks.RecipientTaskException",
  parameterBinding: "ExB0C7A6|System.Management.Automation.ParameterBindingException",
  transformation: "Ex7BA63A|System.Management.Automation.ParameterTransformationException",
  dataValidation: "Ex2D5E0D|Microsoft.Exchange.Data.DataValidationException",
  memberAlreadyExists: "ExC7E4A1|Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
  memberNotFound: "Ex8A1F22|Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
  concurrency: "Ex1F0B4A|Microsoft.Exchange.Admin.OData.Core.ThrottlingException",
  requestTooLarge: "Ex4A1D13|Microsoft.Exchange.Admin.OData.Core.RequestEntityTooLargeException",
} as const;

/** InvokeCommand error (exchange-admin-api.md §1.7), `details[0].message` in the pipe format. */
export function exchangeError(status: number, errorId: keyof typeof EXCHANGE_ERROR_IDS, text: string, extraHeaders: Record<string, string> = {}): HttpError {
  const [id, type] = EXCHANGE_ERROR_IDS[errorId].split("|");
  const code = status === 404 ? "NotFound" : status === 429 ? "TooManyRequests" : "BadRequest";
  return new HttpError(
    json(
      status,
      {
        error: {
          code,
          message: "Error executing cmdlet",
          details: [{ code: "Context", target: "", message: `${id}|${type}|${text}` }],
          innererror: {
            message: "Error executing cmdlet",
            type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            stacktrace: "",
            internalexception: { message: text, type: "Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException", stacktrace: "" },
          },
        },
        "adminapi.warnings@odata.type": "#Collection(String)",
        "@adminapi.warnings": [],
      },
      { "X-ExceptionType": type.split(".").pop() ?? type, ...extraHeaders },
    ),
  );
}
