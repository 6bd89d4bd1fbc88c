/** What every Graph handler of the sandbox shares: the context, the route shape and the common answers. */
import { hasPermission, type Caller } from "../authorization";
import { graphError, jsonBody, type HttpError, type SandboxRequest, type SandboxResponse } from "../http";
import type { TenantRecord } from "../records";
import type { Seed } from "../seed";
import type { Store } from "../store";

export interface GraphContext {
  store: Store;
  tenant: TenantRecord;
  seed: Seed;
  caller: Caller;
  /** Throttling decision for one `$batch` step (each step is throttled on its own, §3.3). */
  throttleBatchStep: (step: SandboxRequest) => SandboxResponse | undefined;
}

export interface GraphRoute {
  method: string;
  pattern: RegExp;
  /**
   * Application permissions of which the caller needs one (an inner list: all of it), from the
   * endpoint's permission table; none when the handler decides (per property or per target).
   */
  permissions?: readonly (string | readonly string[])[];
  handler: (context: GraphContext, request: SandboxRequest, match: string[]) => SandboxResponse;
}

export function body<T>(request: SandboxRequest): T {
  return jsonBody<T>(request, (message) => graphError(request, 400, "BadRequest", message));
}

export function odataContext(request: SandboxRequest, fragment: string): string {
  return `${request.origin}/v1.0/$metadata#${fragment}`;
}

export function resourceNotFound(request: SandboxRequest, id: string): HttpError {
  return graphError(request, 404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

/** What Graph answers an app that lacks a permission or a directory role (the same text for both). */
export function insufficientPrivileges(request: SandboxRequest): HttpError {
  return graphError(request, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

export function requirePermission(context: GraphContext, request: SandboxRequest, anyOf: readonly (string | readonly string[])[]): void {
  if (!hasPermission(context.caller, anyOf)) throw insufficientPrivileges(request);
}

export function pick(full: Record<string, unknown>, properties: string[]): Record<string, unknown> {
  return Object.fromEntries(properties.filter((name) => name in full).map((name) => [name, full[name]]));
}

/** The `eq` comparisons of a `$filter` (`a eq 'x' and b eq 'y'`); undefined when it has anything else. */
export function equalityFilter(filter: string): Map<string, string> | undefined {
  const clauses = filter.split(/\s+and\s+/i);
  const pairs = clauses.map((clause) => /^\s*(\w+)\s+eq\s+'([^']*)'\s*$/i.exec(clause));
  if (pairs.some((pair) => pair === null)) return undefined;
  return new Map(pairs.map((pair) => [(pair as RegExpExecArray)[1], (pair as RegExpExecArray)[2]]));
}
