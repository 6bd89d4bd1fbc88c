import type * as pulumi from "@pulumi/pulumi";
import { apis } from "../clients";
import type { Domain } from "../clients/graph";
import { ACCEPTED_DOMAIN_TIMEOUT_SECONDS, waitForAcceptedDomain } from "./acceptedDomain";
import { FieldRule, planDiff, sameIgnoringCase, sameSet } from "./diff";
import { InputChecker, isUnknown, isWithinDomain } from "./inputs";
import { note } from "./log";
import { createReadingFirst, deleteAction, type Ownership } from "./ownership";
import { configureFromStack, createdButNotReady, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

const RESOURCE = "RoutingDomain";
const EMAIL = "Email";

/**
 * The Microsoft 365 routing subdomain (the seed's step 3, e.g. `o365.contoso.com`): Google forwards
 * a migrated user's mail to the user's address on it. The resource adds it to the tenant, verifies
 * it, enables Email, waits until Exchange Online accepts it, and outputs the DNS records to publish
 * (the verification TXT and the MX target) for a DNS provider resource.
 *
 * A Graph domain has no field for a mark, so a domain already in the tenant is taken over only with
 * `adopt` (docs/resources/routingDomain.md, "Ownership", says why).
 */
export interface RoutingDomainArgs {
  /** The routing subdomain, e.g. `o365.contoso.com`. Changing it replaces the resource. */
  readonly domainName: pulumi.Input<string>;
  /**
   * The verified domain it belongs to (`contoso.com`); `domainName` must be a subdomain of it. A
   * subdomain of a verified domain verifies at once, and Google forwards without verification only
   * to a subdomain of the user's own domain.
   */
  readonly parentDomain: pulumi.Input<string>;
  /**
   * Take over a domain that is already in the tenant, instead of failing. Its services are saved
   * and restored on delete; the domain is never deleted unless `deleteAdopted`.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * Delete an adopted domain on delete, like one this resource added, instead of restoring it.
   * @default false
   */
  readonly deleteAdopted?: pulumi.Input<boolean>;
  /**
   * How long to wait, after enabling Email, for Exchange Online to list the domain as an accepted
   * domain (replication lag: minutes in real tenants). When it runs out the step fails with the
   * domain recorded, and the next `pulumi up` waits again.
   * @default 1800 (30 minutes)
   */
  readonly acceptedDomainTimeoutSeconds?: pulumi.Input<number>;
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
  parentDomain: string;
  adopt: boolean;
  deleteAdopted: boolean;
  acceptedDomainTimeoutSeconds: number;
  /** `created`: this resource added the domain; `adopted`: it was there (absent in a state written before ownership: created). */
  ownership?: Ownership;
  /** For an adopted domain: its supportedServices when it was adopted, put back on delete. */
  servicesBeforeAdoption?: string[];
  isVerified: boolean;
  supportedServices: string[];
  /** The TXT record that proves ownership (publish it unless the parent domain is verified). */
  verificationTxtRecord?: TxtRecord;
  /** The MX record the subdomain needs so Google can deliver to Microsoft 365; known once Email is enabled. */
  mxRecord?: MxRecord;
}

type Observed = Pick<RoutingDomainState, "isVerified" | "supportedServices" | "verificationTxtRecord" | "mxRecord">;

const fields: FieldRule[] = [
  { field: "domainName", replaces: true, equal: sameIgnoringCase },
  { field: "parentDomain", equal: sameIgnoringCase },
  { field: "isVerified" },
  { field: "emailEnabled" },
  { field: "deleteAdopted" },
];

/** What the resource wants beyond its inputs; a refreshed domain that falls short shows as an update. */
export function readiness(state: { isVerified?: boolean; supportedServices?: string[] }): { isVerified: boolean; emailEnabled: boolean } {
  return { isVerified: state.isVerified === true, emailEnabled: (state.supportedServices ?? []).includes(EMAIL) };
}

/** An existing domain in a few words, for the messages about it. */
export function describeDomain(domain: Pick<Domain, "isVerified" | "supportedServices" | "isDefault" | "isInitial">): string {
  return [
    domain.isVerified ? "verified" : "not verified",
    `services: ${domain.supportedServices.join(", ") || "none"}`,
    ...(domain.isDefault ? ["the tenant's default domain"] : []),
    ...(domain.isInitial ? ["the tenant's initial domain"] : []),
  ].join(", ");
}

/** What a `POST /domains` leaves: an unverified domain with no service. */
export function isFreshlyAdded(domain: Pick<Domain, "isVerified" | "supportedServices">): boolean {
  return !domain.isVerified && domain.supportedServices.length === 0;
}

/** Why create refuses a domain that is already in the tenant, and the ways on. */
export function existingDomainRefusal(name: string, domain: Pick<Domain, "isVerified" | "supportedServices" | "isDefault" | "isInitial">): string {
  return (
    `${RESOURCE}: ${name} is already in the tenant (${describeDomain(domain)}). A domain carries no mark, so nothing shows that this stack added it, ` +
    `and it is left as it is. If an earlier pulumi up of this stack was interrupted while adding it, the engine recorded a pending create: ` +
    `pulumi refresh --import-pending-creates <urn of this resource> ${name} records it as this stack's. Otherwise set adopt: true to take it over ` +
    `(its services are restored on delete and the domain is kept, unless deleteAdopted: true).`
  );
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

/** Why delete refuses (`doing`: what it will not do, e.g. "deleting"): the count and the first addresses still on the domain. */
export function deleteRefusal(domain: string, addresses: string[], doing = `deleting ${domain}`): string {
  const shown = addresses.slice(0, NAMED_IN_REFUSAL).join(", ");
  const more = addresses.length > NAMED_IN_REFUSAL ? ` and ${addresses.length - NAMED_IN_REFUSAL} more` : "";
  return `${RESOURCE}: not ${doing}: ${addresses.length} address${addresses.length === 1 ? " uses" : "es use"} it (${shown}${more}). Remove those addresses (or their mail users and mailboxes) first, then destroy again.`;
}

/** Every SMTP address on the domain. Every recipient is listed and filtered here: an OPATH -Filter on EmailAddresses with a leading wildcard is not documented to be exact. */
async function addressesUsing(domain: string): Promise<string[]> {
  const recipients = await apis().exchange.invoke("Get-Recipient", {}, { list: true, select: ["EmailAddresses"] });
  return addressesOnDomain(recipients, domain);
}

/**
 * Verifies the domain; a 4xx answer means its TXT record is not visible to Microsoft yet, and gives
 * the reason. A verify whose outcome is unknown is read back before it is sent again: one that went
 * through answers 400 ("already verified") the second time, which would read as a missing record.
 */
async function tryVerify(name: string): Promise<{ domain?: Domain; reason?: string }> {
  try {
    const verifiedNow = async () => {
      const domain = await apis().graph.getDomain(name);
      return domain?.isVerified ? domain : undefined;
    };
    const outcome = await createReadingFirst(() => apis().graph.verifyDomain(name), verifiedNow);
    if ("created" in outcome) return { domain: outcome.created };
    note(RESOURCE, `POST /domains/${name}/verify got no clear answer; read back, the domain is verified.`);
    return { domain: outcome.found };
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === undefined || status < 400 || status >= 500 || status === 401 || status === 403) throw error;
    return { reason: (error as Error).message };
  }
}

async function observe(name: string, domain: Domain): Promise<Observed> {
  const emailEnabled = domain.supportedServices.includes(EMAIL);
  const [verification, service] = await Promise.all([
    apis().graph.verificationDnsRecords(name),
    emailEnabled ? apis().graph.serviceConfigurationRecords(name) : Promise.resolve([]),
  ]);
  return { isVerified: domain.isVerified, supportedServices: domain.supportedServices, ...dnsOutputs(verification, service) };
}

/**
 * Brings a domain of the tenant to the wanted state: verified (or, while its TXT record is missing,
 * left unverified with the record as an output and a note, so a DNS resource can publish it and the
 * next `pulumi up` verifies), Email enabled, accepted by Exchange.
 */
async function provision(name: string, found: Domain, timeoutSeconds: number): Promise<Observed> {
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
  await waitForAcceptedDomain(RESOURCE, name, timeoutSeconds, "The domain is kept.");
  return observe(name, domain);
}

/** Adds the domain; a POST whose outcome is unknown is read back, and what it left (unverified, no service) is taken over. */
async function addDomain(name: string): Promise<Domain> {
  const outcome = await createReadingFirst(() => apis().graph.createDomain(name), () => apis().graph.getDomain(name));
  if ("created" in outcome) return outcome.created;
  if (!isFreshlyAdded(outcome.found)) throw new Error(existingDomainRefusal(name, outcome.found));
  note(RESOURCE, `POST /domains for ${name} got no clear answer; read back, the domain is there as that call leaves one (unverified, no service): took it over.`);
  return outcome.found;
}

/** Puts an adopted domain's services back; refuses to take Email away while addresses use the domain. */
async function restoreDomain(name: string, domain: Domain, saved: string[]): Promise<void> {
  if (!sameSet(domain.supportedServices, saved)) {
    if (!saved.includes(EMAIL) && domain.supportedServices.includes(EMAIL)) {
      const addresses = await addressesUsing(name);
      if (addresses.length > 0) throw new Error(deleteRefusal(name, addresses, `turning Email off on the adopted domain ${name}`));
    }
    await apis().graph.setSupportedServices(name, saved);
  }
  note(RESOURCE, `kept the adopted domain ${name} (deleteAdopted is false), with its services as before adoption: ${saved.join(", ") || "none"}.`);
}

const inputState = (inputs: Record<string, unknown>): Pick<RoutingDomainState, "domainName" | "parentDomain" | "adopt" | "deleteAdopted" | "acceptedDomainTimeoutSeconds"> => ({
  domainName: inputs.domainName as string,
  parentDomain: inputs.parentDomain as string,
  adopt: inputs.adopt as boolean,
  deleteAdopted: inputs.deleteAdopted as boolean,
  acceptedDomainTimeoutSeconds: inputs.acceptedDomainTimeoutSeconds as number,
});

export const routingDomainProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    const domainName = inputs.domain("domainName", { required: true });
    const given = news.parentDomain !== undefined && news.parentDomain !== null && news.parentDomain !== "";
    if (!given) {
      inputs.problem("parentDomain", "is required: set the verified domain the routing domain belongs to, e.g. parentDomain: \"contoso.com\" for o365.contoso.com");
    }
    const parentDomain = given ? inputs.domain("parentDomain") : undefined;
    if (domainName && !isUnknown(domainName) && isWithinDomain(domainName, "onmicrosoft.com")) {
      inputs.problem("domainName", `${domainName} is under onmicrosoft.com, which belongs to Microsoft; use a subdomain of your own domain, e.g. o365.contoso.com`);
    }
    if (domainName && parentDomain && !isUnknown(domainName) && !isUnknown(parentDomain) && (domainName === parentDomain || !isWithinDomain(domainName, parentDomain))) {
      inputs.problem(
        "domainName",
        `${domainName} is not a subdomain of parentDomain ${parentDomain}; use a subdomain of it (e.g. o365.${parentDomain}), or set parentDomain to the verified domain ${domainName} belongs to`,
      );
    }
    inputs.boolean("adopt", false);
    inputs.boolean("deleteAdopted", false);
    inputs.integer("acceptedDomainTimeoutSeconds", ACCEPTED_DOMAIN_TIMEOUT_SECONDS, { min: 0, max: 86_400 });
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planDiff({ ...olds, ...readiness(olds) }, { ...news, isVerified: true, emailEnabled: true }, fields);
  },

  async create(inputs) {
    const name: string = inputs.domainName;
    const parent = await apis().graph.getDomain(inputs.parentDomain);
    if (!parent?.isVerified) note(RESOURCE, `parentDomain ${inputs.parentDomain} is not a verified domain of this tenant, so ${name} will need its own TXT record to verify.`);
    const existing = await apis().graph.getDomain(name);
    if (existing && !inputs.adopt) throw new Error(existingDomainRefusal(name, existing));
    const domain = existing ?? (await addDomain(name));
    const ownership: Ownership = existing ? "adopted" : "created";
    if (existing) note(RESOURCE, `adopted ${name} (${describeDomain(existing)}); its services are restored on delete and the domain is kept${inputs.deleteAdopted ? ", except that deleteAdopted deletes it" : ""}.`);
    const recorded: RoutingDomainState = {
      ...inputState(inputs),
      ownership,
      servicesBeforeAdoption: existing?.supportedServices,
      isVerified: domain.isVerified,
      supportedServices: domain.supportedServices ?? [],
    };
    try {
      return { id: name, outs: engineOutputs({ ...recorded, ...(await provision(name, { ...domain, supportedServices: recorded.supportedServices }, inputs.acceptedDomainTimeoutSeconds)) }) };
    } catch (error) {
      // The domain is in the tenant now: record it, so the next up continues instead of finding a domain it must not take over.
      throw createdButNotReady((error as Error).message, name, engineOutputs(recorded), inputs);
    }
  },

  async read(id, props) {
    const domain = await apis().graph.getDomain(id);
    if (!domain) return {};
    return { id, props: engineOutputs({ ...props, ...(await observe(id, domain)) }) };
  },

  async update(id, olds, news) {
    const domain = await apis().graph.getDomain(id);
    if (!domain) throw new Error(`${RESOURCE}: ${id} is no longer in the tenant; run pulumi refresh, then pulumi up to add it again.`);
    const state = olds as RoutingDomainState;
    const outs: RoutingDomainState = {
      ...inputState(news),
      ownership: state.ownership ?? "created",
      servicesBeforeAdoption: state.servicesBeforeAdoption,
      ...(await provision(id, domain, news.acceptedDomainTimeoutSeconds)),
    };
    return { outs: engineOutputs(outs) };
  },

  async delete(id, props) {
    const domain = await apis().graph.getDomain(id);
    if (!domain) return;
    const state = props as RoutingDomainState;
    if (deleteAction(state, { keepsMark: false }, "") === "restore") {
      await restoreDomain(id, domain, state.servicesBeforeAdoption ?? domain.supportedServices);
      return;
    }
    const addresses = await addressesUsing(id);
    if (addresses.length > 0) throw new Error(deleteRefusal(id, addresses));
    await apis().graph.deleteDomain(id);
  },
};

const provider = serializableProvider("routingDomain", "routingDomainProvider");

/** A Microsoft 365 routing subdomain: added, verified, Email enabled, accepted by Exchange Online. */
export class RoutingDomain extends DynamicResource {
  declare readonly domainName: pulumi.Output<string>;
  declare readonly parentDomain: pulumi.Output<string>;
  declare readonly adopt: pulumi.Output<boolean>;
  declare readonly deleteAdopted: pulumi.Output<boolean>;
  declare readonly acceptedDomainTimeoutSeconds: pulumi.Output<number>;
  /** `created`, or `adopted` (its services restored, the domain kept, on delete unless `deleteAdopted`). */
  declare readonly ownership: pulumi.Output<Ownership>;
  declare readonly isVerified: pulumi.Output<boolean>;
  declare readonly supportedServices: pulumi.Output<string[]>;
  declare readonly verificationTxtRecord: pulumi.Output<TxtRecord | undefined>;
  declare readonly mxRecord: pulumi.Output<MxRecord | undefined>;

  constructor(name: string, args: RoutingDomainArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      adopt: undefined,
      deleteAdopted: undefined,
      acceptedDomainTimeoutSeconds: undefined,
      ownership: undefined,
      isVerified: undefined,
      supportedServices: undefined,
      verificationTxtRecord: undefined,
      mxRecord: undefined,
    };
    super(provider, name, { ...outputs, ...args }, opts, "coexist", "RoutingDomain");
  }
}
