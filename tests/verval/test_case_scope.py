"""Which verval cases Dinas Sosial's staff read. Its officers visit every case and its head verifies
every batch, so its managers read every case, whoever opened it and whichever agency's aid the
family gets (an exclusion case's family gets none): the head with NIKs in full, the operator with
NIKs masked. What they may not do is go looking: their candidate page, and so the cases they open
themselves, and the household pages stay limited to their own programs' families."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.verval.conftest import client_for, words
from verval import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def outside_case(registry, people):
    """An exclusion case Bappeda opened for poor_1, a family no Dinas Sosial program reaches."""
    batch = services.cases_open(kind="exclusion", household_ids=[registry.poor_1.pk], by=people.bappeda).batch
    return batch.cases.get()


@pytest.mark.parametrize(("role", "shown"), [("dinsos_head", "full"), ("dinsos_operator", "masked")])
def test_dinas_sosial_reads_a_case_of_a_family_outside_its_programs(outside_case, registry, people, role, shown):
    client = client_for(getattr(people, role))
    nik = registry.poor_1.head_nik
    for url in (f"/verval/kasus/{outside_case.pk}/", f"/verval/berkas/{outside_case.batch_id}/"):
        response = client.get(url)
        assert response.status_code == 200
        page = words(response.content.decode())
        assert registry.poor_1.head_name in page
        assert (nik in page) == (shown == "full")
        assert (f"{nik[:6]}**********" in page) == (shown == "masked")
    # The registry's household page is not where the case is read: it stays the agency's own families'.
    assert client.get(f"/keluarga/{registry.poor_1.pk}/").status_code == 404


def test_dinas_sosial_opens_cases_only_for_its_own_families(registry, people):
    with pytest.raises(ValidationError, match="di luar cakupan OPD Anda"):
        services.cases_open(kind="exclusion", household_ids=[registry.poor_1.pk], by=people.dinsos_head)


def test_another_agency_does_not_read_the_case(outside_case, people):
    client = client_for(people.perkim_head)
    assert client.get(f"/verval/kasus/{outside_case.pk}/").status_code == 404
    assert client.get(f"/verval/berkas/{outside_case.batch_id}/").status_code == 404
