import * as assert from "assert";
import { ConfigError, checkEndpoints, configureFromStack, currentConfig, isLoopbackHost, redact, registerSecret, requireSetting, type Service } from "../../provider/config";

const ENV_KEYS = [
  "COEXIST_GRAPH_URL",
  "COEXIST_EXCHANGE_URL",
  "COEXIST_GOOGLE_URL",
  "COEXIST_LOGIN_URL",
  "COEXIST_TENANT_ID",
  "COEXIST_CLIENT_ID",
  "COEXIST_CLIENT_SECRET",
  "COEXIST_ACCESS_TOKEN",
  "COEXIST_GOOGLE_CREDENTIALS",
  "COEXIST_GOOGLE_ADMIN",
  "COEXIST_GOOGLE_SERVICE_ACCOUNT",
  "COEXIST_GOOGLE_IAM_URL",
  "COEXIST_GOOGLE_TOKEN_URL",
];

function stack(values: Record<string, string>): void {
  configureFromStack({ get: (key) => values[key] });
}

describe("provider config", () => {
  const savedEnv: Record<string, string | undefined> = {};

  beforeEach(() => {
    for (const key of ENV_KEYS) {
      savedEnv[key] = process.env[key];
      delete process.env[key];
    }
    stack({});
  });

  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (savedEnv[key] === undefined) delete process.env[key];
      else process.env[key] = savedEnv[key];
    }
    stack({});
  });

  describe("precedence", () => {
    const cases: Array<{ name: string; stackValue?: string; envValue?: string; expected: string }> = [
      { name: "default when nothing is set", expected: "https://graph.microsoft.com/v1.0" },
      { name: "environment over default", envValue: "https://127.0.0.1:9443/v1.0", expected: "https://127.0.0.1:9443/v1.0" },
      {
        name: "stack config over environment",
        stackValue: "https://10.0.0.1/v1.0",
        envValue: "https://127.0.0.1:9443/v1.0",
        expected: "https://10.0.0.1/v1.0",
      },
      { name: "blank stack value falls through", stackValue: "  ", envValue: "https://127.0.0.1:1/v1.0", expected: "https://127.0.0.1:1/v1.0" },
    ];
    for (const { name, stackValue, envValue, expected } of cases) {
      it(name, () => {
        if (envValue !== undefined) process.env.COEXIST_GRAPH_URL = envValue;
        stack(stackValue !== undefined ? { "coexist:graphUrl": stackValue } : {});
        assert.strictEqual(currentConfig().graphUrl, expected);
      });
    }

    it("has every default of the configuration contract", () => {
      const config = currentConfig();
      assert.strictEqual(config.exchangeUrl, "https://outlook.office365.com/adminapi/beta");
      assert.strictEqual(config.googleUrl, "https://www.googleapis.com/");
      assert.strictEqual(config.loginUrl, "https://login.microsoftonline.com");
      assert.strictEqual(config.googleIamUrl, "https://iamcredentials.googleapis.com/");
      assert.strictEqual(config.googleTokenUrl, "https://oauth2.googleapis.com/token");
      assert.strictEqual(config.tenantId, undefined);
    });

    it("forgets values of an earlier configure call", () => {
      stack({ "coexist:tenantId": "11111111-1111-1111-1111-111111111111" });
      stack({});
      assert.strictEqual(currentConfig().tenantId, undefined);
    });
  });

  describe("validation", () => {
    it("names the key and both fixes when a required setting is missing", () => {
      assert.throws(
        () => requireSetting("tenantId"),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message === "coexist:tenantId is not set: run `pulumi config set coexist:tenantId <GUID>` or export COEXIST_TENANT_ID",
      );
    });

    it("suggests --secret for secret settings", () => {
      assert.throws(() => requireSetting("clientSecret"), /pulumi config set --secret coexist:clientSecret <SECRET>` or export COEXIST_CLIENT_SECRET/);
    });

    const invalid = [
      { key: "coexist:graphUrl", value: "graph.local", message: /^ConfigError: coexist:graphUrl is not an absolute URL \("graph\.local"\): run `pulumi config set coexist:graphUrl <URL>` or export COEXIST_GRAPH_URL$/ },
      { key: "coexist:exchangeUrl", value: "ftp://127.0.0.1/adminapi/beta", message: /^ConfigError: coexist:exchangeUrl must be an https URL, got "ftp:/ },
      { key: "coexist:tenantId", value: "contoso", message: /^ConfigError: coexist:tenantId is neither a tenant GUID nor a tenant domain \("contoso"\)/ },
      { key: "coexist:clientId", value: "my-app", message: /^ConfigError: coexist:clientId is not an application \(client\) ID GUID/ },
      { key: "coexist:googleAdmin", value: "ada", message: /^ConfigError: coexist:googleAdmin is not an email address \("ada"\)/ },
      {
        key: "coexist:exchangeUrl",
        value: "http://outlook.office365.com/adminapi/beta",
        message: /^ConfigError: coexist:exchangeUrl must be an https URL: http is allowed only for a loopback host \(a sandbox\), because tokens and passwords would cross the network in clear text/,
      },
      { key: "coexist:googleTokenUrl", value: "http://10.0.0.5/token", message: /^ConfigError: coexist:googleTokenUrl must be an https URL: http is allowed only for a loopback host/ },
    ];
    for (const { key, value, message } of invalid) {
      it(`rejects ${key}=${value}, naming the key and the fix`, () => {
        stack({ [key]: value });
        assert.throws(() => currentConfig(), message);
      });
    }

    const valid = [
      { key: "coexist:tenantId", value: "6f1c3a52-8d0e-4b7a-9c1d-2e3f4a5b6c7d" },
      { key: "coexist:tenantId", value: "contoso.onmicrosoft.com" },
      { key: "coexist:googleAdmin", value: "ada.adams@contoso.com" },
      { key: "coexist:loginUrl", value: "https://127.0.0.1:8443" },
      { key: "coexist:graphUrl", value: "http://127.0.0.1:8080/v1.0" },
      { key: "coexist:googleUrl", value: "http://localhost:8080/" },
      { key: "coexist:exchangeUrl", value: "http://[::1]:8080/adminapi/beta" },
    ];
    for (const { key, value } of valid) {
      it(`accepts ${key}=${value}`, () => {
        stack({ [key]: value });
        assert.strictEqual((currentConfig() as unknown as Record<string, string>)[key.slice("coexist:".length)], value);
      });
    }
  });

  describe("loopback", () => {
    const hosts = [
      { host: "127.0.0.1", loopback: true },
      { host: "127.8.9.10", loopback: true },
      { host: "localhost", loopback: true },
      { host: "sandbox.localhost", loopback: true },
      { host: "[::1]", loopback: true },
      { host: "10.0.0.1", loopback: false },
      { host: "127.0.0.1.nip.io", loopback: false },
      { host: "graph.microsoft.com", loopback: false },
      { host: "localhost.contoso.com", loopback: false },
    ];
    for (const { host, loopback } of hosts) {
      it(`${loopback ? "counts" : "does not count"} ${host} as loopback`, () => assert.strictEqual(isLoopbackHost(host), loopback));
    }
  });

  describe("where tokens may go (checkEndpoints)", () => {
    const SANDBOX = "https://127.0.0.1:8443";
    const sandboxEnv = {
      COEXIST_GRAPH_URL: `${SANDBOX}/v1.0`,
      COEXIST_EXCHANGE_URL: `${SANDBOX}/adminapi/beta`,
      COEXIST_GOOGLE_URL: `${SANDBOX}/`,
      COEXIST_LOGIN_URL: SANDBOX,
    };
    const keyFile = (tokenUri: string) => JSON.stringify({ client_email: "sa@p.iam.gserviceaccount.com", private_key: "k", token_uri: tokenUri });
    const cases: Array<{ name: string; service: Service; stack?: Record<string, string>; env?: Record<string, string>; refused?: RegExp }> = [
      { name: "real endpoints (the defaults) with client credentials", service: "graph", stack: { "coexist:clientSecret": "s" } },
      { name: "the sandbox's exports with its static token", service: "exchange", env: { ...sandboxEnv, COEXIST_ACCESS_TOKEN: "sandbox-token" } },
      { name: "the sandbox's exports and its key file", service: "google", env: { ...sandboxEnv, COEXIST_GOOGLE_CREDENTIALS: keyFile(`${SANDBOX}/token`) } },
      { name: "one loopback endpoint, for the one service that uses it", service: "exchange", stack: { "coexist:exchangeUrl": "http://127.0.0.1:9/adminapi/beta", "coexist:accessToken": "t" } },
      {
        name: "a static token to a real host",
        service: "graph",
        stack: { "coexist:accessToken": "t" },
        refused:
          /^coexist:accessToken is set \(from stack config\), but a static token is only ever sent to loopback \(sandbox\) endpoints, and coexist:graphUrl https:\/\/graph\.microsoft\.com\/v1\.0 \(the default\) is not\. For real tenants unset it \(`pulumi config rm coexist:accessToken` or unset COEXIST_ACCESS_TOKEN\)/,
      },
      {
        name: "a static token from the environment, with a real Google URL from stack config",
        service: "google",
        stack: { "coexist:googleUrl": "https://www.googleapis.com/" },
        env: { COEXIST_ACCESS_TOKEN: "t" },
        refused: /^coexist:accessToken is set \(from the environment, COEXIST_ACCESS_TOKEN\), .* coexist:googleUrl https:\/\/www\.googleapis\.com \(from stack config\) is not/,
      },
      {
        name: "sandbox exports left in the shell of a production stack",
        service: "graph",
        stack: { "coexist:exchangeUrl": "https://outlook.office365.com/adminapi/beta", "coexist:clientSecret": "s" },
        env: { COEXIST_GRAPH_URL: `${SANDBOX}/v1.0`, COEXIST_LOGIN_URL: SANDBOX },
        refused: new RegExp(
          "^coexist:graphUrl is a loopback \\(sandbox\\) endpoint while other endpoints are real; a stack talks to a sandbox or to real tenants, never both\\. " +
            "Loopback: coexist:graphUrl https://127\\.0\\.0\\.1:8443/v1\\.0 \\(from the environment, COEXIST_GRAPH_URL\\); coexist:loginUrl https://127\\.0\\.0\\.1:8443 \\(from the environment, COEXIST_LOGIN_URL\\)\\. " +
            "Not loopback: coexist:exchangeUrl https://outlook\\.office365\\.com/adminapi/beta \\(from stack config\\)\\. " +
            "Fix: unset COEXIST_GRAPH_URL COEXIST_LOGIN_URL if a sandbox's export lines are left in this shell, or set every endpoint for one side$",
        ),
      },
      {
        name: "a sandbox Graph URL with the real login host (default)",
        service: "graph",
        stack: { "coexist:graphUrl": `${SANDBOX}/v1.0` },
        refused: /Loopback: coexist:graphUrl .*\(from stack config\)\. Not loopback: coexist:loginUrl https:\/\/login\.microsoftonline\.com \(the default\)\. Fix: set every endpoint for one side$/,
      },
      {
        name: "a sandbox key file with real Google URLs",
        service: "google",
        stack: { "coexist:googleCredentials": keyFile(`${SANDBOX}/token`) },
        refused: /^coexist:googleCredentials is a loopback .* Loopback: coexist:googleCredentials \(its token_uri\) https:\/\/127\.0\.0\.1:8443\/token \(from stack config\)\. Not loopback: coexist:googleUrl https:\/\/www\.googleapis\.com \(the default\)/,
      },
      {
        name: "a key file whose token_uri is plain http",
        service: "google",
        stack: { "coexist:googleCredentials": keyFile("http://tokens.example.com/token") },
        refused: /^coexist:googleCredentials names http:\/\/tokens\.example\.com for its token requests: only https is allowed there/,
      },
      {
        name: "keyless Google against a sandbox with the real IAM and token URLs (defaults)",
        service: "google",
        stack: { "coexist:googleServiceAccount": "dwd@p.iam.gserviceaccount.com" },
        env: { COEXIST_GOOGLE_URL: `${SANDBOX}/` },
        refused: /Not loopback: coexist:googleIamUrl https:\/\/iamcredentials\.googleapis\.com \(the default\); coexist:googleTokenUrl https:\/\/oauth2\.googleapis\.com\/token \(the default\)\. Fix: unset COEXIST_GOOGLE_URL/,
      },
      {
        name: "keyless Google entirely against a sandbox",
        service: "google",
        stack: { "coexist:googleServiceAccount": "dwd@p.iam.gserviceaccount.com" },
        env: { COEXIST_GOOGLE_URL: `${SANDBOX}/`, COEXIST_GOOGLE_IAM_URL: `${SANDBOX}/`, COEXIST_GOOGLE_TOKEN_URL: `${SANDBOX}/token` },
      },
    ];
    for (const { name, service, stack: values, env, refused } of cases) {
      it(`${refused ? "refuses" : "allows"} ${name} (${service})`, () => {
        Object.assign(process.env, env ?? {});
        stack(values ?? {});
        if (!refused) return void checkEndpoints(service);
        assert.throws(() => checkEndpoints(service), (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, refused);
          return true;
        });
      });
    }
  });

  describe("redact", () => {
    const privateKey = "-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----\n";

    it("removes the client secret, the access token and the Google private key", () => {
      stack({
        "coexist:clientSecret": "cs~topsecret",
        "coexist:accessToken": "tok.en.value",
        "coexist:googleCredentials": JSON.stringify({ client_email: "sa@p.iam.gserviceaccount.com", private_key: privateKey }),
      });
      const text = `secret cs~topsecret token tok.en.value key ${privateKey} end`;
      assert.strictEqual(redact(text), "secret [redacted] token [redacted] key [redacted] end");
    });

    it("removes the JSON-escaped private key from an echoed request body", () => {
      stack({ "coexist:googleCredentials": JSON.stringify({ client_email: "sa@x", private_key: privateKey }) });
      const echoed = `body: ${JSON.stringify({ key: privateKey })}`;
      assert.ok(!redact(echoed).includes("MIIEabc"), redact(echoed));
    });

    it("removes secrets from the environment too", () => {
      process.env.COEXIST_CLIENT_SECRET = "env-secret-value";
      assert.strictEqual(redact("x env-secret-value y"), "x [redacted] y");
    });

    it("removes registered extra values such as mail-user passwords", () => {
      registerSecret("P@ssw0rd-for-alice");
      assert.strictEqual(redact('{"Password":"P@ssw0rd-for-alice"}'), '{"Password":"[redacted]"}');
    });

    it("leaves text without secrets alone", () => {
      stack({ "coexist:clientSecret": "cs~topsecret" });
      assert.strictEqual(redact("nothing to hide"), "nothing to hide");
    });
  });
});
