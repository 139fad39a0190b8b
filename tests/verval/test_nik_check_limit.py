"""A visit's members to add are checked against the whole registry: a NIK another family's member
holds is refused. Posted row by row, that check would tell anyone who may record a visit which NIKs
the registry holds: a visit adds at most ``NEW_MEMBER_MAX`` members, and each new NIK checked counts
against the same hourly limit as a masked role's NIK search (``IDENTIFIER_SEARCH_LIMIT``), refused
posts included."""

from __future__ import annotations

import datetime

import pytest

from households.identifiers import make_nik
from households.models import Relation
from tests.factories import MemberFactory
from tests.verval.conftest import client_for, words
from tests.verval import test_member_changes as visits

pytestmark = pytest.mark.django_db
family = visits.family  # the visit tests' family, its case assigned to the officer
HELD = "NIK ini sudah tercatat untuk anggota keluarga lain"
LIMIT = "Batas pemeriksaan NIK tercapai: paling banyak"


def _nik(serial: int) -> str:
    return make_nik(region="740901", birth=datetime.date(1990, 5, 6), female=False, serial=serial)


def _rows(niks, start: int = 0) -> dict:
    """New-member rows ``baru-<start>``, ``baru-<start+1>``... with ``niks``."""
    rows = {}
    for number, nik in enumerate(niks, start=start):
        rows.update({f"baru-{number}-name": f"Orang {number}", f"baru-{number}-nik": nik,
                     f"baru-{number}-relation": Relation.OTHER})
    return rows


def _held_elsewhere(registry, serials) -> list[str]:
    niks = [_nik(serial) for serial in serials]
    for nik in niks:
        MemberFactory(household=registry.poor_4, nik=nik)
    return niks


def _post(client, case, members, rows):
    # The fixture's two rows out of the way: only ``rows`` are members to add.
    data = visits._visit_post(members, **{"baru-0-name": "", "baru-0-nik": "", "baru-0-relation": "", "baru-0-sex": "",
                                   "baru-0-birth_date": "", "baru-1-name": "", "baru-1-relation": "", "baru-1-sex": ""})
    return words(client.post(f"/verval/kasus/{case.pk}/", {**data, **rows}, follow=True).content.decode())


def test_a_visit_adding_more_members_than_a_family_card_holds_is_refused_unchecked(family, people, registry):
    home, case, members = family
    held = _held_elsewhere(registry, range(100, 110))
    fake = [_nik(serial) for serial in range(200, 211)]
    page = _post(client_for(people.officer), case, members, _rows(held + fake))
    assert "Paling banyak 20 anggota baru dalam satu kunjungan; hasil kunjungan belum dicatat." in page
    assert HELD not in page
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


@pytest.mark.parametrize("role", ["officer", "dinsos_head"])
def test_each_new_nik_checked_counts_against_the_hourly_limit(family, people, registry, settings, role):
    """The officer, and Dinas Sosial's head typing in the officer's paper form: both see NIKs in
    full and are told a NIK is held elsewhere, neither may read every family."""
    settings.IDENTIFIER_SEARCH_LIMIT = 3
    home, case, members = family
    officer = client_for(getattr(people, role))
    held = _held_elsewhere(registry, (300, 301))
    page = _post(officer, case, members, _rows(held))
    assert page.count(HELD) == 2  # checked and refused: nothing recorded, but both counted
    case.refresh_from_db()
    assert case.recorded_at is None
    # The same NIKs again count no more; one new NIK is the third and last.
    assert _post(officer, case, members, _rows([*held, _nik(400)])).count(HELD) == 2
    page = _post(officer, case, members, _rows([_nik(401)]))
    assert LIMIT in page and "hasil kunjungan belum dicatat" in page and HELD not in page
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()
    # A visit adding no one new is recorded as before.
    assert "Hasil kunjungan" in _post(officer, case, members, {})
    case.refresh_from_db()
    assert case.recorded_at is not None


def test_bappeda_checks_new_niks_without_a_limit(family, people, registry, settings):
    settings.IDENTIFIER_SEARCH_LIMIT = 0
    home, case, members = family
    held = _held_elsewhere(registry, (500,))
    page = _post(client_for(people.bappeda), case, members, _rows(held))
    assert HELD in page and LIMIT not in page
