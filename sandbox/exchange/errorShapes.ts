/**
 * The shapes InvokeCommand error bodies come in (exchange-admin-api.md §1.7): `details[0].message`
 * as `Id|Type|Text` or as a JSON object in a string, no `details` at all (only
 * `innererror.internalexception`), and the 403 of a cmdlet the session lacks with an empty body or
 * gzip-declared NUL bytes. `behaviour.exchangeErrorShapes` picks which ones the sandbox answers with.
 */
import { gzipSync } from "node:zlib";
import type { ExchangeErrorShape } from "../behaviour";
import type { SandboxResponse } from "../http";
import { unitHash } from "../ids";

export type ErrorShape = "pipe" | "json" | "innererror";

const MIXED: ErrorShape[] = ["pipe", "json", "innererror"];
const NUL_BYTES = 16;

/** The shape of this request's error answers; `mixed` is deterministic per request body. */
export function errorShapeFor(setting: ExchangeErrorShape | undefined, requestBody: string): ErrorShape {
  if (setting === "mixed") return MIXED[Math.floor(unitHash(`shape/${requestBody}`) * MIXED.length)];
  return setting ?? "pipe";
}

interface ErrorBody {
  error: { details?: { message: string }[]; innererror?: { internalexception?: { message?: string } } };
}

/** A pipe-format error answer (http.ts `exchangeError`) rewritten in another shape. */
export function reshapeError(response: SandboxResponse, shape: ErrorShape): SandboxResponse {
  const body = response.body as ErrorBody | undefined;
  const detail = body?.error?.details?.[0]?.message;
  if (shape === "pipe" || !body || detail === undefined) return response;
  const { details: _pipe, ...rest } = body.error;
  if (shape === "innererror") return { ...response, body: { ...body, error: rest } };
  const [, type, ...text] = detail.split("|");
  const message = JSON.stringify({ Message: text.join("|"), TypeName: type, StackTrace: null, InnerError: null });
  return { ...response, body: { ...body, error: { ...rest, details: [{ ...body.error.details?.[0], message }] } } };
}

/**
 * 403 for a cmdlet the session does not have (unknown, or not granted by the app's roles): an
 * empty body in the pipe shape, else NUL bytes declared gzip, as graph2otel saw.
 */
export function cmdletDenied(shape: ErrorShape): SandboxResponse {
  const headers = { "X-ExceptionType": "CmdletAccessDeniedException" };
  if (shape === "pipe") return { status: 403, headers, body: "" };
  return { status: 403, headers: { ...headers, "Content-Encoding": "gzip" }, body: gzipSync(Buffer.alloc(NUL_BYTES, 0)) };
}
