/**
 * What an app may do: Graph application permissions and Exchange's `Exchange.ManageAsApp` (the
 * `roles` claim of its tokens, as Entra issues them) and the Entra directory roles of its service
 * principal (the `wids` claim, role template ids). Each Graph route and each cmdlet family names
 * what it needs; the provenance of every requirement is in sandbox/README.md.
 */
import { stableGuid } from "./ids";
import type { AppRecord } from "./records";

/** Built-in Entra roles by display name → role template id (the same in every tenant). */
export const DIRECTORY_ROLES: Readonly<Record<string, string>> = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
  "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
  "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
  "Exchange Recipient Administrator": "31392ffb-586c-42d1-9346-e59415a2cc4e",
  "License Administrator": "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
  "Domain Name Administrator": "8329153b-31d0-4727-b945-745eb3bc5f31",
  "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
  "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
};

export const EXCHANGE_MANAGE_AS_APP = "Exchange.ManageAsApp";

/** Application permissions the sandbox's Graph checks know (an app seeded without a list holds all of them). */
export const GRAPH_PERMISSIONS = [
  "Application.Read.All",
  "Application.ReadWrite.All",
  "Directory.Read.All",
  "Directory.ReadWrite.All",
  "Domain.Read.All",
  "Domain.ReadWrite.All",
  "LicenseAssignment.Read.All",
  "LicenseAssignment.ReadWrite.All",
  "Organization.Read.All",
  "Organization.ReadWrite.All",
  "RoleManagement.Read.All",
  "RoleManagement.Read.Directory",
  "RoleManagement.ReadWrite.Directory",
  "User-PasswordProfile.ReadWrite.All",
  "User.EnableDisableAccount.All",
  "User.Read.All",
  "User.ReadUpdate.All",
  "User.ReadWrite.All",
] as const;

/**
 * Who is calling, from the token. `permissions` and `roles` are undefined for the sandbox's static
 * token, which may do anything (a documented deviation).
 */
export interface Caller {
  appId?: string;
  permissions?: ReadonlySet<string>;
  /** Directory role display names. */
  roles?: ReadonlySet<string>;
}

/** The caller a token's claims describe; `unrestricted` for the static token. */
export function callerOf(claims: { appid?: string; roles?: string[]; wids?: string[] }, unrestricted: boolean): Caller {
  if (unrestricted) return { appId: claims.appid };
  const names = new Map(Object.entries(DIRECTORY_ROLES).map(([name, id]) => [id, name]));
  return {
    appId: claims.appid,
    permissions: new Set(claims.roles ?? []),
    roles: new Set((claims.wids ?? []).map((id) => names.get(id) ?? id)),
  };
}

/** Whether the caller holds one of `anyOf` (every permission of an inner array). */
export function hasPermission(caller: Caller, anyOf: readonly (string | readonly string[])[]): boolean {
  if (!caller.permissions) return true;
  const held = caller.permissions;
  return anyOf.some((option) => (typeof option === "string" ? held.has(option) : option.every((name) => held.has(name))));
}

export function hasRole(caller: Caller, anyOf: readonly string[]): boolean {
  return !caller.roles || anyOf.some((role) => caller.roles?.has(role));
}

/** The `roles` and `wids` claims of a token for `audience` issued to `app`; Entra leaves an empty claim out. */
export function grantClaims(app: AppRecord, audience: "graph" | "exchange"): { roles?: string[]; wids?: string[] } {
  const roles = audience === "graph" ? app.graphPermissions : app.exchangePermissions;
  const wids = app.directoryRoles.map((role) => DIRECTORY_ROLES[role]);
  return { ...(roles.length > 0 ? { roles } : {}), ...(wids.length > 0 ? { wids } : {}) };
}

/** The object id of an app's service principal in its tenant (stable, so role assignments can name it). */
export function servicePrincipalId(tenantId: string, clientId: string): string {
  return stableGuid(`servicePrincipal/${tenantId}/${clientId}`);
}

// ---- Exchange RBAC ------------------------------------------------------------------------------

/** Recipient cmdlets (mail users, mailboxes, groups) or organisation configuration (domains, connectors, rules). */
export type CmdletArea = "recipients" | "organization";

const EXCHANGE_ROLES: Record<string, (area: CmdletArea, cmdlet: string) => boolean> = {
  "Global Administrator": () => true,
  "Exchange Administrator": () => true,
  "Exchange Recipient Administrator": (area, cmdlet) => area === "recipients" || /^get-accepteddomain$/i.test(cmdlet),
  "Global Reader": (_area, cmdlet) => /^get-/i.test(cmdlet),
};

/** Whether the caller's directory roles give an Exchange session that has this cmdlet. */
export function mayRunCmdlet(caller: Caller, area: CmdletArea, cmdlet: string): boolean {
  if (!caller.roles) return true;
  return [...caller.roles].some((role) => EXCHANGE_ROLES[role]?.(area, cmdlet) === true);
}
