/**
 * The policies of the mail-flow safety pack. Each runs the same analysis of the planned stack
 * (policy/checks.ts) and reports its own findings.
 */
import { UnknownValueError, type PolicyConfigSchema, type PolicyResource, type StackValidationPolicy } from "@pulumi/policy";
import { checkPlan, formatViolation, POLICIES, type PolicyKey, type Violation } from "./checks";
import { planTenant, UNKNOWN_VALUE, type PlannedResource, type TenantFacts } from "./plannedState";

/** What the stack cannot tell, accepted by every policy (docs/safety-checks.md, "What the pack assumes"). */
export const TENANT_FACTS_SCHEMA: PolicyConfigSchema = {
  properties: {
    mx: {
      type: "object",
      description: "MX hosts per domain as published, best first, e.g. {\"contoso.com\": [\"smtp.google.com\"]}. Unlisted user domains are checked with the MX at Google and at Microsoft 365.",
      additionalProperties: { type: "array", items: { type: "string" } },
    },
    googleUsers: {
      type: "array",
      description: "Google users that are not in the stack and still receive at Google.",
      items: { type: "string" },
    },
    acceptedDomains: {
      type: "object",
      description: "Accepted domains of the Microsoft 365 tenant that the stack does not manage, with their type.",
      additionalProperties: { type: "string", enum: ["Authoritative", "InternalRelay"] },
    },
    spf: {
      type: "object",
      description: "The SPF record published per domain, when the stack does not hold it.",
      additionalProperties: { type: "string" },
    },
  },
};

/** A property value with the engine's unknowns (preview) replaced by UNKNOWN_VALUE. */
function plainValue(read: () => unknown): unknown {
  let value: unknown;
  try {
    value = read();
  } catch (error) {
    if (error instanceof UnknownValueError) return UNKNOWN_VALUE;
    throw error;
  }
  // Index by index: Array.prototype.map would read an unknown element through the proxy and throw.
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, index) => plainValue(() => value[index]));
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(object).map((key) => [key, plainValue(() => object[key])]));
  }
  return value;
}

export function plannedResource(resource: PolicyResource): PlannedResource {
  return {
    type: resource.type,
    urn: resource.urn,
    name: resource.name,
    props: plainValue(() => resource.props) as Record<string, unknown>,
    dependencies: resource.dependencies.map((dependency) => dependency.urn),
  };
}

let lastAnalysis: { key: string; violations: Violation[] } | undefined;

/** The findings for a stack and facts; every policy of one run asks for the same ones, so they are computed once. */
function violationsFor(resources: PlannedResource[], facts: TenantFacts): Violation[] {
  const key = JSON.stringify([resources, facts], (_, value: unknown) => (value === UNKNOWN_VALUE ? "<unknown>" : value));
  if (lastAnalysis?.key !== key) lastAnalysis = { key, violations: checkPlan(planTenant(resources, facts), facts) };
  return lastAnalysis.violations;
}

function stackPolicy(policy: PolicyKey): StackValidationPolicy {
  const { name, enforcementLevel, description } = POLICIES[policy];
  return {
    name,
    description,
    enforcementLevel,
    configSchema: TENANT_FACTS_SCHEMA,
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map(plannedResource);
      for (const violation of violationsFor(resources, args.getConfig<TenantFacts>())) {
        if (violation.policy === policy) reportViolation(formatViolation(violation), violation.resources[0]?.urn);
      }
    },
  };
}

export const mailFlowPolicies: StackValidationPolicy[] = (Object.keys(POLICIES) as PolicyKey[]).map(stackPolicy);
