/**
 * SQLite state of the sandbox: one JSON document per object, plus a unique-key table that enforces
 * the uniqueness rules of the real services (UPNs, proxy addresses). WAL mode with one transaction
 * per write request, so state survives restarts and `kill -9`.
 */
import Database from "better-sqlite3";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { TenantRecord } from "./records";
import { createPrivateFile, DATABASE_FILE } from "./runtime";
import type { Seed } from "./seed";

export const GOOGLE_SCOPE = "google";

export type Kind =
  | "tenant"
  | "domain"
  | "sku"
  | "user"
  | "recipient"
  | "connector"
  | "transportRule"
  | "distributionGroup"
  | "acceptedDomainType"
  | "googleUser"
  | "deletedGoogleUser"
  | "googleDomain"
  | "googleGroup"
  | "pendingMailboxChange";

/**
 * Unique keys: `upn` (Entra UPNs), `proxy` (Exchange proxy addresses of all recipients and groups),
 * `recipientOf` (Entra user id → its Exchange recipient), `googleAddress` (addresses of Google users
 * and groups; a group's owner is `group:<email>`).
 */
export type KeyNamespace = "upn" | "proxy" | "recipientOf" | "googleAddress";

export interface SandboxSecrets {
  /** HMAC key for the sandbox's JWT-looking access tokens. */
  tokenKey: string;
  google: { privateKeyPem: string; publicKeyPem: string; privateKeyId: string };
}

export class Store {
  readonly db: Database.Database;
  private parsedSeed?: { revision: string; seed: Seed };

  constructor(dataDir: string) {
    createPrivateFile(join(dataDir, DATABASE_FILE));
    this.db = new Database(join(dataDir, DATABASE_FILE));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    // The CLI may reseed while the sandbox process serves requests from the same database.
    this.db.pragma("busy_timeout = 10000");
    // Exchange compares names and aliases case-insensitively in Unicode; SQLite's lower() folds only ASCII.
    this.db.function("fold", { deterministic: true }, (value: unknown) => (typeof value === "string" ? value.toLowerCase() : null));
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS docs (scope TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (scope, kind, id));
      CREATE TABLE IF NOT EXISTS keys (scope TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (scope, namespace, key));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS keys_by_owner ON keys (scope, namespace, owner);
      CREATE INDEX IF NOT EXISTS docs_by_name ON docs (scope, fold(json_extract(data, '$.name')));
      CREATE INDEX IF NOT EXISTS docs_by_alias ON docs (scope, fold(json_extract(data, '$.alias')));
    `);
  }

  get<T>(scope: string, kind: Kind, id: string): T | undefined {
    const row = this.db.prepare("SELECT data FROM docs WHERE scope = ? AND kind = ? AND id = ?").get(scope, kind, id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  /** In creation order. */
  list<T>(scope: string, kind: Kind): T[] {
    const rows = this.db.prepare("SELECT data FROM docs WHERE scope = ? AND kind = ? ORDER BY rowid").all(scope, kind) as { data: string }[];
    return rows.map((row) => JSON.parse(row.data) as T);
  }

  /** Documents of the kinds whose `name` or `alias` equals `value`, case-insensitively (indexed, not a scan). */
  withField<T>(scope: string, kinds: Kind[], field: "name" | "alias", value: string): T[] {
    const rows = this.db
      .prepare(`SELECT kind, data FROM docs WHERE scope = ? AND fold(json_extract(data, '$.${field}')) = fold(?) ORDER BY rowid`)
      .all(scope, value) as { kind: Kind; data: string }[];
    return rows.filter((row) => kinds.includes(row.kind)).map((row) => JSON.parse(row.data) as T);
  }

  /** One page in creation order, read without parsing the documents before it. */
  page<T>(scope: string, kind: Kind, offset: number, limit: number): T[] {
    const rows = this.db.prepare("SELECT data FROM docs WHERE scope = ? AND kind = ? ORDER BY rowid LIMIT ? OFFSET ?").all(scope, kind, limit, offset) as { data: string }[];
    return rows.map((row) => JSON.parse(row.data) as T);
  }

  /** Assigned licences per skuId over the tenant's users, counted inside SQLite rather than by parsing every user. */
  licenceCounts(scope: string): Map<string, number> {
    const rows = this.db
      .prepare("SELECT json_extract(licence.value, '$.skuId') AS skuId, count(*) AS n FROM docs, json_each(docs.data, '$.assignedLicenses') AS licence WHERE scope = ? AND kind = 'user' GROUP BY skuId")
      .all(scope) as { skuId: string; n: number }[];
    return new Map(rows.map((row) => [row.skuId, row.n]));
  }

  count(scope: string, kind: Kind): number {
    return (this.db.prepare("SELECT count(*) AS n FROM docs WHERE scope = ? AND kind = ?").get(scope, kind) as { n: number }).n;
  }

  put(scope: string, kind: Kind, id: string, doc: unknown): void {
    this.db
      .prepare("INSERT INTO docs (scope, kind, id, data) VALUES (?, ?, ?, ?) ON CONFLICT (scope, kind, id) DO UPDATE SET data = excluded.data")
      .run(scope, kind, id, JSON.stringify(doc));
  }

  delete(scope: string, kind: Kind, id: string): void {
    this.db.prepare("DELETE FROM docs WHERE scope = ? AND kind = ? AND id = ?").run(scope, kind, id);
  }

  ownerOf(scope: string, namespace: KeyNamespace, key: string): string | undefined {
    const row = this.db.prepare("SELECT owner FROM keys WHERE scope = ? AND namespace = ? AND key = ?").get(scope, namespace, key.toLowerCase()) as
      | { owner: string }
      | undefined;
    return row?.owner;
  }

  /** Records `key` as owned by `owner`; false when someone else owns it. */
  claim(scope: string, namespace: KeyNamespace, key: string, owner: string): boolean {
    const current = this.ownerOf(scope, namespace, key);
    if (current !== undefined) return current === owner;
    this.db.prepare("INSERT INTO keys (scope, namespace, key, owner) VALUES (?, ?, ?, ?)").run(scope, namespace, key.toLowerCase(), owner);
    return true;
  }

  release(scope: string, namespace: KeyNamespace, key: string): void {
    this.db.prepare("DELETE FROM keys WHERE scope = ? AND namespace = ? AND key = ?").run(scope, namespace, key.toLowerCase());
  }

  releaseAll(scope: string, namespace: KeyNamespace, owner: string): void {
    this.db.prepare("DELETE FROM keys WHERE scope = ? AND namespace = ? AND owner = ?").run(scope, namespace, owner);
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  tenants(): TenantRecord[] {
    return this.list<TenantRecord>("sandbox", "tenant");
  }

  /**
   * The seed, parsed once per revision: it holds every generated user (megabytes at 10,000), and
   * every request reads its behaviour. The revision changes whenever any process reseeds.
   */
  seed(): Seed {
    const revision = this.getMeta<string>("seedRevision");
    if (revision !== undefined && this.parsedSeed?.revision === revision) return this.parsedSeed.seed;
    const seed = this.getMeta<Seed>("seed");
    if (!seed) throw new Error("The sandbox database has no seed. Run `coexist sandbox seed` or `coexist sandbox reset`.");
    this.parsedSeed = revision === undefined ? undefined : { revision, seed };
    return seed;
  }

  dns(): Seed["dns"] {
    return this.getMeta<Seed["dns"]>("dns") ?? { mx: {}, txt: {} };
  }

  /** Created once per data directory and kept across resets, so issued credentials stay valid. */
  secrets(): SandboxSecrets {
    let secrets = this.getMeta<SandboxSecrets>("secrets");
    if (!secrets) {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      secrets = {
        tokenKey: randomBytes(32).toString("hex"),
        google: {
          privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
          privateKeyId: randomBytes(20).toString("hex"),
        },
      };
      this.setMeta("secrets", secrets);
    }
    return secrets;
  }

  close(): void {
    this.db.close();
  }
}
