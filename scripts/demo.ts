import * as path from "path";
import { repoRoot } from "./engine-env";
import { changedSteps, Stack } from "./stack";

// The engine journey every later stage builds on: preview, up, a no-op up, refresh and destroy of
// one dynamic resource, each checked from the engine's own output.
async function main(): Promise<void> {
  const stack = new Stack({
    projectDir: path.join(repoRoot, "tests", "fixtures", "engine-smoke"),
    stack: "demo",
    stateDir: path.join(repoRoot, ".pulumi", "demo"),
    passphrase: "demo-passphrase",
  });
  await stack.init();
  const stages: [string, () => Promise<string>][] = [
    ["preview", async () => `${changedSteps(await stack.preview()).length} changes planned`],
    ["up", async () => ((await stack.up()), `${(await stack.resources()).length} resource(s)`)],
    ["no-op up", async () => `${changedSteps(await stack.preview()).length} changes planned`],
    ["refresh", async () => ((await stack.refresh()), `${(await stack.resources()).length} resource(s)`)],
    ["destroy", async () => ((await stack.destroy()), `${(await stack.resources()).length} resource(s)`)],
  ];
  for (const [name, stage] of stages) {
    console.log(`demo: ${name.padEnd(9)} ${await stage()}`);
  }
  await stack.remove();
  console.log(`demo: stages=${stages.length}`);
}

main().catch((error: Error) => {
  console.error(`demo: failed: ${error.message}`);
  process.exit(1);
});
