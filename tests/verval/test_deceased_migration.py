"""Deaths approved before the member record kept them: the migration records them, so that the
household page says "meninggal" for the members and heads an applied case found dead."""

import pytest
from django.utils import timezone

from households.models import Member
from tests.households.conftest import migrate_to_latest
from tests.verval.conftest import old_verval

BEFORE = [("verval", "0008_case_member_change"), ("households", "0022_identifiers_without_excel_marks")]


@pytest.mark.django_db(transaction=True)
def test_approved_deaths_are_recorded_on_the_members():
    old = old_verval(BEFORE)
    Household, OldMember, Case, Change = old.Household, old.Member, old.Case, old.Change
    desa, batch = old.desa, old.batch
    now = timezone.now()

    def family(no_kk, **fields):
        return Household.objects.create(no_kk=no_kk, head_name="KEPALA", desa=desa, **fields)

    home = family("7409011005080001")
    people = {
        "son dead": OldMember.objects.create(household=home, name="Anak", relation="anak", is_absent=True),
        "cousin moved": OldMember.objects.create(household=home, name="Sepupu", relation="lainnya", is_absent=True),
        "wife": OldMember.objects.create(household=home, name="Istri", relation="pasangan"),
        "head alive": OldMember.objects.create(household=home, name="KEPALA", relation="kepala"),
    }
    case = Case.objects.create(batch=batch, household=home, kind="inclusion", presence="ditemukan", verdict="layak",
                               status="diterapkan", recorded_at=now, applied_at=now)
    Change.objects.create(case=case, change="meninggal", member=people["son dead"], name="Anak")
    Change.objects.create(case=case, change="pindah", member=people["cousin moved"], name="Sepupu")
    # A head found dead in a family merged since into another record: found there, as approval applied it.
    kept = family("7409011005080002", head_nik="7409010101800002")
    merged = family("7409011005080003", merged_into=kept, is_absent=True, head_nik="7409010101800003")
    people["head dead"] = OldMember.objects.create(household=kept, name="KEPALA", relation="kepala", is_absent=True,
                                                   nik="7409010101800003")
    # The kept family's earlier head, divorced and moved out alive, whom an import had left out.
    people["earlier head"] = OldMember.objects.create(household=kept, name="LAMA", relation="kepala", is_absent=True,
                                                      nik="7409010101700009")
    # A head found dead whom Bappeda has replaced since: the family's head NIK at the approval.
    replaced = family("7409011005080005", head_nik="7409010101800005")
    people["head replaced"] = OldMember.objects.create(household=replaced, name="KEPALA", relation="kepala",
                                                       is_absent=True, nik="7409010101800005")
    Case.objects.create(batch=batch, household=replaced, kind="inclusion", presence="meninggal", verdict="layak",
                        status="diterapkan", recorded_at=now, applied_at=now)
    HistoricalHousehold = old.apps.get_model("households", "HistoricalHousehold")
    kept_fields = {f.attname for f in HistoricalHousehold._meta.concrete_fields}
    then = {k: v for k, v in Household.objects.filter(pk=replaced.pk).values().get().items() if k in kept_fields}
    HistoricalHousehold.objects.create(**then, history_date=now, history_type="~")
    Household.objects.filter(pk=replaced.pk).update(head_nik="7409010101900006", head_name="BARU")
    Case.objects.create(batch=batch, household=merged, kind="inclusion", presence="meninggal", verdict="layak",
                        status="diterapkan", recorded_at=now, applied_at=now)
    # Found dead, not yet approved: nothing is known yet.
    waiting = family("7409011005080004")
    people["head waiting"] = OldMember.objects.create(household=waiting, name="KEPALA", relation="kepala", is_absent=True)
    Case.objects.create(batch=batch, household=waiting, kind="inclusion", presence="meninggal", verdict="layak",
                        status="dikunjungi", recorded_at=now)

    migrate_to_latest()

    assert {name: Member.objects.get(pk=m.pk).is_deceased for name, m in people.items()} == {
        "son dead": True, "cousin moved": False, "wife": False, "head alive": False, "head dead": True,
        "head waiting": False,
        "earlier head": False, "head replaced": True,
    }
