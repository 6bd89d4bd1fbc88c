import * as assert from "assert";
import * as path from "path";
import { repoRoot } from "../../scripts/engine-env";
import { changedSteps, Stack, urnName } from "../../scripts/stack";
import { tempStateDir } from "../helpers/tempState";

const greetingType = "pulumi-nodejs:dynamic/smoke:Greeting";

describe("the offline Pulumi engine runs a dynamic provider through its whole lifecycle", function () {
  this.timeout(180_000);
  const state = tempStateDir("smoke");
  const stack = new Stack({
    projectDir: path.join(repoRoot, "tests", "fixtures", "engine-smoke"),
    stack: "smoke",
    stateDir: state.dir,
    passphrase: "smoke-test-passphrase",
  });

  before(() => stack.init({ "engine-smoke:name": "coexistence" }));
  after(async () => {
    await stack.remove();
    state.cleanup();
  });

  it("previews exactly one create", async () => {
    const preview = await stack.preview();
    const steps = changedSteps(preview).filter((s) => s.newState?.type === greetingType);
    assert.deepStrictEqual(steps.map((s) => [s.op, urnName(s.urn)]), [["create", "greeting"]]);
    assert.strictEqual(preview.changeSummary.create, 2, "the stack and the greeting");
  });

  it("creates it with up, and the state holds its outputs and serialized provider", async () => {
    await stack.up();
    const [greeting] = await stack.resources();
    assert.strictEqual(greeting.type, greetingType);
    assert.strictEqual(greeting.id, "greeting-coexistence");
    assert.strictEqual(greeting.outputs?.text, "hello coexistence");
    assert.match(String(greeting.outputs?.__provider), /exports\.handler/);
    assert.deepStrictEqual(await stack.outputs(), { text: "hello coexistence" });
  });

  it("reports no changes on a second up", async () => {
    const preview = await stack.preview();
    assert.deepStrictEqual(changedSteps(preview), []);
    const result = await stack.up();
    assert.doesNotMatch(result.stdout, /\+ 1 to create|~ 1 to update|- 1 to delete/);
  });

  it("keeps the resource on refresh", async () => {
    await stack.refresh();
    const resources = await stack.resources();
    assert.deepStrictEqual(resources.map((r) => [r.type, r.id]), [[greetingType, "greeting-coexistence"]]);
  });

  it("leaves an empty stack after destroy", async () => {
    await stack.destroy();
    const exported = await stack.exportStack();
    assert.deepStrictEqual(exported.deployment.resources ?? [], []);
  });
});
