/**
 * The path a user takes, and nothing else tests (issue 17): `npm pack` both packages, install the
 * tarballs into a new project outside the repository (the npm registry serves their dependencies,
 * from the npm cache where it can), write the program of the README's "Use it in your own project"
 * and drive it with the engine against a sandbox started from the installed sandbox package, with
 * the commands the README gives: `eval "$(npx coexist sandbox start)"`, `npx coexist trace --all`.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative } from "node:path";
import { repoRoot, toolsBin } from "../../scripts/engine-env";
import { Stack } from "../../scripts/stack";

const MAIN = "pulumi-mail-coexistence";
const SANDBOX = "pulumi-mail-coexistence-sandbox";
/** What `pulumi new typescript` gives a project, at the versions this repository is tested with. */
const PROJECT_DEPENDENCIES = ["@pulumi/pulumi@3.248.0", "typescript@~5.9.3", "@types/node@^20.19.0"];
/** `pulumi new typescript`'s tsconfig.json: strict, and no skipLibCheck, so the shipped types are checked as a user's are. */
const TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};
/** Users of the sandbox's demo tenant: two of Sales (migrated by the test) and two of Engineering (still at Google). */
const USERS_CSV = ["email,firstName,lastName,batch", "ada.dubois@contoso.com,Ada,Dubois,Sales", "ben.costa@contoso.com,Ben,Costa,Sales", "ada.brown@contoso.com,Ada,Brown,Engineering", "ben.adams@contoso.com,Ben,Adams,Engineering"].join("\n");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: none of this repository's npm, Pulumi or sandbox settings; the engine on PATH as a user would have it. */
function userShellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|COEXIST_|PULUMI_|NODE_EXTRA_CA_CERTS$|INIT_CWD$)/i.test(name)) env[name] = value;
  }
  env.PATH = [toolsBin, dirname(process.execPath), process.env.PATH].join(":");
  return env;
}

/** The files below `dir`, relative and `/`-separated. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((entry) => statSync(join(dir, entry)).isFile())
    .map((entry) => entry.split("\\").join("/"));
}

/** Folders named `name` anywhere in node_modules (hoisted or nested). */
function installedCopies(nodeModules: string, name: string): string[] {
  return readdirSync(nodeModules, { recursive: true, encoding: "utf8" }).filter((entry) => entry === name || entry.endsWith(`/node_modules/${name}`));
}

/** `du -sm` and the file count of a node_modules folder. */
function installSize(nodeModules: string): { megabytes: number; files: number } {
  const megabytes = Number(execFileSync("du", ["-sm", nodeModules], { encoding: "utf8" }).split("\t")[0]);
  const files = Number(execFileSync("bash", ["-c", `find "${nodeModules}" -type f | wc -l`], { encoding: "utf8" }).trim());
  return { megabytes, files };
}

/** Relative Markdown links of a shipped file whose target the package does not ship. */
function deadLinks(packageDir: string, shipped: Set<string>): string[] {
  const dead: string[] = [];
  for (const file of [...shipped].filter((name) => name.endsWith(".md"))) {
    const text = readFileSync(join(packageDir, file), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
      const path = posix.normalize(posix.join(posix.dirname(file), target.split("#")[0]));
      if (!shipped.has(path) && ![...shipped].some((name) => name.startsWith(`${path}/`))) dead.push(`${file} → ${target}`);
    }
  }
  return dead;
}

/** The README's program: the TypeScript block of "Use it in your own project". */
function readmeProgram(readme: string): string {
  const section = readme.slice(readme.indexOf("## Use it in your own project"));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "the README's 'Use it in your own project' has no ```ts block");
  return block[1];
}

describe("the packages as a user installs them (tarball → a new project outside the repository)", function () {
  this.timeout(300_000);
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), "coexist-user-"));
  const project = join(work, "project");
  const nodeModules = join(project, "node_modules");
  const installed = join(nodeModules, MAIN);
  const env = userShellEnv();
  const tarballs: Record<string, { file: string; files: Set<string> }> = {};
  const measured: string[] = [];
  const stateDir = join(work, "state");
  let stack: Stack;

  const shell = (command: string, cwd = project): Run => {
    const result = spawnSync("bash", ["-c", command], { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  const ok = (command: string, cwd = project): Run => {
    const result = shell(command, cwd);
    assert.equal(result.code, 0, `${command} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  const npmInstall = (args: string, extraEnv = ""): void => {
    ok(`${extraEnv} npm install --no-audit --no-fund --prefer-offline --loglevel=error ${args}`);
  };
  const timed = (label: string): (() => void) => {
    const at = Date.now();
    return () => measured.push(`${label} ${((Date.now() - at) / 1000).toFixed(1)} s`);
  };
  /**
   * Runs `eval "$(npx coexist sandbox start)" && <then>` in a user's shell; the settings the eval
   * set (COEXIST_*, NODE_EXTRA_CA_CERTS) become the stack's environment, as in that shell.
   */
  const startSandboxThen = (then: string): Run => {
    const marker = "--- environment after the eval ---";
    const run = ok(`eval "$(npx coexist sandbox start)" && ${then} && echo '${marker}' && env -0`);
    const [stdout, environment] = run.stdout.split(`${marker}\n`);
    const settings = Object.fromEntries(
      environment
        .split("\0")
        .filter((line) => /^(COEXIST_|NODE_EXTRA_CA_CERTS=)/.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    stack = new Stack({ projectDir: project, stack: "rehearsal", stateDir, passphrase: "rehearsal", env: settings });
    return { ...run, stdout };
  };

  before(function () {
    assert.ok(existsSync(join(toolsBin, "pulumi")), `the engine is not installed in ${toolsBin}: npm run engine`);
    assert.ok(relative(repoRoot, work).startsWith(".."), `${work} is inside the repository`);
    const done = timed("pack");
    for (const [name, args] of [[MAIN, []], [SANDBOX, ["--workspace", "sandbox"]]] as const) {
      const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work, ...args], { cwd: repoRoot, encoding: "utf8", env })) as { filename: string; files: { path: string }[] }[];
      tarballs[name] = { file: join(work, packed.filename), files: new Set(packed.files.map((entry) => entry.path)) };
    }
    done();
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "contoso-coexistence", private: true }, null, 2));
  });

  after(async function () {
    if (existsSync(join(project, ".sandbox"))) shell("npx coexist sandbox stop");
    await stack?.remove();
    rmSync(work, { recursive: true, force: true });
    measured.push(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`      tarball test: ${measured.join("; ")}`);
  });

  it("ships docs/, LICENSE (Apache-2.0), no source maps, no prepare script, and Markdown whose relative links all resolve inside it (point 7)", () => {
    for (const [name, { files }] of Object.entries(tarballs)) {
      assert.ok(files.has("LICENSE"), `${name} has no LICENSE`);
      const compiledFrom = [...files].filter((file) => file.endsWith(".map") || (file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.startsWith("examples/")));
      assert.deepEqual(compiledFrom, [], `${name} ships maps or the sources of its compiled files`);
    }
    const main = tarballs[MAIN].files;
    assert.ok(main.has("docs/resources/mailUser.md") && main.has("docs/safety-checks.md"), "docs/ shipped");
    assert.ok(!main.has("dist/sandbox/index.js"), "the sandbox is not in the resources package");
  });

  it("installs the resources package with no better-sqlite3 and no node-forge (point 3)", () => {
    const done = timed("install resources");
    npmInstall(`${tarballs[MAIN].file} ${PROJECT_DEPENDENCIES.join(" ")}`);
    done();
    assert.deepEqual(installedCopies(nodeModules, "better-sqlite3"), []);
    assert.deepEqual(installedCopies(nodeModules, "node-forge"), []);
    const size = installSize(nodeModules);
    measured.push(`resources install ${size.megabytes} MB, ${size.files} files`);

    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { license: string; scripts?: Record<string, string> };
    assert.equal(manifest.scripts?.prepare, undefined, "a prepare script cannot run from the tarball");
    assert.match(readFileSync(join(installed, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0, January 2004/);
    assert.equal(manifest.license, "Apache-2.0");
    assert.deepEqual(deadLinks(installed, tarballs[MAIN].files), []);
    const compiled = filesBelow(join(installed, "dist")).filter((file) => file.endsWith(".js"));
    assert.deepEqual(compiled.filter((file) => readFileSync(join(installed, "dist", file), "utf8").includes("sourceMappingURL")), [], "no compiled file points at a map");
  });

  it("without the sandbox package, coexist still answers, and `coexist sandbox` says in one line what to install", () => {
    assert.match(ok("npx coexist help").stdout, /coexist sandbox start\|stop\|status\|reset\|seed/);
    for (const command of ["doctor", "trace"]) assert.match(ok(`npx coexist ${command} --help`).stdout, /^Usage:/);
    const start = shell("npx coexist sandbox start");
    assert.equal(start.code, 1);
    assert.equal(start.stdout, "");
    assert.equal(start.stderr, `coexist: coexist sandbox needs the package ${SANDBOX}: npm install --save-dev ${SANDBOX}\n`);
  });

  it("documents what deleting a MailUser removes and keeps (point 9)", () => {
    const page = readFileSync(join(installed, "docs", "resources", "mailUser.md"), "utf8");
    assert.match(page, /## Teardown \(delete\): what it removes and what it keeps/);
    assert.match(page, /the \*\*mailbox stays, always\*\*/);
    assert.match(page, /\*\*routing address once Gmail no longer forwards to it\*\*/);
    assert.doesNotMatch(page, /all its addresses/);
  });

  it("adds the sandbox package", () => {
    // better-sqlite3 takes the binary this repository's own install built, through prebuild-install's
    // documented local-prebuild folder, as it would take a published prebuild (this machine cannot
    // reach GitHub, where those are): the same version, without a C++ compile of minutes.
    const sqlite = join(repoRoot, "node_modules", "better-sqlite3");
    const { version } = JSON.parse(readFileSync(join(sqlite, "package.json"), "utf8")) as { version: string };
    const prebuilds = join(work, "prebuilds");
    const stage = join(work, "prebuild");
    mkdirSync(join(stage, "build", "Release"), { recursive: true });
    execFileSync("cp", [join(sqlite, "build", "Release", "better_sqlite3.node"), join(stage, "build", "Release")]);
    mkdirSync(prebuilds);
    execFileSync("tar", ["-czf", join(prebuilds, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`), "-C", stage, "build"]);
    const done = timed("install sandbox");
    npmInstall(`--save-dev ${tarballs[SANDBOX].file}`, `npm_config_better_sqlite3_local_prebuilds=${prebuilds}`);
    done();
    const size = installSize(nodeModules);
    measured.push(`both ${size.megabytes} MB, ${size.files} files`);
    assert.deepEqual(deadLinks(join(nodeModules, SANDBOX), tarballs[SANDBOX].files), []);
  });

  it(`eval "$(npx coexist sandbox start)" sets the settings, and only export lines are on stdout (point 1)`, () => {
    const started = ok(`npx coexist sandbox start`);
    const lines = started.stdout.trim().split("\n");
    assert.ok(lines.length >= 10 && lines.every((line) => line.startsWith("export ")), `stdout:\n${started.stdout}`);
    assert.match(started.stderr, /^Sandbox running at https:\/\/127\.0\.0\.1:\d+/);
    ok("npx coexist sandbox stop");
    startSandboxThen("true");
    const settings = stack.options.env ?? {};
    for (const name of ["COEXIST_GRAPH_URL", "COEXIST_EXCHANGE_URL", "COEXIST_GOOGLE_URL", "COEXIST_LOGIN_URL", "COEXIST_TENANT_ID", "COEXIST_CLIENT_ID", "COEXIST_CLIENT_SECRET", "COEXIST_GOOGLE_ADMIN", "NODE_EXTRA_CA_CERTS"]) {
      assert.ok(settings[name], `${name} not set by the eval`);
    }
    assert.match(settings.COEXIST_GOOGLE_CREDENTIALS ?? "", /^\{/, "the Google key file's content, not its path");
  });

  it("`coexist sandbox status` lists the tenants and their users under header rows (point 9)", () => {
    const status = ok("npx coexist sandbox status").stdout;
    assert.match(status, /Microsoft 365 tenant [0-9a-f-]{36} \(contoso\.onmicrosoft\.com\)/);
    assert.match(status, /\n {2}domain +verified +services +accepted domain\n {2}contoso\.onmicrosoft\.com/);
    assert.match(status, /Google Workspace tenant \(contoso\.com, gsuite\.contoso\.com \(alias\), contoso\.net \(alias\)\)\n {2}50 user\(s\):\n {2}address +name +department +status +forwarding\n {2}ada\.adams@contoso\.com +Ada Adams/);
  });

  it("type-checks the README's program against the shipped types, with the template's tsconfig (no skipLibCheck)", () => {
    writeFileSync(join(project, "index.ts"), readmeProgram(readFileSync(join(installed, "README.md"), "utf8")));
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TEMPLATE_TSCONFIG, null, 4));
    writeFileSync(join(project, "users.csv"), `${USERS_CSV}\n`);
    writeFileSync(join(project, "Pulumi.yaml"), "name: contoso-coexistence\nruntime: nodejs\ndescription: The README's program, as a user writes it.\n");
    const done = timed("tsc");
    ok("npx tsc --noEmit -p .");
    done();
  });

  it("without @pulumi/policy, the policy pack stops with one line, not a stack trace (point 6)", async () => {
    await stack.init();
    const run = await stack.run(["preview", "--policy-pack", `node_modules/${MAIN}/policy`], true);
    const output = `${run.stdout}\n${run.stderr}`;
    assert.notEqual(run.code, 0);
    assert.match(output, /mail-flow-safety: this policy pack needs @pulumi\/policy \(a peer dependency of pulumi-mail-coexistence\) in the project: npm install --save-dev @pulumi\/policy/);
    assert.doesNotMatch(output, /^\s+at .*\(.*:\d+:\d+\)$/m, "no stack trace");
  });

  it("previews, applies, applies again with 0 changes, refreshes without drift and fills every output (point 4)", async () => {
    await stack.run(["config", "set", "--path", "batches.Sales", "migrated"]);
    let done = timed("preview");
    const preview = await stack.preview();
    done();
    assert.ok((preview.changeSummary.create ?? 0) >= 10, `preview plans ${JSON.stringify(preview.changeSummary)}`);
    done = timed("up");
    const up = await stack.up();
    done();
    assert.doesNotMatch(up.stdout + up.stderr, /Undefined value|warning:/);
    done = timed("no-op up");
    await stack.up();
    done();
    done = timed("refresh");
    await stack.refresh();
    done();
    const history = JSON.parse((await stack.run(["stack", "history", "--json"])).stdout) as { kind: string; result: string; resourceChanges?: Record<string, number> }[];
    const [refresh, noop] = history;
    assert.equal(noop.kind, "update");
    assert.deepEqual(Object.keys(noop.resourceChanges ?? {}), ["same"], `the second up changed: ${JSON.stringify(noop.resourceChanges)}`);
    assert.equal(refresh.kind, "refresh");
    assert.deepEqual(Object.keys(refresh.resourceChanges ?? {}), ["same"], `refresh found drift: ${JSON.stringify(refresh.resourceChanges)}`);
    const outputs = await stack.outputs();
    assert.match(JSON.stringify(outputs.dnsRecords), /o365\.contoso\.com/);
    assert.deepEqual(Object.keys(outputs.initialPasswords as object).sort(), ["ada.brown@contoso.com", "ada.dubois@contoso.com", "ben.adams@contoso.com", "ben.costa@contoso.com"]);
    for (const resource of await stack.resources()) {
      const undefinedOutputs = Object.entries(resource.outputs ?? {}).filter(([, value]) => value === undefined || value === null);
      assert.deepEqual(undefinedOutputs, [], `${resource.urn} has empty outputs`);
    }
  });

  it(`eval "$(npx coexist sandbox start)" && npx coexist trace --all: the demo users are delivered (point 2)`, () => {
    ok("npx coexist sandbox stop");
    const done = timed("sandbox start + trace --all");
    const trace = startSandboxThen("npx coexist trace --all");
    done();
    for (const user of ["ada.dubois", "ben.costa", "ada.brown", "ben.adams"]) assert.match(trace.stdout, new RegExp(`${user}@contoso\\.com`), trace.stdout);
    assert.doesNotMatch(trace.stdout, /BOUNCE|LOOP/);
    assert.match(trace.stdout, /delivered/);
  });

  it("destroys everything, leaving the tenant as it found it", async () => {
    const done = timed("destroy");
    await stack.destroy();
    done();
    assert.deepEqual(await stack.resources(), []);
    const status = ok("npx coexist sandbox status --all").stdout;
    assert.match(status, /contoso\.com +yes +Email +Authoritative/);
    assert.doesNotMatch(status, /mail user/);
  });

  it("refuses at preview a RoutingDomain whose parent domain is left out, even past the types (point 8)", async () => {
    writeFileSync(
      join(project, "index.ts"),
      `import { RoutingDomain } from "${MAIN}";\nconst args: any = { domainName: "o365.fabrikam.com" };\nnew RoutingDomain("routing", args);\n`,
    );
    const run = await stack.run(["preview"], true);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout + run.stderr, /RoutingDomain\.parentDomain: is required: set the verified domain the routing domain belongs to/);
  });
});
