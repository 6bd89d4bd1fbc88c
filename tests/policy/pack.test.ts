import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { TenantFacts } from "../../policy/plannedState";
import { repoRoot } from "../../scripts/engine-env";
import { Stack } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";
import { SAFE_STAGES, SAFE_WITH_GOOGLE_FACTS, UNSAFE_STACKS, UNSAFE_WITH_GOOGLE_FACTS, type DeclaredResource } from "./stacks";

const policyPack = path.join(repoRoot, "policy");

/**
 * Each preview through the engine takes seconds, so this suite runs the stacks that show the pack's
 * wiring (per-user and set resources, mandatory and advisory levels, the policy config in both
 * forms); tests/policy/checks.test.ts runs every stack through the same checks without the engine.
 */
const ENGINE_SAFE = ["coexistence, nobody migrated", "pilot batch migrated (forwarded), per batch"];
const ENGINE_UNSAFE = [
  "forwarding to a mail user that has no licence",
  "forwarding set of a batch without its licence set",
  "Internal Relay without the connector",
  "forwarding that keeps a copy at Google",
  "a destroy before cutover removes a migrated user's forwarding and licence resources while her mailbox stays",
  "cutover with a group nobody planned",
];
const UNSAFE = { ...UNSAFE_STACKS, ...UNSAFE_WITH_GOOGLE_FACTS };

describe("pulumi preview --policy-pack policy, through the real engine", function () {
  this.timeout(180_000);
  const state = tempStateDir("policy");
  const stack = new Stack({
    projectDir: path.join(repoRoot, "tests", "fixtures", "policy-stack"),
    stack: "policy",
    stateDir: state.dir,
    passphrase: "policy-test-passphrase",
  });

  /** A preview of the declared stack, with the tenant facts in the pack's config (`mail-flow-safety`) and any other policy's config. */
  async function previewWithPack(resources: DeclaredResource[], facts?: TenantFacts, otherConfig: Record<string, unknown> = {}) {
    await stack.setConfig({ resources: JSON.stringify(resources) });
    const configFile = path.join(state.dir, "policy-config.json");
    fs.writeFileSync(configFile, JSON.stringify({ ...(facts && { "mail-flow-safety": facts }), ...otherConfig }));
    const result = await stack.run(["preview", "--policy-pack", policyPack, "--policy-pack-config", configFile], true);
    return { ...result, output: `${result.stdout}\n${result.stderr}` };
  }

  before(() => stack.init());
  after(async () => {
    await stack.remove();
    state.cleanup();
  });

  for (const stage of ENGINE_SAFE) {
    it(`lets the safe stage "${stage}" through without a finding`, async () => {
      const { code, output } = await previewWithPack(SAFE_STAGES[stage]);
      assert.strictEqual(code, 0, output);
      assert.doesNotMatch(output, /\[(mandatory|advisory)\]/, output);
    });
  }

  it("reads the tenant facts from mail-flow-safety and the older per-policy config: a group kept at Google passes, an SPF record without Google's include warns", async () => {
    const stage = "cutover, everybody migrated, the group kept at Google behind a mail contact";
    const { resources, facts } = SAFE_WITH_GOOGLE_FACTS[stage];
    const spf = { "spf-includes-both-systems": { spf: { "contoso.com": "v=spf1 include:_spf.google.com -all" } } };
    const { code, output } = await previewWithPack(resources, facts, spf);
    assert.strictEqual(code, 0, output);
    const findings = (output.match(/\[(mandatory|advisory)\]\s+\S+/g) ?? []).map((finding) => finding.replace(/\s+/, " "));
    assert.deepStrictEqual(findings, ["[advisory] spf-includes-both-systems"], output);
    assert.match(output, /lacks include:spf\.protection\.outlook\.com/);
  });

  for (const mistake of ENGINE_UNSAFE) {
    const { resources, facts, policy, mentions } = UNSAFE[mistake];
    const mandatory = !policy.startsWith("forwarding-keeps-no-copy");
    it(`${mandatory ? "rejects" : "warns about"} "${mistake}" with ${policy}, naming the user and the fix`, async () => {
      const { code, output } = await previewWithPack(resources, facts);
      assert.strictEqual(code !== 0, mandatory, output);
      assert.match(output, new RegExp(`\\[${mandatory ? "mandatory" : "advisory"}\\]\\s+${policy}`), output);
      for (const words of mentions) assert.ok(output.includes(words), `"${words}" missing from:\n${output}`);
    });
  }
});
