"""The bounded memo: remembers until full, then starts over."""

from __future__ import annotations

from memo import Memo


def test_keep_remembers_and_returns_the_value():
    memo: Memo[str, int] = Memo(limit=2)
    assert memo.keep("a", 1) == 1
    assert memo["a"] == 1


def test_a_full_memo_is_emptied_before_the_next_entry():
    memo: Memo[str, int] = Memo(limit=2)
    memo.keep("a", 1)
    memo.keep("b", 2)
    memo.keep("c", 3)
    assert memo == {"c": 3}


def test_rewriting_a_known_key_below_the_limit_keeps_the_others():
    memo: Memo[str, int] = Memo(limit=3)
    memo.keep("a", 1)
    memo.keep("b", 2)
    memo.keep("a", 9)
    assert memo == {"a": 9, "b": 2}
