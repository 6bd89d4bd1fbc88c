/** A command line the command cannot run: the message says what is wrong, the help follows it. */
export class UsageError extends Error {}

/**
 * A command's arguments, parsed by `parse`; on a UsageError prints `coexist <command>: <message>`
 * and the command's help to `err` and gives undefined, for the command to exit 2.
 */
export function argsOrUsage<T>(command: string, help: string, parse: () => T, err: (text: string) => void): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`coexist ${command}: ${error.message}\n\n${help}`);
    return undefined;
  }
}
