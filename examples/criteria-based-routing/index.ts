import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MailUser, OutboundConnector, parseUsersCsv, RoutingDomain, TransportRule } from "pulumi-mail-coexistence";

// Criteria-based routing: every user exists in Exchange Online; a mail flow rule sends mail for
// those still living at Google through a connector that only rules can use (it is never picked by
// recipient domain). Moving a user means taking them off the rule's list.
const config = new pulumi.Config();
const users = parseUsersCsv(fs.readFileSync(path.join(__dirname, "users.csv"), "utf8"), { primaryDomain: "contoso.com" });
const migratedBatches = new Set(config.getObject<string[]>("migratedBatches") ?? []);

const routingDomain = new RoutingDomain("routing-domain", { domainName: "o365.contoso.com", parentDomain: "contoso.com" });
const mailUsers = users.map(
  (user) =>
    new MailUser(
      `mail-user-${user.email}`,
      {
        name: user.displayName,
        alias: user.alias,
        firstName: user.firstName,
        lastName: user.lastName,
        externalEmailAddress: user.email,
        microsoftOnlineServicesId: user.email,
        routingAddress: `${user.alias}@o365.contoso.com`,
      },
      { dependsOn: [routingDomain] },
    ),
);

const toGoogle = new OutboundConnector("to-google", {
  name: "To Google (rule-scoped)",
  recipientDomains: ["contoso.com"],
  isTransportRuleScoped: true,
});

const stillAtGoogle = users.filter((u) => !migratedBatches.has(u.batch)).map((u) => u.email);
export const rule = new TransportRule(
  "still-at-google",
  { name: "Users still at Google", outboundConnector: toGoogle.name, sentTo: stillAtGoogle },
  { dependsOn: mailUsers },
).name;
export const routedToGoogle = stillAtGoogle.length;
