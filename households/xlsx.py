"""The one xlsx writer the application uses for every file it hands out (exports, error reports).

ID columns (NIK, No KK, ID Keluarga, ...) are written as text cells with the ``@`` format, so Excel
keeps all 16 digits; text that a spreadsheet would run as a formula stays text, marked "quote
prefix" (``konut_registry.spreadsheets``): every text is an inline string, never a formula.
The workbook has a frozen, filterable header row and is written in constant memory: the sheet's
XML is produced row by row straight into the zip stream. openpyxl's write-only mode did the same
through its pure-Python XML serializer at about 1,500 rows a second (13 s for a 20,000-row export
on an idle machine); this writes the same cells tens of times faster. openpyxl still reads them.
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from konut_registry.spreadsheets import is_formula_like

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")  # what XML 1.0 cannot carry (openpyxl refused it)
_PLAIN = re.compile(r"[^&<>\000-\037]*")  # text that needs no escaping
_MAX_TEXT = 32767  # Excel's limit for one cell
_EPOCH = datetime.datetime(1899, 12, 30)
_FLUSH_ROWS = 500

# Cell styles (indexes into cellXfs below).
_GENERAL, _HEADER, _TEXT, _DATE, _DATETIME, _QUOTED, _QUOTED_TEXT, _QUOTED_HEADER, _MARKED, _QUOTED_MARKED, _AMOUNT = range(11)

_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}"
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    f'<fonts count="2"><font>{_FONT}</font><font><b/>{_FONT}</font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00DDE6F0"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00F8D7DA"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="11">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1" quotePrefix="1"/>'
    # Built-in format 3, "#,##0": Excel writes the thousands with the reader's separator (1.250.000).
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _text(value: str) -> str:
    if len(value) > _MAX_TEXT:
        value = value[:_MAX_TEXT]
    if not _PLAIN.fullmatch(value):
        value = escape(_ILLEGAL.sub("", value))
    return value


def _string_cell(ref: str, value: str, style: int) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'


def _cell(
    ref: str, value: object, *, text: bool = False, header: bool = False, marked: bool = False, amount: bool = False
) -> str:
    """One ``<c>`` element ("" for an empty cell that needs no style). A ``marked`` text is shaded;
    an ``amount`` (a whole number of rupiah) is written with its thousands grouped."""
    if amount and type(value) is int:
        return f'<c r="{ref}" s="{_AMOUNT}"><v>{value}</v></c>'
    if marked and value is not None and not text:
        value = str(value)
        return _string_cell(ref, value, _QUOTED_MARKED if is_formula_like(value) else _MARKED)
    if text:
        value = "" if value is None else str(value)
        if not value:
            return f'<c r="{ref}" s="{_TEXT}"/>'
        return _string_cell(ref, value, _QUOTED_TEXT if is_formula_like(value) else _TEXT)
    if value is None:
        return ""
    kind = type(value)
    if kind is str and not header:
        return _string_cell(ref, value, _QUOTED if is_formula_like(value) else _GENERAL)
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, decimal.Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, float) and math.isfinite(value):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, datetime.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH) / datetime.timedelta(days=1)
        return f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, datetime.date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    value = str(value)
    if header:
        return _string_cell(ref, value, _QUOTED_HEADER if is_formula_like(value) else _HEADER)
    return _string_cell(ref, value, _QUOTED if is_formula_like(value) else _GENERAL)


@dataclass
class Sheet:
    """One sheet of a workbook: its rows under a frozen, filterable header. ``text_columns`` are the
    0-based indexes of identifier columns stored as text, ``marked_columns`` those shaded (a reason
    column), ``amount_columns`` those of whole rupiah written as numbers with grouped thousands,
    ``widths`` the columns' widths (else from the headers)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    text_columns: Iterable[int] = ()
    marked_columns: Iterable[int] = ()
    widths: Sequence[int] | None = None
    amount_columns: Iterable[int] = ()


def write_xlsx(
    target: IO[bytes],
    *,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    text_columns: Iterable[int] = (),
    widths: Sequence[int] | None = None,
    amount_columns: Iterable[int] = (),
) -> int:
    """Write one sheet to ``target``; return the number of data rows.

    ``text_columns`` are the 0-based indexes of identifier columns stored as text.
    """
    return write_workbook(
        target, [Sheet(sheet_title, headers, rows, text_columns, widths=widths, amount_columns=amount_columns)]
    )[0]


def write_workbook(target: IO[bytes], sheets: Sequence[Sheet]) -> list[int]:
    """Write ``sheets`` (at least one; titles unique once cut to Excel's 31 characters) to
    ``target``, one after the other in constant memory; return each sheet's number of data rows."""
    counts: list[int] = []
    titles: list[tuple[str, str]] = []  # (title, last column letter)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{_SHEET_TYPE}"/>'
            for number in range(1, len(sheets) + 1)
        )))
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        for number, sheet in enumerate(sheets, 1):
            with package.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as part:
                count, last_letter = _write_sheet(part, sheet)
            counts.append(count)
            titles.append((_ILLEGAL.sub("", str(sheet.title))[:31], last_letter))
        package.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="{_PACKAGE_REL}">'
            + "".join(
                f'<Relationship Id="rId{number}" Type="{_REL}/worksheet" Target="worksheets/sheet{number}.xml"/>'
                for number in range(1, len(sheets) + 1)
            )
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        names = "".join(
            f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{number}" r:id="rId{number}"/>'
            for number, (title, _letter) in enumerate(titles, 1)
        )
        filters = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
            f"'{escape(title.replace(chr(39), chr(39) * 2))}'!$A$1:${letter}${count + 1}</definedName>"
            for index, ((title, letter), count) in enumerate(zip(titles, counts))
        )
        package.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{names}</sheets><definedNames>{filters}</definedNames></workbook>",
        )
    return counts


def _write_sheet(part: IO[bytes], sheet: Sheet) -> tuple[int, str]:
    """The sheet's XML into ``part``: its number of data rows and the letter of its last column."""
    text_columns, marked_columns, widths = set(sheet.text_columns), set(sheet.marked_columns), sheet.widths
    amount_columns = set(sheet.amount_columns)
    headers = [str(header) for header in sheet.headers]
    letters: list[str] = [get_column_letter(index + 1) for index in range(max(1, len(headers)))]
    last_letter = letters[-1]
    count = 0
    columns = "".join(
        f'<col min="{index + 1}" max="{index + 1}" '
        f'width="{widths[index] if widths and index < len(widths) else max(12, min(40, len(header) + 4))}" '
        'customWidth="1"/>'
        for index, header in enumerate(headers)
    )
    header_cells = "".join(_cell(f"{letters[i]}1", header, header=True) for i, header in enumerate(headers))
    part.write(
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{columns}</cols>" if columns else "")
            + f'<sheetData><row r="1">{header_cells}</row>'
        ).encode()
    )
    pending: list[str] = []
    for row in sheet.rows:
        count += 1
        number = count + 1
        cells = []
        for index, value in enumerate(row):
            if index >= len(letters):
                letters.append(get_column_letter(index + 1))
            cells.append(_cell(
                f"{letters[index]}{number}", value,
                text=index in text_columns, marked=index in marked_columns, amount=index in amount_columns,
            ))
        pending.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(pending) == _FLUSH_ROWS:
            part.write("".join(pending).encode())
            pending = []
    pending.append(f'</sheetData><autoFilter ref="A1:{last_letter}{count + 1}"/></worksheet>')
    part.write("".join(pending).encode())
    return count, last_letter
