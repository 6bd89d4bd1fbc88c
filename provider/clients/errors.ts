import { redact } from "../config";

export type ApiName = "graph" | "exchange" | "google";

export interface ApiErrorFacts {
  /** HTTP status; undefined when no response arrived (connection reset, timeout). */
  status?: number;
  /** Machine-readable reasons: Graph `error.code`, Exchange exception type, Gmail `errors[].reason`. */
  reasons?: string[];
  /** Network error code (ECONNRESET, UND_ERR_SOCKET, ...) when no response arrived. */
  networkCode?: string;
  /** Raw `Retry-After` header. */
  retryAfter?: string;
  /** Raw `Rate-Limit-Reset` header (Exchange sends an ISO timestamp). */
  rateLimitReset?: string;
  /** The service's own "no such object" (never a bare 404: see each client). */
  notFound?: boolean;
}

/**
 * What every client of ours throws. The message is always redacted; the facts are what the retry
 * policy decides on.
 */
export class ApiError extends Error {
  readonly status?: number;
  readonly reasons: string[];
  readonly networkCode?: string;
  readonly retryAfter?: string;
  readonly rateLimitReset?: string;
  /**
   * True only for the service's own not-found answer for the object: Graph's
   * `Request_ResourceNotFound`, Exchange's `ManagementObjectNotFoundException`, Google's 404 in its
   * error envelope. `unlessNotFound` reads it; nothing else may mean "gone".
   */
  readonly notFound: boolean;
  /**
   * Set by the retry policy: a call that must not be repeated blindly (it creates, validates or
   * sends mail) got no answer, or one that does not prove it was not applied. It was not
   * retried; read the object, then retry or take it over.
   */
  outcomeUnknown = false;
  /** Set by the retry policy when it gave up on this failure, e.g. " (gave up after 6 attempts in 40 s)". */
  retryNote?: string;

  constructor(
    readonly api: ApiName,
    message: string,
    facts: ApiErrorFacts,
  ) {
    super(redact(message));
    this.name = "ApiError";
    this.status = facts.status;
    this.reasons = facts.reasons ?? [];
    this.networkCode = facts.networkCode;
    this.retryAfter = facts.retryAfter;
    this.rateLimitReset = facts.rateLimitReset;
    this.notFound = facts.notFound ?? false;
  }
}

/** The code of a transport failure, looking through `cause` chains (undici wraps socket errors). */
export function networkCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === "string" && code) return code;
    if (name === "TimeoutError" || name === "AbortError") return name;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== error.message ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

/** A header value from a fetch `Headers`, a plain record, or nothing, case-insensitively. */
export function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== null) return String(value);
  }
  return undefined;
}

/** The throttling headers of a response, as ApiErrorFacts fields. */
export function throttleHeaders(headers: unknown): Pick<ApiErrorFacts, "retryAfter" | "rateLimitReset"> {
  return { retryAfter: headerOf(headers, "retry-after"), rateLimitReset: headerOf(headers, "rate-limit-reset") };
}

/**
 * The request's result, or undefined when the service said the object does not exist
 * (`ApiError.notFound`). Any other failure, a 404 of the wrong shape included, is thrown.
 */
export async function unlessNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ApiError && error.notFound) return undefined;
    throw error;
  }
}

const TOKEN_SHAPED = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/**
 * An answer as error messages show it: `HTTP 404 text/html "<!DOCTYPE html>…"`. Only printable
 * characters, at most 120 of them, and anything shaped like a JWT (a server that echoes the
 * request) replaced.
 */
export function describeAnswer(status: number, contentType: string | undefined, body: string): string {
  const printable = body.replace(/[^\x20-\x7e]+/g, " ").replace(TOKEN_SHAPED, "[token]").trim();
  const shown = printable ? ` "${printable.length > 120 ? `${printable.slice(0, 120)}…` : printable}"` : " with an empty body";
  return `HTTP ${status}${contentType ? ` ${contentType.split(";")[0].trim()}` : ""}${shown}`;
}
