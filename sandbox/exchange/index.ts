/**
 * Exchange Online admin API: `POST /adminapi/beta/{tenant}/InvokeCommand` (exchange-admin-api.md
 * §1–§3). Cmdlet and parameter names are case-insensitive; the app needs Exchange.ManageAsApp and
 * a directory role whose session has the cmdlet; errors come in the shapes the seed asks for.
 */
import { EXCHANGE_MANAGE_AS_APP, hasPermission, mayRunCmdlet, type CmdletArea } from "../authorization";
import { HttpError, exchangeError, header, json, jsonBody, type SandboxRequest, type SandboxResponse } from "../http";
import { acceptedDomainCmdlets } from "./acceptedDomains";
import { allRecipientCmdlets } from "./allRecipients";
import type { Cmdlet, CmdletResult, ExchangeContext, Parameters } from "./cmdlet";
import { connectorCmdlets } from "./connectors";
import { distributionGroupCmdlets } from "./distributionGroups";
import { cmdletDenied, errorShapeFor, reshapeError } from "./errorShapes";
import { mailContactCmdlets } from "./mailContacts";
import { recipientCmdlets } from "./recipients";
import { transportRuleCmdlets } from "./transportRules";

const COMMON_PARAMETERS = ["confirm", "erroraction", "warningaction", "whatif", "verbose", "debug"];
const TRUNCATED = "There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.";

const AREAS: [CmdletArea, Cmdlet[]][] = [
  ["recipients", [...recipientCmdlets, ...allRecipientCmdlets, ...mailContactCmdlets, ...distributionGroupCmdlets]],
  ["organization", [...acceptedDomainCmdlets, ...connectorCmdlets, ...transportRuleCmdlets]],
];
const CMDLETS = new Map(AREAS.flatMap(([area, cmdlets]) => cmdlets.map((cmdlet) => [cmdlet.name.toLowerCase(), { cmdlet, area }] as const)));

export function invokeCommand(context: ExchangeContext, request: SandboxRequest, unauthorized: (error: string) => SandboxResponse): SandboxResponse {
  // A token without the Exchange.ManageAsApp role is refused before any cmdlet runs (§1.2).
  if (!hasPermission(context.caller, [EXCHANGE_MANAGE_AS_APP])) return unauthorized("insufficient_claims");
  const shape = errorShapeFor(context.seed.behaviour.exchangeErrorShapes, request.body);
  try {
    const input = jsonBody<{ CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } }>(request, (message) => exchangeError(400, "parameterBinding", message));
    const cmdletName = input.CmdletInput?.CmdletName;
    if (typeof cmdletName !== "string") throw exchangeError(400, "parameterBinding", "The request body needs CmdletInput.CmdletName, e.g. {\"CmdletInput\":{\"CmdletName\":\"Get-AcceptedDomain\",\"Parameters\":{}}}.");
    const known = CMDLETS.get(cmdletName.toLowerCase());
    // An unknown cmdlet and one the app's roles do not grant look the same: the session lacks it (§1.7).
    if (!known || !mayRunCmdlet(context.caller, known.area, known.cmdlet.name)) return cmdletDenied(shape);
    const parameters = normalizeParameters(context, known.cmdlet, input.CmdletInput?.Parameters ?? {});
    const result = context.store.transaction(() => known.cmdlet.run(context, parameters));
    return page(context, request, parameters, result);
  } catch (error) {
    throw error instanceof HttpError ? new HttpError(reshapeError(error.response, shape)) : error;
  }
}

export function cmdletNameOf(body: string): string {
  try {
    const name = (JSON.parse(body) as { CmdletInput?: { CmdletName?: unknown } }).CmdletInput?.CmdletName;
    return typeof name === "string" ? canonicalName(name) : "(none)";
  } catch {
    return "(invalid)";
  }
}

function canonicalName(name: string): string {
  return CMDLETS.get(name.toLowerCase())?.cmdlet.name ?? name;
}

function normalizeParameters(context: ExchangeContext, cmdlet: Cmdlet, raw: unknown): Parameters {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw exchangeError(400, "parameterBinding", "CmdletInput.Parameters must be a JSON object.");
  const parameters: Parameters = new Map();
  for (const [name, value] of Object.entries(raw)) {
    const key = name.toLowerCase();
    if (!cmdlet.parameters.includes(key) && !COMMON_PARAMETERS.includes(key)) {
      throw exchangeError(400, "parameterBinding", `A parameter cannot be found that matches parameter name '${name}'.`);
    }
    if (value === null && context.seed.behaviour.refuseNullParameters) {
      throw exchangeError(400, "parameterBinding", `Cannot bind parameter '${name}' to null: the sandbox refuses null parameter values: no source confirms how InvokeCommand binds them. Leave the parameter out, or clear the value with the form its cmdlet documents.`);
    }
    parameters.set(key, value);
  }
  for (const required of cmdlet.required ?? []) {
    const value = parameters.get(required);
    if (value === undefined || value === null || value === "") {
      throw exchangeError(400, "parameterBinding", `Cannot process command because of one or more missing mandatory parameters: ${required}.`);
    }
  }
  return parameters;
}

// ---- output and paging -----------------------------------------------------------------------

function page(context: ExchangeContext, request: SandboxRequest, parameters: Parameters, result: CmdletResult): SandboxResponse {
  const warnings = [...(result.warnings ?? [])];
  let objects = result.objects;
  const resultSize = parameters.get("resultsize");
  if (resultSize !== undefined && resultSize !== "Unlimited" && !(typeof resultSize === "number" && Number.isInteger(resultSize) && resultSize > 0)) {
    throw exchangeError(400, "parameterBinding", `Cannot bind parameter 'ResultSize' to the value "${String(resultSize)}". Give a whole number > 0 or "Unlimited".`);
  }
  if (typeof resultSize === "number" && objects.length > resultSize) {
    objects = objects.slice(0, resultSize);
    warnings.push(TRUNCATED);
  }
  const pageSize = preferredPageSize(request) ?? context.seed.behaviour.exchangePageSize;
  const offset = Number(request.query.get("$skiptoken") ?? 0);
  const select = request.query.get("$select")?.split(",").map((name) => name.trim());
  const view = result.view ?? ((object: object) => object);
  const value = objects
    .slice(offset, offset + pageSize)
    .map((object) => view(object as never))
    .map((object) => (select ? selectProperties(object, select) : object));
  const body: Record<string, unknown> = {
    "@odata.context": `${request.origin}/adminapi/beta/${context.tenant.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
    "adminapi.warnings@odata.type": "#Collection(String)",
    "@adminapi.warnings": warnings,
    value,
  };
  if (offset + pageSize < objects.length) {
    const next = new URLSearchParams(request.query);
    next.set("$skiptoken", String(offset + pageSize));
    body["@odata.nextLink"] = `${request.origin}${request.path}?${next.toString()}`;
  }
  return json(200, body, { "Content-Type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8" });
}

function preferredPageSize(request: SandboxRequest): number | undefined {
  const match = /odata\.maxpagesize=(\d+)/i.exec(header(request, "prefer") ?? "");
  return match ? Math.max(1, Number(match[1])) : undefined;
}

function selectProperties(object: object, names: string[]): object {
  const lower = names.map((name) => name.toLowerCase());
  return Object.fromEntries(Object.entries(object).filter(([key]) => lower.includes(key.split("@")[0].toLowerCase())));
}

export function isReadCmdlet(name: string): boolean {
  return /^get-/i.test(name);
}
