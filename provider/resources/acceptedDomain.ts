import type * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject } from "../clients";
import { FieldRule, planDiff, sameIgnoringCase, unlessUnset } from "./diff";
import { InputChecker } from "./inputs";
import { pollUntil } from "./poll";
import { configureFromStack, DynamicResource, engineOutputs, serializableProvider } from "./serializable";

export type DomainType = "Authoritative" | "InternalRelay";
const DOMAIN_TYPES: readonly DomainType[] = ["Authoritative", "InternalRelay"];

const RESOURCE = "AcceptedDomain";

/** Exchange lists a domain as accepted minutes after Graph verifies it with Email; no page gives a figure. */
export const ACCEPTED_DOMAIN_TIMEOUT_SECONDS = 1800;

/**
 * The primary mail domain's type in Exchange Online. During coexistence it is `InternalRelay`:
 * mail for an address that has no Exchange recipient is relayed (through the outbound connector)
 * to Google instead of bounced. The domain itself must already be in the tenant, verified, with
 * Email enabled; this resource never adds or removes it, it only changes its type, and on delete
 * it puts back the type it found (or `teardownDomainType`, see there).
 */
export interface AcceptedDomainArgs {
  /** The accepted domain, e.g. `contoso.com`. Changing it replaces the resource. */
  readonly domainName: pulumi.Input<string>;
  /**
   * The type to set while the resource exists.
   * @default "InternalRelay"
   */
  readonly domainType?: pulumi.Input<DomainType>;
  /**
   * The type set when the resource is deleted (cutover teardown), whatever type the domain had
   * before. When unset, delete puts back the type create found if create changed it, and otherwise
   * (create found the type it wanted, which is also what an interrupted create leaves) sets
   * `Authoritative`, the end state of a cutover.
   * @default the type found at create if create changed it, else "Authoritative"
   */
  readonly teardownDomainType?: pulumi.Input<DomainType>;
  /**
   * No effect: the resource never creates or removes the domain, it changes its type and puts the
   * type back on delete, so there is nothing to adopt. Accepted for symmetry with the other resources.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
  /**
   * How long create waits for Exchange Online to list the domain as an accepted domain: a domain
   * verified with Email in Microsoft 365 shows there only minutes later (replication lag).
   * @default 1800 (30 minutes)
   */
  readonly acceptedDomainTimeoutSeconds?: pulumi.Input<number>;
}

/**
 * The type delete sets: the one given, else the type create found when create changed it. When
 * create found the type it wanted, nothing shows whether that was someone's setting or this
 * resource's own interrupted create, and Internal Relay put back without the connector to Google
 * would relay by MX (a loop once the MX points to Microsoft 365): `Authoritative` then.
 */
export function teardownTypeFor(found: DomainType, wanted: DomainType, given: DomainType | undefined): DomainType {
  return given ?? (found !== wanted ? found : "Authoritative");
}

export interface AcceptedDomainState {
  domainName: string;
  domainType: DomainType;
  /** The type delete sets (`teardownTypeFor`). */
  teardownDomainType: DomainType;
  adopt: boolean;
  acceptedDomainTimeoutSeconds: number;
  /** The type found before this resource changed it. */
  previousDomainType: DomainType;
}

const fields: FieldRule[] = [
  { field: "domainName", replaces: true, equal: sameIgnoringCase },
  { field: "domainType" },
  { field: "teardownDomainType", equal: unlessUnset() },
];

/** Refuses, with the fix, a domain that Exchange cannot make Internal Relay. */
export async function assertEmailDomain(domainName: string): Promise<void> {
  const domain = await apis().graph.getDomain(domainName);
  if (!domain) {
    throw new Error(`${RESOURCE}: ${domainName} is not a domain of this Microsoft 365 tenant: add and verify it (Microsoft 365 admin center > Settings > Domains) first.`);
  }
  if (!domain.isVerified) {
    throw new Error(`${RESOURCE}: ${domainName} is not verified yet: publish its verification TXT record and verify it before coexistence.`);
  }
  if (!domain.supportedServices.includes("Email")) {
    throw new Error(`${RESOURCE}: ${domainName} is verified but Email is not enabled for it: enable Exchange (supportedServices Email) for the domain.`);
  }
}

async function currentDomainType(domainName: string): Promise<DomainType | undefined> {
  const found = await findExchangeObject("Get-AcceptedDomain", domainName);
  return found?.DomainType as DomainType | undefined;
}

/**
 * The domain's type once Exchange Online lists it as an accepted domain, waiting (bounded, with
 * progress) for the replication lag after Microsoft 365 verifies a domain with Email. When the
 * wait runs out it fails; `state` says what became of the resource's work (e.g. "Nothing was changed.").
 */
export async function waitForAcceptedDomain(resource: string, domainName: string, timeoutSeconds: number, state: string): Promise<DomainType> {
  const found = await pollUntil(() => currentDomainType(domainName), {
    timeoutMs: timeoutSeconds * 1000,
    progress: {
      resource,
      waitingFor: "Exchange Online to list verified domains as accepted domains (replication lag after Microsoft 365 verifies a domain with Email: minutes in real tenants)",
      subject: domainName,
      setting: "acceptedDomainTimeoutSeconds",
    },
  });
  if (found) return found;
  throw new Error(
    `${resource}: ${domainName} is verified with Email in Microsoft 365, but after ${timeoutSeconds} s Exchange Online still does not list it as an accepted domain ` +
      `(replication lag between Microsoft Entra and Exchange Online). ${state} Run pulumi up again to keep waiting, or raise acceptedDomainTimeoutSeconds.`,
  );
}

async function setDomainType(domainName: string, domainType: DomainType): Promise<void> {
  if ((await currentDomainType(domainName)) === domainType) return;
  await apis().exchange.invoke("Set-AcceptedDomain", { Identity: domainName, DomainType: domainType });
}

export const acceptedDomainProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker(RESOURCE, news);
    inputs.domain("domainName", { required: true });
    inputs.oneOf("domainType", DOMAIN_TYPES, "InternalRelay");
    if (news.teardownDomainType !== undefined && news.teardownDomainType !== null) inputs.oneOf("teardownDomainType", DOMAIN_TYPES);
    inputs.boolean("adopt", false);
    inputs.integer("acceptedDomainTimeoutSeconds", ACCEPTED_DOMAIN_TIMEOUT_SECONDS, { min: 0, max: 86_400 });
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planDiff(olds, news, fields);
  },

  async create(inputs) {
    const domainName: string = inputs.domainName;
    await assertEmailDomain(domainName);
    const previousDomainType = await waitForAcceptedDomain(RESOURCE, domainName, inputs.acceptedDomainTimeoutSeconds, "Nothing was changed.");
    if (previousDomainType !== inputs.domainType) {
      await apis().exchange.invoke("Set-AcceptedDomain", { Identity: domainName, DomainType: inputs.domainType });
    }
    const outs: AcceptedDomainState = { ...(inputs as AcceptedDomainState), teardownDomainType: teardownTypeFor(previousDomainType, inputs.domainType, inputs.teardownDomainType), previousDomainType };
    return { id: domainName, outs: engineOutputs(outs) };
  },

  async read(id, props) {
    const domainType = await currentDomainType(id);
    if (!domainType) return {};
    return { id, props: { ...props, domainType } };
  },

  async update(id, olds, news) {
    await setDomainType(id, news.domainType);
    const teardownDomainType = news.teardownDomainType ?? olds.teardownDomainType ?? teardownTypeFor(olds.previousDomainType, news.domainType, undefined);
    const outs: AcceptedDomainState = { ...(news as AcceptedDomainState), teardownDomainType, previousDomainType: olds.previousDomainType };
    return { outs: engineOutputs(outs) };
  },

  async delete(id, props) {
    // Teardown puts the type back; the domain stays in the tenant.
    const teardown: DomainType | undefined = props.teardownDomainType;
    const domainType = await currentDomainType(id);
    if (teardown && domainType && domainType !== teardown) {
      await apis().exchange.invoke("Set-AcceptedDomain", { Identity: id, DomainType: teardown });
    }
  },
};

const provider = serializableProvider("acceptedDomain", "acceptedDomainProvider");

/** An Exchange Online accepted domain kept at a type (Internal Relay during coexistence). */
export class AcceptedDomain extends DynamicResource {
  declare readonly domainName: pulumi.Output<string>;
  declare readonly domainType: pulumi.Output<DomainType>;
  declare readonly teardownDomainType: pulumi.Output<DomainType>;
  declare readonly adopt: pulumi.Output<boolean>;
  declare readonly acceptedDomainTimeoutSeconds: pulumi.Output<number>;
  declare readonly previousDomainType: pulumi.Output<DomainType>;

  constructor(name: string, args: AcceptedDomainArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { domainType: undefined, teardownDomainType: undefined, adopt: undefined, acceptedDomainTimeoutSeconds: undefined, previousDomainType: undefined };
    super(provider, name, { ...outputs, ...args }, opts, "coexist", "AcceptedDomain");
  }
}
