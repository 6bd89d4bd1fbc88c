// The engine environment lives with the command line (coexist rehearse uses it too).
export * from "../cli/engineEnv";
