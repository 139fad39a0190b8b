"""Visits recorded before the visit kept its desil take the desil the household's history held when
the visit was recorded: approval then confirms eligibility at that desil, not at a later one."""

import datetime

import pytest
from django.utils import timezone

from tests.households.conftest import apps_at, migrate_to_latest, old_desa
from verval.models import VervalCase

BEFORE = [("verval", "0003_proposalrow"), ("households", "0020_rt_rw_three_digits")]


@pytest.mark.django_db(transaction=True)
def test_a_visit_recorded_before_takes_the_desil_of_its_day():
    old = apps_at(BEFORE)
    Household, Historical = old.get_model("households", "Household"), old.get_model("households", "HistoricalHousehold")
    desa = old_desa(old)
    now = timezone.now()
    visited_at = now - datetime.timedelta(days=10)

    def household(no_kk, desils):
        """A household whose history holds these desils: the first from before the visit, the others since."""
        home = Household.objects.create(no_kk=no_kk, head_name="KEPALA", desa=desa, desil=desils[-1])
        kept = {f.attname for f in Historical._meta.concrete_fields}
        fields = {f.attname: getattr(home, f.attname) for f in Household._meta.concrete_fields if f.attname in kept}
        for index, desil in enumerate(desils):
            day = visited_at - datetime.timedelta(days=10) if index == 0 else now
            Historical.objects.create(**{**fields, "desil": desil}, history_date=day, history_type="~")
        return home

    resynced = household("7409011005080001", [6, 9])  # desil 6 at the visit, 9 since
    unchanged = household("7409011005080002", [7])
    never = Household.objects.create(no_kk="7409011005080003", head_name="KEPALA", desa=desa, desil=5)  # no history
    batch = old.get_model("verval", "VervalBatch").objects.create(title="Inklusi", kind="inclusion")
    Case = old.get_model("verval", "VervalCase")
    cases = {
        "resynced": Case.objects.create(batch=batch, household=resynced, kind="inclusion", verdict="layak",
                                        presence="ditemukan", recorded_at=visited_at),
        "unchanged": Case.objects.create(batch=batch, household=unchanged, kind="inclusion", verdict="layak",
                                         presence="ditemukan", recorded_at=visited_at),
        "no history": Case.objects.create(batch=batch, household=never, kind="inclusion", verdict="layak",
                                          presence="ditemukan", recorded_at=visited_at),
        "not visited": Case.objects.create(batch=batch, household=unchanged, kind="exclusion"),
    }

    migrate_to_latest()

    assert {name: VervalCase.objects.get(pk=case.pk).visited_desil for name, case in cases.items()} == {
        "resynced": 6, "unchanged": 7, "no history": None, "not visited": None,
    }
