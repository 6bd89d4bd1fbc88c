/**
 * Each client checks, once per provider process and lazily before its first request (a preview
 * that makes no API call makes no check either), that its base URL answers as the service it
 * claims to be, for the right tenant. A wrong host, an HTML page, an unknown path or another
 * tenant's token fails loudly, naming the setting, before any `read` or `delete` can take a stray
 * 404 for "gone". What each client sends and accepts: docs/clients.md, "Base URL check".
 */
import { ConfigError, describeSetting, type ConfigKey } from "../config";
import { describeAnswer } from "./errors";

/** A base URL that answers as something else, or a token of another tenant: the check's verdict. */
export class BaseUrlError extends ConfigError {}

const checks = new Map<string, Promise<void>>();

/**
 * Runs `check` once for `key` (the settings it depends on): concurrent callers share it, a pass is
 * kept for the process, and so is a BaseUrlError (a wrong URL stays wrong); any other failure (a
 * network blip that outlasted the retries, a missing setting) lets the next call check again.
 */
export function verifyOnce(key: string, check: () => Promise<void>): Promise<void> {
  let pending = checks.get(key);
  if (!pending) {
    pending = check().catch((error: unknown) => {
      if (!(error instanceof BaseUrlError)) checks.delete(key);
      throw error;
    });
    checks.set(key, pending);
  }
  return pending;
}

/**
 * The base URL checks of every client loaded in this process (`apis()` loads all three), each run
 * before the first write of any of them. So a wrong URL of one API stops the process's writes to
 * the others too: a `destroy` with a mistyped `googleUrl` fails before it removes any Exchange
 * object, instead of half-running. A check that cannot be made (Google with no admin to act as)
 * returns without a verdict.
 */
const endpointChecks = new Map<string, () => Promise<void>>();

export function registerEndpointCheck(api: string, check: () => Promise<void>): void {
  endpointChecks.set(api, check);
}

/**
 * Every registered check, before a write; each runs once per process (`verifyOnce`). They run side
 * by side; when several fail, the first registered one's error is thrown.
 */
export async function beforeWrite(): Promise<void> {
  const outcomes = await Promise.allSettled([...endpointChecks.values()].map((check) => check()));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failed) throw failed.reason;
}

/** The error for a base URL whose answer is not the service's: what answered, and the setting to check. */
export function wrongService(setting: ConfigKey, service: string, request: string, status: number, contentType: string | undefined, body: string, expected: string): BaseUrlError {
  return new BaseUrlError(
    setting,
    `does not answer as ${service}: ${request} answered ${describeAnswer(status, contentType, body)}. ` +
      `Check ${describeSetting(setting)}; it should look like ${expected}`,
  );
}

/**
 * The problem when a token's tenant is not the configured one, or undefined. Only a GUID
 * `tenantId` can be compared here; a tenant domain is checked against the service's answer.
 */
export function tenantMismatch(tokenTenant: string | undefined, tenantId: string, tokenSource: string): string | undefined {
  if (!tokenTenant || !GUID.test(tenantId) || tokenTenant.toLowerCase() === tenantId.toLowerCase()) return undefined;
  return `names tenant ${tenantId}, but ${tokenSource} is for tenant ${tokenTenant}: the calls would go to one tenant with another's token. Set coexist:tenantId to the tenant of the token, or use the token of ${tenantId}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The parsed JSON object of a body, or undefined. */
export function jsonObjectOf(body: unknown): Record<string, unknown> | undefined {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
