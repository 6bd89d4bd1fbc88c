/**
 * The policies of the mail-flow safety pack. Each runs the same analysis of the planned stack
 * (policy/checks.ts) and reports its own findings. The tenant facts are the configuration of the
 * first policy, named like the pack (`mail-flow-safety`), which every other policy reads, merged
 * with its own configuration (the older per-policy form).
 */
import { UnknownValueError, type PolicyConfigSchema, type PolicyResource, type StackValidationPolicy } from "@pulumi/policy";
import { checkPlan, formatViolation, POLICIES, type PolicyKey, type Violation } from "./checks";
import { GOOGLE_ADDRESS_KINDS, planTenant, UNKNOWN_VALUE, type PlannedResource, type TenantFacts } from "./plannedState";

const addressList = (description: string): PolicyConfigSchema["properties"][string] => ({ type: "array", description, items: { type: "string" } });

/** What the stack cannot tell (docs/safety-checks.md, "What the pack assumes"). */
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
    googleDomains: addressList("Every domain Google Workspace receives mail for: primary, secondary and alias domains."),
    googleAddresses: {
      type: "array",
      description: "Every address Google Workspace receives mail at, with its kind and the primary address of its user or group (coexist inventory writes it).",
      items: {
        type: "object",
        required: ["address", "kind", "owner"],
        properties: { address: { type: "string" }, kind: { type: "string", enum: [...GOOGLE_ADDRESS_KINDS] }, owner: { type: "string" } },
      },
    },
    googleGroups: {
      type: "array",
      description: "The Google groups: address, members (addresses, or {email, type, deliverySettings}), optionally aliases and nonEditableAliases.",
      items: {
        type: "object",
        required: ["email"],
        properties: {
          email: { type: "string" },
          aliases: addressList("The group's aliases."),
          nonEditableAliases: addressList("The group's addresses at alias domains."),
          members: {
            type: "array",
            // An address, or a member as the Directory lists it.
            items: {
              type: ["string", "object"],
              properties: {
                email: { type: "string" },
                type: { type: "string", enum: ["USER", "GROUP", "CUSTOMER", "EXTERNAL"] },
                deliverySettings: { type: "string", enum: ["ALL_MAIL", "DAILY", "DIGEST", "DISABLED", "NONE"] },
              },
            },
          },
        },
      },
    },
  },
};

/** The policy whose configuration holds the facts every policy uses; it reports nothing itself. */
export const TENANT_FACTS_POLICY = "mail-flow-safety";

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

let sharedFacts: TenantFacts = {};

/**
 * The analyzer runs a pack's stack policies one after the other, in order, with each policy's own
 * configuration only: the first keeps the shared facts for the others.
 */
const tenantFactsPolicy: StackValidationPolicy = {
  name: TENANT_FACTS_POLICY,
  description: "Holds the tenant facts every policy of the pack uses (Google addresses, groups and domains, MX, accepted domains, SPF); reports nothing itself.",
  enforcementLevel: "advisory",
  configSchema: TENANT_FACTS_SCHEMA,
  validateStack: (args) => {
    sharedFacts = args.getConfig<TenantFacts>();
  },
};

function stackPolicy(policy: PolicyKey): StackValidationPolicy {
  const { name, enforcementLevel, description } = POLICIES[policy];
  return {
    name,
    description,
    enforcementLevel,
    configSchema: TENANT_FACTS_SCHEMA,
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map(plannedResource);
      for (const violation of violationsFor(resources, { ...sharedFacts, ...args.getConfig<TenantFacts>() })) {
        if (violation.policy === policy) reportViolation(formatViolation(violation), violation.resources[0]?.urn);
      }
    },
  };
}

export const mailFlowPolicies: StackValidationPolicy[] = [tenantFactsPolicy, ...(Object.keys(POLICIES) as PolicyKey[]).map(stackPolicy)];
