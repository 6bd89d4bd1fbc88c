import * as pulumi from "@pulumi/pulumi";
import { domainOf } from "../routing/addresses";

/** During preview the engine passes inputs it does not know yet as this sentinel string. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

type Inputs = Record<string, unknown>;

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^(?:${LABEL}\\.)+[a-z]{2,63}$`);
const LOCAL_PART = /^[a-z0-9._%+'-]{1,64}$/;
const ALIAS = /^[A-Za-z0-9._'-]{1,64}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Characters that make a name look like PowerShell or a wildcard; the Exchange admin API runs
// cmdlets, so refusing them up front keeps every value a plain literal.
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f*?`|;$<>"\\]/;
const MAX_TEXT = 256;

/** `alice@contoso.com` → true; wildcards, spaces, PowerShell characters, bare domains → false. */
export function isEmailAddress(value: string): boolean {
  if (value.length > 254) return false;
  const at = value.lastIndexOf("@");
  if (at <= 0) return false;
  const local = value.slice(0, at).toLowerCase();
  return LOCAL_PART.test(local) && !local.startsWith(".") && !local.endsWith(".") && !local.includes("..") && isDomainName(value.slice(at + 1));
}

/** `contoso.com`, `o365.contoso.com` → true; `contoso`, `*.contoso.com`, `-a.com` → false. */
export function isDomainName(value: string): boolean {
  return value.length <= 253 && DOMAIN.test(value.toLowerCase());
}

/** True when `domain` is `parent` or one of its subdomains. */
export function isWithinDomain(domain: string, parent: string): boolean {
  const d = domain.toLowerCase();
  const p = parent.toLowerCase();
  return d === p || d.endsWith(`.${p}`);
}

/**
 * Validates one resource's inputs in `check`: every problem is collected (so the user sees them
 * all at once, each naming the field and the fix), values are normalized (addresses lower-cased,
 * defaults filled in), and an input the engine does not know yet (preview) is passed through.
 * Secret fields are never echoed in a message.
 */
export class InputChecker {
  readonly failures: pulumi.dynamic.CheckFailure[] = [];
  readonly values: Inputs = {};

  constructor(
    private readonly resourceType: string,
    private readonly inputs: Inputs,
  ) {}

  private fail(field: string, reason: string): undefined {
    this.failures.push({ property: field, reason: `${this.resourceType}.${field}: ${reason}` });
    return undefined;
  }

  private raw(field: string): unknown {
    const value = this.inputs[field];
    return value === null ? undefined : value;
  }

  /** A string; `required` fails when absent, `fallback` fills it in. */
  text(field: string, options: { required?: boolean; fallback?: string; secret?: boolean; maxLength?: number } = {}): string | undefined {
    const value = this.raw(field) ?? options.fallback;
    if (value === undefined || value === "") {
      if (options.required) return this.fail(field, "is required");
      return undefined;
    }
    if (isUnknown(value)) return (this.values[field] = UNKNOWN) as string;
    if (typeof value !== "string") return this.fail(field, `must be a string, got ${typeof value}`);
    const maxLength = options.maxLength ?? MAX_TEXT;
    if (value.length > maxLength) return this.fail(field, `is ${value.length} characters long; the limit is ${maxLength}`);
    if (!options.secret && /[\u0000-\u001f\u007f]/.test(value)) return this.fail(field, "contains control characters; remove them");
    this.values[field] = value;
    return value;
  }

  /** A display name or object name: no wildcards, control or PowerShell characters. */
  name(field: string, options: { required?: boolean; fallback?: string; maxLength?: number } = {}): string | undefined {
    const value = this.text(field, options);
    if (value === undefined || isUnknown(value)) return value;
    if (UNSAFE_IN_NAME.test(value)) {
      delete this.values[field];
      return this.fail(field, `${JSON.stringify(value)} contains a character that is not allowed (* ? \` | ; $ < > " \\ or a control character); use letters, digits, spaces and . - _ '`);
    }
    return value;
  }

  /** An Exchange alias (mail nickname). */
  alias(field: string, options: { required?: boolean; fallback?: string } = {}): string | undefined {
    const value = this.text(field, { ...options, maxLength: 64 });
    if (value === undefined || isUnknown(value)) return value;
    if (!ALIAS.test(value)) {
      delete this.values[field];
      return this.fail(field, `${JSON.stringify(value)} is not a valid alias; use 1-64 letters, digits and . - _ '`);
    }
    return value;
  }

  /** An SMTP address, lower-cased; `withinDomain` also requires its domain. */
  email(field: string, options: { required?: boolean; fallback?: string; withinDomain?: string } = {}): string | undefined {
    const value = this.text(field, options);
    if (value === undefined || isUnknown(value)) return value;
    const address = value.trim().toLowerCase();
    if (!isEmailAddress(address)) {
      delete this.values[field];
      return this.fail(field, `${JSON.stringify(value)} is not an email address; expected user@domain, e.g. alice@contoso.com`);
    }
    if (options.withinDomain && !isUnknown(options.withinDomain) && !isWithinDomain(domainOf(address), options.withinDomain)) {
      delete this.values[field];
      return this.fail(field, `${address} is not in ${options.withinDomain}; use an address of that domain`);
    }
    return (this.values[field] = address) as string;
  }

  /** A DNS domain name, lower-cased. */
  domain(field: string, options: { required?: boolean; fallback?: string } = {}): string | undefined {
    const value = this.text(field, options);
    if (value === undefined || isUnknown(value)) return value;
    const domain = value.trim().toLowerCase().replace(/\.$/, "");
    if (!isDomainName(domain)) {
      delete this.values[field];
      return this.fail(field, `${JSON.stringify(value)} is not a domain name; expected something like contoso.com (no wildcards)`);
    }
    return (this.values[field] = domain) as string;
  }

  /** A GUID, lower-cased. */
  guid(field: string, options: { required?: boolean } = {}): string | undefined {
    const value = this.text(field, options);
    if (value === undefined || isUnknown(value)) return value;
    if (!GUID.test(value)) {
      delete this.values[field];
      return this.fail(field, `${JSON.stringify(value)} is not a GUID`);
    }
    return (this.values[field] = value.toLowerCase()) as string;
  }

  /** One of a fixed set of values (matched case-insensitively, stored in canonical spelling). */
  oneOf<T extends string>(field: string, allowed: readonly T[], fallback?: T): T | undefined {
    const value = this.text(field, { required: fallback === undefined, fallback });
    if (value === undefined || isUnknown(value)) return value as T | undefined;
    const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
    if (!match) {
      delete this.values[field];
      return this.fail(field, `${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
    }
    return (this.values[field] = match) as T;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.raw(field) ?? fallback;
    if (isUnknown(value)) {
      this.values[field] = UNKNOWN;
      return fallback;
    }
    if (typeof value !== "boolean") {
      this.fail(field, `must be true or false, got ${JSON.stringify(value)}`);
      return fallback;
    }
    this.values[field] = value;
    return value;
  }

  /** A positive whole number within bounds. */
  integer(field: string, fallback: number, bounds: { min: number; max: number }): number {
    const value = this.raw(field) ?? fallback;
    if (isUnknown(value)) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
      this.fail(field, `must be a whole number from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    this.values[field] = value;
    return value;
  }

  /**
   * A list of strings, each validated by `item` (which returns a normalized value or a reason it
   * is wrong). Duplicates (case-insensitive) are refused.
   */
  list(
    field: string,
    item: (value: string) => { value: string } | { reason: string },
    options: { required?: boolean; fallback?: string[]; maxItems?: number } = {},
  ): string[] | undefined {
    const raw = this.raw(field) ?? options.fallback;
    if (raw === undefined) {
      if (options.required) return this.fail(field, "is required (a non-empty list)");
      return undefined;
    }
    if (isUnknown(raw)) return (this.values[field] = UNKNOWN) as unknown as string[];
    if (!Array.isArray(raw)) return this.fail(field, "must be a list of strings");
    if (options.required && raw.length === 0) return this.fail(field, "must not be empty");
    if (raw.length > (options.maxItems ?? 100)) return this.fail(field, `has ${raw.length} entries; the limit is ${options.maxItems ?? 100}`);
    const result: string[] = [];
    const seen = new Set<string>();
    for (const [index, entry] of raw.entries()) {
      if (isUnknown(entry)) {
        result.push(UNKNOWN);
        continue;
      }
      if (typeof entry !== "string") return this.fail(`${field}[${index}]`, "must be a string");
      const checked = item(entry);
      if ("reason" in checked) return this.fail(`${field}[${index}]`, checked.reason);
      if (seen.has(checked.value.toLowerCase())) return this.fail(`${field}[${index}]`, `${checked.value} is listed twice; list it once`);
      seen.add(checked.value.toLowerCase());
      result.push(checked.value);
    }
    return (this.values[field] = result);
  }

  /**
   * The hidden input `owner` (`<project>/<stack>`, ownership.ts) that every resource class of this
   * package sets: the stack named in the marks the resource writes.
   */
  owner(): string | undefined {
    const value = this.raw("owner");
    if (typeof value === "string" && /^[^\s/\]]+\/[^\s/\]]+$/.test(value)) return (this.values.owner = value);
    return this.fail("owner", `is ${JSON.stringify(value)}; it is set by the resource class to the stack's <project>/<stack>: declare the resource with this package's class (new ${this.resourceType}(...))`);
  }

  /** Records a failure found by a rule that spans several fields. */
  problem(field: string, reason: string): void {
    this.fail(field, reason);
  }

  result(): pulumi.dynamic.CheckResult {
    return this.failures.length > 0 ? { inputs: this.inputs, failures: this.failures } : { inputs: this.values };
  }
}

/** List item rule: a domain name (for RecipientDomains also `*.domain` or `*`). */
export function domainItem(allowWildcard: boolean): (value: string) => { value: string } | { reason: string } {
  return (value) => {
    const domain = value.trim().toLowerCase();
    if (allowWildcard && domain === "*") return { value: domain };
    const bare = allowWildcard && domain.startsWith("*.") ? domain.slice(2) : domain;
    return isDomainName(bare)
      ? { value: domain }
      : { reason: `${JSON.stringify(value)} is not a domain name${allowWildcard ? " (contoso.com, *.contoso.com or *)" : ""}` };
  };
}

/** List item rule: an SMTP address. */
export function emailItem(value: string): { value: string } | { reason: string } {
  const address = value.trim().toLowerCase();
  return isEmailAddress(address) ? { value: address } : { reason: `${JSON.stringify(value)} is not an email address` };
}

/** List item rule: a GUID (e.g. a servicePlanId), lower-cased. */
export function guidItem(value: string): { value: string } | { reason: string } {
  const guid = value.trim().toLowerCase();
  return GUID.test(guid) ? { value: guid } : { reason: `${JSON.stringify(value)} is not a GUID` };
}
