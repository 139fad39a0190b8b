"""A NIK the registry holds in two families (a son split into his own family card, the old card
not updated yet): a recipient row goes to the family its own No KK names, not to whichever family
the registry happened to store first; a row that does not say which family is an error naming
them, and a family where the person was marked absent does not compete with a live one."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from households.identifiers import make_nik
from programs.models import Enrollment
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory
from tests.programs.test_import_recipients import run, sheet
from tests.programs.test_import_recipients_kk_match import preview

pytestmark = pytest.mark.django_db

HEADERS = ["NO", "NIK", "NO KK", "NAMA", "TAHUN", "NILAI BANTUAN"]
SON = make_nik(region="740901", birth=datetime.date(2003, 5, 3), female=False, serial=5)


@pytest.fixture
def split(reference):
    """LA SAMIUN's family (his son LA ODE RAHMAT still on it), and the son's own new family card."""
    father_nik = make_nik(region="740901", birth=datetime.date(1978, 7, 15), female=False, serial=3)
    father = HouseholdFactory(p3ke_id="122000101", no_kk="7409011203150001", head_nik=father_nik, head_name="LA SAMIUN")
    MemberFactory(household=father, nik=father_nik, relation="kepala", name="LA SAMIUN")
    MemberFactory(household=father, nik=SON, relation="anak", name="LA ODE RAHMAT")
    son = HouseholdFactory(p3ke_id="122000102", no_kk="7409011203150009", head_nik=SON, head_name="LA ODE RAHMAT")
    MemberFactory(household=son, nik=SON, relation="kepala", name="LA ODE RAHMAT")
    return father, son


def bsps(path, kk):
    return sheet(path, [{"NO": 1, "NIK": SON, "NO KK": kk, "NAMA": "LA ODE RAHMAT", "TAHUN": 2025,
                         "NILAI BANTUAN": "Rp 20.000.000"}], headers=HEADERS, title_rows=0)


@pytest.mark.parametrize("card", ["son", "father"])
def test_a_row_goes_to_the_family_its_own_no_kk_names(split, tmp_path, card):
    father, son = split
    family = {"son": son, "father": father}[card]
    code, out, err = run("import_recipients", str(bsps(tmp_path / "bsps.xlsx", family.no_kk)), "--program", "bsps", "--json")
    assert code == 0, (out, err)
    result = json.loads(out)
    assert result["enrollments"]["created"] == 1
    assert result["warnings"] == 0  # no "No KK di berkas ... berbeda": the row's own card holds the NIK
    assert list(Enrollment.objects.values_list("household_id", "program__code", "year", "amount")) == [
        (family.pk, "bsps", 2025, 20_000_000),
    ]


@pytest.mark.parametrize("kk", ["", "7409011203159999"])
def test_a_row_that_does_not_say_which_family_is_an_error_naming_them(split, tmp_path, kk):
    father, son = split
    code, out, _err = run("import_recipients", str(bsps(tmp_path / "bsps.xlsx", kk)), "--program", "bsps")
    assert code == 1
    assert (
        f"baris 2, NIK: NIK {SON} ada di 2 keluarga di registri (No KK {father.no_kk}, No KK {son.no_kk})" in out
    ), out
    assert not Enrollment.objects.exists()


def test_the_preview_names_the_families_and_its_forecast_follows_the_family_found(bappeda_client, split, tmp_path):
    father, son = split
    # The father's family receives PKH 2025: the son's BSPS on his own card is the same person
    # receiving aid through two cards, as the one-aid check will say once it is saved.
    EnrollmentFactory(household=father, year=2025)
    batch, page = preview(bappeda_client, bsps(tmp_path / "none.xlsx", ""), program="bsps")
    assert f"NIK {SON} ada di 2 keluarga di registri (No KK {father.no_kk}, No KK {son.no_kk})" in page
    assert batch.counts["enrollments_planned"] == 0

    batch, page = preview(bappeda_client, bsps(tmp_path / "son.xlsx", son.no_kk), program="bsps")
    assert batch.errors == []
    forecast = batch.counts["conflicts_forecast"]
    assert forecast["count"] == 1
    assert forecast["named"] == [f"No KK {son.no_kk} (LA ODE RAHMAT): BSPS 2025 dengan PKH 2025 lewat No KK {father.no_kk}"]
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    enrollment = Enrollment.objects.get(program__code="bsps")
    assert enrollment.household_id == son.pk
    assert enrollment.conflicts_as_a.count() + enrollment.conflicts_as_b.count() == forecast["count"]


@pytest.mark.parametrize("absent", ["member", "household"])
def test_a_family_where_the_person_is_marked_absent_does_not_compete_with_a_live_one(split, tmp_path, absent):
    father, son = split
    if absent == "member":
        father.members.filter(nik=SON).update(is_absent=True)
    else:
        # The son's own card is the older record here, marked absent; the father's card is live.
        type(son).objects.filter(pk=son.pk).update(is_absent=True)
        son.members.update(is_absent=True)
    live = son if absent == "member" else father
    code, out, err = run("import_recipients", str(bsps(tmp_path / "bsps.xlsx", "")), "--program", "bsps", "--json")
    assert code == 0, (out, err)
    assert list(Enrollment.objects.values_list("household_id", flat=True)) == [live.pk]


@pytest.mark.parametrize("p3ke_id", ["122000101", None])
def test_a_family_without_a_no_kk_is_named_by_its_p3ke_id_else_its_head_and_village(reference, tmp_path, p3ke_id):
    """The father's family came from P3KE (no No KK): the error names it by what it has, and the
    advice is one the operator can follow (the row can only name a family by its No KK)."""
    father_nik = make_nik(region="740901", birth=datetime.date(1978, 7, 15), female=False, serial=3)
    father = HouseholdFactory(p3ke_id=p3ke_id, no_kk="", head_nik=father_nik, head_name="LA SAMIUN")
    MemberFactory(household=father, nik=father_nik, relation="kepala", name="LA SAMIUN")
    MemberFactory(household=father, nik=SON, relation="anak", name="LA ODE RAHMAT")
    son = HouseholdFactory(p3ke_id=None, no_kk="7409011203150009", head_nik=SON, head_name="LA ODE RAHMAT")
    MemberFactory(household=son, nik=SON, relation="kepala", name="LA ODE RAHMAT")
    named = f"ID Keluarga P3KE {p3ke_id}" if p3ke_id else f"keluarga LA SAMIUN, Desa/Kelurahan {father.desa.name}"

    code, out, _err = run("import_recipients", str(bsps(tmp_path / "bsps.xlsx", "")), "--program", "bsps")
    assert code == 1
    assert (
        f"NIK {SON} ada di 2 keluarga di registri ({named}, No KK {son.no_kk}) dan baris ini tidak menyebut No KK-nya: "
        "isi No KK keluarga penerima di berkas (keluarga tanpa No KK dapat dipilih setelah No KK-nya diisi di registri: "
        "Admin, Keluarga), atau tandai anggota ini tidak ada di keluarga lamanya (Admin, Anggota keluarga)"
    ) in out, out
    assert "No KK ," not in out and not Enrollment.objects.exists()
