"""Structured Field Values (RFC 8941), parsing only: what CDN-Cache-Control and Cache-Groups need.

Both fields are Structured Fields (RFC 9213 §2.1, RFC 9875 §2), and a field that fails to parse
is ignored as a whole (RFC 8941 §4.2), so a lenient hand-rolled parser would be wrong. This one
follows the parsing algorithms of RFC 8941 §4.2 step by step; the step numbers in comments are
that section's. Any failure raises ``SFVError``; nothing else escapes.
"""

from __future__ import annotations

import binascii
import string
from base64 import b64decode
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "BareItem",
    "InnerList",
    "Item",
    "Member",
    "SFVError",
    "Token",
    "parse_dictionary",
    "parse_list",
]


class SFVError(ValueError):
    """The field value is not a valid Structured Field; RFC 8941 §4.2 says ignore the field."""


class Token(str):
    """An sf-token (RFC 8941 §3.3.4), kept apart from an sf-string by its type."""

    __slots__ = ()


BareItem: TypeAlias = int | float | str | bytes | bool


@dataclass(frozen=True, slots=True)
class Item:
    """An Item (RFC 8941 §3.3): a bare value and its parameters."""

    value: BareItem
    params: dict[str, BareItem]


@dataclass(frozen=True, slots=True)
class InnerList:
    """An Inner List (RFC 8941 §3.1.1): items and the list's own parameters."""

    items: tuple[Item, ...]
    params: dict[str, BareItem]


Member: TypeAlias = Item | InnerList

_DIGITS = frozenset(string.digits)
_ALPHA = frozenset(string.ascii_letters)
_LCALPHA = frozenset(string.ascii_lowercase)
_KEY_START = _LCALPHA | {"*"}
_KEY_CHARS = _LCALPHA | _DIGITS | frozenset("_-.*")
_NUMBER_START = _DIGITS | {"-"}
_TOKEN_START = _ALPHA | {"*"}
_TOKEN_CHARS = _ALPHA | _DIGITS | frozenset("!#$%&'*+-.^_`|~:/")
_BASE64 = _ALPHA | _DIGITS | frozenset("+/=")
_OWS = " \t"


def parse_list(value: str) -> list[Member]:
    """Parse ``value`` as an sf-list (RFC 8941 §4.2 with §4.2.1); raise ``SFVError`` if invalid."""
    parser = _Parser(value)
    members = parser.list()
    parser.finish()
    return members


def parse_dictionary(value: str) -> dict[str, Member]:
    """Parse ``value`` as an sf-dictionary (RFC 8941 §4.2 with §4.2.2); a repeated key's last
    value wins, a bare key is ``True``. Raise ``SFVError`` if invalid."""
    parser = _Parser(value)
    members = parser.dictionary()
    parser.finish()
    return members


class _Parser:
    """The input_string of RFC 8941 §4.2, consumed from the left by the §4.2.x algorithms."""

    __slots__ = ("pos", "text")

    def __init__(self, value: str) -> None:
        if not value.isascii():  # §4.2 step 1
            raise SFVError("non-ASCII character")
        self.text = value
        self.pos = len(value) - len(value.lstrip(" "))  # §4.2 step 2

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def finish(self) -> None:
        self.skip(" ")  # §4.2 steps 6-7
        if self.pos < len(self.text):
            raise SFVError("trailing characters")

    def comma(self) -> bool:
        """After a member (§4.2.1, §4.2.2): True when another member follows."""
        self.skip(_OWS)
        if not self.peek():
            return False
        if self.take() != ",":
            raise SFVError("expected ','")
        self.skip(_OWS)
        if not self.peek():
            raise SFVError("trailing ','")
        return True

    def list(self) -> list[Member]:  # §4.2.1
        members: list[Member] = []
        while self.peek():
            members.append(self.member())
            if not self.comma():
                break
        return members

    def dictionary(self) -> dict[str, Member]:  # §4.2.2
        members: dict[str, Member] = {}
        while self.peek():
            key = self.key()
            if self.peek() == "=":
                self.pos += 1
                members[key] = self.member()
            else:
                members[key] = Item(True, self.params())
            if not self.comma():
                break
        return members

    def member(self) -> Member:  # §4.2.1.1
        return self.inner_list() if self.peek() == "(" else self.item()

    def inner_list(self) -> InnerList:  # §4.2.1.2
        self.pos += 1
        items: list[Item] = []
        while self.peek():
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise SFVError("bad inner list")
        raise SFVError("unterminated inner list")

    def item(self) -> Item:  # §4.2.3
        return Item(self.bare_item(), self.params())

    def params(self) -> dict[str, BareItem]:  # §4.2.3.2
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.key()
            params[key] = True
            if self.peek() == "=":
                self.pos += 1
                params[key] = self.bare_item()
        return params

    def key(self) -> str:  # §4.2.3.3
        if self.peek() not in _KEY_START:
            raise SFVError("bad key")
        start = self.pos
        while self.peek() in _KEY_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_item(self) -> BareItem:  # §4.2.3.1
        char = self.peek()
        if char in _NUMBER_START:
            return self.number()
        if char == '"':
            return self.string()
        if char in _TOKEN_START:
            start = self.pos  # §4.2.6
            while self.peek() in _TOKEN_CHARS:
                self.pos += 1
            return Token(self.text[start : self.pos])
        if char == ":":
            return self.byte_sequence()
        if char == "?":  # §4.2.8
            self.pos += 1
            flag = self.take()
            if flag not in ("0", "1"):
                raise SFVError("bad boolean")
            return flag == "1"
        raise SFVError("bad item")

    def number(self) -> int | float:  # §4.2.4
        sign = 1
        if self.peek() == "-":
            self.pos += 1
            sign = -1
        if self.peek() not in _DIGITS:
            raise SFVError("bad number")
        start, decimal = self.pos, False
        while self.peek():
            char = self.peek()
            if char == "." and not decimal:
                if self.pos - start > 12:
                    raise SFVError("decimal too long")
                decimal = True
            elif char not in _DIGITS:
                break
            self.pos += 1
            if self.pos - start > (16 if decimal else 15):
                raise SFVError("number too long")
        digits = self.text[start : self.pos]
        if not decimal:
            return sign * int(digits)
        if digits.endswith(".") or len(digits) - digits.index(".") - 1 > 3:
            raise SFVError("bad decimal")
        return sign * float(digits)

    def string(self) -> str:  # §4.2.5
        self.pos += 1
        chars: list[str] = []
        while self.peek():
            char = self.take()
            if char == "\\":
                escaped = self.take()
                if escaped not in ('"', "\\"):
                    raise SFVError("bad escape")
                chars.append(escaped)
            elif char == '"':
                return "".join(chars)
            elif not " " <= char <= "~":
                raise SFVError("bad string character")
            else:
                chars.append(char)
        raise SFVError("unterminated string")

    def byte_sequence(self) -> bytes:  # §4.2.7
        end = self.text.find(":", self.pos + 1)
        if end < 0:
            raise SFVError("unterminated byte sequence")
        content = self.text[self.pos + 1 : end]
        self.pos = end + 1
        if not set(content) <= _BASE64 or "=" in content.rstrip("="):
            raise SFVError("bad base64")
        # §4.2.7: parsers SHOULD NOT fail when "=" padding is absent.
        padded = content.rstrip("=") + "=" * (-len(content.rstrip("=")) % 4)
        try:
            return b64decode(padded, validate=True)
        except binascii.Error as error:
            raise SFVError("bad base64") from error
