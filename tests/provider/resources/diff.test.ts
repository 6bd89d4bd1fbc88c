import * as assert from "assert";
import { FieldRule, planDiff, sameIgnoringCase, sameSet } from "../../../provider/resources/diff";
import { UNKNOWN } from "../../../provider/resources/inputs";

describe("diff planning", () => {
  const rules: FieldRule[] = [
    { field: "name", replaces: true },
    { field: "recipientDomains", equal: sameSet },
    { field: "externalEmailAddress", equal: sameIgnoringCase },
    { field: "comment" },
  ];
  const stored = { name: "ToGoogle", recipientDomains: ["contoso.com", "fabrikam.com"], externalEmailAddress: "a@contoso.com", comment: "x" };

  const cases: [string, Record<string, unknown>, { changes: boolean; replaces: string[] }][] = [
    ["equal values are no change", { ...stored }, { changes: false, replaces: [] }],
    ["reordered, re-cased list is no change", { ...stored, recipientDomains: ["FABRIKAM.com", "contoso.com"] }, { changes: false, replaces: [] }],
    ["re-cased address is no change", { ...stored, externalEmailAddress: "A@Contoso.com" }, { changes: false, replaces: [] }],
    ["clearing the comment is an update", { ...stored, comment: undefined }, { changes: true, replaces: [] }],
    ["a new list entry is an update", { ...stored, recipientDomains: ["contoso.com"] }, { changes: true, replaces: [] }],
    ["a rename is a replacement", { ...stored, name: "ToGmail" }, { changes: true, replaces: ["name"] }],
    ["an unknown value during preview counts as a change", { ...stored, name: UNKNOWN }, { changes: true, replaces: ["name"] }],
  ];
  for (const [title, news, expected] of cases) {
    it(title, () => {
      const { changes, replaces } = planDiff(stored, news, rules);
      assert.deepStrictEqual({ changes, replaces }, expected);
    });
  }

  it("treats null, missing and [] alike", () => {
    assert.deepStrictEqual(planDiff({ comment: null }, { comment: undefined }, [{ field: "comment" }]).changes, false);
    assert.deepStrictEqual(planDiff({ list: [] }, {}, [{ field: "list" }]).changes, false);
  });
});
