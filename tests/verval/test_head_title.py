"""Verval names the head of the area the registry covers (``KONUT_WILAYAH``) as its people know them:
the Bupati of a kabupaten, the Wali Kota of a kota. A city's pages never speak of a Bupati."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import Role
from households.identifiers import make_nik
from households.models import Desa
from tests.factories import HouseholdFactory, UserFactory
from tests.verval.conftest import COMPLETE, enroll
from verval import services
from verval.models import Presence, Verdict

pytestmark = pytest.mark.django_db

# (KONUT_WILAYAH, the head's title, the title that must not appear)
AREAS = [("74.71", "Wali Kota", "Bupati"), ("74.09", "Bupati", "Wali Kota")]


@pytest.fixture(autouse=True, params=AREAS, ids=["kota-kendari", "kabupaten-konawe-utara"])
def area(request, settings):
    """The area is set before the reference data loads, so that the registry holds its villages."""
    settings.KONUT_WILAYAH = request.param[0]
    return request.param


def client_for(user, language="id") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_verval_pages_and_messages_name_the_head_of_the_covered_area(area, people):
    code, head, other = area
    desa = Desa.objects.order_by("code").first()
    assert desa.code.startswith(code + ".")  # the covered area's own village
    home = HouseholdFactory(
        desa=desa, desil=6, **COMPLETE,
        head_nik=make_nik(region=desa.code.replace(".", "")[:6], birth=datetime.date(1975, 3, 4), female=False, serial=4321),
    )
    enroll(home, "pkh")
    leader = UserFactory(username="pimpinan.daerah", role=Role.LEADERSHIP, first_name="Sulkarnain")
    batch = services.cases_open(kind="inclusion", household_ids=[home.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    bappeda, leadership = client_for(people.bappeda), client_for(leader)

    pages = {
        "the batch list's flow": (_words(bappeda.get("/verval/berkas/")), f"pengesahan {head} → usulan ke kementerian"),
        "the visit form": (_words(client_for(people.officer).get(f"/verval/kasus/{case.pk}/")),
                           f"koreksi diterapkan setelah berkas disahkan {head}."),
    }
    services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                               verdict=Verdict.ELIGIBLE)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    pages["the batch page before approval"] = (_words(leadership.get(f"/verval/berkas/{batch.pk}/")), f"Pengesahan {head}: –")
    refused = client_for(people.dinsos_head).post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"})
    assert refused.status_code == 403
    pages["approval by another"] = (_words(refused), f"Hanya {head} (pimpinan) yang dapat mengesahkan berkas verval.")
    early = bappeda.get(f"/verval/berkas/{batch.pk}/usulan.xlsx")
    assert early.status_code == 403
    pages["an early proposal file"] = (_words(early), f"Usulan hanya dapat diekspor dari berkas yang sudah disahkan {head}.")

    approved = leadership.post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"}, follow=True)
    pages["the approved batch"] = (_words(approved), f"Tahap: Disahkan {head} · hanya baca")
    assert f"Pengesahan {head}: " in pages["the approved batch"][0]
    page = bappeda.get("/verval/kandidat/", {"kind": "inclusion", "desa": desa.pk})
    pages["the candidates"] = (_words(page), f"1 keluarga tidak dicantumkan: verval yang disahkan {head} menyatakannya layak")
    with pytest.raises(ValidationError) as refusal:
        services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    pages["a step refused after approval"] = (refusal.value.messages[0], f"tahap berkas Disahkan {head}.")

    for where, (text, expected) in pages.items():
        assert expected in text, where
        assert other not in text, where


def test_english_pages_name_the_head_in_english(area, people):
    code, head, _other = area
    english = {"Wali Kota": "Mayor", "Bupati": "Regent"}[head]
    page = _words(client_for(people.bappeda, "en").get("/verval/berkas/"))
    assert f"{english}'s approval → proposals to the ministry" in page
    assert head not in page
