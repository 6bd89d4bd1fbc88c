import assert from "node:assert/strict";
import { DIRECTORY_ROLES } from "pulumi-mail-coexistence-sandbox/authorization";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile, type Seed } from "pulumi-mail-coexistence-sandbox/seed";
import { credential, failure, graphClient, raw, startTestSandbox } from "../harness";

function seed(): Seed {
  const demo = readSeedFile(DEMO_SEED_PATH);
  const [contoso, ...others] = demo.microsoft;
  const bare = { clientId: "bare", clientSecret: "bare-secret", displayName: "bare", graphPermissions: [], exchangePermissions: [], directoryRoles: [] };
  return { ...demo, microsoft: [{ ...contoso, apps: [...contoso.apps, bare] }, ...others] };
}

describe("sandbox Graph service principals and directory role assignments (what coexist doctor reads)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  const bareTenant = () => ({ tenantId: sandbox.env.COEXIST_TENANT_ID, clientId: "bare", clientSecret: "bare-secret" });

  before(async () => {
    sandbox = await startTestSandbox({ seed: seed() });
  });
  after(() => sandbox.stop());

  it("lets an app without any permission read its own service principal, by appId in OData key syntax", async () => {
    const own = await graphClient(sandbox, bareTenant()).api("/servicePrincipals(appId='bare')").get();
    assert.deepEqual([own.appId, own.servicePrincipalType, own.displayName], ["bare", "Application", "bare"]);
    const token = (await credential(sandbox, bareTenant()).getToken("https://graph.microsoft.com/.default")).token;
    const encoded = await raw(sandbox, "GET", "/v1.0/servicePrincipals(appId=%27bare%27)", { token });
    assert.equal(encoded.body.id, own.id);
    const other = await failure(graphClient(sandbox, bareTenant()).api(`/servicePrincipals(appId='${sandbox.env.COEXIST_CLIENT_ID}')`).get());
    assert.deepEqual([other.statusCode, other.code], [403, "Authorization_RequestDenied"]);
    assert.equal((await failure(graphClient(sandbox).api("/servicePrincipals(appId='nobody')").get())).statusCode, 403, "another app's principal needs Application.Read.All");
  });

  it("lists the demo app's directory roles by principalId with their definitions", async () => {
    const graph = graphClient(sandbox);
    const principal = await graph.api(`/servicePrincipals(appId='${sandbox.env.COEXIST_CLIENT_ID}')`).get();
    const assignments = (await graph.api("/roleManagement/directory/roleAssignments").filter(`principalId eq '${principal.id}'`).expand("roleDefinition").get()).value;
    assert.deepEqual(assignments.map((assignment: { roleDefinition: { displayName: string } }) => assignment.roleDefinition.displayName).sort(), ["Exchange Administrator", "User Administrator"]);
    assert.ok(assignments.every((assignment: { principalId: string; directoryScopeId: string }) => assignment.principalId === principal.id && assignment.directoryScopeId === "/"));
    const globalAdmins = (await graph.api("/roleManagement/directory/roleAssignments").filter(`roleDefinitionId eq '${DIRECTORY_ROLES["Global Administrator"]}'`).expand("principal").get()).value;
    assert.deepEqual(globalAdmins.map((assignment: { principal: { userPrincipalName?: string } }) => assignment.principal.userPrincipalName), ["admin@contoso.onmicrosoft.com"]);
  });

  it("refuses role assignments without RoleManagement.Read.Directory and filters it cannot apply", async () => {
    assert.equal((await failure(graphClient(sandbox, bareTenant()).api("/roleManagement/directory/roleAssignments").get())).statusCode, 403);
    const unsupported = await failure(graphClient(sandbox).api("/roleManagement/directory/roleAssignments").filter("startswith(principalId,'a')").get());
    assert.equal(unsupported.statusCode, 400);
  });
});
