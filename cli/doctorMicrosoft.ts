/**
 * The Microsoft checks of `coexist doctor`: tokens for Graph and Exchange, each Graph application
 * permission and Exchange's in the tokens' `roles`, each directory role assigned to the app's
 * service principal (role assignments, and the tokens' `wids` as a cross-check), Exchange
 * answering a harmless cmdlet, the primary and routing domains, and free seats for the batches the
 * config marks migrating or migrated. Reads only.
 */
import { entraToken, scopeFor, tokenClaimsOf, type MicrosoftApi, type TokenClaims } from "../provider/clients/entra";
import { ApiError, messageOf } from "../provider/clients/errors";
import { invoke, type ExchangeObject } from "../provider/clients/exchange";
import { getDomain, getServicePrincipalByAppId, getUsers, listRoleAssignmentsOf, listSubscribedSkus, type Domain } from "../provider/clients/graph";
import { DIRECTORY_ROLE_TEMPLATE_IDS, OPERATIONS, implies, leastPrivileged, type OperationId, type Requirement } from "../provider/clients/grants";
import { currentConfig } from "../provider/config";
import { seatDemand, type DoctorContext } from "./doctorPlan";
import {
  acceptedDomainRow,
  permissionFix,
  permissionRows,
  verifiedDomainRow,
  type MovingDomainRole,
  roleFix,
  roleNamesOf,
  roleRows,
  routingDomainRow,
  row,
  seatsRow,
  type FixContext,
  type RoleFacts,
  type Row,
} from "./doctorVerdicts";

const TOKEN_FIX =
  "check coexist:tenantId, coexist:clientId and coexist:clientSecret (or the federated token file in AZURE_FEDERATED_TOKEN_FILE), and that the app's permissions have admin consent " +
  "(Entra admin center → App registrations → the app → API permissions → Grant admin consent)";

export async function microsoftRows(context: DoctorContext, fix: FixContext): Promise<Row[]> {
  const config = currentConfig();
  const graphToken = await tokenRow("graph");
  const exchangeToken = await tokenRow("exchange");
  const rows: Row[] = [graphToken.row, exchangeToken.row];
  fix.clientId ??= graphToken.claims?.appid;
  if (config.accessToken) {
    rows.push(
      row(
        "microsoft:grants",
        "WARN",
        "Graph and Exchange permissions and directory roles",
        "coexist:accessToken is set: a sandbox's static token, which may do anything, so the permissions and roles an app would need are not checked",
        "run coexist doctor with the app's client credentials (coexist:clientId and coexist:clientSecret) to check them",
      ),
    );
  } else {
    if (graphToken.claims) rows.push(...permissionRows("graphPermission", context.requirements, graphToken.claims.roles, "Graph", fix));
    if (exchangeToken.claims) rows.push(...permissionRows("exchangePermission", context.requirements, exchangeToken.claims.roles, "Exchange", fix));
    if (graphToken.claims) rows.push(...(await directoryRoleRows(context, graphToken.claims, fix)));
  }
  // Without a token every call would only repeat the token row's failure.
  const exchange = exchangeToken.issued ? await exchangeRow(fix) : undefined;
  if (exchange) rows.push(exchange.row);
  if (graphToken.issued) {
    rows.push(...(await domainRows(context, exchange?.acceptedDomains)));
    rows.push(...(await seatRows(context)));
  }
  return rows;
}

async function tokenRow(api: MicrosoftApi): Promise<{ row: Row; issued: boolean; claims?: TokenClaims }> {
  const name = api === "graph" ? "Microsoft Graph" : "the Exchange Online admin API";
  const check = `Entra ID token for ${name}`;
  try {
    const scope = scopeFor(api);
    const claims = tokenClaimsOf(await entraToken(api));
    const who = claims ? ` (app ${claims.appid ?? "?"}, tenant ${claims.tid ?? "?"})` : " (not a readable JWT)";
    return { row: row(`microsoft:token:${api}`, "PASS", check, `issued for ${scope}${who}`), issued: true, claims };
  } catch (error) {
    return { row: row(`microsoft:token:${api}`, "FAIL", check, messageOf(error), TOKEN_FIX), issued: false };
  }
}

async function directoryRoleRows(context: DoctorContext, claims: TokenClaims, fix: FixContext): Promise<Row[]> {
  const facts: { assigned?: Set<string>; assignmentsUnreadable?: string; scoped: Map<string, string>; inToken: Set<string> } = { scoped: new Map(), inToken: roleNamesOf(claims.wids) };
  try {
    const principal = fix.clientId ? await getServicePrincipalByAppId(fix.clientId) : undefined;
    if (!principal) {
      facts.assignmentsUnreadable = `the tenant has no service principal for the app ${fix.clientId ?? "?"}`;
    } else {
      fix.servicePrincipalId = principal.id;
      const names = new Map(Object.entries(DIRECTORY_ROLE_TEMPLATE_IDS).map(([role, id]) => [id, role]));
      facts.assigned = new Set();
      for (const assignment of await listRoleAssignmentsOf(principal.id)) {
        const templateId = (assignment.roleDefinition?.templateId ?? assignment.roleDefinitionId).toLowerCase();
        const role = names.get(templateId) ?? assignment.roleDefinition?.displayName ?? templateId;
        if (assignment.directoryScopeId === "/") facts.assigned.add(role);
        else facts.scoped.set(role, `directory scope ${assignment.directoryScopeId}`);
      }
    }
  } catch (error) {
    facts.assigned = undefined;
    facts.assignmentsUnreadable = unreadableBecause(error, "readRoleAssignments");
  }
  return roleRows(context.requirements, facts as RoleFacts, fix);
}

/** Why a read failed, naming the permission when Graph refused it. */
function unreadableBecause(error: unknown, operation: OperationId): string {
  if (error instanceof ApiError && error.status === 403) {
    return `${OPERATIONS[operation].calls} answered HTTP 403: the app lacks ${leastPrivileged(OPERATIONS[operation].needs).join(" + ")} or a higher grant`;
  }
  return messageOf(error);
}

async function exchangeRow(fix: FixContext): Promise<{ row: Row; acceptedDomains?: ExchangeObject[] }> {
  const id = "exchange:answers";
  const check = "Exchange Online admin API answers Get-AcceptedDomain";
  try {
    const accepted = await invoke("Get-AcceptedDomain");
    return { row: row(id, "PASS", check, `${accepted.length} accepted domains: ${accepted.map((domain) => String(domain.DomainName ?? "")).join(", ")}`), acceptedDomains: accepted };
  } catch (error) {
    const status = error instanceof ApiError ? error.status : undefined;
    if (status === 401) {
      return { row: row(id, "FAIL", check, `${messageOf(error)}: Exchange wants Exchange.ManageAsApp in the token (insufficient_claims)`, permissionFix("exchangePermission", "Exchange.ManageAsApp", fix)) };
    }
    if (status === 403) {
      return { row: row(id, "FAIL", check, `${messageOf(error)}: no directory role of the app gives its Exchange session this cmdlet`, roleFix("Exchange Administrator", fix)) };
    }
    return { row: row(id, "FAIL", check, messageOf(error), "check coexist:exchangeUrl and coexist:tenantId (the rows above show what the provider would use)") };
  }
}

async function domainRows(context: DoctorContext, acceptedDomains: ExchangeObject[] | undefined): Promise<Row[]> {
  const { primaryDomain, routingDomain, aliasDomains = [] } = context.inputs;
  const rows: Row[] = [];
  const moving: [string, MovingDomainRole][] = [...(primaryDomain ? [[primaryDomain, "primary"] as [string, MovingDomainRole]] : []), ...aliasDomains.map((name): [string, MovingDomainRole] => [name, "alias"])];
  for (const [name, role] of moving) {
    const verified = verifiedDomainRow(name, undefined, role);
    const read = await readDomain(context, name, verified.id, verified.check);
    rows.push(read.row ?? verifiedDomainRow(name, read.domain, role));
    const verifiedWithEmail = read.domain?.isVerified === true && read.domain.supportedServices.includes("Email");
    if (acceptedDomains) rows.push(acceptedDomainRow(name, acceptedDomains, verifiedWithEmail, role));
  }
  if (routingDomain) {
    const routing = await readDomain(context, routingDomain, "domain:routing", `Routing domain ${routingDomain}`);
    rows.push(routing.row ?? routingDomainRow(routingDomain, routing.domain, acceptedDomains ?? []));
  }
  return rows;
}

async function readDomain(context: DoctorContext, name: string, id: string, check: string): Promise<{ domain?: Domain; row?: Row }> {
  try {
    return { domain: await getDomain(name) };
  } catch (error) {
    return { row: row(id, "FAIL", check, `could not be read: ${unreadableBecause(error, "readDomain")}`, grantFixHint(error, "readDomain", context.requirements)) };
  }
}

/** For a refusal, the permission whose row covers the call; otherwise the message says what is wrong. */
function grantFixHint(error: unknown, operation: OperationId, requirements: readonly Requirement[]): string {
  if (!(error instanceof ApiError && error.status === 403)) return "see the message; the configuration row above shows the settings in use";
  const needed = OPERATIONS[operation].needs.filter((requirement) => requirement.kind === "graphPermission");
  const least = leastPrivileged(needed);
  const covering = requirements.find((requirement) => needed.every((need) => implies(requirement, need)))?.anyOf[0] ?? least;
  const shared = covering.filter((grant) => least.includes(grant));
  return `grant ${(shared.length ? shared : covering).join(" + ")} (its row above shows how)`;
}

async function seatRows(context: DoctorContext): Promise<Row[]> {
  const { licenseSku, users } = context.inputs;
  if (!licenseSku || !users) return [];
  const check = `Free seats of ${licenseSku} for the batches marked migrating or migrated`;
  const demand = seatDemand(context.inputs);
  try {
    const skus = await listSubscribedSkus();
    const sku = skus.find((entry) => entry.skuPartNumber.toLowerCase() === licenseSku.toLowerCase() || entry.skuId.toLowerCase() === licenseSku.toLowerCase());
    const wanted = demand.batches.flatMap((batch) => batch.users);
    const entraUsers = sku && wanted.length > 0 ? await getUsers(wanted, ["id", "userPrincipalName", "assignedLicenses"]) : new Map();
    return [seatsRow({ skuName: licenseSku, sku, tenantSkus: skus, demand, users: entraUsers })];
  } catch (error) {
    const operation: OperationId = error instanceof ApiError && /subscribedSkus/.test(error.message) ? "listSubscribedSkus" : "readUser";
    return [row("licences:seats", "FAIL", check, `could not be read: ${unreadableBecause(error, operation)}`, grantFixHint(error, operation, context.requirements))];
  }
}
