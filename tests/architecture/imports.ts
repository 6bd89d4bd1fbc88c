/**
 * The import graph of the source tree and the layering rule of docs/ARCHITECTURE.md, as data, so
 * the rule can be checked against the real tree and against made-up trees that break it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import * as ts from "typescript";

/** Source file (repository-relative, `/`-separated, with `.ts`) → the source files it imports. */
export type ImportGraph = Map<string, string[]>;

/** A layer: the files it holds (by prefix) and the layers they may import besides their own. */
export interface Layer {
  name: string;
  prefixes: string[];
  mayImport: string[];
}

/** docs/ARCHITECTURE.md's table, bottom first. `tests/` and `scripts/` sit on top and may import anything. */
export const LAYERS: Layer[] = [
  { name: "routing model", prefixes: ["provider/routing/"], mayImport: [] },
  { name: "config", prefixes: ["provider/config.ts"], mayImport: [] },
  { name: "clients", prefixes: ["provider/clients/"], mayImport: ["config", "routing model"] },
  { name: "resources", prefixes: ["provider/resources/"], mayImport: ["clients", "config", "routing model"] },
  { name: "component", prefixes: ["provider/components/"], mayImport: ["resources", "clients", "config", "routing model"] },
  { name: "package entry", prefixes: ["provider/index.ts"], mayImport: ["component", "resources", "clients", "config", "routing model"] },
  { name: "sandbox", prefixes: ["sandbox/"], mayImport: ["routing model"] },
  { name: "policy pack", prefixes: ["policy/"], mayImport: ["routing model"] },
  { name: "command line", prefixes: ["cli/"], mayImport: ["package entry", "component", "resources", "clients", "config", "routing model", "sandbox"] },
  { name: "root program", prefixes: ["program/"], mayImport: ["package entry", "component", "resources", "clients", "config", "routing model"] },
];

/** The folders whose TypeScript sources form the package and its tools (tests and scripts are checked for circles only). */
export const SOURCE_ROOTS = ["provider", "sandbox", "policy", "cli", "program", "scripts", "tests"];

/** Folders inside a source root that hold build output or installed packages, not sources. */
const BUILD_FOLDERS = new Set(["dist", "node_modules"]);

/**
 * The two packages of the repository, by the name they are imported with: the sandbox
 * (`sandbox/`, compiled into `sandbox/dist`) and the resources package (everything else), whose
 * routing model the sandbox imports through the `routing/*` export. A specifier maps to the
 * source file it names.
 */
const PACKAGE_SOURCES: { name: string; folder: string; subpaths: [string, string][] }[] = [
  { name: "pulumi-mail-coexistence-sandbox", folder: "sandbox", subpaths: [["", "sandbox/"]] },
  { name: "pulumi-mail-coexistence", folder: "provider", subpaths: [["routing/", "provider/routing/"], ["dist/provider/", "provider/"]] },
];

/** The source file a package-name import names, e.g. `pulumi-mail-coexistence/routing/model` → provider/routing/model.ts. */
function packageSource(files: Set<string>, specifier: string): string | undefined {
  for (const { name, folder, subpaths } of PACKAGE_SOURCES) {
    if (specifier === name) return resolveSource(files, `${folder}/index`);
    if (!specifier.startsWith(`${name}/`)) continue;
    const subpath = specifier.slice(name.length + 1);
    const [prefix, sourcePrefix] = subpaths.find(([from]) => subpath.startsWith(from)) ?? [];
    return prefix === undefined ? undefined : resolveSource(files, `${sourcePrefix}${subpath.slice(prefix.length)}`);
  }
  return undefined;
}

function tsFiles(root: string, folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        if (!BUILD_FOLDERS.has(entry)) walk(path);
      }
      else if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) found.push(relative(root, path).split(sep).join("/"));
    }
  };
  walk(join(root, folder));
  return found;
}

/** One import of a source file: the file it names, and whether it names it by a relative path. */
export interface SourceImport {
  target: string;
  relative: boolean;
}

/** Source file → what it imports, as `readImportGraph` reads it but keeping how each import names its file. */
export type SourceImports = Map<string, SourceImport[]>;

export function readImports(root: string, folders: string[] = SOURCE_ROOTS): SourceImports {
  const files = new Set(folders.flatMap((folder) => tsFiles(root, folder)));
  const imports: SourceImports = new Map();
  for (const file of files) {
    const found: SourceImport[] = [];
    for (const { fileName } of ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true).importedFiles) {
      const relative = fileName.startsWith(".");
      const target = relative ? resolveSource(files, posix.join(posix.dirname(file), fileName)) : packageSource(files, fileName);
      if (target !== undefined) found.push({ target, relative });
    }
    imports.set(file, found);
  }
  return imports;
}

/** Every import, require and `import()` (type positions included) of the tree's sources: relative ones and those by package name. */
export function readImportGraph(root: string, folders: string[] = SOURCE_ROOTS): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [file, imports] of readImports(root, folders)) graph.set(file, [...new Set(imports.map((entry) => entry.target))]);
  return graph;
}

/**
 * Relative imports into or out of the sandbox's folder. The sandbox is a package of its own,
 * compiled into sandbox/dist, so such a path compiles but fails at run time: across the boundary,
 * files import `pulumi-mail-coexistence-sandbox[/…]` and `pulumi-mail-coexistence/routing/…`.
 */
export function packageBoundaryCrossings(sourceImports: SourceImports): string[] {
  const inSandbox = (file: string): boolean => file.startsWith("sandbox/");
  const crossings: string[] = [];
  for (const [file, imports] of sourceImports) {
    for (const { target, relative } of imports) {
      if (relative && inSandbox(file) !== inSandbox(target)) crossings.push(`${file} → ${target} (a relative path across the sandbox package's boundary)`);
    }
  }
  return crossings.sort();
}

function resolveSource(files: Set<string>, target: string): string | undefined {
  const bare = target.replace(/\.js$/, "");
  return [`${bare}.ts`, `${bare}/index.ts`].find((candidate) => files.has(candidate));
}

export function layerOf(file: string, layers: Layer[] = LAYERS): Layer | undefined {
  return layers.find((layer) => layer.prefixes.some((prefix) => file === prefix || file.startsWith(prefix)));
}

/** Each import that points outside what its layer may use, as `file → target (from layer to layer)`. */
export function layerViolations(graph: ImportGraph, layers: Layer[] = LAYERS): string[] {
  const violations: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file, layers);
    for (const target of targets) {
      const to = layerOf(target, layers);
      if (!from) continue;
      if (!to) {
        violations.push(`${file} → ${target} (the ${from.name} imports a file outside the package's layers)`);
      } else if (to !== from && !from.mayImport.includes(to.name)) {
        violations.push(`${file} → ${target} (the ${from.name} may not import the ${to.name})`);
      }
    }
  }
  return violations.sort();
}

/** Every import circle, each once, as `a → b → … → a` starting at its smallest file name. */
export function importCircles(graph: ImportGraph): string[] {
  const circles = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === "open") {
        const cycle = path.slice(path.indexOf(target));
        const start = cycle.indexOf([...cycle].sort()[0]);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        circles.add([...rotated, rotated[0]].join(" → "));
      } else if (!state.has(target)) {
        visit(target);
      }
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return [...circles].sort();
}

/** The repository root, from this file's compiled place (dist/tests/architecture). */
export const REPO_ROOT = dirname(dirname(dirname(__dirname)));
