import type * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject } from "../clients";
import { redact } from "../config";
import { domainOf } from "../routing/addresses";
import { changedFields, FieldRule, planDiff, sameIgnoringCase, sameSet } from "./diff";
import { domainItem, emailItem, InputChecker, isDomainName, isUnknown, isWithinDomain } from "./inputs";
import { assertNotTakenOver, createOrTakeOver, deleteMarked, type MarkedKind } from "./markedObject";
import { markedOwner, ownershipAfter, stackOwner, withOwnerMark, withoutOwnerMark, type Ownership } from "./ownership";
import { configureFromStack, createdButNotReady, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

export type TlsSettings = "None" | "EncryptionOnly" | "CertificateValidation" | "DomainValidation";
const TLS_SETTINGS: readonly TlsSettings[] = ["None", "EncryptionOnly", "CertificateValidation", "DomainValidation"];

/** Google's current inbound MX, one name for every Workspace domain (google-workspace.md §4.1). */
export const GOOGLE_SMART_HOSTS: readonly string[] = ["smtp.google.com"];

const RESOURCE = "OutboundConnector";

/**
 * The outbound connector that sends mail for not-yet-migrated users (relayed by the Internal
 * Relay domain) from Exchange Online to Google. It is always `ConnectorType OnPremises` with
 * `UseMXRecord $false`: once the domain's MX points to Microsoft 365, an MX-routed connector would
 * send the mail back to Exchange Online and loop (554 5.4.14, mail-routing.md §1.3).
 *
 * The connector's `Comment` starts with this stack's mark, `[managed by pulumi-mail-coexistence:
 * <project>/<stack>]`, followed by `comment`: the mark is how a later run knows the connector is
 * this stack's own (docs/resources/outboundConnector.md, "Ownership").
 */
export interface OutboundConnectorArgs {
  /** The connector's name (at most 64 characters), also its id. Changing it replaces the connector. */
  readonly name: pulumi.Input<string>;
  /** Domains whose mail goes through the connector: `contoso.com`, `*.contoso.com` or `*`. Compared as a set. */
  readonly recipientDomains: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Where the connector delivers: host names, IPv4 addresses or IPv4 CIDR ranges. Compared as a set.
   * @default ["smtp.google.com"]
   */
  readonly smartHosts?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * TLS required on delivery. `None` is the seed's setting ("untick always use TLS"): Exchange still
   * uses TLS when the smart host offers it, but falls back to plain SMTP. Going back to `None` from
   * another value is refused (it needs a `$null` that the admin API is not known to bind): clear it
   * in Exchange yourself, as the error says.
   * @default "None"
   */
  readonly tlsSettings?: pulumi.Input<TlsSettings>;
  /**
   * The certificate domain the smart hosts must present; required with `DomainValidation`, refused otherwise.
   * @default undefined
   */
  readonly tlsDomain?: pulumi.Input<string>;
  /**
   * True for criteria-based routing: the connector is then used only by a TransportRule that names it.
   * @default false
   */
  readonly isTransportRuleScoped?: pulumi.Input<boolean>;
  /** @default true */
  readonly enabled?: pulumi.Input<boolean>;
  /**
   * Your comment, kept in Exchange's `Comment` after this stack's mark.
   * @default undefined (the Comment holds only the mark)
   */
  readonly comment?: pulumi.Input<string>;
  /**
   * Addresses (in `recipientDomains`) that Validate-OutboundConnector sends a test message to after
   * every create and update, and on every `up` while Exchange does not show the connector validated.
   * Only an output that reads as a success for every recipient marks the connector validated; a
   * failed or unreadable validation fails the operation.
   * @default undefined (no validation)
   */
  readonly validationRecipients?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Take over an existing connector of this name that this stack did not create (no mark of this
   * stack), and change it to match, instead of failing. Its settings are saved and restored on
   * delete; it is never removed unless `deleteAdopted`.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Remove an adopted connector on delete, like one this stack created, instead of restoring it.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
}

/** What Exchange holds for the connector, as this resource compares it. */
export type ConnectorSettings = {
  name: string;
  recipientDomains: string[];
  smartHosts: string[];
  tlsSettings: TlsSettings;
  tlsDomain?: string;
  isTransportRuleScoped: boolean;
  enabled: boolean;
  /** The Comment without the mark. */
  comment?: string;
  /** The stack the Comment's mark names; undefined when it has none. */
  markedBy?: string;
  connectorType: string;
  useMxRecord: boolean;
};

export interface RecipientValidation {
  recipient: string;
  succeeded: boolean;
  message: string;
}

export interface OutboundConnectorState extends ConnectorSettings {
  validationRecipients?: string[];
  adopt: boolean;
  deleteAdopted: boolean;
  /** The stack that declares the resource (`<project>/<stack>`); absent in a state written before marks. */
  owner?: string;
  ownership: Ownership;
  /** For an adopted connector: its settings when it was adopted, put back on delete. */
  settingsBeforeAdoption?: ConnectorSettings;
  isValidated: boolean;
  lastValidationTimestamp?: string;
  /** The validation the latest create or update ran, per recipient that had a readable result; [] when it ran none. */
  validationResult: RecipientValidation[];
}

/** Not inputs: every connector of this resource has them, and refresh shows a console edit as drift. */
const FIXED = { connectorType: "OnPremises", useMxRecord: false } as const;

const settingRules: FieldRule[] = [
  { field: "name", replaces: true, equal: sameIgnoringCase },
  { field: "recipientDomains", equal: sameSet },
  { field: "smartHosts", equal: sameSet },
  { field: "tlsSettings" },
  { field: "tlsDomain", equal: sameIgnoringCase },
  { field: "isTransportRuleScoped" },
  { field: "enabled" },
  { field: "comment" },
  { field: "markedBy" },
  { field: "connectorType" },
  { field: "useMxRecord" },
];

const fields: FieldRule[] = [...settingRules, { field: "validationRecipients", equal: sameSet }, { field: "validationPending" }, { field: "deleteAdopted" }];

/** The Comment that carries the settings' mark and comment (a plain string: "" when both are absent). */
function commentText(settings: Pick<ConnectorSettings, "comment" | "markedBy">): string {
  return settings.markedBy ? withOwnerMark(settings.markedBy, settings.comment) : (settings.comment ?? "");
}

/**
 * Exchange parameter per setting and the value that sets it; `undefined` where reaching the
 * setting would need a JSON null (TLS back to none), which is never sent: no source confirms how
 * InvokeCommand binds it, and the strict sandbox refuses it.
 */
const PARAMETERS: Record<keyof ConnectorSettings, { parameter: string; value: (settings: ConnectorSettings) => unknown }> = {
  name: { parameter: "Name", value: (s) => s.name },
  recipientDomains: { parameter: "RecipientDomains", value: (s) => s.recipientDomains },
  smartHosts: { parameter: "SmartHosts", value: (s) => s.smartHosts },
  tlsSettings: { parameter: "TlsSettings", value: (s) => (s.tlsSettings === "None" ? undefined : s.tlsSettings) },
  tlsDomain: { parameter: "TlsDomain", value: (s) => s.tlsDomain },
  isTransportRuleScoped: { parameter: "IsTransportRuleScoped", value: (s) => s.isTransportRuleScoped },
  enabled: { parameter: "Enabled", value: (s) => s.enabled },
  comment: { parameter: "Comment", value: commentText },
  markedBy: { parameter: "Comment", value: commentText },
  connectorType: { parameter: "ConnectorType", value: (s) => s.connectorType },
  useMxRecord: { parameter: "UseMXRecord", value: (s) => s.useMxRecord },
};

/** The connector the checked inputs describe, marked by the stack that declares it. */
export function desiredConnector(inputs: Record<string, unknown>): ConnectorSettings {
  return {
    name: inputs.name as string,
    recipientDomains: inputs.recipientDomains as string[],
    smartHosts: inputs.smartHosts as string[],
    tlsSettings: inputs.tlsSettings as TlsSettings,
    tlsDomain: inputs.tlsDomain as string | undefined,
    isTransportRuleScoped: inputs.isTransportRuleScoped as boolean,
    enabled: inputs.enabled as boolean,
    comment: inputs.comment as string | undefined,
    markedBy: inputs.owner as string,
    ...FIXED,
  };
}

/** New-OutboundConnector parameters: every setting but Exchange's defaults (no TLS, no TLS domain). */
export function newConnectorParameters(desired: ConnectorSettings): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const { parameter, value } of Object.values(PARAMETERS)) {
    const sent = value(desired);
    if (sent !== undefined) parameters[parameter] = sent;
  }
  return parameters;
}

/**
 * The Set-OutboundConnector parameters that bring `current` to `target` (empty: nothing to send),
 * and the settings that would need clearing with a null (`uncleared`), which are not sent. A rename
 * is a replace, never a Set.
 */
export function connectorChanges(current: Partial<ConnectorSettings>, target: ConnectorSettings): { parameters: Record<string, unknown>; uncleared: string[] } {
  const parameters: Record<string, unknown> = {};
  const uncleared: string[] = [];
  for (const field of changedFields(current, target, settingRules)) {
    if (field === "name") continue;
    const { parameter, value } = PARAMETERS[field as keyof ConnectorSettings];
    const sent = value(target);
    if (sent === undefined) uncleared.push(field);
    else parameters[parameter] = sent;
  }
  return { parameters, uncleared };
}

/** The PowerShell that clears what this resource cannot, e.g. `Set-OutboundConnector -Identity "X" -TlsSettings $null -TlsDomain $null`. */
export function clearingCommand(name: string, target: ConnectorSettings): string {
  const tls = target.tlsSettings === "None" ? "$null" : target.tlsSettings;
  return `Set-OutboundConnector -Identity "${name}" -TlsSettings ${tls} -TlsDomain ${target.tlsDomain ? `"${target.tlsDomain}"` : "$null"}`;
}

/** Why a change that needs a null is refused, and what to do. */
export function clearingRefusal(name: string, current: Partial<ConnectorSettings>, target: ConnectorSettings, uncleared: string[]): string {
  const changes = uncleared.map((field) => `${field} from ${JSON.stringify(current[field as keyof ConnectorSettings] ?? null)} to ${JSON.stringify(target[field as keyof ConnectorSettings] ?? "none")}`);
  return (
    `${RESOURCE}.${uncleared[0]}: changing connector "${name}" ${changes.join(" and ")} needs the setting cleared with $null, and no source confirms how the ` +
    `Exchange admin API binds a JSON null, so this resource never sends one. Clear it yourself in Exchange Online PowerShell (${clearingCommand(name, target)}) ` +
    `or in the Exchange admin center (the connector's TLS settings), then run pulumi refresh and pulumi up. ` +
    `Or give the connector a new name: the replacement is created with these settings before this one is removed.`
  );
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** A Get-OutboundConnector object as this resource's settings (what refresh stores). */
export function connectorFromExchange(found: Record<string, unknown>): ConnectorSettings & Pick<OutboundConnectorState, "isValidated" | "lastValidationTimestamp"> {
  const tls = TLS_SETTINGS.find((value) => value.toLowerCase() === String(found.TlsSettings ?? "").toLowerCase());
  const comment = found.Comment ? String(found.Comment) : undefined;
  return {
    name: String(found.Name),
    // Exchange may print address spaces as `smtp:contoso.com;1`.
    recipientDomains: strings(found.RecipientDomains).map((domain) => domain.replace(/^smtp:/i, "").replace(/;\d+$/, "").toLowerCase()),
    smartHosts: strings(found.SmartHosts).map((host) => host.replace(/^\[|\]$/g, "").toLowerCase()),
    tlsSettings: tls ?? "None",
    tlsDomain: found.TlsDomain ? String(found.TlsDomain).toLowerCase() : undefined,
    isTransportRuleScoped: found.IsTransportRuleScoped === true,
    enabled: found.Enabled !== false,
    comment: withoutOwnerMark(comment),
    markedBy: markedOwner(comment),
    connectorType: String(found.ConnectorType),
    useMxRecord: found.UseMXRecord === true,
    isValidated: found.IsValidated === true,
    lastValidationTimestamp: found.LastValidationTimestamp ? String(found.LastValidationTimestamp) : undefined,
  };
}

/** True when mail for `domain` would go through a connector with these RecipientDomains. */
export function isCoveredByRecipientDomains(domain: string, recipientDomains: string[]): boolean {
  return recipientDomains.some((space) => {
    if (space === "*") return true;
    if (space.startsWith("*.")) return isWithinDomain(domain, space.slice(2)) && domain !== space.slice(2);
    return domain === space;
  });
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/([12]?\d|3[0-2]))?$/;

function smartHostItem(value: string): { value: string } | { reason: string } {
  const host = value.trim().toLowerCase().replace(/\.$/, "");
  return isDomainName(host) || IPV4.test(host)
    ? { value: host }
    : { reason: `${JSON.stringify(value)} is not a host name, IPv4 address or IPv4 CIDR range (e.g. smtp.google.com)` };
}

const firstText = (...values: unknown[]): string | undefined => values.find((value): value is string => typeof value === "string" && value !== "");

/** What one recipient's validation says: only `succeeded` lets the connector be marked validated. */
export type ValidationVerdict = "succeeded" | "failed" | "unreadable";

export interface RecipientVerdict {
  recipient: string;
  verdict: ValidationVerdict;
  message: string;
}

/** A task's own verdict: `IsTaskSuccessful`, else a status word this code knows; none when it says neither. */
function taskVerdict(task: Record<string, unknown>): "succeeded" | "failed" | undefined {
  if (task.IsTaskSuccessful === true) return "succeeded";
  if (task.IsTaskSuccessful === false) return "failed";
  const status = String(task.TaskStatus ?? task.Status ?? "");
  if (/^(succeeded|success|successful|passed)$/i.test(status)) return "succeeded";
  if (/fail/i.test(status)) return "failed";
  return undefined;
}

/**
 * Each recipient's verdict from Validate-OutboundConnector's output, whose shape is undocumented,
 * so it is read as failing closed. A task is about one recipient (its `Recipient`, or its text names
 * it) or about the connector itself (smart-host connectivity: it names no recipient), which counts
 * for every recipient. A recipient succeeded only when every task that concerns it reads as a
 * success and one of them is about that recipient; it failed when any of them reads as a failure;
 * anything else (no task about it, a task with no verdict this code knows) is unreadable.
 */
export function validationOutcome(recipients: string[], tasks: Record<string, unknown>[]): RecipientVerdict[] {
  const parsed = tasks.map((task) => {
    const summary = [firstText(task.TaskName), firstText(task.Details, task.Error, task.Message)].filter(Boolean).join(": ");
    return { recipient: firstText(task.Recipient)?.toLowerCase(), text: summary.toLowerCase(), verdict: taskVerdict(task), summary: summary || "validation task" };
  });
  const namesRecipient = (task: (typeof parsed)[number], recipient: string): boolean => (task.recipient !== undefined ? task.recipient === recipient : task.text.includes(recipient));
  const aboutConnector = (task: (typeof parsed)[number]): boolean => task.recipient === undefined && !recipients.some((other) => task.text.includes(other));
  return recipients.map((recipient) => {
    const relevant = parsed.filter((task) => namesRecipient(task, recipient) || aboutConnector(task));
    const failures = relevant.filter((task) => task.verdict === "failed");
    if (failures.length > 0) return { recipient, verdict: "failed", message: failures.map((task) => task.summary).join("; ") };
    const readable = relevant.every((task) => task.verdict === "succeeded") && relevant.some((task) => namesRecipient(task, recipient));
    return readable
      ? { recipient, verdict: "succeeded", message: relevant.map((task) => task.summary).join("; ") }
      : { recipient, verdict: "unreadable", message: "no task in the output says whether the test message to this recipient succeeded" };
  });
}

const RECEIVED_SHOWN = 500;

/** The message of a validation that did not succeed for every recipient, or undefined when it did. */
export function validationFailure(name: string, verdicts: RecipientVerdict[], tasks: Record<string, unknown>[]): string | undefined {
  const failed = verdicts.filter((result) => result.verdict === "failed");
  if (failed.length > 0) {
    const details = failed.map((result) => `${result.recipient}: ${result.message}`).join("; ");
    return `${RESOURCE}: validation of ${name} failed (${details}). The connector is configured; fix the smart hosts or TLS settings (or the recipients) and run pulumi up again to re-validate.`;
  }
  const unreadable = verdicts.filter((result) => result.verdict === "unreadable");
  if (unreadable.length === 0) return undefined;
  const received = redact(JSON.stringify(tasks));
  const shown = received.length > RECEIVED_SHOWN ? `${received.slice(0, RECEIVED_SHOWN)}… (${received.length} characters)` : received;
  return (
    `${RESOURCE}: the output of Validate-OutboundConnector for ${name} could not be read as a result for ${unreadable.map((result) => result.recipient).join(", ")}, ` +
    `so the connector is not marked validated. Received: ${shown}. The connector is configured. Validate it yourself (Exchange admin center > Mail flow > Connectors > ` +
    `${name} > Validate this connector, or Validate-OutboundConnector in Exchange Online PowerShell), which marks it validated, then run pulumi refresh; ` +
    `or remove validationRecipients to manage the connector without validation.`
  );
}

/**
 * Runs Validate-OutboundConnector when recipients are given and, only when it reads as a success
 * for every recipient, records that on the connector the way the admin center does. Otherwise
 * IsValidated is left alone and `failure` says why.
 */
async function validate(name: string, recipients: string[] | undefined): Promise<{ state: Partial<OutboundConnectorState>; failure?: string }> {
  if (!recipients?.length) return { state: {} };
  const tasks = await apis().exchange.invoke("Validate-OutboundConnector", { Identity: name, Recipients: recipients });
  const verdicts = validationOutcome(recipients, tasks);
  const validationResult = verdicts.filter((result) => result.verdict !== "unreadable").map((result) => ({ recipient: result.recipient, succeeded: result.verdict === "succeeded", message: result.message }));
  const failure = validationFailure(name, verdicts, tasks);
  if (failure) return { state: { validationResult }, failure };
  const lastValidationTimestamp = new Date().toISOString();
  await apis().exchange.invoke("Set-OutboundConnector", { Identity: name, IsValidated: true, LastValidationTimestamp: lastValidationTimestamp, ValidationRecipients: recipients });
  return { state: { validationResult, isValidated: true, lastValidationTimestamp } };
}

/**
 * Validates and returns the outputs. A validation that did not succeed fails the step with the
 * connector recorded as not validated, so the next `up` validates again.
 */
async function finish(inputs: Record<string, unknown>, id: string, state: OutboundConnectorState): Promise<OutboundConnectorState> {
  const validation = await validate(id, inputs.validationRecipients as string[] | undefined);
  if (validation.failure) throw createdButNotReady(validation.failure, id, engineOutputs({ ...state, ...validation.state, isValidated: false }), inputs);
  return engineOutputs({ ...state, ...validation.state });
}

function stateOf(inputs: Record<string, unknown>, found: Partial<OutboundConnectorState> | undefined, ownership: Ownership, settingsBeforeAdoption?: ConnectorSettings): OutboundConnectorState {
  return {
    ...desiredConnector(inputs),
    validationRecipients: inputs.validationRecipients as string[] | undefined,
    adopt: inputs.adopt as boolean,
    deleteAdopted: inputs.deleteAdopted as boolean,
    owner: inputs.owner as string,
    ownership,
    settingsBeforeAdoption,
    isValidated: found?.isValidated ?? false,
    lastValidationTimestamp: found?.lastValidationTimestamp,
    validationResult: [],
  };
}

/** A validation asked for that Exchange does not show as done: the next `up` validates again. */
const validationPending = (state: Record<string, unknown>): boolean => Array.isArray(state.validationRecipients) && state.validationRecipients.length > 0 && state.isValidated !== true;

/** Changes `current` to `target` with one Set (if anything differs), refusing what would need a null. */
async function setConnector(name: string, current: Partial<ConnectorSettings>, target: ConnectorSettings): Promise<string[]> {
  const { parameters, uncleared } = connectorChanges(current, target);
  if (uncleared.length > 0) throw new Error(clearingRefusal(name, current, target, uncleared));
  if (Object.keys(parameters).length > 0) await apis().exchange.invoke("Set-OutboundConnector", { Identity: name, ...parameters });
  return changedFields(current, target, settingRules).filter((field) => field !== "name");
}

/** Puts an adopted connector's saved settings back, but for what would need a null. */
async function restoreConnector(name: string, live: ConnectorSettings, saved: ConnectorSettings): Promise<{ uncleared: string[]; command: string }> {
  const { parameters, uncleared } = connectorChanges(live, saved);
  if (Object.keys(parameters).length > 0) await apis().exchange.invoke("Set-OutboundConnector", { Identity: name, ...parameters });
  return { uncleared, command: clearingCommand(name, saved) };
}

const CONNECTOR: MarkedKind<ConnectorSettings> = {
  resource: RESOURCE,
  noun: "outbound connector",
  cmdlets: { create: "New-OutboundConnector", get: "Get-OutboundConnector", remove: "Remove-OutboundConnector" },
  parse: connectorFromExchange,
  restore: restoreConnector,
};

export const outboundConnectorProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    inputs.name("name", { required: true, maxLength: 64 });
    const recipientDomains = inputs.list("recipientDomains", domainItem(true), { required: true });
    inputs.list("smartHosts", smartHostItem, { required: true, fallback: [...GOOGLE_SMART_HOSTS] });
    const tls = inputs.oneOf("tlsSettings", TLS_SETTINGS, "None");
    const tlsDomain = inputs.text("tlsDomain");
    if (tlsDomain !== undefined && !isUnknown(tlsDomain)) {
      const checked = domainItem(true)(tlsDomain);
      if ("reason" in checked || checked.value === "*") inputs.problem("tlsDomain", `${JSON.stringify(tlsDomain)} is not a certificate domain; expected e.g. mx.google.com or *.google.com`);
      else inputs.values.tlsDomain = checked.value;
    }
    if (tls === "DomainValidation" && tlsDomain === undefined) {
      inputs.problem("tlsDomain", "is required with tlsSettings DomainValidation: set the domain the smart hosts' certificate must match");
    }
    if (tls !== undefined && !isUnknown(tls) && tls !== "DomainValidation" && tlsDomain !== undefined) {
      inputs.problem("tlsDomain", `is only used with tlsSettings DomainValidation (tlsSettings is ${tls}); remove it`);
    }
    inputs.boolean("isTransportRuleScoped", false);
    inputs.boolean("enabled", true);
    inputs.text("comment", { maxLength: 1024 });
    const validationRecipients = inputs.list("validationRecipients", emailItem);
    if (validationRecipients && !isUnknown(validationRecipients) && recipientDomains && !isUnknown(recipientDomains) && !recipientDomains.some(isUnknown)) {
      for (const [index, address] of validationRecipients.entries()) {
        if (isUnknown(address)) continue;
        if (!isCoveredByRecipientDomains(domainOf(address), recipientDomains)) {
          inputs.problem(`validationRecipients[${index}]`, `${address} is not in the connector's recipientDomains (${recipientDomains.join(", ")}); Validate-OutboundConnector only sends to those`);
        }
      }
    }
    inputs.boolean("adopt", false);
    inputs.boolean("deleteAdopted", false);
    inputs.owner();
    return inputs.result();
  },

  async diff(_id, olds, news) {
    const desired = desiredConnector(news);
    // A new name replaces the connector, and the new one is created with the TLS settings wanted.
    if (sameIgnoringCase(olds.name, news.name) && !isUnknown(news.tlsSettings) && !isUnknown(news.tlsDomain)) {
      const { uncleared } = connectorChanges(olds, desired);
      if (uncleared.length > 0) throw new Error(clearingRefusal(desired.name, olds, desired, uncleared));
    }
    return planDiff({ ...olds, validationPending: validationPending(olds) }, { ...news, ...FIXED, markedBy: news.owner, validationPending: false }, fields);
  },

  async create(inputs) {
    const desired = desiredConnector(inputs);
    const outcome = await createOrTakeOver(
      CONNECTOR,
      { ...desired, adopt: inputs.adopt },
      () => apis().exchange.invoke("New-OutboundConnector", newConnectorParameters(desired)),
      (current) => changedFields(current, desired, settingRules),
      (current) => setConnector(desired.name, current, desired),
    );
    if ("created" in outcome) return { id: desired.name, outs: await finish(inputs, desired.name, stateOf(inputs, undefined, "created")) };
    const { action, current } = outcome;
    const saved = action === "adopt" ? engineOutputs({ ...current, isValidated: undefined, lastValidationTimestamp: undefined }) : undefined;
    return { id: desired.name, outs: await finish(inputs, desired.name, stateOf(inputs, current, ownershipAfter(action), saved)) };
  },

  async read(id, props) {
    const found = await findExchangeObject("Get-OutboundConnector", id);
    if (!found) return {};
    return { id, props: engineOutputs({ ...props, ...connectorFromExchange(found) }) };
  },

  async update(id, olds, news) {
    const desired = desiredConnector(news);
    const state = olds as OutboundConnectorState;
    assertNotTakenOver(CONNECTOR, id, state, desired.markedBy!);
    await setConnector(id, olds, desired);
    return { outs: await finish(news, id, stateOf(news, state, state.ownership ?? "created", state.settingsBeforeAdoption)) };
  },

  async delete(id, props) {
    await deleteMarked(CONNECTOR, id, props as OutboundConnectorState);
  },
};

const provider = serializableProvider("outboundConnector", "outboundConnectorProvider");

/** An Exchange Online outbound connector to Google (OnPremises, smart hosts, never MX). */
export class OutboundConnector extends DynamicResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly recipientDomains: pulumi.Output<string[]>;
  declare readonly smartHosts: pulumi.Output<string[]>;
  declare readonly tlsSettings: pulumi.Output<TlsSettings>;
  declare readonly tlsDomain: pulumi.Output<string | undefined>;
  declare readonly isTransportRuleScoped: pulumi.Output<boolean>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly comment: pulumi.Output<string | undefined>;
  declare readonly validationRecipients: pulumi.Output<string[] | undefined>;
  declare readonly adopt: pulumi.Output<boolean>;
  declare readonly deleteAdopted: pulumi.Output<boolean>;
  declare readonly connectorType: pulumi.Output<string>;
  declare readonly useMxRecord: pulumi.Output<boolean>;
  /** `created`, or `adopted` (restored, not removed, on delete unless `deleteAdopted`). */
  declare readonly ownership: pulumi.Output<Ownership>;
  declare readonly isValidated: pulumi.Output<boolean>;
  declare readonly lastValidationTimestamp: pulumi.Output<string | undefined>;
  declare readonly validationResult: pulumi.Output<RecipientValidation[]>;

  constructor(name: string, args: OutboundConnectorArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      smartHosts: undefined,
      tlsSettings: undefined,
      tlsDomain: undefined,
      isTransportRuleScoped: undefined,
      enabled: undefined,
      comment: undefined,
      validationRecipients: undefined,
      adopt: undefined,
      deleteAdopted: undefined,
      connectorType: undefined,
      useMxRecord: undefined,
      ownership: undefined,
      isValidated: undefined,
      lastValidationTimestamp: undefined,
      validationResult: undefined,
    };
    super(provider, name, { ...outputs, ...args, owner: stackOwner() }, opts, "coexist", "OutboundConnector");
  }
}
