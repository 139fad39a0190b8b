"""The floor the import is measured against: what this machine needs to read every cell of the
workbook with calamine and COPY the raw rows into an unlogged table, on one core, with no
validation at all. Each sheet goes into its own unlogged table of text columns; rows are turned
into COPY text and sent a block at a time, synchronously (Python waits while PostgreSQL inserts),
so one core is at work at any moment.
"""

from __future__ import annotations

import io
import time

import python_calamine

BLOCK_ROWS = 20_000


def _text(value) -> str:
    if value == "" or value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def floor(path: str, connection) -> dict:
    """Seconds, rows and cells of reading every sheet of ``path`` and copying it raw into
    PostgreSQL through the psycopg2 ``connection`` (tables ``bench_floor_N``, dropped after)."""
    started = time.perf_counter()
    rows = cells = 0
    book = python_calamine.CalamineWorkbook.from_path(path)
    try:
        with connection.cursor() as cursor:
            for index, name in enumerate(book.sheet_names):
                sheet = book.get_sheet_by_name(name)
                width = max(1, sheet.width)
                table = f"bench_floor_{index}"
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                columns = ", ".join(f"c{i} text" for i in range(width))
                cursor.execute(f"CREATE UNLOGGED TABLE {table} ({columns})")
                block: list[str] = []
                for row in sheet.iter_rows():
                    cells += len(row)
                    line = "\t".join(map(_text, row))
                    if len(row) < width:
                        line += "\t" * (width - len(row))
                    block.append(line)
                    if len(block) >= BLOCK_ROWS:
                        rows += len(block)
                        cursor.copy_expert(f"COPY {table} FROM STDIN", io.StringIO("\n".join(block) + "\n"))
                        block = []
                if block:
                    rows += len(block)
                    cursor.copy_expert(f"COPY {table} FROM STDIN", io.StringIO("\n".join(block) + "\n"))
                del sheet
        connection.commit()
    finally:
        book.close()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        for index in range(len(book.sheet_names)):
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{index}")
    connection.commit()
    return {"seconds": seconds, "rows": rows, "cells": cells}
