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


# --- Two P3KE records of one family (two ID Keluarga P3KE, one No KK) -------------------------------


@pytest.fixture
def two_p3ke_ids(tmp_path):
    headers = HH_2023[:11] + ["No KK"] + HH_2023[11:]
    rows = [
        household_row("122880001", 7300, **{"No KK": KK, "Nama Kepala Keluarga": "LA BAHARU", "Penerima PKH": "Ya"}),
        household_row("122880002", 7301, **{"No KK": KK, "Nama Kepala Keluarga": "LA BAHARU", "NIK Kepala Keluarga": nik(7300),
                                            "Penerima SEMBAKO": "Ya"}),
    ]
    return write_xlsx(tmp_path / "p3ke_kk.xlsx", {"KEPALA-KELUARGA": (headers, rows)})


@pytest.mark.parametrize("options", [(), ("--partial",)])
def test_a_p3ke_record_merged_away_is_found_again_by_the_next_p3ke_import(reference, bappeda_client, two_p3ke_ids, options):
    imported("import_p3ke", str(two_p3ke_ids), *options)
    kept, gone = Household.objects.get(p3ke_id="122880001"), Household.objects.get(p3ke_id="122880002")
    decide(bappeda_client, kept, gone, "merge_a" if kept.pk < gone.pk else "merge_b")
    before = registry()

    summary = imported("import_p3ke", str(two_p3ke_ids), *options)

    assert summary["households"]["created"] == 0 and summary["members"]["created"] == 0
    assert summary["households"]["absent"] == 0
    assert registry() == before
    gone.refresh_from_db()
    assert gone.merged_into_id == kept.pk and gone.p3ke_id == "122880002"
    assert sorted(kept.enrollments.values_list("program__code", flat=True)) == ["pkh", "sembako"]
    assert not kept.members.filter(is_absent=True).exists()
    assert any(f"122880002 sudah digabung ke keluarga #{kept.pk}" in reason for reason in warnings_of(summary))


def two_p3ke_families(path, *, child_nik=None):
    """One family twice in P3KE with its individual sheet: the same people under two ID Keluarga
    P3KE, each with its own ID Individu; the second also lists a child the first does not."""
    households = [household_row("122770001", 7700, **{"Penerima PKH": "Ya"}), household_row("122770002", 7701, **{
        "NIK Kepala Keluarga": nik(7700), "Penerima SEMBAKO": "Ya"})]
    members = [
        head_member_row("122770001", "91227700011", 7700),
        member_row("122770001", "91227700012", 7750),
        head_member_row("122770002", "91227700021", 7700),
        member_row("122770002", "91227700022", 7750, **({"NIK": child_nik} if child_nik else {})),
        member_row("122770002", "91227700023", 7751),
    ]
    return write_xlsx(path, {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


def test_the_people_of_a_merged_p3ke_family_are_the_kept_familys_on_the_next_import(reference, bappeda_client, tmp_path):
    path = two_p3ke_families(tmp_path / "p3ke.xlsx")
    imported("import_p3ke", str(path))
    kept, gone = Household.objects.get(p3ke_id="122770001"), Household.objects.get(p3ke_id="122770002")
    decide(bappeda_client, kept, gone, "merge_a" if kept.pk < gone.pk else "merge_b")
    assert set(kept.members.filter(is_absent=False).values_list("id_individu", flat=True)) == {
        "91227700011", "91227700012", "91227700023"}
    before = registry()

    summary = imported("import_p3ke", str(path))

    assert summary["households"]["created"] == 0 and summary["members"]["created"] == 0
    assert summary["members"]["absent"] == 0 and summary["households"]["absent"] == 0
    assert registry() == before
    assert kept.members.filter(is_absent=False).count() == 3

    # A person of the merged record the kept family no longer holds by NIK: refused, by name, not a failure.
    changed = two_p3ke_families(tmp_path / "p3ke2.xlsx", child_nik=nik(7799, birth=CHILD_BIRTH))
    code, out, err = run("import_p3ke", str(changed), "--json")
    assert code != 0 and "IntegrityError" not in out + err
    reasons = [issue["reason"] for issue in ImportBatch.objects.get(pk=json.loads(out)["batch"]).errors]
    assert any(f"ID Individu 91227700022 milik anggota keluarga #{gone.pk}" in reason for reason in reasons), reasons
    assert registry() == before


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
    """DTKS first: a DTKS family imported after P3KE is recognised by its head's NIK (the P3KE
    record takes its No KK), and never is two records to merge."""
    p3ke, dtks = same_family_files
    imported("import_dtks", str(dtks), "--partial", "--year", "2023")
    imported("import_p3ke", str(p3ke), "--partial")
    return Household.objects.get(p3ke_id="122990001"), Household.objects.get(no_kk=KK)


def test_keeping_the_p3ke_record_takes_the_dtks_no_kk(bappeda_client, both_imported):
    p3ke_record, dtks_record = both_imported
    decide(bappeda_client, p3ke_record, dtks_record, "merge_a" if p3ke_record.pk < dtks_record.pk else "merge_b")
    p3ke_record.refresh_from_db()
    assert p3ke_record.no_kk == KK
    page = bappeda_client.get(reverse("agencies:household_detail", args=[p3ke_record.pk])).content.decode()
    assert KK in page
    # A search by No KK is kept out of the address: the list posts it and shows it under a token.
    found = bappeda_client.post(reverse("agencies:household_list"), {"q": KK}, follow=True).content.decode()
    assert "LA ODE MUSA" in found and reverse("agencies:household_detail", args=[p3ke_record.pk]) in found


def test_keeping_the_p3ke_record_the_dtks_import_finds_the_family_by_its_no_kk(bappeda_client, same_family_files, both_imported):
    p3ke_record, dtks_record = both_imported
    decide(bappeda_client, p3ke_record, dtks_record, "merge_a" if p3ke_record.pk < dtks_record.pk else "merge_b")
    before = registry()

    summary = imported("import_dtks", str(same_family_files[1]), "--partial", "--year", "2023")

    assert summary["households"]["created"] == 0 and summary["members"]["created"] == 0
    assert registry() == before
    assert not IdentityMatch.objects.filter(status=IdentityStatus.OPEN).exists()
    assert sorted(p3ke_record.enrollments.values_list("program__code", flat=True)) == ["pkh", "sembako"]


def test_keeping_the_dtks_record_takes_the_p3ke_id_and_the_p3ke_import_finds_the_family(
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
    before = registry()

    summary = imported("import_p3ke", str(same_family_files[0]), "--partial")

    assert summary["households"]["created"] == 0 and summary["members"]["created"] == 0
    assert registry() == before
    assert not IdentityMatch.objects.filter(status=IdentityStatus.OPEN).exists()


def test_a_merge_made_before_identifiers_moved_is_followed_by_the_p3ke_import(bappeda_client, same_family_files, both_imported):
    """A P3KE record merged into a DTKS record that did not take its ID: the import follows
    ``merged_into`` and finds the family and its people there."""
    p3ke_record, dtks_record = both_imported
    decide(bappeda_client, p3ke_record, dtks_record, "merge_b" if p3ke_record.pk < dtks_record.pk else "merge_a")
    # As such a merge left them: the ID Keluarga P3KE and ID Individu on the merged records.
    dtks_record.refresh_from_db()
    Household.objects.filter(pk=dtks_record.pk).update(p3ke_id=None)
    Household.objects.filter(pk=p3ke_record.pk).update(p3ke_id="122990001")
    head = dtks_record.members.get(nik=nik(7100), is_absent=False)
    Member.objects.filter(pk=head.pk).update(id_individu=None)
    Member.objects.filter(household=p3ke_record, nik=nik(7100)).update(id_individu="91229900011")
    before = registry()

    summary = imported("import_p3ke", str(same_family_files[0]), "--partial")

    assert summary["households"]["created"] == 0 and summary["members"]["created"] == 0
    assert registry() == before
    assert any(f"122990001 sudah digabung ke keluarga #{dtks_record.pk}" in reason for reason in warnings_of(summary))


# --- The newest desil, and the reasons in the history ------------------------------------------------

DTSEN = [
    "Nomor KK", "Nomor NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kecamatan",
    "Desa/Kelurahan", "Alamat", "Desil Nasional", "Periode Desil",
]


def test_the_kept_p3ke_record_takes_the_newer_dtsen_desil(bappeda_client, reference, same_family_files, tmp_path):
    common = {"Nomor KK": KK, "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Alamat": "Jl. X",
              "Desil Nasional": "7", "Periode Desil": "Triwulan II 2025"}
    dtsen = write_csv(tmp_path / "dtsen.csv", DTSEN, [
        {**common, "Nomor NIK": nik(7100), "Nama": "LA ODE MUSA", "Tanggal Lahir": "05/01/1980", "Jenis Kelamin": "Laki-laki",
         "Hubungan Keluarga": "KEPALA KELUARGA"},
        {**common, "Nomor NIK": nik(7500, birth=CHILD_BIRTH), "Nama": "MUHAMMAD ARIF", "Tanggal Lahir": "17/05/2010",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "ANAK"},
    ], delimiter=",")
    imported("import_dtsen", str(dtsen), "--partial", "--year", "2025")
    imported("import_p3ke", str(same_family_files[0]), "--partial")  # after DTSEN: two records (``both_imported``)
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


def test_a_p3ke_import_again_leaves_the_newer_dtsen_desil_of_the_kept_record(bappeda_client, reference, same_family_files, tmp_path):
    """The DTSEN record kept takes the P3KE ID; the same P3KE file (data year 2023, desil 1, no
    ranking date) imported again leaves its 2025 data as it is, ranking included, and the row says
    so; it fills only what the DTSEN data left blank (the house, which DTSEN does not describe)."""
    dtsen = write_csv(tmp_path / "dtsen.csv", DTSEN, [
        dtsen_row(KK, 7100, "LA ODE MUSA", "KEPALA KELUARGA", "7", "Triwulan II 2025"),
        dtsen_row(KK, 7500, "MUHAMMAD ARIF", "ANAK", "7", "Triwulan II 2025", birth=CHILD_BIRTH),
    ], delimiter=",")
    imported("import_dtsen", str(dtsen), "--partial", "--year", "2025")
    imported("import_p3ke", str(same_family_files[0]), "--partial")  # after DTSEN: two records (``both_imported``)
    p3ke_record, dtsen_record = Household.objects.get(p3ke_id="122990001"), Household.objects.get(no_kk=KK)
    decide(bappeda_client, p3ke_record, dtsen_record, "merge_b" if p3ke_record.pk < dtsen_record.pk else "merge_a")
    dtsen_record.refresh_from_db()
    assert dtsen_record.p3ke_id == "122990001"

    summary = imported("import_p3ke", str(same_family_files[0]), "--partial")

    dtsen_record.refresh_from_db()
    assert (dtsen_record.desil, dtsen_record.desil_source, dtsen_record.desil_date) == (7, "dtsen", datetime.date(2025, 4, 1))
    [warning] = [w for w in warnings_of(summary) if w.startswith("Data keluarga ini")]
    assert warning.startswith(
        "Data keluarga ini di registri lebih baru (tahun 2025) dari berkas ini (tahun 2023); tidak diubah; hanya kolom "
        "yang kosong di registri diisi: "
    )
    assert (dtsen_record.source_year, dtsen_record.address) == (2025, "Jl. X")


# --- A family kept by a merge, listed by the next quarter under the merged record's No KK only --------

KK2 = "7409010501230002"


def dtsen_row(kk, serial, name, relation, desil, period, birth=datetime.date(1980, 1, 5)):
    return {
        "Nomor KK": kk, "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Alamat": "Jl. X", "Desil Nasional": desil,
        "Periode Desil": period, "Nomor NIK": nik(serial, birth=birth), "Nama": name, "Tanggal Lahir": birth.strftime("%d/%m/%Y"),
        "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": relation,
    }


def quarter(tmp_path, name, period, heads):
    """A full DTSEN quarter: the given head rows and forty other families (desil 3)."""
    others = [dtsen_row(f"74090105012300{10 + i}", 7200 + i, f"ORANG {i}", "KEPALA KELUARGA", "3", period) for i in range(40)]
    return write_csv(tmp_path / name, DTSEN, [*heads, *others], delimiter=",")


def test_the_kept_family_listed_under_the_merged_no_kk_is_present_and_takes_its_newer_desil(bappeda_client, reference, tmp_path):
    q2 = quarter(tmp_path, "q2.csv", "Triwulan II 2025", [
        dtsen_row(KK, 7100, "LA ODE MUSA", "KEPALA KELUARGA", "2", "Triwulan II 2025"),
        dtsen_row(KK2, 7100, "LA ODE MUSA", "KEPALA KELUARGA", "2", "Triwulan II 2025"),
    ])
    imported("import_dtsen", str(q2), "--year", "2025")
    kept, gone = Household.objects.get(no_kk=KK), Household.objects.get(no_kk=KK2)
    decide(bappeda_client, kept, gone, "merge_a" if kept.pk < gone.pk else "merge_b")
    kept.refresh_from_db()
    address = kept.address

    q3 = quarter(tmp_path, "q3.csv", "Triwulan III 2025", [
        {**dtsen_row(KK2, 7100, "LA ODE MUSA", "KEPALA KELUARGA", "5", "Triwulan III 2025"), "Alamat": "Jl. Baru"},
    ])
    summary = imported("import_dtsen", str(q3), "--year", "2025")

    kept.refresh_from_db()
    assert any(f"Keluarga {KK2} sudah digabung ke keluarga #{kept.pk}" in reason for reason in warnings_of(summary))
    assert not kept.is_absent
    assert (kept.desil, kept.desil_source, kept.desil_date) == (5, "dtsen", datetime.date(2025, 7, 1))
    # Only the ranking: the rest of the row stays the merged record's.
    assert kept.address == address and kept.no_kk == KK
    assert summary["households"]["absent"] == 0


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
