import type * as pulumi from "@pulumi/pulumi";
import { secret } from "@pulumi/pulumi/output";
import { mergeOptions } from "@pulumi/pulumi/resource";
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
}

/**
 * Many Google Workspace users as Exchange Online mail users, in one resource (one engine step for
 * a whole batch instead of one per user). Each user behaves exactly as a MailUser.
 */
export interface MailUserSetArgs {
  /** The mail users, keyed by the user's Google address (each one's externalEmailAddress). */
  readonly users: pulumi.Input<Record<string, MailUserSetItem>>;
  /**
   * Initial password shared by every mail user of the set (always stored as a secret). Outputs
   * hold one salted fingerprint of it (`passwordHash`); changing it resets the password of every
   * user that is still a mail user.
   */
  readonly password: pulumi.Input<string>;
  /**
   * Take over existing recipients with these addresses instead of failing (see MailUserArgs.adopt).
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
}

/**
 * One fingerprint for the whole set: kept while it matches the password, new when the password
 * changed and every mail user was updated. After a partial failure the old one stays, so the
 * next up resets the password of every mail user again rather than missing the failed ones.
 */
function setPasswordHash(news: Record<string, unknown>, olds: Record<string, unknown> | undefined, allApplied: boolean): Record<string, unknown> {
  const previous = olds?.passwordHash;
  const password = news.password as string;
  if (typeof previous === "string" && (!allApplied || matchesFingerprint(password, previous))) return { passwordHash: previous };
  return { passwordHash: passwordFingerprint(password) };
}

export const mailUserSetProvider = resourceSetProvider({
  resource: "MailUserSet",
  itemsField: "users",
  keyField: "externalEmailAddress",
  sharedFields: ["password", "adopt"],
  secretFields: ["password"],
  itemProvider: () => (require("./mailUser") as typeof import("./mailUser")).mailUserProvider,
  setOutputs: setPasswordHash,
});

const provider = serializableProvider("mailUserSet", "mailUserSetProvider");

/** Google Workspace users as Exchange Online mail users with routing-subdomain addresses, one resource per batch. */
export class MailUserSet extends DynamicResource {
  /** Each user's MailUser outputs (`guid`, `emailAddresses`, `recipientTypeDetails`, …; the Exchange GUID also as `id`), by Google address. */
  declare readonly users: pulumi.Output<Record<string, Record<string, unknown>>>;

  constructor(name: string, args: MailUserSetArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { passwordHash: undefined, ...args, password: secret(args.password) },
      mergeOptions(opts, { additionalSecretOutputs: ["passwordHash"] }),
      "coexist",
      "MailUserSet",
    );
  }
}
