"""Deaths that approvals of families found gone left unrecorded: before the approval applied the
dead members' findings of a family marked absent whole, those members stayed present and alive. The
migration records them dead, so that the household page says "meninggal" for them, and running it
again changes nothing."""

import importlib

import pytest
from django.apps import apps as current_apps
from django.utils import timezone

from households.models import Member
from tests.households.conftest import migrate_to_latest
from tests.verval.conftest import old_verval

BEFORE = [("verval", "0009_backfill_member_is_deceased"), ("households", "0023_member_is_deceased")]
MIGRATION = "verval.migrations.0010_backfill_deaths_in_families_found_gone"


@pytest.mark.django_db(transaction=True)
def test_members_found_dead_in_a_family_found_gone_are_recorded_dead():
    old = old_verval(BEFORE)
    Household, OldMember, Case, Change = old.Household, old.Member, old.Case, old.Change
    desa, batch = old.desa, old.batch
    now = timezone.now()
    people = {}

    def family(no_kk, presence, applied=True, absent=True, **members):
        home = Household.objects.create(no_kk=no_kk, head_name="KEPALA", desa=desa, is_absent=absent)
        case = Case.objects.create(batch=batch, household=home, kind="inclusion", presence=presence,
                                   verdict="tidak_layak", status="diterapkan" if applied else "dikunjungi",
                                   recorded_at=now, applied_at=now if applied else None)
        for key, (change, fields) in members.items():
            people[key] = OldMember.objects.create(household=home, name=key, relation="anak", **fields)
            if change:
                Change.objects.create(case=case, change=change, member=people[key], name=key)

    # Moved away whole by an older approval: the daughter found dead stayed present and alive.
    family("7409011005080001", "pindah", **{
        "dead in moved family": ("meninggal", {}), "moved cousin": ("pindah", {}), "brother": (None, {})})
    family("7409011005080002", "tidak_ditemukan", **{"dead in family not found": ("meninggal", {})})
    family("7409011005080003", "meninggal", **{"dead with the head": ("meninggal", {})})
    # Found again by a later import: left as it is.
    family("7409011005080004", "pindah", absent=False, **{"dead, family back": ("meninggal", {})})
    # Not yet approved: nothing is known yet.
    family("7409011005080005", "pindah", applied=False, **{"dead, waiting": ("meninggal", {})})
    # A newer approval recorded it already.
    family("7409011005080006", "pindah", **{"recorded": ("meninggal", {"is_absent": True, "is_deceased": True})})

    migrate_to_latest()

    expected = {
        "dead in moved family": (True, True), "moved cousin": (False, False), "brother": (False, False),
        "dead in family not found": (True, True), "dead with the head": (True, True),
        "dead, family back": (False, False), "dead, waiting": (False, False), "recorded": (True, True),
    }
    state = {name: tuple(Member.objects.filter(pk=m.pk).values_list("is_absent", "is_deceased").get())
             for name, m in people.items()}
    assert state == expected
    updated = dict(Member.objects.values_list("pk", "updated_at"))
    importlib.import_module(MIGRATION).backfill(current_apps, None)
    assert dict(Member.objects.values_list("pk", "updated_at")) == updated
