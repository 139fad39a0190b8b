"""A minimal, fast xlsx writer for generated benchmark workbooks.

openpyxl spends about 8 µs per cell, so a province-scale workbook (3 million rows) would take most
of an hour to write. This writer emits the worksheet XML directly (inline strings, numbers as
numbers, no styles), row by row, with a low zlib level: calamine and openpyxl read it as any
other workbook. Sheets are streamed: the first one straight into the archive, the others through
temporary files (the sheet's ``<dimension>`` is known only at the end, and readers rely on it), so
memory does not grow with the workbook.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from households.imports.reader import column_letter

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _cell(value) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f"<c><v>{value!r}</v></c>"
    text = str(value)
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    if text[:1] == " " or text[-1:] == " ":
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


class SheetStream:
    """Rows appended to one worksheet's rows, kept in a temporary file until the workbook closes."""

    def __init__(self, stream):
        self.stream = stream
        self.rows = 0
        self.width = 0

    def append(self, cells) -> None:
        self.rows += 1
        self.width = max(self.width, len(cells))
        self.stream.write(f'<row r="{self.rows}">{"".join(map(_cell, cells))}</row>'.encode())

    def head(self) -> bytes:
        dimension = f'<dimension ref="A1:{column_letter(max(self.width, 1) - 1)}{max(self.rows, 1)}"/>'
        return f'{_HEAD}<worksheet xmlns="{_NS}">{dimension}<sheetData>'.encode()


class FastWorkbook:
    """``with FastWorkbook(path, ["A", "B"]) as book: book.sheet("A").append([...])``."""

    def __init__(self, path: Path, names: list[str]):
        self.path = Path(path)
        self.names = names
        self._streams = {}
        self._files = {}

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        for name in self.names:
            handle = tempfile.TemporaryFile(dir=self.path.parent)
            self._files[name] = handle
            self._streams[name] = SheetStream(handle)
        return self

    def sheet(self, name: str) -> SheetStream:
        return self._streams[name]

    def __exit__(self, *exc) -> None:
        for index, name in enumerate(self.names, start=1):
            handle, sheet = self._files[name], self._streams[name]
            handle.seek(0)
            with self._zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True) as target:
                target.write(sheet.head())
                shutil.copyfileobj(handle, target, 1 << 20)
                target.write(b"</sheetData></worksheet>")
            handle.close()
        count = len(self.names)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, count + 1)
        )
        self._zip.writestr("[Content_Types].xml", (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ))
        self._zip.writestr("_rels/.rels", (
            f'{_HEAD}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ))
        sheets = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(self.names, start=1)
        )
        self._zip.writestr("xl/workbook.xml", (
            f'{_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'
        ))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        self._zip.writestr("xl/_rels/workbook.xml.rels", f'{_HEAD}<Relationships xmlns="{_PKG}">{rels}</Relationships>')
        self._zip.close()
