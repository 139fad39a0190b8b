"""A web application's "Export ke Excel" page, whatever it opens with: PHP exports print a title
(``<center><h3>...</h3></center>``, ``<h3>``, ``<div>``) before the table and no ``<html>`` at all,
Internet Explorer saves a page with a ``<!-- saved from url=... -->`` line first, XHTML opens with
an XML declaration. Excel opens each as a workbook: the import reads its table by the content,
under any of the names offices save it with, UTF-8 or UTF-16."""

from __future__ import annotations

import pytest
from django.urls import reverse

from households.models import ImportBatch
from programs.models import Enrollment
from tests.programs.test_import_recipients import family  # noqa: F401 - the registry's two households
from tests.programs.test_import_recipients_title_year import HEADERS, imported

from .realfiles import SIKS_DTKS, siks_rows
from .test_import_real_files import _web_table, imports_both_families

pytestmark = pytest.mark.django_db


def table(rows: list[list[str]]) -> str:
    header = "".join(f"<th>{title}</th>" for title in SIKS_DTKS)
    return f"<table border='1'><thead><tr>{header}</tr></thead><tbody>{_web_table(rows)}</tbody></table>"


OPENINGS = {
    "php_center": "<center><h3>DATA TERPADU KESEJAHTERAAN SOSIAL KAB. KONAWE UTARA</h3></center>\n{table}",
    "php_h3": "<h3>DATA DTKS</h3>\n{table}",
    "php_div": "<div style='text-align:center'><b>DATA DTKS</b></div>{table}",
    "saved_from": (
        "<!-- saved from url=(0014)about:internet -->\n<html><head><meta charset='utf-8'></head><body>{table}</body></html>"
    ),
    "xhtml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>x</title></head><body>{table}</body></html>"
    ),
}


@pytest.mark.parametrize("opening", sorted(OPENINGS))
@pytest.mark.parametrize(("suffix", "encoding"), [(".xls", "utf-8"), (".xls", "utf-16"), (".csv", "utf-8"), (".txt", "utf-16")])
def test_an_export_page_imports_whatever_it_opens_with(reference, tmp_path, opening, suffix, encoding):
    path = tmp_path / f"DTKS_ASERA{suffix}"
    path.write_bytes(OPENINGS[opening].format(table=table(siks_rows())).encode(encoding))
    imports_both_families(path)


def test_the_upload_page_previews_a_php_export(bappeda_client, tmp_path):
    path = tmp_path / "DTKS_ASERA.xls"
    path.write_text(OPENINGS["php_center"].format(table=table(siks_rows())), encoding="utf-8")
    with open(path, "rb") as handle:
        response = bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtks", "file": handle})
    assert response.status_code == 302, response.content.decode()[:3000]
    batch = ImportBatch.objects.get()
    assert batch.counts["households"]["created"] == 2 and batch.counts["members"]["created"] == 4


def test_a_page_cut_short_by_a_byte_reads_what_is_there(reference, tmp_path):
    # A UTF-16 page whose last byte was lost (a download cut short): its table is still read.
    path = tmp_path / "DTKS_ASERA.xls"
    page = "<html><body>" + table(siks_rows()) + "</body></html>\r\n"
    path.write_bytes(page.encode("utf-16")[:-1])
    imports_both_families(path)


def test_a_title_printed_above_the_pages_table_gives_a_recipient_list_its_year(tmp_path, family):  # noqa: F811
    # A PHP export prints the list's title as a heading above its table, not as a row of it: Excel
    # shows it in row 1 all the same, and the rows without a year of their own are of its year.
    household, head, child, other = family
    title = "DAFTAR PENERIMA BANTUAN BIBIT KAKAO TAHUN 2024"
    people = f"<tr><td>1</td><td>{head.name}</td><td>{head.nik}</td><td>Poktan Maju</td><td>Kakao</td><td>500</td></tr>"
    path = tmp_path / "bibit.xls"
    path.write_text(
        "<html><head><meta charset='utf-8'><title>Export</title></head><body>"
        f"<center><h3>{title}</h3><p>DINAS PERTANIAN <b>KABUPATEN</b> KONAWE UTARA</p></center>"
        f"<table border='1'><tr>{''.join(f'<th>{h}</th>' for h in HEADERS)}</tr>{people}</table></body></html>",
        encoding="utf-8",
    )
    result, warnings = imported(path)
    assert list(Enrollment.objects.values_list("household_id", "program__code", "year")) == [(household.pk, "bibit", 2024)]
    assert ("bibit", 0, f"Tahun tidak ada di baris data; dipakai tahun 2024 dari judul lembar (baris 1: '{title}')") in warnings
    assert result["data_year"] == 2024
