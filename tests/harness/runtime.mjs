// What the Workers runtime gives a Python Worker besides the SDK, as small JS stand-ins.
//
// - `Clock`: the controllable `Date.now()` (the edge reads time through it; the emulator's tests
//   move a FakeClock the same way).
// - `ExecutionContext`: `ctx` with `waitUntil` (promises collected, `drain()` awaits them, their
//   errors are kept) and `passThroughOnException`; it stringifies as "[object
//   ExecutionContext]", which is what the runtime's `patchWaitUntil` checks before patching.
// - `entrypointHelper(...)`: the `_pyodide_entrypoint_helper` module that workerd registers with
//   `pyodide.registerJsModule` (src/pyodide/python-entrypoint-helper.ts, `setDoAnImport` and
//   `setupPatches`): `doAnImport`, `cloudflareWorkersModule`, `cloudflareSocketsModule`,
//   `patchWaitUntil` (a port of the runtime's: wrap the Python awaitable, copy its proxy so it
//   outlives the call, await it, destroy the copy) and `patch_env_helper` (the SDK's `patch_env`).
// - `compatFlags(date, flags)`: the `_cloudflare_compat_flags` module: the enable-flag names of
//   the Python flags of workerd's src/workerd/io/compatibility-date.capnp that are on for the
//   worker's compatibility date and flags (the SDK reads missing ones as False).

import { pathToFileURL } from "node:url";
import path from "node:path";

export class Clock {
  constructor(seconds) {
    this.ms = seconds * 1000;
  }

  now() {
    return this.ms / 1000;
  }

  advance(seconds) {
    if (!(seconds >= 0)) throw new RangeError("a clock only moves forward");
    this.ms += seconds * 1000;
  }

  set(seconds) {
    if (seconds * 1000 < this.ms) throw new RangeError("a clock only moves forward");
    this.ms = seconds * 1000;
  }

  /** Make `Date.now()` (and so `js.Date.now()` in Python) read this clock. */
  install() {
    Date.now = () => this.ms;
  }
}

/** The background work of one data center: every waitUntil promise, settled or not. */
export class Background {
  constructor() {
    this.pending = new Set();
    this.errors = [];
  }

  add(promise) {
    const tracked = Promise.resolve(promise).then(
      () => undefined,
      (error) => {
        this.errors.push(String(error?.message ?? error).trim().split("\n").at(-1));
      },
    );
    this.pending.add(tracked);
    tracked.finally(() => this.pending.delete(tracked));
  }

  /** Wait until no background work is left (work may schedule more work). */
  async drain() {
    let settled = 0;
    while (this.pending.size) {
      const batch = [...this.pending];
      await Promise.all(batch);
      settled += batch.length;
    }
    const errors = this.errors.splice(0);
    return { settled, errors };
  }
}

export class ExecutionContext {
  #background;

  constructor(background) {
    this.#background = background;
    this.props = {};
    this.passedThrough = false;
  }

  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }

  waitUntil(promise) {
    if (!promise || typeof promise.then !== "function") {
      throw new TypeError("Failed to execute 'waitUntil' on 'ExecutionContext': not a Promise.");
    }
    this.#background.add(promise);
  }

  passThroughOnException() {
    this.passedThrough = true;
  }
}

const patched = new WeakSet();

/** The runtime's patchWaitUntil: let `ctx.waitUntil` take a Python awaitable. */
export function patchWaitUntil(ctx) {
  let tag;
  try {
    tag = Object.prototype.toString.call(ctx);
  } catch {
    // a revoked proxy or the like: leave it alone, as the runtime does
  }
  if (tag !== "[object ExecutionContext]" || patched.has(ctx)) return;
  const original = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = function waitUntil(awaitable) {
    original(
      (async () => {
        let p = awaitable;
        if (p && typeof p === "object" && "copy" in p) p = p.copy();
        await p;
        if (p && typeof p === "object" && "destroy" in p) p.destroy();
      })(),
    );
  };
  patched.add(ctx);
}

export function entrypointHelper({ env, background, sdkDir }) {
  const cloudflareWorkersModule = {
    env,
    waitUntil: (promise) => background.add(promise),
  };
  const cloudflareSocketsModule = {
    connect() {
      throw new Error("cloudflare:sockets is not available in the popcache harness");
    },
  };
  return {
    cloudflareWorkersModule,
    cloudflareSocketsModule,
    patchWaitUntil,
    async doAnImport(name) {
      if (name === "cloudflare:workers") return cloudflareWorkersModule;
      if (name === "cloudflare:sockets") return cloudflareSocketsModule;
      const prefix = "python_modules/";
      if (name.startsWith(prefix) && /\.m?js$/.test(name)) {
        // The SDK's own JS modules (workflows.js), which wrangler registers as ES modules.
        return import(pathToFileURL(path.join(sdkDir, name.slice(prefix.length))).href);
      }
      throw new Error(`No such module "${name}".`);
    },
    *patch_env_helper(patch) {
      const saved = { ...env };
      Object.assign(env, Object.fromEntries(patch instanceof Map ? patch : Object.entries(patch)));
      try {
        yield;
      } finally {
        for (const key of Object.keys(env)) if (!(key in saved)) delete env[key];
        Object.assign(env, saved);
      }
    },
  };
}

// Python compatibility flags: enable flag -> [default-on date, or the flag that implies it
// after a date] (src/workerd/io/compatibility-date.capnp).
const PYTHON_FLAGS = {
  python_workers: { flagOnly: true },
  python_no_global_handlers: { date: "2025-08-14" },
  python_workers_force_new_vendor_path: { date: "2025-08-11" },
  python_workers_20250116: { impliedBy: "python_workers", after: "2025-09-29" },
  python_workflows: { impliedBy: "python_workers", after: "2025-09-20" },
  python_dedicated_snapshot: { impliedBy: "python_workers_20250116", after: "2025-10-16" },
  enable_python_external_sdk: { date: "2026-04-21" },
  python_check_rng_state: { impliedBy: "python_workers", after: "2025-12-16" },
  python_workflows_implicit_dependencies: { impliedBy: "python_workers", after: "2026-02-25" },
  python_request_headers_preserve_commas: { date: "2026-02-17" },
  python_process_pth_files: { date: "2026-05-26" },
};

export function compatFlags(date, flags) {
  const on = {};
  for (const [name, rule] of Object.entries(PYTHON_FLAGS)) {
    if (flags.includes(name) || (rule.date && date >= rule.date)) on[name] = true;
  }
  // Implications, in file order (each names a flag defined before it).
  for (const [name, rule] of Object.entries(PYTHON_FLAGS)) {
    if (rule.impliedBy && on[rule.impliedBy] && date >= rule.after) on[name] = true;
  }
  return on;
}
