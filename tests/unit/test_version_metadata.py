"""The version metadata binding: a version id that changes with the Worker's code, and only then."""

import re
from pathlib import Path

from emulator.clock import FakeClock
from emulator.env import build_env
from emulator.runtime.kv import KVStore
from emulator.runtime.version_metadata import bundle_id, version_metadata
from emulator.wrangler import WorkerConfig

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def worker(tmp_path: Path, code: str = "x = 1\n") -> Path:
    (tmp_path / "main.py").write_text(code)
    (tmp_path / "routes.toml").write_text("")
    return tmp_path


def test_the_id_is_a_uuid(tmp_path):
    assert UUID.match(bundle_id(worker(tmp_path)))


def test_the_same_code_has_the_same_id(tmp_path):
    root = worker(tmp_path)
    assert bundle_id(root) == bundle_id(root)


def test_changing_any_file_of_the_worker_changes_the_id(tmp_path):
    root = worker(tmp_path)
    before = bundle_id(root)
    (root / "routes.toml").write_text("[settings]\n")
    assert bundle_id(root) != before


def test_bytecode_caches_and_hidden_folders_do_not_change_the_id(tmp_path):
    root = worker(tmp_path)
    before = bundle_id(root)
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "main.cpython-313.pyc").write_bytes(b"\0")
    (root / ".venv").mkdir()
    (root / ".venv" / "x.py").write_text("")
    assert bundle_id(root) == before


def test_the_binding_has_id_tag_and_timestamp(tmp_path):
    binding = version_metadata(worker(tmp_path), 1_767_225_600.0)
    assert (binding.tag, binding.timestamp) == ("", "2026-01-01T00:00:00.000Z")
    assert UUID.match(binding.id)


def test_env_carries_the_binding_under_its_name(tmp_path):
    root = worker(tmp_path)
    config = WorkerConfig(
        path=root / "wrangler.toml", name="w", main=root / "main.py", version_metadata="VERSION"
    )
    env = build_env(config, KVStore(None), FakeClock())
    assert env.VERSION.id == bundle_id(root)
