// A Python Worker bundle in a fresh Pyodide, laid out and wired as the Workers runtime does it.
//
// What workerd does at start-up (src/pyodide/python-entrypoint-helper.ts, internal/python.ts,
// internal/setupPackages.ts, internal/setup_python_search_path.py), and what this does instead:
//
// - The bundle's files sit next to each other under /session/metadata: here main's folder is
//   copied there (its .py modules and the Text modules of wrangler.toml's [[rules]], i.e. the
//   *.toml and *.geojson files), so `import entry` works and entry.py finds routes.toml and
//   zones.geojson beside itself.
// - The vendored packages (python_modules/, where `pywrangler sync` / `popcache build` put
//   workers-runtime-sdk) go to /session/metadata/python_modules, inserted into sys.path just
//   before site-packages, then `site.addsitedir` when python_process_pth_files is on;
//   /session/metadata itself is appended to sys.path (adjustSysPath).
// - `_pyodide_entrypoint_helper` and `_cloudflare_compat_flags` are registered with
//   `pyodide.registerJsModule` (setupPatches); `pyodide.loadPackage` is disabled.
// - The main module is imported with a promising call when the JS engine has JSPI (workerd
//   always does; Node 20 needs --experimental-wasm-stack-switching, Node 22
//   --experimental-wasm-jspi), else with a plain call, as workerd did before JSPI.
//
// Globals the bundle reaches through `js` (`caches`, `fetch`, `Date`) must be installed on
// globalThis by the caller before `loadBundle`: Pyodide's `pyodide.http` binds `js.fetch` when the
// SDK first imports it.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { KvNamespace } from "./kv.mjs";
import { compatFlags, entrypointHelper } from "./runtime.mjs";

export const SESSION = "/session/metadata";
// What workerd's baseline memory snapshot has imported before any worker code runs
// (src/workerd/api/pyodide/pyodide.c++, snapshotImports, imported by memorySnapshotDoImports in
// src/pyodide/internal/snapshot.ts, followed by sysconfig.get_config_vars()).
export const BASELINE_SNAPSHOT_IMPORTS = [
  "_pyodide", "_pyodide.docstring", "_pyodide._core_docs", "traceback", "collections.abc",
  "asyncio", "inspect", "tarfile", "importlib", "importlib.metadata", "re", "shutil",
  "sysconfig", "importlib.machinery", "pathlib", "site", "tempfile", "typing", "zipfile",
];
const HARNESS_DIR = path.dirname(new URL(import.meta.url).pathname);
const SKIPPED_DIRS = new Set(["__pycache__", "node_modules", "python_modules"]);

/**
 * The config a harness script is started with (JSON in argv[2]), its prerequisites checked.
 * Exits 2 with one line, prefixed with `name`, when the config or a prerequisite is missing.
 */
export function startupConfig(name, usage) {
  const fail = (line) => {
    process.stderr.write(`${name}: ${line}\n`);
    process.exit(2);
  };
  let config;
  try {
    config = JSON.parse(process.argv[2] ?? "");
  } catch {
    fail(usage);
  }
  const missing = missingPrerequisite({
    pyodideDir: config.pyodideDir,
    sdkDir: config.sdkDir,
    mainPath: config.main,
  });
  if (missing) fail(missing);
  return { config, fail };
}

/**
 * The bundle's env: its ORIGIN var, when configured the version metadata binding, and an empty
 * in-memory KV namespace (kv.mjs) under each name of `config.kvNamespaces`.
 */
export function bundleEnv(config) {
  const env = { ORIGIN: config.origin };
  if (config.version) env.CF_VERSION_METADATA = Object.freeze({ ...config.version });
  emptyKvNamespaces(env, config);
  return env;
}

/** Give `env` a fresh, empty KV namespace under each binding name of `config.kvNamespaces`. */
export function emptyKvNamespaces(env, config) {
  for (const binding of config.kvNamespaces ?? []) env[binding] = new KvNamespace();
}

/** loadPyodideForBundle's options for a config. */
export function bundleOptions(config, env, background) {
  return {
    pyodideDir: config.pyodideDir,
    sdkDir: config.sdkDir,
    mainPath: config.main,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags ?? [],
    env,
    background,
  };
}

/** One line naming what is missing, or null: Node >= 20, node_modules/pyodide, the SDK. */
export function missingPrerequisite({ pyodideDir, sdkDir, mainPath }) {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 20) return `Node ${process.versions.node} is too old: the harness needs Node >= 20`;
  if (!fs.existsSync(path.join(pyodideDir, "pyodide.mjs"))) {
    return `node_modules/pyodide is missing (${pyodideDir}): run \`npm install\` at the repo root`;
  }
  if (!fs.existsSync(path.join(sdkDir, "workers", "__init__.py"))) {
    return `the workers-runtime-sdk package is missing (${sdkDir}): unzip its wheel there`;
  }
  if (!fs.existsSync(mainPath)) return `the bundle's main module is missing (${mainPath})`;
  return null;
}

function copyTree(FS, from, to, keep) {
  FS.mkdirTree(to);
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
    const source = path.join(from, entry.name);
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory()) {
      copyTree(FS, source, target, keep);
    } else if (keep(entry.name)) {
      FS.writeFile(target, fs.readFileSync(source));
    }
  }
}

/** Pyodide loaded, the SDK and the bundle in place: ready to `importMain()`. */
export async function loadPyodideForBundle({
  pyodideDir,
  sdkDir,
  mainPath,
  compatibilityDate,
  compatibilityFlags,
  env,
  background,
  stdout = (line) => process.stderr.write(`${line}\n`),
}) {
  const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL: `${pyodideDir}/`, stdout, stderr: stdout });
  const jspi = supportsJspi(pyodide);
  const flags = compatFlags(compatibilityDate, compatibilityFlags);

  pyodide.loadPackage = () => {
    throw new Error("pyodide.loadPackage is disabled");
  };
  pyodide.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper({ env, background, sdkDir }));
  pyodide.registerJsModule("_cloudflare_compat_flags", flags);

  const FS = pyodide.FS;
  copyTree(FS, path.dirname(mainPath), SESSION, (name) => /\.(py|toml|geojson)$/.test(name));
  copyTree(FS, sdkDir, `${SESSION}/python_modules`, () => true);
  copyTree(FS, HARNESS_DIR, "/harness", (name) => name === "entrypoint.py");

  pyodide.runPython(`
import sys
sys.dont_write_bytecode = True
sys.path.append(${JSON.stringify(SESSION)})
for i, p in enumerate(sys.path):
    if "site-packages" in p:
        sys.path.insert(i, ${JSON.stringify(`${SESSION}/python_modules`)})
        break
if ${flags.python_process_pth_files ? "True" : "False"}:
    import site
    site.addsitedir(${JSON.stringify(`${SESSION}/python_modules`)})
del sys
`);
  return { pyodide, jspi, flags, mainName: path.basename(mainPath).replace(/\.py$/, "") };
}

function supportsJspi(pyodide) {
  // Pyodide decides when it loads (Module.jspiSupported); a promising call without it throws.
  return Boolean(pyodide._module.jspiSupported);
}

/** Import what the runtime's baseline snapshot holds, as its restore would leave the interpreter. */
export function importBaselineSnapshotModules(bundle) {
  const roots = [...new Set(BASELINE_SNAPSHOT_IMPORTS.map((name) => name.split(".")[0]))];
  bundle.pyodide.runPython(
    `import ${BASELINE_SNAPSHOT_IMPORTS.join(", ")}\nsysconfig.get_config_vars()\ndel ${roots.join(", ")}`,
  );
}

/** Call a Python callable as workerd's doPyCall does (promising when JSPI is there). */
export async function callPython(bundle, pyfunc, args, { relaxed = false } = {}) {
  if (bundle.jspi) return await pyfunc.callWithOptions({ relaxed, promising: true }, ...args);
  if (relaxed) return await pyfunc.callRelaxed(...args);
  return await pyfunc(...args);
}

/** The harness's Python helpers (entrypoint.py), imported once the SDK is on sys.path. */
export function harnessHelpers(bundle) {
  return bundle.pyodide.runPython(`
import sys
sys.path.insert(0, "/harness")
import entrypoint as _harness_entrypoint
sys.path.remove("/harness")
del sys
_harness_entrypoint
`);
}

/** Import the main module (a fresh isolate's import when the bundle's modules were forgotten). */
export async function importMain(bundle) {
  const { pyodide } = bundle;
  const pyimport = pyodide._module.API.pyodide_base.pyimport_impl;
  if (bundle.jspi) return await pyimport.callPromising(bundle.mainName);
  return pyimport(bundle.mainName);
}
