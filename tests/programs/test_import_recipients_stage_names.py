"""A stage (TAHAP) as agencies and banks write it: one stage whatever its spelling (``2`` beside a
TAHUN column, ``Tahap II``, ``Thp 2``, ``TAHAP 2 2024``), a bank's distribution status (SUDAH
CAIR, RETUR, BELUM CAIR), a paid stage the bank later returns, a workbook with one sheet per stage."""

from __future__ import annotations

import datetime
import json

import pytest

from households.models import Household, ImportBatch
from programs.models import Enrollment, EnrollmentStatus, Program
from tests.factories import EnrollmentFactory, HouseholdFactory

from .test_import_recipients import family, run  # noqa: F401 - the registry's two households
from .test_import_recipients_real import kemensos, kpm, workbook

pytestmark = pytest.mark.django_db


def csv_file(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def state():
    return {
        (e.household_id, e.program.code, e.year): (e.status, e.amount, e.stages)
        for e in Enrollment.objects.select_related("program")
    }


def warnings(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("  - ")]


def _agency_list(tmp_path, rows: list[tuple[str, str, str]]):
    """An agency's CSV list of PKH with a TAHUN column (2024) and the TAHAP of each ``(NIK, No
    KK, TAHAP)``, imported: the command's exit code and output."""
    lines = ["NO;NIK;NO KK;NAMA;TAHUN;TAHAP;NOMINAL"]
    lines += [f"{i};{nik};{kk};PENERIMA;2024;{stage};750.000" for i, (nik, kk, stage) in enumerate(rows, 1)]
    return run("import_recipients", str(csv_file(tmp_path / "dinsos_pkh.csv", lines)), "--program", "pkh")


def test_the_same_stage_spelled_otherwise_in_a_later_list_is_counted_once(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    rc, out, err = _agency_list(tmp_path, [(head.nik, household.no_kk, "2"), ("", other.no_kk, "Tahap II")])
    assert rc == 0, (out, err)
    stored = {(household.pk, "pkh", 2024): ("active", 750000, "TAHAP 2 2024"),
              (other.pk, "pkh", 2024): ("active", 750000, "TAHAP 2 2024")}
    assert state() == stored

    ministry = kemensos(tmp_path / "kemensos_pkh_tahap2.xlsx", [
        kpm(head.nik, household.no_kk, tahap="TAHAP 2 2024", status="SUDAH SALUR"),
        kpm("", other.no_kk, tahap="Thp. 2 2024", status="SUDAH SALUR"),
    ])
    rc, out, err = run("import_recipients", str(ministry), "--dry-run")
    assert rc == 0, (out, err)
    assert "menjadi Rp 1.500.000" not in out and "diperbarui" not in out
    rc, out, err = run("import_recipients", str(ministry))
    assert rc == 0, (out, err)
    assert state() == stored


@pytest.mark.parametrize("first, later", [
    ("Penyaluran Tahap 1", "TAHAP I"), ("Tahap Satu", "1"), ("Tahap Pertama", "Thp. 1"), ("PENCAIRAN TAHAP KE-1", "Tahap 1"),
])
def test_a_stage_written_with_a_word_before_it_or_in_words_is_counted_once(family, tmp_path, first, later):  # noqa: F811
    household, head, child, other = family
    rc, out, err = _agency_list(tmp_path, [(head.nik, household.no_kk, first)])
    assert rc == 0, (out, err)
    rc, out, err = _agency_list(tmp_path, [(head.nik, household.no_kk, later), (head.nik, household.no_kk, "Tahap Kedua")])
    assert rc == 0, (out, err)
    assert state() == {(household.pk, "pkh", 2024): ("active", 1500000, "TAHAP 1 2024; TAHAP 2 2024")}


def test_stages_stored_in_another_spelling_are_recognised_and_a_new_one_is_added(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    pkh = Program.objects.get(code="pkh")
    for owner, stages, amount in ((household, "2", 750000), (other, "Tahap II; BULAN JANUARI 2024", 1500000)):
        EnrollmentFactory(household=owner, program=pkh, year=2024, status=EnrollmentStatus.ACTIVE, amount=amount,
                          stages=stages)
    path = kemensos(tmp_path / "salur.xlsx", [
        kpm(head.nik, household.no_kk, tahap="TAHAP 2 2024", status="SUDAH SALUR"),
        kpm("", other.no_kk, tahap="TAHAP II 2024", status="SUDAH SALUR"),
        kpm("", other.no_kk, tahap="Bulan  Januari 2024", status="SUDAH SALUR"),
        kpm("", other.no_kk, tahap="Triwulan I 2024", status="SUDAH SALUR"),
    ])
    rc, out, err = run("import_recipients", str(path))
    assert rc == 0, (out, err)
    # Only the stage not yet counted adds its amount; a stage without a number keeps its text.
    assert state() == {
        (household.pk, "pkh", 2024): ("active", 750000, "2"),
        (other.pk, "pkh", 2024): ("active", 2250000, "Tahap II; BULAN JANUARI 2024; TRIWULAN I 2024"),
    }


def test_one_list_naming_a_stage_twice_in_two_spellings_is_a_double_recipient(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    rc, out, _ = _agency_list(tmp_path, [(head.nik, "", "TAHAP 2"), (head.nik, "", "II")])
    assert rc == 1 and "Penerima ganda untuk program dan tahun yang sama" in out, out
    assert not Enrollment.objects.exists()


def _bank_list(tmp_path, statuses, header="STATUS PENYALURAN"):
    households = [HouseholdFactory(p3ke_id=f"12200010{i}", no_kk=f"740901010120010{i}") for i in range(len(statuses))]
    lines = [f"NO;NOKK;NIK_KTP;NAMA_PENERIMA;TAHAP;BANSOS;BANK;NOMINAL;{header}"]
    for i, (household, status) in enumerate(zip(households, statuses), 1):
        lines.append(f"{i};{household.no_kk};;PENERIMA {i};TAHAP 1 2024;BPNT;BNI;Rp 600.000;{status}")
    return households, csv_file(tmp_path / "bpnt_salur_bank.csv", lines)


def test_a_bank_list_of_sudah_cair_and_retur_is_read_as_paid_and_returned(family, tmp_path):  # noqa: F811
    households, path = _bank_list(tmp_path, ["SUDAH CAIR", "Sudah Cair", "CAIR", "RETUR", "GAGAL", "BELUM CAIR"])
    rc, out, err = run("import_recipients", str(path), "--json")
    assert rc == 0, (out, err)
    result = json.loads(out)
    assert not [w for w in ImportBatch.objects.get(pk=result["batch"]).warnings if "bukan status" in w["reason"]]
    got = {e.household_id: (e.status, e.amount, e.stages, e.status_reason)
           for e in Enrollment.objects.filter(program__code="sembako")}
    paid = ("active", 600000, "TAHAP 1 2024", "")
    assert [got[h.pk] for h in households] == [
        paid, paid, paid,
        ("suspended", 600000, "", "Status penyaluran: RETUR"),
        ("suspended", 600000, "", "Status penyaluran: GAGAL"),
        # Not yet paid: the planned value, no stage counted.
        ("active", 600000, "", "Status penyaluran: BELUM CAIR"),
    ]


def test_a_distribution_status_column_is_never_taken_for_a_marital_status(family, tmp_path):  # noqa: F811
    """A bank's own wording is not refused and no payment is assumed from it: read as not paid yet,
    each row warned; the known ones are read as they say."""
    households, path = _bank_list(tmp_path, ["SUDAH CAIR", "PROSES BANK", "DITAHAN BANK", "SUDAH TERSALURKAN",
                                              "BELUM DISALURKAN"])
    rc, out, _ = run("import_recipients", str(path))
    assert rc == 0, out
    assert "Status penyaluran 'PROSES BANK' tidak dikenal: dicatat sebagai belum tersalur" in out
    assert "Status penyaluran 'DITAHAN BANK' tidak dikenal" in out
    assert "bukan status penerimaan" not in out and "SUDAH TERSALURKAN' tidak dikenal" not in out
    got = {e.household_id: (e.status, e.stages) for e in Enrollment.objects.filter(program__code="sembako")}
    assert [got[h.pk] for h in households] == [
        ("active", "TAHAP 1 2024"), ("active", ""), ("active", ""), ("active", "TAHAP 1 2024"), ("active", ""),
    ]


def test_a_marital_status_column_is_ignored_by_its_own_header(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = csv_file(tmp_path / "kawin.csv", [
        "NIK;NAMA;TAHAP;BANSOS;NOMINAL;Status",
        f"{head.nik};KEPALA;TAHAP 1 2024;PKH;750.000;KAWIN",
        f"{other.head_nik};LAIN;TAHAP 1 2024;PKH;750.000;JANDA",
    ])
    rc, out, err = run("import_recipients", str(path))
    assert rc == 0, (out, err)
    assert "Kolom Status bukan status penerimaan" in out and "Kolom STATUS" not in out


def test_a_paid_stage_returned_in_a_later_list_is_taken_off(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    paid = kemensos(tmp_path / "t1t2.xlsx", [
        kpm(head.nik, household.no_kk, tahap="TAHAP 1 2024", status="SUDAH SALUR"),
        kpm(head.nik, household.no_kk, tahap="TAHAP 2 2024", status="SUDAH SALUR"),
    ])
    rc, out, err = run("import_recipients", str(paid))
    assert rc == 0, (out, err)
    assert state() == {(household.pk, "pkh", 2024): ("active", 1500000, "TAHAP 1 2024; TAHAP 2 2024")}

    returned = kemensos(tmp_path / "retur.xlsx", [kpm(head.nik, household.no_kk, tahap="Tahap II/2024", status="RETUR")])
    rc, out, err = run("import_recipients", str(returned), "--dry-run")
    assert rc == 0, (out, err)
    assert "nilai dari Rp 1.500.000 menjadi Rp 750.000" in out
    assert [w for w in warnings(out) if household.head_name in w and "TAHAP 2 2024" in w and "diretur" in w]
    rc, out, err = run("import_recipients", str(returned))
    assert rc == 0, (out, err)
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.amount, enrollment.stages) == ("suspended", 750000, "TAHAP 1 2024")

    # Paid again in the next list: counted once more.
    again = kemensos(tmp_path / "ulang.xlsx", [kpm(head.nik, household.no_kk, tahap="TAHAP 2 2024", status="SUDAH SALUR")])
    rc, out, err = run("import_recipients", str(again))
    assert rc == 0, (out, err)
    assert state() == {(household.pk, "pkh", 2024): ("active", 1500000, "TAHAP 1 2024; TAHAP 2 2024")}


def _after_paid_stages(family, tmp_path, stages: str, amount: int, **row) -> str:
    """A family's PKH 2024 with ``stages`` delivered for ``amount``, then a list of its one row
    (``kpm``'s fields): the command's output."""
    household, head, child, other = family
    EnrollmentFactory(household=household, program=Program.objects.get(code="pkh"), year=2024,
                      status=EnrollmentStatus.ACTIVE, amount=amount, stages=stages, delivered_on=datetime.date(2024, 6, 1))
    rc, out, err = run("import_recipients", str(kemensos(tmp_path / "daftar.xlsx", [kpm(head.nik, household.no_kk, **row)])))
    assert rc == 0, (out, err)
    return out


def test_a_returned_stage_never_counted_changes_no_amount(family, tmp_path):  # noqa: F811
    _after_paid_stages(family, tmp_path, "TAHAP 1 2024", 750000, tahap="TAHAP 2 2024", status="RETUR")
    assert state() == {(family[0].pk, "pkh", 2024): ("suspended", 750000, "TAHAP 1 2024")}


def test_a_returned_stage_without_its_amount_is_held_and_said(family, tmp_path):  # noqa: F811
    out = _after_paid_stages(family, tmp_path, "TAHAP 1 2024; 2", 1500000, tahap="TAHAP 2 2024", nominal="", status="RETUR")
    assert "nominal tahap TAHAP 2 2024 yang diretur tidak ada di daftar" in out
    assert state() == {(family[0].pk, "pkh", 2024): ("active", 1500000, "TAHAP 1 2024; 2")}


def test_a_stage_not_paid_yet_leaves_the_delivered_amount(family, tmp_path):  # noqa: F811
    _after_paid_stages(family, tmp_path, "TAHAP 1 2024", 750000, tahap="TAHAP 2 2024", nominal="Rp 600.000",
                       status="BELUM CAIR")
    assert state() == {(family[0].pk, "pkh", 2024): ("active", 750000, "TAHAP 1 2024")}


def test_a_workbook_with_one_sheet_per_stage_is_two_stages(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    sheets = {}
    for stage, order in ((1, (household, other)), (2, (other, household))):
        sheets[f"TAHAP {stage}"] = [
            [f"DAFTAR KPM PKH TAHAP {stage} TAHUN 2024"], [],
            ["NO", "NIK", "NO KK", "NAMA", "NOMINAL"],
            *[[i, h.head_nik, h.no_kk, h.head_name, "Rp 750.000"] for i, h in enumerate(order, 1)],
        ]
    path = workbook(tmp_path / "pkh_2024_per_tahap_sheets.xlsx", sheets)
    rc, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", "2024")
    assert rc == 0, (out, err)
    assert "Penerima ganda" not in out
    assert state() == {
        (household.pk, "pkh", 2024): ("active", 1500000, "TAHAP 1 2024; TAHAP 2 2024"),
        (other.pk, "pkh", 2024): ("active", 1500000, "TAHAP 1 2024; TAHAP 2 2024"),
    }


def test_a_double_recipient_on_another_sheet_names_that_sheet(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    rows = [["NIK", "NO KK", "NAMA", "NOMINAL"], [head.nik, household.no_kk, "KEPALA", "Rp 750.000"]]
    path = workbook(tmp_path / "dua_lembar.xlsx", {"Desa A": rows, "Desa B": [[], *rows]})
    rc, out, _ = run("import_recipients", str(path), "--program", "pkh", "--year", "2024")
    assert rc == 1
    assert "Penerima ganda untuk program dan tahun yang sama: sudah ada di lembar Desa A baris 2" in out


def test_a_list_proposing_aid_for_a_family_marked_absent_does_not_propose_it(family, tmp_path):  # noqa: F811
    """As the distribution and the admin: an USULAN row is no new proposal for a family the registry
    marked absent (aid a list says was paid is still recorded)."""
    household, head, child, other = family
    household.is_absent = True
    household.save()
    path = csv_file(tmp_path / "bsps_usulan.csv", [
        "NIK;NAMA;TAHUN;STATUS",
        f"{head.nik};KEPALA;2024;USULAN",
        f"{other.head_nik};LAIN;2024;USULAN",
    ])
    rc, out, err = run("import_recipients", str(path), "--program", "bsps", "--json")
    assert rc == 0, (out, err)
    refused = json.loads(out)["enrollments"]["refused_reasons"]  # listed on the batch's page
    assert len(refused) == 1 and f"keluarga #{household.pk} tidak dicatat: Keluarga #{household.pk} ditandai tidak ada" in refused[0]
    assert list(Enrollment.objects.filter(program__code="bsps").values_list("household_id", "status")) == [
        (other.pk, "proposed")
    ]


def test_a_family_whose_only_stage_came_back_is_not_reached_nor_delivered(family, client, bappeda_user, tmp_path):  # noqa: F811
    """A stage the bank returned (DIKEMBALIKAN, RETUR with its date) is suspended aid: no delivery
    recorded, no stage counted, and the family is not reached by aid on the dashboard."""
    households = [HouseholdFactory(p3ke_id=f"12200010{i}", no_kk=f"740901010120010{i}", desil=1) for i in range(3)]
    Household.objects.exclude(pk__in=[h.pk for h in households]).update(desil=None)
    lines = ["NO;NOKK;NAMA_PENERIMA;TAHAP;BANSOS;NOMINAL;TANGGAL SALUR;STATUS PENYALURAN"]
    for i, (household, status) in enumerate(zip(households, ["DIKEMBALIKAN", "RETUR", "SUDAH CAIR"]), 1):
        lines.append(f"{i};{household.no_kk};PENERIMA {i};TAHAP 1 2024;BPNT;Rp 600.000;05/03/2024;{status}")
    rc, out, err = run("import_recipients", str(csv_file(tmp_path / "bpnt_tahap1.csv", lines)))
    assert rc == 0, (out, err)
    assert "tidak dikenal" not in out
    got = {e.household_id: (e.status, e.amount, e.stages, e.delivered_on, e.status_reason)
           for e in Enrollment.objects.filter(program__code="sembako")}
    assert [got[h.pk] for h in households] == [
        ("suspended", 600000, "", None, "Status penyaluran: DIKEMBALIKAN"),
        ("suspended", 600000, "", None, "Status penyaluran: RETUR"),
        ("active", 600000, "TAHAP 1 2024", datetime.date(2024, 3, 5), ""),
    ]
    client.force_login(bappeda_user)
    dash = client.get("/dasbor/", {"year": 2024}).context["dash"]
    assert (dash.desil1_total, dash.desil1_reached) == (3, 1)


def test_a_stage_not_paid_yet_records_no_delivery_day(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    lines = ["NIK;NAMA;TAHUN;TAHAP;NOMINAL;TANGGAL SALUR;STATUS PENYALURAN",
             f"{head.nik};KEPALA;2024;1;750.000;05/03/2024;BELUM SALUR"]
    rc, out, err = run("import_recipients", str(csv_file(tmp_path / "pkh.csv", lines)), "--program", "pkh")
    assert rc == 0, (out, err)
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.amount, enrollment.stages, enrollment.delivered_on) == ("active", 750000, "", None)
    assert not enrollment.has_deliveries  # the amount is the planned value


def test_a_paid_stage_said_dikembalikan_in_a_later_list_is_taken_off(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    paid = kemensos(tmp_path / "t1.xlsx", [kpm(head.nik, household.no_kk, tahap="TAHAP 1 2024", status="SUDAH SALUR"),
                                           kpm("", other.no_kk, tahap="TAHAP 1 2024", status="SUDAH SALUR")])
    rc, out, err = run("import_recipients", str(paid))
    assert rc == 0, (out, err)
    returned = kemensos(tmp_path / "kembali.xlsx", [
        kpm(head.nik, household.no_kk, tahap="Tahap I 2024", status="DIKEMBALIKAN"),
        kpm("", other.no_kk, tahap="TAHAP 1 2024", status="SUDAH SALUR"),
    ])
    rc, out, err = run("import_recipients", str(returned))
    assert rc == 0, (out, err)
    assert state() == {
        (household.pk, "pkh", 2024): ("suspended", 0, ""),
        (other.pk, "pkh", 2024): ("active", 750000, "TAHAP 1 2024"),
    }


def _per_stage_sheets(tmp_path, names, family):
    """A workbook of one sheet per stage, named ``names``, without TAHUN or TAHAP: the family's
    household on each."""
    household = family[0]
    rows = [["NO", "NIK", "NO KK", "NAMA", "NOMINAL"], [1, household.head_nik, household.no_kk, "KEPALA", "Rp 750.000"]]
    return workbook(tmp_path / "pkh_per_tahap.xlsx", {name: rows for name in names})


def test_a_sheet_named_by_its_stage_and_year_gives_its_rows_that_year(family, tmp_path):  # noqa: F811
    path = _per_stage_sheets(tmp_path, ("TAHAP 1 2024", "Tahap II 2024"), family)
    rc, out, err = run("import_recipients", str(path), "--program", "pkh")
    assert rc == 0, (out, err)
    assert "Tahun tidak ada di berkas" not in out
    assert state() == {(family[0].pk, "pkh", 2024): ("active", 1500000, "TAHAP 1 2024; TAHAP 2 2024")}


def test_a_sheet_named_by_its_stage_without_a_year_takes_the_year_chosen(family, tmp_path):  # noqa: F811
    path = _per_stage_sheets(tmp_path, ("TAHAP 1", "Tahap 2"), family)
    rc, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", "2025")
    assert rc == 0, (out, err)
    assert state() == {(family[0].pk, "pkh", 2025): ("active", 1500000, "TAHAP 1 2025; TAHAP 2 2025")}


def test_a_sheet_whose_name_gives_another_year_than_the_one_chosen_is_refused(family, tmp_path):  # noqa: F811
    path = _per_stage_sheets(tmp_path, ("TAHAP 2 2024",), family)
    rc, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", "2025")
    assert rc == 1, (out, err)
    assert ("TAHAP 2 2024 baris 2: Nama lembar 'TAHAP 2 2024' menyebut tahun 2024, berbeda dengan tahun yang dipilih "
            "(2025); perbaiki pilihan tahun atau nama lembarnya") in out
    assert not Enrollment.objects.exists()
