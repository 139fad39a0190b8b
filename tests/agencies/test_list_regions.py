"""The household list by region: with one regency no kabupaten filter or column; with several, a
kabupaten filter that narrows the kecamatan and village choices, and a kabupaten column."""

import re

import pytest

from households.models import Desa, Kabupaten, Kecamatan
from tests.agencies.helpers import listed_ids

pytestmark = pytest.mark.django_db


def options(html: str, name: str) -> list[str]:
    """The option values of the ``name`` select, blank first option excluded."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v]


def test_one_regency_keeps_the_list_as_it_was(registry, login):
    html = login(registry.users.head).get("/keluarga/").content.decode()
    assert 'name="kabupaten"' not in html and "Kabupaten/kota" not in html
    assert len(options(html, "kecamatan")) == 13 and len(options(html, "desa")) == 170


def test_several_regencies_add_a_kabupaten_filter_and_column(registry, konawe, login):
    client = login(registry.users.head)
    html = client.get("/keluarga/").content.decode()
    konut, konawe_regency = Kabupaten.objects.get(code="74.09"), Kabupaten.objects.get(code="74.02")
    assert options(html, "kabupaten") == [str(konawe_regency.pk), str(konut.pk)]
    assert "<th>Kabupaten/kota</th>" in html and "<td>Kabupaten Konawe</td>" in html
    # No regency chosen: every kecamatan and village, grouped by regency.
    assert len(options(html, "kecamatan")) == 13 + konawe_regency.kecamatan_set.count()
    assert '<optgroup label="Kabupaten Konawe">' in html
    assert '<optgroup label="Lambuya (Kabupaten Konawe)">' in html

    own = {h.pk for h in (registry.hh.a, registry.hh.b, registry.hh.d, registry.hh.f, registry.hh.g)}
    assert set(listed_ids(client.get("/keluarga/"))) == own | {konawe.pk}
    assert set(listed_ids(client.get(f"/keluarga/?kabupaten={konawe_regency.pk}"))) == {konawe.pk}
    assert set(listed_ids(client.get(f"/keluarga/?kabupaten={konut.pk}"))) == own

    # A chosen regency narrows the kecamatan and village choices to its own.
    html = client.get(f"/keluarga/?kabupaten={konawe_regency.pk}").content.decode()
    assert set(options(html, "kecamatan")) == {str(pk) for pk in konawe_regency.kecamatan_set.values_list("pk", flat=True)}
    assert set(options(html, "desa")) == {
        str(pk) for pk in Desa.objects.filter(kecamatan__kabupaten=konawe_regency).values_list("pk", flat=True)
    }
    lambuya = Kecamatan.objects.get(code="74.02.01")
    response = client.get(f"/keluarga/?kabupaten={konawe_regency.pk}&kecamatan={lambuya.pk}&desa={konawe.desa_id}")
    assert listed_ids(response) == [konawe.pk]


def test_a_kecamatan_of_another_regency_is_refused_not_mixed(registry, konawe, login):
    konut = Kabupaten.objects.get(code="74.09")
    lambuya = Kecamatan.objects.get(code="74.02.01")
    response = login(registry.users.head).get(f"/keluarga/?kabupaten={konut.pk}&kecamatan={lambuya.pk}")
    html = response.content.decode()
    assert "has-error" in html
    assert konawe.pk not in listed_ids(response)


def test_unknown_kabupaten_is_a_field_error(registry, konawe, login):
    response = login(registry.users.head).get("/keluarga/?kabupaten=999999")
    assert response.status_code == 200 and "has-error" in response.content.decode()


def test_the_print_page_follows_the_kabupaten_filter(registry, konawe, login):
    client = login(registry.users.head)
    regency = Kabupaten.objects.get(code="74.02")
    html = client.get(f"/keluarga/cetak/?kabupaten={regency.pk}").content.decode()
    assert "Keluarga Awuliti" in html and "Ahmad Lapodi" not in html and "<td>Kabupaten Konawe</td>" in html


@pytest.mark.parametrize("user_key", ["head", "bappeda"])
def test_list_query_count_stays_fixed_with_several_regencies(registry, konawe, login, django_assert_max_num_queries, user_key):
    client = login(getattr(registry.users, user_key))
    regency = Kabupaten.objects.get(code="74.02")
    with django_assert_max_num_queries(15):
        assert client.get(f"/keluarga/?kabupaten={regency.pk}&per_page=100").status_code == 200
