import assert from "node:assert/strict";
import { DIRECTORY_ROLES, callerOf, grantClaims, hasPermission, hasRole, mayRunCmdlet, type Caller } from "pulumi-mail-coexistence-sandbox/authorization";
import type { AppRecord } from "pulumi-mail-coexistence-sandbox/records";

const app: AppRecord = {
  clientId: "c",
  clientSecret: "s",
  displayName: "coexist",
  graphPermissions: ["User.Read.All", "User.EnableDisableAccount.All"],
  exchangePermissions: [],
  directoryRoles: ["Exchange Recipient Administrator"],
};

describe("sandbox authorization model", () => {
  it("puts the resource's permissions in `roles` and the role template ids in `wids`, leaving empty claims out as Entra does", () => {
    assert.deepEqual(grantClaims(app, "graph"), { roles: ["User.Read.All", "User.EnableDisableAccount.All"], wids: [DIRECTORY_ROLES["Exchange Recipient Administrator"]] });
    assert.deepEqual(grantClaims({ ...app, directoryRoles: [] }, "exchange"), {});
  });

  it("reads a token back into permissions and role names; the static token may do anything", () => {
    const caller = callerOf({ appid: "c", ...grantClaims(app, "graph") }, false);
    assert.deepEqual([...(caller.roles ?? [])], ["Exchange Recipient Administrator"]);
    const none = callerOf({ appid: "c" }, false);
    assert.equal(hasPermission(none, ["User.Read.All"]), false, "a token without roles holds nothing");
    const staticToken = callerOf({ appid: "c" }, true);
    assert.equal(hasPermission(staticToken, ["Domain.ReadWrite.All"]), true);
    assert.equal(hasRole(staticToken, ["User Administrator"]), true);
  });

  const caller: Caller = { permissions: new Set(["User.Read.All", "User.EnableDisableAccount.All"]), roles: new Set(["Exchange Recipient Administrator"]) };
  const permissionCases: [string, (string | string[])[], boolean][] = [
    ["a single permission held", ["User.Read.All"], true],
    ["none of the alternatives", ["User.ReadWrite.All", "Directory.ReadWrite.All"], false],
    ["a combination held in full", [["User.EnableDisableAccount.All", "User.Read.All"], "User.ReadWrite.All"], true],
    ["a combination held in part", [["User.EnableDisableAccount.All", "Directory.Read.All"]], false],
  ];
  for (const [name, anyOf, expected] of permissionCases) {
    it(`permission check: ${name} → ${expected}`, () => assert.equal(hasPermission(caller, anyOf), expected));
  }

  const cmdletCases: [string[], "recipients" | "organization", string, boolean][] = [
    [["Exchange Administrator"], "organization", "New-OutboundConnector", true],
    [["Global Administrator"], "organization", "Set-AcceptedDomain", true],
    [["Exchange Recipient Administrator"], "recipients", "New-MailUser", true],
    [["Exchange Recipient Administrator"], "organization", "Get-AcceptedDomain", true],
    [["Exchange Recipient Administrator"], "organization", "New-TransportRule", false],
    [["Global Reader"], "recipients", "Get-Recipient", true],
    [["Global Reader"], "recipients", "Set-MailUser", false],
    [["User Administrator"], "recipients", "Get-Recipient", false],
    [[], "recipients", "Get-Recipient", false],
  ];
  for (const [roles, area, cmdlet, expected] of cmdletCases) {
    it(`Exchange session of [${roles.join(", ")}] ${expected ? "has" : "lacks"} ${cmdlet}`, () => assert.equal(mayRunCmdlet({ roles: new Set(roles) }, area, cmdlet), expected));
  }
});
