import * as assert from "assert";
import { apis, prepareWrites } from "../../../provider/clients";
import { Fixture, restoreRetryPolicy, useFastRetries, useStackConfig } from "./fixture";

const TENANT = "11111111-2222-3333-4444-555555555555";

// A write of one API checks every API's typed URL first: a destroy with a mistyped googleUrl must
// stop before it removes any Exchange object, not half-run (issue 15).
describe("base URL checks before a write", () => {
  let exchange: Fixture;
  let google: Fixture;
  beforeEach(async () => {
    exchange = await new Fixture(() => ({ body: { value: [] } })).start();
    google = await new Fixture(() => ({ status: 404, headers: { "Content-Type": "text/html" }, body: "<html><body>Not Found</body></html>" })).start();
    google.answerChecks = false;
    useFastRetries();
  });
  afterEach(async () => {
    restoreRetryPolicy();
    useStackConfig({});
    await Promise.all([exchange.stop(), google.stop()]);
  });

  const configure = (googleUrl: string): void =>
    useStackConfig({ exchangeUrl: `${exchange.url}/adminapi/beta`, googleUrl, googleAdmin: "admin@contoso.com", tenantId: TENANT, accessToken: "t" });

  it("refuses an Exchange write when the typed googleUrl answers as something else, and sends no write", async () => {
    configure(`${google.url}/wrong-host/`);
    await assert.rejects(apis().exchange.invoke("Remove-MailUser", { Identity: "alice@contoso.com", Confirm: false }), /coexist:googleUrl does not answer as the Google APIs/);
    assert.deepStrictEqual(exchange.requests.map((request) => JSON.parse(request.body).CmdletInput.CmdletName), []);
    assert.ok(google.requests.length > 0, "the Directory was asked");
  });

  it("starts every check when a set is about to write, beside its reads; its first write still gets the check's error", async () => {
    configure(`${google.url}/early/`);
    prepareWrites();
    await apis().exchange.invoke("Get-Recipient", { Identity: "alice@contoso.com" });
    for (let waited = 0; google.requests.length === 0 && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(google.requests.length > 0, "the Directory is asked before any write");
    await assert.rejects(apis().exchange.invoke("Remove-MailUser", { Identity: "alice@contoso.com", Confirm: false }), /coexist:googleUrl does not answer as the Google APIs/);
    assert.deepStrictEqual(exchange.requests.map((request) => JSON.parse(request.body).CmdletInput.CmdletName).filter((cmdlet) => cmdlet !== "Get-Recipient"), []);
  });

  it("lets reads through: only writes wait for every typed URL", async () => {
    configure(`${google.url}/read-only/`);
    await apis().exchange.invoke("Get-Recipient", { Identity: "alice@contoso.com" });
    assert.deepStrictEqual(google.requests, []);
  });
});
