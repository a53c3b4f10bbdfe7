#!/usr/bin/env node
// Builds the native back end's addon (native/cnnp_native.cc, oneDNN) with node-gyp when oneDNN's
// headers are present; otherwise says how to get them and leaves cnnp on its other back ends.
// Runs from `npm install` / `npm ci` (the prepare script) and `npm run build:native`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const headers = [
  "/usr/include/oneapi/dnnl/dnnl.hpp",
  "/usr/local/include/oneapi/dnnl/dnnl.hpp",
  "/opt/homebrew/include/oneapi/dnnl/dnnl.hpp",
];
const hint =
  "Debian/Ubuntu: sudo apt-get install libdnnl-dev; macOS: brew install onednn; then npm run build:native";

if (process.env.CNNP_SKIP_NATIVE) {
  console.log("cnnp: native back end not built (CNNP_SKIP_NATIVE is set)");
  process.exit(0);
}
if (!headers.some((h) => existsSync(h))) {
  console.log(`cnnp: native back end not built: oneDNN not found (${hint}); auto uses wasm`);
  process.exit(0);
}
// npm hands scripts its own node-gyp; elsewhere, the one bundled with npm.
let gyp = process.env.npm_config_node_gyp;
if (!gyp || !existsSync(gyp)) {
  try {
    gyp = createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js");
  } catch {
    const npmRoot = spawnSync("npm", ["root", "-g"], { encoding: "utf8" }).stdout.trim();
    gyp = join(npmRoot, "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
  }
}
if (!existsSync(gyp)) {
  console.log(`cnnp: native back end not built: node-gyp not found (it comes with npm); ${hint}`);
  process.exit(0);
}
// Node's own headers beside its binary (Debian's nodejs-dev, official tarballs) spare node-gyp a
// download, which matters offline.
const args = [gyp, "rebuild"];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "node_api.h")))
  args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: ["ignore", "pipe", "pipe"],
  encoding: "utf8",
});
if (r.status !== 0) {
  const tail = `${r.stdout}\n${r.stderr}`
    .split("\n")
    .filter((l) => /error|Error/.test(l))
    .slice(0, 5)
    .join("\n");
  console.log(`cnnp: native back end not built: the compile failed; auto uses wasm\n${tail}`);
  process.exit(0);
}
console.log("cnnp: native back end built (build/Release/cnnp_native.node)");
