"""The admin's enrollment export as the office opens it: every NIK and No KK with its 16 digits,
columns named in the user's language, choices as their labels, a file named in Indonesian.

A csv file cannot keep a 16-digit number as text in Excel (it reads 7409011808670933 as
7,40901E+15 and saves 7409011808670930 back) without a formula or a character that changes the
value: the file of enrollments, which carries NIKs and No KKs, is offered as xlsx only."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from households.imports.reader import normalize_header, open_source
from programs.models import Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

URL = "admin:programs_enrollment_export"


def _export(client, **query):
    url = reverse(URL)
    form = client.get(url, query).context["form"]
    formats = {label.lower(): value for value, label in form.fields["format"].choices if value != ""}
    offered = {name: "on" for name in form.fields if name.startswith("enrollmentresource_")}
    return formats, client.post(url, {"format": formats["xlsx"], "resource": "0", **offered})


@pytest.fixture
def enrolled(reference):
    household = HouseholdFactory(no_kk="7409012712200933", head_nik="7409011808670933")
    member = MemberFactory(household=household, nik="7409015505100933")
    program = Program.objects.filter(target_unit="person").order_by("code").first()
    enrollment_create(household=household, program=program, year=2024, status="active", member=member)
    return household, member


def test_enrollments_are_exported_as_xlsx_only(bappeda_client, enrolled):
    formats, _response = _export(bappeda_client)
    assert list(formats) == ["xlsx"]


def test_the_file_read_back_by_the_registrys_reader_keeps_every_digit_in_indonesian(bappeda_client, enrolled, tmp_path):
    household, member = enrolled
    _formats, response = _export(bappeda_client)
    assert response.status_code == 200
    assert re.fullmatch(r'attachment; filename="Kepesertaan-\d{4}-\d\d-\d\d\.xlsx"', response["Content-Disposition"])
    path = tmp_path / "kepesertaan.xlsx"
    path.write_bytes(response.content)
    source = open_source(path)
    headers = {"no kk", "nik kepala keluarga", "nik penerima", "status", "sumber", "tahun"}
    table = source.table(None, is_known_header=lambda header: normalize_header(header) in headers)
    assert table is not None, "the registry's reader finds the header row"
    [(_number, cells)] = list(table.rows)
    row = dict(zip(table.headers, cells))
    assert row["No KK"] == household.no_kk and row["NIK kepala keluarga"] == household.head_nik
    assert row["NIK penerima"] == member.nik
    assert row["Status"] == "Aktif" and row["Sumber"] == "Input manual"
    assert "year" not in table.headers and "status" not in table.headers and "Tahun" in table.headers
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    types = {cell.value: sheet.cell(row=2, column=cell.column).data_type for cell in sheet[1]}
    assert types["No KK"] == types["NIK kepala keluarga"] == "s"  # text, not a number Excel rounds


def test_an_english_user_gets_english_columns(bappeda_client, enrolled):
    assert bappeda_client.post(reverse("set_language"), {"language": "en", "next": "/admin/"}).status_code == 302
    _formats, response = _export(bappeda_client)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert "Year" in header and "KK number" in header
    assert sheet.cell(row=2, column=header.index("Status") + 1).value == "Active"
