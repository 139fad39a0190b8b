"""The export log names every kind of file or print it records, in the page's language: the
admin's list and its filter never show a bare code, and no code path logs a kind without a name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from agencies.models import ExportKind, ExportLog
from agencies.services import export_log_create

ROOT = Path(settings.BASE_DIR)
PRODUCT = ("agencies", "dedup", "households", "programs", "verval", "konut_registry")


def _logging_calls():
    """(file:line, the ``kind`` argument) of every call of ``export_log_create`` in the product."""
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "export_log_create":
                    kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", kind


def test_every_kind_the_code_logs_has_a_label():
    calls = list(_logging_calls())
    assert len(calls) >= 5  # the list's file and print, the import error report, verval's field list and proposal
    for where, kind in calls:
        if isinstance(kind, ast.Attribute) and isinstance(kind.value, ast.Name) and kind.value.id == "ExportKind":
            assert kind.attr in ExportKind.names, where
        elif isinstance(kind, ast.Constant):
            assert kind.value in ExportKind.values, f"{where}: {kind.value!r} is no ExportKind"
        else:
            pytest.fail(f"{where}: pass kind=ExportKind.<NAME> so that the kind has a label")


def test_every_kind_has_a_label_in_both_languages():
    for kind in ExportKind:
        with translation.override("id"):
            indonesian = str(kind.label)
        with translation.override("en"):
            english = str(kind.label)
        assert indonesian != kind.value and english != indonesian, kind


@pytest.mark.django_db
def test_a_kind_without_a_label_is_not_logged(bappeda_user):
    with pytest.raises(ValueError):
        export_log_create(user=bappeda_user, kind="daftar_lain_xlsx")
    assert not ExportLog.objects.exists()


@pytest.mark.django_db
def test_the_admin_list_and_filter_show_every_kind_by_its_label(bappeda_client, bappeda_user):
    for kind in ExportKind:
        export_log_create(user=bappeda_user, kind=kind, row_count=3)
    page = bappeda_client.get(reverse("admin:agencies_exportlog_changelist")).content.decode()
    for kind in ExportKind:
        assert page.count(str(kind.label)) >= 2, kind  # the row and the filter
        assert f">{kind.value}<" not in page and f"> {kind.value}" not in page, kind
    filtered = bappeda_client.get(reverse("admin:agencies_exportlog_changelist"), {"kind": ExportKind.VERVAL_FIELD_LIST})
    assert [log.kind for log in filtered.context["cl"].result_list] == [ExportKind.VERVAL_FIELD_LIST]


def _admin_export(client, url_name: str, resource, query: str = "") -> bytes:
    """The admin's export page as a Bappeda operator uses it: every column, in its first format (a
    number searched in the address moves into the session first). Its cells' text, for csv and xlsx alike."""
    import io

    import openpyxl

    page = client.get(reverse(url_name) + query, follow=True)
    url = page.redirect_chain[-1][0] if page.redirect_chain else reverse(url_name) + query
    form = page.context["form"]
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource._meta.fields}
    value, label = next((value, label) for value, label in form.fields["format"].choices if value != "")
    response = client.post(url, {"format": value, "resource": "0", **fields})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment"), response.content[:300]
    assert response["Content-Disposition"].endswith(f'.{label.lower()}"')
    if not response.content.startswith(b"PK"):
        return response.content
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return "\n".join(",".join(str(cell) for cell in row if cell is not None) for row in sheet.iter_rows(values_only=True)).encode()


@pytest.mark.django_db
def test_an_admin_export_of_enrollments_is_logged(bappeda_client, bappeda_user):
    from programs.models import Program
    from programs.resources import EnrollmentResource
    from programs.services import enrollment_create
    from tests.factories import HouseholdFactory

    pkh = Program.objects.get(code="pkh")
    active = [HouseholdFactory(), HouseholdFactory()]
    for household in active:
        enrollment_create(household=household, program=pkh, year=2024, status="active")
    enrollment_create(household=HouseholdFactory(), program=pkh, year=2024, status="proposed")
    content = _admin_export(bappeda_client, "admin:programs_enrollment_export", EnrollmentResource, "?status__exact=active")
    assert all(household.head_nik in content.decode() for household in active)  # full NIKs left the building ...
    log = ExportLog.objects.get()  # ... and the log says who took how many, from which list
    assert (log.user, log.kind, log.row_count, log.agency) == (bappeda_user, ExportKind.ADMIN_EXPORT, 2, None)
    assert log.filters == {"model": "programs.enrollment", "status__exact": "active"}


@pytest.mark.django_db
def test_every_admin_export_is_logged(bappeda_client, bappeda_user):
    from django.contrib import admin
    from import_export.admin import ExportMixin

    from agencies.admin_exports import LoggedExportMixin

    exporting = {model: model_admin for model, model_admin in admin.site._registry.items() if isinstance(model_admin, ExportMixin)}
    assert {model._meta.label_lower for model in exporting} >= {"programs.enrollment", "programs.program", "agencies.agency"}
    for model, model_admin in exporting.items():
        assert isinstance(model_admin, LoggedExportMixin), model
        opts = model._meta
        resource = model_admin.get_export_resource_classes(None)[0]
        _admin_export(bappeda_client, f"admin:{opts.app_label}_{opts.model_name}_export", resource)
        log = ExportLog.objects.latest("pk")
        assert (log.user, log.kind, log.filters, log.row_count) == (
            bappeda_user, ExportKind.ADMIN_EXPORT, {"model": opts.label_lower}, model.objects.count()
        )
    assert ExportLog.objects.count() == len(exporting)


@pytest.mark.django_db
def test_an_admin_export_logs_a_searched_nik_masked(bappeda_client, bappeda_user):
    from households.identifiers import mask
    from programs.models import Program
    from programs.resources import EnrollmentResource
    from programs.services import enrollment_create
    from tests.factories import HouseholdFactory

    household = HouseholdFactory()
    enrollment_create(household=household, program=Program.objects.get(code="pkh"), year=2024, status="active")
    _admin_export(bappeda_client, "admin:programs_enrollment_export", EnrollmentResource, f"?q={household.head_nik}")
    log = ExportLog.objects.get()
    assert log.row_count == 1 and log.filters == {"model": "programs.enrollment", "q": mask(household.head_nik)}
