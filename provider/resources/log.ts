/**
 * A message for the person running `pulumi up`. The dynamic-provider plugin has no engine
 * connection for `pulumi.log`, but the engine shows every line the plugin writes to stderr with
 * the operation's output, so that is where notes go. Never pass a secret.
 */
export function note(resource: string, message: string): void {
  process.stderr.write(`${resource}: ${message}\n`);
}
