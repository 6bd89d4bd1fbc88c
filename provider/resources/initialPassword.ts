import { randomInt } from "node:crypto";

/**
 * Per-user initial passwords (issue 15): each mail user gets its own, from the operating system's
 * CSPRNG, kept only as a secret output and changed by the user at first sign-in.
 *
 * Microsoft Entra ID's rules for cloud accounts: 8 to 256 characters, at least three of lower case,
 * upper case, digits and symbols (learn.microsoft.com "Password policies and account restrictions in
 * Microsoft Entra ID"). These have 20 characters and all four classes. Look-alike characters
 * (0 O o, 1 l I) are left out because the admin passes the password on by hand, and the symbols are
 * ones every keyboard layout types without a dead key.
 */
const CLASSES = ["abcdefghijkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "!#%+-=?@"] as const;
const ALPHABET = CLASSES.join("");
export const INITIAL_PASSWORD_LENGTH = 20;

export function newInitialPassword(length: number = INITIAL_PASSWORD_LENGTH): string {
  const characters = CLASSES.map((set) => set[randomInt(set.length)]);
  while (characters.length < length) characters.push(ALPHABET[randomInt(ALPHABET.length)]);
  // Fisher–Yates, so the guaranteed characters are not always first.
  for (let index = characters.length - 1; index > 0; index--) {
    const other = randomInt(index + 1);
    [characters[index], characters[other]] = [characters[other], characters[index]];
  }
  return characters.join("");
}

/** Whether a password meets Entra ID's complexity rule (length and three of the four classes). */
export function meetsComplexity(password: string): boolean {
  if (password.length < 8 || password.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  return classes >= 3;
}
