import type { GoogleSeed, MicrosoftTenantSeed, Seed } from "pulumi-mail-coexistence-sandbox/seed";

/** The seed `coexist snapshot` writes: a sandbox seed without app (no secret), behaviour or test messages. */
export interface SnapshotSeed {
  microsoft: Omit<MicrosoftTenantSeed, "apps">[];
  google: Omit<GoogleSeed, "generate" | "staticToken">;
  dns: Seed["dns"];
}
