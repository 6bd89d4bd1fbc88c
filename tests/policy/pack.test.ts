import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../../scripts/engine-env";
import { Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";
import { SAFE_STAGES, UNSAFE_STACKS, type DeclaredResource } from "./stacks";

const policyPack = path.join(repoRoot, "policy");

describe("pulumi preview --policy-pack policy, through the real engine", function () {
  this.timeout(180_000);
  const state = tempStateDir("policy");
  const stack = new Stack({
    projectDir: path.join(repoRoot, "tests", "fixtures", "policy-stack"),
    stack: "policy",
    stateDir: state.dir,
    passphrase: "policy-test-passphrase",
  });

  async function previewWithPack(resources: DeclaredResource[], extraArgs: string[] = []) {
    await stack.setConfig({ resources: JSON.stringify(resources) });
    const result = await stack.run(["preview", "--policy-pack", policyPack, ...extraArgs], true);
    return { ...result, output: `${result.stdout}\n${result.stderr}` };
  }

  before(() => stack.init());
  after(async () => {
    await stack.remove();
    state.cleanup();
  });

  for (const [stage, resources] of Object.entries(SAFE_STAGES)) {
    it(`lets the safe stage "${stage}" through without a finding`, async () => {
      const { code, output } = await previewWithPack(resources);
      assert.strictEqual(code, 0, output);
      assert.doesNotMatch(output, /\[(mandatory|advisory)\]/, output);
    });
  }

  for (const [mistake, { resources, policy, mentions }] of Object.entries(UNSAFE_STACKS)) {
    const mandatory = !policy.startsWith("forwarding-keeps-no-copy");
    it(`${mandatory ? "rejects" : "warns about"} "${mistake}" with ${policy}, naming the user and the fix`, async () => {
      const { code, output } = await previewWithPack(resources);
      assert.strictEqual(code !== 0, mandatory, output);
      assert.match(output, new RegExp(`\\[${mandatory ? "mandatory" : "advisory"}\\]\\s+${policy}`), output);
      for (const words of mentions) assert.ok(output.includes(words), `"${words}" missing from:\n${output}`);
    });
  }

  it("reads tenant facts from --policy-pack-config: an SPF record without Google's include is a warning", async () => {
    const configFile = path.join(state.dir, "policy-config.json");
    const facts = { spf: { "contoso.com": "v=spf1 include:spf.protection.outlook.com -all" } };
    fs.writeFileSync(configFile, JSON.stringify({ "spf-includes-both-systems": facts }));
    const { code, output } = await previewWithPack(SAFE_STAGES["pilot batch migrated (forwarded)"], ["--policy-pack-config", configFile]);
    assert.strictEqual(code, 0, output);
    assert.match(output, /\[advisory\]\s+spf-includes-both-systems/);
    assert.match(output, /lacks include:_spf\.google\.com/);
  });
});
