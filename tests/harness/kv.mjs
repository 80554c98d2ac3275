// A KV namespace binding (`env.<binding>` of a [[kv_namespaces]] entry), in memory: the part of
// the Workers KV API (https://developers.cloudflare.com/kv/api/) the edge uses.
//
// - `get(key, type?)`: a Promise of the value as a string, or of `null` when the key is absent
//   (/kv/api/read-key-value-pairs/). `type` is "text" (the default) or "json", given as a string
//   or as `{type}`; any other type is a TypeError with workerd's message.
// - `put(key, value)`: a Promise of undefined; `value` a string (/kv/api/write-key-value-pairs/).
//   Options (expiration, metadata) are not supported: a call with them is a TypeError, not a
//   silent difference from production.
// - `delete(key)`: a Promise of undefined; a missing key is fine (/kv/api/delete-key-value-pairs/).
// - Keys are non-empty strings other than "." and ".." (workerd's TypeErrors).
//
// The class is named `KvNamespace`, as workerd's binding class is: the SDK's `_EnvWrapper` wraps a
// binding whose constructor has that name in its `_BindingWrapper`, which passes every result
// through `python_from_rpc` (so a `null` reaches Python as None, not `pyodide.ffi.jsnull`).

const UNKNOWN_TYPE =
  'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".';

function checkKey(key) {
  if (typeof key !== "string") throw new TypeError(`KV key must be a string, got ${typeof key}`);
  if (key === "") throw new TypeError("Key name cannot be empty.");
  if (key === "." || key === "..") throw new TypeError(`"${key}" is not allowed as a key name.`);
}

export class KvNamespace {
  #values = new Map();

  async get(key, options = "text") {
    checkKey(key);
    const type = typeof options === "string" ? options : (options?.type ?? "text");
    if (type !== "text" && type !== "json") throw new TypeError(UNKNOWN_TYPE);
    const value = this.#values.get(key);
    if (value === undefined) return null;
    return type === "json" ? JSON.parse(value) : value;
  }

  async put(key, value, options = undefined) {
    checkKey(key);
    if (typeof value !== "string") throw new TypeError("the harness's KV stores strings only");
    if (options !== undefined) throw new TypeError("the harness's KV takes no put() options");
    this.#values.set(key, value);
  }

  async delete(key) {
    checkKey(key);
    this.#values.delete(key);
  }
}
