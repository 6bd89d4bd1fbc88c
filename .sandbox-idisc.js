const { startSandbox } = require("/work/main/dist/sandbox/index.js");
const { trustCa } = require("/work/main/dist/tests/sandbox/harness.js");
const { ClientSecretCredential } = require("/work/main/node_modules/@azure/identity");
(async () => {
  const sb = await startSandbox();
  trustCa(sb.env.NODE_EXTRA_CA_CERTS);
  for (const opts of [{}, { knownAuthorities: [new URL(sb.url).host] }]) {
    try {
      const c = new ClientSecretCredential(sb.env.COEXIST_TENANT_ID, sb.env.COEXIST_CLIENT_ID, sb.env.COEXIST_CLIENT_SECRET, { authorityHost: sb.url, ...opts });
      const t = await c.getToken("https://graph.microsoft.com/.default");
      console.log(JSON.stringify(opts), "ok", t.token.length);
    } catch (e) { console.log(JSON.stringify(opts), "FAIL", e.message.slice(0, 300)); }
  }
  const stats = await (await fetch(sb.url + "/sandbox/stats")).json();
  console.log(JSON.stringify(stats.apis.entra.byOperation));
  await sb.stop();
})();
