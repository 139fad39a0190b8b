"""The list's place and program selects, written without the template engine, show the same
options, groups and selection as Django's own select."""

import pytest
from django import forms

from agencies.widgets import PlainSelect


def _compact(html: str) -> str:
    return "".join(line.strip() for line in html.splitlines())


CHOICES = [
    ("", "Semua desa"),
    ("Asera (Konawe Utara)", [("1", "Wanggudu"), ("2", 'Desa "Baru" & <Lama>')]),
    ("Lasolo", [("3", "Tinobu")]),
    ("4", "Tanpa kecamatan"),
]


@pytest.mark.parametrize("value", ["", "2", "4", None, "99"])
def test_same_markup_as_djangos_select(value):
    attrs = {"id": "id_desa", "class": "wide"}
    expected = forms.Select(choices=CHOICES).render("desa", value, attrs=attrs)
    written = PlainSelect(choices=CHOICES).render("desa", value, attrs=attrs)
    assert _compact(written) == _compact(expected)


@pytest.mark.django_db
def test_the_chosen_village_stays_selected_on_the_list(registry, login):
    from households.models import Desa

    wanggudu = Desa.objects.get(code="74.09.01.1005")
    html = login(registry.users.head).get(f"/keluarga/?desa={wanggudu.pk}").content.decode()
    assert f'<option value="{wanggudu.pk}" selected>{wanggudu.name}</option>' in html
    assert html.count(" selected>") >= 1 and '<optgroup label="Asera">' in html
