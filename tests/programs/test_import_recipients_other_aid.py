"""An agency's list says more than its own aid: which other aid each family receives (PENERIMA PKH,
BANSOS PKH, PBI JKN, Penerima SEMBAKO 2023 (HIMBARA) = YA), and, in a Kemensos list, rows of other
programmes in its BANSOS column. Every column saying a family or person receives an aid is an
enrollment, as the P3KE/DTKS imports record it, or is reported by name: a dropped aid hides a double
aid. A row naming a programme other than the chosen one is reported (row, value) and not recorded
as the chosen programme's aid; the rest of the list is imported.

The families are the first ones of the demo registry (their real NIK, No KK, names and villages)."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest
from django.urls import reverse
from openpyxl import Workbook

from dedup.models import Conflict
from households.models import Desa, ImportBatch, ImportStatus
from programs.models import Enrollment, EnrollmentSource, Program
from tests.factories import HouseholdFactory, MemberFactory
from tests.households.realfiles import write_text

from .test_import_recipients import run

pytestmark = pytest.mark.django_db

# (No KK, head's NIK, head, village code, the wife's or a child's NIK and name)
DEMO = [
    ("7409010411150001", "7409012006740001", "Amir Laosa", "74.09.01.1005", "7409012404200001", "Nasrun Laosa"),
    ("7409012311130002", "7409012805630002", "Andi Latambaga", "74.09.01.1009", "7409016912600002", "Rosmini Lapodi"),
    ("7409012602180003", "7409011612770003", "Haerun Saranani", "74.09.01.2006", None, None),
    ("7409012211130004", "7409011110940004", "Andi Lakidende", "74.09.01.1005", None, None),
    ("7409010411110005", "7409012004930005", "Ahmad Wolasi", "74.09.01.1005", None, None),
    ("7409010404070006", "7409012004840006", "Ismail Latambaga", "74.09.01.1005", None, None),
]


@pytest.fixture
def demo(reference):
    families = []
    for kk, head_nik, head, code, other_nik, other_name in DEMO:
        household = HouseholdFactory(no_kk=kk, head_nik=head_nik, head_name=head, desa=Desa.objects.get(code=code))
        MemberFactory(household=household, nik=head_nik, name=head, relation="kepala",
                      birth_date=datetime.date(1970, 1, 1))
        if other_nik:
            MemberFactory(household=household, nik=other_nik, name=other_name, relation="anak")
        families.append(household)
    return families


def workbook(path, title, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def bsps_list(tmp_path, families):
    """The housing office's BSPS list that also says which families receive PKH or BPNT."""
    rows = [["NO", "NIK", "NO KK", "NAMA", "DESA", "NILAI BANTUAN", "PENERIMA PKH", "PENERIMA BPNT", "BANSOS LAIN",
             "KETERANGAN"]]
    for i, household in enumerate(families[:4]):
        rows.append([
            i + 1, household.head_nik, household.no_kk, household.head_name.upper(), household.desa.name.upper(),
            "Rp 20.000.000", ["YA", "TIDAK", "YA", "TIDAK"][i], ["TIDAK", "YA", "TIDAK", "TIDAK"][i],
            ["PKH, BPNT", "-", "PBI JK", "KIP"][i], "RUMAH TIDAK LAYAK HUNI",
        ])
    return workbook(tmp_path / "bsps_2024.xlsx", "BSPS 2024", rows)


def rutilahu_list(tmp_path, families):
    """Dinsos's Rutilahu list with the DTKS aid columns copied beside each family."""
    rows = [["NIK", "NO KK", "NAMA", "BANSOS PKH", "PBI JKN", "Penerima SEMBAKO 2023 (HIMBARA)", "KIP"]]
    for household in families[:3]:
        rows.append([household.head_nik, household.no_kk, household.head_name, "YA", "YA", "Ya", "YA"])
    return workbook(tmp_path / "rutilahu_2024.xlsx", "RUTILAHU", rows)


def stored(families):
    index = {household.pk: n for n, household in enumerate(families)}
    return sorted(
        (index[h], code, year, source, member is not None)
        for h, code, year, source, member in Enrollment.objects.values_list(
            "household_id", "program__code", "year", "source", "member_id")
    )


def dry_run_says(path, program, *lines):
    """The 2024 list's preview by the command says each of ``lines``, and nothing is written."""
    code, out, err = run("import_recipients", str(path), "--program", program, "--year", "2024", "--dry-run")
    assert code == 0, (out, err)
    for line in lines:
        assert line in out, (line, out)
    assert not Enrollment.objects.exists()


def test_a_bsps_list_records_the_pkh_and_bpnt_its_columns_say_and_flags_the_double_aid(demo, tmp_path):
    path = bsps_list(tmp_path, demo)

    dry_run_says(
        path, "bsps", "Kepesertaan di berkas: 7",
        "Kolom bantuan lain di daftar, akan dicatat sebagai kepesertaan program itu:",
        "    - PENERIMA PKH: PKH 2024, 2 baru", "    - PENERIMA BPNT: SEMBAKO 2024, 1 baru",
        "Tidak dikenali, tidak dibaca: kolom bantuan 'BANSOS LAIN'",
        f"No KK {demo[0].no_kk} (Amir Laosa): BSPS 2024 dengan PKH 2024",
    )

    code, out, err = run("import_recipients", str(path), "--program", "bsps", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["enrollments"]["created"] == 7 and result["enrollments"]["conflicts"] == 3
    imported = EnrollmentSource.IMPORT
    assert stored(demo) == [
        (0, "bsps", 2024, imported, False), (0, "pkh", 2024, imported, False),
        (1, "bsps", 2024, imported, False), (1, "sembako", 2024, imported, False),
        (2, "bsps", 2024, imported, False), (2, "pkh", 2024, imported, False),
        (3, "bsps", 2024, imported, False),
    ]
    assert set(Enrollment.objects.values_list("batch_id", flat=True)) == {result["batch"]}
    assert Conflict.objects.filter(status="open").count() == 3
    assert result["other_aid"][0]["columns"] == "PENERIMA PKH"


def test_a_rutilahu_list_records_the_dtks_aid_columns_and_its_person_aid_for_the_head(demo, tmp_path):
    path = rutilahu_list(tmp_path, demo)

    dry_run_says(
        path, "rutilahu", "Kepesertaan di berkas: 12", "    - BANSOS PKH: PKH 2024, 3 baru",
        "    - PBI JKN: PBI-JK 2024, 3 baru", "    - Penerima SEMBAKO 2023 (HIMBARA): SEMBAKO 2023, 3 baru",
        "Tidak dikenali, tidak dibaca: kolom 'KIP'",
    )

    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2024", "--json")
    assert code == 0, (out, err)
    imported = EnrollmentSource.IMPORT
    for n in range(3):
        assert [row for row in stored(demo) if row[0] == n] == [
            (n, "pbi-jk", 2024, imported, True), (n, "pkh", 2024, imported, False),
            (n, "rutilahu", 2024, imported, False), (n, "sembako", 2023, imported, False),
        ]
    # The person aid is the head's: the row's NIK is his.
    assert set(Enrollment.objects.filter(program__code="pbi-jk").values_list("member__nik", flat=True)) == {
        household.head_nik for household in demo[:3]
    }
    # Sent again: nothing new, everything already there.
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2024", "--json")
    assert json.loads(out)["enrollments"]["created"] == 0 and json.loads(out)["enrollments"]["existing"] == 12


def page_text(client, batch):
    page = client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def upload(client, path, program, year=2024):
    with open(path, "rb") as handle:
        client.post(reverse("admin:households_importbatch_upload"), {
            "kind": "recipients", "file": handle, "program": Program.objects.get(code=program).pk, "data_year": year,
        })
    return ImportBatch.objects.latest("pk")


def test_the_upload_preview_says_what_the_other_aid_columns_record_and_the_result_says_it_was(
    bappeda_client, demo, tmp_path
):
    batch = upload(bappeda_client, bsps_list(tmp_path, demo), "bsps")
    assert batch.status == ImportStatus.PREVIEWED, (batch.status, batch.message, batch.errors)
    text = page_text(bappeda_client, batch)
    assert "Kolom bantuan lain di daftar, akan dicatat sebagai kepesertaan program itu: PENERIMA PKH: PKH 2024, 2 baru" in text, text
    assert "PENERIMA BPNT: SEMBAKO 2024, 1 baru" in text
    assert not Enrollment.objects.exists()

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, (batch.status, batch.message, batch.errors)
    text = page_text(bappeda_client, batch)
    assert "Kolom bantuan lain di daftar, dicatat sebagai kepesertaan program itu: PENERIMA PKH: PKH 2024, 2 baru" in text, text
    assert set(Enrollment.objects.filter(batch=batch).values_list("household__no_kk", "program__code")) == {
        (demo[0].no_kk, "bsps"), (demo[0].no_kk, "pkh"), (demo[1].no_kk, "bsps"), (demo[1].no_kk, "sembako"),
        (demo[2].no_kk, "bsps"), (demo[2].no_kk, "pkh"), (demo[3].no_kk, "bsps"),
    }


KEMENSOS = ["IDDTKS", "NOKK", "NIK_KTP", "NAMA_PENERIMA", "KODE_WILAYAH", "TAHAP", "BANSOS", "BANK", "NOMINAL"]


def kemensos_mixed(tmp_path, families, bansos=("PKH", "BPNT", "PBI JK", "BLT BBM", "PKH", "ATENSI YAPI")):
    rows = [
        [f"DT{i}", household.no_kk, household.head_nik, household.head_name.upper(),
         household.desa.code.replace(".", ""), "TAHAP 2 2024", program, "BRI", "Rp 600.000"]
        for i, (household, program) in enumerate(zip(families, bansos))
    ]
    return write_text(tmp_path / "kemensos_mixed_bansos.csv", KEMENSOS, rows, separator=",")


def test_rows_of_other_programmes_known_or_not_are_reported_and_not_recorded_as_the_chosen_one(demo, tmp_path):
    path = kemensos_mixed(tmp_path, demo)

    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--dry-run")
    assert code == 0, (out, err)
    assert "Kesalahan: 0" in out, out
    assert "Kepesertaan di berkas: 2" in out, out
    assert "Baris program lain, tidak dicatat: 4" in out, out
    for row, value in ((3, "BPNT"), (4, "PBI JK"), (5, "BLT BBM"), (7, "ATENSI YAPI")):
        assert re.search(rf"baris {row}, BANSOS: Program di berkas \('{value}'.*bukan program yang dipilih", out), (row, out)
    assert "'BPNT' (Program Sembako (BPNT)): baris 3" in out, out
    assert "'ATENSI YAPI' (tidak dikenal di registri): baris 7" in out, out

    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0
    assert stored(demo) == [
        (0, "pkh", 2024, EnrollmentSource.IMPORT, False), (4, "pkh", 2024, EnrollmentSource.IMPORT, False),
    ]
    assert [(item["value"], item["rows"]) for item in result["other_programs"]] == [
        ("BPNT", [3]), ("PBI JK", [4]), ("BLT BBM", [5]), ("ATENSI YAPI", [7]),
    ]


def test_the_chosen_programme_spelled_otherwise_still_counts_as_it(demo, tmp_path):
    path = kemensos_mixed(tmp_path, demo, bansos=("PKH 2024", "Program Keluarga Harapan", "pkh", "BPNT"))
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert [(n, c) for n, c, *_ in stored(demo)] == [(0, "pkh"), (1, "pkh"), (2, "pkh")]
    assert [(item["value"], item["rows"]) for item in result["other_programs"]] == [("BPNT", [5])]


def test_the_upload_preview_names_the_rows_of_other_programmes_and_the_result_records_the_rest(
    bappeda_client, demo, tmp_path
):
    batch = upload(bappeda_client, kemensos_mixed(tmp_path, demo), "pkh")
    assert batch.status == ImportStatus.PREVIEWED and batch.errors == [], (batch.status, batch.errors)
    text = page_text(bappeda_client, batch)
    assert "Baris program lain, tidak dicatat: 4" in text, text
    assert "'BLT BBM' (tidak dikenal di registri): baris 5" in text, text
    assert "'BPNT' (Program Sembako (BPNT)): baris 3" in text, text

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, (batch.status, batch.message, batch.errors)
    assert "Baris program lain, tidak dicatat: 4" in page_text(bappeda_client, batch)
    assert sorted(Enrollment.objects.values_list("household__no_kk", "program__code")) == sorted([
        (demo[0].no_kk, "pkh"), (demo[4].no_kk, "pkh"),
    ])


def test_a_person_aid_of_a_family_without_a_head_in_the_registry_is_said_not_recorded(demo, tmp_path):
    lone = HouseholdFactory(no_kk="7409010101240099", head_nik="7409014101900099", head_name="Wa Ode Hasnia",
                            desa=Desa.objects.get(code="74.09.01.1005"))
    path = workbook(tmp_path / "rutilahu_2024.xlsx", "RUTILAHU", [
        ["NO KK", "NAMA", "BANSOS PKH", "PBI JKN"],
        [lone.no_kk, "WA ODE HASNIA", "YA", "YA"],
    ])
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert sorted(Enrollment.objects.values_list("program__code", "member_id")) == [("pkh", None), ("rutilahu", None)]
    warned = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings]
    assert warned == [(2, "PBI JKN", "Kolom PBI JKN menyebut bantuan perorangan, tetapi keluarga ini tanpa kepala "
                       "keluarga di registri dan baris ini tanpa NIK anggota keluarga; bantuan perorangan itu tidak dicatat")]


YES_NO_HINT = "Kolom '{}' berisi Ya/Tidak: bila ini kolom bantuan, petakan di Admin, Pemetaan kolom impor"


def test_a_yes_no_column_nobody_mapped_is_named_as_a_likely_aid_column(demo, tmp_path):
    """KIP = YA beside a Rutilahu row is an aid the registry cannot read: named as the P3KE/DTKS
    imports name such a column, not only listed among the unknown columns."""
    path = rutilahu_list(tmp_path, demo)
    dry_run_says(path, "rutilahu", "Tidak dikenali, tidak dibaca: kolom 'KIP'", YES_NO_HINT.format("KIP"))
    # A column of other words (a note, a name) is only listed.
    rows = [["NIK", "NO KK", "NAMA", "PETUGAS"]] + [
        [household.head_nik, household.no_kk, household.head_name, "Pak Lurah"] for household in demo[:3]
    ]
    code, out, err = run("import_recipients", str(workbook(tmp_path / "rutilahu_petugas.xlsx", "RUTILAHU", rows)),
                         "--program", "rutilahu", "--year", "2024", "--dry-run")
    assert code == 0 and "kolom 'PETUGAS'" in out and "berisi Ya/Tidak" not in out, (out, err)


def test_the_upload_preview_and_result_name_the_yes_no_column(bappeda_client, demo, tmp_path):
    batch = upload(bappeda_client, rutilahu_list(tmp_path, demo), "rutilahu")
    assert batch.status == ImportStatus.PREVIEWED, (batch.status, batch.message, batch.errors)
    assert YES_NO_HINT.format("KIP") in page_text(bappeda_client, batch)
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, (batch.status, batch.message, batch.errors)
    assert YES_NO_HINT.format("KIP") in page_text(bappeda_client, batch)


def kemensos_damaged_others(tmp_path, families, *, pkh_kk=None):
    """A Kemensos PKH distribution list whose BPNT and ATENSI YAPI rows carry what Excel or a typist
    did to them: a NIK shown as 7.40901E+15, a No KK of 15 digits beside a NIK of no possible birth
    date, a TAHAP of another year; ``pkh_kk``: the No KK of the second PKH row (row 5)."""
    rows = []
    for i, (household, program) in enumerate(zip(families, ("PKH", "BPNT", "BPNT", "PKH", "ATENSI YAPI"))):
        nik, kk, stage = household.head_nik, household.no_kk, "TAHAP 2 2024"
        if i == 1:
            nik = "7.40901E+15"
        if i == 2:
            kk, nik = kk[:15], "7409019999990001"
        if i == 3 and pkh_kk:
            kk, nik = pkh_kk, "7409019999990001"
        if i == 4:
            stage = "TAHAP 2 2035"
        rows.append([f"DT{i}", kk, nik, household.head_name.upper(), household.desa.code.replace(".", ""), stage,
                     program, "BRI", "Rp 600.000"])
    return write_text(tmp_path / "kemensos_pkh_rusak.csv", KEMENSOS, rows, separator=",")


DAMAGED_NOTES = [
    "baris 3, NIK_KTP '7.40901E+15': ",
    "baris 4, NOKK '{kk15}': No KK harus 16 digit, bukan 15 digit",
    "baris 4, NIK_KTP '7409019999990001': NIK memuat tanggal lahir yang tidak mungkin",
    "baris 6, TAHAP 'TAHAP 2 2035': ",
]


def test_what_is_wrong_on_rows_of_other_programmes_does_not_refuse_the_list(demo, tmp_path):
    path = kemensos_damaged_others(tmp_path, demo)
    notes = [note.format(kk15=demo[2].no_kk[:15]) for note in DAMAGED_NOTES]
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--dry-run")
    assert code == 0, (out, err)
    assert "Kesalahan: 0" in out and "Baris program lain, tidak dicatat: 3" in out, out
    for note in notes:
        assert note in out, (note, out)
    assert re.search(r"baris 4, BANSOS: Program di berkas \('BPNT'.*tidak dicatat.*No KK harus 16 digit", out), out
    assert not Enrollment.objects.exists()

    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--json")
    result = json.loads(out)
    assert code == 0 and result["errors"] == 0, (out, err)
    assert stored(demo) == [
        (0, "pkh", 2024, EnrollmentSource.IMPORT, False), (3, "pkh", 2024, EnrollmentSource.IMPORT, False),
    ]
    assert [(item["value"], item["rows"]) for item in result["other_programs"]] == [("BPNT", [3, 4]), ("ATENSI YAPI", [6])]


def test_what_is_wrong_on_a_row_of_the_chosen_programme_still_refuses_the_list(demo, tmp_path):
    path = kemensos_damaged_others(tmp_path, demo, pkh_kk=demo[3].no_kk[:15])
    code, out, err = run("import_recipients", str(path), "--program", "pkh")
    assert "Kesalahan: 2" in out, (out, err)
    assert "kemensos_pkh_rusak baris 5, NOKK: No KK harus 16 digit, bukan 15 digit" in out, out
    assert "kemensos_pkh_rusak baris 5, NIK_KTP: NIK memuat tanggal lahir yang tidak mungkin" in out, out
    assert not Enrollment.objects.exists() and not ImportBatch.objects.filter(status=ImportStatus.APPLIED).exists()
    bedah_rumah_still_refused(demo, tmp_path)


def test_the_upload_preview_and_result_say_what_is_wrong_on_rows_not_recorded(bappeda_client, demo, tmp_path):
    notes = [note.format(kk15=demo[2].no_kk[:15]) for note in DAMAGED_NOTES]
    batch = upload(bappeda_client, kemensos_damaged_others(tmp_path, demo), "pkh")
    assert batch.status == ImportStatus.PREVIEWED and batch.errors == [], (batch.status, batch.message, batch.errors)
    text = page_text(bappeda_client, batch)
    for note in notes:
        assert note in text, (note, text)
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, (batch.status, batch.message, batch.errors)
    text = page_text(bappeda_client, batch)
    assert "Baris program lain, tidak dicatat: 3" in text and notes[1] in text, text
    assert set(Enrollment.objects.values_list("household__no_kk", "program__code", "batch")) == {
        (demo[0].no_kk, "pkh", batch.pk), (demo[3].no_kk, "pkh", batch.pk),
    }


def bedah_rumah_still_refused(demo, tmp_path):
    """BEDAH RUMAH in a column naming no registry programme is the chosen Rutilahu: a row of it
    whose No KK is cut short is the chosen programme's, and refuses the list."""
    rows = [["NIK", "NO KK", "NAMA", "PROGRAM"]] + [
        [household.head_nik if i != 1 else "7409019999990001", household.no_kk if i != 1 else household.no_kk[:15],
         household.head_name, "BEDAH RUMAH"]
        for i, household in enumerate(demo[:3])
    ]
    path = workbook(tmp_path / "bedah_rumah.xlsx", "BEDAH RUMAH", rows)
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2024")
    assert "Kesalahan: 2" in out and "BEDAH RUMAH baris 3, NO KK: No KK harus 16 digit, bukan 15 digit" in out, (out, err)
    assert "Baris program lain" not in out
    assert not Enrollment.objects.exists()
