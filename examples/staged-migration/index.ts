import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { BatchState, Coexistence, parseUsersCsv } from "pulumi-mail-coexistence";

// Edit users.csv or a batch's state in the stack config, open a pull request, read the plan.
const config = new pulumi.Config();
const users = parseUsersCsv(fs.readFileSync(path.join(__dirname, "users.csv"), "utf8"), { primaryDomain: "contoso.com" });

const migration = new Coexistence("contoso", {
  primaryDomain: "contoso.com",
  routingDomain: "o365.contoso.com",
  licenseSku: "EXCHANGESTANDARD",
  users,
  // e.g. pulumi config set --path 'batches.sales' migrated
  batches: config.getObject<Record<string, BatchState>>("batches") ?? {},
});

export const dnsRecords = migration.dnsRecords;
export const spfRecord = migration.spfRecord;
// Each user's own initial password: `pulumi stack output initialPasswords --show-secrets` (docs/migration-day.md).
export const initialPasswords = migration.initialPasswords;
