"""A merge decided on the identity-duplicate page sticks: the next import of the same files finds
the family through the record kept (or through the merged record's own key), creates nothing again
and never fails; the kept family takes the identifiers and the newest desil of the merged record,
and every history row the merge writes says why."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db.models import Q
from django.urls import reverse

from dedup.models import Conflict, ConflictStatus, IdentityMatch, IdentityStatus
from households.models import Household, ImportBatch, Member
from programs.candidates import inclusion_candidates
from programs.models import Enrollment
from tests.households.conftest import (
    DTKS, HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_csv, write_xlsx,
)
from tests.households.test_import_bad_input import run

pytestmark = pytest.mark.django_db

KK = "7409010501230001"
CHILD_BIRTH = datetime.date(2010, 5, 17)


def imported(*args) -> dict:
    code, out, err = run(*args, "--json")
    assert code == 0, (out, err)
    return json.loads(out)


def decide(client, a: Household, b: Household, decision: str):
    """Bappeda merges the open pair of ``a`` and ``b`` on the identity-duplicate page."""
    low, high = sorted((a.pk, b.pk))
    match = IdentityMatch.objects.filter(household_a_id=low, household_b_id=high, status=IdentityStatus.OPEN).order_by("pk").first()
    response = client.post(
        reverse("admin:dedup_identitymatch_change", args=[match.pk]), {"decision": decision, "reason": "Keluarga yang sama"},
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == IdentityStatus.MERGED
    return match


def registry():
    return (
        Household.objects.count(), Member.objects.count(), Enrollment.objects.count(),
        Conflict.objects.filter(status=ConflictStatus.OPEN).count(),
    )


def warnings_of(summary) -> list[str]:
    return [issue["reason"] for issue in ImportBatch.objects.get(pk=summary["batch"]).warnings]


# --- One family from P3KE (no No KK) and from DTKS (with its No KK) -----------------------------------


@pytest.fixture
def same_family_files(tmp_path):
    households = [household_row("122990001", 7100, **{"Nama Kepala Keluarga": "LA ODE MUSA", "Penerima PKH": "Ya"})]
    members = [
        head_member_row("122990001", "91229900011", 7100, Nama="LA ODE MUSA"),
        member_row("122990001", "91229900012", 7500, Nama="MUHAMMAD ARIF"),
    ]
    p3ke = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})

    def dtks_row(number, name, relation, birth, **extra):
        return {
            "ID DTKS": f"D{number}", "Provinsi": "SULAWESI TENGGARA", "Kabupaten/Kota": "KONAWE UTARA", "Kecamatan": "ASERA",
            "Desa/Kelurahan": "WANGGUDU RAYA", "Alamat": "Jl. X", "Dusun": "I", "RT": "001", "RW": "002", "Nomor KK": KK,
            "Nomor NIK": number, "Nama": name, "Tanggal Lahir": birth.strftime("%d/%m/%Y"), "Tempat Lahir": "Asera",
            "Jenis Kelamin": "Laki-laki", "Nama Ibu Kandung": "IBU", "Hubungan Keluarga": relation, "Pekerjaan": "Petani",
            "Bansos BPNT": "Tidak", "Bansos PKH": "Tidak", "PBI JKN": "Tidak", **extra,
        }

    dtks = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, [
        dtks_row(nik(7100), "LA ODE MUSA", "Kepala Keluarga", datetime.date(1980, 1, 5), **{"Bansos BPNT": "Ya"}),
        dtks_row(nik(7500, birth=CHILD_BIRTH), "MUHAMMAD ARIF", "Anak", CHILD_BIRTH),
        # Only in DTKS: moves to the P3KE record when that one is kept.
        dtks_row(nik(7600, female=True), "SITI AMINAH", "Istri", datetime.date(1980, 1, 5), **{"Jenis Kelamin": "Perempuan"}),
    ])})
    return p3ke, dtks


@pytest.fixture
def both_imported(reference, same_family_files):
    p3ke, dtks = same_family_files
    imported("import_p3ke", str(p3ke), "--partial")
    imported("import_dtks", str(dtks), "--partial", "--year", "2023")
    return Household.objects.get(p3ke_id="122990001"), Household.objects.get(no_kk=KK)


def test_keeping_the_p3ke_record_takes_the_dtks_no_kk(bappeda_client, both_imported):
    p3ke_record, dtks_record = both_imported
    decide(bappeda_client, p3ke_record, dtks_record, "merge_a" if p3ke_record.pk < dtks_record.pk else "merge_b")
    p3ke_record.refresh_from_db()
    assert p3ke_record.no_kk == KK
    page = bappeda_client.get(reverse("agencies:household_detail", args=[p3ke_record.pk])).content.decode()
    assert KK in page
    found = bappeda_client.get(reverse("agencies:household_list"), {"q": KK}).content.decode()
    assert "LA ODE MUSA" in found and reverse("agencies:household_detail", args=[p3ke_record.pk]) in found


def test_keeping_the_dtks_record_takes_the_p3ke_id_and_the_id_individu(
    bappeda_client, same_family_files, both_imported,
):
    p3ke_record, dtks_record = both_imported
    decide(bappeda_client, p3ke_record, dtks_record, "merge_b" if p3ke_record.pk < dtks_record.pk else "merge_a")
    dtks_record.refresh_from_db()
    p3ke_record.refresh_from_db()
    assert dtks_record.p3ke_id == "122990001" and p3ke_record.p3ke_id is None
    # The people keep their P3KE ID Individu in the kept family.
    people = dtks_record.members.filter(is_absent=False).exclude(id_individu=None)
    assert set(people.values_list("id_individu", flat=True)) == {"91229900011", "91229900012"}


# --- The newest desil, and the reasons in the history ------------------------------------------------

DTSEN = [
    "Nomor KK", "Nomor NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kecamatan",
    "Desa/Kelurahan", "Alamat", "Desil Nasional", "Periode Desil",
]


def test_the_kept_p3ke_record_takes_the_newer_dtsen_desil(bappeda_client, reference, same_family_files, tmp_path):
    imported("import_p3ke", str(same_family_files[0]), "--partial")
    common = {"Nomor KK": KK, "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Alamat": "Jl. X",
              "Desil Nasional": "7", "Periode Desil": "Triwulan II 2025"}
    dtsen = write_csv(tmp_path / "dtsen.csv", DTSEN, [
        {**common, "Nomor NIK": nik(7100), "Nama": "LA ODE MUSA", "Tanggal Lahir": "05/01/1980", "Jenis Kelamin": "Laki-laki",
         "Hubungan Keluarga": "KEPALA KELUARGA"},
        {**common, "Nomor NIK": nik(7500, birth=CHILD_BIRTH), "Nama": "MUHAMMAD ARIF", "Tanggal Lahir": "17/05/2010",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "ANAK"},
    ], delimiter=",")
    imported("import_dtsen", str(dtsen), "--partial", "--year", "2025")
    p3ke_record, dtsen_record = Household.objects.get(p3ke_id="122990001"), Household.objects.get(no_kk=KK)
    assert p3ke_record.desil == 1 and dtsen_record.desil == 7
    assert not inclusion_candidates().filter(pk=p3ke_record.pk).exists()

    decide(bappeda_client, p3ke_record, dtsen_record, "merge_a" if p3ke_record.pk < dtsen_record.pk else "merge_b")

    p3ke_record.refresh_from_db()
    assert (p3ke_record.desil, p3ke_record.desil_source, p3ke_record.desil_date) == (7, "dtsen", datetime.date(2025, 4, 1))
    last = p3ke_record.history.order_by("-history_date", "-history_id").first()
    assert last.desil == 7 and last.history_change_reason.startswith(f"Keluarga #{dtsen_record.pk} digabung ke keluarga ini")
    # PKH at desil 7 is now an inclusion candidate.
    assert inclusion_candidates().filter(pk=p3ke_record.pk).exists()


def test_a_kept_record_with_the_newer_desil_keeps_it(bappeda_client, reference, same_family_files, both_imported):
    p3ke_record, dtks_record = both_imported
    Household.objects.filter(pk=dtks_record.pk).update(desil=9, desil_source="dtsen", desil_date=datetime.date(2022, 1, 1))
    decide(bappeda_client, p3ke_record, dtks_record, "merge_a" if p3ke_record.pk < dtks_record.pk else "merge_b")
    p3ke_record.refresh_from_db()
    assert (p3ke_record.desil, p3ke_record.desil_source) == (1, "p3ke")


def test_every_history_row_of_a_merge_says_which_family_it_went_to(bappeda_client, both_imported):
    p3ke_record, dtks_record = both_imported
    decide(bappeda_client, p3ke_record, dtks_record, "merge_a" if p3ke_record.pk < dtks_record.pk else "merge_b")
    reason = f"Digabung ke keluarga #{p3ke_record.pk}"
    merge_rows = [
        *dtks_record.history.filter(merged_into_id=p3ke_record.pk),
        *Member.history.filter(id__in=dtks_record.members.values("pk")).filter(Q(household_id=p3ke_record.pk) | Q(is_absent=True)),
        *Enrollment.history.filter(household_id=p3ke_record.pk, id__in=Enrollment.objects.filter(program__code="sembako").values("pk")),
    ]
    wife = Member.objects.get(nik=nik(7600, female=True))
    assert wife.household_id == p3ke_record.pk
    merge_rows.append(wife.history.order_by("-history_date", "-history_id").first())
    assert len(merge_rows) >= 5
    assert all((row.history_change_reason or "").startswith(reason) for row in merge_rows), [
        (row._meta.model_name, row.history_change_reason) for row in merge_rows
    ]
