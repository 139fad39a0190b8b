"""Every export keeps text that a spreadsheet would run as a formula as text.

A name such as ``+HYPERLINK("http://x/?leak","Klik")`` or ``-2+3+cmd|' /C calc'!A0`` is data: it is
stored as typed. On the way out it must never become a formula: in xlsx it is a string cell holding
exactly the text (marked quote-prefix, as Excel marks a typed ``'=...``); in CSV it starts with an
apostrophe. Checked on the portal's export, the dashboard's, and the admin's CSV and xlsx exports of
every resource (the error report is checked with the imports).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from agencies.models import Agency
from households.models import Desa
from programs.models import Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("x")',
    '+HYPERLINK("http://x/?leak","Klik")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _workbook_cells(content: bytes):
    """Every cell of every sheet (openpyxl reads a formula cell as data_type 'f')."""
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def assert_text_in_xlsx(content: bytes, payload: str) -> None:
    cells = _workbook_cells(content)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell became a formula"
    typed = payload.replace("\r", "\n")  # XML reads a raw carriage return as a line feed
    matching = [c for c in cells if c.value == typed]
    assert matching, f"{payload!r} is not in the workbook as it was typed"
    for cell in matching:
        assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.data_type)


def assert_text_in_csv(content: bytes, payload: str) -> None:
    fields = [field for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for field in row]
    assert "'" + payload in fields, f"{payload!r} is not neutralised in {fields}"
    assert payload not in fields


@pytest.fixture
def bappeda(reference):
    return UserFactory(username="op-bappeda")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_portal_export(client, bappeda, payload):
    HouseholdFactory(head_name=payload, address=payload, desa=Desa.objects.get(code="74.09.01.1005"))
    client.force_login(bappeda)
    response = client.get(reverse("agencies:household_export"))
    assert_text_in_xlsx(b"".join(response.streaming_content), payload)


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_dashboard_export(client, bappeda, payload):
    program = Program.objects.get(code="pkh")
    program.name = payload
    program.save()
    enrollment_create(household=HouseholdFactory(), program=program, year=2024, status="active")
    client.force_login(bappeda)
    response = client.get(reverse("programs:export", args=["program"]), {"year": 2024})
    assert response.status_code == 200
    assert_text_in_xlsx(response.content, payload)


def _admin_export(client, url: str, fmt: str, resource_fields: list[str], prefix: str) -> bytes:
    fields = {f"{prefix}_{name}": "on" for name in resource_fields}
    response = client.post(url, {"format": fmt, "resource": "0", **fields})
    assert response.status_code == 200, response.content[:500]
    return response.content


def _admin_export_formats(client, url: str) -> dict[str, str]:
    """Format name (xlsx, csv) -> the form's choice value."""
    form = client.get(url).context["form"]
    return {label.lower(): value for value, label in form.fields["format"].choices if value != ""}


ADMIN_EXPORTS = [
    # (export URL name, resource, the object holding the payload)
    ("admin:programs_enrollment_export", "programs.resources.EnrollmentResource", "enrollment"),
    ("admin:programs_program_export", "programs.resources.ProgramResource", "program"),
    ("admin:agencies_agency_export", "agencies.resources.AgencyResource", "agency"),
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("url_name, resource_path, kind", ADMIN_EXPORTS)
def test_admin_exports_in_every_format(client, bappeda, payload, url_name, resource_path, kind):
    from django.utils.module_loading import import_string

    resource = import_string(resource_path)
    if kind == "enrollment":
        household = HouseholdFactory(head_name=payload)
        enrollment_create(household=household, program=Program.objects.get(code="pkh"), year=2024, status="active")
    elif kind == "program":
        Program.objects.filter(code="pkh").update(name=payload, description=payload)
    else:
        Agency.objects.filter(code="dinsos").update(name=payload)
    client.force_login(bappeda)
    url = reverse(url_name)
    formats = _admin_export_formats(client, url)
    # The enrollments' file carries NIKs and No KKs: xlsx only (a csv's 16-digit numbers lose digits in Excel).
    assert set(formats) == ({"xlsx"} if kind == "enrollment" else {"xlsx", "csv"})
    prefix = resource.__name__.lower()
    fields = list(resource._meta.fields)
    assert_text_in_xlsx(_admin_export(client, url, formats["xlsx"], fields, prefix), payload)
    if "csv" in formats:
        assert_text_in_csv(_admin_export(client, url, formats["csv"], fields, prefix), payload)


def test_numbers_and_ids_keep_their_type_in_the_admin_xlsx(client, bappeda):
    household = HouseholdFactory(no_kk="7409011203150007")
    enrollment_create(household=household, program=Program.objects.get(code="pkh"), year=2024, status="active",
                      amount=-600_000 + 1_200_000)
    client.force_login(bappeda)
    url = reverse("admin:programs_enrollment_export")
    formats = _admin_export_formats(client, url)
    from programs.resources import EnrollmentResource

    content = _admin_export(client, url, formats["xlsx"], list(EnrollmentResource._meta.fields), "enrollmentresource")
    sheet = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2])}
    assert row["No KK"].value == "7409011203150007" and row["No KK"].data_type == "s"
    assert row["Nilai (Rp)"].value == 600_000 and row["Tahun"].value == 2024
