/**
 * Google accounts of migrated users are usually suspended or deleted after cutover, and Gmail then
 * answers no settings call for them: a deleted user's delegated token is refused (400
 * `invalid_grant`), a suspended user's Gmail calls fail (400 `failedPrecondition`). Neither is a
 * not-found, and neither proves anything by itself. Teardown steps past such a user only with
 * positive evidence from the Directory API: `users.get` shows `suspended: true`, or answers its
 * own not-found for a deleted user. Any other answer leaves the Gmail error standing.
 */
import { apis } from "../clients";
import { ConfigError, currentConfig, howToSet } from "../config";
import { note } from "./log";

export type Departure = "suspended" | "deleted";

/** Stands for a Gmail call that was skipped because the user has left Google Workspace. */
export const DEPARTED = Symbol("departed");

/** What the Directory says of the user: suspended, deleted (its not-found), or still active (undefined). */
export async function departureOf(user: string): Promise<Departure | undefined> {
  const directoryUser = await apis().google.getDirectoryUser(user);
  if (!directoryUser) return "deleted";
  return directoryUser.suspended === true ? "suspended" : undefined;
}

/**
 * Runs a Gmail call for `user`; when it fails, asks the Directory why. A suspended or deleted user
 * gives DEPARTED and a note naming the user; anything else rethrows the Gmail error.
 */
export async function unlessDeparted<T>(resource: string, user: string, action: string, call: () => Promise<T>): Promise<T | typeof DEPARTED> {
  try {
    return await call();
  } catch (gmailError) {
    // Only a refusal can mean a departed user (400 failedPrecondition or invalid_grant, 401 for a
    // token issued before the deletion, 403); throttling, outages and transport errors cannot.
    const status = (gmailError as { status?: number }).status;
    if (gmailError instanceof ConfigError || status === undefined || ![400, 401, 403].includes(status)) throw gmailError;
    const reason = (gmailError as Error).message;
    const config = currentConfig();
    if (!config.accessToken && !config.googleAdmin) {
      throw new Error(
        `${resource}: Gmail refused ${action} for ${user} (${reason}). To tell whether ${user} has left Google Workspace (suspended or deleted), ` +
          `the provider reads the user from the Directory API as coexist:googleAdmin, which is not set: ${howToSet("googleAdmin")}.`,
      );
    }
    let departure: Departure | undefined;
    try {
      departure = await departureOf(user);
    } catch (directoryError) {
      throw new Error(`${resource}: Gmail refused ${action} for ${user} (${reason}), and the Directory API could not say whether the user has left Google Workspace: ${(directoryError as Error).message}`);
    }
    if (!departure) throw gmailError;
    note(
      resource,
      `${user} is ${departure} in Google Workspace (Directory users.get ${departure === "deleted" ? "finds no such user" : "shows suspended: true"}), ` +
        `so Gmail answers no settings call for it (${reason}); skipped ${action}: a ${departure} account forwards nothing.`,
    );
    return DEPARTED;
  }
}
