import assert from "node:assert/strict";
import { describeAddress, googleAddresses, tenantAddresses } from "../../../provider/routing/tenantAddresses";
import { ADMIN, B, C, stage1b } from "./tenantBuilder";

describe("the addresses of a tenant, with their kind", () => {
  const state = stage1b()
    .googleAliases(B, ["Bee@Contoso.com"], ["b@gsuite.contoso.com"])
    .googleGroup("team@contoso.com", [B, C], { aliases: ["crew@contoso.com"], nonEditableAliases: ["team@gsuite.contoso.com"] })
    .distributionGroup("sales@contoso.com", [B])
    .build();

  it("lists every address Google receives mail at: users, their aliases and alias-domain addresses, groups and theirs", () => {
    assert.deepEqual(
      googleAddresses(state).map((entry) => `${entry.address}: ${describeAddress(entry)}`),
      [
        `${B}: user`,
        `bee@contoso.com: user alias of ${B}`,
        `b@gsuite.contoso.com: alias-domain address of ${B}`,
        `${C}: user`,
        "team@contoso.com: group",
        "crew@contoso.com: group alias of team@contoso.com",
        "team@gsuite.contoso.com: alias-domain address of team@contoso.com",
      ],
    );
  });

  it("adds the Exchange Online recipients and groups Google does not have", () => {
    const exchangeOnly = tenantAddresses(state).slice(googleAddresses(state).length);
    assert.deepEqual(exchangeOnly, [
      { address: ADMIN, kind: "recipient", owner: ADMIN },
      { address: "sales@contoso.com", kind: "distribution group", owner: "sales@contoso.com" },
    ]);
  });
});
