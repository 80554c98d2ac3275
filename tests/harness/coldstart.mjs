// One cold start of a Python Worker bundle in a fresh Pyodide: how long its main module's import
// takes, interpreter start excluded. Prints one JSON line; bench/edge_coldstart.py runs it in a
// fresh Node process per sample.
//
//   node [JSPI flag] coldstart.mjs CONFIG [--baseline] [--profile] [--module NAME]
//
// CONFIG is harness.mjs's (pyodideDir, sdkDir, main, origin, version, compatibilityDate,
// compatibilityFlags, clock). The bundle is laid out and wired exactly as harness.mjs does it
// (bundle.mjs): SDK in python_modules, routes.toml beside entry.py, the runtime-only modules
// registered, `caches`/`Date` on globalThis. Then the main module is imported as workerd imports
// it (a promising pyimport when JSPI is there), timed with performance.now():
//   {"importMs", "loadMs" (Pyodide itself, for reference), "jspi"}
// With --baseline the modules of workerd's baseline memory snapshot are imported first (not
// timed), as a cold start on Cloudflare begins from that snapshot. --module NAME imports NAME
// instead of the main module (e.g. `workers`: what any Python Worker pays for the SDK).
// With --profile the import goes through tests/harness/importtime.py instead, which adds
// {"profile": {"total", "modules", "rows": [[module, inclusive s, self s, depth], ...]}}.

import fs from "node:fs";
import path from "node:path";

import {
  bundleEnv,
  bundleOptions,
  importBaselineSnapshotModules,
  importMain,
  loadPyodideForBundle,
  startupConfig,
} from "./bundle.mjs";
import { CacheStorage } from "./cache.mjs";
import { Background, Clock } from "./runtime.mjs";

console.log = console.error;
const HARNESS_DIR = path.dirname(new URL(import.meta.url).pathname);

const { config, fail } = startupConfig(
  "coldstart",
  "usage: node coldstart.mjs '<config JSON>' [--profile]",
);

const clock = new Clock(config.clock ?? 1_767_225_600);
clock.install();
globalThis.caches = new CacheStorage(clock);
const env = bundleEnv(config);

const started = performance.now();
const bundle = await loadPyodideForBundle(bundleOptions(config, env, new Background()));
if (process.argv.includes("--baseline")) importBaselineSnapshotModules(bundle);
const loaded = performance.now();
const result = { loadMs: loaded - started, jspi: bundle.jspi };
const moduleFlag = process.argv.indexOf("--module");
if (moduleFlag > 0) bundle.mainName = process.argv[moduleFlag + 1];
try {
  if (process.argv.includes("--profile")) {
    bundle.pyodide.FS.writeFile(
      "/harness/importtime.py",
      fs.readFileSync(path.join(HARNESS_DIR, "importtime.py")),
    );
    const timer = bundle.pyodide.runPython(`
import sys
sys.path.insert(0, "/harness")
import importtime
sys.path.remove("/harness")
importtime
`);
    const begin = performance.now();
    const profile = timer.timed_import(bundle.mainName);
    result.importMs = performance.now() - begin;
    result.profile = profile.toJs({ dict_converter: Object.fromEntries });
  } else {
    const begin = performance.now();
    await importMain(bundle);
    result.importMs = performance.now() - begin;
  }
} catch (error) {
  const last = String(error?.message ?? error).trim().split("\n").at(-1);
  fail(`importing ${bundle.mainName} failed: ${last}`);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
