// Runs edge/'s unit tests (tests/unit/test_edge_*.py) inside Pyodide, the Python of
// Cloudflare's Python Workers, under Node.
//
//   node --experimental-wasm-stack-switching tests/pyodide/runner.mjs   # Node 20
//   node --experimental-wasm-jspi tests/pyodide/runner.mjs              # Node 22, 24
//   node tests/pyodide/runner.mjs [--wheels DIR] [--max-examples N] [-- PYTEST_ARGS...]
//
// Pyodide comes from node_modules/pyodide (pinned by package-lock.json), pytest and Hypothesis
// from the pure-Python wheels pinned in tests/pyodide/requirements.txt, found in --wheels
// (default .popcache/pyodide-wheels/); nothing is fetched. The repo is mounted at its own
// path, so edge/ and tests/unit/ keep their layout and pyproject.toml's pytest config applies.
// Coroutine tests need JSPI (WebAssembly stack switching): see inside.py's RunSyncPlugin.
//
// Runs tests/pyodide/selftest_run_sync.py first (the plugin's own checks), then edge/'s unit
// tests. Prints pytest's output, then a one-line JSON summary of the edge run (the self-test's
// counts under "selftest") as the last line of stdout, and exits with pytest's exit code
// (1 if pytest passed but the self-test failed, a test touched the network, or a coroutine
// test passed without being driven). A missing prerequisite is ONE line on stderr saying
// what is missing and how to fix it, and exit code 10; no summary is printed then.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SETUP_FAILED = 10;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..", "..");
const started = Date.now();

function fail(line) {
  process.stderr.write(`pyodide runner: ${line}\n`, () => process.exit(SETUP_FAILED));
  return new Promise(() => {}); // never resolves: the process exits first
}

function parseArgs(argv) {
  const options = {
    wheels: path.join(REPO, ".popcache", "pyodide-wheels"),
    maxExamples: 20,
    pytestArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      options.pytestArgs = argv.slice(i + 1);
      break;
    } else if (arg === "--wheels" && i + 1 < argv.length) {
      options.wheels = path.resolve(argv[++i]);
    } else if (arg === "--max-examples" && /^[1-9][0-9]*$/.test(argv[i + 1] ?? "")) {
      options.maxExamples = Number(argv[++i]);
    } else {
      return { error: `unknown argument ${JSON.stringify(arg)}: see tests/pyodide/runner.mjs` };
    }
  }
  return options;
}

function jspiFlag() {
  const major = Number(process.versions.node.split(".")[0]);
  return major < 22 ? "--experimental-wasm-stack-switching" : "--experimental-wasm-jspi";
}

function hasJspi() {
  // "Suspender": the first JSPI API (Node 20, 22 behind a flag); "Suspending": the final one.
  return "Suspending" in WebAssembly || "Suspender" in WebAssembly;
}

function pinnedPyodide() {
  const dir = path.join(REPO, "node_modules", "pyodide");
  if (!existsSync(path.join(dir, "pyodide.mjs"))) {
    return { error: `node_modules/pyodide is missing: run \`npm ci\` in ${REPO}` };
  }
  const installed = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
  let pinned;
  try {
    const lock = JSON.parse(readFileSync(path.join(REPO, "package-lock.json"), "utf8"));
    pinned = lock.packages["node_modules/pyodide"].version;
  } catch {
    return { error: `package-lock.json does not pin pyodide: restore it from git` };
  }
  if (installed !== pinned) {
    return {
      error: `node_modules/pyodide is ${installed} but package-lock.json pins ${pinned}: run \`npm ci\``,
    };
  }
  return { dir, version: installed };
}

function pinnedWheels(wheelDir) {
  const requirements = path.join(HERE, "requirements.txt");
  const pins = [];
  for (const raw of readFileSync(requirements, "utf8").split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s+--hash=sha256:([0-9a-f]{64})$/.exec(line);
    if (!match) return { error: `tests/pyodide/requirements.txt: cannot read ${JSON.stringify(line)}` };
    pins.push({ name: match[1], version: match[2], sha256: match[3] });
  }
  const files = existsSync(wheelDir) ? readdirSync(wheelDir) : [];
  const found = [];
  const missing = [];
  for (const pin of pins) {
    const stem = `${pin.name.toLowerCase().replace(/[-_.]+/g, "_")}-${pin.version}-`;
    const file = files.find(
      (name) => name.toLowerCase().startsWith(stem) && name.endsWith("-none-any.whl"),
    );
    if (!file) {
      missing.push(`${pin.name}==${pin.version}`);
      continue;
    }
    const wheel = path.join(wheelDir, file);
    const digest = createHash("sha256").update(readFileSync(wheel)).digest("hex");
    if (digest !== pin.sha256) {
      return { error: `${wheel} does not match its sha256 in requirements.txt: delete it` };
    }
    found.push(wheel);
  }
  if (missing.length) {
    const download =
      "python -m pip download --only-binary=:all: --no-deps --platform any --implementation py" +
      ` --abi none --python-version 3.14 -r tests/pyodide/requirements.txt -d ${wheelDir}`;
    return {
      error:
        `missing wheel(s) ${missing.join(", ")} in ${wheelDir}: run \`${download}\`` +
        " (tests/pyodide/test_edge_unit_tests_in_pyodide.py does it when missing)",
    };
  }
  return { wheels: found };
}

function blockJsNetwork(attempts) {
  // Python's sockets are refused in inside.py; these are the JavaScript ways out.
  const refuse = (what) => {
    attempts.push(what);
    throw new Error(`${what}: edge/ unit tests must not use the network`);
  };
  globalThis.fetch = (resource) => refuse(`fetch(${String(resource).slice(0, 80)})`);
  globalThis.WebSocket = class {
    constructor(url) {
      refuse(`new WebSocket(${String(url).slice(0, 80)})`);
    }
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.error) return fail(options.error);
  if (!hasJspi()) {
    const flag = jspiFlag();
    return fail(
      `Node ${process.version} runs without JSPI, which coroutine tests need:` +
        ` run \`${process.argv0} ${flag} ${path.relative(process.cwd(), fileURLToPath(import.meta.url))}\``,
    );
  }
  const pyodidePackage = pinnedPyodide();
  if (pyodidePackage.error) return fail(pyodidePackage.error);
  const pins = pinnedWheels(options.wheels);
  if (pins.error) return fail(pins.error);

  const { loadPyodide } = await import(pathToFileURL(path.join(pyodidePackage.dir, "pyodide.mjs")));
  const pyodide = await loadPyodide({
    indexURL: pyodidePackage.dir + path.sep,
    // Hypothesis keeps its files in Pyodide's memory, not in the mounted repo.
    env: { HOME: "/home/pyodide", HYPOTHESIS_STORAGE_DIRECTORY: "/tmp/hypothesis" },
    // Pyodide's default, spelled out: a sync test may call asyncio.run() (as
    // test_edge_proxy_loop.py's Hypothesis test does); the WebLoop then blocks through JSPI.
    enableRunUntilComplete: true,
  });
  const write = (stream) => ({
    write(buffer) {
      stream.write(Buffer.from(buffer)); // copy: the buffer is a view of Pyodide's memory
      return buffer.length;
    },
  });
  pyodide.setStdout(write(process.stdout));
  pyodide.setStderr(write(process.stderr));
  const loadErrors = [];
  await pyodide.loadPackage(pins.wheels, {
    messageCallback: () => {},
    errorCallback: (message) => loadErrors.push(message),
  });
  if (loadErrors.length) return fail(`loading the wheels failed: ${loadErrors.join("; ")}`);
  const jsNetworkAttempts = [];
  blockJsNetwork(jsNetworkAttempts);

  pyodide.mountNodeFS(REPO, REPO);
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(HERE)})`);
  const files = readdirSync(path.join(REPO, "tests", "unit"))
    .filter((name) => /^test_edge_.*\.py$/.test(name))
    .sort()
    .map((name) => `tests/unit/${name}`);
  if (!files.length) return fail(`no tests/unit/test_edge_*.py under ${REPO}`);
  const inside = pyodide.pyimport("inside");
  const config = {
    repo: REPO,
    files,
    pytest_args: options.pytestArgs,
    max_examples: options.maxExamples,
  };
  const summary = JSON.parse(await inside.main.callPromising(JSON.stringify(config)));

  summary.network_attempts = [...summary.network_attempts, ...jsNetworkAttempts];
  let exitCode = summary.pytest_exit_code;
  if (exitCode === 0 && summary.selftest.pytest_exit_code !== 0) {
    process.stderr.write("pyodide runner: the self-test of tests/pyodide/inside.py failed\n");
    exitCode = 1;
  }
  if (exitCode === 0 && summary.network_attempts.length) {
    process.stderr.write(`pyodide runner: network used: ${summary.network_attempts.join("; ")}\n`);
    exitCode = 1;
  }
  if (exitCode === 0 && summary.async_passed_undriven.length) {
    process.stderr.write(
      `pyodide runner: coroutine tests passed without running: ${summary.async_passed_undriven}\n`,
    );
    exitCode = 1;
  }
  Object.assign(summary, {
    exit_code: exitCode,
    pyodide: pyodidePackage.version,
    node: process.version,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });
  // Leftover asyncio timers (a test's abandoned sleep) would keep Node alive: exit explicitly.
  process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(exitCode));
}

await main();
