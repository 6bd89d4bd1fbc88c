/**
 * The sandbox's data directory: what a running sandbox publishes there (runtime.json), and the
 * files only its owner may read (the database with the token and Google keys, the server key, the
 * control token, the runtime file with the client secret, the log), created 0600 in a 0700 directory.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What a running sandbox process publishes in <dataDir>/runtime.json. */
export interface Runtime {
  pid: number;
  port: number;
  url: string;
  env: Record<string, string>;
}

export const RUNTIME_FILE = "runtime.json";

/** The service-account key file whose token_uri is the running sandbox. */
export const GOOGLE_CREDENTIALS_FILE = "google-credentials.json";

/** The bearer token of the control API (`/sandbox/*`); never printed, never in runtime.json. */
export const CONTROL_TOKEN_FILE = "control-token";

export const DATABASE_FILE = "sandbox.db";
export const SERVER_KEY_FILE = "server-key.pem";
export const LOG_FILE = "sandbox.log";

const PRIVATE_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, SERVER_KEY_FILE, RUNTIME_FILE, GOOGLE_CREDENTIALS_FILE, CONTROL_TOKEN_FILE, LOG_FILE];

/** Creates the data directory owner-only; an existing directory is the user's and keeps its mode. */
export function makeDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** Writes the whole file at once (readers polling for it never see half of it), readable by its owner only. */
export function writePrivateFile(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Creates an empty owner-only file unless it exists (SQLite then keeps the mode, and gives it to its -wal and -shm files). */
export function createPrivateFile(path: string): void {
  closeSync(openSync(path, "a", 0o600));
}

/** Brings files that an older sandbox created world-readable to 0600. */
export function restrictPrivateFiles(dataDir: string): void {
  for (const name of PRIVATE_FILES) {
    const path = join(dataDir, name);
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

/** The data directory's control token, created on first use. */
export function ensureControlToken(dataDir: string): string {
  const path = join(dataDir, CONTROL_TOKEN_FILE);
  if (!existsSync(path)) writePrivateFile(path, randomBytes(32).toString("base64url"));
  return readControlToken(dataDir);
}

export function readControlToken(dataDir: string): string {
  const path = join(dataDir, CONTROL_TOKEN_FILE);
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot read the sandbox control token ${path} (${reason}); is ${dataDir} the data directory of a sandbox you own?`);
  }
}
