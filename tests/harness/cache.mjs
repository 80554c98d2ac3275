// The Workers Cache API (`caches.default`, `await caches.open(name)`) for the Pyodide harness.
//
// A JS port of the contract the emulator implements (emulator/runtime/cache.py and
// emulator/runtime/cache_http.py, whose docstrings cite Cloudflare's documentation, workerd's
// src/workerd/api/cache.c++ and Miniflare's cache service). The same rules, so that the
// conformance suite can hold the emulator's Cache API and this one side by side:
//
// - Keys are URLs: a string or a Request, normalised by `new URL()` (the reference for what the
//   emulator's `normalize_url` reimplements) without the fragment; only absolute http(s) URLs,
//   else TypeError("Invalid URL. Cache API keys must be fully-qualified, valid URLs.").
// - put(): TypeErrors with workerd's messages (not a Response, an error response, a non-GET key,
//   a 206, `Vary: *`, a 101, a used body); a 304 is dropped unread; otherwise the body is read and
//   stored unless refused silently: Cache-Control no-store / no-cache / private (but
//   `private=Set-Cookie` stores without the cookies), Pragma: no-cache without Cache-Control,
//   Set-Cookie, a body over 512 MB, or a TTL <= 0. TTL: s-maxage, else max-age, else Expires
//   minus Date (or now), else Cloudflare's default Edge TTL for the status, minus the Age the
//   response came with. Cache-Tag is kept for purges and never shown again.
// - match(): undefined for a non-GET key (unless ignoreMethod), a miss or an expired entry
//   (evicted then). A hit is a new Response with the stored fields plus `CF-Cache-Status: HIT`,
//   `Age` (seconds since put, plus the Age it came with) and `Content-Length`. A Request key's
//   If-None-Match / If-Modified-Since give a 304, its Range a 206 (one range), a
//   multipart/byteranges 206 (several) or a 416.
// - delete(): true if a live entry was removed.
//
// Harness-only (the emulator's CacheStorage has the same): purgeEverything(), purgeUrls(urls),
// purgeTags(tags), entries() (what is live: key, status, seconds of TTL left, age, tags).
//
// One narrowing: HTTP dates (Expires, Date, If-Modified-Since, Last-Modified) are parsed in the
// three forms of RFC 9110 §5.6.7 only; Python's email.utils, which the emulator uses, also takes
// a few other RFC 2822 spellings. The edge never relies on those.

export const MAX_OBJECT_SIZE = 512 * 1024 * 1024;
export const DEFAULT_EDGE_TTL = new Map([
  [200, 7200], [206, 7200], [301, 7200], [302, 1200], [303, 1200], [404, 180], [410, 180],
]);
const MAX_DELTA_SECONDS = 2 ** 31;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export const INVALID_URL = "Invalid URL. Cache API keys must be fully-qualified, valid URLs.";
const NON_GET = "Cannot cache response to non-GET request.";
const PARTIAL = "Cannot cache response to a range request (206 Partial Content).";
const VARY_STAR = "Cannot cache response with 'Vary: *' header.";
const WEBSOCKET = "Cannot cache WebSocket upgrade response.";
const ERROR_RESPONSE = "Cache is unable to store an error response";
const BODY_USED =
  "Body has already been used. It can only be used once. Use tee() first if you need to " +
  "read it twice.";
const NOT_A_RESPONSE =
  "Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.";
const UNSTORED = new Set(["set-cookie", "cache-tag", "age", "content-length", "cf-cache-status"]);

export function normalizeUrl(url) {
  let parsed;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new TypeError(INVALID_URL);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError(INVALID_URL);
  }
  parsed.hash = "";
  return parsed.href;
}

/** Directives of a Cache-Control value: lower-case names, unquoted values, first one wins. */
export function parseCacheControl(value) {
  const directives = new Map();
  for (const match of (value ?? "").matchAll(/([^\s=,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?/g)) {
    const name = match[1].toLowerCase();
    let raw = match[2];
    if (raw !== undefined) {
      raw = raw.trim();
      if (raw.startsWith('"')) raw = raw.slice(1, -1).replace(/\\(.)/g, "$1");
    } else {
      raw = null;
    }
    if (!directives.has(name)) directives.set(name, raw);
  }
  return directives;
}

export function parseCacheTags(value) {
  return new Set(
    (value ?? "").split(",").map((tag) => tag.trim().toLowerCase()).filter((tag) => tag),
  );
}

function deltaSeconds(value) {
  // RFC 9111 §1.2.2 delta-seconds; anything else is invalid, so stale (§4.2.1).
  if (value === null || value === undefined || !/^[0-9]+$/.test(value)) return 0;
  return Math.min(Number(value), MAX_DELTA_SECONDS);
}

function ageOf(headers) {
  const value = (headers.get("age") ?? "").trim();
  return value ? deltaSeconds(value) : 0;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const HTTP_DATE_FORMS = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT (the day name and zone loosely, as email.utils)
  /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(GMT|UTC|UT|Z|[+-]\d{4})?$/,
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  /^(?:[A-Za-z]+,\s*)?(\d{1,2})-([A-Za-z]{3})-(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(GMT|UTC|UT|Z|[+-]\d{4})?$/,
];
const ASCTIME = /^[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})$/;

/** Seconds since the epoch of an HTTP-date (RFC 9110 §5.6.7, all three forms), else null. */
export function parseHttpDate(value) {
  const text = String(value).trim();
  let day, month, year, hour, minute, second, zone;
  const asctime = ASCTIME.exec(text);
  if (asctime) {
    [, month, day, hour, minute, second, year] = asctime;
    zone = "GMT";
  } else {
    const match = HTTP_DATE_FORMS.map((form) => form.exec(text)).find((found) => found);
    if (!match) return null;
    [, day, month, year, hour, minute, second, zone] = match;
  }
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (monthIndex < 0) return null;
  let fullYear = Number(year);
  if (year.length <= 2) fullYear += fullYear > 68 ? 1900 : 2000; // as email.utils
  let offset = 0;
  if (zone && /^[+-]\d{4}$/.test(zone)) {
    const sign = zone[0] === "-" ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(3, 5)) * 60);
  }
  const ms = Date.UTC(fullYear, monthIndex, Number(day), Number(hour), Number(minute),
    Number(second ?? 0));
  return Number.isNaN(ms) ? null : ms / 1000 - offset;
}

export function isStorable(headers) {
  const directives = parseCacheControl(headers.get("cache-control"));
  if (directives.has("no-store") || directives.has("no-cache")) return false;
  // RFC 9111 §5.4: Pragma: no-cache counts only without Cache-Control (Miniflare does too).
  if (!headers.has("cache-control") && (headers.get("pragma") ?? "").toLowerCase().includes("no-cache")) {
    return false;
  }
  if (directives.has("private")) {
    // Only private=Set-Cookie lets a shared cache keep the rest of the response.
    const fields = new Set(
      (directives.get("private") ?? "").split(",").map((f) => f.trim().toLowerCase()).filter((f) => f),
    );
    return fields.size === 1 && fields.has("set-cookie");
  }
  return headers.getSetCookie().length === 0;
}

/** Seconds a response put at `now` stays fresh (<= 0: not stored). */
export function ttlOf(headers, now, status = 200) {
  const directives = parseCacheControl(headers.get("cache-control"));
  let lifetime;
  if (directives.has("s-maxage")) {
    lifetime = deltaSeconds(directives.get("s-maxage"));
  } else if (directives.has("max-age")) {
    lifetime = deltaSeconds(directives.get("max-age"));
  } else if (headers.get("expires") !== null) {
    const expires = parseHttpDate(headers.get("expires"));
    const date = parseHttpDate(headers.get("date") ?? "");
    // RFC 9111 §5.3: an invalid Expires, "0" included, is already in the past.
    lifetime = expires === null ? 0 : expires - (date === null ? now : date);
  } else {
    lifetime = DEFAULT_EDGE_TTL.get(status) ?? 0;
  }
  return lifetime - ageOf(headers);
}

// --- conditionals and ranges (cache_http) -------------------------------------------------------

const ENTITY_TAG = /(?:W\/)?"([^"]*)"/g;

function weakEtagMatch(a, b) {
  const tagA = /^(?:W\/)?"([^"]*)"$/.exec(a.trim());
  const tagB = /^(?:W\/)?"([^"]*)"$/.exec(b.trim());
  return tagA !== null && tagB !== null && tagA[1] === tagB[1];
}

function isNotModified({ ifNoneMatch, ifModifiedSince, etag, lastModified }) {
  if (ifNoneMatch !== null) {
    if (etag === null) return false;
    if (ifNoneMatch.trim() === "*") return true;
    return [...ifNoneMatch.matchAll(ENTITY_TAG)].some((tag) => weakEtagMatch(tag[0], etag));
  }
  if (ifModifiedSince === null || lastModified === null) return false;
  const since = parseHttpDate(ifModifiedSince);
  const modified = parseHttpDate(lastModified);
  return since !== null && modified !== null && modified <= since;
}

/** Miniflare's parseRanges contract: null unsatisfiable (416), [] whole (200), else 206. */
function parseRange(header, size) {
  const unit = /^ *bytes *=/i.exec(header);
  if (!unit) return null;
  const specs = header.slice(unit[0].length);
  if (!specs.trim()) return [];
  const ranges = [];
  for (const spec of specs.split(",")) {
    const match = /^ *([0-9]+)? *- *([0-9]+)? *$/.exec(spec);
    if (!match) return null;
    const [, first, last] = match;
    if (first !== undefined) {
      const start = Number(first);
      const end = last === undefined ? size - 1 : Number(last);
      if (start > end || start >= size) return null;
      ranges.push([start, Math.min(end, size - 1)]);
    } else if (last !== undefined) {
      const suffix = Number(last);
      if (suffix >= size) return [];
      if (suffix > 0) ranges.push([size - suffix, size - 1]);
    } else {
      return null;
    }
  }
  return ranges;
}

function multipartByteranges(body, ranges, boundary, contentType) {
  const encoder = new TextEncoder();
  const parts = [];
  ranges.forEach(([start, end], index) => {
    let head = `--${boundary}\r\n`;
    if (contentType !== null) head += `Content-Type: ${contentType}\r\n`;
    head += `Content-Range: bytes ${start}-${end}/${body.length}\r\n\r\n`;
    if (index > 0) parts.push(encoder.encode("\r\n"));
    parts.push(encoder.encode(head), body.subarray(start, end + 1));
  });
  parts.push(encoder.encode(`\r\n--${boundary}--`));
  return Buffer.concat(parts);
}

// --- the cache -----------------------------------------------------------------------------------

function keyOf(request, methodName) {
  if (typeof request === "string") return [normalizeUrl(request), "GET", new Headers()];
  if (request instanceof Request) return [normalizeUrl(request.url), request.method, request.headers];
  throw new TypeError(
    `Failed to execute '${methodName}' on 'Cache': parameter 1 is not of type 'Request or string'.`,
  );
}

function ignoreMethod(options) {
  return Boolean(options && options.ignoreMethod);
}

export class Cache {
  constructor(clock, maxObjectSize = MAX_OBJECT_SIZE) {
    this._clock = clock;
    this._maxObjectSize = maxObjectSize;
    this._entries = new Map();
  }

  async match(request, options) {
    const [url, method, requestHeaders] = keyOf(request, "match");
    if (method !== "GET" && !ignoreMethod(options)) return undefined;
    const entry = this._live(url);
    return entry === null ? undefined : respond(entry, requestHeaders, this._clock.now());
  }

  async put(request, response) {
    if (!(response instanceof Response)) throw new TypeError(NOT_A_RESPONSE);
    if (response.type === "error") throw new TypeError(ERROR_RESPONSE);
    const [url, method] = keyOf(request, "put");
    if (method !== "GET") throw new TypeError(NON_GET);
    if (response.status === 206) throw new TypeError(PARTIAL);
    if ((response.headers.get("vary") ?? "").includes("*")) throw new TypeError(VARY_STAR);
    if (response.status === 304) return undefined;
    if (response.status === 101) throw new TypeError(WEBSOCKET);
    if (response.bodyUsed) throw new TypeError(BODY_USED);
    const body = new Uint8Array(await response.arrayBuffer());
    const now = this._clock.now();
    const ttl = ttlOf(response.headers, now, response.status);
    if (body.length > this._maxObjectSize || !isStorable(response.headers) || ttl <= 0) {
      return undefined;
    }
    this._entries.set(url, {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers].filter(([name]) => !UNSTORED.has(name)),
      body,
      storedAt: now,
      expiresAt: now + ttl,
      initialAge: ageOf(response.headers),
      tags: parseCacheTags(response.headers.get("cache-tag")),
    });
    return undefined;
  }

  async delete(request, options) {
    const [url, method] = keyOf(request, "delete");
    if (method !== "GET" && !ignoreMethod(options)) return false;
    return this._live(url) !== null && this._entries.delete(url);
  }

  _live(url) {
    const entry = this._entries.get(url);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this._clock.now()) {
      this._entries.delete(url);
      return null;
    }
    return entry;
  }

  _liveEntries() {
    for (const url of [...this._entries.keys()]) this._live(url);
    return this._entries;
  }

  _drop(doomed) {
    let dropped = 0;
    for (const [url, entry] of [...this._liveEntries()]) {
      if (doomed(url, entry)) {
        this._entries.delete(url);
        dropped += 1;
      }
    }
    return dropped;
  }
}

function entryAge(entry, now) {
  return Math.trunc(entry.initialAge + now - entry.storedAt);
}

function respond(entry, requestHeaders, now) {
  const headers = new Headers(entry.headers);
  headers.append("cf-cache-status", "HIT");
  headers.append("age", String(entryAge(entry, now)));
  if ([...requestHeaders].length === 0) return whole(entry, headers);
  if (entry.status >= 200 && entry.status <= 299 && isNotModified({
    ifNoneMatch: requestHeaders.get("if-none-match"),
    ifModifiedSince: requestHeaders.get("if-modified-since"),
    etag: headers.get("etag"),
    lastModified: headers.get("last-modified"),
  })) {
    return new Response(null, { status: 304, headers });
  }
  const size = entry.body.length;
  const rangeHeader = requestHeaders.get("range");
  const ranges = rangeHeader === null || entry.status !== 200 ? [] : parseRange(rangeHeader, size);
  if (ranges === null) {
    return new Response(null, {
      status: 416,
      headers: { "content-range": `bytes */${size}`, "cf-cache-status": "HIT" },
    });
  }
  if (ranges.length === 1) {
    const [[start, end]] = ranges;
    const part = entry.body.subarray(start, end + 1);
    headers.set("content-range", `bytes ${start}-${end}/${size}`);
    headers.set("content-length", String(part.length));
    return new Response(part, { status: 206, headers });
  }
  if (ranges.length > 1) {
    const boundary = `popcache-boundary-${crypto.randomUUID().replaceAll("-", "")}`;
    const part = multipartByteranges(entry.body, ranges, boundary, headers.get("content-type"));
    headers.set("content-type", `multipart/byteranges; boundary=${boundary}`);
    headers.set("content-length", String(part.length));
    return new Response(part, { status: 206, headers });
  }
  return whole(entry, headers);
}

function whole(entry, headers) {
  if (NULL_BODY_STATUSES.has(entry.status)) {
    return new Response(null, { status: entry.status, statusText: entry.statusText, headers });
  }
  headers.append("content-length", String(entry.body.length));
  return new Response(entry.body.slice(), {
    status: entry.status,
    statusText: entry.statusText,
    headers,
  });
}

/** `caches` of one data center: `default` plus named caches. */
export class CacheStorage {
  constructor(clock, maxObjectSize = MAX_OBJECT_SIZE) {
    this._clock = clock;
    this._maxObjectSize = maxObjectSize;
    this.default = new Cache(clock, maxObjectSize);
    this._named = new Map();
  }

  async open(name) {
    if (!this._named.has(name)) this._named.set(name, new Cache(this._clock, this._maxObjectSize));
    return this._named.get(name);
  }

  purgeEverything() {
    return this._caches().reduce((sum, cache) => sum + cache._drop(() => true), 0);
  }

  purgeUrls(urls) {
    const keys = new Set(urls.map(normalizeUrl));
    return this._caches().reduce((sum, cache) => sum + cache._drop((url) => keys.has(url)), 0);
  }

  purgeTags(tags) {
    const wanted = new Set(tags.map((tag) => tag.trim().toLowerCase()));
    return this._caches().reduce(
      (sum, cache) => sum + cache._drop((_url, entry) => [...entry.tags].some((t) => wanted.has(t))),
      0,
    );
  }

  /** What `caches.default` holds now, sorted by key: the conformance suite's side effect. */
  entries() {
    const now = this._clock.now();
    return [...this.default._liveEntries()]
      .map(([key, entry]) => ({
        key,
        status: entry.status,
        ttl: entry.expiresAt - now,
        age: entryAge(entry, now),
        tags: [...entry.tags].sort(),
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  _caches() {
    return [this.default, ...this._named.values()];
  }
}
