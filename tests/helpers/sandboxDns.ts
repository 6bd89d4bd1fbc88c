import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";

/**
 * Exports NODE_EXTRA_CA_CERTS as `coexist sandbox start` prints it: `coexist trace` finds the
 * sandbox's data directory (and so the token of its DNS) through it. The test process trusts the
 * CA its own way (tests/sandbox/harness.ts); the returned function restores the variable.
 */
export function useSandboxDns(handle: SandboxHandle): () => void {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = handle.env.NODE_EXTRA_CA_CERTS;
  return () => {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
  };
}
