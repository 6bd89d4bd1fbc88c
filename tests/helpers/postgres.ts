/**
 * A throwaway PostgreSQL server for one suite: `initdb` and `pg_ctl` into a temporary folder,
 * listening on 127.0.0.1 only (a free port) with password authentication, its socket inside that
 * folder. The server refuses to run as root, so as root every server command runs as the
 * `postgres` user, who then owns the folder.
 */
import { randomBytes } from "crypto";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface PostgresServer {
  /** `postgres://coexist@127.0.0.1:<port>/pulumi?sslmode=disable`: no password in it, see `password`. */
  backendUrl: string;
  /** The role's password, for `PGPASSWORD` (the engine's driver and psql read it from there). */
  password: string;
  /** Runs SQL in the state database with psql; the rows as unaligned text, one per line. */
  query(sql: string): Promise<string>;
  /** Stops the server (fast, then immediate) and removes its folder. */
  stop(): Promise<void>;
}

export const DATABASE = "pulumi";
const ROLE = "coexist";
const SERVER_USER = "postgres";
const START_ATTEMPTS = 3;
/** Upper bounds of the server commands: a stuck command fails the suite instead of hanging it. */
const TIMEOUT_MS = { initdb: 120_000, start: 45_000, stop: 30_000, query: 30_000 };

const INSTALL_HINT =
  "install the PostgreSQL 15 server (Debian/Ubuntu: `apt-get install postgresql-15`) and put its bin folder " +
  "(/usr/lib/postgresql/15/bin) on PATH; tests/integration/postgresBackend.test.ts starts its own server with initdb and pg_ctl";

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** initdb, pg_ctl and psql: from PATH, psql also from the server's own bin folder. */
export function postgresTools(): { initdb: string; pgCtl: string; psql: string } {
  const initdb = onPath("initdb");
  const pgCtl = onPath("pg_ctl");
  if (!initdb || !pgCtl) throw new Error(`${initdb ? "pg_ctl" : "initdb"} is not on PATH: ${INSTALL_HINT}.`);
  const besideServer = path.join(path.dirname(fs.realpathSync(initdb)), "psql");
  const psql = fs.existsSync(besideServer) ? besideServer : onPath("psql");
  if (!psql) throw new Error(`psql is neither beside ${initdb} nor on PATH: ${INSTALL_HINT}.`);
  return { initdb, pgCtl, psql };
}

interface Runner {
  /** The command line that runs `command` as the server's user. */
  wrap(command: string, args: string[]): [string, string[]];
  /** Gives the server's user the folder. */
  own(dir: string): void;
}

function serverRunner(): Runner {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => [command, args], own: () => undefined };
  let ids: { uid: number; gid: number };
  try {
    ids = { uid: Number(execFileSync("id", ["-u", SERVER_USER]).toString()), gid: Number(execFileSync("id", ["-g", SERVER_USER]).toString()) };
  } catch {
    throw new Error(`PostgreSQL refuses to run as root and there is no \`${SERVER_USER}\` user to run it as: ${INSTALL_HINT} (the package creates that user).`);
  }
  const runuser = onPath("runuser") ?? ["/usr/sbin/runuser", "/sbin/runuser"].find((candidate) => fs.existsSync(candidate));
  if (!runuser) throw new Error(`PostgreSQL refuses to run as root, and runuser (util-linux), which starts it as \`${SERVER_USER}\`, is missing.`);
  return {
    wrap: (command, args) => [runuser, ["-u", SERVER_USER, "--", command, ...args]],
    own: (dir) => fs.chownSync(dir, ids.uid, ids.gid),
  };
}

function run(command: string, args: string[], timeout: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout, killSignal: "SIGKILL", env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(command)} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const tools = postgresTools();
  const runner = serverRunner();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-postgres-"));
  const dataDir = path.join(root, "data");
  const password = randomBytes(18).toString("hex");
  const asServer = (command: string, args: string[], timeout: number) => run(...runner.wrap(command, args), timeout);
  let port = 0;
  const stop = async () => {
    try {
      await asServer(tools.pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "20"], TIMEOUT_MS.stop);
    } catch {
      await asServer(tools.pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "10"], TIMEOUT_MS.stop).catch(() => undefined);
    }
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    runner.own(root);
    const passwordFile = path.join(root, "password");
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
    runner.own(passwordFile);
    await asServer(
      tools.initdb,
      ["-D", dataDir, "-U", ROLE, `--pwfile=${passwordFile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
      TIMEOUT_MS.initdb,
    );
    fs.rmSync(passwordFile);
    // A free port can be taken between the probe and the server's bind: try another one.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${root}`;
      try {
        await asServer(tools.pgCtl, ["start", "-D", dataDir, "-l", path.join(root, "server.log"), "-w", "-t", "30", "-o", options], TIMEOUT_MS.start);
        break;
      } catch (error) {
        if (attempt === START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    const log = fs.existsSync(path.join(root, "server.log")) ? `\nserver log:\n${fs.readFileSync(path.join(root, "server.log"), "utf8")}` : "";
    await stop();
    throw new Error(`Could not start PostgreSQL: ${(error as Error).message}${log}`);
  }
  const psqlEnv = { ...process.env, PGPASSWORD: password };
  const query = (database: string, sql: string) =>
    run(tools.psql, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", ROLE, "-d", database, "-c", sql], TIMEOUT_MS.query, psqlEnv);
  try {
    await query("postgres", `CREATE DATABASE ${DATABASE}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    backendUrl: `postgres://${ROLE}@127.0.0.1:${port}/${DATABASE}?sslmode=disable`,
    password,
    query: (sql) => query(DATABASE, sql),
    stop,
  };
}
