/**
 * Item 5: the sandbox itself. It listens on loopback only, and every token is checked for its
 * tenant and audience: a token of one tenant or for one API is refused by the other.
 */
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { assertLoopback } from "pulumi-mail-coexistence-sandbox/server";
import { startSandbox, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { control } from "../../scripts/journey";
import { FABRIKAM, credential, googleJwt, invokeRaw, raw, trustCa } from "../sandbox/harness";
import type { Secret } from "./world";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const EXCHANGE_SCOPE = "https://outlook.office365.com/.default";

export interface IsolationResult {
  checks: number;
  passed: number;
  failures: string[];
  /** Tokens this suite obtained, for the secret scan. */
  tokens: Secret[];
}

function refusesConnection(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(true);
    });
  });
}

/** The payload of a JWT-shaped token with one claim changed, the signature kept. */
function withClaim(token: string, claim: string, value: string): string {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
  return [header, Buffer.from(JSON.stringify({ ...claims, [claim]: value })).toString("base64url"), signature].join(".");
}

export async function runIsolation(log: (line: string) => void): Promise<IsolationResult> {
  const result: IsolationResult = { checks: 0, passed: 0, failures: [], tokens: [] };
  const sandbox: SandboxHandle = await startSandbox();
  const expect = async (what: string, holds: () => Promise<boolean> | boolean) => {
    result.checks++;
    try {
      if (await holds()) result.passed++;
      else result.failures.push(`sandbox isolation: ${what}`);
    } catch (error) {
      result.failures.push(`sandbox isolation: ${what}: ${(error as Error).message}`);
    }
  };
  try {
    trustCa(sandbox.env.NODE_EXTRA_CA_CERTS);
    const contoso = { tenantId: sandbox.env.COEXIST_TENANT_ID, clientId: sandbox.env.COEXIST_CLIENT_ID, clientSecret: sandbox.env.COEXIST_CLIENT_SECRET };
    const token = async (tenant: typeof contoso, scope: string): Promise<string> => {
      const issued = (await credential(sandbox, tenant).getToken(scope)).token;
      result.tokens.push({ name: `token of ${tenant.tenantId} for ${scope}`, value: issued });
      return issued;
    };
    const statics = (await control(sandbox, "GET", "/sandbox/tokens")) as Record<string, string>;
    const contosoGraph = await token(contoso, GRAPH_SCOPE);
    const contosoExchange = await token(contoso, EXCHANGE_SCOPE);
    const fabrikamGraph = await token(FABRIKAM, GRAPH_SCOPE);
    const fabrikamExchange = await token(FABRIKAM, EXCHANGE_SCOPE);
    const exchangeOf = (tenantId: string) => ({ url: `/adminapi/beta/${tenantId}/InvokeCommand` });
    const status = async (response: Promise<{ status: number }>) => (await response).status;

    await expect("it answers on 127.0.0.1", () => new URL(sandbox.url).hostname === "127.0.0.1");
    await expect("it refuses to bind 0.0.0.0 or ::", () => [() => assertLoopback("0.0.0.0"), () => assertLoopback("::")].every((bind) => {
      try {
        bind();
        return false;
      } catch {
        return true;
      }
    }));
    const external = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === "IPv4").map((i) => i!.address);
    for (const address of external) await expect(`nothing answers on ${address}:${sandbox.port}`, () => refusesConnection(address, sandbox.port));

    await expect("a contoso Graph token reads contoso's domains", async () => {
      const response = await raw(sandbox, "GET", "/v1.0/domains", { token: contosoGraph });
      return response.status === 200 && JSON.stringify(response.body).includes("contoso.com");
    });
    await expect("a fabrikam Graph token does not see contoso's domains", async () => {
      const response = await raw(sandbox, "GET", "/v1.0/domains", { token: fabrikamGraph });
      return response.status === 200 && !JSON.stringify(response.body).includes('"contoso.com"');
    });
    await expect("a Graph token is refused by Exchange", async () => (await status(invokeRaw(sandbox, contosoGraph, "Get-AcceptedDomain"))) === 401);
    await expect("an Exchange token is refused by Graph", async () => (await status(raw(sandbox, "GET", "/v1.0/domains", { token: contosoExchange }))) === 401);
    await expect("contoso's Exchange token is refused for fabrikam", async () => (await status(invokeRaw(sandbox, contosoExchange, "Get-AcceptedDomain", {}, exchangeOf(FABRIKAM.tenantId)))) === 401);
    await expect("fabrikam's Exchange token is refused for contoso", async () => (await status(invokeRaw(sandbox, fabrikamExchange, "Get-AcceptedDomain", {}, exchangeOf(contoso.tenantId)))) === 401);
    await expect("fabrikam's static token is refused by contoso's Exchange", async () => (await status(invokeRaw(sandbox, statics[FABRIKAM.tenantId], "Get-AcceptedDomain", {}, exchangeOf(contoso.tenantId)))) === 401);
    await expect("contoso's static token is refused by fabrikam's Exchange", async () => (await status(invokeRaw(sandbox, statics[contoso.tenantId], "Get-AcceptedDomain", {}, exchangeOf(FABRIKAM.tenantId)))) === 401);
    await expect("a token whose tenant claim was rewritten is refused", async () => (await status(raw(sandbox, "GET", "/v1.0/domains", { token: withClaim(contosoGraph, "tid", FABRIKAM.tenantId) }))) === 401);
    await expect("a token whose audience claim was rewritten is refused", async () => (await status(invokeRaw(sandbox, withClaim(contosoGraph, "aud", "https://outlook.office365.com"), "Get-AcceptedDomain"))) === 401);
    await expect("contoso's app cannot get a token in fabrikam's tenant", async () => {
      try {
        await token({ ...contoso, tenantId: FABRIKAM.tenantId }, GRAPH_SCOPE);
        return false;
      } catch (error) {
        return /AADSTS700016|AADSTS7000215/.test((error as Error).message);
      }
    });
    const gmailSettings = (user: string) => `/gmail/v1/users/${user}/settings/autoForwarding`;
    await expect("a Graph token is refused by Gmail", async () => (await status(raw(sandbox, "GET", gmailSettings("ben.adams@contoso.com"), { token: contosoGraph }))) === 401);
    await expect("a Gmail token impersonating one user is refused for another", async () => {
      const access = (await googleJwt(sandbox, "ben.adams@contoso.com").getAccessToken()).token ?? "";
      result.tokens.push({ name: "Gmail token of ben.adams", value: access });
      return (await status(raw(sandbox, "GET", gmailSettings("chloe.adams@contoso.com"), { token: access }))) === 403;
    });
    await expect("a Google token is refused by Graph", async () => {
      const access = (await googleJwt(sandbox, "ben.adams@contoso.com").getAccessToken()).token ?? "";
      return (await status(raw(sandbox, "GET", "/v1.0/domains", { token: access }))) === 401;
    });
    await expect("fabrikam's static token is refused by contoso's Google Workspace", async () => (await status(raw(sandbox, "GET", gmailSettings("ben.adams@contoso.com"), { token: statics[FABRIKAM.tenantId] }))) >= 400);
    log(`isolation: ${result.passed}/${result.checks} checks held (loopback only; tokens bound to tenant and audience)`);
  } finally {
    await sandbox.stop();
  }
  return result;
}
