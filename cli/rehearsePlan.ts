/**
 * The stages of a rehearsal and its report, pure: from the stack's current config, every
 * remaining batch in its order (the one migrating is migrated as the next one starts migrating,
 * as docs/migration-day.md runs them), then cutover, then decommission; one report row per stage.
 */
import type { BatchState, Phase } from "../provider/components/plan";
import { finalRoutes } from "../provider/routing/fanout";
import type { Route } from "../provider/routing/types";
import type { AllAddressesCheck, Summary } from "./trace";

export interface RehearsalStage {
  name: string;
  batches: Record<string, BatchState>;
  phase: Phase;
  /** The admin's DNS step after the stage's `up`: the primary domain's MX to Microsoft 365. */
  mxToMicrosoft: boolean;
  /** Google Workspace is retired: no Google sender, and mail that still lands there is lost. */
  googleRetired: boolean;
}

function describe(batches: Record<string, BatchState>, order: string[], before: Record<string, BatchState>): string {
  const changed = order.filter((batch) => (batches[batch] ?? "google") !== (before[batch] ?? "google"));
  return changed.map((batch) => `${batch} ${batches[batch]}`).join(", ");
}

/**
 * The stages from `current` to decommission. `order`: every batch of the users CSV, in the order
 * they move (those the config names first, in its order, then the CSV's in the order they appear).
 */
export function rehearsalStages(current: { batches: Record<string, BatchState>; phase: Phase }, order: string[]): RehearsalStage[] {
  const stages: RehearsalStage[] = [
    { name: "current config", batches: { ...current.batches }, phase: current.phase, mxToMicrosoft: false, googleRetired: current.phase === "decommissioned" },
  ];
  let batches = { ...current.batches };
  if (current.phase === "coexistence") {
    for (;;) {
      const next: Record<string, BatchState> = { ...batches };
      for (const batch of order) if (next[batch] === "migrating") next[batch] = "migrated";
      const waiting = order.find((batch) => (next[batch] ?? "google") === "google");
      if (waiting !== undefined) next[waiting] = "migrating";
      const name = describe(next, order, batches);
      if (name === "") break;
      stages.push({ name, batches: next, phase: "coexistence", mxToMicrosoft: false, googleRetired: false });
      batches = next;
    }
    stages.push({ name: "cutover", batches, phase: "cutover", mxToMicrosoft: true, googleRetired: false });
  }
  if (current.phase !== "decommissioned") stages.push({ name: "decommission", batches, phase: "decommissioned", mxToMicrosoft: false, googleRetired: true });
  return stages;
}

/** The batches in the order they move: the config's first, then the CSV's as they first appear. */
export function batchOrder(configured: Record<string, BatchState>, csvBatches: string[]): string[] {
  return [...new Set([...Object.keys(configured), ...csvBatches])];
}

export interface MailCheck extends Omit<Summary, "origins" | "suspendedLeftOut"> {
  /** Addresses whose mail lands in Google Workspace once it is retired (the Google routing domain's are not counted). */
  lostAtGoogle: number;
}

export interface StageProblem {
  address?: string;
  rule: string;
  message: string;
  fix: string;
}

export interface StageReport {
  stage: string;
  phase: Phase;
  batches: Record<string, BatchState>;
  plan: Record<"create" | "update" | "delete" | "replace", number>;
  /** API requests the stage's `up` made, per API. */
  apiCalls: Record<string, number>;
  /** The shortest wall time the documented budgets allow for those calls (docs/benchmark.md). */
  estimatedSeconds: number;
  mail: MailCheck;
  problems: StageProblem[];
  /** The stage's `up` failed: the engine's message. */
  error?: string;
  failed: boolean;
}

export const LOST_AT_GOOGLE = "lost-at-retired-google";

/**
 * The mail check of a stage: the every-address check's counts, and mail lost in a retired Google
 * Workspace. Addresses on `googleRoutingDomain` are Google's routes to the groups kept there, which
 * nobody publishes: they are not lost mail.
 */
export function mailCheckOf(check: AllAddressesCheck, googleRetired: boolean, googleRoutingDomain?: string): { mail: MailCheck; problems: StageProblem[] } {
  const { summary } = check;
  const isGoogleRoute = (address: string): boolean => googleRoutingDomain !== undefined && address.toLowerCase().endsWith(`@${googleRoutingDomain.toLowerCase()}`);
  const landsAtGoogle = (entry: AllAddressesCheck["results"][number]): boolean =>
    (Object.values(entry.routes) as Route[]).some((route) => finalRoutes(route).some((end) => end.disposition.kind === "delivered" && end.disposition.system === "google"));
  const lost = googleRetired ? check.results.filter((entry) => !isGoogleRoute(entry.address) && landsAtGoogle(entry)) : [];
  const failing = check.problems.filter((problem) => problem.severity === "mandatory");
  const problems: StageProblem[] = [
    ...failing.map((problem) => ({ address: problem.address?.address ?? problem.users[0], rule: problem.rule, message: problem.message, fix: problem.fix })),
    ...lost.map((entry) => ({
      address: entry.address,
      rule: LOST_AT_GOOGLE,
      message: `mail to ${entry.address} (${entry.kind}) still lands in Google Workspace, which this stage retires`,
      fix: `make ${entry.address} an address of its Microsoft 365 recipient (verify its domain in Microsoft 365 and list the address in the users or groups CSV), or plan it before decommission`,
    })),
  ];
  const { origins: _origins, suspendedLeftOut: _suspended, ...counts } = summary;
  return { mail: { ...counts, lostAtGoogle: lost.length }, problems };
}

export function stageFailed(report: Pick<StageReport, "mail" | "error">): boolean {
  const { mail } = report;
  return report.error !== undefined || mail.loops + mail.bounces + mail.splits + mail.duplicates + mail.lostAtGoogle > 0;
}

function planText(plan: StageReport["plan"]): string {
  const parts = (Object.entries(plan) as [string, number][]).filter(([, count]) => count > 0).map(([op, count]) => `${op} ${count}`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}

function callsText(calls: Record<string, number>): string {
  const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
  const apis = Object.entries(calls)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([api, count]) => `${api} ${count}`);
  return apis.length > 0 ? `${total} (${apis.join(", ")})` : "0";
}

function durationText(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}

function verdict(report: StageReport): string {
  if (report.error !== undefined) return "UP FAILED";
  return report.failed ? "FAILED" : "ok";
}

const HEADER = ["#", "stage", "plan", "API calls", "est. time", "delivered", "loops", "bounces", "splits", "lost", "result"];

function rows(reports: StageReport[]): string[][] {
  return reports.map((report, index) => [
    String(index + 1),
    report.stage,
    planText(report.plan),
    callsText(report.apiCalls),
    durationText(report.estimatedSeconds),
    `${report.mail.delivered}/${report.mail.copies}`,
    String(report.mail.loops),
    String(report.mail.bounces),
    String(report.mail.splits),
    String(report.mail.lostAtGoogle),
    verdict(report),
  ]);
}

function problemLines(reports: StageReport[], bullet: (report: StageReport, problem: StageProblem) => string): string[] {
  return reports.flatMap((report) => [
    ...(report.error !== undefined ? [`- ${report.stage}: pulumi up failed: ${report.error}`] : []),
    ...report.problems.map((problem) => bullet(report, problem)),
  ]);
}

/** The report as a table for a terminal. */
export function reportText(reports: StageReport[]): string {
  const table = [HEADER, ...rows(reports)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  const lines = table.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join("  "));
  const problems = problemLines(reports, (report, problem) => `- ${report.stage}: ${problem.address ?? "(tenant)"}: ${problem.message}\n  Fix: ${problem.fix}`);
  return [...lines, "", verdictLine(reports), ...(problems.length > 0 ? ["", "Problems:", ...problems] : [])].join("\n") + "\n";
}

const cellText = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The report as Markdown, for a pull-request comment. */
export function reportMarkdown(reports: StageReport[], title = "coexist rehearse"): string {
  const head = `| ${HEADER.join(" | ")} |`;
  const rule = `|${HEADER.map(() => "---").join("|")}|`;
  const body = rows(reports).map((row) => `| ${row.map(cellText).join(" | ")} |`);
  const problems = problemLines(reports, (report, problem) => `- **${cellText(report.stage)}** \`${problem.address ?? "(tenant)"}\`: ${cellText(problem.message)}  \n  Fix: ${cellText(problem.fix)}`);
  return [`### ${title}`, "", verdictLine(reports), "", head, rule, ...body, ...(problems.length > 0 ? ["", "#### Problems", "", ...problems] : [])].join("\n") + "\n";
}

/** One line: all stages pass, or the first failing stage and the addresses it names. */
export function verdictLine(reports: StageReport[]): string {
  const failing = reports.find((report) => report.failed);
  if (!failing) return `Result: every stage passes (${reports.length} stages, every address delivered once).`;
  const addresses = [...new Set(failing.problems.flatMap((problem) => problem.address ?? []))];
  const what = failing.error !== undefined ? "pulumi up failed" : `mail lost or misrouted for ${addresses.join(", ") || "the tenant"}`;
  return `Result: FAILED at stage "${failing.stage}": ${what}.`;
}

/** One setting as `pulumi config --json` prints it. */
export interface ConfigEntry {
  value?: string;
  objectValue?: unknown;
}

/** A setting's value: what `--path` set, else its text read as JSON, else the text itself (for the setting's own check to name). */
export function settingValue(entry: ConfigEntry | undefined): unknown {
  if (entry === undefined) return undefined;
  if (entry.objectValue !== undefined) return entry.objectValue;
  try {
    return JSON.parse(entry.value ?? "");
  } catch {
    return entry.value;
  }
}
