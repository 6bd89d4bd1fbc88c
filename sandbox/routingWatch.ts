/**
 * The mail-flow invariant, checked inside the sandbox after every write any API client makes:
 * no (user, sender) pair that was delivered when watching began may loop or bounce afterwards.
 * Tests turn it on around an engine run to prove that no intermediate state of an update — between
 * any two resource operations — breaks mail, without pausing the engine.
 */
import { findRoutingProblems, ROUTING_RULES } from "pulumi-mail-coexistence/routing/problems";
import type { TenantState } from "pulumi-mail-coexistence/routing/types";

export interface WatchViolation {
  /** The API operation after which mail broke, e.g. `exchange Set-AcceptedDomain`. */
  after: string;
  message: string;
}

export interface WatchReport {
  enabled: boolean;
  checks: number;
  violations: WatchViolation[];
}

const BREAKING_RULES = new Set<string>([ROUTING_RULES.loop, ROUTING_RULES.bounce]);

function failingPairs(state: TenantState): Map<string, string> {
  const failing = new Map<string, string>();
  for (const problem of findRoutingProblems(state)) {
    if (!BREAKING_RULES.has(problem.rule)) continue;
    failing.set(`${problem.rule} ${JSON.stringify(problem.origin ?? null)} ${problem.users.join(",")}`, problem.message);
  }
  return failing;
}

export class RoutingWatch {
  private baseline?: Set<string>;
  private checks = 0;
  private violations: WatchViolation[] = [];

  start(state: TenantState): WatchReport {
    this.baseline = new Set(failingPairs(state).keys());
    this.checks = 0;
    this.violations = [];
    return this.report();
  }

  stop(): WatchReport {
    const report = this.report();
    this.baseline = undefined;
    return report;
  }

  get enabled(): boolean {
    return this.baseline !== undefined;
  }

  /** Called after a successful write; `state` is read only when watching. */
  afterWrite(operation: string, state: () => TenantState): void {
    if (!this.baseline) return;
    this.checks++;
    for (const [key, message] of failingPairs(state())) {
      if (!this.baseline.has(key)) this.violations.push({ after: operation, message });
    }
  }

  report(): WatchReport {
    return { enabled: this.enabled, checks: this.checks, violations: this.violations };
  }
}
