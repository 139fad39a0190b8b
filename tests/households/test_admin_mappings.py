"""The import mapping pages as Bappeda reads them: a duplicate names the row it repeats, a header is
found as the preview shows it, fields and choices are named by their labels."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from households.imports.services import run_file_import
from households.models import ColumnMapping, Member, ValueMapping
from tests.security.admin_forms import admin_form_data

from .conftest import nik, write_csv

pytestmark = pytest.mark.django_db

COLUMNS = "admin:households_columnmapping_"
VALUES = "admin:households_valuemapping_"


def errors(response) -> str:
    return response.content.decode().split('class="errorlist', 1)[-1][:1500]


def test_a_header_mapped_again_names_the_mapping_it_repeats(bappeda_client):
    existing = ColumnMapping.objects.create(layout="dtsen", header="jns atap", field="roof_type")
    response = bappeda_client.post(reverse(COLUMNS + "add"), {"layout": "dtsen", "header": "JNS_ATAP", "field": "wall_type"})
    assert response.status_code == 200
    text = errors(response)
    assert "sudah dipetakan" in text and "Jenis atap" in text and "tidak ada" not in text
    assert reverse(COLUMNS + "change", args=[existing.pk]) in text
    assert ColumnMapping.objects.get(pk=existing.pk).field == "roof_type"


def test_a_builtin_header_mapped_again_says_it_is_builtin(bappeda_client):
    builtin, _ = ColumnMapping.objects.update_or_create(layout="dtsen", header="jk", defaults={"field": "sex", "builtin": True})
    response = bappeda_client.post(reverse(COLUMNS + "add"), {"layout": "dtsen", "header": "JK", "field": "relation"})
    text = errors(response)
    assert "bawaan" in text and reverse(COLUMNS + "change", args=[builtin.pk]) in text


def test_a_value_mapped_again_names_the_mapping_it_repeats(bappeda_client):
    existing = ValueMapping.objects.create(kind="dtsen", field="roof_type", value="3", code="asbes_seng")
    response = bappeda_client.post(reverse(VALUES + "add"), {"kind": "dtsen", "field": "roof_type", "value": " 3 ", "code": "genteng"})
    assert response.status_code == 200
    text = errors(response)
    assert "sudah dipetakan" in text and "Asbes/Seng" in text and "tidak ada" not in text
    assert reverse(VALUES + "change", args=[existing.pk]) in text


def test_a_header_is_found_as_the_preview_shows_it(bappeda_client):
    ColumnMapping.objects.create(layout="dtsen", header="jns atap", field="roof_type")
    page = bappeda_client.get(reverse(COLUMNS + "changelist") + "?q=JNS_ATAP").content.decode()
    assert reverse(COLUMNS + "change", args=[ColumnMapping.objects.get(header="jns atap").pk]) in page


def test_fields_and_choices_are_named_by_their_labels(bappeda_client):
    column = ColumnMapping.objects.create(layout="dtsen", header="jns atap", field="roof_type")
    value = ValueMapping.objects.create(kind="dtsen", field="roof_type", value="3", code="asbes_seng")
    ValueMapping.objects.create(kind="", field="roof_type", value="asbes", code="asbes_seng")
    page = bappeda_client.get(reverse(COLUMNS + "changelist") + "?q=jns+atap").content.decode()
    assert "Jenis atap" in page and ">roof_type<" not in page
    page = bappeda_client.get(reverse(VALUES + "changelist")).content.decode()
    assert "Asbes/Seng" in page and ">asbes_seng<" not in page and ">roof_type<" not in page
    assert page.count("Jenis atap</a>") == 1  # the field filter, once
    assert str(value) == "Jenis atap: 3 -> Asbes/Seng" and str(column) == "DTSEN: jns atap -> Jenis atap"
    bappeda_client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    english = bappeda_client.get(reverse(VALUES + "changelist")).content.decode()
    assert "Roof type" in english and "Asbestos/Zinc" in english


KK = "7409011005080001"
KK_LATER = "7409011005080002"
FAMILY = ["NO_KK", "NIK", "NAMA", "SHDK", "JENIS KELAMIN", "TANGGAL LAHIR", "Kode Kemdagri", "Pekerjaan"]


def occupation_read(tmp_path, *families: tuple[str, int]) -> str:
    """The occupation a DTSEN file's ``Pekerjaan`` cell PETANI/PEKEBUN gives the head of its last
    family (``(No KK, NIK serial)`` each; the earlier ones are in the file so that none is absent)."""
    rows = [{
        "NO_KK": kk, "NIK": nik(serial), "NAMA": "LA BAHARU", "SHDK": "KEPALA KELUARGA", "JENIS KELAMIN": "LAKI-LAKI",
        "TANGGAL LAHIR": "1980-01-05", "Kode Kemdagri": "7409012006", "Pekerjaan": "PETANI/PEKEBUN",
    } for kk, serial in families]
    kk, serial = families[-1]
    path = write_csv(tmp_path / f"{kk}.csv", FAMILY, rows)
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=False)
    assert [issue.reason for issue in outcome.plan.issues.errors] == []
    return Member.objects.get(nik=nik(serial)).occupation


def shown_messages(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def test_a_builtin_header_is_not_deleted_and_the_page_says_how_to_stop_using_it(bappeda_client, tmp_path):
    """Deleting a built-in row changed nothing (the shipped layout is read under the stored rows, and
    load_reference brought the row back): it is refused, naming the choice that does stop it."""
    builtin = ColumnMapping.objects.get(layout="dtsen", header="pekerjaan", builtin=True)
    url = reverse(COLUMNS + "delete", args=[builtin.pk])
    response = bappeda_client.post(url, {"post": "yes"}, follow=True)
    text = shown_messages(response)
    assert "tidak dapat dihapus" in text and "(kolom dikenal, tidak dipakai)" in text, text
    assert ColumnMapping.objects.filter(pk=builtin.pk, field="occupation").exists()
    assert occupation_read(tmp_path, (KK, 401)) == "petani"

    change = reverse(COLUMNS + "change", args=[builtin.pk])
    response = bappeda_client.post(change, admin_form_data(bappeda_client.get(change), field=""))
    assert response.status_code == 302
    call_command("load_reference", verbosity=0)
    assert ColumnMapping.objects.get(pk=builtin.pk).field == ""
    assert ColumnMapping.objects.filter(layout="dtsen", header="pekerjaan").count() == 1
    assert occupation_read(tmp_path, (KK, 401), (KK_LATER, 402)) == ""


def test_deleting_selected_mappings_with_a_builtin_among_them_deletes_none(bappeda_client):
    builtin = ColumnMapping.objects.get(layout="dtsen", header="pekerjaan", builtin=True)
    own = ColumnMapping.objects.create(layout="dtsen", header="kerja utama", field="")
    response = bappeda_client.post(
        reverse(COLUMNS + "changelist"), {"action": "delete_selected", "_selected_action": [builtin.pk, own.pk], "post": "yes"},
        follow=True,
    )
    text = shown_messages(response)
    assert "tidak dapat dihapus" in text and "pekerjaan" in text, text
    assert ColumnMapping.objects.filter(pk__in=[builtin.pk, own.pk]).count() == 2

    response = bappeda_client.post(
        reverse(COLUMNS + "changelist"), {"action": "delete_selected", "_selected_action": [own.pk], "post": "yes"}, follow=True,
    )
    assert not ColumnMapping.objects.filter(pk=own.pk).exists()


def test_a_builtin_header_is_not_renamed_away(bappeda_client):
    """Renaming a built-in row's header left the shipped header mapped all the same."""
    builtin = ColumnMapping.objects.get(layout="dtsen", header="pekerjaan", builtin=True)
    change = reverse(COLUMNS + "change", args=[builtin.pk])
    response = bappeda_client.post(change, admin_form_data(bappeda_client.get(change), header="Pekerjaan Utama"))
    assert response.status_code == 200
    assert "pemetaan bawaan" in errors(response)
    assert ColumnMapping.objects.get(pk=builtin.pk).header == "pekerjaan"


def test_a_builtin_value_is_not_deleted_and_the_page_says_how_to_stop_using_it(bappeda_client):
    builtin = ValueMapping.objects.get(kind="", field="occupation", value="petani/pekebun", builtin=True)
    response = bappeda_client.post(reverse(VALUES + "delete", args=[builtin.pk]), {"post": "yes"}, follow=True)
    text = shown_messages(response)
    assert "tidak dapat dihapus" in text and "Kosong (tanpa nilai)" in text, text
    assert ValueMapping.objects.filter(pk=builtin.pk).exists()
    response = bappeda_client.post(
        reverse(VALUES + "changelist"), {"action": "delete_selected", "_selected_action": [builtin.pk], "post": "yes"}, follow=True,
    )
    assert "tidak dapat dihapus" in shown_messages(response)
    assert ValueMapping.objects.filter(pk=builtin.pk).exists()
    change = reverse(VALUES + "change", args=[builtin.pk])
    response = bappeda_client.post(change, admin_form_data(bappeda_client.get(change), value="petani"))
    assert response.status_code == 200 and "pemetaan bawaan" in errors(response)
    assert ValueMapping.objects.get(pk=builtin.pk).value == "petani/pekebun"
