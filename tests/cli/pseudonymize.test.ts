import * as assert from "assert";
import { pseudonyms } from "../../cli/pseudonymize";
import { assertNoSecret, parseSnapshotArgs } from "../../cli/snapshot";

describe("snapshot pseudonyms", () => {
  it("gives one local part the same pseudonym on every domain, and keeps the domain", () => {
    const p = pseudonyms("salt");
    const at = (address: string) => p.address(address).split("@");
    assert.deepStrictEqual(at("ben.adams@o365.contoso.com")[0], at("Ben.Adams@contoso.com")[0]);
    assert.strictEqual(at("ben.adams@o365.contoso.com")[1], "o365.contoso.com");
    assert.notStrictEqual(at("ben.adams@contoso.com")[0], at("chloe.adams@contoso.com")[0]);
  });

  it("depends on the salt, and names get pseudonyms of their own", () => {
    assert.notStrictEqual(pseudonyms("one").address("ben@contoso.com"), pseudonyms("two").address("ben@contoso.com"));
    assert.strictEqual(pseudonyms("one").name("Ben Adams"), pseudonyms("one").name("Ben Adams"));
    assert.doesNotMatch(pseudonyms("one").name("Ben Adams"), /Ben|Adams/);
    assert.strictEqual(pseudonyms("one").name(""), "");
  });
});

describe("coexist snapshot arguments and secret check", () => {
  it("takes the salt from --salt, else $COEXIST_SNAPSHOT_SALT, else the fixed one; --salt alone is refused", () => {
    assert.strictEqual(parseSnapshotArgs(["--pseudonymize", "--salt", "s"], {}).salt, "s");
    assert.strictEqual(parseSnapshotArgs(["--pseudonymize"], { COEXIST_SNAPSHOT_SALT: "env" }).salt, "env");
    assert.strictEqual(parseSnapshotArgs(["--out", "x.json"], {}).salt, undefined);
    assert.throws(() => parseSnapshotArgs(["--salt", "s"], {}), /--salt goes with --pseudonymize/);
    assert.throws(() => parseSnapshotArgs(["--out"], {}), /--out needs a value/);
  });

  it("refuses a text holding a known credential or a credential-named field", () => {
    assert.throws(() => assertNoSecret('{"a":"xx-the-secret-xx"}', ["the-secret"]), /credential/);
    assert.throws(() => assertNoSecret('{"clientSecret": "x"}', []), /clientSecret/);
    assert.doesNotThrow(() => assertNoSecret('{"name":"Ben"}', ["the-secret"]));
  });
});
