"""Text from status objects and object keys, made safe for a terminal.

Anyone who can write one object to the store chooses its key and its content; a host name or an
error text with an escape sequence could repaint the operator's terminal, and a newline could
forge a whole row. `clean` turns every control, format and line/paragraph separator character
into a visible `\\xNN` / `\\uNNNN` escape and cuts long text, so one cell is one line.
"""

from __future__ import annotations

import unicodedata

LIMIT = 120
_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def clean(text: str, limit: int = LIMIT) -> str:
    """`text` with unsafe characters escaped, at most `limit` characters (then `…`)."""
    if text.isprintable() and text.isascii():
        safe = text
    else:
        safe = "".join(_escape(char) for char in text)
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def _escape(char: str) -> str:
    if char == " " or unicodedata.category(char) not in _UNSAFE:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
