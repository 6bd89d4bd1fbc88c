/** Get-Recipient: every mail object of the tenant (mailboxes, mail users, mail contacts, groups), as the real cmdlet lists them. */
import type { DistributionGroupRecord } from "../records";
import { list, text, type Cmdlet } from "./cmdlet";
import { groupTypeDetails, lookUpGroup, reducedView } from "./distributionGroups";
import { findRecipient, recipientsOfType } from "./recipients";

const getRecipient: Cmdlet = {
  name: "Get-Recipient",
  parameters: ["identity", "recipienttypedetails", "recipienttype", "resultsize"],
  run(context, parameters) {
    const view = reducedView(context);
    const identity = text(parameters, "identity");
    if (identity) return { objects: [lookUpGroup(context, identity) ?? findRecipient(context, identity)], view };
    const types = list(parameters, "recipienttypedetails") ?? list(parameters, "recipienttype");
    const wanted = types?.map((type) => type.toLowerCase());
    const groups = context.store
      .list<DistributionGroupRecord>(context.tenant.tenantId, "distributionGroup")
      .filter((group) => !wanted || wanted.includes(groupTypeDetails(group).toLowerCase()));
    return { objects: [...recipientsOfType(context, types), ...groups], view };
  },
};

export const allRecipientCmdlets: Cmdlet[] = [getRecipient];
