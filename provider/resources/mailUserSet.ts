import type * as pulumi from "@pulumi/pulumi";
import { secret } from "@pulumi/pulumi/output";
import { mergeOptions } from "@pulumi/pulumi/resource";
import { stackOwner } from "./ownership";
import { matchesFingerprint, passwordFingerprint } from "./passwordFingerprint";
import { resourceSetProvider } from "./resourceSet";
import { DynamicResource, serializableProvider } from "./serializable";

/** One mail user of a MailUserSet; the fields are MailUser's (see MailUserArgs). */
export interface MailUserSetItem {
  /** Exchange object name, at most 64 characters, e.g. `Alice Smith`. Updated in place. */
  name: string;
  /** Mail nickname, e.g. `alice`. Updated in place. */
  alias: string;
  /**
   * Name in the address list. Updated in place.
   * @default the `name`
   */
  displayName?: string;
  /**
   * Given name, set when the mail user is created; changing it re-creates that mail user.
   * @default unset: not managed
   */
  firstName?: string;
  /**
   * Surname, set when the mail user is created; changing it re-creates that mail user.
   * @default unset: not managed
   */
  lastName?: string;
  /** Microsoft 365 sign-in name (UPN), e.g. `alice@contoso.com`. Changing it re-creates that mail user. */
  microsoftOnlineServicesId: string;
  /** Secondary SMTP address on the routing subdomain, e.g. `alice@o365.contoso.com`. Updated in place. */
  routingAddress: string;
  /**
   * The user's other addresses (Google aliases, alias-domain addresses): those on accepted domains
   * become proxy addresses, the others are reported in the user's `unroutableAliases` (see
   * MailUserArgs.aliases). Updated in place.
   * @default []
   */
  aliases?: string[];
}

/**
 * Many Google Workspace users as Exchange Online mail users, in one resource (one engine step for
 * a whole batch instead of one per user). Each user behaves exactly as a MailUser.
 */
export interface MailUserSetArgs {
  /** The mail users, keyed by the user's Google address (each one's externalEmailAddress). */
  readonly users: pulumi.Input<Record<string, MailUserSetItem>>;
  /**
   * One initial password for every mail user of the set, for admins who hand out their own
   * (always stored as a secret; see MailUserArgs.password). Outputs hold one salted fingerprint of
   * it (`passwordHash`); changing it resets the password of every user that is still a mail user.
   * @default unset: each user gets its own generated password, in the secret output `initialPasswords`
   */
  readonly password?: pulumi.Input<string>;
  /**
   * Whether the users may sign in to Microsoft 365 (see MailUserArgs.signInEnabled): true once the
   * batch is migrating.
   * @default false
   */
  readonly signInEnabled?: pulumi.Input<boolean>;
  /**
   * How long each new user's create waits for Exchange and Microsoft Graph to show it (see
   * MailUserArgs.replicationTimeoutSeconds), 0 to 3600 seconds.
   * @default 900
   */
  readonly replicationTimeoutSeconds?: pulumi.Input<number>;
  /**
   * The custom attribute that carries the stack's mark (see MailUserArgs.ownerAttribute).
   * @default "CustomAttribute15"
   */
  readonly ownerAttribute?: pulumi.Input<string>;
  /**
   * Take over existing recipients with these addresses that this stack did not create, instead of
   * failing; they are restored on delete (see MailUserArgs.adopt).
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Remove adopted mail users on delete instead of restoring them.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
  /**
   * The users the other MailUserSets of this stack hold (the Coexistence component passes them): a
   * user moved from this set to another one is handed over, never deleted. `check` takes them in
   * and leaves them out of the state.
   * @default []
   */
  readonly heldElsewhere?: pulumi.Input<string[]>;
}

/**
 * One fingerprint of a supplied password for the whole set: kept while it matches the password,
 * new when the password changed and every mail user was updated. After a partial failure the old
 * one stays, so the next up resets the password of every mail user again rather than missing the
 * failed ones. No password supplied: no fingerprint.
 */
function setPasswordHash(news: Record<string, unknown>, olds: Record<string, unknown> | undefined, allApplied: boolean): Record<string, unknown> {
  const password = news.password;
  if (typeof password !== "string") return {};
  const previous = olds?.passwordHash;
  if (typeof previous === "string" && (!allApplied || matchesFingerprint(password, previous))) return { passwordHash: previous };
  return { passwordHash: passwordFingerprint(password) };
}

export const mailUserSetProvider = resourceSetProvider({
  resource: "MailUserSet",
  itemsField: "users",
  keyField: "externalEmailAddress",
  sharedFields: ["password", "signInEnabled", "replicationTimeoutSeconds", "ownerAttribute", "adopt", "deleteAdopted", "owner", "holder"],
  secretFields: ["password"],
  itemProvider: () => (require("./mailUser") as typeof import("./mailUser")).mailUserProvider,
  itemResource: "MailUser",
  secretItemOutput: { field: "initialPassword", setField: "initialPasswords" },
  setOutputs: setPasswordHash,
});

const provider = serializableProvider("mailUserSet", "mailUserSetProvider");

/** Google Workspace users as Exchange Online mail users with routing-subdomain addresses, one resource per batch. */
export class MailUserSet extends DynamicResource {
  /** Each user's MailUser outputs (`guid`, `emailAddresses`, `recipientTypeDetails`, …; the Exchange GUID also as `id`), by Google address. */
  declare readonly users: pulumi.Output<Record<string, Record<string, unknown>>>;
  /** Each user's initial password (generated unless supplied), by Google address; a secret. */
  declare readonly initialPasswords: pulumi.Output<Record<string, string> | undefined>;

  constructor(name: string, args: MailUserSetArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        passwordHash: undefined,
        initialPasswords: undefined,
        ...args,
        password: args.password === undefined ? undefined : secret(args.password),
        owner: stackOwner(),
        holder: name,
      },
      mergeOptions(opts, { additionalSecretOutputs: ["passwordHash", "initialPasswords"] }),
      "coexist",
      "MailUserSet",
    );
  }
}
