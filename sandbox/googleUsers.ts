/**
 * The Google Workspace as it changes at run time: each user's status and the automatic-forwarding
 * policy. A suspended user stays in the Directory with `suspended: true`; a deleted user leaves it
 * (its record kept aside as `deletedGoogleUser`, its addresses free), so every reader that looks a
 * user up by address sees no user, as Google's services do, and the control API can restore it.
 */
import { domainAliasAddresses } from "./directory";
import { HttpError, json } from "./http";
import type { DeletedGoogleUserRecord, GoogleDomainRecord, GoogleUserRecord } from "./records";
import { GOOGLE_USER_STATUSES, type GoogleSeed, type GoogleUserStatus } from "./seed";
import { GOOGLE_SCOPE, type Store } from "./store";

/** The Workspace user an address (primary, alias or domain-alias address) belongs to, if it is not deleted. */
export function findGoogleUser(store: Store, address: string): GoogleUserRecord | undefined {
  const owner = store.ownerOf(GOOGLE_SCOPE, "googleAddress", address);
  return owner ? store.get<GoogleUserRecord>(GOOGLE_SCOPE, "googleUser", owner) : undefined;
}

export function findDeletedGoogleUser(store: Store, primaryEmail: string): DeletedGoogleUserRecord | undefined {
  return store.get<DeletedGoogleUserRecord>(GOOGLE_SCOPE, "deletedGoogleUser", primaryEmail.toLowerCase());
}

export function googleUserStatusOf(user: GoogleUserRecord): GoogleUserStatus {
  return "deletionTime" in user ? "deleted" : user.suspended ? "suspended" : "active";
}

function addresses(user: GoogleUserRecord, domains: GoogleDomainRecord[]): string[] {
  return [user.primaryEmail, ...user.aliases, ...domainAliasAddresses(user.primaryEmail, domains)];
}

/**
 * Puts a user into the Directory with its addresses; the first address another user holds is
 * returned instead (nothing is written then).
 */
export function placeGoogleUser(store: Store, user: GoogleUserRecord, domains = store.list<GoogleDomainRecord>(GOOGLE_SCOPE, "googleDomain")): string | undefined {
  const wanted = addresses(user, domains);
  const taken = wanted.find((address) => {
    const owner = store.ownerOf(GOOGLE_SCOPE, "googleAddress", address);
    return owner !== undefined && owner !== user.primaryEmail;
  });
  if (taken) return taken;
  store.put(GOOGLE_SCOPE, "googleUser", user.primaryEmail, user);
  for (const address of wanted) store.claim(GOOGLE_SCOPE, "googleAddress", address, user.primaryEmail);
  return undefined;
}

export function putDeletedGoogleUser(store: Store, user: GoogleUserRecord, deletionTime = new Date().toISOString()): void {
  store.put(GOOGLE_SCOPE, "deletedGoogleUser", user.primaryEmail, { ...user, deletionTime } satisfies DeletedGoogleUserRecord);
}

function controlError(status: number, message: string): HttpError {
  return new HttpError(json(status, { error: message }));
}

/**
 * `PUT /sandbox/google/users/{email}` `{status}`: suspends, reactivates, deletes or restores a user
 * (restoring, like Google's undelete, fails while another user holds one of its addresses).
 */
export function setGoogleUserStatus(store: Store, email: string, status: unknown): { primaryEmail: string; status: GoogleUserStatus } {
  if (!GOOGLE_USER_STATUSES.includes(status as GoogleUserStatus)) throw controlError(400, `Give {"status": ${GOOGLE_USER_STATUSES.map((entry) => `"${entry}"`).join(" | ")}}.`);
  const wanted = status as GoogleUserStatus;
  return store.transaction(() => {
    const live = findGoogleUser(store, email);
    const deleted = live ? undefined : findDeletedGoogleUser(store, email);
    const user = live ?? deleted;
    if (!user) throw controlError(404, `No Google user ${email} (neither in the Directory nor deleted).`);
    const { deletionTime: _deletionTime, ...record } = user as DeletedGoogleUserRecord;
    if (wanted === "deleted") {
      if (live) {
        store.delete(GOOGLE_SCOPE, "googleUser", live.primaryEmail);
        store.releaseAll(GOOGLE_SCOPE, "googleAddress", live.primaryEmail);
        putDeletedGoogleUser(store, live);
      }
      return { primaryEmail: user.primaryEmail, status: wanted };
    }
    const next: GoogleUserRecord = { ...record, suspended: wanted === "suspended" };
    if (deleted) {
      const taken = placeGoogleUser(store, next);
      if (taken) throw controlError(409, `Cannot restore ${deleted.primaryEmail}: another Google user now holds ${taken}.`);
      store.delete(GOOGLE_SCOPE, "deletedGoogleUser", deleted.primaryEmail);
    } else {
      store.put(GOOGLE_SCOPE, "googleUser", next.primaryEmail, next);
    }
    return { primaryEmail: user.primaryEmail, status: wanted };
  });
}

const POLICY_META = "googlePolicy";

/** The admin policy now: the seed's, unless `PUT /sandbox/google/policy` changed it since. */
export function googlePolicy(store: Store): GoogleSeed["policy"] {
  return store.getMeta<GoogleSeed["policy"]>(POLICY_META) ?? store.seed().google.policy;
}

export function setGooglePolicy(store: Store, input: Record<string, unknown>): GoogleSeed["policy"] {
  if (typeof input.autoForwardingAllowed !== "boolean") throw controlError(400, 'Give {"autoForwardingAllowed": true | false}.');
  const policy = { autoForwardingAllowed: input.autoForwardingAllowed };
  store.setMeta(POLICY_META, policy);
  return policy;
}

/** Called when a seed is loaded: the seed's policy replaces any run-time change. */
export function resetGooglePolicy(store: Store, policy: GoogleSeed["policy"]): void {
  store.setMeta(POLICY_META, policy);
}
