import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { INVENTORY_HELP, runInventory, type DirectoryReads } from "../../cli/inventory";
import { GoogleApiError } from "../../provider/clients/google";
import { parseGroupsCsv } from "../../provider/components/groupsCsv";
import { parseUsersCsv } from "../../provider/components/usersCsv";
import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { startTestSandbox, useSandboxEnvironment } from "../sandbox/harness";

function run(argv: string[], directory?: DirectoryReads): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  return runInventory(argv, { out: (text) => (out += text), err: (text) => (err += text) }, directory).then((code) => ({ code, out, err }));
}

const read = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((name) => [name, fs.readFileSync(path.join(dir, name), "utf8")]));

describe("coexist inventory against the sandbox's demo tenant", function () {
  this.timeout(120_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;
  let dir: string;
  let first: Record<string, string>;

  before(async () => {
    sandbox = await startTestSandbox({});
    restoreEnvironment = useSandboxEnvironment(sandbox);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inventory-"));
    const result = await run(["--out", dir]);
    assert.strictEqual(result.code, 0, result.err);
    first = read(dir);
  });
  after(async () => {
    restoreEnvironment?.();
    await sandbox?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes users.csv, groups.csv, domains.csv and policy-config.json, with progress on stderr", async () => {
    assert.deepStrictEqual(Object.keys(first), ["domains.csv", "groups.csv", "policy-config.json", "users.csv"]);
    const again = await run(["--out", dir]);
    assert.match(again.err, /inventory: 50 users\ninventory: members of 3\/3 groups\n/);
  });

  it("users.csv is read by the root program's CSV parser unchanged: every user with a batch per department and their aliases", () => {
    const users = parseUsersCsv(first["users.csv"], { primaryDomain: "contoso.com" });
    assert.strictEqual(users.length, 50);
    assert.deepStrictEqual([...new Set(users.map((user) => user.batch))].sort(), ["Engineering", "Finance", "Sales"]);
    const dev = users.find((user) => user.email === "dev.adams@contoso.com")!;
    assert.deepStrictEqual(dev.aliases, ["dev@contoso.com", "devendra.adams@contoso.com", "dev.adams@contoso.net", "dev.adams@gsuite.contoso.com"]);
    assert.strictEqual(first["users.csv"].split("\n")[0], "email,firstName,lastName,batch,aliases");
  });

  it("groups.csv is read by the groups parser: each group with its aliases and members, plan left to the admin", () => {
    const groups = parseGroupsCsv(first["groups.csv"]);
    assert.deepStrictEqual(
      groups.map((group) => [group.email, group.name, group.aliases.join(" "), group.members.length, group.plan]),
      [
        ["eng-leads@contoso.com", "Engineering leads", "eng-leads@contoso.net eng-leads@gsuite.contoso.com", 4, undefined],
        ["launch@contoso.com", "Product launch", "launch-team@contoso.com launch@contoso.net launch@gsuite.contoso.com", 5, undefined],
        ["support@contoso.com", "Support desk", "help@contoso.com support@contoso.net support@gsuite.contoso.com", 3, undefined],
      ],
    );
  });

  it("domains.csv lists the primary domain and its alias domains; policy-config.json names every Google address with its kind", () => {
    assert.strictEqual(first["domains.csv"], "domain,kind,aliasOf\ncontoso.com,primary,\ncontoso.net,alias,contoso.com\ngsuite.contoso.com,alias,contoso.com\n");
    const facts = JSON.parse(first["policy-config.json"])["mail-flow-safety"];
    assert.deepStrictEqual(facts.googleDomains, ["contoso.com", "contoso.net", "gsuite.contoso.com"]);
    const kinds = (address: string) => facts.googleAddresses.find((entry: { address: string }) => entry.address === address);
    assert.deepStrictEqual(kinds("ben@contoso.com"), { address: "ben@contoso.com", kind: "user alias", owner: "ben.adams@contoso.com" });
    assert.deepStrictEqual(kinds("help@contoso.com"), { address: "help@contoso.com", kind: "group alias", owner: "support@contoso.com" });
    assert.deepStrictEqual(kinds("support@gsuite.contoso.com"), { address: "support@gsuite.contoso.com", kind: "alias-domain address", owner: "support@contoso.com" });
    assert.deepStrictEqual(facts.googleGroups.map((group: { email: string }) => group.email), ["eng-leads@contoso.com", "launch@contoso.com", "support@contoso.com"]);
  });

  it("a second run over the unchanged tenant writes the same bytes", async () => {
    const again = await run(["--out", dir]);
    assert.strictEqual(again.code, 0, again.err);
    assert.deepStrictEqual(read(dir), first);
  });

  it("--batch-by orgunit batches by org unit path", async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "inventory-ou-"));
    try {
      assert.strictEqual((await run(["--out", other, "--batch-by", "orgunit"])).code, 0);
      const users = parseUsersCsv(fs.readFileSync(path.join(other, "users.csv"), "utf8"), { primaryDomain: "contoso.com" });
      assert.deepStrictEqual([...new Set(users.map((user) => user.batch))], ["/"]);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("coexist inventory: usage and refusals", () => {
  const refusing = (what: "groups" | "domains"): DirectoryReads => ({
    users: async () => [],
    domains: async () => {
      if (what === "domains") throw new GoogleApiError("unauthorized_client: Client is unauthorized to retrieve access tokens using this method", { status: 401, reasons: ["unauthorized_client"] });
      return [{ domainName: "contoso.com", isPrimary: true }];
    },
    groups: async () => {
      if (what === "groups") throw new GoogleApiError("Not Authorized to access this resource/api", { status: 403, reasons: ["forbidden"] });
      return [];
    },
    members: async () => [],
  });

  for (const [what, scope] of [["groups", "admin.directory.group.readonly"], ["domains", "admin.directory.domain.readonly"]] as const) {
    it(`refuses when the ${what} scope is missing, naming ${scope} and where to delegate it, and writes nothing`, async () => {
      const dir = path.join(os.tmpdir(), `inventory-refused-${what}-${process.pid}`);
      const result = await run(["--out", dir], refusing(what));
      assert.strictEqual(result.code, 3);
      assert.match(result.err, new RegExp(`reading the Google ${what} was refused .*delegate ${scope.replace(/\./g, "\\.")} to the service account .*Domain-wide delegation`));
      assert.strictEqual(fs.existsSync(dir), false);
    });
  }

  it("--help prints the usage; a missing --out or an unknown --batch-by is a usage error (exit 2)", async () => {
    assert.deepStrictEqual(await run(["--help"]), { code: 0, out: INVENTORY_HELP, err: "" });
    const noOut = await run([]);
    assert.strictEqual(noOut.code, 2);
    assert.match(noOut.err, /--out <dir> is required/);
    const badBatch = await run(["--out", "x", "--batch-by", "team"]);
    assert.strictEqual(badBatch.code, 2);
    assert.match(badBatch.err, /--batch-by is department or orgunit, not "team"/);
  });
});
