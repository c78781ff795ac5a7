"""Escaping text for GitHub-flavoured Markdown, so a user's name stays text inside a table cell.

Every value a Markdown template prints goes through :func:`escape_markdown` (the Jinja environment's
``finalize``), the way HTML templates autoescape: a name cannot end a table cell (``|``), start a new row
(newline), become a link (``[x](javascript:...)``), raw HTML (``<script>``), emphasis or code. Text the
report itself formats as Markdown is wrapped in :class:`MarkdownText` and passes unchanged.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

#: CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that start inline markup
#: anywhere in a line (emphasis, code, links and images, strikethrough, math, attribute lists, heading
#: closers) or end a GFM table cell. "(", ")" and "!" need no escape once "[" and "]" have one, and "<"
#: (autolinks, HTML) becomes an entity below.
ACTIVE_CHARACTERS = re.compile(r"([\\`*_{}\[\]#|~$])")
#: Characters that begin a block (heading, list, quote, thematic break) when a value starts a line.
LINE_START = re.compile(r"^([-+>=#]|\d+[.)])")
LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class MarkdownText(str):
    """Text that is already Markdown (made by the report, not from data): printed as it is."""

    __slots__ = ()


def escape_markdown(value: Any) -> str:
    """``value`` as Markdown text that renders literally, on one line, inside a GFM table cell or heading."""
    if isinstance(value, MarkdownText):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = CONTROL.sub("", LINE_BREAKS.sub(" ", str(value)))
    # Entities, not backslashes, for HTML characters: some wiki renderers ignore a backslash before "<".
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = ACTIVE_CHARACTERS.sub(r"\\\1", text)
    # A leading digit run ending in "." or ")" only starts a list at the start of a line; escape it there.
    return LINE_START.sub(lambda match: match.group(0)[:-1] + "\\" + match.group(0)[-1], text.lstrip())


def code(value: Any) -> MarkdownText:
    """``value`` as inline code, safe in a table cell (GFM needs ``\\|`` even inside code spans)."""
    text = LINE_BREAKS.sub(" ", str(value)).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return MarkdownText(f"{fence}{padding}{text}{padding}{fence}")
