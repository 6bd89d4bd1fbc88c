/**
 * The verdicts of `coexist doctor`, from facts already read: one row per check with its status,
 * the evidence and the exact fix. Pure, so every decision is table-tested.
 */
import type { Domain, GraphUser, SubscribedSku } from "../provider/clients/graph";
import type { GooglePolicy } from "../provider/clients/google";
import { DIRECTORY_ROLE_TEMPLATE_IDS, PERMISSION_API_APP_IDS, alternativesTo, isMet, leastPrivileged, type GrantKind } from "../provider/clients/grants";
import type { Need, RankedRequirement, SeatDemand } from "./doctorPlan";

export type Status = "PASS" | "WARN" | "FAIL";

export interface Row {
  /** Stable key, e.g. `graph-permission:User.Read.All`. */
  id: string;
  status: Status;
  /** What was checked. */
  check: string;
  evidence: string;
  /** The exact fix: a command or an admin-console path; absent when the check passed. */
  fix?: string;
}

export function row(id: string, status: Status, check: string, evidence: string, fix?: string): Row {
  return status === "PASS" || fix === undefined ? { id, status, check, evidence } : { id, status, check, evidence, fix };
}

/** What fixes name: the app, its service principal, the Graph host of the cloud, Google's delegation client. */
export interface FixContext {
  clientId?: string;
  servicePrincipalId?: string;
  /** e.g. `graph.microsoft.com`: role assignments are made there. */
  graphHost: string;
  /** The client ID Google's domain-wide delegation lists, or how to find it. */
  googleClient: string;
}

const KIND_LABEL: Record<GrantKind, string> = {
  graphPermission: "Graph application permission",
  exchangePermission: "Exchange application permission",
  directoryRole: "Entra directory role",
  googleScope: "Google domain-wide delegation of",
};

const ID_PREFIX: Record<GrantKind, string> = {
  graphPermission: "graph-permission",
  exchangePermission: "exchange-permission",
  directoryRole: "directory-role",
  googleScope: "google-scope",
};

export function rowId(kind: GrantKind, grant: string): string {
  return `${ID_PREFIX[kind]}:${grant}`;
}

export function grantCheck(kind: GrantKind, grant: string): string {
  return `${KIND_LABEL[kind]} ${grant}`;
}

const RANK: Record<Need, number> = { now: 3, later: 2, doctor: 1 };

/** A missing grant fails only when the plan needs it now. */
export function statusForMissing(need: Need): Status {
  return need === "now" ? "FAIL" : "WARN";
}

export interface GrantVerdict {
  grant: string;
  need: Need;
  /** The requirements this grant is the least-privileged way to meet, that are not met. */
  unmet: RankedRequirement[];
  /** When the grant is not held but its requirements are met another way: the grants that meet them. */
  coveredBy?: string[];
}

/**
 * One verdict per least-privileged grant of the requirements. A grant is missing when it is not
 * held and some requirement it serves is not met another way (a higher-privileged grant covers
 * it); a grant held whose option also needs another grant is not missing: the other one is.
 */
export function grantVerdicts(requirements: readonly RankedRequirement[], held: ReadonlySet<string>): GrantVerdict[] {
  return leastPrivileged(requirements).map((grant) => {
    const serving = requirements.filter((requirement) => requirement.anyOf[0].includes(grant));
    const need = serving.reduce<Need>((most, requirement) => (RANK[requirement.need] > RANK[most] ? requirement.need : most), "doctor");
    if (held.has(grant)) return { grant, need, unmet: [] };
    const unmet = serving.filter((requirement) => !isMet(requirement, held));
    if (unmet.length > 0) return { grant, need: unmet.reduce<Need>((most, requirement) => (RANK[requirement.need] > RANK[most] ? requirement.need : most), "doctor"), unmet };
    const coveredBy = [...new Set(serving.flatMap((requirement) => requirement.anyOf.find((option) => option.every((name) => held.has(name))) ?? []))];
    return { grant, need, unmet, coveredBy };
  });
}

/** Why a missing grant matters: what needs it, now or at a later step, and what else would do. */
export function missingEvidence(verdict: GrantVerdict, heldFrom: string): string {
  const uses = [...new Set(verdict.unmet.flatMap((requirement) => requirement.neededFor))];
  const alternatives = [...new Set(verdict.unmet.flatMap(alternativesTo))];
  const when =
    verdict.need === "now"
      ? "Needed by the resources this stack plans"
      : verdict.need === "later"
        ? "Not needed by this stack's plan yet, but by a later step of the migration (or another stack of this app)"
        : "Only coexist doctor needs it";
  return [`${verdict.grant} is missing (${heldFrom}).`, `${when}: ${uses.join("; ")}.`, alternatives.length ? `Higher-privileged grants that would also do: ${alternatives.join(", ")}.` : ""]
    .filter(Boolean)
    .join(" ");
}

/** Rows for Graph or Exchange application permissions, from a token's `roles` claim. */
export function permissionRows(kind: "graphPermission" | "exchangePermission", requirements: readonly RankedRequirement[], roles: readonly string[], tokenName: string, fix: FixContext): Row[] {
  const held = new Set(roles);
  const heldFrom = `the ${tokenName} token's roles: ${roles.length ? roles.join(", ") : "none"}`;
  return grantVerdicts(
    requirements.filter((requirement) => requirement.kind === kind),
    held,
  ).map((verdict) => {
    const id = rowId(kind, verdict.grant);
    const check = grantCheck(kind, verdict.grant);
    if (verdict.unmet.length === 0) {
      const evidence = verdict.coveredBy ? `not granted itself, but ${verdict.coveredBy.join(" + ")} is, which covers it (more privilege than needed)` : `in the ${tokenName} token's roles`;
      return row(id, "PASS", check, evidence);
    }
    return row(id, statusForMissing(verdict.need), check, missingEvidence(verdict, heldFrom), permissionFix(kind, verdict.grant, fix));
  });
}

export function permissionFix(kind: "graphPermission" | "exchangePermission", permission: string, fix: FixContext): string {
  const api = PERMISSION_API_APP_IDS[kind];
  const app = fix.clientId ?? "<client id>";
  const portal =
    kind === "graphPermission"
      ? `Microsoft Graph → Application permissions → ${permission}`
      : `APIs my organization uses → Office 365 Exchange Online → Application permissions → ${permission}`;
  return (
    `Entra admin center → App registrations → the app ${app} → API permissions → Add a permission → ${portal} → Add permissions, then Grant admin consent; ` +
    `or: az ad app permission add --id ${app} --api ${api} --api-permissions "$(az ad sp show --id ${api} --query "appRoles[?value=='${permission}'].id" -o tsv)=Role" && az ad app permission admin-consent --id ${app}`
  );
}

export function roleFix(role: string, fix: FixContext): string {
  const principal = fix.servicePrincipalId ?? "<the app's service principal id>";
  const template = DIRECTORY_ROLE_TEMPLATE_IDS[role] ?? "<role template id>";
  return (
    `Entra admin center → Roles & admins → ${role} → Add assignments → the app ${fix.clientId ?? ""} (as a Privileged Role Administrator); ` +
    `or: az rest --method POST --url https://${fix.graphHost}/v1.0/roleManagement/directory/roleAssignments --body '{"principalId":"${principal}","roleDefinitionId":"${template}","directoryScopeId":"/"}'`
  );
}

/** What is known of the app's directory roles. */
export interface RoleFacts {
  /** Roles assigned to the service principal for the whole tenant; undefined when the assignments could not be read. */
  assigned?: ReadonlySet<string>;
  /** Why the assignments could not be read. */
  assignmentsUnreadable?: string;
  /** Roles assigned only for part of the tenant (an administrative unit): they do not count. */
  scoped: ReadonlyMap<string, string>;
  /** Roles in the `wids` claim of a token Entra issued now. */
  inToken: ReadonlySet<string>;
}

/**
 * Rows for the directory roles: a role counts when the token carries it (`wids`, which Exchange
 * and Graph act on). An assignment the token does not show yet warns (roles reach new tokens after
 * a while); one the token shows without a direct assignment passes (a group's, for example).
 */
export function roleRows(requirements: readonly RankedRequirement[], facts: RoleFacts, fix: FixContext): Row[] {
  const roleRequirements = requirements.filter((requirement) => requirement.kind === "directoryRole");
  const effective = new Set([...facts.inToken, ...(facts.assigned ?? [])]);
  const inToken = grantVerdicts(roleRequirements, facts.inToken);
  const listed = (roles: Iterable<string>): string => [...roles].join(", ") || "none";
  const sources = [
    facts.assigned ? `assigned to the app's service principal ${fix.servicePrincipalId ?? ""} for the whole tenant: ${listed(facts.assigned)}` : `role assignments not readable (${facts.assignmentsUnreadable}); judged from the token's wids alone`,
    ...[...facts.scoped].map(([role, scope]) => `${role} assigned for ${scope} only, which does not count`),
    `in the token's wids: ${listed(facts.inToken)}`,
  ].join("; ");
  return grantVerdicts(roleRequirements, effective).map((verdict) => {
    const id = rowId("directoryRole", verdict.grant);
    const check = grantCheck("directoryRole", verdict.grant);
    if (verdict.unmet.length > 0) return row(id, statusForMissing(verdict.need), check, missingEvidence(verdict, sources), roleFix(verdict.grant, fix));
    const tokenVerdict = inToken.find((candidate) => candidate.grant === verdict.grant) as GrantVerdict;
    if (tokenVerdict.unmet.length > 0) {
      return row(id, "WARN", check, `assigned, but the token Entra issued just now does not carry it yet (${sources}); new role assignments reach tokens within minutes: run coexist doctor again`, "wait a few minutes, then run coexist doctor again");
    }
    const how = tokenVerdict.coveredBy
      ? `not assigned itself, but ${tokenVerdict.coveredBy.join(", ")} is, which covers it (more privilege than needed)`
      : facts.assigned && !facts.assigned.has(verdict.grant)
        ? "in the token's wids without a direct assignment (through a group?)"
        : facts.assigned
          ? "assigned to the app's service principal for the whole tenant, and in the token's wids"
          : `in the token's wids (role assignments not readable: ${facts.assignmentsUnreadable})`;
    return row(id, "PASS", check, how);
  });
}

/** Directory role names of `wids` template ids; unknown ids are kept as they are. */
export function roleNamesOf(templateIds: readonly string[]): Set<string> {
  const names = new Map(Object.entries(DIRECTORY_ROLE_TEMPLATE_IDS).map(([name, id]) => [id, name]));
  return new Set(templateIds.map((id) => names.get(id.toLowerCase()) ?? id));
}

// ---- domains --------------------------------------------------------------------------------

/** The primary domain must be verified with Email in Graph: Exchange accepts mail for it only then. */
/** Which moving domain a row is about: the primary domain, or an alias domain of `coexist:aliasDomains`. */
export type MovingDomainRole = "primary" | "alias";

const ROLE_LABEL: Record<MovingDomainRole, string> = { primary: "Primary domain", alias: "Alias domain" };

export function verifiedDomainRow(primary: string, domain: Domain | undefined, role: MovingDomainRole = "primary"): Row {
  const id = role === "primary" ? "domain:primary:graph" : `domain:alias:${primary}:graph`;
  const check = `${ROLE_LABEL[role]} ${primary} verified with Email (Graph)`;
  const services = (domain?.supportedServices ?? []).join(", ") || "none";
  if (!domain) {
    return row(id, "FAIL", check, `Graph has no domain ${primary} in this tenant`, `Microsoft 365 admin center → Settings → Domains → Add domain → ${primary}: verify it with the TXT record shown and choose Exchange (Email) as a service`);
  }
  if (!domain.isVerified) {
    return row(id, "FAIL", check, `${primary} exists but is not verified (services: ${services})`, `Microsoft 365 admin center → Settings → Domains → ${primary} → Continue setup: publish the TXT record shown and verify`);
  }
  if (!domain.supportedServices.includes("Email")) {
    return row(id, "FAIL", check, `${primary} is verified, but Email is not among its services (${services})`, `Microsoft 365 admin center → Settings → Domains → ${primary} → Manage DNS → choose Exchange (Email)`);
  }
  return row(id, "PASS", check, `verified, services: ${services}`);
}

/** Exchange must list a moving domain as an accepted domain; Graph's verification reaches it minutes later. */
export function acceptedDomainRow(primary: string, accepted: readonly { DomainName?: unknown; DomainType?: unknown }[], verifiedWithEmail: boolean, role: MovingDomainRole = "primary"): Row {
  const id = role === "primary" ? "domain:primary:exchange" : `domain:alias:${primary}:exchange`;
  const check = `${ROLE_LABEL[role]} ${primary} is an accepted domain (Exchange)`;
  const found = accepted.find((domain) => String(domain.DomainName ?? "").toLowerCase() === primary.toLowerCase());
  const names = accepted.map((domain) => String(domain.DomainName ?? "")).join(", ") || "none";
  if (found) return row(id, "PASS", check, `Get-AcceptedDomain lists ${primary} (${String(found.DomainType ?? "type unknown")})`);
  if (verifiedWithEmail) {
    return row(id, "WARN", check, `Get-AcceptedDomain does not list ${primary} yet (it lists ${names}), although Graph shows it verified with Email: Exchange adds a domain minutes after verification`, "wait a few minutes, then run coexist doctor again");
  }
  return row(id, "FAIL", check, `Get-AcceptedDomain lists ${names}, not ${primary}`, `verify ${primary} with Email in Microsoft 365 (the row above); Exchange then accepts it`);
}

/** The routing domain may exist already; if it does, it must be one the RoutingDomain resource can finish. */
export function routingDomainRow(routing: string, domain: Domain | undefined, accepted: readonly { DomainName?: unknown }[]): Row {
  const id = "domain:routing";
  const check = `Routing domain ${routing}`;
  if (!domain) return row(id, "PASS", check, `not in the tenant yet: the RoutingDomain resource creates it, verifies it once its TXT record is published, and turns Email on`);
  const isAccepted = accepted.some((entry) => String(entry.DomainName ?? "").toLowerCase() === routing.toLowerCase());
  const services = domain.supportedServices.join(", ") || "none";
  if (domain.isVerified && domain.supportedServices.includes("Email")) {
    return row(id, "PASS", check, `exists, verified with Email${isAccepted ? " and accepted by Exchange" : " (Exchange accepts it minutes after verification)"}; a stack that did not create it takes it over only with adopt: true`);
  }
  return row(
    id,
    "WARN",
    check,
    `exists but is ${domain.isVerified ? `verified without Email (services: ${services})` : "not verified"}: the RoutingDomain resource finishes it only if this stack created it, otherwise only with adopt: true`,
    `publish the TXT record of ${routing} (Microsoft 365 admin center → Settings → Domains → ${routing}) and run pulumi up; set adopt: true (coexist:adopt) if another tool created the domain`,
  );
}

// ---- seats ----------------------------------------------------------------------------------

export interface SeatFacts {
  skuName: string;
  sku?: SubscribedSku;
  /** The part numbers the tenant has, for the message when the SKU is not among them. */
  tenantSkus: readonly SubscribedSku[];
  demand: SeatDemand;
  /** Each user of the demand: their Entra user, or undefined when there is none yet. */
  users: ReadonlyMap<string, GraphUser | undefined>;
}

/** Whether the SKU's free seats cover the users of the migrating and migrated batches who do not hold it yet. */
export function seatsRow(facts: SeatFacts): Row {
  const id = "licences:seats";
  const check = `Free seats of ${facts.skuName} for the batches marked migrating or migrated`;
  const sku = facts.sku;
  if (!sku) {
    const known = facts.tenantSkus.map((entry) => entry.skuPartNumber).join(", ") || "none";
    return row(id, "FAIL", check, `the tenant has no subscription ${facts.skuName} (it has: ${known})`, `set coexist:licenseSku to one of ${known} (pulumi config set coexist:licenseSku <part number>), or buy ${facts.skuName}`);
  }
  const enabled = sku.prepaidUnits?.enabled ?? 0;
  const consumed = sku.consumedUnits ?? 0;
  const free = Math.max(0, enabled - consumed);
  const counts = `${sku.skuPartNumber}: ${enabled} enabled, ${consumed} consumed, ${free} free`;
  if (facts.demand.batches.length === 0) return row(id, "PASS", check, `no batch is marked migrating or migrated: no licence is assigned yet (${counts})`);
  const holds = (user: GraphUser | undefined): boolean => (user?.assignedLicenses ?? []).some((licence) => licence.skuId.toLowerCase() === sku.skuId.toLowerCase());
  const perBatch = facts.demand.batches.map((batch) => {
    const unlicensed = batch.users.filter((user) => !holds(facts.users.get(user)));
    return { ...batch, unlicensed };
  });
  const needed = perBatch.reduce((sum, batch) => sum + batch.unlicensed.length, 0);
  const detail = perBatch.map((batch) => `${batch.batch} (${batch.state}): ${batch.users.length} users, ${batch.unlicensed.length} without the licence`).join("; ");
  const evidence = `${detail}; ${needed} seats needed, ${counts}`;
  const status = sku.capabilityStatus && sku.capabilityStatus !== "Enabled" ? "WARN" : "PASS";
  if (needed > free) {
    return row(
      id,
      "FAIL",
      check,
      `${needed - free} seats short: ${evidence}`,
      `buy ${needed - free} more ${sku.skuPartNumber} licences (Microsoft 365 admin center → Billing → Your products → ${sku.skuPartNumber} → Buy licenses), or free seats, or mark fewer batches migrating in coexist:batches`,
    );
  }
  if (status === "WARN") return row(id, "WARN", check, `${evidence}; but the subscription is ${sku.capabilityStatus}`, `Microsoft 365 admin center → Billing → Your products → ${sku.skuPartNumber}: renew or reactivate it`);
  return row(id, "PASS", check, evidence);
}

// ---- Google ---------------------------------------------------------------------------------

/** Where to add a scope to the delegation client; the Admin console replaces the whole list on save. */
export function delegationFix(scope: string, fix: FixContext): string {
  return (
    `Admin console (admin.google.com) → Security → Access and data control → API controls → Manage Domain Wide Delegation → ${fix.googleClient} → Edit → ` +
    `add ${scope} to the OAuth scopes (keep the scopes already listed: saving replaces the list) → Authorize`
  );
}

const AUTO_FORWARDING_FIX =
  "Admin console (admin.google.com) → Apps → Google Workspace → Gmail → End User Access → Automatic forwarding: tick \"Allow users to automatically forward incoming email to another address\" for the top-level organisational unit (or the units of the users being migrated) → Save";

/**
 * The automatic-forwarding setting in force, per the Policy API: within each policy target (an
 * organisational unit or group query) the policy of the greatest sortOrder wins. Google's own
 * SYSTEM default sits on the top-level unit. Forbidden there fails; forbidden for some units or
 * groups only warns, naming them, since their users may not be in this migration.
 */
export function autoForwardingRow(policies: readonly GooglePolicy[], migratedUsersNow: boolean): Row {
  const id = "google:auto-forwarding";
  const check = "Admin setting: automatic forwarding allowed (Cloud Identity Policy API, settings/gmail.auto_forwarding)";
  const targets = new Map<string, GooglePolicy>();
  for (const policy of policies) {
    const target = policy.policyQuery?.orgUnit ?? policy.policyQuery?.group ?? policy.policyQuery?.query ?? "(every user)";
    const known = targets.get(target);
    if (!known || (policy.policyQuery?.sortOrder ?? 0) > (known.policyQuery?.sortOrder ?? 0)) targets.set(target, policy);
  }
  const allows = (policy: GooglePolicy): boolean => policy.setting?.value?.enableAutoForwarding !== false;
  const topLevel = policies.find((policy) => policy.type === "SYSTEM")?.policyQuery?.orgUnit;
  const forbidden = [...targets].filter(([, policy]) => !allows(policy));
  const listed = [...targets].map(([target, policy]) => `${target}: ${allows(policy) ? "allowed" : "forbidden"} (${policy.type ?? "?"} policy ${policy.name ?? ""})`).join("; ");
  if (targets.size === 0) return row(id, "PASS", check, "no policy sets it: Google's default, allowed");
  if (forbidden.length === 0) return row(id, "PASS", check, listed);
  const everywhere = forbidden.some(([target]) => target === topLevel) || forbidden.length === targets.size;
  if (everywhere) {
    return row(id, migratedUsersNow ? "FAIL" : "WARN", check, `forbidden for the top-level organisational unit: Gmail cannot forward migrated users' mail (${listed})`, AUTO_FORWARDING_FIX);
  }
  return row(id, "WARN", check, `forbidden for ${forbidden.map(([target]) => target).join(", ")} only: users there cannot be forwarded (${listed})`, AUTO_FORWARDING_FIX);
}
