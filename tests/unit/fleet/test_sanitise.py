"""Text from object keys and content is one safe terminal line."""

from __future__ import annotations

import pytest

from bulwark.fleet.sanitise import clean


@pytest.mark.parametrize(
    ("text", "safe"),
    [("web1.example.com", "web1.example.com"),
     ("a\x1b[31mred", "a\\x1b[31mred"),  # CSI: colour, cursor moves, screen clears
     ("a\x9b31m", "a\\x9b31m"),  # the 8-bit CSI
     ("t\x1b]0;title\x07", "t\\x1b]0;title\\x07"),  # OSC: retitle the terminal
     ("row\nweb9 ok", "row\\x0aweb9 ok"), ("cr\rover", "cr\\x0dover"),
     ("ls\u2028ps\u2029", "ls\\u2028ps\\u2029"),
     ("bidi\u202egnp.exe", "bidi\\u202egnp.exe"), ("zw\u200bj", "zw\\u200bj"),
     ("tab\there", "tab\\x09here"), ("del\x7f", "del\\x7f"),
     ("héllo wörld ✓", "héllo wörld ✓")],  # printable non-ASCII stays readable
)
def test_unsafe_characters_are_escaped(text: str, safe: str) -> None:
    assert clean(text) == safe
    assert clean(text).isprintable()


def test_long_text_is_cut_to_the_limit() -> None:
    assert clean("x" * 500, 10) == "x" * 9 + "…"
    assert len(clean("\x1b" * 100, 20)) == 20
