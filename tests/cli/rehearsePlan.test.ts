import * as assert from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configWithoutSecrets, engineError, planningNamespace } from "../../cli/rehearse";
import { batchOrder, rehearsalStages, reportMarkdown, reportText, settingValue, verdictLine, type StageReport } from "../../cli/rehearsePlan";

const mail = { addresses: 10, copies: 30, delivered: 30, loops: 0, bounces: 0, splits: 0, duplicates: 0, lostAtGoogle: 0 };

function report(stage: string, changes: Partial<StageReport> = {}): StageReport {
  return { stage, phase: "coexistence", batches: {}, plan: { create: 2, update: 0, delete: 0, replace: 0 }, apiCalls: { exchange: 4, graph: 2 }, estimatedSeconds: 75, mail, problems: [], failed: false, ...changes };
}

describe("rehearsal stages", () => {
  it("go from an empty config through every batch in order, then cutover and decommission", () => {
    const stages = rehearsalStages({ batches: {}, phase: "coexistence" }, ["Sales", "Finance"]);
    assert.deepStrictEqual(
      stages.map((stage) => [stage.name, stage.batches, stage.phase, stage.mxToMicrosoft, stage.googleRetired]),
      [
        ["current config", {}, "coexistence", false, false],
        ["Sales migrating", { Sales: "migrating" }, "coexistence", false, false],
        ["Sales migrated, Finance migrating", { Sales: "migrated", Finance: "migrating" }, "coexistence", false, false],
        ["Finance migrated", { Sales: "migrated", Finance: "migrated" }, "coexistence", false, false],
        ["cutover", { Sales: "migrated", Finance: "migrated" }, "cutover", true, false],
        ["decommission", { Sales: "migrated", Finance: "migrated" }, "decommissioned", false, true],
      ],
    );
  });

  it("start from where the stack is: the batches the config names first, then the CSV's", () => {
    assert.deepStrictEqual(batchOrder({ finance: "migrating", sales: "migrated" }, ["sales", "engineering", "finance", "legal"]), ["finance", "sales", "engineering", "legal"]);
    const stages = rehearsalStages({ batches: { sales: "migrated", finance: "migrating" }, phase: "coexistence" }, ["finance", "sales", "engineering"]);
    assert.deepStrictEqual(stages.map((stage) => stage.name), ["current config", "finance migrated, engineering migrating", "engineering migrated", "cutover", "decommission"]);
    assert.deepStrictEqual(rehearsalStages({ batches: { sales: "migrated" }, phase: "cutover" }, ["sales"]).map((stage) => stage.name), ["current config", "decommission"]);
    assert.deepStrictEqual(rehearsalStages({ batches: { sales: "migrated" }, phase: "decommissioned" }, ["sales"]).map((stage) => stage.name), ["current config"]);
  });
});

describe("rehearsal report", () => {
  const failing = report("cutover", {
    mail: { ...mail, delivered: 28, bounces: 2 },
    problems: [{ address: "team|a@contoso.com", rule: "bounce", message: "mail from the Internet bounces: 550 5.4.1", fix: "migrate it" }],
    failed: true,
  });

  it("has one row per stage with the plan, the API calls, the estimated time and the mail counts", () => {
    const text = reportText([report("current config"), failing]);
    assert.match(text, /^#  stage +plan +API calls +est\. time +delivered +loops +bounces +splits +lost +result$/m);
    assert.match(text, /^1  current config +create 2 +6 \(exchange 4, graph 2\) +2 min +30\/30 +0 +0 +0 +0 +ok$/m);
    assert.match(text, /^2  cutover +create 2 .* 28\/30 +0 +2 +0 +0 +FAILED$/m);
    assert.match(text, /^- cutover: team\|a@contoso\.com: mail from the Internet bounces: 550 5\.4\.1\n {2}Fix: migrate it$/m);
  });

  it("names the first failing stage and its addresses, or says every stage passes", () => {
    assert.strictEqual(verdictLine([report("current config"), failing]), 'Result: FAILED at stage "cutover": mail lost or misrouted for team|a@contoso.com.');
    assert.strictEqual(verdictLine([report("current config")]), "Result: every stage passes (1 stages, every address delivered once).");
    assert.strictEqual(verdictLine([report("current config", { error: "boom", failed: true })]), 'Result: FAILED at stage "current config": pulumi up failed.');
  });

  it("in Markdown, is a table for a pull-request comment with the problems below, pipes escaped", () => {
    const markdown = reportMarkdown([report("current config"), failing]);
    assert.match(markdown, /^### coexist rehearse\n\nResult: FAILED at stage "cutover"/);
    assert.match(markdown, /^\| # \| stage \| plan \| API calls \| est\. time \| delivered \| loops \| bounces \| splits \| lost \| result \|\n\|---\|/m);
    assert.match(markdown, /^\| 2 \| cutover \| create 2 \| .* \| FAILED \|$/m);
    assert.match(markdown, /^- \*\*cutover\*\* `team\|a@contoso\.com`: mail from the Internet bounces: 550 5\.4\.1 {2}\n {2}Fix: migrate it$/m);
  });
});

describe("the rehearsal's copy of the stack config", () => {
  it("leaves out the secrets provider, the salt and every secret value, and names them", () => {
    const { text, dropped } = configWithoutSecrets(
      ["secretsprovider: passphrase", "encryptionsalt: v1:abc", "config:", "  coexist:primaryDomain: contoso.com", "  coexist:mailUserPassword:", "    secure: v1:AAAA", "  app:token: {secure: v1:BBBB}", ""].join("\n"),
    );
    assert.strictEqual(text, ["config:", "  coexist:primaryDomain: contoso.com", ""].join("\n"));
    assert.deepStrictEqual(dropped, ["coexist:mailUserPassword", "app:token"]);
  });

  it("reads the planning settings where the program does: coexist: or the project's namespace", () => {
    const dir = mkdtempSync(join(tmpdir(), "namespace-"));
    try {
      writeFileSync(join(dir, "Pulumi.yaml"), "name: staged-migration\nruntime: nodejs\n");
      assert.strictEqual(planningNamespace(dir, ["staged-migration:batches", "coexist:tenantId"]), "staged-migration");
      assert.strictEqual(planningNamespace(dir, ["coexist:batches", "coexist:usersCsv"]), "coexist");
      assert.strictEqual(planningNamespace(dir, []), "coexist");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the engine's error in a rehearsal report", () => {
  it("is the program's exception from the preview's JSON diagnostics, not the command line", () => {
    const output = `pulumi preview --json failed (exit 1) in /tmp/x/project:\n{\n "diagnostics": [\n  {\n   "message": "error: Running program '/tmp/x/index.js' failed with an unhandled exception:\\nError: coexist:usersCsv: /x/users.csv does not exist\\n    at Object.<anonymous>",\n   "severity": "error"\n  }\n ]\n}\n`;
    assert.strictEqual(engineError(output), "error: Running program '/tmp/x/index.js' failed with an unhandled exception: Error: coexist:usersCsv: /x/users.csv does not exist");
  });

  it("is the error lines of a failed up's text", () => {
    assert.strictEqual(engineError("Updating (rehearsal):\n  pulumi:pulumi:Stack\n    error: MailUser a@contoso.com: 403 Forbidden\nerror: update failed\n"), "error: MailUser a@contoso.com: 403 Forbidden");
  });
});

describe("a setting of the rehearsed stack", () => {
  const cases: [string, Parameters<typeof settingValue>[0], unknown][] = [
    ["set with --path: its object", { value: '["contoso.net"]', objectValue: ["contoso.net"] }, ["contoso.net"]],
    ["set as JSON text: the JSON", { value: '["contoso.net"]' }, ["contoso.net"]],
    ["set as plain text: the text, for the setting's own check to name", { value: "contoso.net" }, "contoso.net"],
    ["unset: nothing", undefined, undefined],
  ];
  for (const [name, entry, expected] of cases) it(name, () => assert.deepStrictEqual(settingValue(entry), expected));
});
