import * as assert from "assert";
import { addRemove, invoke } from "../../provider/clients/exchange";
import { resolveSeed } from "pulumi-mail-coexistence-sandbox";
import { SandboxStack } from "./sandboxStack";

const PASSWORD = "Sandbox-Set-Secret-Pa55word";
const address = (first: string): string => `${first}.baker@contoso.com`;
const user = (first: string): Record<string, string> => ({
  name: `${first} Baker`,
  alias: `${first}.baker`,
  microsoftOnlineServicesId: address(first),
  routingAddress: `${first}.baker@o365.contoso.com`,
});
const batch = (...firsts: string[]): Record<string, Record<string, string>> => Object.fromEntries(firsts.map((first) => [address(first), user(first)]));
const FIRST_BATCH = batch("ben", "chloe", "dana", "eli", "fay");

interface Recipient {
  guid: string;
  displayName: string;
  emailAddresses: string[];
}

describe("MailUserSet with the real engine against the sandbox", function () {
  this.timeout(600_000);
  let env: SandboxStack;
  /** Everything the engine printed, to be searched for the password. */
  const engineOutput: string[] = [];
  const run = async (command: Promise<{ stdout: string; stderr: string }>): Promise<string> => {
    const { stdout, stderr } = await command;
    engineOutput.push(stdout, stderr);
    return stdout + stderr;
  };
  const recipient = (address: string): Promise<Recipient | undefined> => env.recipient<Recipient>(address);
  const plan = async (users: Record<string, unknown>): Promise<[string, string, string[]][]> => {
    const { steps, preview } = await env.plan(users);
    engineOutput.push(JSON.stringify(preview));
    return steps;
  };
  const storedUsers = async (): Promise<Record<string, Record<string, unknown>>> =>
    (await env.stack.resources()).find((entry) => entry.type === "pulumi-nodejs:dynamic/coexist:MailUserSet")!.outputs!.users as Record<string, Record<string, unknown>>;
  /** Exchange write operations since the last reset, with how often each ran. */
  const exchangeWrites = async (): Promise<Record<string, number>> => {
    const stats = (await env.control("GET", "/sandbox/stats")) as { apis: Record<string, { byOperation: Record<string, number> }> };
    return Object.fromEntries(Object.entries(stats.apis.exchange?.byOperation ?? {}).filter(([operation]) => !operation.startsWith("Get-")));
  };

  before(async () => {
    const seed = resolveSeed({});
    const tenant = seed.microsoft[0];
    tenant.domains.push({ name: "o365.contoso.com", isVerified: true, supportedServices: ["Email"] });
    tenant.acceptedDomainTypes = { "contoso.com": "InternalRelay" };
    env = await SandboxStack.start("mailUserSet", seed);
    await env.stack.setConfig({}, { "mailUserSet:password": PASSWORD });
  });
  after(async () => env?.stop());

  it("previews five users as one create and calls no API", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await plan(FIRST_BATCH), [["create", "batch", []]]);
    assert.deepStrictEqual(await env.calls(), []);
  });

  it("creates the five mail users, each with its routing address", async () => {
    await run(env.stack.up());
    for (const first of ["ben", "chloe", "dana", "eli", "fay"]) {
      assert.deepStrictEqual((await recipient(address(first)))?.emailAddresses, [`SMTP:${address(first)}`, `smtp:${first}.baker@o365.contoso.com`], first);
    }
    assert.strictEqual((await storedUsers())[address("ben")].id, (await recipient(address("ben")))?.guid, "each item keeps its Exchange GUID as id");
  });

  it("plans nothing on a second preview", async () => {
    assert.deepStrictEqual(await plan(FIRST_BATCH), []);
  });

  const changedBatch = { ...batch("ben", "chloe", "dana", "eli", "gus"), [address("ben")]: { ...user("ben"), displayName: "Ben B." } };

  it("plans one update of the set for a changed, a removed and an added user, and the preview names just those", async () => {
    await env.resetStats();
    assert.deepStrictEqual(await plan(changedBatch), [["update", "batch", []]]);
    assert.deepStrictEqual(await env.writes(), []);
    // The SDK's dynamic-provider layer drops a diff's detailedDiff, so the set names its changes itself.
    const preview = await run(env.stack.run(["preview", "--diff"]));
    assert.match(preview, /MailUserSet: plans 3 of 6 users: update ben\.baker@contoso\.com; delete fay\.baker@contoso\.com; create gus\.baker@contoso\.com/);
  });

  it("writes only for those three users", async () => {
    await env.resetStats();
    await run(env.stack.up());
    // Gus: New-MailUser, then Set-MailUser for the mark and routing address, and Graph blocks his
    // sign-in; Ben: Set-MailUser; Fay: Remove-MailUser.
    assert.deepStrictEqual(await exchangeWrites(), { "New-MailUser": 1, "Remove-MailUser": 1, "Set-MailUser": 2 });
    assert.deepStrictEqual(await env.writes(), ["exchange New-MailUser", "exchange Remove-MailUser", "exchange Set-MailUser", "graph PATCH /users/{id}"]);
    assert.strictEqual((await recipient(address("ben")))?.displayName, "Ben B.");
    assert.strictEqual(await recipient(address("fay")), undefined);
    assert.deepStrictEqual(Object.keys(await storedUsers()).sort(), Object.keys(changedBatch).sort());
    assert.deepStrictEqual(await plan(changedBatch), []);
  });

  it("finds a routing address removed out of band on refresh, and the next up adds it back", async () => {
    await invoke("Set-MailUser", { Identity: address("chloe"), EmailAddresses: addRemove({ remove: "smtp:chloe.baker@o365.contoso.com" }) });
    await run(env.stack.refresh());
    assert.deepStrictEqual((await storedUsers())[address("chloe")].emailAddresses, [`SMTP:${address("chloe")}`]);
    assert.deepStrictEqual(await plan(changedBatch), [["update", "batch", []]]);
    await env.resetStats();
    await run(env.stack.up());
    assert.deepStrictEqual(await exchangeWrites(), { "Set-MailUser": 1 });
    assert.deepStrictEqual((await recipient(address("chloe")))?.emailAddresses, [`SMTP:${address("chloe")}`, "smtp:chloe.baker@o365.contoso.com"]);
  });

  it("keeps the password out of the stack export, and its one fingerprint secret", async () => {
    const exported = await env.stack.exportStack();
    assert.ok(!JSON.stringify(exported).includes(PASSWORD));
    const set = exported.deployment.resources!.find((entry) => entry.type === "pulumi-nodejs:dynamic/coexist:MailUserSet")!;
    assert.match(JSON.stringify(set.outputs?.passwordHash), /ciphertext/, "passwordHash is a secret output");
    assert.ok(Object.values(set.outputs?.users as Record<string, Record<string, unknown>>).every((item) => !("passwordHash" in item)));
  });

  it("destroy removes the mail users", async () => {
    await run(env.stack.destroy());
    for (const first of Object.keys(changedBatch)) assert.strictEqual(await recipient(first), undefined, first);
  });

  it("never printed the password in any engine output", () => {
    assert.ok(engineOutput.length > 0);
    assert.ok(!engineOutput.join("\n").includes(PASSWORD));
  });
});
