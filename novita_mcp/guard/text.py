"""Text from outside the server, made safe to show inside a plan.

A plan is what the user approves, so nothing the agent or Novita chose may change its
shape: a name with a newline could add a fake "Cost: $0.00" line, a bidi override could
reverse what is read. Every such string goes through ``shown``: quoted, on one line, with
control, bidi and other invisible format characters written as escapes, and capped.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["shown", "shown_id", "one_line"]

_MAX = 120


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: str, *, limit: int = _MAX) -> str:
    """``text`` with every control/format/separator character escaped, cut to ``limit`` characters."""
    out: list[str] = []
    for ch in str(text):
        category = unicodedata.category(ch)
        # Cc: controls (NUL, ESC, newline); Cf: format (bidi overrides, zero-width); Zl/Zp: line and
        # paragraph separators; Co/Cn: private and unassigned, which render unpredictably.
        out.append(_escape(ch) if category in ("Cc", "Cf", "Zl", "Zp", "Co", "Cn") else ch)
    flat = "".join(out)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def shown(text: object, *, limit: int = _MAX) -> str:
    """A string from the agent or from Novita as it may appear in a plan: quoted, one line, capped."""
    return '"' + one_line(str(text), limit=limit).replace('"', '\\"') + '"'


_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")


def shown_id(value: object) -> str:
    """An identifier as shown in a plan: bare when it is a plain id, else like any other outside string."""
    text = str(value)
    return text if _PLAIN_ID.match(text) else shown(text)
