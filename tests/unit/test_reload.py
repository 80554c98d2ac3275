"""The reload watcher notices added, changed and removed worker files."""

import os

from emulator.reload import snapshot


def test_snapshot_lists_python_and_toml_files(tmp_path):
    (tmp_path / "main.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "main.py").write_text("")
    assert set(snapshot([tmp_path])) == {tmp_path / "main.py"}


def test_a_changed_file_changes_the_snapshot(tmp_path):
    main = tmp_path / "main.py"
    main.write_text("a")
    before = snapshot([tmp_path])
    os.utime(main, (1, 1))
    assert snapshot([tmp_path]) != before


def test_a_removed_file_changes_the_snapshot(tmp_path):
    (tmp_path / "main.py").write_text("a")
    (tmp_path / "other.py").write_text("b")
    before = snapshot([tmp_path])
    (tmp_path / "other.py").unlink()
    assert snapshot([tmp_path]) != before
