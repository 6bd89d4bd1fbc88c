/**
 * The Entra account behind a mail user (Microsoft Graph): waiting for it to appear after
 * New-MailUser, its sign-in state and password resets, and the rules a supplied password must meet.
 * Graph's refusals become the grant the app lacks and how to give it.
 */
import { apis } from "../clients";
import { DIRECTORY_ROLE_TEMPLATE_IDS, OPERATIONS, alternativesTo, type Requirement } from "../clients/grants";
import type { GraphUser } from "../clients/graph";
import { currentConfig, registerSecret } from "../config";
import { meetsComplexity, newInitialPassword } from "./initialPassword";
import { type InputChecker, isUnknown } from "./inputs";
import { note } from "./log";
import { isMailbox, type DesiredMailUser } from "./mailUserPlan";
import { passwordFingerprint } from "./passwordFingerprint";
import { pollUntil } from "./poll";

const RESOURCE = "MailUser";
export const DEFAULT_REPLICATION_TIMEOUT_SECONDS = 900;
const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** What the state keeps of a password just set. */
export interface PasswordFacts {
  initialPassword?: string;
  passwordHash?: string;
}

export const replicationTimeoutMs = (desired: { replicationTimeoutSeconds?: number }): number => (desired.replicationTimeoutSeconds ?? DEFAULT_REPLICATION_TIMEOUT_SECONDS) * 1000;

/** The Entra user, waited for: New-MailUser creates it, and Graph shows it seconds to minutes later. */
export async function entraUser(desired: DesiredMailUser): Promise<GraphUser> {
  const upn = desired.microsoftOnlineServicesId;
  const user = await pollUntil(() => apis().graph.getUser(upn, ["id", "userPrincipalName", "accountEnabled"]), {
    timeoutMs: replicationTimeoutMs(desired),
    progress: { resource: RESOURCE, waitingFor: "Microsoft Graph to show new users (Entra ID replicates a new mail user in seconds to minutes)", subject: upn, setting: "replicationTimeoutSeconds" },
  });
  if (!user) {
    throw new Error(
      `${RESOURCE}: Microsoft Graph does not show the user ${upn} after ${replicationTimeoutMs(desired) / 1000} s (a new mail user reaches Entra ID seconds to minutes after New-MailUser); ` +
        "run pulumi up again to keep waiting, or raise replicationTimeoutSeconds.",
    );
  }
  return user;
}

/** "the Entra role User Administrator (or Privileged Authentication Administrator, …)": one requirement of `grants.ts`, in words. */
function requirementText(requirement: Requirement): string {
  const alternatives = alternativesTo(requirement);
  const others = alternatives.length > 0 ? ` (or ${alternatives.join(", ")})` : "";
  const [first] = requirement.anyOf;
  const what = requirement.kind === "directoryRole" ? "the Entra role" : first.length > 1 ? "the application permissions" : "the application permission";
  return `${what} ${first.join(" and ")}${others}`;
}

/** A Graph write for the user; Graph's 403 becomes the grants the app lacks (from `grants.ts`) and how to give them. */
export async function graphWrite(kind: "password" | "signIn", upn: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if ((error as { status?: number }).status !== 403) throw error;
    const app = currentConfig().clientId ? `The app ${currentConfig().clientId}` : "The app";
    const refused = `Microsoft Graph refused to ${kind === "password" ? "reset the password of" : "change whether this user may sign in:"} ${upn} (${(error as Error).message})`;
    const operation = kind === "password" ? OPERATIONS.setPassword : OPERATIONS.setAccountEnabled;
    const rolesFirst = [...operation.needs].sort((a, b) => Number(b.kind === "directoryRole") - Number(a.kind === "directoryRole"));
    const needs = `${app} needs ${rolesFirst.map(requirementText).join(" and ")}`;
    const role = operation.needs.find((requirement) => requirement.kind === "directoryRole")?.anyOf[0][0];
    const assignRole = role
      ? `Assign the role in the Entra admin center (Roles & admins → ${role} → Add assignments → the app's service principal) or with Graph ` +
        `(POST /roleManagement/directory/roleAssignments {"principalId": "<the service principal's id>", "roleDefinitionId": "${DIRECTORY_ROLE_TEMPLATE_IDS[role]}", "directoryScopeId": "/"}), `
      : "";
    throw new Error(
      `${RESOURCE}: ${refused}. ${needs}. ${assignRole}${role ? "grant" : "Grant"} the permission with admin consent in the Entra admin center (App registrations → API permissions), ` +
        "then run pulumi up again; `coexist doctor` checks every grant before an up.",
    );
  }
}

/**
 * The state's record of a password just set: a generated one as the secret output the admin reads,
 * a supplied one (which the admin has) only as its fingerprint.
 */
export function passwordFacts(desired: DesiredMailUser, password: string): PasswordFacts {
  return desired.password === undefined ? { initialPassword: password } : { passwordHash: passwordFingerprint(password) };
}

/** Sets the user's password through Graph (to be changed at the next sign-in). */
export async function resetPassword(desired: DesiredMailUser, user: GraphUser): Promise<PasswordFacts> {
  const password = desired.password ?? newInitialPassword();
  registerSecret(password);
  await graphWrite("password", desired.microsoftOnlineServicesId, () => apis().graph.setPassword(user.id, password));
  return passwordFacts(desired, password);
}

/** Gives the Entra account the wanted sign-in state (New-MailUser makes an enabled account). */
export async function ensureSignIn(desired: DesiredMailUser, user: GraphUser): Promise<boolean> {
  const enabled = user.accountEnabled !== false;
  if (enabled !== desired.signInEnabled) {
    await graphWrite("signIn", desired.microsoftOnlineServicesId, () => apis().graph.setAccountEnabled(user.id, desired.signInEnabled));
    if (desired.signInEnabled) note(RESOURCE, `${desired.microsoftOnlineServicesId} may now sign in to Microsoft 365 (its batch is migrating).`);
  }
  return desired.signInEnabled;
}

/** The Entra user of an existing mail user, from the deployment's shared list when it shows it (clients/snapshots.ts), else waited for. */
export async function listedEntraUser(desired: DesiredMailUser): Promise<GraphUser> {
  return (await apis().snapshots.userByIdOrUpn(desired.microsoftOnlineServicesId, ["accountEnabled"])) ?? entraUser(desired);
}

/** Whether this resource manages the account's sign-in: always, except for a mailbox it adopted (someone's working account). */
export const managesSignIn = (adopted: { recipientTypeDetails?: string } | undefined): boolean => !adopted || !isMailbox(adopted.recipientTypeDetails);

/** A supplied password: never empty (unset means generated), and within Entra ID's rules. */
export function checkPassword(inputs: InputChecker, raw: unknown, password: string | undefined): void {
  if (raw === "") inputs.problem("password", "is empty; leave it unset to have a password generated for each user");
  if (password === undefined || isUnknown(password)) return;
  registerSecret(password);
  if (password.length < MIN_PASSWORD_LENGTH || !meetsComplexity(password)) {
    inputs.problem(
      "password",
      `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters with three of: lower case, upper case, digits, symbols (Microsoft Entra ID password rules); or leave it unset to have one generated for each user`,
    );
  }
}

