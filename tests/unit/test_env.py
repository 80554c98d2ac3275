"""env carries vars, secrets and KV bindings as the runtime shows them."""

from pathlib import Path

import pytest

from emulator.clock import FakeClock
from emulator.env import build_env
from emulator.runtime.jsproxy import JsObject
from emulator.runtime.kv import KVNamespace, KVStore
from emulator.wrangler import KVBinding, WorkerConfig


def config(**fields: object) -> WorkerConfig:
    return WorkerConfig(path=Path("wrangler.toml"), name="w", main=Path("main.py"), **fields)  # type: ignore[arg-type]


def test_a_string_var_is_a_str():
    env = build_env(config(vars={"ORIGIN": "http://o"}), KVStore(None), FakeClock())
    assert env.ORIGIN == "http://o"


def test_a_table_var_is_a_js_object():
    env = build_env(config(vars={"LIMITS": {"max": 3}}), KVStore(None), FakeClock())
    assert isinstance(env.LIMITS, JsObject)
    assert env.LIMITS.max == 3
    assert env.LIMITS.to_py() == {"max": 3}


def test_a_missing_binding_raises_attribute_error():
    env = build_env(config(), KVStore(None), FakeClock())
    with pytest.raises(AttributeError):
        env.NOPE  # noqa: B018


def test_secrets_and_overrides_win_over_vars():
    env = build_env(
        config(vars={"ORIGIN": "a", "TOKEN": "var"}, secrets={"TOKEN": "secret"}),
        KVStore(None),
        FakeClock(),
        {"ORIGIN": "b"},
    )
    assert (env.ORIGIN, env.TOKEN) == ("b", "secret")


async def test_kv_bindings_share_the_one_store():
    store = KVStore(None)
    kv = config(kv_namespaces=(KVBinding("NOTES", "notes"),))
    first, second = build_env(kv, store, FakeClock()), build_env(kv, store, FakeClock())
    assert isinstance(first.NOTES, KVNamespace)
    await first.NOTES.put("k", "v")
    assert await second.NOTES.get("k") == "v"
