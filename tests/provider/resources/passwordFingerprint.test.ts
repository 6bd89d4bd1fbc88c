import * as assert from "assert";
import { matchesFingerprint, passwordFingerprint } from "../../../provider/resources/passwordFingerprint";

const PASSWORD = "Coexist-Pa55word!";

describe("password fingerprint", () => {
  it("matches only the same password and differs per salt", () => {
    const first = passwordFingerprint(PASSWORD);
    assert.ok(matchesFingerprint(PASSWORD, first));
    assert.ok(!matchesFingerprint("Coexist-Pa55word?", first));
    assert.ok(!matchesFingerprint(PASSWORD, undefined));
    assert.notStrictEqual(first, passwordFingerprint(PASSWORD));
    assert.doesNotMatch(first, new RegExp(PASSWORD));
  });

  const [, salt, hash] = passwordFingerprint(PASSWORD).split("$");
  const unusable: [string, unknown][] = [
    ["no fingerprint stored (a state written before fingerprints)", undefined],
    ["another kind of hash", `scrypt$${salt}$${hash}`],
    ["a fingerprint without its hash", `hmac-scrypt$${salt}$`],
    ["a fingerprint cut short", `hmac-scrypt$${salt}$${hash.slice(0, 8)}`],
  ];
  for (const [title, stored] of unusable) {
    it(`never matches ${title}, so the password is reset`, () => assert.strictEqual(matchesFingerprint(PASSWORD, stored), false));
  }
});
