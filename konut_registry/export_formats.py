"""The admin's export formats (django-import-export), with text kept as text.

The library's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` only strips a leading ``=`` (changing
the data, and leaving ``+``, ``-`` and ``@`` formulas in CSV) and turns every cell into text. These
formats write each cell through ``konut_registry.spreadsheets`` instead, like every other export of
the registry. Importing through them is the library's unchanged behaviour.
"""

from __future__ import annotations

import io

from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.styles import Font

from konut_registry.spreadsheets import csv_text, xlsx_cell


class FormulaSafeCSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        safe = dataset.__class__(headers=[csv_text(h) for h in dataset.headers or []], title=dataset.title)
        for row in dataset:
            safe.append([csv_text(value) for value in row])
        return safe.export(self.get_title(), **kwargs)


class FormulaSafeXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=(dataset.title or "Data")[:31])
        bold = Font(bold=True)
        headers = []
        for header in dataset.headers or []:
            cell = xlsx_cell(sheet, header)
            cell.font = bold
            headers.append(cell)
        if headers:
            sheet.append(headers)
        for row in dataset:
            sheet.append([xlsx_cell(sheet, value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


# The admin asks for values of their own type (numbers, dates) only from the formats listed here
# (``import_export.admin.ExportMixin.get_export_data`` compares the exact class).
base_formats.BINARY_FORMATS.append(FormulaSafeXLSX)
