import * as assert from "assert";
import { ConfigError } from "../../../provider/config";
import { EXCHANGE_SCOPE, entraCredential, entraToken, usesMicrosoftAuthority } from "../../../provider/clients/entra";
import { useStackConfig } from "./fixture";

const TENANT = "6f1c3a52-8d0e-4b7a-9c1d-2e3f4a5b6c7d";
const CLIENT = "3c9a2d4e-1b2f-4c5d-8e7f-9a0b1c2d3e4f";

describe("Entra ID credentials", () => {
  afterEach(() => useStackConfig({}));

  const authorities = [
    { loginUrl: "https://login.microsoftonline.com", microsoft: true },
    { loginUrl: "https://login.microsoftonline.us/", microsoft: true },
    { loginUrl: "https://login.chinacloudapi.cn", microsoft: true },
    { loginUrl: "https://127.0.0.1:8443", microsoft: false },
    { loginUrl: "https://login.example.test", microsoft: false },
  ];
  for (const { loginUrl, microsoft } of authorities) {
    it(`${microsoft ? "keeps" : "skips"} MSAL instance discovery for ${loginUrl}`, () => assert.strictEqual(usesMicrosoftAuthority(loginUrl), microsoft));
  }

  it("uses the static access token when one is configured, without any other setting", async () => {
    useStackConfig({ accessToken: "static-token" });
    assert.strictEqual(await entraToken("exchange", EXCHANGE_SCOPE), "static-token");
  });

  const missing = [
    { values: {}, key: "tenantId" },
    { values: { tenantId: TENANT }, key: "clientId" },
    { values: { tenantId: TENANT, clientId: CLIENT }, key: "clientSecret" },
  ];
  for (const { values, key } of missing) {
    it(`asks for coexist:${key} when no access token is configured`, () => {
      const saved = { ...process.env };
      for (const name of ["COEXIST_TENANT_ID", "COEXIST_CLIENT_ID", "COEXIST_CLIENT_SECRET", "COEXIST_ACCESS_TOKEN"]) delete process.env[name];
      try {
        useStackConfig(values);
        assert.throws(
          () => entraCredential("graph"),
          (error: unknown) => error instanceof ConfigError && error.key === key && error.message.includes("unless coexist:accessToken is set"),
        );
      } finally {
        Object.assign(process.env, saved);
      }
    });
  }
});
