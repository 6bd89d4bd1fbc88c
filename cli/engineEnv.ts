import * as fs from "fs";
import * as path from "path";

/** The repository root, or the installed package's folder (this file compiles to dist/cli/). */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** Where scripts/bootstrap-engine.sh installs the engine. */
export const toolsBin = path.join(process.env.COEXIST_TOOLS_DIR ?? path.join(repoRoot, ".tools"), "bin");

/** Steps the engine may run at once: a batch of 500 licences waits for its mailboxes side by side. */
export const RECOMMENDED_PARALLEL = 1000;

/**
 * A file backend in `stateDir` that writes no `.attrs` sidecars: the blob library truncates and
 * rewrites a sidecar in place beside each state file, so an engine killed in that instant leaves
 * an empty one, and every later command fails with "failed to load checkpoint: EOF"
 * (docs/recovery.md). The state files themselves are written to a temporary file and renamed.
 */
export function fileBackendUrl(stateDir: string): string {
  return `file://${stateDir}?metadata=skip`;
}

/**
 * The environment every engine run of this project uses: the pinned CLI and plugins first on PATH
 * (`pulumiOnPath`: else the `pulumi` on PATH, for a project that installed the package),
 * a file backend, the passphrase secrets provider, and nothing that reaches the internet (no
 * update check, no plugin download).
 */
export function engineEnv(options: { stateDir: string; passphrase: string; extra?: NodeJS.ProcessEnv; pulumiOnPath?: boolean }): NodeJS.ProcessEnv {
  const pinned = fs.existsSync(path.join(toolsBin, "pulumi"));
  if (!pinned && !options.pulumiOnPath) {
    throw new Error(`The Pulumi engine is not installed in ${toolsBin}: run \`npm run engine\` first.`);
  }
  fs.mkdirSync(options.stateDir, { recursive: true });
  return {
    ...process.env,
    PATH: pinned ? `${toolsBin}${path.delimiter}${process.env.PATH ?? ""}` : (process.env.PATH ?? ""),
    PULUMI_HOME: path.join(options.stateDir, "home"),
    PULUMI_BACKEND_URL: fileBackendUrl(options.stateDir),
    PULUMI_CONFIG_PASSPHRASE: options.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The package is compiled by tsc and type-checked there; the engine only transpiles examples.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    // The engine's default is 4 steps per core (8 here): a batch of licences, each waiting minutes
    // for its mailbox, would go 8 at a time. The clients bound the calls in flight per API
    // themselves, so steps may wait side by side (README, "Scale").
    PULUMI_PARALLEL: process.env.PULUMI_PARALLEL ?? String(RECOMMENDED_PARALLEL),
    ...options.extra,
  };
}
