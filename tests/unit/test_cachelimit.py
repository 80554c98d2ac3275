"""A full emulated cache makes room: the expired entries first, then the longest stored."""

from emulator.runtime.cachelimit import evict


def test_nothing_goes_while_there_is_room():
    entries = {"a": 1, "b": 2}
    evict(entries, 2, lambda entry: False)
    assert entries == {"a": 1, "b": 2}


def test_the_expired_go_first():
    entries = {f"u{n}": n for n in range(11)}
    evict(entries, 10, lambda entry: entry != 5)
    assert "u5" not in entries
    assert next(iter(entries)) == "u1"  # then the longest stored, down to nine tenths


def test_past_the_limit_the_longest_stored_go_down_to_nine_tenths():
    entries = {f"u{n}": n for n in range(11)}
    evict(entries, 10, lambda entry: True)
    assert list(entries) == [f"u{n}" for n in range(2, 11)]
