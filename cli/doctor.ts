/**
 * `coexist doctor`: checks, before anything runs, that a stack's live tenants give the planned
 * resources every permission, role, domain, seat, delegated scope and admin setting they need.
 * One row per check (PASS, WARN or FAIL, the evidence and the exact fix); `--json` prints them as
 * an array. Exit code: 0 no FAIL, 1 a FAIL, 2 a usage error. Reads only; secrets never printed.
 */
import { resolve } from "node:path";
import { microsoftCloudOf } from "../provider/clients/clouds";
import { currentConfig, redact } from "../provider/config";
import { doctorContext } from "./doctorPlan";
import { googleClientOf, googleRows } from "./doctorGoogle";
import { microsoftRows } from "./doctorMicrosoft";
import { PLANNING_KEYS, flagName, loadSetup, type PlanningKey } from "./doctorSetup";
import type { FixContext, Row } from "./doctorVerdicts";
import { argsOrUsage, UsageError } from "./usage";

export const DOCTOR_HELP = `Usage:
  coexist doctor [--cwd <project folder>] [--stack <name>] [--json] [planning overrides]
Checks, before \`pulumi up\`, what the stack's planned resources need from the live tenants:
  Microsoft: Entra tokens for Graph and Exchange; each Graph application permission and
  Exchange.ManageAsApp in the tokens' roles; the directory roles User Administrator and Exchange
  Administrator assigned to the app's service principal (and in the tokens' wids); Exchange answers
  Get-AcceptedDomain; the primary domain verified with Email and accepted; the routing domain;
  free seats of the licence for the batches marked migrating or migrated.
  Google: domain-wide delegation of each scope, tried one at a time with a harmless call; the
  Directory read as coexist:googleAdmin; automatic forwarding allowed by the admin setting.
Configuration is read as the provider reads it: the stack's config (\`pulumi config --json
--show-secrets\` in the project folder, when the Pulumi CLI and the passphrase are there), then the
environment (COEXIST_*), then the defaults. Planning inputs come from coexist:<key> (or the
project's own namespace) and may be given or overridden here:
  --users-csv <file>   --batches <json>   --phase <phase>   --scope all|tenant|batch:<name>
  --license-sku <sku>  --primary-domain <domain>  --routing-domain <domain>
  --alias-domains <domain,...>
Options:
  --cwd <folder>       the stack's project folder (default: the current folder)
  --stack <name>       the stack (default: the selected one)
  --google-user <addr> the Google user to try delegation with (default: the first active CSV user)
  --json               print the rows as a JSON array of {id, status, check, evidence, fix}
Exit code: 0 every check passed or warned, 1 a check failed, 2 usage error.
`;


export interface DoctorArgs {
  cwd: string;
  stack?: string;
  json: boolean;
  googleUser?: string;
  overrides: Partial<Record<PlanningKey, string>>;
}

export interface DoctorIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: DoctorIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

const FLAG_KEYS = new Map<string, PlanningKey>(PLANNING_KEYS.map((key) => [`--${flagName(key)}`, key]));

const VALUE_FLAGS = ["--cwd", "--stack", "--google-user"];

export function parseDoctorArgs(argv: string[]): DoctorArgs | "help" {
  const args: DoctorArgs = { cwd: process.cwd(), json: false, overrides: {} };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === "--help" || flag === "-h") return "help";
    if (flag === "--json") {
      args.json = true;
      continue;
    }
    const planning = FLAG_KEYS.get(flag);
    if (!planning && !VALUE_FLAGS.includes(flag)) throw new UsageError(`unknown option ${flag}`);
    const value = argv[index + 1];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    index++;
    if (planning) args.overrides[planning] = value;
    else if (flag === "--cwd") args.cwd = resolve(value);
    else if (flag === "--stack") args.stack = value;
    else args.googleUser = value.trim().toLowerCase();
  }
  return args;
}

export async function runDoctor(argv: string[], io: DoctorIo = defaultIo): Promise<number> {
  const args = argsOrUsage("doctor", DOCTOR_HELP, () => parseDoctorArgs(argv), io.err);
  if (args === undefined) return 2;
  if (args === "help") {
    io.out(DOCTOR_HELP);
    return 0;
  }
  const rows = await doctorRows(args);
  io.out(redact(args.json ? `${JSON.stringify(rows, null, 2)}\n` : formatRows(rows, args)));
  return rows.some((entry) => entry.status === "FAIL") ? 1 : 0;
}

/** Every check's row, in order; a configuration the provider would refuse stops before any call. */
export async function doctorRows(args: DoctorArgs): Promise<Row[]> {
  const setup = await loadSetup({ cwd: args.cwd, stack: args.stack, overrides: args.overrides });
  const rows = [setup.configRow, setup.planRow];
  if (!setup.configUsable) return rows;
  const context = doctorContext(setup.inputs, args.googleUser);
  const config = currentConfig();
  const fix: FixContext = { clientId: config.clientId, graphHost: microsoftCloudOf(config).graphHost, googleClient: googleClientOf(config) };
  rows.push(...(await microsoftRows(context, fix)));
  rows.push(...(await googleRows(context, fix)));
  return rows;
}

export function formatRows(rows: readonly Row[], args: Pick<DoctorArgs, "cwd" | "stack">): string {
  const count = (status: Row["status"]): number => rows.filter((entry) => entry.status === status).length;
  const lines = [`coexist doctor: ${args.stack ? `stack ${args.stack}` : "the selected stack"} in ${args.cwd}: ${rows.length} checks, ${count("PASS")} PASS, ${count("WARN")} WARN, ${count("FAIL")} FAIL`, ""];
  for (const entry of rows) {
    lines.push(`${entry.status.padEnd(4)}  ${entry.check}`, `      ${entry.evidence}`);
    if (entry.fix) lines.push(`      fix: ${entry.fix}`);
  }
  return `${lines.join("\n")}\n`;
}
