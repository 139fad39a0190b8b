"""A small registry whose verval candidates are counted by hand, and the people of the verval flow.

| key              | desil | state                       | aid (live unless said)             | candidate of            |
|------------------|-------|-----------------------------|------------------------------------|-------------------------|
| pkh_ok           | 3     |                             | PKH active                         | -                       |
| pkh_high         | 6     |                             | PKH active                         | inclusion               |
| sembako_5        | 5     |                             | Sembako active                     | - (limit 5)             |
| sembako_7        | 7     |                             | Sembako proposed                   | inclusion               |
| pkh_cancelled    | 8     |                             | PKH cancelled (not live)           | -                       |
| bsps_9           | 9     |                             | BSPS active (no limit)             | -                       |
| poor_1           | 1     |                             | -                                  | exclusion               |
| poor_4           | 4     |                             | -                                  | exclusion               |
| poor_5           | 5     |                             | -                                  | -                       |
| absent_pkh       | 2     | absent from newest extract  | PKH active                         | absent_enrolled         |
| absent_none      | 2     | absent                      | -                                  | -                       |
| no_desil         | -     |                             | PKH active                         | incomplete              |
| no_water         | 2     | water source blank          | BSPS active                        | incomplete              |
| merged           | 1     | merged into pkh_ok          | -                                  | -                       |
| pkh_sembako_high | 7     |                             | PKH active + Sembako active        | inclusion (once)        |
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from agencies.models import Agency, Role
from households.identifiers import make_nik
from households.models import Desa
from programs.models import EnrollmentStatus, Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, UserFactory
from verval import services
from verval.models import Presence

COMPLETE = {
    "house_ownership": "milik_sendiri", "roof_type": "asbes_seng", "wall_type": "kayu_papan", "floor_type": "semen",
    "lighting": "pln_meteran", "cooking_fuel": "arang_kayu", "water_source": "sumur_terlindung", "toilet": "milik_sendiri",
}
HAND_COUNTED = {"inclusion": 3, "exclusion": 2, "absent_enrolled": 1, "incomplete": 2}

_serial = iter(range(1000, 9999))


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    """A request in English leaves English active in this thread; the next tests expect Indonesian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def household(desa, desil, **fields):
    values = {**COMPLETE, **fields}
    nik = make_nik(region="740901", birth=datetime.date(1975, 3, 4), female=False, serial=next(_serial))
    return HouseholdFactory(desa=desa, desil=desil, head_nik=nik, **values)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def words(html: str) -> str:
    """A page's text without its tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class _VisitForm(HTMLParser):
    """The visit form's values as the browser sends them back: text and hidden inputs, the note's
    text, the options selected (the first when none is)."""

    def __init__(self):
        super().__init__()
        self.values, self.select, self.inside, self.textarea = {}, None, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "visit-form"
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "checkbox", "file"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.values[self.textarea] = ""
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and (self.select not in self.values or "selected" in attrs):
            self.values[self.select] = attrs.get("value") or ""

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False


def sent_back(html: str, **changes) -> dict:
    """What the visit page's form sends when saved, with ``changes`` typed in."""
    parser = _VisitForm()
    parser.feed(html)
    # A browser drops the newline that opens a textarea.
    return {**{name: value.removeprefix("\n") for name, value in parser.values.items()}, **changes}


def approval_preview_text(batch, bupati) -> str:
    """The Bupati's approval preview of ``batch``, as text."""
    page = client_for(bupati).get(f"/verval/berkas/{batch.pk}/").content.decode()
    return words(page.split('id="approval-preview"', 1)[1].split("</ul>", 1)[0])


def approved_page_text(batch, bupati) -> str:
    """The page the Bupati is shown after approving ``batch``, as text."""
    return words(client_for(bupati).post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"}, follow=True).content.decode())


def visit_all_and_approve(batch, people, verdict, presence=Presence.FOUND):
    """Every case of ``batch`` visited with the same findings, then deliberated, verified and approved."""
    for case in batch.cases.order_by("id"):
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=presence,
                                   verdict=verdict)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    return services.batch_approve(batch=batch, by=people.bupati)


def enroll(home, code, status=EnrollmentStatus.ACTIVE, year=2025):
    """Through the enrollment service, so that a second aid is flagged as on every write."""
    return enrollment_create(household=home, program=Program.objects.get(code=code), status=status, year=year).enrollment


@pytest.fixture
def registry(reference):
    from households.models import HouseOwnership, Lighting, CookingFuel, FloorType, RoofType, Toilet, WallType, WaterSource

    # The codes above must be real choice values: a typo would make every household incomplete.
    assert COMPLETE["house_ownership"] in HouseOwnership.values and COMPLETE["roof_type"] in RoofType.values
    assert COMPLETE["wall_type"] in WallType.values and COMPLETE["floor_type"] in FloorType.values
    assert COMPLETE["lighting"] in Lighting.values and COMPLETE["cooking_fuel"] in CookingFuel.values
    assert COMPLETE["water_source"] in WaterSource.values and COMPLETE["toilet"] in Toilet.values
    desa = Desa.objects.get(code="74.09.01.2006")
    other = Desa.objects.get(code="74.09.02.2002")
    h = SimpleNamespace(desa=desa, other=other)
    h.pkh_ok = household(desa, 3)
    enroll(h.pkh_ok, "pkh")
    h.pkh_high = household(desa, 6)
    h.pkh_high_enrollment = enroll(h.pkh_high, "pkh")
    h.sembako_5 = household(desa, 5)
    enroll(h.sembako_5, "sembako")
    h.sembako_7 = household(other, 7)
    enroll(h.sembako_7, "sembako", EnrollmentStatus.PROPOSED)
    h.pkh_cancelled = household(desa, 8)
    enroll(h.pkh_cancelled, "pkh", EnrollmentStatus.CANCELLED)
    h.bsps_9 = household(desa, 9)
    enroll(h.bsps_9, "bsps")
    h.poor_1 = household(other, 1)
    h.poor_4 = household(desa, 4)
    h.poor_5 = household(desa, 5)
    h.absent_pkh = household(desa, 2, is_absent=True)
    enroll(h.absent_pkh, "pkh")
    h.absent_none = household(desa, 2, is_absent=True)
    h.no_desil = household(desa, None)
    enroll(h.no_desil, "pkh")
    h.no_water = household(desa, 2, water_source="")
    enroll(h.no_water, "bsps")
    h.merged = household(desa, 1, merged_into=h.pkh_ok)
    h.pkh_sembako_high = household(desa, 7)
    enroll(h.pkh_sembako_high, "pkh")
    enroll(h.pkh_sembako_high, "sembako")
    return h


@pytest.fixture
def people(reference):
    dinsos = Agency.objects.get(code="dinsos")
    return SimpleNamespace(
        bappeda=UserFactory(username="rina.bappeda", role=Role.BAPPEDA_OPERATOR, first_name="Rina"),
        dinsos_head=UserFactory(username="kadis.dinsos", role=Role.AGENCY_HEAD, agency=dinsos, first_name="Kadis"),
        dinsos_operator=UserFactory(username="operator.dinsos", role=Role.AGENCY_OPERATOR, agency=dinsos),
        officer=UserFactory(username="pendamping.ani", role=Role.FIELD_OFFICER, agency=dinsos, first_name="Ani", last_name="Pendamping"),
        other_officer=UserFactory(username="pendamping.budi", role=Role.FIELD_OFFICER, agency=dinsos, first_name="Budi"),
        perkim_head=UserFactory(username="kadis.perkim", role=Role.AGENCY_HEAD, agency=Agency.objects.get(code="perkim")),
        bupati=UserFactory(username="bupati", role=Role.LEADERSHIP, first_name="Bupati"),
    )


def old_verval(target: list[tuple[str, str]]) -> SimpleNamespace:
    """The models as they were at the migrations ``target`` (a data migration's test), with
    Wanggudu Raya and an inclusion batch in them."""
    from tests.households.conftest import apps_at, old_desa

    old = apps_at(target)
    return SimpleNamespace(
        apps=old, Household=old.get_model("households", "Household"), Member=old.get_model("households", "Member"),
        Case=old.get_model("verval", "VervalCase"), Change=old.get_model("verval", "CaseMemberChange"),
        desa=old_desa(old), batch=old.get_model("verval", "VervalBatch").objects.create(title="Inklusi", kind="inclusion"),
    )
