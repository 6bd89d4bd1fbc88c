/**
 * Microsoft Graph v1.0 as the sandbox serves it (microsoft-graph.md §1–§3): routing, the
 * permission check of each route, and `$batch`. The endpoints live in domains.ts, users.ts and
 * directoryRoles.ts.
 */
import { answerOf, graphError, json, type SandboxRequest, type SandboxResponse } from "../http";
import { body, requirePermission, type GraphContext, type GraphRoute } from "./common";
import { directoryRoleRoutes } from "./directoryRoles";
import { domainRoutes } from "./domains";
import { userRoutes } from "./users";

export type { GraphContext } from "./common";
export { canVerify } from "./domains";
export { decideLicences, type LicenceDecision } from "./users";

const MAX_BATCH_REQUESTS = 20;

const ROUTES: GraphRoute[] = [...domainRoutes, ...userRoutes, ...directoryRoleRoutes, { method: "POST", pattern: /^\/\$batch$/, handler: batch }];

/** Serves one Graph request; `path` is relative to `/v1.0`. */
export function handleGraph(context: GraphContext, request: SandboxRequest, path: string): SandboxResponse {
  // OData key syntax arrives percent-encoded from some clients: servicePrincipals(appId='…').
  const decoded = path.replace(/\/$/, "").replace(/%27/gi, "'").replace(/%28/gi, "(").replace(/%29/gi, ")");
  const candidates = ROUTES.filter((route) => route.pattern.test(decoded));
  if (candidates.length === 0) {
    throw graphError(request, 400, "BadRequest", `Resource not found for the segment '${decoded.split("/")[1] ?? ""}'. The sandbox does not emulate this Graph path.`);
  }
  const route = candidates.find((candidate) => candidate.method === request.method);
  if (!route) throw graphError(request, 405, "Request_BadRequest", `The HTTP method '${request.method}' is not allowed for '${decoded}'.`);
  if (route.permissions) requirePermission(context, request, route.permissions);
  const match = (route.pattern.exec(decoded) ?? []).slice(1).map((segment) => decodeURIComponent(segment));
  return route.handler(context, request, match);
}

// ---- $batch ----------------------------------------------------------------------------------

interface BatchStep {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: unknown;
}

function batch(context: GraphContext, request: SandboxRequest): SandboxResponse {
  const input = body<{ requests?: BatchStep[] }>(request);
  const steps = input.requests;
  if (!Array.isArray(steps) || steps.length === 0) throw graphError(request, 400, "BadRequest", "Invalid batch payload format: 'requests' must be a non-empty array.");
  if (steps.length > MAX_BATCH_REQUESTS) throw graphError(request, 400, "BadRequest", `Number of batch request steps exceeds the maximum of ${MAX_BATCH_REQUESTS}.`);
  const ids = steps.map((step) => String(step.id ?? ""));
  const duplicate = ids.find((id, index) => id === "" || ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw graphError(request, 400, "BadRequest", `Batch request ids must be present and unique; '${duplicate}' is not.`);
  for (const step of steps) {
    if (typeof step.url !== "string" || /^https?:/i.test(step.url)) throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' needs a relative 'url'.`);
    if (typeof step.method !== "string") throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' needs a 'method'.`);
    if (step.body !== undefined && !Object.keys(step.headers ?? {}).some((name) => name.toLowerCase() === "content-type")) {
      throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' has a body but no Content-Type header.`);
    }
    const dependsOn = (step.dependsOn as string[] | undefined) ?? [];
    if (dependsOn.some((dependency) => !ids.includes(dependency))) throw graphError(request, 400, "BadRequest", `Batch step '${String(step.id)}' depends on an unknown id.`);
  }
  const statuses = new Map<string, number>();
  const responses = steps.map((step) => {
    const id = String(step.id);
    const failedDependency = ((step.dependsOn as string[] | undefined) ?? []).some((dependency) => (statuses.get(dependency) ?? 424) >= 400);
    const response = failedDependency ? failedDependencyResponse(request) : runStep(context, request, step);
    statuses.set(id, response.status);
    const headers: Record<string, string> = { ...(response.headers ?? {}) };
    if (response.body !== undefined) headers["Content-Type"] = "application/json";
    return { id, status: response.status, headers, body: response.body ?? null };
  });
  return json(200, { responses });
}

function failedDependencyResponse(request: SandboxRequest): SandboxResponse {
  return graphError(request, 424, "BadRequest", "Request failed because a request it depends on failed.").response;
}

function runStep(context: GraphContext, outer: SandboxRequest, step: BatchStep): SandboxResponse {
  const url = new URL(String(step.url).replace(/^\/?/, "/"), "https://batch.invalid");
  const inner: SandboxRequest = {
    ...outer,
    method: String(step.method).toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers: Object.fromEntries(Object.entries(step.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    body: step.body === undefined ? "" : JSON.stringify(step.body),
  };
  const throttled = context.throttleBatchStep(inner);
  if (throttled) return throttled;
  // An HttpError inside the transaction rolls the step back; its answer becomes the step's response.
  return answerOf(() => context.store.transaction(() => handleGraph(context, inner, url.pathname)));
}
