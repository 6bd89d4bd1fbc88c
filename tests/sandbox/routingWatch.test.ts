import * as assert from "assert";
import { RoutingWatch } from "pulumi-mail-coexistence-sandbox/routingWatch";
import { B, routingAddress, stage0, stage1a } from "../provider/routing/tenantBuilder";

describe("the sandbox's routing watch (no write may break mail)", () => {
  it("passes writes that keep every route delivered", () => {
    const watch = new RoutingWatch();
    watch.start(stage0().build());
    watch.afterWrite("graph POST /users/{id}/assignLicense", () => stage1a().build());
    watch.afterWrite("gmail PUT autoForwarding", () => stage1a().gmailForwarding(B, routingAddress(B)).build());
    assert.deepStrictEqual(watch.report(), { enabled: true, checks: 2, violations: [] });
  });

  it("names the write after which a route started to loop (forwarding before the mailbox exists)", () => {
    const watch = new RoutingWatch();
    watch.start(stage0().build());
    watch.afterWrite("gmail PUT autoForwarding", () => stage0().gmailForwarding(B, routingAddress(B)).build());
    const { violations } = watch.report();
    assert.ok(violations.length > 0);
    assert.ok(violations.every((v) => v.after === "gmail PUT autoForwarding"));
    assert.match(violations.map((v) => v.message).join("\n"), /b@contoso\.com/);
  });

  it("ignores what was already failing when it started, and stops on request", () => {
    const watch = new RoutingWatch();
    const broken = stage0().gmailForwarding(B, routingAddress(B)).build();
    watch.start(broken);
    watch.afterWrite("exchange Set-MailUser", () => broken);
    assert.deepStrictEqual(watch.stop().violations, []);
    assert.strictEqual(watch.enabled, false);
  });
});
