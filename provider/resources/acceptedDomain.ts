import * as pulumi from "@pulumi/pulumi";
import { apis, findExchangeObject } from "../clients";
import { FieldRule, planDiff, sameIgnoringCase } from "./diff";
import { InputChecker } from "./inputs";
import { configureFromStack, serializableProvider } from "./serializable";

export type DomainType = "Authoritative" | "InternalRelay";
const DOMAIN_TYPES: readonly DomainType[] = ["Authoritative", "InternalRelay"];

/**
 * The primary mail domain's type in Exchange Online. During coexistence it is `InternalRelay`:
 * mail for an address that has no Exchange recipient is relayed (through the outbound connector)
 * to Google instead of bounced. The domain itself must already be in the tenant, verified, with
 * Email enabled; this resource never adds or removes it.
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
   * The type restored when the resource is deleted (cutover teardown).
   * @default "Authoritative"
   */
  readonly teardownDomainType?: pulumi.Input<DomainType>;
  /**
   * Accepted domains always exist once the domain is in the tenant, so there is nothing to adopt;
   * accepted for symmetry with the other resources.
   * @default false
   */
  readonly adopt?: pulumi.Input<boolean>;
}

export interface AcceptedDomainState {
  domainName: string;
  domainType: DomainType;
  teardownDomainType: DomainType;
  adopt: boolean;
  /** The type found before this resource changed it. */
  previousDomainType: DomainType;
}

const fields: FieldRule[] = [
  { field: "domainName", replaces: true, equal: sameIgnoringCase },
  { field: "domainType" },
  { field: "teardownDomainType" },
];

/** Refuses, with the fix, a domain that Exchange cannot make Internal Relay. */
export async function assertEmailDomain(domainName: string): Promise<void> {
  const domain = await apis().graph.getDomain(domainName);
  if (!domain) {
    throw new Error(`AcceptedDomain: ${domainName} is not a domain of this Microsoft 365 tenant: add and verify it (Microsoft 365 admin center > Settings > Domains) first.`);
  }
  if (!domain.isVerified) {
    throw new Error(`AcceptedDomain: ${domainName} is not verified yet: publish its verification TXT record and verify it before coexistence.`);
  }
  if (!domain.supportedServices.includes("Email")) {
    throw new Error(`AcceptedDomain: ${domainName} is verified but Email is not enabled for it: enable Exchange (supportedServices Email) for the domain.`);
  }
}

async function currentDomainType(domainName: string): Promise<DomainType | undefined> {
  const found = await findExchangeObject("Get-AcceptedDomain", domainName);
  return found?.DomainType as DomainType | undefined;
}

async function setDomainType(domainName: string, domainType: DomainType): Promise<void> {
  if ((await currentDomainType(domainName)) === domainType) return;
  await apis().exchange.invoke("Set-AcceptedDomain", { Identity: domainName, DomainType: domainType });
}

export const acceptedDomainProvider: pulumi.dynamic.ResourceProvider = {
  configure: configureFromStack,

  async check(_olds, news) {
    const inputs = new InputChecker("AcceptedDomain", news);
    inputs.domain("domainName", { required: true });
    inputs.oneOf("domainType", DOMAIN_TYPES, "InternalRelay");
    inputs.oneOf("teardownDomainType", DOMAIN_TYPES, "Authoritative");
    inputs.boolean("adopt", false);
    return inputs.result();
  },

  async diff(_id, olds, news) {
    return planDiff(olds, news, fields);
  },

  async create(inputs) {
    const domainName: string = inputs.domainName;
    await assertEmailDomain(domainName);
    const previousDomainType = await currentDomainType(domainName);
    if (!previousDomainType) {
      throw new Error(`AcceptedDomain: ${domainName} is verified but Exchange Online has no accepted domain for it yet; wait a few minutes after enabling Email and run again.`);
    }
    if (previousDomainType !== inputs.domainType) {
      await apis().exchange.invoke("Set-AcceptedDomain", { Identity: domainName, DomainType: inputs.domainType });
    }
    const outs: AcceptedDomainState = { ...(inputs as AcceptedDomainState), previousDomainType };
    return { id: domainName, outs };
  },

  async read(id, props) {
    const domainType = await currentDomainType(id);
    if (!domainType) return {};
    return { id, props: { ...props, domainType } };
  },

  async update(id, olds, news) {
    await setDomainType(id, news.domainType);
    return { outs: { ...news, previousDomainType: olds.previousDomainType } };
  },

  async delete(id, props) {
    // Teardown restores the type; the domain stays in the tenant.
    const domainType = await currentDomainType(id);
    if (domainType && domainType !== props.teardownDomainType) {
      await apis().exchange.invoke("Set-AcceptedDomain", { Identity: id, DomainType: props.teardownDomainType });
    }
  },
};

const provider = serializableProvider("acceptedDomain", "acceptedDomainProvider");

/** An Exchange Online accepted domain kept at a type (Internal Relay during coexistence). */
export class AcceptedDomain extends pulumi.dynamic.Resource {
  declare readonly domainName: pulumi.Output<string>;
  declare readonly domainType: pulumi.Output<DomainType>;
  declare readonly teardownDomainType: pulumi.Output<DomainType>;
  declare readonly previousDomainType: pulumi.Output<DomainType>;

  constructor(name: string, args: AcceptedDomainArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { previousDomainType: undefined, ...args }, opts, "coexist", "AcceptedDomain");
  }
}
