/**
 * Provider configuration: stack config `coexist:<key>` (handed to the dynamic provider's
 * `configure`), then the environment, then the default. See "Configuration contract" in
 * docs/ARCHITECTURE.md. Values live process-wide, in the provider plugin process, never in a
 * serialized closure.
 */

import { isIP } from "node:net";

export interface CoexistConfig {
  graphUrl: string;
  exchangeUrl: string;
  googleUrl: string;
  loginUrl: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  googleCredentials?: string;
  googleServiceAccount?: string;
  googleIamUrl: string;
  googleTokenUrl: string;
  googleAdmin?: string;
  accessToken?: string;
}

export type ConfigKey = keyof CoexistConfig;

interface SettingSpec {
  env: string;
  defaultValue?: string;
  secret: boolean;
  /** What to put after `pulumi config set coexist:<key>` in the fix we suggest. */
  placeholder: string;
  /** What is wrong with a value, if anything ("is not a URL (...)"). */
  problemWith?: (value: string) => string | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function urlProblem(value: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return `is not an absolute URL ("${value}")`;
  }
  if (parsed.protocol === "https:") return undefined;
  if (parsed.protocol !== "http:") return `must be an https URL, got "${value}"`;
  return isLoopbackHost(parsed.hostname) ? undefined : `must be an https URL: http is allowed only for a loopback host (a sandbox), because tokens and passwords would cross the network in clear text; got "${value}"`;
}

/** 127.0.0.0/8, ::1 and localhost: the machine itself, where a sandbox runs. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

function url(env: string, defaultValue: string): SettingSpec {
  return { env, defaultValue, secret: false, placeholder: "<URL>", problemWith: urlProblem };
}

const SETTINGS: Record<ConfigKey, SettingSpec> = {
  graphUrl: url("COEXIST_GRAPH_URL", "https://graph.microsoft.com/v1.0"),
  exchangeUrl: url("COEXIST_EXCHANGE_URL", "https://outlook.office365.com/adminapi/beta"),
  googleUrl: url("COEXIST_GOOGLE_URL", "https://www.googleapis.com/"),
  loginUrl: url("COEXIST_LOGIN_URL", "https://login.microsoftonline.com"),
  tenantId: {
    env: "COEXIST_TENANT_ID",
    secret: false,
    placeholder: "<GUID>",
    problemWith: (value) => (GUID.test(value) || DOMAIN.test(value) ? undefined : `is neither a tenant GUID nor a tenant domain ("${value}")`),
  },
  clientId: {
    env: "COEXIST_CLIENT_ID",
    secret: false,
    placeholder: "<GUID>",
    problemWith: (value) => (GUID.test(value) ? undefined : `is not an application (client) ID GUID ("${value}")`),
  },
  clientSecret: { env: "COEXIST_CLIENT_SECRET", secret: true, placeholder: "<SECRET>" },
  googleCredentials: { env: "COEXIST_GOOGLE_CREDENTIALS", secret: true, placeholder: "\"$(cat service-account.json)\"" },
  googleServiceAccount: {
    env: "COEXIST_GOOGLE_SERVICE_ACCOUNT",
    secret: false,
    placeholder: "<SERVICE ACCOUNT EMAIL>",
    problemWith: (value) => (EMAIL.test(value) ? undefined : `is not a service account's email address ("${value}")`),
  },
  googleIamUrl: url("COEXIST_GOOGLE_IAM_URL", "https://iamcredentials.googleapis.com/"),
  googleTokenUrl: url("COEXIST_GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token"),
  googleAdmin: {
    env: "COEXIST_GOOGLE_ADMIN",
    secret: false,
    placeholder: "<ADMIN EMAIL>",
    problemWith: (value) => (EMAIL.test(value) ? undefined : `is not an email address ("${value}")`),
  },
  accessToken: { env: "COEXIST_ACCESS_TOKEN", secret: true, placeholder: "<TOKEN>" },
};

const CONFIG_KEYS = Object.keys(SETTINGS) as ConfigKey[];

export class ConfigError extends Error {
  constructor(
    readonly key: ConfigKey,
    problem: string,
  ) {
    super(`coexist:${key} ${problem}`);
    this.name = "ConfigError";
  }
}

let stackValues: Partial<Record<ConfigKey, string>> = {};
const registeredSecrets = new Set<string>();

/**
 * Stores the stack's `coexist:*` values for this process. Called from the dynamic provider's
 * `configure({config})`; each call replaces what an earlier call stored.
 */
export function configureFromStack(config: { get(key: string): string | undefined }): void {
  const values: Partial<Record<ConfigKey, string>> = {};
  for (const key of CONFIG_KEYS) {
    const value = nonEmpty(config.get(`coexist:${key}`));
    if (value !== undefined) values[key] = value;
  }
  stackValues = values;
}

/** The merged view: stack config, then environment, then default. */
export function currentConfig(): CoexistConfig {
  const merged: Partial<Record<ConfigKey, string>> = {};
  for (const key of CONFIG_KEYS) {
    const value = configuredValue(key) ?? SETTINGS[key].defaultValue;
    if (value === undefined) continue;
    const problem = SETTINGS[key].problemWith?.(value);
    if (problem) throw new ConfigError(key, `${problem}: ${howToSet(key)}`);
    merged[key] = value;
  }
  return merged as CoexistConfig;
}

function configuredValue(key: ConfigKey): string | undefined {
  return stackValues[key] ?? nonEmpty(process.env[SETTINGS[key].env]);
}

/** A setting the caller cannot work without; throws a ConfigError that names the key and the fix. */
export function requireSetting(key: ConfigKey, why?: string): string {
  const value = currentConfig()[key];
  if (value === undefined) throw new ConfigError(key, `is not set${why ? ` (${why})` : ""}: ${howToSet(key)}`);
  return value;
}

export function howToSet(key: ConfigKey): string {
  const spec = SETTINGS[key];
  const secretFlag = spec.secret ? " --secret" : "";
  return `run \`pulumi config set${secretFlag} coexist:${key} ${spec.placeholder}\` or export ${spec.env}`;
}

/** Where a setting's value comes from, for messages: stack config, the environment (naming the variable) or the default. */
export function originOf(key: ConfigKey): string {
  if (stackValues[key] !== undefined) return "from stack config";
  if (nonEmpty(process.env[SETTINGS[key].env]) !== undefined) return `from the environment, ${SETTINGS[key].env}`;
  return "the default";
}

/** Whether a setting was given (stack config or environment) rather than left at its default. */
export function isConfigured(key: ConfigKey): boolean {
  return originOf(key) !== "the default";
}

/** The APIs the provider calls; each checks its endpoints before its first request. */
export type Service = "graph" | "exchange" | "google";

/** A URL the provider's tokens, assertions or passwords are sent to. */
export interface Endpoint {
  key: ConfigKey;
  /** `coexist:graphUrl`, or `coexist:googleCredentials (its token_uri)`. */
  name: string;
  url: URL;
  origin: string;
}

const URL_KEYS: ConfigKey[] = ["graphUrl", "exchangeUrl", "googleUrl", "loginUrl", "googleIamUrl", "googleTokenUrl"];

/**
 * The endpoints a service's calls and token requests go to under the current configuration, plus
 * every URL setting configured explicitly (stack config or environment): what the loopback rules
 * below compare. A default nobody uses (the IAM URL without keyless Google) is left out.
 */
function endpointsFor(service: Service, config: CoexistConfig = currentConfig()): Endpoint[] {
  const keys = new Set<ConfigKey>(URL_KEYS.filter((key) => configuredValue(key) !== undefined));
  if (service === "graph") keys.add("graphUrl");
  if (service === "exchange") keys.add("exchangeUrl");
  if (service === "google") keys.add("googleUrl");
  const signsIn = !config.accessToken;
  if (signsIn && service !== "google") keys.add("loginUrl");
  if (signsIn && service === "google" && config.googleServiceAccount) {
    keys.add("googleIamUrl");
    keys.add("googleTokenUrl");
  }
  const endpoints: Endpoint[] = URL_KEYS.filter((key) => keys.has(key)).map((key) => ({ key, name: `coexist:${key}`, url: new URL(config[key] as string), origin: originOf(key) }));
  const tokenUri = googleTokenUriOf(config.googleCredentials);
  if (tokenUri) endpoints.push({ key: "googleCredentials", name: "coexist:googleCredentials (its token_uri)", url: tokenUri, origin: originOf("googleCredentials") });
  return endpoints;
}

/**
 * Refuses a configuration that would send a credential where it does not belong: a static
 * `accessToken` to anything but loopback, a key file's token_uri over http, or a mix of loopback
 * (sandbox) and real endpoints, the usual trace of a sandbox's `export` lines left in a shell.
 * Returns the configuration the service may use.
 */
export function checkEndpoints(service: Service): CoexistConfig {
  const config = currentConfig();
  const endpoints = endpointsFor(service, config);
  const insecure = endpoints.find((endpoint) => endpoint.url.protocol !== "https:" && !isLoopbackHost(endpoint.url.hostname));
  if (insecure) throw new ConfigError(insecure.key, `names ${insecure.url.origin} for its token requests: only https is allowed there (http only for a loopback sandbox)`);
  const loopback = endpoints.filter((endpoint) => isLoopbackHost(endpoint.url.hostname));
  const remote = endpoints.filter((endpoint) => !isLoopbackHost(endpoint.url.hostname));
  if (loopback.length > 0 && remote.length > 0) {
    const fromEnvironment = endpoints.filter((endpoint) => endpoint.origin.startsWith("from the environment")).map((endpoint) => SETTINGS[endpoint.key].env);
    const unset = fromEnvironment.length > 0 ? `unset ${[...new Set(fromEnvironment)].join(" ")} if a sandbox's export lines are left in this shell, or ` : "";
    throw new ConfigError(
      loopback[0].key,
      `is a loopback (sandbox) endpoint while other endpoints are real; a stack talks to a sandbox or to real tenants, never both. ` +
        `Loopback: ${loopback.map(describe).join("; ")}. Not loopback: ${remote.map(describe).join("; ")}. ` +
        `Fix: ${unset}set every endpoint for one side`,
    );
  }
  if (config.accessToken && remote.length > 0) {
    throw new ConfigError(
      "accessToken",
      `is set (${originOf("accessToken")}), but a static token is only ever sent to loopback (sandbox) endpoints, and ${remote.map(describe).join("; ")} ${remote.length === 1 ? "is" : "are"} not. ` +
        `For real tenants unset it (${howToUnset("accessToken")}) and sign in with coexist:clientId and coexist:clientSecret, a federated token, or a Google service account`,
    );
  }
  return config;
}

function describe(endpoint: Endpoint): string {
  return `${endpoint.name} ${endpoint.url.origin}${endpoint.url.pathname === "/" ? "" : endpoint.url.pathname} (${endpoint.origin})`;
}

function howToUnset(key: ConfigKey): string {
  return `\`pulumi config rm coexist:${key}\` or unset ${SETTINGS[key].env}`;
}

/** A setting as messages name it: `coexist:graphUrl https://... (from the environment, COEXIST_GRAPH_URL)`. */
export function describeSetting(key: ConfigKey): string {
  const value = configuredValue(key) ?? SETTINGS[key].defaultValue;
  if (value === undefined) return `coexist:${key} (not set)`;
  return `coexist:${key}${SETTINGS[key].secret ? "" : ` ${value}`} (${originOf(key)})`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Adds a value (e.g. a mail user's password) that `redact` must remove from every message. */
export function registerSecret(value: string | undefined): void {
  if (value) registeredSecrets.add(value);
}

/** Removes every configured and registered secret from `text`, including JSON-escaped forms. */
export function redact(text: string): string {
  let result = text;
  for (const secret of secretsToRedact()) {
    result = result.split(secret).join("[redacted]");
  }
  return result;
}

function secretsToRedact(): string[] {
  const secrets = new Set(registeredSecrets);
  // Raw values, not currentConfig(): redaction runs while reporting errors, bad URLs included.
  for (const key of CONFIG_KEYS) {
    const value = configuredValue(key);
    if (SETTINGS[key].secret && value) secrets.add(value);
  }
  const privateKey = googlePrivateKeyOf(configuredValue("googleCredentials"));
  if (privateKey) secrets.add(privateKey);
  for (const secret of [...secrets]) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) secrets.add(escaped);
  }
  // Longest first, so a secret that contains another is removed whole.
  return [...secrets].sort((a, b) => b.length - a.length);
}

function googlePrivateKeyOf(credentials: string | undefined): string | undefined {
  const key = googleKeyFileField(credentials, "private_key");
  return key || undefined;
}

/** The token endpoint a service-account key file names, when it names a valid URL. */
function googleTokenUriOf(credentials: string | undefined): URL | undefined {
  const tokenUri = googleKeyFileField(credentials, "token_uri");
  if (!tokenUri) return undefined;
  try {
    return new URL(tokenUri);
  } catch {
    return undefined;
  }
}

function googleKeyFileField(credentials: string | undefined, field: "private_key" | "token_uri"): string | undefined {
  if (!credentials) return undefined;
  try {
    const value = (JSON.parse(credentials) as Record<string, unknown>)[field];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
