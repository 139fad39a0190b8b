"""The import mapping pages as Bappeda reads them: a duplicate names the row it repeats, a header is
found as the preview shows it, fields and choices are named by their labels."""

from __future__ import annotations

import pytest
from django.urls import reverse

from households.models import ColumnMapping, ValueMapping

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
