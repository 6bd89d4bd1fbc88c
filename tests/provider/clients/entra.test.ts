import * as assert from "assert";
import { ConfigError } from "../../../provider/config";
import { entraCredential, entraToken, tokenTenantOf } from "../../../provider/clients/entra";
import { unsignedJwt, useStackConfig } from "./fixture";

const TENANT = "6f1c3a52-8d0e-4b7a-9c1d-2e3f4a5b6c7d";
const CLIENT = "3c9a2d4e-1b2f-4c5d-8e7f-9a0b1c2d3e4f";

describe("Entra ID credentials", () => {
  afterEach(() => useStackConfig({}));

  const tokens = [
    { name: "a JWT with tid", token: unsignedJwt({ aud: "https://outlook.office365.com", tid: TENANT }), tenant: TENANT },
    { name: "a JWT without tid", token: unsignedJwt({ aud: "x" }), tenant: undefined },
    { name: "an opaque token", token: "opaque-static-token", tenant: undefined },
    { name: "a JWT whose payload is not JSON", token: "e30.bm90IGpzb24.c2ln", tenant: undefined },
  ];
  for (const { name, token, tenant } of tokens) {
    it(`reads the tenant of ${name}: ${tenant ?? "none"}`, () => assert.strictEqual(tokenTenantOf(token), tenant));
  }

  it("uses the static access token when one is configured, without any other setting", async () => {
    useStackConfig({ accessToken: "static-token" });
    assert.strictEqual(await entraToken("exchange"), "static-token");
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
