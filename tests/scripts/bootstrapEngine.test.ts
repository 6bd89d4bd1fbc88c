import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../scripts/engine-env";

const BOOTSTRAP = join(repoRoot, "scripts", "bootstrap-engine.sh");
/** What the script runs besides the tools it looks for; Go is deliberately not among them. */
const SYSTEM_COMMANDS = ["bash", "cat", "sha256sum", "cut", "tr", "head", "sed", "mkdir", "ln", "rm", "chmod", "du", "mktemp", "dirname", "sleep"];

/**
 * A machine without Go: PATH holds only the system commands the script needs and, in `onPath`,
 * stand-ins for the tools a user may have installed.
 */
function machineWithoutGo(tools: { pulumi?: string; languageHost?: boolean; actionlint?: boolean }): { root: string; onPath: string; run(): { status: number; stderr: string } } {
  const root = mkdtempSync(join(tmpdir(), "coexist-bootstrap-"));
  const system = join(root, "system");
  const onPath = join(root, "on-path");
  mkdirSync(system);
  mkdirSync(onPath);
  for (const command of SYSTEM_COMMANDS) {
    const found = spawnSync("bash", ["-c", `command -v ${command}`], { encoding: "utf8" }).stdout.trim();
    symlinkSync(found, join(system, command));
  }
  symlinkSync(process.execPath, join(system, "node"));
  const script = (name: string, body: string): void => {
    writeFileSync(join(onPath, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(onPath, name), 0o755);
  };
  if (tools.pulumi) script("pulumi", `[ "$1" = version ] && echo ${tools.pulumi}`);
  if (tools.languageHost) script("pulumi-language-nodejs", "exit 0");
  if (tools.actionlint) script("actionlint", "echo v1.7.12");
  return {
    root,
    onPath,
    run: () => {
      const result = spawnSync("bash", [BOOTSTRAP], {
        encoding: "utf8",
        env: { PATH: `${onPath}:${system}`, HOME: root, COEXIST_TOOLS_DIR: join(root, "tools") },
      });
      return { status: result.status ?? -1, stderr: result.stderr };
    },
  };
}

describe("scripts/bootstrap-engine.sh without Go (issue 17, point 5)", () => {
  const machines: string[] = [];
  const machine = (tools: Parameters<typeof machineWithoutGo>[0]): ReturnType<typeof machineWithoutGo> => {
    const made = machineWithoutGo(tools);
    machines.push(made.root);
    return made;
  };
  after(() => machines.forEach((root) => rmSync(root, { recursive: true, force: true })));

  it("links pulumi v3.248.0, the language host and actionlint found on PATH, and builds nothing", () => {
    const { root, onPath, run } = machine({ pulumi: "v3.248.0", languageHost: true, actionlint: true });
    const { status, stderr } = run();
    assert.equal(status, 0, stderr);
    assert.match(stderr, new RegExp(`using pulumi v3\\.248\\.0 from ${onPath}/pulumi`));
    assert.match(stderr, new RegExp(`using pulumi-language-nodejs from ${onPath}/pulumi-language-nodejs`));
    assert.match(stderr, new RegExp(`using actionlint from ${onPath}/actionlint`));
    assert.doesNotMatch(stderr, /building|Go/);
    const bin = join(root, "tools", "bin");
    assert.equal(readlinkSync(join(bin, "pulumi")), join(onPath, "pulumi"));
    assert.equal(readlinkSync(join(bin, "pulumi-language-nodejs")), join(onPath, "pulumi-language-nodejs"));
    assert.ok(existsSync(join(bin, "pulumi-resource-pulumi-nodejs")) && existsSync(join(bin, "pulumi-analyzer-policy")), "the shims are written");
    assert.match(run().stderr, /ready in .* \(cached\)/, "a second run only checks");
  });

  it("names the language host it would have to build, why, and what to put on PATH instead", () => {
    const { status, stderr } = machine({ pulumi: "v3.248.0", actionlint: true }).run();
    assert.equal(status, 1);
    assert.match(stderr, /using pulumi v3\.248\.0 from/);
    assert.match(
      stderr,
      /engine: error: pulumi-language-nodejs must be built \(no pulumi-language-nodejs on PATH, and the Go module proxy does not serve Pulumi's\), and that needs Go 1\.25\+, which is not on PATH\. Either put pulumi-language-nodejs on PATH, or install Go/,
    );
  });

  it("says which pulumi it found and why it does not do", () => {
    const { status, stderr } = machine({ pulumi: "v3.200.0", languageHost: true }).run();
    assert.equal(status, 1);
    assert.match(stderr, /engine: error: pulumi v3\.248\.0 must be built \(the pulumi on PATH, .*\/pulumi, is v3\.200\.0, not v3\.248\.0\), and that needs Go/);
  });

  it("says there is no pulumi on PATH", () => {
    const { status, stderr } = machine({ languageHost: true }).run();
    assert.equal(status, 1);
    assert.match(stderr, /pulumi v3\.248\.0 must be built \(no pulumi on PATH\)/);
  });

  it("completes the engine without actionlint, saying that only the workflow test needs it, and looks again next time", () => {
    const { root, run } = machine({ pulumi: "v3.248.0", languageHost: true });
    const { status, stderr } = run();
    assert.equal(status, 0, stderr);
    assert.match(stderr, /actionlint not installed: none is on PATH and building it needs Go; only the test of examples\/gitops's workflow uses it/);
    assert.ok(!existsSync(join(root, "tools", "engine.stamp")), "no stamp: the next run looks for actionlint again");
    assert.doesNotMatch(run().stderr, /\(cached\)/);
  });
});

