import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { BatchState, Coexistence, parseUsersCsv } from "pulumi-mail-coexistence";

// Everything that changes during the migration lives in reviewed files: users.csv (who) and the
// stack config's `batches` (where each batch is). A pull request changes one of them.
const config = new pulumi.Config();
const primaryDomain = config.get("primaryDomain") ?? "contoso.com";

const coexistence = new Coexistence("production", {
  primaryDomain,
  routingDomain: config.get("routingDomain") ?? `o365.${primaryDomain}`,
  licenseSku: config.get("licenseSku") ?? "EXCHANGESTANDARD",
  users: parseUsersCsv(fs.readFileSync(`${__dirname}/users.csv`, "utf8"), { primaryDomain }),
  batches: config.getObject<Record<string, BatchState>>("batches") ?? {},
  phase: config.get("phase") as "coexistence" | "cutover" | "decommissioned" | undefined,
});

export const dnsRecords = coexistence.dnsRecords;
// Each user's own initial password, read by whoever hands them out on the day their batch moves:
// `pulumi stack output initialPasswords --show-secrets` (docs/migration-day.md).
export const initialPasswords = coexistence.initialPasswords;
