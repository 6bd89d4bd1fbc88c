import assert from "node:assert/strict";
import { DEMO_SEED_PATH } from "pulumi-mail-coexistence-sandbox";
import { generateGoogleUsers, parseSeed, readSeedFile, withGeneratedUsers } from "pulumi-mail-coexistence-sandbox/seed";

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
    raw.google.groups = [];
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

  it("gives the demo tenant aliases on five users of three departments, and three groups: inside a department, across batches, staying at Google", () => {
    const { users, groups } = readSeedFile(DEMO_SEED_PATH).google;
    const aliased = users.filter((user) => (user.aliases ?? []).length > 0);
    assert.equal(aliased.length, 5);
    assert.deepEqual([...new Set(aliased.map((user) => user.department))].sort(), ["Engineering", "Finance", "Sales"]);
    const departmentsOf = (email: string) => new Set(groups.find((group) => group.email === email)?.members.map((member) => users.find((user) => user.primaryEmail === member.email)?.department));
    assert.deepEqual([...departmentsOf("eng-leads@contoso.com")], ["Engineering"]);
    assert.ok(departmentsOf("launch@contoso.com").size >= 2);
    assert.deepEqual(groups.find((group) => group.email === "support@contoso.com")?.aliases, ["help@contoso.com"]);
    assert.deepEqual(groups[0].members[0], { email: "ben.adams@contoso.com", type: "USER", role: "OWNER", deliverySettings: "ALL_MAIL" });
  });

  it("keeps the aliases of regenerated users and drops group members that are no longer users", () => {
    const seed = withGeneratedUsers(readSeedFile(DEMO_SEED_PATH), 3, 3);
    assert.deepEqual(seed.google.users.find((user) => user.primaryEmail === "ben.adams@contoso.com")?.aliases, ["ben@contoso.com"]);
    assert.deepEqual(seed.google.groups.map((group) => group.members.map((member) => member.email)), [["ben.adams@contoso.com"], ["ada.adams@contoso.com", "chloe.adams@contoso.com"], []]);
    assert.doesNotThrow(() => parseSeed(JSON.parse(JSON.stringify(seed))));
  });

  const invalid: [string, (seed: any) => void, RegExp][] = [
    ["a tenant id that is not a GUID", (seed) => (seed.microsoft[0].tenantId = "contoso"), /microsoft\[0\]\.tenantId/],
    ["an initial domain outside onmicrosoft.com", (seed) => (seed.microsoft[0].initialDomain = "contoso.com"), /initialDomain/],
    [
      "a mailbox that names no Entra user",
      (seed) => (seed.microsoft[0].exchange = { recipients: [{ type: "UserMailbox", name: "x", displayName: "x", primarySmtpAddress: "x@contoso.com" }] }),
      /microsoft\[0\]\.exchange\.recipients\[0\] has no userPrincipalName/,
    ],
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
    ["aliases for a user that is not generated", (seed) => (seed.google.generate = { users: 1, departments: 1, aliases: { "zed@contoso.com": ["z@contoso.com"] } }), /google\.generate\.aliases names zed@contoso\.com/],
    ["a group whose address a user has", (seed) => seed.google.groups.push({ email: "ben@contoso.com" }), /google\.groups\[3\] has ben@contoso\.com, which another user or group already has/],
    ["a group on an alias domain", (seed) => seed.google.groups.push({ email: "x@gsuite.contoso.com" }), /not on a primary or secondary domain/],
    ["a member no Workspace user has", (seed) => seed.google.groups.push({ email: "x@contoso.com", members: [{ email: "nobody@contoso.com" }] }), /members\[0\]\.email is nobody@contoso\.com, which no Workspace user has/],
    ["the member type EXTERNAL (Google reports outside members as USER)", (seed) => seed.google.groups.push({ email: "x@contoso.com", members: [{ email: "p@fabrikam.example", type: "EXTERNAL" }] }), /members\[0\]\.type is "EXTERNAL"/],
    ["a CUSTOMER member with an email", (seed) => seed.google.groups.push({ email: "x@contoso.com", members: [{ email: "ben.adams@contoso.com", type: "CUSTOMER" }] }), /CUSTOMER member with an email/],
    ["a member listed twice", (seed) => seed.google.groups.push({ email: "x@contoso.com", members: [{ email: "ben.adams@contoso.com" }, { email: "ben.adams@contoso.com" }] }), /lists ben\.adams@contoso\.com twice/],
    [
      "a membership cycle (the Directory API refuses them)",
      (seed) => seed.google.groups.push({ email: "a@contoso.com", members: [{ email: "b@contoso.com" }] }, { email: "b@contoso.com", members: [{ email: "a@contoso.com" }] }),
      /membership cycle \(a@contoso\.com → b@contoso\.com → a@contoso\.com\)/,
    ],
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
