import * as assert from "assert";
import { ConfigError, configureFromStack, currentConfig, redact, registerSecret, requireSetting } from "../../provider/config";

const ENV_KEYS = [
  "COEXIST_GRAPH_URL",
  "COEXIST_EXCHANGE_URL",
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
      { key: "coexist:exchangeUrl", value: "ftp://127.0.0.1/adminapi/beta", message: /^ConfigError: coexist:exchangeUrl must be an http\(s\) URL/ },
      { key: "coexist:tenantId", value: "contoso", message: /^ConfigError: coexist:tenantId is neither a tenant GUID nor a tenant domain \("contoso"\)/ },
      { key: "coexist:clientId", value: "my-app", message: /^ConfigError: coexist:clientId is not an application \(client\) ID GUID/ },
      { key: "coexist:googleAdmin", value: "ada", message: /^ConfigError: coexist:googleAdmin is not an email address \("ada"\)/ },
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
    ];
    for (const { key, value } of valid) {
      it(`accepts ${key}=${value}`, () => {
        stack({ [key]: value });
        assert.strictEqual((currentConfig() as unknown as Record<string, string>)[key.slice("coexist:".length)], value);
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
