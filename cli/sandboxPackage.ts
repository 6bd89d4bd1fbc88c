/**
 * The sandbox is a package of its own (pulumi-mail-coexistence-sandbox, with its native SQLite
 * and its certificate library), so that a project that only deploys the resources installs neither.
 * The command line loads it only when a command needs it, and says in one line what to install
 * when it is missing.
 */
export const SANDBOX_PACKAGE = "pulumi-mail-coexistence-sandbox";

export class MissingSandboxPackage extends Error {
  constructor(what: string) {
    super(`${what} needs the package ${SANDBOX_PACKAGE}: npm install --save-dev ${SANDBOX_PACKAGE}`);
  }
}

function requireSandbox<T>(specifier: string, what: string): T {
  try {
    return require(specifier) as T;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && (error as Error).message.startsWith(`Cannot find module '${specifier}'`);
    if (missing) throw new MissingSandboxPackage(what);
    throw error;
  }
}

/** The sandbox's programmatic control (startSandbox, controlRequest, readRuntime, …); `what` needs it. */
export function loadSandboxPackage(what: string): typeof import("pulumi-mail-coexistence-sandbox") {
  return requireSandbox(SANDBOX_PACKAGE, what);
}

/** `coexist sandbox …`, from the installed sandbox package. */
export function loadSandboxCommandLine(): typeof import("pulumi-mail-coexistence-sandbox/cli") {
  return requireSandbox(`${SANDBOX_PACKAGE}/cli`, "coexist sandbox");
}
