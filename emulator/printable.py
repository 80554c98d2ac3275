"""Text from requests made safe to print: a control character shows as its escape.

A path, a zone or a class comes from a client or a worker; printed as it is, a newline would
forge a log line and an escape sequence would drive the terminal.
"""

from __future__ import annotations

__all__ = ["printable"]


def printable(text: str) -> str:
    """``text`` with every character that does not print (controls, lone surrogates, line and
    paragraph separators) written as its backslash escape, and backslashes doubled."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        char
        if char.isprintable() and char != "\\"
        else char.encode("unicode_escape", "backslashreplace").decode("ascii")
        for char in text
    )
