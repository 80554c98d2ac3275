// The Pyodide harness: a Python Worker bundle, with the REAL workers-runtime-sdk, in Pyodide
// under Node, called the way the Workers runtime calls it. Driven by JSON lines on stdin.
//
//   node [--experimental-wasm-stack-switching | --experimental-wasm-jspi] harness.mjs CONFIG
//
// CONFIG is one JSON object: {pyodideDir, sdkDir, main (path of the main module), origin (the
// ORIGIN var), version: {id, tag, timestamp} (CF_VERSION_METADATA, omitted: no binding),
// kvNamespaces: [binding, ...] (wrangler.toml's [[kv_namespaces]]: each an empty in-memory
// KvNamespace, kv.mjs), compatibilityDate, compatibilityFlags, clock (start, seconds since the
// epoch)}. A missing prerequisite (Node < 20, node_modules/pyodide, the SDK, the main module) is
// ONE line on stderr and exit code 2. Once loaded it prints one line, {"ready": true, ...}, then
// answers each command line with exactly one JSON line ({"error": "..."} when a command fails).
// Everything else the process writes (Python's print, console.log) goes to stderr.
//
// Commands ({"op": ...}):
//   fetch     {method, url, headers: [[name, value], ...], body: str | null, bodyBase64?, cf?}
//             -> {status, statusText, headers: [[name, value], ...] (iteration order: sorted,
//                combined, Set-Cookie apart), body: str (UTF-8), bodyBase64}. An uncaught
//                exception is {status: 500, exception: "<traceback>"}, as workerd answers 500.
//                `cf` (a JSON object: latitude, longitude, city, country, ...) becomes the
//                request's `cf` property, as on workerd's incoming requests
//                (IncomingRequestCfProperties); without it `request.cf` is undefined, as for a
//                request that did not come through Cloudflare's edge.
//   scheduled {cron, scheduledTime?}   -> {ok: true} | {exception}
//   queue     {queue, messages: [body, ...], attempts?} -> {acked, retried} | {exception}
//             (a minimal MessageBatch: queue, messages {id, timestamp, body, attempts, ack(),
//             retry()}, ackAll(), retryAll())
//   advance   {seconds}                -> {now}        (moves Date.now())
//   clock     {set: seconds}           -> {now}
//   drain                              -> {settled, errors, subrequests} (awaits every
//                                         ctx.waitUntil promise; errors: their last lines)
//   cache-keys                         -> {entries: [{key, status, ttl, age, tags}, ...]}
//   purge     {everything | urls | tags} -> {purged}
//   kv-put    {binding, key, value: str} -> {ok: true} (env[binding].put(key, value))
//   kv-delete {binding, key}           -> {ok: true}
//   reset     {clock?, reimport?}      -> {forgotten}  (drain, fresh caches and KV namespaces,
//                                         clock moved to `clock`; reimport: a fresh isolate's
//                                         import of main)
//   exit                               -> {bye: true}, then the process ends
//
// How the entrypoint is called, from workerd's src/pyodide/python-entrypoint-helper.ts and
// python-entrypoint.js: the default export is a JS WorkerEntrypoint subclass whose constructor
// (ctx, env) constructs the Python `Default(ctx, env)` (doPyCall: a promising call) -- the SDK's
// WorkerEntrypoint.__init__ then calls `_pyodide_entrypoint_helper.patchWaitUntil(ctx)` and wraps
// env in its _EnvWrapper -- and a Proxy that routes each method call through
// introspection.wrapper_func(relaxed, instance, name, ...args): `fetch` relaxed (extra arguments
// dropped), others not; arguments through `python_from_rpc`, the result through `python_to_rpc`
// (a workers.Response becomes its JS Response, which the runtime sends). For a class entrypoint
// the runtime passes (event, undefined, undefined) to every handler -- env and ctx went to the
// constructor (src/workerd/io/worker.c++, getHandlerFromEntrypointClass: "we want the handler
// methods to act like they take just one parameter") -- so Python sees (event, None, None).

import readline from "node:readline";

import { CacheStorage } from "./cache.mjs";
import {
  bundleEnv,
  bundleOptions,
  callPython,
  emptyKvNamespaces,
  harnessHelpers,
  importMain,
  loadPyodideForBundle,
  SESSION,
  startupConfig,
} from "./bundle.mjs";
import { Background, Clock, ExecutionContext } from "./runtime.mjs";

const write = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);
// The protocol owns stdout: anything else printing goes to stderr.
console.log = console.error;
console.info = console.error;

const { config, fail } = startupConfig(
  "harness",
  "usage: node harness.mjs '<config JSON>' (see the header of tests/harness/harness.mjs)",
);

// --- the runtime's globals and bindings ----------------------------------------------------------

const clock = new Clock(config.clock ?? 1_767_225_600);
clock.install();
const background = new Background();
let caches = new CacheStorage(clock);
Object.defineProperty(globalThis, "caches", { get: () => caches, configurable: true });

// fetch: Node's own, to the real origin; counted, so `drain` can report subrequests too.
// Node's fetch applies the browser HTTP cache's rules to a request in cache mode "default":
// a conditional one (If-None-Match, If-Modified-Since, ...) becomes "no-store" and gains
// `Pragma: no-cache` and `Cache-Control: no-cache` (Fetch standard, HTTP-network-or-cache fetch,
// steps 15-17). workerd's fetch sends the request as the worker built it, so unless the worker
// chose a mode, the harness asks Node for "force-cache", which skips those steps and means
// nothing else here (Node's fetch has no HTTP cache).
const nodeFetch = globalThis.fetch;
let subrequests = 0;
globalThis.fetch = function fetch(input, init) {
  subrequests += 1;
  const chosen = init?.cache ?? (input instanceof Request ? input.cache : "default");
  return nodeFetch(input, chosen === "default" ? { ...init, cache: "force-cache" } : init);
};

const env = bundleEnv(config);

// --- the bundle ----------------------------------------------------------------------------------

const started = performance.now();
let bundle;
let helpers;
let mainModule;
let Default;
try {
  bundle = await loadPyodideForBundle(bundleOptions(config, env, background));
  const loaded = performance.now();
  await loadMain();
  write({
    ready: true,
    pyodide: bundle.pyodide.version,
    python: bundle.pyodide.runPython("import sys; sys.version.split()[0]"),
    jspi: bundle.jspi,
    flags: Object.keys(bundle.flags).sort(),
    loadMs: Math.round(loaded - started),
    importMs: Math.round(performance.now() - loaded),
  });
} catch (error) {
  fail(`loading the worker failed: ${String(error?.message ?? error).trim().split("\n").at(-1)}`);
}

async function loadMain() {
  helpers ??= harnessHelpers(bundle);
  mainModule?.destroy?.();
  Default?.destroy?.();
  mainModule = await importMain(bundle);
  Default = helpers.entrypoint_class(mainModule);
}

/** `new Default(ctx, env)` then `instance[name](...args)`, as the runtime's entrypoint Proxy. */
async function invoke(name, args, ctx) {
  const instance = await callPython(bundle, Default, [ctx, env]);
  try {
    return await callPython(bundle, helpers.call_method, [name === "fetch", instance, name, ...args]);
  } finally {
    instance.destroy();
  }
}

function exceptionText(error) {
  return String(error?.message ?? error).trim();
}

// --- commands ------------------------------------------------------------------------------------

async function doFetch({
  method = "GET",
  url,
  headers = [],
  body = null,
  bodyBase64 = null,
  cf = null,
}) {
  const init = { method, headers };
  if (bodyBase64 !== null) init.body = Buffer.from(bodyBase64, "base64");
  else if (body !== null) init.body = body;
  const request = new Request(url, init);
  // workerd's Request has a `cf` accessor, undefined unless the request came through the edge.
  if (cf !== null) {
    const properties = JSON.parse(JSON.stringify(cf));
    Object.defineProperty(request, "cf", { get: () => properties, enumerable: true });
  }
  const ctx = new ExecutionContext(background);
  let response;
  try {
    response = await invoke("fetch", [request, undefined, undefined], ctx);
  } catch (error) {
    return { status: 500, exception: exceptionText(error) };
  }
  if (!(response instanceof Response)) {
    return {
      status: 500,
      exception: "TypeError: Incorrect type for Promise: the Promise did not resolve to 'Response'.",
    };
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body: bytes.toString("utf8"),
    bodyBase64: bytes.toString("base64"),
  };
}

async function doScheduled({ cron = "", scheduledTime = null }) {
  const controller = {
    cron,
    scheduledTime: scheduledTime ?? clock.ms,
    noRetry() {},
    get [Symbol.toStringTag]() {
      return "ScheduledController";
    },
  };
  const ctx = new ExecutionContext(background);
  try {
    await invoke("scheduled", [controller, undefined, undefined], ctx);
    return { ok: true };
  } catch (error) {
    return { exception: exceptionText(error) };
  }
}

async function doQueue({ queue, messages = [], attempts = 1 }) {
  const acked = new Set();
  const retried = new Set();
  const batch = {
    queue,
    messages: messages.map((body, index) => ({
      id: `message-${index}`,
      timestamp: new Date(clock.ms),
      body,
      attempts,
      ack: () => acked.add(index),
      retry: () => retried.add(index),
    })),
    ackAll: () => messages.forEach((_, index) => acked.add(index)),
    retryAll: () => messages.forEach((_, index) => retried.add(index)),
  };
  const ctx = new ExecutionContext(background);
  try {
    await invoke("queue", [batch, undefined, undefined], ctx);
    return { acked: [...acked].sort(), retried: [...retried].sort() };
  } catch (error) {
    return { exception: exceptionText(error) };
  }
}

async function doReset({ clock: start = null, reimport = false }) {
  await background.drain();
  caches = new CacheStorage(clock);
  emptyKvNamespaces(env, config);
  if (start !== null) clock.ms = start * 1000;
  let forgotten = 0;
  if (reimport) {
    forgotten = helpers.forget_bundle(SESSION);
    await loadMain();
  }
  subrequests = 0;
  return { forgotten };
}

/** The KV namespace bound as `binding` (an error naming the bindings there are if none). */
function kvNamespace(binding) {
  const bindings = config.kvNamespaces ?? [];
  if (!bindings.includes(binding)) {
    const known = bindings.join(", ") || "none";
    throw new Error(`no KV namespace is bound as ${JSON.stringify(binding)} (bindings: ${known})`);
  }
  return env[binding];
}

const COMMANDS = {
  fetch: doFetch,
  scheduled: doScheduled,
  queue: doQueue,
  advance: ({ seconds }) => (clock.advance(seconds), { now: clock.now() }),
  clock: ({ set }) => (clock.set(set), { now: clock.now() }),
  drain: async () => ({ ...(await background.drain()), subrequests }),
  "cache-keys": () => ({ entries: caches.entries() }),
  purge: ({ everything = false, urls = null, tags = null }) => ({
    purged: everything
      ? caches.purgeEverything()
      : urls
        ? caches.purgeUrls(urls)
        : caches.purgeTags(tags ?? []),
  }),
  "kv-put": async ({ binding, key, value }) => {
    await kvNamespace(binding).put(key, value);
    return { ok: true };
  },
  "kv-delete": async ({ binding, key }) => {
    await kvNamespace(binding).delete(key);
    return { ok: true };
  },
  reset: doReset,
  exit: () => ({ bye: true }),
};

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let command;
  try {
    command = JSON.parse(line);
  } catch {
    write({ error: `not a JSON line: ${line.slice(0, 80)}` });
    continue;
  }
  const handler = COMMANDS[command.op];
  if (!handler) {
    write({ error: `unknown op ${JSON.stringify(command.op)} (ops: ${Object.keys(COMMANDS).join(", ")})` });
    continue;
  }
  try {
    write(await handler(command));
  } catch (error) {
    write({ error: exceptionText(error) });
  }
  if (command.op === "exit") break;
}
process.exit(0);
