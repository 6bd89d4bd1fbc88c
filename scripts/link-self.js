#!/usr/bin/env node
// Dynamic providers are serialized into the state and re-required by the engine's provider plugin
// from the program's node_modules. Inside this repository the package is not installed from the
// registry, so link it to itself: the root program, the examples and the tests then resolve
// `pulumi-mail-coexistence/...` exactly as a consumer's project does.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "pulumi-mail-coexistence");
fs.mkdirSync(path.dirname(link), { recursive: true });
try {
  if (fs.readlinkSync(link) === "..") process.exit(0);
  fs.unlinkSync(link);
} catch {
  // no link yet
}
fs.symlinkSync("..", link, "dir");
