/**
 * The permission tables of README.md, docs/security.md and docs/clients.md list exactly what
 * `coexist doctor` checks: each is the grants table (provider/clients/grants.ts) printed here,
 * and a failing test prints the table to paste.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  OPERATIONS,
  PRODUCT,
  USES,
  alternativesTo,
  leastPrivileged,
  requirementsOf,
  withoutCovered,
  type Consumer,
  type GrantKind,
  type Requirement,
} from "../../provider/clients/grants";
import { repoRoot } from "../../scripts/engine-env";

const KIND: Record<GrantKind, string> = {
  graphPermission: "Graph application permission",
  exchangePermission: "Exchange application permission",
  directoryRole: "Entra directory role",
  googleScope: "Google domain-wide delegation",
};

function grantName(kind: GrantKind, grant: string): string {
  return kind === "googleScope" ? grant.replace("https://www.googleapis.com/auth/", "") : grant;
}

function subjectText(subject: string): string {
  return subject === "mailbox owner" ? "the mailbox owner" : subject;
}

function code(text: string): string {
  return `\`${text}\``;
}

/** README and docs/security.md: one row per grant the product needs, as `coexist doctor` names its rows. */
export function grantsTable(): string {
  const requirements = withoutCovered(requirementsOf(PRODUCT));
  const lines = ["| grant | kind | needed by | higher-privileged grants that also do | `coexist doctor` row |", "|---|---|---|---|---|"];
  for (const kind of Object.keys(KIND) as GrantKind[]) {
    const ofKind = requirements.filter((requirement) => requirement.kind === kind);
    for (const grant of leastPrivileged(ofKind)) {
      const serving = ofKind.filter((requirement) => requirement.anyOf[0].includes(grant));
      const consumers = PRODUCT.filter((consumer) => leastPrivileged(withoutCovered(requirementsOf([consumer])).filter((requirement) => requirement.kind === kind)).includes(grant));
      const alternatives = [...new Set(serving.flatMap(alternativesTo))];
      const subject = serving[0].subject ? `, acting as ${subjectText(serving[0].subject)}` : "";
      const idPrefix = { graphPermission: "graph-permission", exchangePermission: "exchange-permission", directoryRole: "directory-role", googleScope: "google-scope" }[kind];
      lines.push(`| ${code(grantName(kind, grant))} | ${KIND[kind]}${subject} | ${consumers.join(", ")} | ${alternatives.map(code).join(", ") || "–"} | ${code(`${idPrefix}:${grant}`)} |`);
    }
  }
  return lines.join("\n");
}

function needsText(requirements: readonly Requirement[], kind: GrantKind): string {
  const names = leastPrivileged(requirements.filter((requirement) => requirement.kind === kind)).map((grant) => code(grantName(kind, grant)));
  return names.join(", ") || "–";
}

/** docs/security.md: per resource (and command), the least-privileged grants. */
export function resourcesTable(): string {
  const lines = ["| resource or command | Graph application permissions | Exchange | Entra directory roles | Google scopes (domain-wide delegation) |", "|---|---|---|---|---|"];
  for (const consumer of Object.keys(USES) as Consumer[]) {
    const requirements = withoutCovered(requirementsOf([consumer]));
    lines.push(`| ${code(consumer)} | ${(["graphPermission", "exchangePermission", "directoryRole", "googleScope"] as GrantKind[]).map((kind) => needsText(requirements, kind)).join(" | ")} |`);
  }
  return lines.join("\n");
}

/** docs/clients.md: per call, every way to satisfy what it needs. */
export function operationsTable(): string {
  const lines = ["| calls | needs (least privileged first; one option of each) |", "|---|---|"];
  for (const operation of Object.values(OPERATIONS)) {
    const needs = operation.needs.map((requirement: Requirement) => {
      const options = requirement.anyOf.map((option) => option.map((grant) => code(grantName(requirement.kind, grant))).join(" + ")).join(" or ");
      return `${KIND[requirement.kind]} ${options}${requirement.subject ? ` acting as ${subjectText(requirement.subject)}` : ""}`;
    });
    lines.push(`| ${operation.calls} | ${needs.join("; and ")} |`);
  }
  return lines.join("\n");
}

function assertContains(file: string, table: string): void {
  const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
  assert.ok(text.includes(table), `${file} does not hold the current table; paste this:\n\n${table}\n`);
}

describe("the permission tables of the docs are the grants table coexist doctor checks", () => {
  it("README.md lists every grant", () => assertContains("README.md", grantsTable()));
  it("docs/security.md lists every grant and each resource's", () => {
    assertContains("docs/security.md", grantsTable());
    assertContains("docs/security.md", resourcesTable());
  });
  it("docs/clients.md lists what each call needs", () => assertContains("docs/clients.md", operationsTable()));
});
