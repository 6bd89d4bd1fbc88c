"use strict";
// `pulumi preview --policy-pack <this folder>` starts here. The policies are TypeScript (policy/*.ts),
// compiled into dist/policy by the package's build. @pulumi/policy is a peer dependency that only
// the pack needs, so a project may not have it: then one line says what to install.
const POLICY_SDK = "@pulumi/policy";

function policySdk() {
  try {
    return require(POLICY_SDK);
  } catch (error) {
    if (error.code !== "MODULE_NOT_FOUND" || !String(error.message).startsWith(`Cannot find module '${POLICY_SDK}'`)) throw error;
    process.stderr.write(`mail-flow-safety: this policy pack needs ${POLICY_SDK} (a peer dependency of pulumi-mail-coexistence) in the project: npm install --save-dev ${POLICY_SDK}\n`);
    process.exit(1);
  }
}

const { PolicyPack } = policySdk();
const { mailFlowPolicies } = require("../dist/policy/policies");

new PolicyPack("mail-flow-safety", {
  description: "Blocks plans that make mail loop or bounce during a Google Workspace to Microsoft 365 coexistence (docs/safety-checks.md).",
  policies: mailFlowPolicies,
});
