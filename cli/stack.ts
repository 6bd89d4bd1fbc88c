import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { engineEnv } from "./engineEnv";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  diffReasons?: string[];
  replaceReasons?: string[];
}

export interface PreviewResult {
  steps: PreviewStep[];
  changeSummary: Record<string, number>;
  diagnostics?: { message: string; severity: string; urn?: string }[];
}

export interface StackResourceState {
  urn: string;
  type: string;
  id?: string;
  custom?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface StackExport {
  version: number;
  deployment: { resources?: StackResourceState[]; pending_operations?: unknown[] };
}

export interface StackOptions {
  /** Folder holding Pulumi.yaml. */
  projectDir: string;
  /** Stack name, e.g. `test`. */
  stack: string;
  /** Folder for the file backend and PULUMI_HOME. */
  stateDir: string;
  /** Passphrase of the passphrase secrets provider. */
  passphrase: string;
  /** Extra environment, e.g. the sandbox's `COEXIST_*` lines. */
  env?: NodeJS.ProcessEnv;
  /** Without the pinned engine (npm run engine), use the `pulumi` on PATH. */
  pulumiOnPath?: boolean;
}

/**
 * Drives one stack with the real Pulumi CLI from .tools/bin (or PATH, see `pulumiOnPath`). Every command is non-interactive
 * and offline; a failing command throws with the engine's own output.
 */
export class Stack {
  constructor(readonly options: StackOptions) {}

  private env(): NodeJS.ProcessEnv {
    return engineEnv({ stateDir: this.options.stateDir, passphrase: this.options.passphrase, extra: this.options.env, pulumiOnPath: this.options.pulumiOnPath });
  }

  /** Runs `pulumi <args> --stack <stack>` in the project folder. */
  run(args: string[], allowFailure = false): Promise<CommandResult> {
    const fullArgs = [...args, "--stack", this.options.stack, "--non-interactive", "--color", "never"];
    return new Promise((resolve, reject) => {
      execFile(
        "pulumi",
        fullArgs,
        { cwd: this.options.projectDir, env: this.env(), maxBuffer: 512 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error?.code === "ENOENT") {
            reject(new Error(`the Pulumi CLI (pulumi) is not on PATH${this.options.pulumiOnPath ? "" : ` nor in ${this.env().PATH?.split(path.delimiter)[0]}`}: install it (https://www.pulumi.com/docs/install/) or run \`npm run engine\``));
            return;
          }
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          if (code !== 0 && !allowFailure) {
            reject(new Error(`pulumi ${args.join(" ")} failed (exit ${code}) in ${this.options.projectDir}:\n${stdout}\n${stderr}`));
            return;
          }
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Creates the stack (passphrase secrets provider) and sets its config; idempotent. */
  async init(config: Record<string, string> = {}, secrets: Record<string, string> = {}): Promise<void> {
    const existing = await this.run(["stack", "select"], true);
    if (existing.code !== 0) await this.run(["stack", "init", "--secrets-provider", "passphrase"]);
    await this.setConfig(config, secrets);
  }

  async setConfig(config: Record<string, string>, secrets: Record<string, string> = {}): Promise<void> {
    for (const [key, value] of Object.entries(config)) await this.run(["config", "set", key, value]);
    for (const [key, value] of Object.entries(secrets)) await this.run(["config", "set", "--secret", key, value]);
  }

  async preview(extraArgs: string[] = []): Promise<PreviewResult> {
    const result = await this.run(["preview", "--json", ...extraArgs]);
    return JSON.parse(result.stdout) as PreviewResult;
  }

  up(extraArgs: string[] = []): Promise<CommandResult> {
    return this.run(["up", "--yes", "--skip-preview", ...extraArgs]);
  }

  refresh(extraArgs: string[] = []): Promise<CommandResult> {
    return this.run(["refresh", "--yes", "--skip-preview", ...extraArgs]);
  }

  destroy(extraArgs: string[] = []): Promise<CommandResult> {
    return this.run(["destroy", "--yes", "--skip-preview", ...extraArgs]);
  }

  async exportStack(showSecrets = false): Promise<StackExport> {
    const result = await this.run(["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])]);
    return JSON.parse(result.stdout) as StackExport;
  }

  /** The custom resources of the stack, without the default providers. */
  async resources(): Promise<StackResourceState[]> {
    const exported = await this.exportStack();
    return (exported.deployment.resources ?? []).filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  }

  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.run(["stack", "output", "--json", "--show-secrets"]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** Removes the stack, its state and its `Pulumi.<stack>.yaml`. */
  async remove(): Promise<void> {
    await this.run(["stack", "rm", "--yes", "--force"], true);
    fs.rmSync(path.join(this.options.projectDir, `Pulumi.${this.options.stack}.yaml`), { force: true });
  }
}

/** Counts the operations of a preview by kind, ignoring `same`. */
export function changedSteps(preview: PreviewResult): PreviewStep[] {
  return preview.steps.filter((step) => step.op !== "same");
}

/** The resource name part of a URN (`...::name`). */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** The resources a preview would change, as `<op> <name>` (e.g. `create licences-Sales`), without the stack itself. */
export function plannedChanges(preview: PreviewResult): string[] {
  return changedSteps(preview)
    .filter((step) => !step.urn.includes("pulumi:pulumi:Stack"))
    .map((step) => `${step.op} ${urnName(step.urn)}`);
}
