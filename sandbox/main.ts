/**
 * The sandbox process: `node dist/sandbox/main.js --data-dir D --port P [--faults JSON]`.
 * Writes <dataDir>/runtime.json (pid, port, url, env) once it listens, and prints `ready <url>`.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { validateFaultSettings } from "./faults";
import { GOOGLE_CREDENTIALS_FILE, RUNTIME_FILE, writePrivateFile, type Runtime } from "./runtime";
import { googleCredentialsJson } from "./auth";
import { sandboxEnv, startServer } from "./server";

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const dataDir = argument("data-dir");
  if (!dataDir) throw new Error("--data-dir is required.");
  const faults = argument("faults");
  const server = await startServer({
    dataDir,
    port: Number(argument("port") ?? 0),
    faults: faults ? validateFaultSettings(JSON.parse(faults)) : undefined,
  });
  const runtimePath = join(dataDir, RUNTIME_FILE);
  const runtime: Runtime = { pid: process.pid, port: server.port, url: server.url, env: sandboxEnv(server.store, server.url, dataDir, join(dataDir, "ca.pem")) };
  writePrivateFile(join(dataDir, GOOGLE_CREDENTIALS_FILE), JSON.stringify(googleCredentialsJson(server.store, server.url), null, 2));
  // Last: `startSandbox` waits for this file.
  writePrivateFile(runtimePath, JSON.stringify(runtime, null, 2));
  const stop = (): void => {
    rmSync(runtimePath, { force: true });
    void server.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  if (process.connected) process.on("disconnect", stop);
  process.on("SIGINT", stop);
  process.stdout.write(`ready ${server.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
