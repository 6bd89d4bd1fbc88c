import { EXAMPLE_PASSWORD, runBadInput } from "../tests/reliability/badInput";
import { runCrashTrials } from "../tests/reliability/crashTrials";
import { runFaultJourney } from "../tests/reliability/faultJourney";
import { runIsolation } from "../tests/reliability/isolation";
import { scanForSecrets } from "../tests/reliability/secretScan";
import { Transcript } from "../tests/reliability/world";

// `npm run test:reliability`: faults survived (the staged journey under injected faults), crashes
// recovered (kill -9 of the engine during `up`), secrets kept (a scan of everything the suites
// produced), bad input refused (property-based), and the sandbox's own isolation. Ends with one
// summary line and exits non-zero on any failure.

const CRASH_TRIALS = Number(process.env.RELIABILITY_CRASH_TRIALS ?? 20);

function log(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const transcript = new Transcript();
  const failures: string[] = [];
  const record = (suite: string, found: string[]) => {
    failures.push(...found.map((f) => `${suite}: ${f}`));
    for (const f of found) transcript.add(`${suite} failure`, f);
  };

  const isolation = await runIsolation(log);
  record("isolation", isolation.failures);
  transcript.secrets.push(...isolation.tokens);

  const badInput = await runBadInput(log);
  record("bad input", badInput.failures);
  transcript.secrets.push({ name: "example mail-user password", value: EXAMPLE_PASSWORD });
  for (const message of badInput.messages) transcript.add("bad input refusal", message);
  for (const [column, characters] of Object.entries(badInput.lateRefusals)) {
    log(`bad input: finding: the users CSV accepts ${characters.join(" ")} in ${column}, which MailUser's check then refuses at preview (naming the MailUser field, not the CSV cell)`);
  }

  // The fault journey spends most of its time waiting out latency and Retry-After, so the crash
  // trials run beside it: each has its own sandbox, stack and file backend.
  const [faults, crashes] = await Promise.all([runFaultJourney(transcript, log), runCrashTrials(CRASH_TRIALS, transcript, log)]);
  record("faults", [...faults.failures, ...faults.duplicates.map((d) => `duplicate: ${d}`), ...faults.orphans.map((o) => `orphan: ${o}`)]);
  log(`faults: ${faults.injected} faults injected into ${faults.requests} requests (${Object.entries(faults.faults).map(([kind, n]) => `${kind} ${n}`).join(", ")}); ${faults.stages} stages converged, ${faults.reruns} needed a second run; ${faults.cells} cells delivered; ${faults.foreign.untouched} of ${faults.foreign.tried} foreign objects untouched`);
  record("crashes", [...crashes.failures, ...crashes.duplicates.map((d) => `duplicate: ${d}`), ...crashes.orphans.map((o) => `orphan: ${o}`)]);
  log(`crashes: ${crashes.trials} trials, ${crashes.interrupted} killed while up was running (${crashes.pending} leaving pending operations); ${crashes.withLeftovers} recoveries took over objects the killed up had made but not recorded (${crashes.adopted} take-over notes), ${crashes.domainAdoptions} needed the routing-domain step of docs/recovery.md (an up with coexist:adopt true); ${crashes.failures.length} did not recover`);

  const scan = scanForSecrets(transcript);
  for (const leak of scan.leaks) failures.push(`secrets: ${leak.secret} appears in ${leak.source}`);
  log(`secrets: scanned ${scan.scanned} texts (${Math.round(scan.bytes / 1024)} KiB) for ${transcript.secrets.length} secrets and issued tokens: ${scan.leaks.length} leaks`);

  for (const failure of failures) console.error(`FAIL ${briefly(failure)}`);
  log(`reliability: finished in ${Math.round((Date.now() - started) / 1000)} s with ${failures.length} failure(s)`);
  const duplicates = faults.duplicates.length + crashes.duplicates.length;
  console.log(
    `reliability: faults=${faults.injected} stages=${faults.stages} reruns=${faults.reruns} crashes=${crashes.trials} duplicates=${duplicates} leaks=${scan.leaks.length} invalid=${badInput.tried}/${badInput.refused} owned=${faults.foreign.untouched}/${faults.foreign.tried}`,
  );
  process.exitCode = failures.length > 0 ? 1 : 0;
}

/** A failure's first lines and, for an engine run, its diagnostics (where the engine puts each error in full). */
function briefly(failure: string): string {
  const lines = failure.split("\n");
  const diagnostics = lines.findIndex((line) => line.startsWith("Diagnostics:"));
  if (diagnostics < 0) return lines.slice(0, 30).join("\n");
  return [...lines.slice(0, 3), "…", ...lines.slice(diagnostics, diagnostics + 60)].join("\n");
}

main().catch((error: Error) => {
  console.error(`reliability: failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
