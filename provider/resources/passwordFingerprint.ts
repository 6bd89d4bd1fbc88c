import { createHash, createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

/**
 * A salted fingerprint of a password, which outputs hold instead of the password (MailUser,
 * MailUserSet): enough to notice a change, useless to sign in.
 */
export function passwordFingerprint(password: string, salt: Buffer = randomBytes(16)): string {
  const hash = createHmac("sha256", fingerprintKey(password)).update(salt).digest();
  return `hmac-scrypt$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function matchesFingerprint(password: string, fingerprint: unknown): boolean {
  if (typeof fingerprint !== "string") return false;
  const [kind, salt, hash] = fingerprint.split("$");
  if (kind !== "hmac-scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = createHmac("sha256", fingerprintKey(password)).update(Buffer.from(salt, "base64")).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const SCRYPT = { N: 16_384, r: 8, p: 1 };
const FINGERPRINT_KEY_SALT = "pulumi-mail-coexistence/password-fingerprint";
const fingerprintKeys = new Map<string, Buffer>();

/**
 * The slow part (scrypt) runs once per password per provider process, not once per resource: a
 * preview of thousands of mail users sharing an initial password would otherwise spend minutes
 * hashing. Each resource still gets its own salt, through the HMAC.
 */
function fingerprintKey(password: string): Buffer {
  const id = createHash("sha256").update(password).digest("base64");
  let key = fingerprintKeys.get(id);
  if (!key) {
    key = scryptSync(password, FINGERPRINT_KEY_SALT, 32, SCRYPT);
    fingerprintKeys.set(id, key);
  }
  return key;
}
