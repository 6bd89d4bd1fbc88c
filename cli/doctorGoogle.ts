/**
 * The Google checks of `coexist doctor`: domain-wide delegation of each scope the planned
 * resources need, tried one scope at a time with a harmless call (as coexist:googleAdmin for the
 * Directory and the Policy API, as one real, active user of the CSV for Gmail), and whether the
 * Admin console allows automatic forwarding. Reads only.
 */
import { ApiError, messageOf } from "../provider/clients/errors";
import { getDirectoryUser, listAutoForwardingPolicies, probeDelegatedScope } from "../provider/clients/google";
import { planScope } from "../provider/components/plan";
import { ConfigError, currentConfig, howToSet, type CoexistConfig } from "../provider/config";
import type { DoctorContext, RankedRequirement } from "./doctorPlan";
import { autoForwardingRow, delegationFix, grantCheck, missingEvidence, row, rowId, statusForMissing, type FixContext, type Row } from "./doctorVerdicts";

/** Users tried, in CSV order, when looking for an active one to act as. */
const PROBE_CANDIDATES = 20;

/** The client ID the Admin console's delegation list shows, or how to find it. */
export function googleClientOf(config: CoexistConfig): string {
  if (config.googleCredentials) {
    try {
      const key = JSON.parse(config.googleCredentials) as { client_id?: unknown; client_email?: unknown };
      if (typeof key.client_id === "string") return `the client ID ${key.client_id} (service account ${String(key.client_email ?? "?")})`;
    } catch {
      // the configuration row reports an unreadable key
    }
  }
  if (config.googleServiceAccount) {
    return `the client ID of ${config.googleServiceAccount} (gcloud iam service-accounts describe ${config.googleServiceAccount} --format='value(oauth2ClientId)')`;
  }
  return "the service account's client ID";
}

interface Probe {
  requirement: RankedRequirement;
  scope: string;
  subject?: string;
  evidence?: string;
  error?: unknown;
}

export async function googleRows(context: DoctorContext, fix: FixContext): Promise<Row[]> {
  const config = currentConfig();
  const needs = context.requirements.filter((requirement) => requirement.kind === "googleScope");
  const rows: Row[] = [];
  if (config.accessToken) {
    rows.push(row("google:delegation", "WARN", "Google domain-wide delegation", "coexist:accessToken is set: a sandbox's static token acts for anyone, so delegation is not checked", "run coexist doctor with the sandbox's service-account key (coexist:googleCredentials) to check it"));
  } else if (!config.googleCredentials && !config.googleServiceAccount) {
    const status = needs.some((requirement) => requirement.need === "now") ? "FAIL" : "WARN";
    rows.push(row("google:credentials", status, "Google service account", "neither coexist:googleCredentials nor coexist:googleServiceAccount is set", `${howToSet("googleCredentials")}; or, without a key, ${howToSet("googleServiceAccount")}`));
    return rows;
  }
  const adminScoped = needs.filter((requirement) => requirement.subject === "coexist:googleAdmin");
  const userScoped = needs.filter((requirement) => requirement.subject === "mailbox owner");
  const admin = config.googleAdmin;
  const adminProbes: Probe[] = [];
  for (const requirement of adminScoped) adminProbes.push(await probe(requirement, admin, admin));
  const directoryReadable = adminProbes.some((entry) => entry.scope.endsWith("admin.directory.user.readonly") && entry.evidence !== undefined);
  const user = await probeUser(context, directoryReadable, admin);
  const userProbes: Probe[] = [];
  for (const requirement of userScoped) userProbes.push(await probe(requirement, user.address, undefined));
  if (!config.accessToken) rows.push(...[...adminProbes, ...userProbes].map((entry) => delegationRow(entry, fix, user.note)));
  rows.push(await forwardingRow(context, adminProbes.find((entry) => entry.scope.endsWith("cloud-identity.policies.readonly")), fix));
  return rows;
}

async function probe(requirement: RankedRequirement, subject: string | undefined, readUser: string | undefined): Promise<Probe> {
  const scope = requirement.anyOf[0][0];
  if (!subject) return { requirement, scope, error: new ConfigError("googleAdmin", `is not set: Google calls that need ${scope} act as this administrator: ${howToSet("googleAdmin")}`) };
  try {
    return { requirement, scope, subject, evidence: await probeDelegatedScope(subject, scope, readUser) };
  } catch (error) {
    return { requirement, scope, subject, error };
  }
}

/** An active user to act as: `--google-user`, else the first active one of the CSV (the Directory says), else the first of the CSV, else the admin. */
async function probeUser(context: DoctorContext, directoryReadable: boolean, admin: string | undefined): Promise<{ address?: string; note: string }> {
  if (context.googleUser) return { address: context.googleUser, note: `${context.googleUser} (--google-user)` };
  const users = context.inputs.users ?? [];
  const inScope = context.inputs.scope === "tenant" ? users : planScope(context.inputs.scope, users).users;
  const candidates = inScope.slice(0, PROBE_CANDIDATES).map((user) => user.email);
  if (candidates.length === 0) return { address: admin, note: `${admin ?? "coexist:googleAdmin"} (no user in the CSV)` };
  if (directoryReadable) {
    for (const candidate of candidates) {
      const found = await getDirectoryUser(candidate).catch(() => undefined);
      if (found && !found.suspended) return { address: candidate, note: `${candidate}, the first active user of the CSV` };
    }
  }
  return { address: candidates[0], note: `${candidates[0]}, the first user of the CSV${directoryReadable ? " (none of the first ones is active in the Directory)" : ""}` };
}

function delegationRow(entry: Probe, fix: FixContext, userNote: string): Row {
  const { requirement, scope } = entry;
  const actingAs = requirement.subject === "coexist:googleAdmin" ? `coexist:googleAdmin ${entry.subject ?? "(not set)"}` : userNote;
  const id = rowId("googleScope", scope);
  const check = `${grantCheck("googleScope", scope)}, acting as ${actingAs}`;
  if (entry.evidence !== undefined) return row(id, "PASS", check, entry.evidence);
  const status = statusForMissing(requirement.need);
  const error = entry.error;
  if (error instanceof ConfigError) return row(id, status, check, error.message, howToSet(error.key));
  const reasons = error instanceof ApiError ? error.reasons : [];
  const message = messageOf(error);
  if (reasons.includes("unauthorized_client")) {
    const verdict = { grant: scope, need: requirement.need, unmet: [requirement] };
    return row(id, status, check, missingEvidence(verdict, `the token endpoint answered unauthorized_client for ${entry.subject}: not delegated`), delegationFix(scope, fix));
  }
  if (reasons.includes("invalid_grant")) {
    const remedy = requirement.subject === "coexist:googleAdmin" ? "set coexist:googleAdmin to an active super administrator" : "pass --google-user <an active user of the migration>";
    return row(id, status, check, `Google would not act as ${entry.subject}: ${message}`, remedy);
  }
  if (error instanceof ApiError && error.status === 403 && requirement.subject === "coexist:googleAdmin") {
    const role = scope.includes("cloud-identity") ? "a super administrator (only they may read policies)" : "an administrator who may read users";
    return row(id, status, check, `delegated, but ${entry.subject} may not make the call: ${message}`, `set coexist:googleAdmin to ${role} (Admin console → Account → Admin roles)`);
  }
  return row(id, status, check, message, "see the message; the configuration row shows the Google settings in use");
}

async function forwardingRow(context: DoctorContext, policyProbe: Probe | undefined, fix: FixContext): Promise<Row> {
  const migratedNow = context.consumers.now.includes("GoogleForwardingRoute");
  const id = "google:auto-forwarding";
  const check = "Admin setting: automatic forwarding allowed (Cloud Identity Policy API, settings/gmail.auto_forwarding)";
  const unreadable = (reason: string, remedy: string): Row =>
    row(id, migratedNow ? "FAIL" : "WARN", check, `could not be read, so whether Gmail may forward is unknown: ${reason}`, remedy);
  if (policyProbe?.error !== undefined) {
    const reasons = policyProbe.error instanceof ApiError ? policyProbe.error.reasons : [];
    const remedy = reasons.includes("unauthorized_client") ? delegationFix(policyProbe.scope, fix) : policyProbe.error instanceof ConfigError ? howToSet(policyProbe.error.key) : "make coexist:googleAdmin a super administrator (only they may read policies)";
    return unreadable(messageOf(policyProbe.error), remedy);
  }
  try {
    return autoForwardingRow(await listAutoForwardingPolicies(), migratedNow);
  } catch (error) {
    return unreadable(messageOf(error), "make coexist:googleAdmin a super administrator and delegate cloud-identity.policies.readonly (its row shows how)");
  }
}
