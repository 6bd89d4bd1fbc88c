import assert from "node:assert/strict";
import { HELP, main, type CliIo } from "../../cli/index";
import { DOCTOR_HELP } from "../../cli/doctor";
import { TRACE_HELP } from "../../cli/trace";

/** Runs `coexist <args>` in process; what it printed on each stream and its exit code. */
async function coexist(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const printed = { stdout: "", stderr: "" };
  const io: CliIo = { out: (text) => (printed.stdout += text), err: (text) => (printed.stderr += text) };
  const code = await main(args, io);
  return { code, ...printed };
}

describe("coexist (cli/index.ts): every command answers --help (issue 17, point 9)", () => {
  it("`coexist help` lists every command, on stdout", async () => {
    const { code, stdout, stderr } = await coexist("help");
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.equal(stdout, HELP);
    for (const command of ["coexist doctor", "coexist trace", "coexist inventory", "coexist snapshot", "coexist rehearse", "coexist sandbox start|stop|status|reset|seed"]) assert.ok(stdout.includes(command), command);
    assert.deepEqual(await coexist(), { code: 0, stdout: HELP, stderr: "" });
    assert.deepEqual(await coexist("--help"), { code: 0, stdout: HELP, stderr: "" });
  });

  const usages: [string[], RegExp][] = [
    [["doctor"], /^Usage:\n {2}coexist doctor/],
    [["trace"], /^Usage:\n {2}coexist trace <address>/],
    [["inventory"], /^coexist inventory — write the stack's starting files/],
    [["snapshot"], /^coexist snapshot — both live tenants, read-only/],
    [["rehearse"], /^coexist rehearse — run the whole migration on a sandbox copy/],
    [["sandbox"], /^Usage: coexist sandbox <command> \[options\]/],
    [["sandbox", "start"], /^Usage: coexist sandbox start .*\n[\s\S]*eval "\$\(coexist sandbox start\)"[\s\S]*--data-dir <dir>/],
    [["sandbox", "stop"], /^Usage: coexist sandbox stop \[--data-dir <dir>\]/],
    [["sandbox", "status"], /^Usage: coexist sandbox status \[--all\] \[--data-dir <dir>\][\s\S]*tenants and\nusers/],
    [["sandbox", "reset"], /^Usage: coexist sandbox reset/],
    [["sandbox", "seed"], /^Usage: coexist sandbox seed \[<file>\]/],
  ];
  for (const [command, usage] of usages) {
    it(`coexist ${command.join(" ")} --help, -h and coexist help ${command.join(" ")} print its usage and exit 0`, async () => {
      const help = await coexist(...command, "--help");
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stderr, "");
      assert.match(help.stdout, usage);
      assert.deepEqual(await coexist(...command, "-h"), help);
      assert.deepEqual(await coexist("help", ...command), help);
    });
  }

  it("a command's --help is the usage its errors print", async () => {
    assert.equal((await coexist("doctor", "--help")).stdout, DOCTOR_HELP);
    assert.equal((await coexist("trace", "--help")).stdout, TRACE_HELP);
  });

  it("an unknown command exits 2 with the help on stderr", async () => {
    const { code, stdout, stderr } = await coexist("traec", "--all");
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr, `coexist: unknown command "traec".\n\n${HELP}`);
    assert.equal((await coexist("toString")).code, 2);
  });

  it("an unknown sandbox command exits 2 naming it", async () => {
    const { code, stderr } = await coexist("sandbox", "restart");
    assert.equal(code, 2);
    assert.match(stderr, /^coexist sandbox: unknown command "restart"\.\n\nUsage: coexist sandbox <command>/);
  });
});
