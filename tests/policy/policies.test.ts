import * as assert from "assert";
import { unknownCheckingProxy, type PolicyResource } from "@pulumi/policy";
import { mailFlowPolicies, plannedResource } from "../../policy/policies";
import { UNKNOWN_VALUE } from "../../policy/plannedState";
import { asPlanned, SAFE_WITH_GOOGLE_FACTS, UNSAFE_WITH_GOOGLE_FACTS } from "./stacks";

/** How the engine sends a string it will know only when the update runs. */
const ENGINE_UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A resource as the policy SDK hands it to a stack policy during preview. */
function previewResource(
  props: Record<string, unknown>,
  { type, urn, name } = {
    type: "pulumi-nodejs:dynamic/coexist:GoogleForwardingRoute",
    urn: "urn:pulumi:test::policy-stack::pulumi-nodejs:dynamic/coexist:GoogleForwardingRoute::forward-alice",
    name: "forward-alice",
  },
): PolicyResource {
  return {
    type,
    urn,
    name,
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

  it("offers the tenant facts first, then one stack policy per rule, each with its enforcement level and the tenant facts schema", () => {
    assert.deepStrictEqual(
      mailFlowPolicies.map((policy) => [policy.name, policy.enforcementLevel]),
      [
        ["mail-flow-safety", "advisory"],
        ["forward-only-to-licensed-mailbox", "mandatory"],
        ["internal-relay-needs-connector-to-google", "mandatory"],
        ["no-authoritative-while-users-at-google", "mandatory"],
        ["routing-address-on-email-verified-domain", "mandatory"],
        ["no-mail-loop-or-bounce", "mandatory"],
        ["every-google-address-delivered", "mandatory"],
        ["no-split-delivery", "mandatory"],
        ["no-duplicate-delivery", "mandatory"],
        ["forwarding-keeps-no-copy-at-google", "advisory"],
        ["spf-includes-both-systems", "advisory"],
        ["routing-inputs-known-at-preview", "advisory"],
      ],
    );
    for (const policy of mailFlowPolicies) {
      assert.deepStrictEqual(Object.keys(policy.configSchema?.properties ?? {}), ["mx", "googleUsers", "acceptedDomains", "spf", "googleDomains", "googleAddresses", "googleGroups"]);
    }
  });

  it("gives every policy the tenant facts of mail-flow-safety, which runs first, merged with its own config", async () => {
    /** The policies in the analyzer's order, each with only its own config, as @pulumi/policy runs them. */
    async function run(resources: ReturnType<typeof asPlanned>, config: Record<string, object>): Promise<string[]> {
      const reported: string[] = [];
      const policyResources = resources.map((resource) => previewResource(resource.props, resource));
      const byUrn = new Map(policyResources.map((resource) => [resource.urn, resource]));
      resources.forEach((resource, index) => policyResources[index].dependencies.push(...resource.dependencies.map((urn) => byUrn.get(urn) as PolicyResource)));
      const notApplicable = (): never => {
        throw new Error("every policy applies");
      };
      for (const policy of mailFlowPolicies) {
        const args = { resources: policyResources, getConfig: <T>() => (config[policy.name] ?? {}) as T, stackTags: new Map<string, string>(), notApplicable };
        await policy.validateStack(args, (message) => reported.push(`${policy.name}: ${message.split("\n")[0]}`));
      }
      return reported;
    }
    const unplanned = UNSAFE_WITH_GOOGLE_FACTS["cutover with a group nobody planned"];
    const [finding] = await run(asPlanned(unplanned.resources), { "mail-flow-safety": unplanned.facts ?? {} });
    assert.match(finding, /^every-google-address-delivered: team@contoso\.com \(group\), crew@contoso\.com \(group alias of team@contoso\.com\) are not delivered/);
    assert.deepStrictEqual(await run(asPlanned(unplanned.resources), {}), [], "without the facts the pack does not know the group");
    const kept = SAFE_WITH_GOOGLE_FACTS["cutover, everybody migrated, the group kept at Google behind a mail contact"];
    assert.deepStrictEqual(await run(asPlanned(kept.resources), { "mail-flow-safety": kept.facts }), []);
  });
});
