/**
 * Provider configuration: stack config `coexist:<key>` (handed to the dynamic provider's
 * `configure`), then the environment, then the default. See "Configuration contract" in
 * docs/ARCHITECTURE.md. Values live process-wide, in the provider plugin process, never in a
 * serialized closure.
 */

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
  return parsed.protocol === "https:" || parsed.protocol === "http:" ? undefined : `must be an http(s) URL, got "${value}"`;
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
  if (!credentials) return undefined;
  try {
    const parsed: unknown = JSON.parse(credentials);
    const key = (parsed as { private_key?: unknown }).private_key;
    return typeof key === "string" && key ? key : undefined;
  } catch {
    return undefined;
  }
}
