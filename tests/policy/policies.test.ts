import * as assert from "assert";
import { unknownCheckingProxy, type PolicyResource } from "@pulumi/policy";
import { mailFlowPolicies, plannedResource } from "../../policy/policies";
import { UNKNOWN_VALUE } from "../../policy/plannedState";

/** How the engine sends a string it will know only when the update runs. */
const ENGINE_UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A resource as the policy SDK hands it to a stack policy during preview. */
function previewResource(props: Record<string, unknown>): PolicyResource {
  return {
    type: "pulumi-nodejs:dynamic/coexist:GoogleForwardingRoute",
    urn: "urn:pulumi:test::policy-stack::pulumi-nodejs:dynamic/coexist:GoogleForwardingRoute::forward-alice",
    name: "forward-alice",
    props: unknownCheckingProxy(props),
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

describe("the policy pack's view of the engine's resources", () => {
  it("keeps the values the engine knows and marks the ones it will know only when the update runs", () => {
    const resource = previewResource({ userEmail: "alice@contoso.com", forwardTo: ENGINE_UNKNOWN_STRING, hosts: ["smtp.google.com", ENGINE_UNKNOWN_STRING], mx: { preference: 0, host: ENGINE_UNKNOWN_STRING } });
    assert.deepStrictEqual(plannedResource(resource).props, {
      userEmail: "alice@contoso.com",
      forwardTo: UNKNOWN_VALUE,
      hosts: ["smtp.google.com", UNKNOWN_VALUE],
      mx: { preference: 0, host: UNKNOWN_VALUE },
    });
  });

  it("offers one stack policy per rule, each with its enforcement level and the tenant facts schema", () => {
    assert.deepStrictEqual(
      mailFlowPolicies.map((policy) => [policy.name, policy.enforcementLevel]),
      [
        ["forward-only-to-licensed-mailbox", "mandatory"],
        ["internal-relay-needs-connector-to-google", "mandatory"],
        ["no-authoritative-while-users-at-google", "mandatory"],
        ["routing-address-on-email-verified-domain", "mandatory"],
        ["no-mail-loop-or-bounce", "mandatory"],
        ["forwarding-keeps-no-copy-at-google", "advisory"],
        ["spf-includes-both-systems", "advisory"],
        ["routing-inputs-known-at-preview", "advisory"],
      ],
    );
    for (const policy of mailFlowPolicies) assert.deepStrictEqual(Object.keys(policy.configSchema?.properties ?? {}), ["mx", "googleUsers", "acceptedDomains", "spf"]);
  });
});
