import assert from "node:assert/strict";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile, type Seed } from "pulumi-mail-coexistence-sandbox/seed";
import { control, directory, failure, startTestSandbox } from "./harness";

const SCOPE = "https://www.googleapis.com/auth/";
const GROUP_READ = [`${SCOPE}admin.directory.group.readonly`];
const MEMBER_READ = [`${SCOPE}admin.directory.group.member.readonly`];
const DOMAIN_READ = [`${SCOPE}admin.directory.domain.readonly`];
const ADMIN = "ada.adams@contoso.com";

/** The demo tenant (which grants the Directory's read-only scopes) plus a secondary domain, an outside member, a CUSTOMER member and a nested group. */
function seed(): Seed {
  const demo = readSeedFile(DEMO_SEED_PATH);
  const raw = JSON.parse(JSON.stringify(demo));
  raw.google.domains.push({ domainName: "fabrikam-sales.com" }, { domainName: "sales.example", aliasOf: "fabrikam-sales.com" });
  raw.google.groups.push(
    {
      email: "everyone@contoso.com",
      members: [{ type: "CUSTOMER" }, { email: "launch@contoso.com" }, { email: "partner@fabrikam.example", deliverySettings: "DIGEST" }, { email: "ben.adams@contoso.com", deliverySettings: "NONE" }],
    },
    { email: "emea@fabrikam-sales.com", members: [{ email: "chloe.adams@contoso.com", role: "OWNER" }] },
  );
  return raw;
}

describe("sandbox Directory API: groups, members and domains (through googleapis admin directory_v1)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;

  before(async () => {
    sandbox = await startTestSandbox({ seed: seed() });
  });
  after(() => sandbox.stop());

  it("lists the customer's groups in pages of at most 200, ordered by email, with aliases and alias-domain addresses", async () => {
    const api = directory(sandbox, ADMIN, GROUP_READ);
    const first = await api.groups.list({ customer: "my_customer", maxResults: 2 });
    assert.deepEqual(first.data.groups?.map((group) => group.email), ["emea@fabrikam-sales.com", "eng-leads@contoso.com"]);
    const rest = await api.groups.list({ customer: "my_customer", maxResults: 200, pageToken: first.data.nextPageToken ?? "" });
    assert.deepEqual(rest.data.groups?.map((group) => group.email), ["everyone@contoso.com", "launch@contoso.com", "support@contoso.com"]);
    assert.equal(rest.data.nextPageToken, undefined);
    const support = rest.data.groups?.find((group) => group.email === "support@contoso.com");
    assert.deepEqual(
      [support?.name, support?.aliases, support?.nonEditableAliases, support?.directMembersCount, support?.adminCreated],
      ["Support desk", ["help@contoso.com"], ["support@gsuite.contoso.com", "support@contoso.net"], "3", true],
    );
    const emea = first.data.groups?.[0];
    assert.deepEqual(emea?.nonEditableAliases, ["emea@sales.example"]);
    assert.equal((await failure(api.groups.list({ customer: "my_customer", maxResults: 201 }))).response.status, 400);
  });

  it("lists one domain's groups, and the groups a user is a direct member of", async () => {
    const api = directory(sandbox, ADMIN, GROUP_READ);
    assert.deepEqual((await api.groups.list({ domain: "fabrikam-sales.com" })).data.groups?.map((group) => group.email), ["emea@fabrikam-sales.com"]);
    assert.deepEqual((await api.groups.list({ userKey: "chloe@contoso.com" })).data.groups?.map((group) => group.email), ["emea@fabrikam-sales.com", "launch@contoso.com"]);
    assert.deepEqual((await api.groups.list({ userKey: "launch-team@contoso.com" })).data.groups?.map((group) => group.email), ["everyone@contoso.com"]);
    assert.equal((await failure(api.groups.list({}))).response.status, 400);
    assert.equal((await failure(api.groups.list({ customer: "C0other" }))).response.status, 403);
  });

  it("gets a group by email, alias, alias-domain address or id; lists its editable aliases", async () => {
    const api = directory(sandbox, ADMIN, GROUP_READ);
    const byAlias = await api.groups.get({ groupKey: "help@contoso.com" });
    assert.equal(byAlias.data.email, "support@contoso.com");
    assert.equal((await api.groups.get({ groupKey: "support@gsuite.contoso.com" })).data.email, "support@contoso.com");
    assert.equal((await api.groups.get({ groupKey: byAlias.data.id ?? "" })).data.email, "support@contoso.com");
    const aliases = await api.groups.aliases.list({ groupKey: "support@contoso.com" });
    assert.deepEqual(aliases.data.aliases, [{ kind: "admin#directory#alias", id: byAlias.data.id, etag: (aliases.data.aliases as { etag: string }[])[0].etag, primaryEmail: "support@contoso.com", alias: "help@contoso.com" }]);
    const missing = await failure(api.groups.get({ groupKey: "nobody@contoso.com" }));
    assert.equal(missing.response.status, 404);
  });

  it("lists members with their role, type and status; filters by role; pages; expands nested groups on request", async () => {
    const api = directory(sandbox, ADMIN, MEMBER_READ);
    const everyone = (await api.members.list({ groupKey: "everyone@contoso.com" })).data.members ?? [];
    assert.deepEqual(
      everyone.map((member) => [member.email, member.type, member.role, member.status]),
      [
        [undefined, "CUSTOMER", "MEMBER", undefined],
        ["launch@contoso.com", "GROUP", "MEMBER", "ACTIVE"],
        ["partner@fabrikam.example", "USER", "MEMBER", undefined],
        ["ben.adams@contoso.com", "USER", "MEMBER", "ACTIVE"],
      ],
    );
    assert.equal(everyone[0].id, "C03az79cb");
    assert.equal("delivery_settings" in everyone[1], false);
    const owners = await api.members.list({ groupKey: "launch@contoso.com", roles: "OWNER,MANAGER" });
    assert.deepEqual(owners.data.members?.map((member) => member.email), ["ada.adams@contoso.com"]);
    const paged = await api.members.list({ groupKey: "launch@contoso.com", maxResults: 3 });
    assert.equal(paged.data.members?.length, 3);
    const next = await api.members.list({ groupKey: "launch@contoso.com", maxResults: 3, pageToken: paged.data.nextPageToken ?? "" });
    assert.deepEqual(next.data.members?.map((member) => member.email), ["ines.adams@contoso.com", "noor.adams@contoso.com"]);
    const derived = await api.members.list({ groupKey: "everyone@contoso.com", includeDerivedMembership: true });
    assert.equal(derived.data.members?.length, 9, "everyone's 4 members and launch's 5");
  });

  it("gets one member with its delivery settings (members.list does not return them)", async () => {
    const api = directory(sandbox, ADMIN, MEMBER_READ);
    const outside = await api.members.get({ groupKey: "everyone@contoso.com", memberKey: "partner@fabrikam.example" });
    assert.deepEqual([outside.data.type, outside.data.delivery_settings], ["USER", "DIGEST"]);
    const byAlias = await api.members.get({ groupKey: "everyone@contoso.com", memberKey: "ben@contoso.com" });
    assert.deepEqual([byAlias.data.email, byAlias.data.delivery_settings], ["ben.adams@contoso.com", "NONE"]);
    assert.equal((await failure(api.members.get({ groupKey: "everyone@contoso.com", memberKey: "chloe.adams@contoso.com" }))).response.status, 404);
  });

  it("lists the primary and secondary domains, each with its domain aliases, and the domain aliases alone", async () => {
    const api = directory(sandbox, ADMIN, DOMAIN_READ);
    const domains = (await api.domains.list({ customer: "my_customer" })).data.domains ?? [];
    assert.deepEqual(
      domains.map((domain) => [domain.domainName, domain.isPrimary, domain.verified, domain.domainAliases?.map((alias) => [alias.domainAliasName, alias.parentDomainName])]),
      [
        ["contoso.com", true, true, [["gsuite.contoso.com", "contoso.com"], ["contoso.net", "contoso.com"]]],
        ["fabrikam-sales.com", false, true, [["sales.example", "fabrikam-sales.com"]]],
      ],
    );
    const aliases = await api.domainAliases.list({ customer: "my_customer", parentDomainName: "contoso.com" });
    assert.deepEqual(aliases.data.domainAliases?.map((alias) => alias.domainAliasName), ["gsuite.contoso.com", "contoso.net"]);
    assert.equal((await failure(api.domains.list({ customer: "C0other" }))).response.status, 403);
  });

  it("checks each method's scopes and the admin subject", async () => {
    const userScopeOnly = await failure(directory(sandbox, ADMIN).groups.list({ customer: "my_customer" }));
    assert.deepEqual([userScopeOnly.response.status, userScopeOnly.response.data.error.errors[0].reason], [403, "insufficientPermissions"]);
    const domainsWithGroupScope = await failure(directory(sandbox, ADMIN, GROUP_READ).domains.list({ customer: "my_customer" }));
    assert.equal(domainsWithGroupScope.response.status, 403);
    // The group scope also reads members; the member scope does not read groups.
    assert.equal((await directory(sandbox, ADMIN, GROUP_READ).members.list({ groupKey: "support@contoso.com" })).data.members?.length, 3);
    assert.equal((await failure(directory(sandbox, ADMIN, MEMBER_READ).groups.get({ groupKey: "support@contoso.com" }))).response.status, 403);
    const notAdmin = await failure(directory(sandbox, "ben.adams@contoso.com", GROUP_READ).groups.list({ customer: "my_customer" }));
    assert.deepEqual([notAdmin.response.status, notAdmin.response.data.error.message], [403, "Not Authorized to access this resource/api"]);
  });

  it("refuses a token for a scope the domain-wide delegation does not grant", async () => {
    const error = await failure(directory(sandbox, ADMIN, [`${SCOPE}admin.directory.group.member`]).members.list({ groupKey: "support@contoso.com" }));
    assert.match(String(error.message), /unauthorized_client/);
  });

  it("takes a deleted user out of its groups", async () => {
    await control(sandbox, "PUT", "google/users/maya.adams@contoso.com", { status: "deleted" });
    const members = (await directory(sandbox, ADMIN, GROUP_READ).members.list({ groupKey: "support@contoso.com" })).data.members ?? [];
    assert.deepEqual(members.map((member) => member.email), ["dev.adams@contoso.com", "liam.adams@contoso.com"]);
    await control(sandbox, "PUT", "google/users/maya.adams@contoso.com", { status: "active" });
  });
});
