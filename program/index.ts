import * as fs from "fs";
import * as path from "path";
import { Config } from "@pulumi/pulumi/config";
import { Coexistence } from "../provider/components/coexistence";
import { aliasDomainsSetting, BatchState, parseGranularity, parseScope, Phase, PHASES } from "../provider/components/plan";
import { parseGroupsCsv } from "../provider/components/groupsCsv";
import { parseUsersCsv } from "../provider/components/usersCsv";

// The root program: the whole coexistence set-up driven by stack config, so a migration step is a
// one-line config or CSV change in a pull request.
const config = new Config("coexist");
const primaryDomain = config.require("primaryDomain");
const phase = (config.get("phase") ?? "coexistence") as Phase;
if (!PHASES.includes(phase)) {
  throw new Error(`coexist:phase "${phase}" is not one of ${PHASES.join(", ")}: run \`pulumi config set coexist:phase coexistence\``);
}
const csvPath = path.resolve(process.cwd(), config.require("usersCsv"));
if (!fs.existsSync(csvPath)) {
  throw new Error(`coexist:usersCsv: ${csvPath} does not exist; point it at the migration CSV (email, firstName, lastName, batch)`);
}
// A large tenant is one stack for the tenant-wide objects plus one stack per batch (docs/benchmark.md).
const scope = parseScope(config.get("scope") ?? "all", "coexist:scope");
// A stack of thousands of users holds them in one set resource per batch and kind (docs/ARCHITECTURE.md).
const granularity = parseGranularity(config.get("granularity") ?? "user", "coexist:granularity");
const users = parseUsersCsv(fs.readFileSync(csvPath, "utf8"), { primaryDomain });
// The Google groups and their plans (migrate, keep), as `coexist inventory` writes them; optional.
const groupsCsv = config.get("groupsCsv");
const groupsPath = groupsCsv === undefined ? undefined : path.resolve(process.cwd(), groupsCsv);
if (groupsPath !== undefined && !fs.existsSync(groupsPath)) {
  throw new Error(`coexist:groupsCsv: ${groupsPath} does not exist; point it at the groups CSV (email, name, aliases, members, plan) that coexist inventory writes`);
}
const groups = groupsPath === undefined ? [] : parseGroupsCsv(fs.readFileSync(groupsPath, "utf8"));
// Google's alias and secondary domains that move to Microsoft 365 with the primary domain.
const aliasDomains = aliasDomainsSetting(config.getObject<unknown>("aliasDomains"));

const coexistence = new Coexistence("coexistence", {
  primaryDomain,
  routingDomain: config.require("routingDomain"),
  smartHosts: config.getObject<string[]>("smartHosts"),
  licenseSku: config.require("licenseSku"),
  usageLocation: config.get("usageLocation"),
  // Unset: every mail user gets its own generated password (the initialPasswords output).
  mailUserPassword: config.getSecret("mailUserPassword"),
  users,
  batches: config.getObject<Record<string, BatchState>>("batches") ?? {},
  phase,
  connectorName: config.get("connectorName"),
  adopt: config.getBoolean("adopt"),
  scope,
  granularity,
  groups,
  googleRoutingDomain: config.get("googleRoutingDomain"),
  aliasDomains,
});

export const dnsRecords = coexistence.dnsRecords;
export const spfRecord = coexistence.spfRecord;
// Each user's initial password, a secret: `pulumi stack output initialPasswords --show-secrets`.
export const initialPasswords = coexistence.initialPasswords;
export const userCount = users.length;
export const groupCount = groups.length;
