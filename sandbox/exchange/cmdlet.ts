/**
 * What every cmdlet family of the sandbox's Exchange admin API shares: the cmdlet shape, the
 * binding of parameter values (names arrive lower-cased) and the common errors.
 */
import type { Caller } from "../authorization";
import { stripPrefix } from "../directory";
import { exchangeError, type HttpError } from "../http";
import type { TenantRecord } from "../records";
import type { Seed } from "../seed";
import type { Store } from "../store";

export interface ExchangeContext {
  store: Store;
  tenant: TenantRecord;
  seed: Seed;
  caller: Caller;
}

export type Parameters = Map<string, unknown>;

export interface CmdletResult {
  objects: object[];
  /** Turns a stored object into its wire form; applied to the page only, so a paged list costs one page of views. */
  view?: (object: never) => object;
  warnings?: string[];
}

export interface Cmdlet {
  name: string;
  parameters: string[];
  required?: string[];
  run(context: ExchangeContext, parameters: Parameters): CmdletResult;
}

const NAME_LIMIT = 64;

// ---- parameter values ------------------------------------------------------------------------

export function text(parameters: Parameters, name: string, field = name): string | undefined {
  const value = parameters.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw exchangeError(400, "parameterBinding", `Cannot bind parameter '${field}'. Give a string.`);
  return value;
}

export function flag(parameters: Parameters, name: string): boolean | undefined {
  const value = parameters.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw exchangeError(400, "parameterBinding", `Cannot convert value "${String(value)}" to type "System.Boolean" for parameter '${name}'. Use true or false.`);
  return value;
}

export function list(parameters: Parameters, name: string): string[] | undefined {
  const value = parameters.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  throw exchangeError(400, "parameterBinding", `Cannot bind parameter '${name}'. Give a string or an array of strings.`);
}

export function enumValue<T extends string>(parameters: Parameters, name: string, allowed: readonly T[]): T | undefined {
  const value = text(parameters, name);
  if (value === undefined) return undefined;
  const found = allowed.find((option) => option.toLowerCase() === value.toLowerCase());
  if (!found) {
    throw exchangeError(400, "parameterBinding", `Cannot bind parameter '${name}'. Cannot convert value "${value}" to an allowed value. Specify one of: "${allowed.join(", ")}".`);
  }
  return found;
}

export function checkName(name: string, field: string): void {
  checkLength(name, field, NAME_LIMIT);
}

export function checkLength(value: string, field: string, limit: number): void {
  if (value.length > limit) throw exchangeError(400, "dataValidation", `The length of the property '${field}' is too long. The maximum length is ${limit} and the length of the value provided is ${value.length}.`);
}

/** An optional SMTP address parameter (`x@y` or `smtp:x@y`); null or "" clears it. */
export function smtpAddress(parameters: Parameters, name: string, field: string): string | undefined {
  const value = text(parameters, name, field);
  if (!value) return undefined;
  const address = stripPrefix(value);
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw exchangeError(400, "dataValidation", `The ${field} "${value}" isn't a valid SMTP address.`);
  return address;
}

// ---- objects and answers --------------------------------------------------------------------

/** ADObjectAlreadyExistsException when another object of the list already has the name. */
export function assertNameFree(objects: { name: string; guid: string }[], name: string, self?: string): void {
  if (objects.some((entry) => entry.guid !== self && entry.name.toLowerCase() === name.toLowerCase())) {
    throw exchangeError(400, "alreadyExists", `The object '${name}' already exists.`);
  }
}

/** An object of the list by name or GUID, or the not-found error. */
export function findNamed<T extends { name: string; guid: string }>(objects: T[], identity: string): T {
  const key = identity.toLowerCase();
  const found = objects.find((entry) => entry.name.toLowerCase() === key || entry.guid === key);
  if (!found) throw notFound(identity);
  return found;
}

export function notFound(identity: string): HttpError {
  return exchangeError(404, "notFound", `The operation couldn't be performed because object '${identity}' couldn't be found on 'SANDBOX01A001.prod.outlook.com'.`);
}

/** Without Alias the Name is used, spaces removed and other unsupported characters turned into "?" (Alias doc). */
export function aliasFromName(name: string): string {
  return name.replace(/\s+/g, "").replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u00A1-\u00FF]/g, "?");
}

const CUSTOM_ATTRIBUTES = Array.from({ length: 15 }, (_, index) => String(index + 1));
export const CUSTOM_ATTRIBUTE_PARAMETERS = CUSTOM_ATTRIBUTES.map((number) => `customattribute${number}`);
/** The AD attributes behind CustomAttribute1..15 (extensionAttribute1..15) hold at most this many characters. */
const CUSTOM_ATTRIBUTE_LIMIT = 1024;

/** -CustomAttribute1..15 given in this call; null or "" clears one. */
export function customAttributes(object: { customAttributes?: Record<string, string> }, parameters: Parameters): Record<string, string> | undefined {
  const given = CUSTOM_ATTRIBUTES.filter((number) => parameters.has(`customattribute${number}`));
  if (given.length === 0) return object.customAttributes;
  const next = { ...(object.customAttributes ?? {}) };
  for (const number of given) {
    const value = text(parameters, `customattribute${number}`, `CustomAttribute${number}`) ?? "";
    checkLength(value, `CustomAttribute${number}`, CUSTOM_ATTRIBUTE_LIMIT);
    if (value === "") delete next[number];
    else next[number] = value;
  }
  return Object.keys(next).length > 0 ? next : undefined;
}

/** `CustomAttribute1`..`CustomAttribute15` as every recipient shows them ("" when unset). */
export function customAttributeView(object: { customAttributes?: Record<string, string> }): Record<string, string> {
  return Object.fromEntries(CUSTOM_ATTRIBUTES.map((number) => [`CustomAttribute${number}`, object.customAttributes?.[number] ?? ""]));
}

export const NO_CHANGE = (identity: string): string => `The command completed successfully but no settings of '${identity}' have been modified.`;

/** A Set-* cmdlet's end: Exchange's warning when the parameters change nothing, else the object saved. */
export function saveUnlessUnchanged<T extends { name: string }>(current: T, next: T, save: (next: T) => void): CmdletResult {
  if (JSON.stringify(next) === JSON.stringify(current)) return { objects: [], warnings: [NO_CHANGE(current.name)] };
  save(next);
  return { objects: [] };
}
