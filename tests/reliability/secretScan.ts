/**
 * Item 3: every text the suites produced (engine stdout and stderr of every command, the plain
 * `pulumi stack export`, `preview --json`, the stack config file, the file backend's checkpoints,
 * history and backups, the sandbox log, every error message) is searched for the secrets: the
 * mail-user password, the client secret, the lines of the Google private key, the sandbox's static
 * tokens, and anything shaped like a bearer token the sandbox issues (an HS256 JWT).
 */
import type { Transcript } from "./world";

const ISSUED_TOKEN = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;

export interface Leak {
  source: string;
  secret: string;
}

/** The forms a secret can take in a text: as is, JSON-escaped, base64. */
function spellings(value: string): string[] {
  return [...new Set([value, JSON.stringify(value).slice(1, -1), Buffer.from(value).toString("base64")])];
}

export function scanForSecrets(transcript: Transcript): { scanned: number; bytes: number; leaks: Leak[] } {
  const needles = transcript.secrets.filter((s) => s.value.length >= 8).flatMap((s) => spellings(s.value).map((form) => ({ name: s.name, form })));
  const leaks: Leak[] = [];
  let bytes = 0;
  for (const { source, text } of transcript.texts) {
    bytes += text.length;
    const found = new Set(needles.filter((n) => text.includes(n.form)).map((n) => n.name));
    if (ISSUED_TOKEN.test(text)) found.add("a bearer token (JWT) issued by the sandbox");
    leaks.push(...[...found].map((secret) => ({ source, secret })));
  }
  return { scanned: transcript.texts.length, bytes, leaks };
}
