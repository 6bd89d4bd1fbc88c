/**
 * The `coexist` command line: `coexist help [<command>]`; `coexist doctor` (what the stack's planned
 * resources need from the live tenants, checked before anything runs); `coexist trace <address> |
 * --all` (hop-by-hop routes through both live tenants or the sandbox); `coexist sandbox
 * start|stop|status|reset|seed`, from the package pulumi-mail-coexistence-sandbox, loaded only for
 * it; `coexist inventory` (the stack's starting files, users and groups CSVs, from the Google
 * Directory); `coexist snapshot` (both live tenants into one sandbox seed) and `coexist rehearse` (the
 * stack's whole migration run on a sandbox seeded from it first). Every command answers `--help` (or `-h`).
 */
import { join } from "node:path";
import { DOCTOR_HELP, runDoctor } from "./doctor";
import { loadSandboxCommandLine, MissingSandboxPackage, SANDBOX_PACKAGE } from "./sandboxPackage";
import { INVENTORY_HELP, runInventory } from "./inventory";
import { REHEARSE_HELP, runRehearse } from "./rehearse";
import { runSnapshot, SNAPSHOT_HELP } from "./snapshot";
import { runTrace, TRACE_HELP } from "./trace";

export const HELP = `coexist — Google Workspace → Microsoft 365 mail-flow coexistence

Usage:
  coexist help [<command>]       this text, or a command's (the same as coexist <command> --help)
  coexist doctor [--cwd <folder>] [--stack <name>] [--json]
                                 what the stack's planned resources need from the live tenants
  coexist trace <address> [--from internet|google|m365] | --all
                                 the routes of mail through both tenants, hop by hop
  coexist inventory --out <dir> [--batch-by department|orgunit]
                                 the users, groups and domains CSVs and policy facts from the Google Directory
  coexist snapshot [--out <file>] [--pseudonymize]
                                 both live tenants, read-only, into one sandbox seed file (no secret)
  coexist rehearse [--seed <file>] [--json] [--markdown <file>]
                                 the stack's whole migration on a sandbox seeded from the snapshot first
  coexist sandbox start|stop|status|reset|seed [options]
                                 a local sandbox of both tenants (package ${SANDBOX_PACKAGE})

Every command answers --help.
`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The commands of this package; `sandbox` comes from the sandbox package, help included. */
const COMMANDS: Record<string, { help: string; run(args: string[]): Promise<number> }> = {
  doctor: { help: DOCTOR_HELP, run: (args) => runDoctor(args) },
  trace: { help: TRACE_HELP, run: (args) => runTrace(args) },
  inventory: { help: INVENTORY_HELP, run: (args) => runInventory(args) },
  snapshot: { help: SNAPSHOT_HELP, run: (args) => runSnapshot(args) },
  rehearse: { help: REHEARSE_HELP, run: (args) => runRehearse(args) },
};

const wantsHelp = (args: readonly string[]): boolean => args.includes("--help") || args.includes("-h");

/** Runs one command line; resolves to its exit code (0 done, 1 failed, 2 usage error). */
export async function main(args: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    if (rest.length === 0) {
      io.out(HELP);
      return 0;
    }
    return main([...rest, "--help"], io);
  }
  try {
    if (command === "sandbox") return await loadSandboxCommandLine().runSandboxCommand(rest, io);
  } catch (error) {
    if (!(error instanceof MissingSandboxPackage)) throw error;
    io.err(`coexist: ${error.message}\n`);
    return 1;
  }
  const known = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!known) {
    io.err(`coexist: unknown command "${command}".\n\n${HELP}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    io.out(known.help);
    return 0;
  }
  return known.run(rest);
}

if (require.main === module || require.main?.filename.endsWith(join("bin", "coexist.js"))) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`coexist: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
