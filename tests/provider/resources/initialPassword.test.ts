import * as assert from "assert";
import { INITIAL_PASSWORD_LENGTH, meetsComplexity, newInitialPassword } from "../../../provider/resources/initialPassword";

describe("initial passwords", () => {
  it("are 20 characters of all four classes, without look-alikes, and never repeat", () => {
    const passwords = Array.from({ length: 2000 }, () => newInitialPassword());
    for (const password of passwords) {
      assert.strictEqual(password.length, INITIAL_PASSWORD_LENGTH);
      for (const kind of [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/]) assert.match(password, kind);
      assert.doesNotMatch(password, /[0O1lIo]/);
      assert.ok(meetsComplexity(password));
    }
    assert.strictEqual(new Set(passwords).size, passwords.length);
  });

  const cases: [string, boolean][] = [
    ["Coexist-Pa55word!", true],
    ["lowerUPPER1", true],
    ["lower-and-digits-1", true],
    ["alllowercaseletters", false],
    ["Sh0rt!", false],
    [`Aa1!${"x".repeat(253)}`, false],
  ];
  for (const [password, ok] of cases) {
    it(`${JSON.stringify(password.length > 30 ? `${password.slice(0, 10)}… (${password.length})` : password)} ${ok ? "meets" : "fails"} Entra ID's complexity rule`, () => {
      assert.strictEqual(meetsComplexity(password), ok);
    });
  }
});
