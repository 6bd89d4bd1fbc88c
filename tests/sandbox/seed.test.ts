import assert from "node:assert/strict";
import { DEMO_SEED_PATH } from "../../sandbox/index";
import { generateGoogleUsers, parseSeed, readSeedFile, withGeneratedUsers } from "../../sandbox/seed";

describe("sandbox seeds", () => {
  it("ships a demo seed with 50 Google users in 3 departments and the three test messages", () => {
    const seed = readSeedFile(DEMO_SEED_PATH);
    assert.equal(seed.google.users.length, 50);
    assert.equal(new Set(seed.google.users.map((user) => user.department)).size, 3);
    assert.equal(seed.microsoft[0].initialDomain, "contoso.onmicrosoft.com");
    assert.equal(seed.testMessages.length, 3);
    assert.equal(seed.behaviour.licenceConversionDelaySeconds, 3);
  });

  const generated: [number, number][] = [
    [0, 1],
    [5, 2],
    [500, 8],
    [10_000, 3],
  ];
  for (const [count, departments] of generated) {
    it(`generates ${count} unique users over ${departments} department(s)`, () => {
      const users = generateGoogleUsers(count, departments, "contoso.com");
      assert.equal(users.length, count);
      assert.equal(new Set(users.map((user) => user.primaryEmail)).size, count);
      assert.equal(new Set(users.map((user) => user.department)).size, Math.min(count, departments));
    });
  }

  it("replaces the demo's users but keeps its admins", () => {
    const seed = withGeneratedUsers(readSeedFile(DEMO_SEED_PATH), 5, 1);
    assert.equal(seed.google.users.length, 5);
    assert.deepEqual(withGeneratedUsers(readSeedFile(DEMO_SEED_PATH), 0, 1).google.users.map((user) => user.primaryEmail), ["ada.adams@contoso.com"]);
    assert.ok(seed.google.users.some((user) => user.primaryEmail === "ada.adams@contoso.com"));
  });

  it("gives every Google user one status: status, else the older suspended: true, else active", () => {
    const raw = JSON.parse(JSON.stringify(readSeedFile(DEMO_SEED_PATH)));
    delete raw.google.generate;
    raw.google.users = [
      { primaryEmail: "A@contoso.com", givenName: "A", familyName: "A" },
      { primaryEmail: "b@contoso.com", givenName: "B", familyName: "B", suspended: true },
      { primaryEmail: "c@contoso.com", givenName: "C", familyName: "C", status: "deleted" },
      { primaryEmail: "d@contoso.com", givenName: "D", familyName: "D", status: "suspended", suspended: true },
    ];
    const users = parseSeed(raw).google.users;
    assert.deepEqual(users.map((user) => [user.primaryEmail, user.status, user.suspended]), [
      ["a@contoso.com", "active", undefined],
      ["b@contoso.com", "suspended", undefined],
      ["c@contoso.com", "deleted", undefined],
      ["d@contoso.com", "suspended", undefined],
    ]);
    assert.equal(parseSeed(raw).google.staticToken, "anyMailbox");
  });

  it("gives an app seeded without grants every permission, Exchange.ManageAsApp and Global Administrator (the sandbox as it always was)", () => {
    const raw = JSON.parse(JSON.stringify(readSeedFile(DEMO_SEED_PATH)));
    const fabrikam = parseSeed(raw).microsoft[1].apps[0];
    assert.ok(fabrikam.graphPermissions.includes("Directory.ReadWrite.All"));
    assert.deepEqual([fabrikam.exchangePermissions, fabrikam.directoryRoles], [["Exchange.ManageAsApp"], ["Global Administrator"]]);
  });

  const invalid: [string, (seed: any) => void, RegExp][] = [
    ["a tenant id that is not a GUID", (seed) => (seed.microsoft[0].tenantId = "contoso"), /microsoft\[0\]\.tenantId/],
    ["an initial domain outside onmicrosoft.com", (seed) => (seed.microsoft[0].initialDomain = "contoso.com"), /initialDomain/],
    ["no app registration", (seed) => (seed.microsoft[0].apps = []), /apps/],
    ["a negative conversion delay", (seed) => (seed.behaviour.licenceConversionDelaySeconds = -1), /licenceConversionDelaySeconds/],
    ["no Google domain", (seed) => (seed.google.domains = []), /google\.domains/],
    ["a negative user count", (seed) => (seed.google.generate = { users: -1, departments: 1 }), /google\.generate\.users/],
    ["a Google user status it does not know", (seed) => seed.google.users.push({ primaryEmail: "x@contoso.com", givenName: "X", familyName: "Y", status: "archived" }), /google\.users\[50\]\.status/],
    ["suspended: true beside another status", (seed) => seed.google.users.push({ primaryEmail: "x@contoso.com", givenName: "X", familyName: "Y", status: "deleted", suspended: true }), /google\.users\[50\]\.suspended/],
    ["an unknown static-token reach", (seed) => (seed.google.staticToken = "everything"), /google\.staticToken/],
    ["a Graph permission the sandbox does not know", (seed) => (seed.microsoft[0].apps[0].graphPermissions = ["Domain.ReadWrite.Al"]), /microsoft\[0\]\.apps\[0\]\.graphPermissions has "Domain\.ReadWrite\.Al"/],
    ["a directory role the sandbox does not know", (seed) => (seed.microsoft[0].apps[0].directoryRoles = ["Exchange Admin"]), /apps\[0\]\.directoryRoles has "Exchange Admin"/],
    ["a user role the sandbox does not know", (seed) => (seed.microsoft[0].users[0].directoryRoles = ["Root"]), /users\[0\]\.directoryRoles has "Root"/],
    ["an unknown lag point", (seed) => (seed.behaviour.lag = { domainSeconds: [1, 2] }), /behaviour\.lag\.domainSeconds/],
  ];
  for (const [name, mutate, field] of invalid) {
    it(`names the field when a seed has ${name}`, () => {
      const raw = JSON.parse(JSON.stringify(readSeedFile(DEMO_SEED_PATH)));
      delete raw.google.generate;
      mutate(raw);
      assert.throws(() => parseSeed(raw), field);
    });
  }
});
