/** `pulumi preview --policy-pack policy` loads this (compiled, through package.json's main). */
import { PolicyPack } from "@pulumi/policy";
import { mailFlowPolicies } from "./policies";

new PolicyPack("mail-flow-safety", {
  description: "Blocks plans that make mail loop or bounce during a Google Workspace to Microsoft 365 coexistence.",
  policies: mailFlowPolicies,
});
