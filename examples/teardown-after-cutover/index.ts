import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Coexistence, parseUsersCsv, Phase } from "pulumi-mail-coexistence";

// Every batch is migrated. `phase: cutover` turns the domain back to Authoritative and stops the
// connector (publish the primary MX from the `dnsRecords` output); `phase: decommissioned` removes
// forwarding, the connector and Internal Relay. Licences (the mailboxes) stay, also on destroy.
const config = new pulumi.Config();
const users = parseUsersCsv(fs.readFileSync(path.join(__dirname, "users.csv"), "utf8"), { primaryDomain: "contoso.com" });
const allMigrated = Object.fromEntries(users.map((u) => [u.batch, "migrated" as const]));

const migration = new Coexistence("contoso", {
  primaryDomain: "contoso.com",
  routingDomain: "o365.contoso.com",
  licenseSku: "EXCHANGESTANDARD",
  users,
  batches: allMigrated,
  phase: (config.get("phase") ?? "cutover") as Phase,
});

export const dnsRecords = migration.dnsRecords;
export const spfRecord = migration.spfRecord;
// Each user's own initial password: `pulumi stack output initialPasswords --show-secrets` (docs/migration-day.md).
export const initialPasswords = migration.initialPasswords;
