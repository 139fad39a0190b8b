"""A web page saved under a text table's name: offices save a web application's "Export to Excel"
page under any name, ``.csv`` or ``.txt`` too. It is read by its content, as the same page named
``.xls`` is (its table), never as lines of CSV; a page without a table is refused with what to do."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from households.models import ImportBatch

from .test_import_bad_input import run
from .test_import_real_files import SIKS_DTKS, _web_table, imports_both_families, siks_rows, text_reads_unchanged

pytestmark = pytest.mark.django_db


def web_page(rows: list[list[str]]) -> str:
    """SIKS-NG's "Excel" page: a title, the table with its <th> header, a printed-on line under it."""
    header = "".join(f"<th>{title}</th>" for title in SIKS_DTKS)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Data DTKS</title></head><body>"
        "<h3>DATA TERPADU KESEJAHTERAAN SOSIAL &amp; BANSOS</h3>"
        f"<table border='1'><thead><tr>{header}</tr></thead><tbody>{_web_table(rows)}</tbody></table>"
        "<p>Dicetak dari SIKS-NG</p></body></html>"
    )


@pytest.mark.parametrize(("suffix", "encoding"), [(".csv", "utf-8"), (".txt", "utf-8"), (".txt", "utf-16"), (".csv", "cp1252")])
def test_a_web_page_named_as_a_text_table_imports_as_its_text_would(reference, tmp_path, suffix, encoding):
    path = tmp_path / f"DTKS_ASERA{suffix}"
    path.write_bytes(web_page(siks_rows()).encode(encoding))
    imports_both_families(path)
    # The same data as SIKS-NG's text: nothing to change.
    text_reads_unchanged(tmp_path, siks_rows())


def test_the_upload_page_refuses_a_web_page_without_a_table(bappeda_client, tmp_path):
    path = tmp_path / "DTKS.csv"
    path.write_text("<html><head><title>Masuk</title></head><body><form>Sesi berakhir</form></body></html>")
    with open(path, "rb") as handle:
        response = bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtks", "file": handle})
    assert response.status_code == 200
    assert "halaman web (HTML) yang diberi nama .csv, dan tidak berisi tabel data" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_csv_whose_cells_hold_tags_is_still_a_csv(reference, tmp_path):
    # An address typed with a tag in it is a value, not a page: only a file that opens as a page is one.
    rows = siks_rows()
    rows[0][5] = "<b>DUSUN I</b>"
    path = tmp_path / "DTKS_ASERA.csv"
    path.write_text("\n".join(",".join(row) for row in [SIKS_DTKS, *rows]) + "\n", encoding="utf-8")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 2


def test_a_csv_opening_with_a_tag_and_naming_a_table_in_a_cell_is_still_a_csv(reference, tmp_path):
    # Its first header typed bold ("<b>NO</b>") and a note mentioning "<table>": lines of values,
    # no page, whatever words its cells hold.
    rows = siks_rows()
    rows[0][5] = "data dari <table> SIKS"
    header = ["<b>" + SIKS_DTKS[0] + "</b>", *SIKS_DTKS[1:]]
    path = tmp_path / "DTKS_ASERA.csv"
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n", encoding="utf-8")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 2
