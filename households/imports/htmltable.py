"""An HTML table named ``.xls`` (or saved as ``.csv``/``.txt``): what web applications export as "Excel"
(Excel opens it), read as a text table.

Pure Python, read by a small scanner of its own: each step finds the next ``<`` or the end of what
it opened with ``str.find`` and never looks back, so the time is linear in the file whatever it
holds (the standard library's ``html.parser`` of this Python takes seconds on a few kilobytes of
malformed tags). Nothing is fetched and no entity is resolved but HTML's own (``&amp;``,
``&nbsp;``); comments, scripts, styles and Excel's ``<![if ...]>`` marks are left out. The rows of
every table are given in the order of the page, one under the other, as Excel shows them; a table
inside a cell gives its own rows. A cell spanning columns (``colspan``) is followed by empty cells,
and a cell spanning rows (``rowspan``) keeps its columns empty in the rows under it, so every
value stays under its header. Each cell is its text, whitespace collapsed (a ``<br>`` is a space).
The lines of text before the first table (a PHP export's ``<h3>DAFTAR PENERIMA BPNT TAHUN 2024</h3>``,
a paragraph) come first, a row of one cell each, as Excel shows them above the table: a list's
title, which may name its year. The page's ``<head>`` (its ``<title>``) is not among them.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterator

# What an HTML page opens with, after a byte-order mark and blank space.
_HTML_START = re.compile(r"^\ufeff?\s*<(!doctype\s+html|html|head|body|meta|table|style|title)\b", re.IGNORECASE)
# Markup first (a tag, a comment, a declaration, an XML declaration): a page that may open with
# anything, as PHP exports print a title (``<center><h3>``) and no ``<html>``, Internet Explorer a
# ``<!-- saved from url=... -->`` line, XHTML an ``<?xml ...?>`` declaration.
_MARKUP_START = re.compile(r"^\ufeff?\s*<(?:[a-z][a-z0-9]*(?:\s[^<>]*)?/?>|!--|!doctype\b|\?xml\b)", re.IGNORECASE)
# A tag only a page holds, found in its first bytes where markup puts it (a line's start, or right
# after another tag): a CSV whose first cell holds a tag ("<b>NO</b>") and whose note names one
# ("data dari <table> SIKS") is no page.
_PAGE_TAG = re.compile(r"(?:^|>)[ \t\r]*<(?:table|html|body)\b", re.IGNORECASE | re.MULTILINE)
_TAG_NAME = re.compile(r"/?([a-zA-Z][a-zA-Z0-9:]*)")
_SPAN = re.compile(r"\b(colspan|rowspan)\s*=\s*[\"']?\s*(\d{1,6})", re.IGNORECASE)
_RAW_TEXT = {"script": re.compile(r"</script\s*>", re.IGNORECASE), "style": re.compile(r"</style\s*>", re.IGNORECASE)}
_MAX_SPAN = 1000  # a colspan or rowspan beyond this is a mistake (or an attack), read as 1
# Excel's widest sheet: a row the colspans take beyond it is refused (``TooWide``), before its
# cells are made (a row of ``colspan=999`` cells would otherwise build millions of them).
MAX_COLUMNS = 16_384
# The tags that end a line of the text before the first table (as a browser breaks it).
_BLOCKS = frozenset({
    "p", "div", "center", "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd",
    "body", "html", "table", "pre", "blockquote", "section", "header", "article", "form", "address",
})
# What the text before the first table gives at most: its last lines (those nearest the table, the
# title; a page's menu above is not), each cut to a title's length.
_TITLE_LINES = 5
_TITLE_CHARS = 500


def is_html(head: bytes) -> bool:
    """Whether the first bytes of a file are an HTML page's (UTF-8, a single-byte encoding, or UTF-16
    with its byte-order mark, as Windows saves "Unicode" text): opening as a page does, or opening
    with markup and holding a table (or the page's ``<html>`` or ``<body>``) within ``head``."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    if _HTML_START.match(text) is not None:
        return True
    return _MARKUP_START.match(text) is not None and _PAGE_TAG.search(text) is not None


class NoTable(Exception):
    """The page holds no ``<table>``."""


class TooWide(Exception):
    """A row spans more than ``MAX_COLUMNS`` columns; ``row`` is its number (as ``rows`` numbers them)."""

    def __init__(self, row: int):
        super().__init__(row)
        self.row = row


def rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` of the page's tables, numbered from 1 in the order they end.
    Raises ``NoTable`` at the end of a page without any table, ``TooWide`` at a row wider than
    Excel's ``MAX_COLUMNS``. What is left open at the end (a
    tag, a comment) ends the page."""
    tables = _Tables()
    at, end = 0, len(text)
    while at < end:
        lt = text.find("<", at)
        if lt < 0:
            tables.text(text[at:])
            break
        if lt > at:
            tables.text(text[at:lt])
        following = text[lt + 1 : lt + 2]
        if text.startswith("<!--", lt):
            close = text.find("-->", lt + 4)
            at = end if close < 0 else close + 3
        elif following in ("!", "?"):  # a declaration, Excel's <![if ...]>, a processing instruction
            close = text.find(">", lt + 2)
            at = end if close < 0 else close + 1
        elif following.isalpha() or following == "/":
            close = text.find(">", lt + 1)
            if close < 0:
                break
            inside = text[lt + 1 : close]
            name = _TAG_NAME.match(inside)
            tag = name.group(1).lower() if name else ""
            at = close + 1
            if inside.startswith("/"):
                tables.end(tag)
            elif tag in _RAW_TEXT:
                found = _RAW_TEXT[tag].search(text, at)
                at = end if found is None else found.end()
            else:
                tables.start(tag, inside)
        else:
            tables.text("<")
            at = lt + 1
        yield from tables.take()
    tables.close()
    yield from tables.take()
    if not tables.seen_table:
        raise NoTable


def _spans(inside: str) -> tuple[int, int]:
    """A cell's (colspan, rowspan)."""
    found = {name.lower(): int(value) for name, value in _SPAN.findall(inside)}
    return tuple(span if 1 <= (span := found.get(name, 1)) <= _MAX_SPAN else 1 for name in ("colspan", "rowspan"))


class _Table:
    __slots__ = ("row", "cell", "at", "below", "starting")

    def __init__(self) -> None:
        self.row: list[str] | None = None  # the open row's cells
        self.cell: list[str] | None = None  # the open cell's pieces of text
        self.at = 0  # the open cell's column
        self.below: dict[int, int] = {}  # column -> rows under this one a rowspan above still covers
        self.starting: dict[int, int] = {}  # the same for the rowspans of the open row


class _Tables:
    """The tables as the scanner meets their tags: ``take`` gives the rows ended since last asked."""

    def __init__(self) -> None:
        self.stack: list[_Table] = []
        self.done: list[tuple[int, list[str]]] = []
        self.count = 0
        self.seen_table = False
        # Before the first table: the lines of text so far, the open line's pieces (and their
        # length), and whether the text met is the page's head (its title, not shown by Excel).
        self.lines: list[str] = []
        self.line: list[str] = []
        self.line_chars = 0
        self.in_head = False

    def _before_table(self, tag: str, closing: bool) -> None:
        """A tag met before the first table: a block ends the open line; the head is left out."""
        if tag in ("head", "title"):
            self.in_head = not closing
        elif tag == "body":
            self.in_head = False
        if tag in _BLOCKS:
            text = " ".join(html.unescape("".join(self.line)).split())[:_TITLE_CHARS]
            if text:
                self.lines = [*self.lines, text][-_TITLE_LINES:]
            self.line, self.line_chars = [], 0

    def take(self) -> list[tuple[int, list[str]]]:
        if not self.done:
            return self.done
        done, self.done = self.done, []
        return done

    def start(self, tag: str, inside: str) -> None:
        if not self.seen_table:
            self._before_table(tag, closing=False)
        if tag == "table":
            if not self.seen_table:
                for line in self.lines:  # the title lines above it, a row each
                    self.count += 1
                    self.done.append((self.count, [line]))
                self.lines = []
            self.seen_table = True
            self.stack.append(_Table())
            return
        if not self.stack:
            return
        table = self.stack[-1]
        if tag == "tr":
            self._end_row(table)
            table.row = []
        elif tag in ("td", "th"):
            self._end_cell(table)
            if table.row is None:
                table.row = []
            row = table.row
            while table.below.get(len(row)):
                row.append("")  # under a cell of a row above that spans down
            colspan, rowspan = _spans(inside) if "span" in inside.lower() else (1, 1)
            table.at = len(row)
            if table.at + colspan > MAX_COLUMNS:
                raise TooWide(self.count + 1)
            row.extend("" for _ in range(colspan))
            if rowspan > 1:
                for column in range(table.at, table.at + colspan):
                    table.starting[column] = rowspan - 1
            table.cell = []
        elif tag == "br" and table.cell is not None:
            table.cell.append(" ")

    def end(self, tag: str) -> None:
        if not self.seen_table:
            self._before_table(tag, closing=True)
        if not self.stack:
            return
        table = self.stack[-1]
        if tag in ("td", "th"):
            self._end_cell(table)
        elif tag == "tr":
            self._end_row(table)
        elif tag == "table":
            self._end_row(table)
            self.stack.pop()

    def text(self, data: str) -> None:
        if not self.seen_table:
            if not self.in_head and (room := _TITLE_CHARS * 2 - self.line_chars) > 0:
                self.line.append(data[:room])
                self.line_chars += min(room, len(data))
            return
        if self.stack and self.stack[-1].cell is not None:
            self.stack[-1].cell.append(data)

    def close(self) -> None:
        while self.stack:
            self._end_row(self.stack.pop())

    @staticmethod
    def _end_cell(table: _Table) -> None:
        if table.cell is not None:
            table.row[table.at] = " ".join(html.unescape("".join(table.cell)).split())
            table.cell = None

    def _end_row(self, table: _Table) -> None:
        self._end_cell(table)
        if table.row is None:
            return
        table.below = {column: left - 1 for column, left in table.below.items() if left > 1}
        table.below.update(table.starting)
        table.starting = {}
        self.count += 1
        self.done.append((self.count, table.row))
        table.row = None
