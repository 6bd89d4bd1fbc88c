/** Get-/Set-AcceptedDomain (exchange-admin-api.md §2.1): the tenant's verified Email domains as Exchange sees them. */
import type { AcceptedDomainType } from "pulumi-mail-coexistence/routing/types";
import { acceptedDomains, type AcceptedDomain } from "../directory";
import { exchangeError } from "../http";
import { stableGuid } from "../ids";
import type { TenantRecord } from "../records";
import { NO_CHANGE, enumValue, flag, notFound, text, type Cmdlet, type ExchangeContext } from "./cmdlet";

function acceptedDomainView(tenant: TenantRecord, domain: AcceptedDomain): object {
  return {
    Identity: domain.domainName,
    Name: domain.domainName,
    DomainName: domain.domainName,
    DomainType: domain.domainType,
    Default: domain.isDefault,
    InitialDomain: domain.isInitial,
    MatchSubDomains: domain.matchSubDomains,
    AddressBookEnabled: domain.domainType === "Authoritative",
    Guid: stableGuid(`${tenant.tenantId}/${domain.domainName}`),
    IsValid: true,
  };
}

function findAcceptedDomain(context: ExchangeContext, identity: string): AcceptedDomain {
  const domain = acceptedDomains(context.store, context.tenant.tenantId).find(
    (entry) => entry.domainName === identity.toLowerCase() || stableGuid(`${context.tenant.tenantId}/${entry.domainName}`) === identity.toLowerCase(),
  );
  if (!domain) throw notFound(identity);
  return domain;
}

const getAcceptedDomain: Cmdlet = {
  name: "Get-AcceptedDomain",
  parameters: ["identity", "resultsize"],
  run(context, parameters) {
    const identity = text(parameters, "identity");
    const domains = identity ? [findAcceptedDomain(context, identity)] : acceptedDomains(context.store, context.tenant.tenantId);
    return { objects: domains.map((domain) => acceptedDomainView(context.tenant, domain)) };
  },
};

const setAcceptedDomain: Cmdlet = {
  name: "Set-AcceptedDomain",
  parameters: ["identity", "domaintype", "matchsubdomains", "outboundonly", "sendingfromdomaindisabled", "sendingtodomaindisabled", "makedefault", "name"],
  required: ["identity"],
  run(context, parameters) {
    for (const onPremisesOnly of ["makedefault", "name"]) {
      if (parameters.has(onPremisesOnly)) {
        throw exchangeError(400, "parameterBinding", `A parameter cannot be found that matches parameter name '${onPremisesOnly === "name" ? "Name" : "MakeDefault"}'. It is available on-premises only.`);
      }
    }
    const domain = findAcceptedDomain(context, text(parameters, "identity") ?? "");
    const requestedType = text(parameters, "domaintype");
    if (requestedType?.toLowerCase() === "externalrelay") {
      throw exchangeError(400, "dataValidation", "ExternalRelay accepted domains are available on-premises only; use InternalRelay to relay unknown recipients to another system.");
    }
    const domainType: AcceptedDomainType = enumValue(parameters, "domaintype", ["Authoritative", "InternalRelay"] as const) ?? domain.domainType;
    const matchSubDomains = flag(parameters, "matchsubdomains") ?? (domainType === "InternalRelay" ? domain.matchSubDomains : false);
    if (matchSubDomains && domainType !== "InternalRelay") {
      throw exchangeError(400, "dataValidation", "MatchSubDomains can only be set on an InternalRelay accepted domain.");
    }
    if (domainType === domain.domainType && matchSubDomains === domain.matchSubDomains) return { objects: [], warnings: [NO_CHANGE(domain.domainName)] };
    context.store.put(context.tenant.tenantId, "acceptedDomainType", domain.domainName, { domainName: domain.domainName, domainType, matchSubDomains });
    return { objects: [] };
  },
};

export const acceptedDomainCmdlets: Cmdlet[] = [getAcceptedDomain, setAcceptedDomain];
