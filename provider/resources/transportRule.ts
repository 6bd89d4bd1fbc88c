import * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject, removeExchangeObject } from "../clients";
import { actionForExisting, changedFields, FieldRule, planDiff, sameIgnoringCase, sameSet } from "./diff";
import { emailItem, InputChecker, isUnknown } from "./inputs";
import { note } from "./log";
import { configureFromStack, engineOutputs, serializableProvider } from "./serializable";

const RESOURCE = "TransportRule";

/**
 * A mail flow rule for criteria-based routing (the seed's other method): mail sent to the listed
 * recipients, or to members of a group, leaves Exchange Online through a transport-rule-scoped
 * outbound connector (`RouteMessageOutboundConnector`), e.g. to Google for users not migrated yet.
 */
export interface TransportRuleArgs {
  /** The rule's name, also its id. Changing it replaces the rule. */
  readonly name: pulumi.Input<string>;
  /** Name of the outbound connector to route through; it must have `isTransportRuleScoped: true`. */
  readonly outboundConnector: pulumi.Input<string>;
  /**
   * Condition SentTo: recipient addresses. Set this or `sentToMemberOf`, not both.
   * @default undefined
   */
  readonly sentTo?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Condition SentToMemberOf: addresses of groups whose members' mail is routed. Set this or `sentTo`, not both.
   * @default undefined
   */
  readonly sentToMemberOf?: pulumi.Input<pulumi.Input<string>[]>;
  /** @default true */
  readonly enabled?: pulumi.Input<boolean>;
  /**
   * Rule priority, 0 = evaluated first. When unset, Exchange puts a new rule last and a priority
   * changed in the console is not drift.
   * @default undefined
   */
  readonly priority?: pulumi.Input<number>;
  /** @default undefined (no comment) */
  readonly comments?: pulumi.Input<string>;
  /**
   * Take over an existing rule of this name and change it to match, instead of failing.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
}

/** What Exchange holds for the rule, as this resource compares it. */
export type RuleSettings = {
  name: string;
  outboundConnector: string;
  sentTo?: string[];
  sentToMemberOf?: string[];
  enabled: boolean;
  priority?: number;
  comments?: string;
};

export interface TransportRuleState extends RuleSettings {
  adopt: boolean;
}

/** An unset priority is Exchange's business. */
const samePriorityWhenSet = (current: unknown, desired: unknown): boolean => desired === undefined || desired === null || current === desired;

const settingRules: FieldRule[] = [
  { field: "name", replaces: true, equal: sameIgnoringCase },
  { field: "outboundConnector", equal: sameIgnoringCase },
  { field: "sentTo", equal: sameSet },
  { field: "sentToMemberOf", equal: sameSet },
  { field: "enabled" },
  { field: "priority", equal: samePriorityWhenSet },
  { field: "comments" },
];

/** Exchange parameter per setting that Set-TransportRule changes (null clears); `enabled` has its own cmdlets. */
const PARAMETERS: Record<Exclude<keyof RuleSettings, "enabled">, { parameter: string; value: (settings: RuleSettings) => unknown }> = {
  name: { parameter: "Name", value: (s) => s.name },
  outboundConnector: { parameter: "RouteMessageOutboundConnector", value: (s) => s.outboundConnector },
  sentTo: { parameter: "SentTo", value: (s) => s.sentTo ?? null },
  sentToMemberOf: { parameter: "SentToMemberOf", value: (s) => s.sentToMemberOf ?? null },
  priority: { parameter: "Priority", value: (s) => s.priority ?? null },
  comments: { parameter: "Comments", value: (s) => s.comments ?? null },
};

export function desiredRule(inputs: Record<string, unknown>): RuleSettings {
  return {
    name: inputs.name as string,
    outboundConnector: inputs.outboundConnector as string,
    sentTo: inputs.sentTo as string[] | undefined,
    sentToMemberOf: inputs.sentToMemberOf as string[] | undefined,
    enabled: inputs.enabled as boolean,
    priority: inputs.priority as number | undefined,
    comments: inputs.comments as string | undefined,
  };
}

/** New-TransportRule parameters: the settings given, plus Enabled. */
export function newRuleParameters(desired: RuleSettings): Record<string, unknown> {
  const parameters: Record<string, unknown> = { Enabled: desired.enabled };
  for (const { parameter, value } of Object.values(PARAMETERS)) {
    const sent = value(desired);
    if (sent !== null) parameters[parameter] = sent;
  }
  return parameters;
}

/**
 * The calls that bring `current` to `desired`: Set-TransportRule parameters (empty: no Set) and
 * whether to run Enable-/Disable-TransportRule (Set-TransportRule has no Enabled). Never a rename.
 */
export function ruleChanges(current: Partial<RuleSettings>, desired: RuleSettings): { set: Record<string, unknown>; enable?: boolean } {
  const set: Record<string, unknown> = {};
  let enable: boolean | undefined;
  for (const field of changedFields(current, desired, settingRules)) {
    if (field === "name") continue;
    if (field === "enabled") enable = desired.enabled;
    else {
      const { parameter, value } = PARAMETERS[field as keyof typeof PARAMETERS];
      set[parameter] = value(desired);
    }
  }
  return { set, enable };
}

const addresses = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.length > 0 ? value.map((item) => String(item).toLowerCase()) : undefined;

/** A Get-TransportRule object as this resource's settings (what refresh stores). */
export function ruleFromExchange(found: Record<string, unknown>): RuleSettings {
  return {
    name: String(found.Name),
    outboundConnector: String(found.RouteMessageOutboundConnector ?? ""),
    sentTo: addresses(found.SentTo),
    sentToMemberOf: addresses(found.SentToMemberOf),
    enabled: String(found.State ?? "Enabled").toLowerCase() === "enabled",
    priority: typeof found.Priority === "number" ? found.Priority : undefined,
    comments: found.Comments ? String(found.Comments) : undefined,
  };
}

/** A rule can only route through a rule-scoped connector; say so before Exchange gives a vaguer error. */
async function assertRuleScopedConnector(connector: string): Promise<void> {
  const found = await findExchangeObject("Get-OutboundConnector", connector);
  if (!found) throw new Error(`${RESOURCE}.outboundConnector: there is no outbound connector named "${connector}"; create it first (OutboundConnector with isTransportRuleScoped: true).`);
  if (found.IsTransportRuleScoped !== true) {
    throw new Error(`${RESOURCE}.outboundConnector: connector "${connector}" is not transport-rule scoped, so a rule cannot route through it; set isTransportRuleScoped: true on it.`);
  }
}

async function apply(identity: string, changes: { set: Record<string, unknown>; enable?: boolean }): Promise<void> {
  if (Object.keys(changes.set).length > 0) await apis().exchange.invoke("Set-TransportRule", { Identity: identity, ...changes.set });
  if (changes.enable !== undefined) await apis().exchange.invoke(changes.enable ? "Enable-TransportRule" : "Disable-TransportRule", { Identity: identity, Confirm: false });
}

function stateOf(inputs: Record<string, unknown>, priority: number | undefined): TransportRuleState {
  return { ...desiredRule(inputs), priority: (inputs.priority as number | undefined) ?? priority, adopt: inputs.adopt as boolean };
}

export const transportRuleProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    inputs.name("name", { required: true, maxLength: 64 });
    inputs.name("outboundConnector", { required: true, maxLength: 64 });
    const sentTo = inputs.list("sentTo", emailItem);
    const sentToMemberOf = inputs.list("sentToMemberOf", emailItem);
    const given = (list: string[] | undefined): boolean => list !== undefined && (isUnknown(list) || list.length > 0);
    if (!given(sentTo) && !given(sentToMemberOf) && !inputs.failures.some((failure) => /^sentTo/.test(failure.property))) {
      inputs.problem("sentTo", "the rule needs a condition: set sentTo (recipient addresses) or sentToMemberOf (group addresses)");
    }
    if (given(sentTo) && given(sentToMemberOf)) {
      inputs.problem("sentToMemberOf", "set sentTo or sentToMemberOf, not both: Exchange would route only mail that matches both");
    }
    inputs.boolean("enabled", true);
    if (news.priority !== undefined && news.priority !== null) inputs.integer("priority", 0, { min: 0, max: 1000 });
    inputs.text("comments", { maxLength: 1024 });
    inputs.boolean("adopt", false);
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planDiff(olds, news, settingRules);
  },

  async create(inputs) {
    const desired = desiredRule(inputs);
    await assertRuleScopedConnector(desired.outboundConnector);
    const existing = await findExchangeObject("Get-TransportRule", desired.name);
    const current = existing && ruleFromExchange(existing);
    const differences = current ? changedFields(current, desired, settingRules) : [];
    const action = actionForExisting(RESOURCE, `transport rule "${desired.name}"`, current && { differences }, inputs.adopt);
    let priority = current?.priority;
    if (action === "create") {
      const [created] = await apis().exchange.invoke("New-TransportRule", newRuleParameters(desired));
      priority = created ? ruleFromExchange(created).priority : undefined;
    } else if (action === "keep") {
      note(RESOURCE, `transport rule "${desired.name}" already exists exactly as wanted (an earlier run was interrupted?); adopted it.`);
    } else {
      await apply(desired.name, ruleChanges(current!, desired));
      note(RESOURCE, `took over transport rule "${desired.name}" and changed ${differences.join(", ")} to match.`);
    }
    return { id: desired.name, outs: engineOutputs(stateOf(inputs, priority)) };
  },

  async read(id, props) {
    const found = await findExchangeObject("Get-TransportRule", id);
    if (!found) return {};
    return { id, props: engineOutputs({ ...props, ...ruleFromExchange(found) }) };
  },

  async update(id, olds, news) {
    const desired = desiredRule(news);
    const changes = ruleChanges(olds, desired);
    if (changes.set.RouteMessageOutboundConnector !== undefined) await assertRuleScopedConnector(desired.outboundConnector);
    await apply(id, changes);
    return { outs: engineOutputs(stateOf(news, olds.priority)) };
  },

  async delete(id) {
    await removeExchangeObject("Remove-TransportRule", id);
  },
};

const provider = serializableProvider("transportRule", "transportRuleProvider");

/** An Exchange Online mail flow rule that routes some recipients through a rule-scoped connector. */
export class TransportRule extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly outboundConnector: pulumi.Output<string>;
  declare readonly sentTo: pulumi.Output<string[] | undefined>;
  declare readonly sentToMemberOf: pulumi.Output<string[] | undefined>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly priority: pulumi.Output<number | undefined>;
  declare readonly comments: pulumi.Output<string | undefined>;

  constructor(name: string, args: TransportRuleArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { priority: undefined, ...args }, opts, "coexist", "TransportRule");
  }
}
