/**
 * Seeds that each lack exactly one grant the product needs, derived from any seed (the demo seed
 * by default), so `coexist doctor` and the engine tests can show every failing row: start the
 * sandbox with `seedLacking(seed, "no-user-administrator")`.
 */
import type { Seed } from "./seed";

export interface PermissionGap {
  name: string;
  /** What the first tenant's first app loses: one Graph permission, one Exchange permission or one directory role. */
  lacks: { graphPermission: string } | { exchangePermission: string } | { directoryRole: string };
  /** What stops working, as a client sees it. */
  breaks: string;
}

export const PERMISSION_GAPS: readonly PermissionGap[] = [
  { name: "no-user-administrator", lacks: { directoryRole: "User Administrator" }, breaks: "PATCH /users {passwordProfile} → 403 Authorization_RequestDenied" },
  { name: "no-exchange-administrator", lacks: { directoryRole: "Exchange Administrator" }, breaks: "every cmdlet → 403 (the session has no cmdlets)" },
  { name: "no-exchange-manageasapp", lacks: { exchangePermission: "Exchange.ManageAsApp" }, breaks: "InvokeCommand → 401 with WWW-Authenticate" },
  { name: "no-domain-readwrite", lacks: { graphPermission: "Domain.ReadWrite.All" }, breaks: "every /domains call → 403 Authorization_RequestDenied" },
  { name: "no-user-read", lacks: { graphPermission: "User.Read.All" }, breaks: "GET /users/{id} → 403 Authorization_RequestDenied" },
  { name: "no-user-readupdate", lacks: { graphPermission: "User.ReadUpdate.All" }, breaks: "PATCH /users {usageLocation} → 403 Authorization_RequestDenied" },
  { name: "no-user-enabledisable", lacks: { graphPermission: "User.EnableDisableAccount.All" }, breaks: "PATCH /users {accountEnabled} → 403 Authorization_RequestDenied" },
  { name: "no-user-passwordprofile", lacks: { graphPermission: "User-PasswordProfile.ReadWrite.All" }, breaks: "PATCH /users {passwordProfile} → 403 Authorization_RequestDenied" },
  { name: "no-licenseassignment-readwrite", lacks: { graphPermission: "LicenseAssignment.ReadWrite.All" }, breaks: "POST /users/{id}/assignLicense → 403 Authorization_RequestDenied" },
  { name: "no-licenseassignment-read", lacks: { graphPermission: "LicenseAssignment.Read.All" }, breaks: "GET /subscribedSkus → 403 Authorization_RequestDenied" },
  { name: "no-rolemanagement-read", lacks: { graphPermission: "RoleManagement.Read.Directory" }, breaks: "GET /roleManagement/directory/roleAssignments → 403 Authorization_RequestDenied" },
];

/** `seed` with the first tenant's first app stripped of the gap's grant. */
export function seedLacking(seed: Seed, gapName: string): Seed {
  const gap = PERMISSION_GAPS.find((entry) => entry.name === gapName);
  if (!gap) throw new Error(`No permission gap "${gapName}"; use one of ${PERMISSION_GAPS.map((entry) => entry.name).join(", ")}.`);
  const [tenant, ...otherTenants] = seed.microsoft;
  const [app, ...otherApps] = tenant.apps;
  const without = (list: string[], name: string): string[] => {
    if (!list.includes(name)) throw new Error(`The seed's app ${app.clientId} does not hold ${name}, so "${gapName}" would change nothing.`);
    return list.filter((entry) => entry !== name);
  };
  const lacks = gap.lacks;
  const stripped = {
    ...app,
    graphPermissions: "graphPermission" in lacks ? without(app.graphPermissions, lacks.graphPermission) : app.graphPermissions,
    exchangePermissions: "exchangePermission" in lacks ? without(app.exchangePermissions, lacks.exchangePermission) : app.exchangePermissions,
    directoryRoles: "directoryRole" in lacks ? without(app.directoryRoles, lacks.directoryRole) : app.directoryRoles,
  };
  return { ...seed, microsoft: [{ ...tenant, apps: [stripped, ...otherApps] }, ...otherTenants] };
}
