/**
 * Runs one client scenario against a running sandbox and prints `{ok, result}` or `{ok, error}`
 * as JSON. Started as a child process by sandbox.test.ts because NODE_EXTRA_CA_CERTS (the
 * sandbox's CA) is only read when a Node process starts: `node sandboxProbe.js <scenario>`.
 */
import * as exchange from "../../../provider/clients/exchange";
import * as google from "../../../provider/clients/google";
import * as graph from "../../../provider/clients/graph";

const GOOGLE_USER = "ben.adams@contoso.com";

export const SCENARIOS: Record<string, () => Promise<unknown>> = {
  "graph domain": async () => ({ existing: await graph.getDomain("contoso.com"), missing: await graph.getDomain("missing.example") }),
  "graph sku": () => graph.resolveSkuId("EXCHANGESTANDARD"),
  "graph user": () => graph.getUser("admin@contoso.onmicrosoft.com", ["id", "userPrincipalName", "usageLocation"]),
  "exchange accepted domains": () => exchange.invoke("Get-AcceptedDomain"),
  "exchange missing mail user": () => exchange.invoke("Get-MailUser", { Identity: "nobody@contoso.com" }),
  "exchange new mail user": async () => {
    await exchange.invoke("New-MailUser", {
      Name: "Probe User",
      MicrosoftOnlineServicesID: "probe.user@contoso.onmicrosoft.com",
      Password: exchange.mailUserPassword("Probe-Passw0rd!"),
      ExternalEmailAddress: "probe.user@gsuite.contoso.com",
    });
    const again = await exchange
      .invoke("New-MailUser", {
        Name: "Probe User",
        MicrosoftOnlineServicesID: "probe.user@contoso.onmicrosoft.com",
        Password: exchange.mailUserPassword("Probe-Passw0rd!"),
        ExternalEmailAddress: "probe.user@gsuite.contoso.com",
      })
      .catch((error: exchange.ExchangeError) => ({ alreadyExists: error.alreadyExists, message: error.message }));
    const listed = await exchange.invoke("Get-MailUser", {}, { list: true });
    return { again, names: listed.map((user) => user.Name) };
  },
  "exchange remove probe user": () => exchange.invoke("Remove-MailUser", { Identity: "probe.user@gsuite.contoso.com", Confirm: false }),
  "google forwarding": async () => {
    const created = await google.createForwardingAddress(GOOGLE_USER, "ben.adams@o365.contoso.com");
    const listed = await google.listForwardingAddresses(GOOGLE_USER);
    const missing = await google.getForwardingAddress(GOOGLE_USER, "nobody@o365.contoso.com");
    return { created, listed, missing: missing ?? null };
  },
  "google directory": async () => ({
    user: (await google.getDirectoryUser(GOOGLE_USER))?.primaryEmail,
    missing: (await google.getDirectoryUser("nobody@contoso.com")) ?? null,
  }),
  "graph batch": async () => {
    const requests = Array.from({ length: 6 }, (_, index): graph.BatchRequest => ({ id: String(index + 1), method: "GET", url: "/domains/contoso.com" }));
    const results = await graph.batch(requests);
    return [...results.values()].map((response) => response.status);
  },
  "parallel graph reads": async () => {
    const domains = await Promise.all(Array.from({ length: 8 }, () => graph.getDomain("contoso.com")));
    return domains.map((domain) => domain?.id);
  },
  "parallel exchange reads": async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => exchange.invoke("Get-AcceptedDomain")));
    return results.map((domains) => domains.length);
  },
  "parallel gmail reads": async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => google.getAutoForwarding(GOOGLE_USER)));
    return results.map((settings) => settings.enabled ?? false);
  },
};

async function main(): Promise<void> {
  const scenario = SCENARIOS[process.argv[2] ?? ""];
  if (!scenario) throw new Error(`unknown scenario "${process.argv[2]}"; one of: ${Object.keys(SCENARIOS).join(", ")}`);
  try {
    process.stdout.write(JSON.stringify({ ok: true, result: (await scenario()) ?? null }));
  } catch (error) {
    const { name, message, status, notFound, alreadyExists } = error as exchange.ExchangeError;
    process.stdout.write(JSON.stringify({ ok: false, error: { name, message, status, notFound, alreadyExists } }));
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(String(error));
    process.exitCode = 1;
  });
}
