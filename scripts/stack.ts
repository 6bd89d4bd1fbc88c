// The engine runner lives with the command line (coexist rehearse drives it too).
export * from "../cli/stack";
