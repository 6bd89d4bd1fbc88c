import * as assert from "assert";
import { claim, claimedByAnother, claimElsewhere, clearClaims } from "../../../provider/resources/claims";

describe("claims: who declares each user in this deployment", () => {
  beforeEach(() => clearClaims());
  after(() => clearClaims());

  const cases: [string, () => void, string | undefined, string | undefined][] = [
    ["nobody claims it: delete", () => undefined, "mail-users-a", undefined],
    ["only the asker claims it (a replacement): delete", () => claim("MailUser", "alice@contoso.com", "mail-users-a"), "mail-users-a", undefined],
    ["another set declares it: hand over", () => claim("MailUser", "Alice@Contoso.com", "mail-users-b"), "mail-users-a", "mail-users-b"],
    ["the component told the asker another set holds it: hand over", () => claimElsewhere("MailUser", "alice@contoso.com", "mail-users-a"), "mail-users-a", "another set of this stack"],
    ["the component told another set so: not the asker's business", () => claimElsewhere("MailUser", "alice@contoso.com", "mail-users-b"), "mail-users-a", undefined],
    ["an asker from a state without holders: any claim is another's", () => claim("MailUser", "alice@contoso.com", "mail-users-b"), undefined, "mail-users-b"],
    ["another kind's claim does not count", () => claim("LicenseAssignment", "alice@contoso.com", "licences-b"), "mail-users-a", undefined],
  ];
  for (const [title, setUp, asker, expected] of cases) {
    it(title, () => {
      setUp();
      assert.strictEqual(claimedByAnother("MailUser", "alice@contoso.com", asker), expected);
    });
  }
});
