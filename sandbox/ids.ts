/** Deterministic ids and numbers derived from text, so that replays and restarts give the same values. */
import { createHash } from "node:crypto";

/** A GUID-shaped id that is always the same for the same text. */
export function stableGuid(text: string): string {
  const hex = createHash("sha1").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A number in [0, 1) that is always the same for the same text. */
export function unitHash(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0) / 2 ** 32;
}
