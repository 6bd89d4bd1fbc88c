import * as http from "http";
import type { AddressInfo } from "net";
import { configureFromStack, type ConfigKey } from "../../../provider/config";
import { setRetryPolicy, DEFAULT_RETRY_POLICY } from "../../../provider/clients/retry";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  /** Close the connection without an answer (after reading the request). */
  drop?: boolean;
}

export type Handler = (request: RecordedRequest, fixture: Fixture) => Reply;

/**
 * The answer of a real service to a client's base URL check (docs/clients.md, "Base URL check"),
 * when `request` is one: Graph `GET /domains?$select=id`, Exchange Get-AcceptedDomain with
 * `$select=DomainName`, Gmail auto-forwarding with `fields=enabled`, one Directory user.
 */
export function baseUrlCheckAnswer(request: RecordedRequest): Reply | undefined {
  const url = new URL(request.path, "http://fixture.invalid");
  if (request.method === "GET" && url.pathname.endsWith("/domains") && url.searchParams.get("$select") === "id") return { body: { value: [] } };
  if (request.method === "POST" && url.pathname.endsWith("/InvokeCommand") && url.searchParams.get("$select") === "DomainName") return { body: { value: [] } };
  if (request.method === "GET" && url.pathname.endsWith("/settings/autoForwarding") && url.searchParams.get("fields") === "enabled") return { body: { enabled: false } };
  if (request.method === "GET" && url.pathname.endsWith("/directory/v1/users") && url.searchParams.get("fields") === "users(primaryEmail)") return { body: { users: [] } };
  return undefined;
}

/**
 * A tiny HTTP server on 127.0.0.1 that answers from a handler and records every request. The
 * clients' base URL checks are answered as the real services would and recorded apart, in
 * `checks`, unless a test turns `answerChecks` off to answer them itself.
 */
export class Fixture {
  readonly requests: RecordedRequest[] = [];
  readonly checks: RecordedRequest[] = [];
  answerChecks = true;
  private server?: http.Server;
  url = "";

  constructor(public handler: Handler) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const recorded: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        const check = this.answerChecks ? baseUrlCheckAnswer(recorded) : undefined;
        (check ? this.checks : this.requests).push(recorded);
        const reply = check ?? this.handler(recorded, this);
        if (reply.drop) {
          res.socket?.destroy();
          return;
        }
        const isText = typeof reply.body === "string";
        const payload = reply.body === undefined ? "" : isText ? (reply.body as string) : JSON.stringify(reply.body);
        const headers = { ...(reply.body !== undefined && !isText ? { "Content-Type": "application/json" } : {}), ...reply.headers };
        res.writeHead(reply.status ?? 200, headers);
        res.end(payload);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server?.closeAllConnections();
  }

  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path.startsWith(prefix));
  }
}

/**
 * A fresh fixture for each test of the enclosing `describe`, with the stack config `configFor`
 * gives for its URL and fast retries; returns the current fixture. Set `.handler` in the test.
 */
export function fixturePerTest(configFor: (url: string) => Partial<Record<ConfigKey, string>>): () => Fixture {
  let current: Fixture | undefined;
  beforeEach(async () => {
    current = await new Fixture(() => ({ status: 500, body: "the test set no handler" })).start();
    useStackConfig(configFor(current.url));
    useFastRetries();
  });
  afterEach(async () => {
    restoreRetryPolicy();
    useStackConfig({});
    await current?.stop();
  });
  return () => {
    if (!current) throw new Error("fixturePerTest: no fixture outside a test");
    return current;
  };
}

/** Stack config for a test: exactly these keys; everything else empty (environment ignored where set). */
export function useStackConfig(values: Partial<Record<ConfigKey, string>>): void {
  configureFromStack({ get: (key) => values[key.replace(/^coexist:/, "") as ConfigKey] });
}

/** A JWT-shaped token with these claims and no valid signature (clients only read its claims). */
export function unsignedJwt(claims: object): string {
  return `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.c2ln`;
}

/** Retries without real waiting: the fixtures answer Retry-After: 0 or rely on a 1 ms backoff step. */
export function useFastRetries(changes: Partial<typeof DEFAULT_RETRY_POLICY> = {}): void {
  setRetryPolicy({ ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 5, ...changes });
}

export function restoreRetryPolicy(): void {
  setRetryPolicy(DEFAULT_RETRY_POLICY);
}
