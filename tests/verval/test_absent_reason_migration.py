"""Families approvals found moved away or did not find, before the household kept why: the migration
gives them the reason, so that the portal says "pindah (verval)" or "tidak ditemukan (verval)" rather
than that the data left them out; running it again changes nothing."""

import datetime
import importlib

import pytest
from django.apps import apps as current_apps
from django.utils import timezone

from households.models import Household
from tests.households.conftest import migrate_to_latest
from tests.verval.conftest import old_verval

BEFORE = [("verval", "0010_backfill_deaths_in_families_found_gone"), ("households", "0025_household_absent_reason")]
MIGRATION = "verval.migrations.0011_backfill_household_absent_reason"


@pytest.mark.django_db(transaction=True)
def test_families_found_moved_or_not_found_are_said_so():
    old = old_verval(BEFORE)
    OldHousehold, Case, desa, batch = old.Household, old.Case, old.desa, old.batch
    History = old.apps.get_model("households", "HistoricalHousehold")
    approved = timezone.now() - datetime.timedelta(days=30)
    homes = {}

    def family(name, *cases, absent=True, merged=False, back_after=None):
        home = OldHousehold.objects.create(no_kk=f"74090110050{len(homes) + 1:05d}", head_name=name, desa=desa,
                                           is_absent=absent)
        if merged:
            OldHousehold.objects.filter(pk=home.pk).update(merged_into=homes["moved"])
        for presence, applied_at in cases:
            Case.objects.create(batch=batch, household=home, kind="inclusion", presence=presence, verdict="tidak_layak",
                                status="diterapkan" if applied_at else "dikunjungi", recorded_at=approved,
                                applied_at=applied_at)
        if back_after:  # an import found it again after the approval (and perhaps left it out later)
            kept = {f.attname for f in History._meta.concrete_fields}
            values = {f.attname: getattr(home, f.attname) for f in OldHousehold._meta.concrete_fields if f.attname in kept}
            History.objects.create(**{**values, "is_absent": False}, history_date=approved + back_after, history_type="~")
        homes[name] = home

    family("moved", ("pindah", approved))
    family("not found", ("tidak_ditemukan", approved))
    family("head dead", ("meninggal", approved))  # read from the head member, not kept
    family("found at home", ("ditemukan", approved))
    family("moved, then found", ("pindah", approved - datetime.timedelta(days=5)), ("ditemukan", approved))
    family("back, then left out again", ("pindah", approved), back_after=datetime.timedelta(days=2))
    family("back before", ("pindah", approved), back_after=-datetime.timedelta(days=2))
    family("present", ("pindah", approved), absent=False)
    family("not approved", ("pindah", None))
    family("merged", ("pindah", approved), merged=True)

    migrate_to_latest()

    reasons = {name: Household.objects.get(pk=home.pk).absent_reason for name, home in homes.items()}
    assert reasons == {
        "moved": "pindah", "not found": "tidak_ditemukan", "head dead": "", "found at home": "",
        "moved, then found": "", "back, then left out again": "", "back before": "pindah", "present": "",
        "not approved": "", "merged": "",
    }
    updated = dict(Household.objects.values_list("pk", "updated_at"))
    importlib.import_module(MIGRATION).backfill(current_apps, None)
    assert dict(Household.objects.values_list("pk", "updated_at")) == updated
    assert {name: Household.objects.get(pk=home.pk).absent_reason for name, home in homes.items()} == reasons
