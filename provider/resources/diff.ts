import * as pulumi from "@pulumi/pulumi";
import { isUnknown } from "./inputs";

type Values = Record<string, unknown>;

/** How one input is compared, and whether changing it needs a new object. */
export interface FieldRule {
  field: string;
  /** Changing it replaces the object (e.g. its identity); otherwise it is updated in place. */
  replaces?: boolean;
  /** Equality; defaults to `sameValue`. */
  equal?: (a: unknown, b: unknown) => boolean;
}

/** Deep equality of plain JSON values, treating a missing value, null and [] alike. */
export function sameValue(a: unknown, b: unknown): boolean {
  const normal = (v: unknown): unknown => (v === null || (Array.isArray(v) && v.length === 0) ? undefined : v);
  return JSON.stringify(normal(a)) === JSON.stringify(normal(b));
}

/** Strings compared without case (addresses, domains, enum values). */
export function sameIgnoringCase(a: unknown, b: unknown): boolean {
  const lower = (v: unknown): unknown => (typeof v === "string" ? v.toLowerCase() : v);
  return sameValue(lower(a), lower(b));
}

/** Lists compared as sets, without case (RecipientDomains, SmartHosts). */
export function sameSet(a: unknown, b: unknown): boolean {
  const set = (v: unknown): string => JSON.stringify(Array.isArray(v) ? v.map((x) => String(x).toLowerCase()).sort() : v ?? []);
  return set(a) === set(b);
}

/**
 * For an optional input that the resource manages only when it is set: an unset desired value
 * equals whatever the object has, so leaving it out never plans a change.
 */
export function unlessUnset(equal: (a: unknown, b: unknown) => boolean = sameValue): (a: unknown, b: unknown) => boolean {
  return (current, desired) => desired === undefined || desired === null || equal(current, desired);
}

/**
 * The engine's diff for one resource: `olds` are the stored (or refreshed) outputs, `news` the
 * checked inputs. Equal values never count as a change, so refresh reports only real drift.
 */
export function planDiff(olds: Values, news: Values, rules: FieldRule[], deleteBeforeReplace = false): pulumi.dynamic.DiffResult {
  const changed = rules.filter((rule) => isUnknown(news[rule.field]) || !(rule.equal ?? sameValue)(olds[rule.field], news[rule.field]));
  const replaces = changed.filter((rule) => rule.replaces).map((rule) => rule.field);
  return {
    changes: changed.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && deleteBeforeReplace,
  };
}

/** Names of the fields whose values differ (for update: what to send). */
export function changedFields(olds: Values, news: Values, rules: FieldRule[]): string[] {
  return rules.filter((rule) => !(rule.equal ?? sameValue)(olds[rule.field], news[rule.field])).map((rule) => rule.field);
}
