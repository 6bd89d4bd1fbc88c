/** New-/Set-/Get-/Remove-, Enable-/Disable-TransportRule (exchange-admin-api.md §2.6): SentTo/SentToMemberOf routed to a rule-scoped connector. */
import { randomUUID } from "node:crypto";
import { primaryAddress } from "../directory";
import { exchangeError } from "../http";
import type { ConnectorRecord, DistributionGroupRecord, TransportRuleRecord } from "../records";
import { NO_CHANGE, assertNameFree, checkName, findNamed, flag, list, saveUnlessUnchanged, text, type Cmdlet, type ExchangeContext, type Parameters } from "./cmdlet";
import { findGroup } from "./distributionGroups";

function ruleView(context: ExchangeContext, rule: TransportRuleRecord): object {
  const groupAddresses = (rule.sentToMemberOf ?? []).flatMap((guid) => {
    const group = context.store.get<DistributionGroupRecord>(context.tenant.tenantId, "distributionGroup", guid);
    return group ? [primaryAddress(group)] : [];
  });
  return {
    Identity: rule.name,
    Name: rule.name,
    Guid: rule.guid,
    State: rule.state,
    Priority: rule.priority,
    SentTo: rule.sentTo.length > 0 ? rule.sentTo : null,
    "SentTo@odata.type": "#Collection(String)",
    SentToMemberOf: groupAddresses.length > 0 ? groupAddresses : null,
    "SentToMemberOf@odata.type": "#Collection(String)",
    RouteMessageOutboundConnector: rule.routeMessageOutboundConnector,
    Comments: rule.comments,
    Mode: "Enforce",
  };
}

function findRule(context: ExchangeContext, identity: string): TransportRuleRecord {
  return findNamed(context.store.list<TransportRuleRecord>(context.tenant.tenantId, "transportRule"), identity);
}

const RULE_PARAMETERS = ["name", "sentto", "senttomemberof", "routemessageoutboundconnector", "priority", "comments", "mode"];

function applyRuleParameters(context: ExchangeContext, base: TransportRuleRecord, parameters: Parameters): TransportRuleRecord {
  const next = { ...base };
  const name = text(parameters, "name");
  if (name !== undefined) {
    checkName(name, "Name");
    next.name = name;
  }
  if (parameters.has("sentto")) next.sentTo = list(parameters, "sentto")?.map((address) => address.toLowerCase()) ?? [];
  if (parameters.has("senttomemberof")) {
    next.sentToMemberOf = (list(parameters, "senttomemberof") ?? []).map((identity) => {
      const group = findGroup(context, identity, () => exchangeError(400, "invalidParameter", `The distribution group '${identity}' couldn't be found. Create it with New-DistributionGroup first.`));
      return group.guid;
    });
  }
  const connector = text(parameters, "routemessageoutboundconnector");
  if (connector !== undefined) {
    const found = context.store.list<ConnectorRecord>(context.tenant.tenantId, "connector").find((entry) => entry.name.toLowerCase() === connector.toLowerCase());
    if (!found) throw exchangeError(400, "dataValidation", `The outbound connector '${connector}' couldn't be found. Create it with New-OutboundConnector first.`);
    if (!found.isTransportRuleScoped) {
      throw exchangeError(400, "dataValidation", `The outbound connector '${connector}' isn't transport-rule scoped. Set IsTransportRuleScoped $true on it before a rule can route to it.`);
    }
    next.routeMessageOutboundConnector = found.name;
  }
  const priority = parameters.get("priority");
  if (priority !== undefined && priority !== null) {
    if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0) throw exchangeError(400, "parameterBinding", "Cannot bind parameter 'Priority'. Give a whole number ≥ 0.");
    next.priority = priority;
  }
  if (parameters.has("comments")) next.comments = text(parameters, "comments") ?? "";
  return next;
}

const newTransportRule: Cmdlet = {
  name: "New-TransportRule",
  parameters: [...RULE_PARAMETERS, "enabled"],
  required: ["name"],
  run(context, parameters) {
    const name = text(parameters, "name") ?? "";
    const rules = context.store.list<TransportRuleRecord>(context.tenant.tenantId, "transportRule");
    assertNameFree(rules, name);
    const state = flag(parameters, "enabled") === false ? "Disabled" : "Enabled";
    const rule = applyRuleParameters(
      context,
      { guid: randomUUID(), name, state, priority: rules.length, sentTo: [], routeMessageOutboundConnector: "", comments: "" },
      parameters,
    );
    context.store.put(context.tenant.tenantId, "transportRule", rule.guid, rule);
    return { objects: [ruleView(context, rule)] };
  },
};

const setTransportRule: Cmdlet = {
  name: "Set-TransportRule",
  parameters: ["identity", ...RULE_PARAMETERS],
  required: ["identity"],
  run(context, parameters) {
    const rule = findRule(context, text(parameters, "identity") ?? "");
    const next = applyRuleParameters(context, rule, parameters);
    return saveUnlessUnchanged(rule, next, (changed) => context.store.put(context.tenant.tenantId, "transportRule", rule.guid, changed));
  },
};

/** Enable-/Disable-TransportRule: Set-TransportRule has no Enabled parameter. */
function switchTransportRule(cmdletName: string, state: TransportRuleRecord["state"]): Cmdlet {
  return {
    name: cmdletName,
    parameters: ["identity"],
    required: ["identity"],
    run(context, parameters) {
      const rule = findRule(context, text(parameters, "identity") ?? "");
      if (rule.state === state) return { objects: [], warnings: [NO_CHANGE(rule.name)] };
      context.store.put(context.tenant.tenantId, "transportRule", rule.guid, { ...rule, state });
      return { objects: [] };
    },
  };
}

const getTransportRule: Cmdlet = {
  name: "Get-TransportRule",
  parameters: ["identity", "resultsize", "state"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const rules = identity ? [findRule(context, identity)] : context.store.list<TransportRuleRecord>(context.tenant.tenantId, "transportRule");
    return { objects: rules.sort((left, right) => left.priority - right.priority).map((rule) => ruleView(context, rule)) };
  },
};

const removeTransportRule: Cmdlet = {
  name: "Remove-TransportRule",
  parameters: ["identity"],
  required: ["identity"],
  run(context, parameters) {
    context.store.delete(context.tenant.tenantId, "transportRule", findRule(context, text(parameters, "identity") ?? "").guid);
    return { objects: [] };
  },
};

export const transportRuleCmdlets: Cmdlet[] = [
  newTransportRule,
  setTransportRule,
  switchTransportRule("Enable-TransportRule", "Enabled"),
  switchTransportRule("Disable-TransportRule", "Disabled"),
  getTransportRule,
  removeTransportRule,
];
