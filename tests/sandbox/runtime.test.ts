import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedDataDir, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { CONTROL_TOKEN_FILE, DATABASE_FILE, GOOGLE_CREDENTIALS_FILE, LOG_FILE, readControlToken, RUNTIME_FILE, SERVER_KEY_FILE } from "pulumi-mail-coexistence-sandbox/runtime";
import { graphClient, startTestSandbox } from "./harness";

const PRIVATE = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, SERVER_KEY_FILE, RUNTIME_FILE, GOOGLE_CREDENTIALS_FILE, CONTROL_TOKEN_FILE, LOG_FILE];

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe("sandbox data directory (files only their owner can read)", function () {
  this.timeout(60_000);
  const parent = mkdtempSync(join(tmpdir(), "coexist-sandbox-runtime-"));
  after(() => rmSync(parent, { recursive: true, force: true }));

  it("creates the data directory 0700 and every file holding state, keys or secrets 0600", async () => {
    const dataDir = join(parent, "fresh", "data");
    const sandbox: SandboxHandle = await startTestSandbox({ dataDir });
    try {
      await graphClient(sandbox).api("/domains").post({ id: "written.example" });
      assert.equal(mode(dataDir), 0o700);
      for (const name of PRIVATE) {
        assert.ok(existsSync(join(dataDir, name)), `${name} exists`);
        assert.equal(mode(join(dataDir, name)), 0o600, name);
      }
    } finally {
      await sandbox.stop();
    }
  });

  it("brings the files of a data directory an older sandbox left world-readable back to 0600", async () => {
    const dataDir = join(parent, "older");
    seedDataDir(dataDir, {});
    chmodSync(join(dataDir, DATABASE_FILE), 0o644);
    const sandbox = await startTestSandbox({ dataDir });
    try {
      assert.equal(mode(join(dataDir, DATABASE_FILE)), 0o600);
    } finally {
      await sandbox.stop();
    }
  });

  it("says which file is missing when a control token cannot be read", () => {
    assert.throws(() => readControlToken(join(parent, "nowhere")), /Cannot read the sandbox control token .*nowhere.*control-token/);
  });
});
