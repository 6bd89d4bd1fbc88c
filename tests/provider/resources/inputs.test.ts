import * as assert from "assert";
import { InputChecker, isDomainName, isEmailAddress, UNKNOWN } from "../../../provider/resources/inputs";

describe("input checks", () => {
  const addresses: [string, boolean][] = [
    ["alice@contoso.com", true],
    ["o'brien@contoso.com", true],
    ["first.last+tag@o365.contoso.com", true],
    ["alice@contoso", false],
    ["@contoso.com", false],
    ["alice", false],
    ["*@contoso.com", false],
    ["al ice@contoso.com", false],
    ["$(Remove-Mailbox)@contoso.com", false],
    ["alice;bob@contoso.com", false],
    ["a..b@contoso.com", false],
    [`${"a".repeat(65)}@contoso.com`, false],
  ];
  for (const [address, valid] of addresses) {
    it(`${valid ? "accepts" : "refuses"} the address ${JSON.stringify(address)}`, () => {
      assert.strictEqual(isEmailAddress(address), valid);
    });
  }

  const domains: [string, boolean][] = [
    ["contoso.com", true],
    ["o365.contoso.com", true],
    ["xn--bcher-kva.example", true],
    ["contoso", false],
    ["*.contoso.com", false],
    ["-contoso.com", false],
    ["contoso..com", false],
  ];
  for (const [domain, valid] of domains) {
    it(`${valid ? "accepts" : "refuses"} the domain ${JSON.stringify(domain)}`, () => {
      assert.strictEqual(isDomainName(domain), valid);
    });
  }

  it("names the resource, the field and the fix in every failure, and reports them all at once", () => {
    const inputs = new InputChecker("MailUser", { alias: "bad alias", externalEmailAddress: "nope", domainType: "Open" });
    inputs.alias("alias", { required: true });
    inputs.email("externalEmailAddress", { required: true });
    inputs.oneOf("domainType", ["Authoritative", "InternalRelay"] as const, "InternalRelay");
    inputs.text("name", { required: true });
    const { failures } = inputs.result();
    assert.deepStrictEqual(
      failures?.map((f) => f.property),
      ["alias", "externalEmailAddress", "domainType", "name"],
    );
    assert.match(failures![1].reason, /^MailUser\.externalEmailAddress: "nope" is not an email address; expected user@domain/);
    assert.match(failures![2].reason, /is not one of Authoritative, InternalRelay/);
    assert.match(failures![3].reason, /MailUser\.name: is required/);
  });

  it("normalizes values and fills in defaults", () => {
    const inputs = new InputChecker("AcceptedDomain", { domainName: "Contoso.COM.", domainType: "internalrelay" });
    inputs.domain("domainName", { required: true });
    inputs.oneOf("domainType", ["Authoritative", "InternalRelay"] as const);
    inputs.oneOf("teardownDomainType", ["Authoritative", "InternalRelay"] as const, "Authoritative");
    inputs.boolean("adopt", false);
    assert.deepStrictEqual(inputs.result(), {
      inputs: { domainName: "contoso.com", domainType: "InternalRelay", teardownDomainType: "Authoritative", adopt: false },
    });
  });

  it("lets values unknown during preview through unchecked", () => {
    const inputs = new InputChecker("MailUser", { externalEmailAddress: UNKNOWN, name: UNKNOWN });
    inputs.email("externalEmailAddress", { required: true });
    inputs.name("name", { required: true });
    assert.deepStrictEqual(inputs.result(), { inputs: { externalEmailAddress: UNKNOWN, name: UNKNOWN } });
  });

  it("refuses wildcards and PowerShell-looking names, without running anything", () => {
    for (const name of ["Sales*", "a`b", "$(whoami)", "x | y", "a;b", "line\nbreak"]) {
      const inputs = new InputChecker("MailUser", { name });
      inputs.name("name", { required: true });
      assert.strictEqual(inputs.result().failures?.length, 1, name);
    }
  });

  it("never echoes a secret field's value", () => {
    const inputs = new InputChecker("MailUser", { password: "x".repeat(300) });
    inputs.text("password", { required: true, secret: true });
    const [failure] = inputs.result().failures ?? [];
    assert.ok(failure);
    assert.doesNotMatch(failure.reason, /xxxx/);
  });

  it("refuses duplicate list entries, case-insensitively", () => {
    const inputs = new InputChecker("OutboundConnector", { smartHosts: ["smtp.google.com", "SMTP.google.com"] });
    inputs.list("smartHosts", (v) => ({ value: v.toLowerCase() }), { required: true });
    assert.match(inputs.result().failures![0].reason, /listed twice/);
  });

  it("takes the owner the resource class sets (<project>/<stack>) and refuses anything else, naming the class", () => {
    const good = new InputChecker("OutboundConnector", { owner: "migration/production" });
    assert.strictEqual(good.owner(), "migration/production");
    for (const owner of [undefined, "", "migration", "a b/c", "migration/prod]", 42]) {
      const inputs = new InputChecker("OutboundConnector", { owner });
      assert.strictEqual(inputs.owner(), undefined);
      assert.match(inputs.result().failures![0].reason, /^OutboundConnector\.owner: is .*; it is set by the resource class to the stack's <project>\/<stack>: declare the resource with this package's class \(new OutboundConnector\(\.\.\.\)\)/, String(owner));
    }
  });
});
