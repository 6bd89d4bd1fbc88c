import assert from "node:assert/strict";
import { validateFaultSettings } from "pulumi-mail-coexistence-sandbox/faults";
import { PROFILE_NAMES, profileFaults, type ThrottlingProfile } from "pulumi-mail-coexistence-sandbox/throttlingProfiles";

describe("sandbox throttling profiles", () => {
  it("are valid fault settings, seeded", () => {
    for (const profile of PROFILE_NAMES) assert.deepEqual(validateFaultSettings(profileFaults(profile, 3)), profileFaults(profile, 3));
  });

  it("allow 3, 10 and 30 Exchange requests in flight, each with per-cmdlet latency, and the same Graph budget", () => {
    const exchange = (["exchange-3", "exchange-10", "exchange-30"] as const).map((profile) => profileFaults(profile).apis?.exchange);
    assert.deepEqual(exchange.map((faults) => faults?.maxConcurrent), [3, 10, 30]);
    assert.ok(exchange.every((faults) => faults?.latency?.byOperation?.["New-MailUser"]));
    assert.deepEqual(profileFaults("exchange-3").apis?.graph, profileFaults("exchange-30").apis?.graph);
  });

  it("name the profiles there are when asked for another", () => {
    assert.throws(() => profileFaults("exchange-5" as ThrottlingProfile), /unknown throttling profile "exchange-5"; use one of fixed, exchange-3, exchange-10, exchange-30, unthrottled/);
  });
});
