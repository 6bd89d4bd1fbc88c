/**
 * What `coexist doctor` reads about the app itself: its service principal
 * (`GET /servicePrincipals(appId='…')`) and the directory roles assigned to it
 * (`GET /roleManagement/directory/roleAssignments?$filter=principalId eq '…'&$expand=roleDefinition`).
 */
import { DIRECTORY_ROLES, servicePrincipalId } from "../authorization";
import { graphError, json, type SandboxRequest, type SandboxResponse } from "../http";
import type { AppRecord, EntraUserRecord } from "../records";
import { equalityFilter, odataContext, requirePermission, resourceNotFound, type GraphContext, type GraphRoute } from "./common";

/** serviceprincipal-get: an app may read its own service principal without any permission. */
const OTHER_SERVICE_PRINCIPAL_READ = ["Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const ROLE_ASSIGNMENT_READ = ["RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"];
const ROLE_NAMES = new Map(Object.entries(DIRECTORY_ROLES).map(([name, id]) => [id, name]));

export const directoryRoleRoutes: GraphRoute[] = [
  { method: "GET", pattern: /^\/servicePrincipals\(appId='([^']+)'\)$/, handler: (context, request, [appId]) => servicePrincipal(context, request, (app) => app.clientId === appId, appId) },
  {
    method: "GET",
    pattern: /^\/servicePrincipals\/([^/]+)$/,
    handler: (context, request, [id]) => servicePrincipal(context, request, (app) => servicePrincipalId(context.tenant.tenantId, app.clientId) === id.toLowerCase(), id),
  },
  { method: "GET", pattern: /^\/roleManagement\/directory\/roleAssignments$/, permissions: ROLE_ASSIGNMENT_READ, handler: roleAssignments },
];

function servicePrincipal(context: GraphContext, request: SandboxRequest, matches: (app: AppRecord) => boolean, key: string): SandboxResponse {
  const app = context.tenant.apps.find(matches);
  if (app?.clientId !== context.caller.appId) requirePermission(context, request, OTHER_SERVICE_PRINCIPAL_READ);
  if (!app) throw resourceNotFound(request, key);
  return json(200, {
    "@odata.context": odataContext(request, "servicePrincipals/$entity"),
    id: servicePrincipalId(context.tenant.tenantId, app.clientId),
    accountEnabled: true,
    appDisplayName: app.displayName,
    appId: app.clientId,
    appOwnerOrganizationId: context.tenant.tenantId,
    displayName: app.displayName,
    servicePrincipalNames: [app.clientId],
    servicePrincipalType: "Application",
    signInAudience: "AzureADMyOrg",
    tags: [],
  });
}

interface Assignment {
  principalId: string;
  roleDefinitionId: string;
  principal: object;
}

/** Every directory role assignment of the tenant: its apps' service principals and its users. */
function assignments(context: GraphContext): Assignment[] {
  const tenantId = context.tenant.tenantId;
  const ofApps = context.tenant.apps.flatMap((app) => {
    const id = servicePrincipalId(tenantId, app.clientId);
    const principal = { "@odata.type": "#microsoft.graph.servicePrincipal", id, appId: app.clientId, displayName: app.displayName };
    return app.directoryRoles.map((role) => ({ principalId: id, roleDefinitionId: DIRECTORY_ROLES[role], principal }));
  });
  const ofUsers = context.store
    .list<EntraUserRecord>(tenantId, "user")
    .flatMap((user) =>
      (user.directoryRoles ?? []).map((role) => ({
        principalId: user.id,
        roleDefinitionId: DIRECTORY_ROLES[role],
        principal: { "@odata.type": "#microsoft.graph.user", id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName },
      })),
    );
  return [...ofApps, ...ofUsers];
}

const FILTERABLE = ["principalId", "roleDefinitionId"];
const EXPANDABLE = ["roleDefinition", "principal"];

function roleAssignments(context: GraphContext, request: SandboxRequest): SandboxResponse {
  const filter = request.query.get("$filter");
  const conditions = filter === null ? new Map<string, string>() : equalityFilter(filter);
  if (!conditions || [...conditions.keys()].some((name) => !FILTERABLE.includes(name))) {
    throw graphError(request, 400, "BadRequest", `Invalid filter clause: the sandbox filters roleAssignments only by ${FILTERABLE.map((name) => `${name} eq '…'`).join(" and ")}.`);
  }
  const expand = (request.query.get("$expand") ?? "").split(",").map((name) => name.trim()).filter(Boolean);
  const unknown = expand.find((name) => !EXPANDABLE.includes(name));
  if (unknown) throw graphError(request, 400, "BadRequest", `Could not find a property named '${unknown}' on type 'microsoft.graph.unifiedRoleAssignment'.`);
  const value = assignments(context)
    .filter((assignment) => [...conditions].every(([name, wanted]) => assignment[name as keyof Assignment] === wanted.toLowerCase()))
    .map((assignment) => ({
      id: `${assignment.roleDefinitionId}_${assignment.principalId}`,
      principalId: assignment.principalId,
      roleDefinitionId: assignment.roleDefinitionId,
      directoryScopeId: "/",
      appScopeId: null,
      ...(expand.includes("roleDefinition") ? { roleDefinition: roleDefinition(assignment.roleDefinitionId) } : {}),
      ...(expand.includes("principal") ? { principal: assignment.principal } : {}),
    }));
  return json(200, { "@odata.context": odataContext(request, "roleManagement/directory/roleAssignments"), value });
}

function roleDefinition(templateId: string): object {
  return { id: templateId, templateId, displayName: ROLE_NAMES.get(templateId), description: "", isBuiltIn: true, isEnabled: true };
}
