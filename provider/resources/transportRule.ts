import type * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject } from "../clients";
import { changedFields, FieldRule, planDiff, sameIgnoringCase, sameSet } from "./diff";
import { emailItem, InputChecker, isUnknown } from "./inputs";
import { assertNotTakenOver, createOrTakeOver, deleteMarked, type MarkedKind } from "./markedObject";
import { markedOwner, ownershipAfter, stackOwner, withOwnerMark, withoutOwnerMark, type Ownership } from "./ownership";
import { configureFromStack, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

const RESOURCE = "TransportRule";

/**
 * A mail flow rule for criteria-based routing (the seed's other method): mail sent to the listed
 * recipients, or to members of a group, leaves Exchange Online through a transport-rule-scoped
 * outbound connector (`RouteMessageOutboundConnector`), e.g. to Google for users not migrated yet.
 *
 * The rule's `Comments` start with this stack's mark, `[managed by pulumi-mail-coexistence:
 * <project>/<stack>]`, followed by `comments` (docs/resources/transportRule.md, "Ownership").
 */
export interface TransportRuleArgs {
  /** The rule's name, also its id. Changing it replaces the rule. */
  readonly name: pulumi.Input<string>;
  /** Name of the outbound connector to route through; it must have `isTransportRuleScoped: true`. */
  readonly outboundConnector: pulumi.Input<string>;
  /**
   * Condition SentTo: recipient addresses. Set this or `sentToMemberOf`, not both. Switching a rule
   * from one to the other is refused (the old condition would need clearing with a null); rename
   * the rule instead, which replaces it.
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
  /**
   * Your comments, kept in Exchange's `Comments` after this stack's mark.
   * @default undefined (the Comments hold only the mark)
   */
  readonly comments?: pulumi.Input<string>;
  /**
   * Take over an existing rule of this name that this stack did not create (no mark of this stack),
   * and change it to match, instead of failing. Its settings are saved and restored on delete; it
   * is never removed unless `deleteAdopted`.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Remove an adopted rule on delete, like one this stack created, instead of restoring it.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
}

/** What Exchange holds for the rule, as this resource compares it. */
export type RuleSettings = {
  name: string;
  outboundConnector: string;
  sentTo?: string[];
  sentToMemberOf?: string[];
  enabled: boolean;
  priority?: number;
  /** The Comments without the mark. */
  comments?: string;
  /** The stack the Comments' mark names; undefined when they have none. */
  markedBy?: string;
};

export interface TransportRuleState extends RuleSettings {
  adopt: boolean;
  deleteAdopted: boolean;
  /** The stack that declares the resource (`<project>/<stack>`); absent in a state written before marks. */
  owner?: string;
  ownership: Ownership;
  /** For an adopted rule: its settings when it was adopted, put back on delete. */
  settingsBeforeAdoption?: RuleSettings;
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
  { field: "markedBy" },
];

const fields: FieldRule[] = [...settingRules, { field: "deleteAdopted" }];

/** The Comments that carry the settings' mark and comments (a plain string: "" when both are absent). */
function commentsText(settings: Pick<RuleSettings, "comments" | "markedBy">): string {
  return settings.markedBy ? withOwnerMark(settings.markedBy, settings.comments) : (settings.comments ?? "");
}

/**
 * Exchange parameter per setting that Set-TransportRule changes (`enabled` has its own cmdlets),
 * and the value that sets it; `undefined` where reaching the setting would need a JSON null (a
 * condition or action removed), which is never sent: no source confirms how InvokeCommand binds it.
 */
const PARAMETERS: Record<Exclude<keyof RuleSettings, "enabled">, { parameter: string; value: (settings: RuleSettings) => unknown }> = {
  name: { parameter: "Name", value: (s) => s.name },
  outboundConnector: { parameter: "RouteMessageOutboundConnector", value: (s) => s.outboundConnector || undefined },
  sentTo: { parameter: "SentTo", value: (s) => s.sentTo },
  sentToMemberOf: { parameter: "SentToMemberOf", value: (s) => s.sentToMemberOf },
  priority: { parameter: "Priority", value: (s) => s.priority },
  comments: { parameter: "Comments", value: commentsText },
  markedBy: { parameter: "Comments", value: commentsText },
};

/** The rule the checked inputs describe, marked by the stack that declares it. */
export function desiredRule(inputs: Record<string, unknown>): RuleSettings {
  return {
    name: inputs.name as string,
    outboundConnector: inputs.outboundConnector as string,
    sentTo: inputs.sentTo as string[] | undefined,
    sentToMemberOf: inputs.sentToMemberOf as string[] | undefined,
    enabled: inputs.enabled as boolean,
    priority: inputs.priority as number | undefined,
    comments: inputs.comments as string | undefined,
    markedBy: inputs.owner as string,
  };
}

/** New-TransportRule parameters: the settings given, plus Enabled. */
export function newRuleParameters(desired: RuleSettings): Record<string, unknown> {
  const parameters: Record<string, unknown> = { Enabled: desired.enabled };
  for (const { parameter, value } of Object.values(PARAMETERS)) {
    const sent = value(desired);
    if (sent !== undefined) parameters[parameter] = sent;
  }
  return parameters;
}

export interface RuleChanges {
  /** Set-TransportRule parameters (empty: no Set). */
  set: Record<string, unknown>;
  /** Enable-/Disable-TransportRule to run (Set-TransportRule has no Enabled). */
  enable?: boolean;
  /** Settings that would need clearing with a null, which are not sent. */
  uncleared: string[];
}

/** The calls that bring `current` to `target`. Never a rename. */
export function ruleChanges(current: Partial<RuleSettings>, target: RuleSettings): RuleChanges {
  const changes: RuleChanges = { set: {}, uncleared: [] };
  for (const field of changedFields(current, target, settingRules)) {
    if (field === "name") continue;
    if (field === "enabled") {
      changes.enable = target.enabled;
      continue;
    }
    const { parameter, value } = PARAMETERS[field as keyof typeof PARAMETERS];
    const sent = value(target);
    if (sent === undefined) changes.uncleared.push(field);
    else changes.set[parameter] = sent;
  }
  return changes;
}

/** The PowerShell that clears what this resource cannot, e.g. `Set-TransportRule -Identity "X" -SentTo $null`. */
export function clearingCommand(name: string, uncleared: string[]): string {
  return `Set-TransportRule -Identity "${name}" ${uncleared.map((field) => `-${PARAMETERS[field as keyof typeof PARAMETERS].parameter} $null`).join(" ")}`;
}

/** Why a change that needs a null is refused, and what to do. */
export function clearingRefusal(name: string, uncleared: string[]): string {
  return (
    `${RESOURCE}.${uncleared[0]}: the change to rule "${name}" removes ${uncleared.join(" and ")}, which needs clearing with $null, and no source confirms how the ` +
    `Exchange admin API binds a JSON null, so this resource never sends one. Give the rule a new name instead: the replacement is created before this ` +
    `rule is removed, so the recipients stay routed. Or clear it yourself in Exchange Online PowerShell (${clearingCommand(name, uncleared)}), ` +
    `then run pulumi refresh and pulumi up.`
  );
}

const addresses = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.length > 0 ? value.map((item) => String(item).toLowerCase()) : undefined;

/** A Get-TransportRule object as this resource's settings (what refresh stores). */
export function ruleFromExchange(found: Record<string, unknown>): RuleSettings {
  const comments = found.Comments ? String(found.Comments) : undefined;
  return {
    name: String(found.Name),
    outboundConnector: String(found.RouteMessageOutboundConnector ?? ""),
    sentTo: addresses(found.SentTo),
    sentToMemberOf: addresses(found.SentToMemberOf),
    enabled: String(found.State ?? "Enabled").toLowerCase() === "enabled",
    priority: typeof found.Priority === "number" ? found.Priority : undefined,
    comments: withoutOwnerMark(comments),
    markedBy: markedOwner(comments),
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


async function apply(identity: string, changes: RuleChanges): Promise<void> {
  if (Object.keys(changes.set).length > 0) await apis().exchange.invoke("Set-TransportRule", { Identity: identity, ...changes.set });
  if (changes.enable !== undefined) await apis().exchange.invoke(changes.enable ? "Enable-TransportRule" : "Disable-TransportRule", { Identity: identity, Confirm: false });
}

/** Changes `current` to `target`, refusing what would need a null; returns the fields changed. */
async function setRule(name: string, current: Partial<RuleSettings>, target: RuleSettings): Promise<string[]> {
  const changes = ruleChanges(current, target);
  if (changes.uncleared.length > 0) throw new Error(clearingRefusal(name, changes.uncleared));
  if (changes.set.RouteMessageOutboundConnector !== undefined) await assertRuleScopedConnector(target.outboundConnector);
  await apply(name, changes);
  return changedFields(current, target, settingRules).filter((field) => field !== "name");
}

/** Puts an adopted rule's saved settings back, but for what would need a null. */
async function restoreRule(name: string, live: RuleSettings, saved: RuleSettings): Promise<{ uncleared: string[]; command: string }> {
  const changes = ruleChanges(live, saved);
  await apply(name, changes);
  return { uncleared: changes.uncleared, command: clearingCommand(name, changes.uncleared) };
}

function stateOf(inputs: Record<string, unknown>, priority: number | undefined, ownership: Ownership, settingsBeforeAdoption?: RuleSettings): TransportRuleState {
  return {
    ...desiredRule(inputs),
    priority: (inputs.priority as number | undefined) ?? priority,
    adopt: inputs.adopt as boolean,
    deleteAdopted: inputs.deleteAdopted as boolean,
    owner: inputs.owner as string,
    ownership,
    settingsBeforeAdoption,
  };
}

const RULE: MarkedKind<RuleSettings> = {
  resource: RESOURCE,
  noun: "transport rule",
  cmdlets: { create: "New-TransportRule", get: "Get-TransportRule", remove: "Remove-TransportRule" },
  parse: ruleFromExchange,
  restore: restoreRule,
};

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
    inputs.boolean("deleteAdopted", false);
    inputs.owner();
    return inputs.result();
  },

  async diff(_id, olds, news) {
    const desired = desiredRule(news);
    // A new name replaces the rule, and the new one is created with only the wanted condition.
    if (sameIgnoringCase(olds.name, news.name) && !isUnknown(news.sentTo) && !isUnknown(news.sentToMemberOf)) {
      const { uncleared } = ruleChanges(olds, desired);
      if (uncleared.length > 0) throw new Error(clearingRefusal(desired.name, uncleared));
    }
    return planDiff(olds, { ...news, markedBy: news.owner }, fields);
  },

  async create(inputs) {
    const desired = desiredRule(inputs);
    await assertRuleScopedConnector(desired.outboundConnector);
    const outcome = await createOrTakeOver(
      RULE,
      { ...desired, adopt: inputs.adopt },
      () => apis().exchange.invoke("New-TransportRule", newRuleParameters(desired)),
      (current) => changedFields(current, desired, settingRules),
      (current) => setRule(desired.name, current, desired),
    );
    if ("created" in outcome) {
      const [created] = outcome.created;
      return { id: desired.name, outs: engineOutputs(stateOf(inputs, created ? ruleFromExchange(created).priority : undefined, "created")) };
    }
    const { action, current } = outcome;
    const saved = action === "adopt" ? engineOutputs(current) : undefined;
    return { id: desired.name, outs: engineOutputs(stateOf(inputs, current.priority, ownershipAfter(action), saved)) };
  },

  async read(id, props) {
    const found = await findExchangeObject("Get-TransportRule", id);
    if (!found) return {};
    return { id, props: engineOutputs({ ...props, ...ruleFromExchange(found) }) };
  },

  async update(id, olds, news) {
    const state = olds as TransportRuleState;
    const desired = desiredRule(news);
    assertNotTakenOver(RULE, id, state, desired.markedBy!);
    await setRule(id, olds, desired);
    return { outs: engineOutputs(stateOf(news, state.priority, state.ownership ?? "created", state.settingsBeforeAdoption)) };
  },

  async delete(id, props) {
    await deleteMarked(RULE, id, props as TransportRuleState);
  },
};

const provider = serializableProvider("transportRule", "transportRuleProvider");

/** An Exchange Online mail flow rule that routes some recipients through a rule-scoped connector. */
export class TransportRule extends DynamicResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly outboundConnector: pulumi.Output<string>;
  declare readonly sentTo: pulumi.Output<string[] | undefined>;
  declare readonly sentToMemberOf: pulumi.Output<string[] | undefined>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly priority: pulumi.Output<number | undefined>;
  declare readonly comments: pulumi.Output<string | undefined>;
  declare readonly adopt: pulumi.Output<boolean>;
  declare readonly deleteAdopted: pulumi.Output<boolean>;
  /** `created`, or `adopted` (restored, not removed, on delete unless `deleteAdopted`). */
  declare readonly ownership: pulumi.Output<Ownership>;

  constructor(name: string, args: TransportRuleArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { sentTo: undefined, sentToMemberOf: undefined, enabled: undefined, priority: undefined, comments: undefined, adopt: undefined, deleteAdopted: undefined, ownership: undefined };
    super(provider, name, { ...outputs, ...args, owner: stackOwner() }, opts, "coexist", "TransportRule");
  }
}
