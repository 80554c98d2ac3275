"""The dashboard page's files, read as text: names from requests can never become markup, and
the page needs no network."""

from __future__ import annotations

import re
from importlib import resources

import pytest

FILES = ("dashboard.html", "dashboard.js", "dashboard.css")
MARKUP_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def text(name: str) -> str:
    return resources.files("emulator").joinpath("static", name).read_text()


@pytest.mark.parametrize("sink", MARKUP_SINKS)
def test_the_script_never_writes_markup(sink: str) -> None:
    assert sink not in text("dashboard.js")


@pytest.mark.parametrize("name", FILES)
def test_the_page_names_no_other_host(name: str) -> None:
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'`)]*", text(name)))
    assert urls <= {SVG_NAMESPACE}


def test_the_page_has_no_inline_script() -> None:
    page = text("dashboard.html")
    assert re.findall(r"<script[^>]*>", page) == ['<script src="dashboard.js" defer>']
    assert not re.search(r"\son\w+\s*=", page)
