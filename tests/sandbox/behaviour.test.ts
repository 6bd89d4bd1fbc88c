import assert from "node:assert/strict";
import { addRemove, invoke } from "../../provider/clients/exchange";
import { STRICT_LAG, lagMs, mailboxConversionSeconds, parseBehaviour, strictBehaviour, type BehaviourSeed } from "pulumi-mail-coexistence-sandbox/behaviour";
import { DEMO_SEED_PATH, type SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { readSeedFile } from "pulumi-mail-coexistence-sandbox/seed";
import { exchangeToken, graphClient, invokeRaw, startTestSandbox, useSandboxEnvironment } from "./harness";

const fail = (field: string, problem: string, fix: string): Error => new Error(`${field} ${problem}. ${fix}`);

describe("sandbox behaviour knobs", () => {
  it("keeps the kind defaults when the seed sets nothing", () => {
    assert.deepEqual(parseBehaviour({}, fail), { licenceConversionDelaySeconds: 3, exchangePageSize: 1000 });
  });

  it("turns every strict behaviour on with test-scale lag, keeping what the seed set", () => {
    const strict = parseBehaviour({ strict: true, lag: { entraUserSeconds: [0, 1] }, exchangeErrorShapes: "pipe" }, fail);
    assert.deepEqual(strict.lag, { ...STRICT_LAG, entraUserSeconds: [0, 1] });
    assert.equal(strict.refuseNullParameters, true);
    assert.equal(strict.exchangeErrorShapes, "pipe");
    assert.deepEqual(strictBehaviour({ licenceConversionDelaySeconds: 3, exchangePageSize: 1000 }).exchangeErrorShapes, "mixed");
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ["an unknown lag point", { lag: { mailboxSeconds: [1, 2] } }, /behaviour\.lag\.mailboxSeconds is not a lag point/],
    ["a lag range upside down", { lag: { entraUserSeconds: [5, 2] } }, /behaviour\.lag\.entraUserSeconds .*0 ≤ min ≤ max/],
    ["a negative lag", { lag: { acceptedDomainSeconds: [-1, 2] } }, /acceptedDomainSeconds/],
    ["an unknown error shape", { exchangeErrorShapes: "xml" }, /behaviour\.exchangeErrorShapes .*"pipe", "json", "mixed"/],
    ["an unknown validation output", { connectorValidationOutput: "garbled" }, /behaviour\.connectorValidationOutput/],
    ["a strict flag that is not a boolean", { strict: "yes" }, /behaviour\.strict/],
  ];
  for (const [name, raw, message] of invalid) {
    it(`names the field for ${name}`, () => assert.throws(() => parseBehaviour(raw, fail), message));
  }

  it("draws each object's lag inside the range, the same for the same object and fault seed", () => {
    const behaviour: BehaviourSeed = { licenceConversionDelaySeconds: 3, exchangePageSize: 1000, lag: { entraUserSeconds: [2, 5] } };
    const delays = ["a@contoso.com", "b@contoso.com", "c@contoso.com", "d@contoso.com"].map((upn) => lagMs(behaviour, "entraUserSeconds", upn, 7));
    assert.ok(delays.every((delay) => delay >= 2000 && delay <= 5000), String(delays));
    assert.ok(new Set(delays).size > 1, "objects get different delays");
    assert.equal(lagMs(behaviour, "entraUserSeconds", "A@contoso.com", 7), delays[0]);
    assert.equal(lagMs(behaviour, "acceptedDomainSeconds", "contoso.com", 7), 0, "a point without lag is immediate");
  });

  it("takes the licence conversion delay from the lag range when there is one, else the fixed delay", () => {
    const fixed: BehaviourSeed = { licenceConversionDelaySeconds: 3, exchangePageSize: 1000 };
    assert.equal(mailboxConversionSeconds(fixed, "user"), 3);
    assert.equal(mailboxConversionSeconds({ ...fixed, lag: { mailboxConversionSeconds: [4, 4] } }, "user"), 4);
  });
});

describe("the demo seed's defaults on the wire (as kind as before)", function () {
  this.timeout(30_000);
  let sandbox: SandboxHandle;
  let restoreEnvironment: () => void;

  before(async () => {
    sandbox = await startTestSandbox({ seed: DEMO_SEED_PATH });
    restoreEnvironment = useSandboxEnvironment(sandbox);
  });
  after(async () => {
    restoreEnvironment();
    await sandbox.stop();
  });

  it("shows a new mail user's Entra user to Graph at once and accepts a freshly enabled domain at once", async () => {
    assert.deepEqual(readSeedFile(DEMO_SEED_PATH).behaviour, { licenceConversionDelaySeconds: 3, exchangePageSize: 1000 });
    await invoke("New-MailUser", { Name: "dora", MicrosoftOnlineServicesID: "dora@contoso.com", Password: "Sandbox-Passw0rd!", ExternalEmailAddress: "dora@contoso.com" });
    const graph = graphClient(sandbox);
    assert.equal((await graph.api("/users/dora@contoso.com").get()).userPrincipalName, "dora@contoso.com");
    await graph.api("/domains").post({ id: "o365.contoso.com" });
    await graph.api("/domains/o365.contoso.com/verify").post({});
    await graph.api("/domains/o365.contoso.com").patch({ supportedServices: ["Email"] });
    assert.equal((await invoke("Get-AcceptedDomain", { Identity: "o365.contoso.com" }))[0].DomainName, "o365.contoso.com");
    await invoke("Set-MailUser", { Identity: "dora@contoso.com", EmailAddresses: addRemove({ add: "smtp:dora@o365.contoso.com" }) });
  });

  it("answers errors in the pipe format, binds null and reads Validate-OutboundConnector per recipient", async () => {
    const token = await exchangeToken(sandbox);
    const missing = await invokeRaw(sandbox, token, "Get-MailUser", { Identity: "nobody@contoso.com" });
    assert.match(missing.body.error.details[0].message, /^Ex6F9304\|Microsoft\.Exchange\.Configuration\.Tasks\.ManagementObjectNotFoundException\|/);
    await invoke("New-OutboundConnector", { Name: "ToGoogle", SmartHosts: ["smtp.google.com"], UseMXRecord: false, RecipientDomains: ["contoso.com"], Comment: "x" });
    await invoke("Set-OutboundConnector", { Identity: "ToGoogle", Comment: null, TlsSettings: null });
    const [validation] = await invoke("Validate-OutboundConnector", { Identity: "ToGoogle", Recipients: ["ada.adams@contoso.com"] });
    assert.equal(validation.TaskStatus, "Succeeded");
  });
});
