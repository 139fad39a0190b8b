"""Agencies' lists of group aid, as the offices send them: Dinas Pertanian's alsintan and seed aid to
kelompok tani (Poktan), Dinas Sosial's KUBE, Dinas Perikanan's fishermen groups, Dinas Koperasi's UEP.

Two shapes: one row per group, naming it by its leader only (NAMA KETUA | NIK KETUA, NAMA PENGURUS |
NIK PENGURUS, KETUA | NIK Ketua Kelompok): the leader is the recipient; or one row per member under
a group name written once (merged down, or blank below its first row), each member with a JABATAN
(Ketua, Sekretaris, Bendahara, Anggota), a NAMA ANGGOTA and a NIK. The registry keeps no group
(an enrollment is a family's), so the group's name is listed among the columns not read, and its
layout makes no row fail. Each family enrolled is checked by the one-aid rule as any other."""

from __future__ import annotations

import datetime
import html
import json

import pytest
from django.urls import reverse
from openpyxl import Workbook

from dedup.models import Conflict
from households.identifiers import make_nik
from households.models import ImportBatch, ImportStatus
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory

from .test_import_recipients import run

pytestmark = pytest.mark.django_db

TITLE = "DAFTAR PENERIMA BANTUAN ALSINTAN KELOMPOK TANI TA. 2024"
ROLES = ["Ketua", "Sekretaris", "Bendahara", "Anggota"]
NAMES = ["LA ODE SAMSUDIN", "WA ODE HASNIA", "MUHAMMAD ARSYAD", "SITTI RAHMA", "ANDI BAHTIAR", "NURHAYATI"]


@pytest.fixture
def farmers(reference):
    """Six families, each head a farmer the registry knows by NIK and name."""
    heads = []
    for serial, name in enumerate(NAMES, 1):
        nik = make_nik(region="740901", birth=datetime.date(1970 + serial, 3, 5), female=False, serial=serial)
        household = HouseholdFactory(head_name=name, head_nik=nik, no_kk=f"74090101012{serial:05d}")
        heads.append(MemberFactory(household=household, nik=nik, name=name, relation="kepala"))
    return heads


def place(head) -> list[str]:
    return [head.household.desa.name, head.household.desa.kecamatan.name]


def write(path, headers, rows, *, title=TITLE, merge: str | None = None, groups: list[tuple[int, int]] = ()):
    """A list under its title and a blank row (the header on row 3, data from row 4); ``merge``: a
    column letter whose ``groups`` (first and last data row) are merged cells."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Poktan"
    sheet.append([title])
    sheet.append([])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if merge:
        for first, last in groups:
            sheet.merge_cells(f"{merge}{first}:{merge}{last}")
    book.save(path)
    return path


def imported(path, program, *args):
    code, out, err = run("import_recipients", str(path), "--program", program, "--json", *args)
    result = json.loads(out)
    warnings = []
    if result.get("batch"):
        warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings]
    return code, result, warnings, err


def unmapped(result) -> set[str]:
    return {column["column"] for column in result["unmapped_columns"]}


def enrolled(program) -> set[tuple]:
    return set(Enrollment.objects.filter(program__code=program).values_list("household__head_name", "year", "status"))


@pytest.mark.parametrize("leader, leader_nik", [
    ("NAMA KETUA", "NIK KETUA"), ("NAMA PENGURUS", "NIK PENGURUS"), ("KETUA", "NIK Ketua Kelompok"),
    ("NAMA KETUA POKTAN", "NIK KETUA POKTAN"), ("Nama Ketua Kelompok Tani", "NIK Ketua Kelompok Tani"),
    ("KETUA KUBE", "NIK. KETUA KUBE"),
])
def test_a_list_of_one_row_per_group_enrolls_each_groups_leader(farmers, tmp_path, leader, leader_nik):
    """One row per kelompok tani naming only its leader: the leader's NIK is the recipient's, the
    leader's name the one checked against the registry's (a mistyped NIK is warned by name), and the
    group's name, the goods and their unit are listed as columns not read."""
    headers = ["NO", "NAMA KELOMPOK", leader, leader_nik, "DESA", "KECAMATAN", "JENIS BANTUAN", "JUMLAH / VOLUME",
               "SATUAN", "KET"]
    groups = ["POKTAN SINAR TANI", "POKTAN MEKAR SARI", "POKTAN TUNAS BARU"]
    rows = [[n, group, head.name, head.nik, *place(head), "Hand Tractor", 1, "Unit", ""]
            for n, (group, head) in enumerate(zip(groups, farmers), 1)]
    rows[2][2] = "HASAN BASRI"  # the third leader's NIK is another farmer's: said, by name
    path = write(tmp_path / "alsintan.xlsx", headers, rows)

    code, result, warnings, err = imported(path, "pupuk")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 3
    assert enrolled("pupuk") == {(head.name, 2024, "active") for head in farmers[:3]}
    assert {"NAMA KELOMPOK", "JUMLAH / VOLUME", "SATUAN"} <= unmapped(result)
    assert not {leader, leader_nik} & unmapped(result)
    assert [row for row, _column, reason in warnings if "Nama di berkas 'HASAN BASRI' berbeda" in reason] == [6]
    assert len([w for w in warnings if "berbeda dengan nama" in w[2]]) == 1


def test_a_leaders_columns_beside_each_members_own_are_not_the_members(farmers, tmp_path):
    """A KUBE list repeating its leader on every member's row (NAMA KETUA | NIK KETUA) before the
    member's own (NAMA ANGGOTA | NIK): each member is the recipient of their row, the leader's
    columns said not read; JABATAN and NAMA KELOMPOK are no one's name."""
    headers = ["NO", "NAMA KELOMPOK", "NAMA KETUA", "NIK KETUA", "JABATAN", "NAMA ANGGOTA", "NIK", "DESA", "KECAMATAN"]
    leader = farmers[0]
    rows = [[n, "KUBE SEJAHTERA", leader.name, leader.nik, role, head.name, head.nik, *place(head)]
            for n, (role, head) in enumerate(zip(ROLES, farmers), 1)]
    path = write(tmp_path / "kube.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN KUBE TA. 2024")

    code, result, warnings, err = imported(path, "kewirausahaan-sosial")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 4
    assert enrolled("kewirausahaan-sosial") == {(head.name, 2024, "active") for head in farmers[:4]}
    assert {"NAMA KELOMPOK", "JABATAN"} <= unmapped(result)
    assert not {"NAMA ANGGOTA", "NIK"} & unmapped(result)
    assert not [w for w in warnings if "berbeda dengan nama" in w[2]]
    assert sorted(column for _row, column, reason in warnings if "yang dibaca" in reason) == ["NAMA KETUA", "NIK KETUA"]


@pytest.mark.parametrize("merged", [True, False])
def test_a_group_name_written_once_over_its_members_makes_no_row_fail(farmers, tmp_path, merged):
    """One row per member, the group's name merged down its rows (or written on its first row only):
    every member is enrolled, no row refused; the member's name (NAMA ANGGOTA) is the one checked,
    never the group's name nor the JABATAN."""
    headers = ["NO", "NAMA KELOMPOK", "JABATAN", "NAMA ANGGOTA", "NIK", "ALAMAT / DESA", "KECAMATAN", "JENIS BANTUAN",
               "JUMLAH / VOLUME", "SATUAN", "KET"]
    rows = []
    for n, head in enumerate(farmers, 1):
        group = ("KELOMPOK NELAYAN BAHARI" if n <= 3 else "KELOMPOK NELAYAN SEJATI") if n in (1, 4) else None
        rows.append([n, group, ROLES[(n - 1) % 3], head.name, head.nik, place(head)[0], place(head)[1], "Mesin Ketinting",
                     1, "Unit", ""])
    rows[4][3] = "HASAN BASRI"  # the fifth member's NIK is another fisherman's: said, by name
    path = write(tmp_path / "nelayan.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN NELAYAN TA. 2024",
                 merge="B" if merged else None, groups=[(4, 6), (7, 9)])

    code, result, warnings, err = imported(path, "nelayan")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 6
    assert enrolled("nelayan") == {(head.name, 2024, "active") for head in farmers}
    assert {"NAMA KELOMPOK", "JABATAN"} <= unmapped(result)
    assert "NAMA ANGGOTA" not in unmapped(result)
    assert [row for row, _column, reason in warnings if "Nama di berkas 'HASAN BASRI' berbeda" in reason] == [8]
    assert len([w for w in warnings if "berbeda dengan nama" in w[2]]) == 1


@pytest.mark.parametrize("labels, titles", [
    (["KELOMPOK TANI", None, "KETUA KELOMPOK", None], ["NAMA", "DESA", "NAMA", "NIK"]),
    (["KELOMPOK TANI", None, None, None], ["NAMA", "DESA", "KETUA", "NIK KETUA"]),
])
def test_a_leader_under_a_label_of_two_rows_is_the_recipient_and_a_groups_name_is_no_persons(
    farmers, tmp_path, labels, titles,
):
    """KELOMPOK TANI merged over NAMA | DESA and KETUA KELOMPOK over NAMA | NIK (or KELOMPOK TANI
    over all, its leader's columns titled KETUA | NIK KETUA), as offices draw them: the leader's NIK
    and name are the row's, the group's NAMA is not a person's name."""
    book = Workbook()
    sheet = book.active
    sheet.append([TITLE])
    sheet.append(["NO", *labels, "JENIS BANTUAN"])
    sheet.append([None, *titles, None])
    sheet.merge_cells("B2:C2" if labels[2] else "B2:E2")
    if labels[2]:
        sheet.merge_cells("D2:E2")
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("F2:F3")
    for n, (group, head) in enumerate(zip(["POKTAN SINAR TANI", "POKTAN MEKAR SARI"], farmers), 1):
        sheet.append([n, group, place(head)[0], head.name, head.nik, "Benih Padi"])
    sheet.cell(row=5, column=4).value = "HASAN BASRI"  # the second leader's NIK is another farmer's: said, by name
    path = tmp_path / "benih.xlsx"
    book.save(path)

    code, result, warnings, err = imported(path, "pupuk")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert enrolled("pupuk") == {(head.name, 2024, "active") for head in farmers[:2]}
    assert [row for row, _column, reason in warnings if "berbeda dengan nama" in reason] == [5]
    assert "KELOMPOK TANI NAMA" in unmapped(result)


def test_a_group_aid_to_a_family_that_receives_another_aid_is_flagged_not_refused(farmers, tmp_path):
    """The one-aid rule: the preview names the leader's family, already in PKH this year; the import
    enrolls it all the same and raises the conflict for Bappeda's review."""
    pkh = Program.objects.get(code="pkh")
    enrollment_create(household=farmers[0].household, program=pkh, year=2024, status=EnrollmentStatus.ACTIVE)
    headers = ["NO", "NAMA KELOMPOK", "NAMA PENGURUS", "NIK PENGURUS", "DESA", "KECAMATAN", "JENIS BANTUAN"]
    rows = [[n, f"POKTAN {n}", head.name, head.nik, *place(head), "Benih Jagung"] for n, head in enumerate(farmers[:2], 1)]
    path = write(tmp_path / "benih.xlsx", headers, rows)

    code, preview, _warnings, err = imported(path, "pupuk", "--dry-run")
    assert code == 0, (preview, err)
    family = farmers[0].household
    assert preview["conflicts_forecast"]["count"] == 1
    assert preview["conflicts_forecast"]["named"] == [f"No KK {family.no_kk} ({family.head_name}): PUPUK 2024 dengan PKH 2024"]
    assert not Enrollment.objects.filter(program__code="pupuk").exists()

    code, result, _warnings, err = imported(path, "pupuk")
    assert code == 0, (result, err)
    assert (result["enrollments"]["created"], result["enrollments"]["conflicts"]) == (2, 1)
    assert enrolled("pupuk") == {(head.name, 2024, "active") for head in farmers[:2]}
    conflict = Conflict.objects.get()
    assert {conflict.enrollment_a.program.code, conflict.enrollment_b.program.code} == {"pkh", "pupuk"}
    assert conflict.enrollment_a.household == family == conflict.enrollment_b.household


@pytest.mark.parametrize("quantity", ["JUMLAH", "JUMLAH / VOLUME", "VOLUME"])
def test_the_value_of_a_groups_aid_is_its_rupiah_not_the_count_of_its_goods(farmers, tmp_path, quantity):
    """JUMLAH | SATUAN | NILAI (Rp): the count of goods (1 Unit hand tractor) is no rupiah amount;
    the aid's value is NILAI (Rp), and KET is the enrollment's note. A JUMLAH beside SATUAN is said
    not read as the value, and listed."""
    headers = ["NO", "NAMA KELOMPOK", "NAMA KETUA", "NIK KETUA", "JENIS BANTUAN", quantity, "SATUAN", "NILAI (Rp)", "KET"]
    rows = [[1, "POKTAN SINAR TANI", farmers[0].name, farmers[0].nik, "Hand Tractor", 1, "Unit", "Rp 25.000.000",
             "Hibah APBD 2024"]]
    path = write(tmp_path / "alsintan.xlsx", headers, rows)

    code, result, warnings, err = imported(path, "pupuk")

    assert code == 0, (result, err)
    assert result["errors"] == 0
    assert list(Enrollment.objects.values_list("household", "amount", "status_reason")) == [
        (farmers[0].household_id, 25_000_000, "Hibah APBD 2024")
    ]
    assert {quantity, "SATUAN"} <= unmapped(result)
    assert "NILAI (Rp)" not in unmapped(result) and "KET" not in unmapped(result)
    if quantity == "JUMLAH":
        assert [column for _row, column, reason in warnings if "banyaknya barang" in reason] == ["JUMLAH"]


def test_a_jumlah_without_a_unit_beside_it_gives_way_to_the_column_in_rupiah(farmers, tmp_path):
    """JUMLAH before NILAI (Rp), no SATUAN: the column that says rupiah is the value, the other said not read."""
    headers = ["NO", "NAMA KETUA", "NIK KETUA", "JUMLAH", "NILAI (Rp)"]
    rows = [[1, farmers[0].name, farmers[0].nik, 2, "Rp 7.500.000"]]
    path = write(tmp_path / "nelayan.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN NELAYAN TA. 2024")

    code, result, warnings, err = imported(path, "nelayan")

    assert code == 0, (result, err)
    assert list(Enrollment.objects.values_list("household", "amount")) == [(farmers[0].household_id, 7_500_000)]
    assert [column for _row, column, reason in warnings if "hanya kolom E yang dibaca" in reason] == ["JUMLAH"]


def test_two_members_of_one_family_in_a_group_enroll_the_family_once_and_are_said(farmers, tmp_path):
    """A KUBE list naming a farmer and his wife, each a member: the program is a family's, so the
    family is enrolled once; the wife's row is no refused double recipient but a warning naming the
    husband's row (a family getting a group's aid twice is for the agency to check). The same NIK
    twice stays a double recipient."""
    husband = farmers[0]
    wife = MemberFactory(household=husband.household, name="WA ODE ASNA", relation="istri",
                         nik=make_nik(region="740901", birth=datetime.date(1975, 8, 9), female=True, serial=41))
    headers = ["NO", "NAMA KELOMPOK", "JABATAN", "NAMA ANGGOTA", "NIK", "NILAI (Rp)"]
    rows = [[1, "KUBE SEJAHTERA", "Ketua", husband.name, husband.nik, "Rp 2.000.000"],
            [2, None, "Anggota", wife.name, wife.nik, "Rp 2.000.000"],
            [3, None, "Anggota", farmers[1].name, farmers[1].nik, "Rp 2.000.000"]]
    path = write(tmp_path / "kube.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN KUBE TA. 2024")

    code, result, warnings, err = imported(path, "kewirausahaan-sosial")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert set(Enrollment.objects.values_list("household", "member", "amount")) == {
        (husband.household_id, None, 2_000_000), (farmers[1].household_id, None, 2_000_000),
    }
    said = [(row, reason) for row, _column, reason in warnings if "sekeluarga" in reason]
    assert said == [(5, f"Penerima NIK {wife.nik} sekeluarga dengan penerima di baris 4 (NIK {husband.nik}): program "
                        "ini untuk keluarga, jadi keluarga ini dicatat sekali; baris ini tidak menambah kepesertaan "
                        "maupun nilainya. Periksa apakah keluarga ini menerima bantuan ini dua kali")]

    Enrollment.objects.all().delete()
    rows[1][3:5] = [husband.name, husband.nik]
    code, result, _warnings, err = imported(write(tmp_path / "kube2.xlsx", headers, rows), "kewirausahaan-sosial")
    assert code == 1 and result["errors"] == 1 and not Enrollment.objects.exists()


def test_the_upload_page_previews_a_list_of_group_leaders_then_enrolls_them(bappeda_client, farmers, tmp_path):
    """Dinas Koperasi's UEP list uploaded on the upload page with its program chosen: the preview
    counts the leaders' enrollments and lists the group's name as a column not read; confirmed,
    each leader's family is enrolled."""
    headers = ["NO", "NAMA KELOMPOK", "NAMA PENGURUS", "NIK PENGURUS", "DESA", "KECAMATAN", "JENIS BANTUAN", "NILAI (Rp)"]
    rows = [[n, f"UEP MANDIRI {n}", head.name, head.nik, *place(head), "Modal Usaha", "Rp 10.000.000"]
            for n, head in enumerate(farmers[:2], 1)]
    path = write(tmp_path / "uep.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN UEP TA. 2024")

    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {
            "kind": "recipients", "file": handle, "program": Program.objects.get(code="modal-usaha").pk,
        })
    batch = ImportBatch.objects.get()
    page = html.unescape(bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode())
    assert batch.status == ImportStatus.PREVIEWED and batch.counts["errors"] == 0
    assert "Kepesertaan dari kolom Penerima/daftar: 2" in page
    assert "<td>NAMA KELOMPOK</td>" in page and "<td>NIK PENGURUS</td>" not in page
    assert not Enrollment.objects.exists()

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert set(Enrollment.objects.values_list("household", "program__code", "year", "amount")) == {
        (head.household_id, "modal-usaha", 2024, 10_000_000) for head in farmers[:2]
    }


def test_goods_under_jenis_bantuan_without_a_chosen_program_ask_for_the_program(farmers, tmp_path):
    """JENIS BANTUAN of a group list names the goods (Mesin Ketinting, Jaring), no program: without a
    program chosen each row is refused, and its message says how to choose the list's program."""
    headers = ["NO", "NAMA KETUA", "NIK KETUA", "JENIS BANTUAN", "NILAI (Rp)"]
    rows = [[1, farmers[0].name, farmers[0].nik, "Mesin Ketinting", "Rp 7.500.000"]]
    path = write(tmp_path / "nelayan.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN NELAYAN TA. 2024")

    code, out, err = run("import_recipients", str(path), "--json")

    result = json.loads(out)
    assert code == 1 and result["errors"] == 1 and not Enrollment.objects.exists()
    refused = [e["reason"] for e in ImportBatch.objects.get(pk=result["batch"]).errors]
    assert refused[0].startswith(
        "Program 'Mesin Ketinting' tidak dikenal. Pilih program yang diterima seluruh daftar dengan pilihan --program "
        "(mis. --program pkh), atau tulis di kolom ini kode program di registri: "
    )
    assert "nelayan" in refused[0].split("program di registri: ")[1].split(", ")
