import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { BatchState, Coexistence, parseUsersCsv } from "pulumi-mail-coexistence";

// Everything that changes during the migration lives in reviewed files: users.csv (who) and the
// stack config's `batches` (where each batch is). A pull request changes one of them.
const config = new pulumi.Config();
const primaryDomain = config.get("primaryDomain") ?? "contoso.com";

export const coexistence = new Coexistence("production", {
  primaryDomain,
  routingDomain: config.get("routingDomain") ?? `o365.${primaryDomain}`,
  licenseSku: config.get("licenseSku") ?? "EXCHANGESTANDARD",
  mailUserPassword: config.requireSecret("mailUserPassword"),
  users: parseUsersCsv(fs.readFileSync(`${__dirname}/users.csv`, "utf8"), { primaryDomain }),
  batches: config.getObject<Record<string, BatchState>>("batches") ?? {},
  phase: config.get("phase") as "coexistence" | "cutover" | "decommissioned" | undefined,
}).dnsRecords;
