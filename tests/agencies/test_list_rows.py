"""The cells of a list row, as a user sees them: names and places escaped, the detail link with the
way back, masked or full identifiers, the enrollments with their status, the badges."""

import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import translation

from tests.agencies.helpers import listed_ids

pytestmark = pytest.mark.django_db


def rows(response) -> list[str]:
    return re.findall(r"<tr[ >].*?</tr>", response.content.decode().split("<tbody>")[1].split("</tbody>")[0], re.S)


def row_of(response, household) -> str:
    [row] = [row for row in rows(response) if f"/keluarga/{household.pk}/?" in row]
    return row


def test_a_row_escapes_the_name_and_links_back_to_the_same_list(registry, login):
    household = registry.hh.a
    household.head_name = 'Ahmad <b>"Lapodi"</b> & Wa'
    household.save()
    path = "/keluarga/?q=Lapodi&sort=nama"
    row = row_of(login(registry.users.head).get(path), household)
    assert "&lt;b&gt;&quot;Lapodi&quot;&lt;/b&gt; &amp; Wa</a>" in row and "<b>" not in row
    assert f'href="/keluarga/{household.pk}/?kembali={quote(path)}"' in row
    assert "Wanggudu" in row and "Asera" in row and '<td class="num">1</td>' in row


def test_a_row_shows_each_selected_enrollment_with_its_status_and_the_conflict_badge(registry, login):
    row = row_of(login(registry.users.head).get("/keluarga/"), registry.hh.f)
    assert row.startswith('<tr class="has-conflict">')
    assert row.count('<div class="enr">') == 2
    assert '<span class="badge status-active">Aktif</span>' in row
    assert '<span class="badge status-proposed">Diusulkan</span>' in row
    assert 'title="Ada konflik satu bantuan yang terbuka">Konflik</span>' in row
    assert 'class="has-conflict"' not in row_of(login(registry.users.head).get("/keluarga/"), registry.hh.a)


def test_status_labels_follow_the_chosen_language(registry, login):
    client = login(registry.users.head)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        row = row_of(client.get("/keluarga/"), registry.hh.a)
        conflicts = client.get("/keluarga/?conflict=1").content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    assert '<span class="badge status-proposed">Proposed</span>' in row
    assert 'class="badge conflict" title="There is an open one-aid conflict"' in conflicts


def test_a_household_without_aid_absent_and_without_decile(registry, login):
    household = registry.hh.e
    household.is_absent, household.desil = True, None
    household.save()
    response = login(registry.users.bappeda).get("/keluarga/?aid=none&absent=1")
    assert household.pk in listed_ids(response)
    row = row_of(response, household)
    assert '<span class="muted">belum ada bantuan</span>' in row
    assert '<span class="badge muted">tidak ada di data terbaru</span>' in row
    assert '<td class="num">–</td>' in row


def test_identifiers_are_masked_for_an_operator_and_the_checkbox_is_for_bappeda_only(registry, login):
    household = registry.hh.a
    operator_row = row_of(login(registry.users.operator).get("/keluarga/"), household)
    assert household.head_nik not in operator_row and household.no_kk not in operator_row
    assert 'type="checkbox"' not in operator_row
    bappeda_row = row_of(login(registry.users.bappeda).get("/keluarga/?agency=dinsos"), household)
    assert f'value="{household.pk}" form="distribute-form" aria-label="Pilih Ahmad Lapodi"' in bappeda_row
