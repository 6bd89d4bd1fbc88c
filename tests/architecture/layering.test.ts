import * as assert from "node:assert/strict";
import { importCircles, layerViolations, readImportGraph, REPO_ROOT, type ImportGraph } from "./imports";

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

    it("names every file of a circle", () => {
      assert.deepEqual(importCircles(broken), [
        "provider/clients/graph.ts → provider/resources/mailUser.ts → provider/clients/graph.ts",
        "sandbox/directory.ts → sandbox/store.ts → sandbox/mailflow.ts → sandbox/directory.ts",
      ]);
    });
  });
});
