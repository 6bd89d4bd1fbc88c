import * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject, removeExchangeObject } from "../clients";
import { domainOf } from "../routing/addresses";
import { actionForExisting, changedFields, FieldRule, planDiff, sameIgnoringCase, sameSet } from "./diff";
import { domainItem, emailItem, InputChecker, isDomainName, isUnknown, isWithinDomain } from "./inputs";
import { note } from "./log";
import { configureFromStack, engineOutputs, serializableProvider } from "./serializable";

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
   * uses TLS when the smart host offers it, but falls back to plain SMTP.
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
  /** @default undefined (no comment) */
  readonly comment?: pulumi.Input<string>;
  /**
   * Addresses (in `recipientDomains`) that Validate-OutboundConnector sends a test message to after
   * every create and update; a failed validation fails the operation.
   * @default undefined (no validation)
   */
  readonly validationRecipients?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Take over an existing connector of this name and change it to match, instead of failing.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
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
  comment?: string;
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
  isValidated: boolean;
  lastValidationTimestamp?: string;
  /** The last validation this resource ran, per recipient. */
  validationResult?: RecipientValidation[];
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
  { field: "connectorType" },
  { field: "useMxRecord" },
];

const fields: FieldRule[] = [...settingRules, { field: "validationRecipients", equal: sameSet }];

/** Exchange parameter per setting, and the value to send (null clears). */
const PARAMETERS: Record<keyof ConnectorSettings, { parameter: string; value: (settings: ConnectorSettings) => unknown }> = {
  name: { parameter: "Name", value: (s) => s.name },
  recipientDomains: { parameter: "RecipientDomains", value: (s) => s.recipientDomains },
  smartHosts: { parameter: "SmartHosts", value: (s) => s.smartHosts },
  tlsSettings: { parameter: "TlsSettings", value: (s) => (s.tlsSettings === "None" ? null : s.tlsSettings) },
  tlsDomain: { parameter: "TlsDomain", value: (s) => s.tlsDomain ?? null },
  isTransportRuleScoped: { parameter: "IsTransportRuleScoped", value: (s) => s.isTransportRuleScoped },
  enabled: { parameter: "Enabled", value: (s) => s.enabled },
  comment: { parameter: "Comment", value: (s) => s.comment ?? null },
  connectorType: { parameter: "ConnectorType", value: (s) => s.connectorType },
  useMxRecord: { parameter: "UseMXRecord", value: (s) => s.useMxRecord },
};

/** The connector the checked inputs describe. */
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
    ...FIXED,
  };
}

/** New-OutboundConnector parameters: every setting, defaults (null) left out. */
export function newConnectorParameters(desired: ConnectorSettings): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const { parameter, value } of Object.values(PARAMETERS)) {
    const sent = value(desired);
    if (sent !== null) parameters[parameter] = sent;
  }
  return parameters;
}

/** Set-OutboundConnector parameters that bring `current` to `desired` (empty: nothing to send). A rename is a replace, never a Set. */
export function setConnectorParameters(current: Partial<ConnectorSettings>, desired: ConnectorSettings): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const field of changedFields(current, desired, settingRules)) {
    if (field === "name") continue;
    const { parameter, value } = PARAMETERS[field as keyof ConnectorSettings];
    parameters[parameter] = value(desired);
  }
  return parameters;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** A Get-OutboundConnector object as this resource's settings (what refresh stores). */
export function connectorFromExchange(found: Record<string, unknown>): ConnectorSettings & Pick<OutboundConnectorState, "isValidated" | "lastValidationTimestamp"> {
  const tls = TLS_SETTINGS.find((value) => value.toLowerCase() === String(found.TlsSettings ?? "").toLowerCase());
  return {
    name: String(found.Name),
    // Exchange may print address spaces as `smtp:contoso.com;1`.
    recipientDomains: strings(found.RecipientDomains).map((domain) => domain.replace(/^smtp:/i, "").replace(/;\d+$/, "").toLowerCase()),
    smartHosts: strings(found.SmartHosts).map((host) => host.replace(/^\[|\]$/g, "").toLowerCase()),
    tlsSettings: tls ?? "None",
    tlsDomain: found.TlsDomain ? String(found.TlsDomain).toLowerCase() : undefined,
    isTransportRuleScoped: found.IsTransportRuleScoped === true,
    enabled: found.Enabled !== false,
    comment: found.Comment ? String(found.Comment) : undefined,
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

/**
 * One result per recipient from Validate-OutboundConnector's output, whose shape is undocumented:
 * each object is a task with a status (`TaskStatus`/`Status` "Failed", or `IsTaskSuccessful`
 * false) and a message (`Details`/`Error`/`Message`), about one recipient (`Recipient`, or named in
 * its text) or about the connector itself (smart-host connectivity), which counts for every recipient.
 */
export function validationOutcome(recipients: string[], tasks: Record<string, unknown>[]): RecipientValidation[] {
  const parsed = tasks.map((task) => {
    const summary = [firstText(task.TaskName), firstText(task.Details, task.Error, task.Message)].filter(Boolean).join(": ");
    return {
      recipient: firstText(task.Recipient)?.toLowerCase(),
      text: summary.toLowerCase(),
      failed: task.IsTaskSuccessful === false || /fail/i.test(String(task.TaskStatus ?? task.Status ?? "")),
      summary: summary || "validation task",
    };
  });
  const concerns = (task: (typeof parsed)[number], recipient: string): boolean =>
    task.recipient !== undefined ? task.recipient === recipient : task.text.includes(recipient) || !recipients.some((other) => task.text.includes(other));
  return recipients.map((recipient) => {
    const relevant = parsed.filter((task) => concerns(task, recipient));
    const failures = relevant.filter((task) => task.failed);
    return {
      recipient,
      succeeded: failures.length === 0,
      message: (failures.length > 0 ? failures : relevant).map((task) => task.summary).join("; ") || "Validate-OutboundConnector reported no failure",
    };
  });
}

const findConnector = (name: string): Promise<Record<string, unknown> | undefined> => findExchangeObject("Get-OutboundConnector", name);

/**
 * Runs Validate-OutboundConnector when recipients are given, records the success on the connector
 * the way the admin center does, and fails on a failed recipient: the seed requires the test to
 * succeed, and the next `pulumi up` validates again.
 */
async function validate(name: string, recipients: string[] | undefined): Promise<Partial<OutboundConnectorState>> {
  if (!recipients?.length) return {};
  const tasks = await apis().exchange.invoke("Validate-OutboundConnector", { Identity: name, Recipients: recipients });
  const validationResult = validationOutcome(recipients, tasks);
  const failed = validationResult.filter((result) => !result.succeeded);
  if (failed.length > 0) {
    const details = failed.map((result) => `${result.recipient}: ${result.message}`).join("; ");
    throw new Error(`${RESOURCE}: validation of ${name} failed (${details}). The connector is configured; fix the smart hosts or TLS settings (or the recipients) and run pulumi up again to re-validate.`);
  }
  const lastValidationTimestamp = new Date().toISOString();
  await apis().exchange.invoke("Set-OutboundConnector", { Identity: name, IsValidated: true, LastValidationTimestamp: lastValidationTimestamp, ValidationRecipients: recipients });
  return { validationResult, isValidated: true, lastValidationTimestamp };
}

function stateOf(inputs: Record<string, unknown>, found: Pick<OutboundConnectorState, "isValidated" | "lastValidationTimestamp"> | undefined): OutboundConnectorState {
  return {
    ...desiredConnector(inputs),
    validationRecipients: inputs.validationRecipients as string[] | undefined,
    adopt: inputs.adopt as boolean,
    isValidated: found?.isValidated ?? false,
    lastValidationTimestamp: found?.lastValidationTimestamp,
  };
}

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
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planDiff(olds, { ...news, ...FIXED }, fields);
  },

  async create(inputs) {
    const desired = desiredConnector(inputs);
    const existing = await findConnector(desired.name);
    const current = existing && connectorFromExchange(existing);
    const differences = current ? changedFields(current, desired, settingRules) : [];
    const action = actionForExisting(RESOURCE, `outbound connector "${desired.name}"`, current && { differences }, inputs.adopt);
    if (action === "create") {
      await apis().exchange.invoke("New-OutboundConnector", newConnectorParameters(desired));
    } else if (action === "keep") {
      note(RESOURCE, `outbound connector "${desired.name}" already exists exactly as wanted (an earlier run was interrupted?); adopted it.`);
    } else {
      await apis().exchange.invoke("Set-OutboundConnector", { Identity: desired.name, ...setConnectorParameters(current!, desired) });
      note(RESOURCE, `took over outbound connector "${desired.name}" and changed ${differences.join(", ")} to match.`);
    }
    const outs: OutboundConnectorState = { ...stateOf(inputs, current), ...(await validate(desired.name, inputs.validationRecipients)) };
    return { id: desired.name, outs: engineOutputs(outs) };
  },

  async read(id, props) {
    const found = await findConnector(id);
    if (!found) return {};
    return { id, props: engineOutputs({ ...props, ...connectorFromExchange(found) }) };
  },

  async update(id, olds, news) {
    const desired = desiredConnector(news);
    const parameters = setConnectorParameters(olds, desired);
    if (Object.keys(parameters).length > 0) await apis().exchange.invoke("Set-OutboundConnector", { Identity: id, ...parameters });
    const outs: OutboundConnectorState = { ...stateOf(news, olds as OutboundConnectorState), ...(await validate(id, news.validationRecipients)) };
    return { outs: engineOutputs(outs) };
  },

  async delete(id) {
    // A connector that is already gone counts as removed.
    await removeExchangeObject("Remove-OutboundConnector", id);
  },
};

const provider = serializableProvider("outboundConnector", "outboundConnectorProvider");

/** An Exchange Online outbound connector to Google (OnPremises, smart hosts, never MX). */
export class OutboundConnector extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly recipientDomains: pulumi.Output<string[]>;
  declare readonly smartHosts: pulumi.Output<string[]>;
  declare readonly tlsSettings: pulumi.Output<TlsSettings>;
  declare readonly tlsDomain: pulumi.Output<string | undefined>;
  declare readonly isTransportRuleScoped: pulumi.Output<boolean>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly comment: pulumi.Output<string | undefined>;
  declare readonly validationRecipients: pulumi.Output<string[] | undefined>;
  declare readonly connectorType: pulumi.Output<string>;
  declare readonly useMxRecord: pulumi.Output<boolean>;
  declare readonly isValidated: pulumi.Output<boolean>;
  declare readonly lastValidationTimestamp: pulumi.Output<string | undefined>;
  declare readonly validationResult: pulumi.Output<RecipientValidation[] | undefined>;

  constructor(name: string, args: OutboundConnectorArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { connectorType: undefined, useMxRecord: undefined, isValidated: undefined, lastValidationTimestamp: undefined, validationResult: undefined, ...args },
      opts,
      "coexist",
      "OutboundConnector",
    );
  }
}
