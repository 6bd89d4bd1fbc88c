import * as assert from "node:assert/strict";
import { importCircles, layerViolations, packageBoundaryCrossings, readImportGraph, readImports, REPO_ROOT, type ImportGraph, type SourceImports } from "./imports";

describe("layering (docs/ARCHITECTURE.md)", () => {
  const graph = readImportGraph(REPO_ROOT);

  it("reads the real tree", () => {
    assert.ok(graph.size > 50, `only ${graph.size} source files found under ${REPO_ROOT}`);
    assert.ok((graph.get("provider/resources/mailUser.ts") ?? []).length > 0, "mailUser.ts imports nothing?");
  });

  it("has no import that points up a layer or sideways out of it", () => {
    assert.deepEqual(layerViolations(graph), []);
  });

  it("has no import circle", () => {
    assert.deepEqual(importCircles(graph), []);
  });

  it("reads the sandbox's imports of the routing model by package name", () => {
    assert.ok((graph.get("sandbox/mailflow.ts") ?? []).includes("provider/routing/model.ts"), "sandbox/mailflow.ts → pulumi-mail-coexistence/routing/model not read");
    assert.ok((graph.get("tests/sandbox/index.test.ts") ?? []).includes("sandbox/index.ts"), "tests/sandbox/index.test.ts → pulumi-mail-coexistence-sandbox not read");
  });

  it("crosses the sandbox package's boundary only by package name", () => {
    assert.deepEqual(packageBoundaryCrossings(readImports(REPO_ROOT)), []);
  });

  describe("fails on a tree that breaks the rule", () => {
    const broken: ImportGraph = new Map([
      ["provider/routing/model.ts", ["provider/routing/types.ts"]],
      ["provider/routing/types.ts", []],
      ["provider/clients/graph.ts", ["provider/resources/mailUser.ts", "provider/config.ts"]],
      ["provider/config.ts", []],
      ["provider/resources/mailUser.ts", ["provider/clients/graph.ts"]],
      ["sandbox/store.ts", ["sandbox/mailflow.ts"]],
      ["sandbox/mailflow.ts", ["sandbox/directory.ts", "provider/routing/model.ts"]],
      ["sandbox/directory.ts", ["sandbox/store.ts"]],
      ["policy/plannedState.ts", ["provider/components/plan.ts"]],
      ["provider/components/plan.ts", []],
    ]);

    it("names the file of an upward or sideways import and the layers", () => {
      assert.deepEqual(layerViolations(broken), [
        "policy/plannedState.ts → provider/components/plan.ts (the policy pack may not import the component)",
        "provider/clients/graph.ts → provider/resources/mailUser.ts (the clients may not import the resources)",
      ]);
    });

    it("names a relative import across the sandbox package's boundary, not one by package name", () => {
      const imports: SourceImports = new Map([
        ["sandbox/mailflow.ts", [{ target: "provider/routing/model.ts", relative: true }]],
        ["sandbox/directory.ts", [{ target: "provider/routing/addresses.ts", relative: false }]],
        ["cli/index.ts", [{ target: "sandbox/cli.ts", relative: true }]],
        ["tests/sandbox/store.test.ts", [{ target: "sandbox/store.ts", relative: false }]],
      ]);
      assert.deepEqual(packageBoundaryCrossings(imports), [
        "cli/index.ts → sandbox/cli.ts (a relative path across the sandbox package's boundary)",
        "sandbox/mailflow.ts → provider/routing/model.ts (a relative path across the sandbox package's boundary)",
      ]);
    });

    it("names every file of a circle", () => {
      assert.deepEqual(importCircles(broken), [
        "provider/clients/graph.ts → provider/resources/mailUser.ts → provider/clients/graph.ts",
        "sandbox/directory.ts → sandbox/store.ts → sandbox/mailflow.ts → sandbox/directory.ts",
      ]);
    });
  });
});
