import * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject } from "../clients";
import type { Domain } from "../clients/graph";
import { actionForExisting, FieldRule, planDiff, sameIgnoringCase } from "./diff";
import { InputChecker, isUnknown, isWithinDomain } from "./inputs";
import { note } from "./log";
import { pollUntil } from "./poll";
import { configureFromStack, engineOutputs, serializableProvider } from "./serializable";

const RESOURCE = "RoutingDomain";
const EMAIL = "Email";

/**
 * The Microsoft 365 routing subdomain (the seed's step 3, e.g. `o365.contoso.com`): Google forwards
 * a migrated user's mail to the user's address on it. The resource adds it to the tenant, verifies
 * it, enables Email, waits until Exchange Online accepts it, and outputs the DNS records to publish
 * (the verification TXT and the MX target) for a DNS provider resource.
 */
export interface RoutingDomainArgs {
  /** The routing subdomain, e.g. `o365.contoso.com`. Changing it replaces the resource. */
  readonly domainName: pulumi.Input<string>;
  /**
   * The verified domain it belongs to (`contoso.com`); when given, `domainName` must be a subdomain
   * of it. A subdomain of a verified domain verifies at once.
   * @default undefined
   */
  readonly parentDomain?: pulumi.Input<string>;
  /**
   * Take over a domain that is already in the tenant (with other services than Email enabled), instead
   * of failing. Destroy deletes it like one this resource added.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
}

export interface TxtRecord {
  label: string;
  text: string;
  ttl?: number;
}

export interface MxRecord {
  label: string;
  mailExchange: string;
  preference: number;
  ttl?: number;
}

export interface RoutingDomainState {
  domainName: string;
  parentDomain?: string;
  adopt: boolean;
  isVerified: boolean;
  supportedServices: string[];
  /** The TXT record that proves ownership (publish it unless the parent domain is verified). */
  verificationTxtRecord?: TxtRecord;
  /** The MX record the subdomain needs so Google can deliver to Microsoft 365; known once Email is enabled. */
  mxRecord?: MxRecord;
}

const fields: FieldRule[] = [
  { field: "domainName", replaces: true, equal: sameIgnoringCase },
  { field: "parentDomain", equal: sameIgnoringCase },
  { field: "isVerified" },
  { field: "emailEnabled" },
];

/** What the resource wants beyond its inputs; a refreshed domain that falls short shows as an update. */
export function readiness(state: { isVerified?: boolean; supportedServices?: string[] }): { isVerified: boolean; emailEnabled: boolean } {
  return { isVerified: state.isVerified === true, emailEnabled: (state.supportedServices ?? []).includes(EMAIL) };
}

/** Services of an existing domain that this resource would not have enabled. */
export function foreignServices(supportedServices: string[]): string[] {
  return supportedServices.filter((service) => service !== EMAIL);
}

/**
 * Why an existing domain is not one an interrupted create of this resource left behind, so taking
 * it over (and deleting it on destroy) needs `adopt`: other services in use, or it is the tenant's
 * default or initial domain.
 */
export function adoptionDifferences(domain: { supportedServices: string[]; isDefault?: boolean; isInitial?: boolean }): string[] {
  return [
    ...foreignServices(domain.supportedServices).map((service) => `supportedServices (${service} enabled)`),
    ...(domain.isDefault ? ["isDefault (the tenant's default domain)"] : []),
    ...(domain.isInitial ? ["isInitial (the tenant's onmicrosoft.com domain)"] : []),
  ];
}

interface DnsRecord {
  recordType: string;
  label: string;
  ttl?: number;
  text?: string;
  mailExchange?: string;
  preference?: number;
}

/** The records to publish, from Graph's verificationDnsRecords and serviceConfigurationRecords. */
export function dnsOutputs(verification: DnsRecord[], service: DnsRecord[]): Pick<RoutingDomainState, "verificationTxtRecord" | "mxRecord"> {
  const txt = verification.find((record) => record.recordType.toLowerCase() === "txt" && record.text);
  const mx = service.find((record) => record.recordType.toLowerCase() === "mx" && record.mailExchange);
  return {
    verificationTxtRecord: txt && { label: txt.label, text: txt.text!, ttl: txt.ttl },
    mxRecord: mx && { label: mx.label, mailExchange: mx.mailExchange!, preference: mx.preference ?? 0, ttl: mx.ttl },
  };
}

/** SMTP addresses on `domain` among Get-Recipient objects (the filter is applied again here). */
export function addressesOnDomain(recipients: Record<string, unknown>[], domain: string): string[] {
  const suffix = `@${domain.toLowerCase()}`;
  const addresses = recipients.flatMap((recipient) => (Array.isArray(recipient.EmailAddresses) ? recipient.EmailAddresses.map(String) : []));
  const onDomain = addresses.filter((address) => /^smtp:/i.test(address)).map((address) => address.slice(5).toLowerCase());
  return [...new Set(onDomain.filter((address) => address.endsWith(suffix)))].sort();
}

const NAMED_IN_REFUSAL = 10;

/** Why delete refuses: the count and the first addresses still on the domain. */
export function deleteRefusal(domain: string, addresses: string[]): string {
  const shown = addresses.slice(0, NAMED_IN_REFUSAL).join(", ");
  const more = addresses.length > NAMED_IN_REFUSAL ? ` and ${addresses.length - NAMED_IN_REFUSAL} more` : "";
  return `${RESOURCE}: not deleting ${domain}: ${addresses.length} address${addresses.length === 1 ? " uses" : "es use"} it (${shown}${more}). Remove those addresses (or their mail users and mailboxes) first, then destroy again.`;
}

/** Exchange lists a newly enabled domain after a short delay (usually seconds, sometimes minutes). */
const ACCEPTED_DOMAIN_TIMEOUT_MS = 60_000;

export async function waitForAcceptedDomain(name: string, timeoutMs = ACCEPTED_DOMAIN_TIMEOUT_MS): Promise<void> {
  if (await pollUntil(() => findExchangeObject("Get-AcceptedDomain", name), { timeoutMs })) return;
  throw new Error(`${RESOURCE}: ${name} is verified with Email enabled, but Exchange Online does not list it as an accepted domain yet; wait a few minutes and run pulumi up again (the domain is kept and taken up again).`);
}

/** Verifies the domain; a 4xx answer means its TXT record is not visible to Microsoft yet, and gives the reason. */
async function tryVerify(name: string): Promise<{ domain?: Domain; reason?: string }> {
  try {
    return { domain: await apis().graph.verifyDomain(name) };
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === undefined || status < 400 || status >= 500 || status === 401 || status === 403) throw error;
    return { reason: (error as Error).message };
  }
}

async function observe(name: string, domain: Domain): Promise<Omit<RoutingDomainState, "domainName" | "parentDomain" | "adopt">> {
  const emailEnabled = domain.supportedServices.includes(EMAIL);
  const [verification, service] = await Promise.all([
    apis().graph.verificationDnsRecords(name),
    emailEnabled ? apis().graph.serviceConfigurationRecords(name) : Promise.resolve([]),
  ]);
  return { isVerified: domain.isVerified, supportedServices: domain.supportedServices, ...dnsOutputs(verification, service) };
}

/**
 * Brings an existing domain to the wanted state: verified (or, while its TXT record is missing,
 * left unverified with the record as an output and a note, so a DNS resource can publish it and the
 * next `pulumi up` verifies), Email enabled, accepted by Exchange.
 */
async function provision(name: string, found: Domain): Promise<Omit<RoutingDomainState, "domainName" | "parentDomain" | "adopt">> {
  let domain = found;
  if (!domain.isVerified) {
    const attempt = await tryVerify(name);
    if (attempt.domain) domain = { ...domain, ...attempt.domain, supportedServices: attempt.domain.supportedServices ?? domain.supportedServices };
    else {
      const pending = await observe(name, domain);
      const txt = pending.verificationTxtRecord;
      const publish = txt ? `publish the TXT record ${txt.label} "${txt.text}" (output verificationTxtRecord)` : "publish its verification TXT record";
      note(RESOURCE, `${name} is not verified yet: ${publish}, then run pulumi up again. (${attempt.reason})`);
      return pending;
    }
  }
  if (!domain.supportedServices.includes(EMAIL)) {
    const services = [...domain.supportedServices, EMAIL];
    await apis().graph.setSupportedServices(name, services);
    domain = { ...domain, supportedServices: services };
  }
  await waitForAcceptedDomain(name);
  return observe(name, domain);
}

export const routingDomainProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const domainName = inputs.domain("domainName", { required: true });
    const parentDomain = inputs.domain("parentDomain");
    if (domainName && !isUnknown(domainName) && isWithinDomain(domainName, "onmicrosoft.com")) {
      inputs.problem("domainName", `${domainName} is under onmicrosoft.com, which belongs to Microsoft; use a subdomain of your own domain, e.g. o365.contoso.com`);
    }
    if (domainName && parentDomain && !isUnknown(domainName) && !isUnknown(parentDomain) && (domainName === parentDomain || !isWithinDomain(domainName, parentDomain))) {
      inputs.problem("domainName", `${domainName} is not a subdomain of parentDomain ${parentDomain}; use e.g. o365.${parentDomain}`);
    }
    inputs.boolean("adopt", false);
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planDiff({ ...olds, ...readiness(olds) }, { ...news, isVerified: true, emailEnabled: true }, fields);
  },

  async create(inputs) {
    const name: string = inputs.domainName;
    if (inputs.parentDomain) {
      const parent = await apis().graph.getDomain(inputs.parentDomain);
      if (!parent?.isVerified) note(RESOURCE, `parentDomain ${inputs.parentDomain} is not a verified domain of this tenant, so ${name} will need its own TXT record to verify.`);
    }
    let domain = await apis().graph.getDomain(name);
    const action = actionForExisting(RESOURCE, `domain ${name}`, domain && { differences: adoptionDifferences(domain) }, inputs.adopt);
    if (action === "create") domain = await apis().graph.createDomain(name);
    else if (action === "keep") note(RESOURCE, `${name} is already in the tenant with nothing but Email enabled (an earlier run was interrupted?); adopted it.`);
    else note(RESOURCE, `took over ${name}; its other services (${foreignServices(domain!.supportedServices).join(", ")}) stay enabled, and destroy will delete the domain.`);
    const outs: RoutingDomainState = {
      domainName: name,
      parentDomain: inputs.parentDomain,
      adopt: inputs.adopt,
      ...(await provision(name, { ...domain!, supportedServices: domain!.supportedServices ?? [] })),
    };
    return { id: name, outs: engineOutputs(outs) };
  },

  async read(id, props) {
    const domain = await apis().graph.getDomain(id);
    if (!domain) return {};
    return { id, props: engineOutputs({ ...props, ...(await observe(id, domain)) }) };
  },

  async update(id, _olds, news) {
    const domain = await apis().graph.getDomain(id);
    if (!domain) throw new Error(`${RESOURCE}: ${id} is no longer in the tenant; run pulumi refresh, then pulumi up to add it again.`);
    const outs: RoutingDomainState = { domainName: id, parentDomain: news.parentDomain, adopt: news.adopt, ...(await provision(id, domain)) };
    return { outs: engineOutputs(outs) };
  },

  async delete(id) {
    // Every recipient, filtered here: an OPATH -Filter on EmailAddresses with a leading wildcard is not documented to be exact.
    const recipients = await apis().exchange.invoke("Get-Recipient", {}, { list: true, select: ["EmailAddresses"] });
    const addresses = addressesOnDomain(recipients, id);
    if (addresses.length > 0) throw new Error(deleteRefusal(id, addresses));
    await apis().graph.deleteDomain(id);
  },
};

const provider = serializableProvider("routingDomain", "routingDomainProvider");

/** A Microsoft 365 routing subdomain: added, verified, Email enabled, accepted by Exchange Online. */
export class RoutingDomain extends pulumi.dynamic.Resource {
  declare readonly domainName: pulumi.Output<string>;
  declare readonly parentDomain: pulumi.Output<string | undefined>;
  declare readonly isVerified: pulumi.Output<boolean>;
  declare readonly supportedServices: pulumi.Output<string[]>;
  declare readonly verificationTxtRecord: pulumi.Output<TxtRecord | undefined>;
  declare readonly mxRecord: pulumi.Output<MxRecord | undefined>;

  constructor(name: string, args: RoutingDomainArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { isVerified: undefined, supportedServices: undefined, verificationTxtRecord: undefined, mxRecord: undefined, ...args },
      opts,
      "coexist",
      "RoutingDomain",
    );
  }
}
