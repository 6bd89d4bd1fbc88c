"use strict";
// `pulumi preview --policy-pack policy` starts here. The policies are TypeScript (policy/*.ts),
// compiled into dist/policy by the root build: `npm ci` or `npm run build`.
const { PolicyPack } = require("@pulumi/policy");
const { mailFlowPolicies } = require("../dist/policy/policies");

new PolicyPack("mail-flow-safety", {
  description: "Blocks plans that make mail loop or bounce during a Google Workspace to Microsoft 365 coexistence (docs/safety-checks.md).",
  policies: mailFlowPolicies,
});
