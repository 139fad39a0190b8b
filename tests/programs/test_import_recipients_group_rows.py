"""Group aid lists whose rows are not one recipient each: a farmer leading two kelompok tani in one
list (one enrollment, both groups' values summed), a group's total written once in a cell merged
down over its members' rows (recorded once, on the first row's family), a PKH list naming the
caretaker who collects the aid (NIK PENGURUS) beside the recipient family's No KK, and the
leader's columns as agencies spell them (NIK KTP KETUA, NAMA KETUA KEL.)."""

from __future__ import annotations

import datetime

import pytest
import xlwt
from openpyxl import Workbook, load_workbook

from households.identifiers import make_nik
from programs.models import Enrollment
from tests.factories import HouseholdFactory, MemberFactory

from .test_import_recipients_groups import farmers, imported, unmapped, write  # noqa: F401

pytestmark = pytest.mark.django_db

POKTAN = ["NO", "NAMA KELOMPOK", "NAMA KETUA", "NIK KETUA", "JENIS BANTUAN", "JUMLAH", "SATUAN", "NILAI (Rp)", "KET"]


def amounts(program) -> dict:
    return dict(Enrollment.objects.filter(program__code=program).values_list("household", "amount"))


def test_a_farmer_leading_two_groups_is_one_enrollment_of_both_groups_values(farmers, tmp_path):  # noqa: F811
    """Poktan Sinar Tani and Poktan Harapan Baru led by one farmer: no double recipient refused, one
    enrollment whose value is both groups', the later row warned naming the earlier and both groups."""
    leader, other = farmers[0], farmers[1]
    rows = [[1, "Poktan Sinar Tani", leader.name, leader.nik, "Pupuk NPK", 50, "Sak", "Rp. 15.000.000,-", ""],
            [2, "Poktan Maju Jaya", other.name, other.nik, "Pupuk Urea", 40, "Sak", "Rp 12.500.000", ""],
            [3, "Poktan Harapan Baru", leader.name, leader.nik, "Pupuk Organik", 2, "Ton", "8.000.000", "ketua 2 kelompok"]]
    path = write(tmp_path / "poktan.xlsx", POKTAN, rows)

    code, result, warnings, err = imported(path, "pupuk")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert amounts("pupuk") == {leader.household_id: 23_000_000, other.household_id: 12_500_000}
    said = [(row, column, reason) for row, column, reason in warnings if "kelompok" in reason and "digabung" in reason]
    assert said == [(6, "NAMA KELOMPOK", (
        f"Penerima NIK {leader.nik} juga tercatat di baris 4 untuk kelompok lain ('Poktan Sinar Tani'); baris ini "
        "('Poktan Harapan Baru') digabung menjadi satu kepesertaan, nilai Rp 23.000.000 (nilai kelompok-kelompoknya "
        "dijumlahkan). Periksa apakah penerima ini memang tercatat di kelompok-kelompok itu"
    ))]
    assert "NAMA KELOMPOK" in unmapped(result)


@pytest.mark.parametrize("headers, second_group", [
    (POKTAN, "Poktan Sinar Tani"),  # the same group twice
    (POKTAN, "POKTAN  sinar tani"),  # the same group, spelled otherwise
    ([h for h in POKTAN if h != "NAMA KELOMPOK"], None),  # no group column
])
def test_one_leader_twice_without_another_group_stays_a_double_recipient(farmers, tmp_path, headers, second_group):  # noqa: F811
    leader = farmers[0]
    rows = [["Poktan Sinar Tani", "Rp 15.000.000"], [second_group, "Rp 8.000.000"]]
    rows = [[n, group, leader.name, leader.nik, "Pupuk", 1, "Sak", value, ""] for n, (group, value) in enumerate(rows, 1)]
    if second_group is None:
        rows = [[cell for index, cell in enumerate(row) if index != 1] for row in rows]
    path = write(tmp_path / "poktan.xlsx", headers, rows)

    code, result, _warnings, err = imported(path, "pupuk")

    assert code == 1 and result["errors"] == 1 and not Enrollment.objects.exists()


def kube_xls(path, members, value):
    book = xlwt.Workbook()
    sheet = book.add_sheet("KUBE")
    sheet.write(0, 0, "DAFTAR PENERIMA BANTUAN KUBE TA. 2024")
    for column, header in enumerate(["NO", "NAMA KELOMPOK", "JABATAN", "NAMA ANGGOTA", "NIK", "NILAI BANTUAN (Rp)"]):
        sheet.write(2, column, header)
    for offset, (role, head) in enumerate(members):
        for column, cell in ((0, offset + 1), (2, role), (3, head.name), (4, head.nik)):
            sheet.write(3 + offset, column, cell)
    sheet.write_merge(3, 2 + len(members), 1, 1, "KUBE Mawar")
    sheet.write_merge(3, 2 + len(members), 5, 5, value)
    book.save(str(path))
    return path


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_a_group_total_merged_down_over_its_members_is_recorded_once(farmers, tmp_path, suffix):  # noqa: F811
    """A KUBE's Rp 20.000.000 written once over its three members' rows (and its name merged down
    too): the first member's family holds the 20 million, the others are enrolled without a value,
    and the sheet says so once, naming the rows; the name merged down is read on every row."""
    members = list(zip(["Ketua", "Sekretaris", "Anggota"], farmers[:3]))
    if suffix == "xls":
        path = kube_xls(tmp_path / "kube.xls", members, "Rp. 20.000.000,-")
    else:
        headers = ["NO", "NAMA KELOMPOK", "JABATAN", "NAMA ANGGOTA", "NIK", "NILAI BANTUAN (Rp)"]
        rows = [[n, "KUBE Mawar" if n == 1 else None, role, head.name, head.nik, "Rp. 20.000.000,-" if n == 1 else None]
                for n, (role, head) in enumerate(members, 1)]
        path = write(tmp_path / "kube.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN KUBE TA. 2024")
        book = load_workbook(path)
        book.active.merge_cells("B4:B6")  # the group's name, read on every row
        book.active.merge_cells("F4:F6")
        book.save(path)

    code, result, warnings, err = imported(path, "kewirausahaan-sosial")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 3
    assert amounts("kewirausahaan-sosial") == {
        farmers[0].household_id: 20_000_000, farmers[1].household_id: None, farmers[2].household_id: None,
    }
    said = [(row, column, reason) for row, column, reason in warnings if "digabung untuk baris" in reason]
    assert said == [(0, "NILAI BANTUAN (Rp)", (
        "Nilai 'Rp. 20.000.000,-' di kolom NILAI BANTUAN (Rp) digabung untuk baris 4-6: dicatat sekali, pada baris 4 "
        "(keluarga penerima baris itu); baris lainnya dicatat tanpa nilai"
    ))]


def test_an_amount_written_on_each_members_row_is_each_members(farmers, tmp_path):  # noqa: F811
    headers = ["NO", "NAMA KELOMPOK", "JABATAN", "NAMA ANGGOTA", "NIK", "NILAI BANTUAN (Rp)"]
    rows = [[n, "KUBE Mawar", "Anggota", head.name, head.nik, "Rp 2.000.000"] for n, head in enumerate(farmers[:2], 1)]
    path = write(tmp_path / "kube.xlsx", headers, rows, merge="B", groups=[(4, 5)])

    code, result, warnings, err = imported(path, "kewirausahaan-sosial")

    assert code == 0 and set(amounts("kewirausahaan-sosial").values()) == {2_000_000}
    assert not [w for w in warnings if "digabung" in w[2]]


@pytest.fixture
def caretaker_and_family(reference):
    """A grandmother (family P) who collects the PKH of her orphaned grandchildren's family Q."""
    nik = make_nik(region="740901", birth=datetime.date(1950, 4, 2), female=True, serial=71)
    own = HouseholdFactory(head_name="WA ODE SITI", head_nik=nik, no_kk="7409010101200071")
    grandmother = MemberFactory(household=own, nik=nik, name="WA ODE SITI", relation="kepala")
    orphan_nik = make_nik(region="740901", birth=datetime.date(2008, 6, 1), female=False, serial=72)
    family = HouseholdFactory(head_name="LA ODE RAHMAT", head_nik=orphan_nik, no_kk="7409010101200072")
    MemberFactory(household=family, nik=orphan_nik, name="LA ODE RAHMAT", relation="kepala")
    return grandmother, family


def pkh(path, nik_header, grandmother, family):
    book = Workbook()
    sheet = book.active
    sheet.append(["NO", "NAMA PENGURUS", nik_header, "NO KK", "NAMA KK", "TAHAP", "NOMINAL", "STATUS"])
    sheet.append([1, grandmother.name, grandmother.nik, family.no_kk, family.head_name, "TAHAP 1 2024", "Rp 750.000",
                  "SUDAH SALUR"])
    book.save(path)
    return path


def test_a_caretakers_nik_beside_another_familys_no_kk_enrolls_that_family(caretaker_and_family, tmp_path):
    """NIK PENGURUS is the caretaker who collects the aid: the enrollment is the family the NO KK
    names, the row warned; the caretaker's own family holds no PKH."""
    grandmother, family = caretaker_and_family
    path = pkh(tmp_path / "pkh.xlsx", "NIK PENGURUS", grandmother, family)

    code, result, warnings, err = imported(path, "pkh", "--year", "2024")

    assert code == 0, (result, err)
    assert list(Enrollment.objects.values_list("household", "amount")) == [(family.pk, 750_000)]
    assert warnings == [(2, "NIK PENGURUS", (
        f"NIK {grandmother.nik} di kolom NIK PENGURUS adalah NIK pengurus yang mengambil bantuan (keluarga No KK "
        f"{grandmother.household.no_kk}), bukan anggota keluarga No KK {family.no_kk} yang disebut di kolom NO KK: "
        f"kepesertaan dicatat untuk keluarga No KK {family.no_kk}"
    ))]


def test_a_plain_nik_beside_another_familys_no_kk_stays_the_niks_family(caretaker_and_family, tmp_path):
    grandmother, family = caretaker_and_family
    path = pkh(tmp_path / "pkh.xlsx", "NIK", grandmother, family)

    code, result, warnings, err = imported(path, "pkh", "--year", "2024")

    assert code == 0, (result, err)
    assert list(Enrollment.objects.values_list("household", flat=True)) == [grandmother.household_id]
    assert [column for _row, column, reason in warnings if "berbeda dengan No KK" in reason] == ["No KK"]


@pytest.mark.parametrize("name_header, nik_header", [
    ("NAMA KETUA KEL.", "NIK. KETUA"), ("NAMA KETUA", "NIK KTP KETUA"), ("NAMA KETUA KLP", "NIK KTP KETUA KELOMPOK"),
])
def test_the_leaders_columns_as_agencies_abbreviate_them(farmers, tmp_path, name_header, nik_header):  # noqa: F811
    headers = ["NO", "NAMA KELOMPOK", name_header, nik_header, "NILAI (Rp)"]
    rows = [[1, "Poktan 0", "HASAN BASRI", farmers[0].nik, "Rp. 15.000.000,-"],
            [2, "Poktan 1", farmers[1].name, farmers[1].nik, "Rp. 15.000.000,-"]]
    path = write(tmp_path / "typo.xlsx", headers, rows)

    code, result, warnings, err = imported(path, "pupuk")

    assert code == 0, (result, err)
    assert result["enrollments"]["created"] == 2
    assert not {name_header, nik_header} & unmapped(result)
    assert [row for row, _column, reason in warnings if "Nama di berkas 'HASAN BASRI' berbeda" in reason] == [4]


def test_a_farmer_and_his_wife_leading_two_groups_is_one_enrollment_of_both_groups_values(farmers, tmp_path):  # noqa: F811
    """A farmer leads Poktan Sinar Tani, his wife Poktan Harapan Baru: the program is a family's, so
    the family is one enrollment whose value is both groups' (as one farmer leading both), the later
    row warned naming the earlier, both members and both groups. The same group, or a list without
    a group column, keeps the later row's value out, said."""
    husband = farmers[0]
    wife = MemberFactory(household=husband.household, name="WA ODE ASNA", relation="istri",
                         nik=make_nik(region="740901", birth=datetime.date(1975, 8, 9), female=True, serial=41))
    rows = [[1, "Poktan Sinar Tani", husband.name, husband.nik, "Pupuk NPK", 50, "Sak", "Rp. 15.000.000,-", ""],
            [2, "Poktan Maju Jaya", farmers[1].name, farmers[1].nik, "Pupuk Urea", 40, "Sak", "Rp 12.500.000", ""],
            [3, "Poktan Harapan Baru", wife.name, wife.nik, "Pupuk Organik", 2, "Ton", "8.000.000", ""]]
    path = write(tmp_path / "poktan.xlsx", POKTAN, rows)

    code, result, warnings, err = imported(path, "pupuk")

    assert code == 0, (result, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert amounts("pupuk") == {husband.household_id: 23_000_000, farmers[1].household_id: 12_500_000}
    said = [(row, column, reason) for row, column, reason in warnings if "kelompok lain" in reason]
    assert said == [(6, "NAMA KELOMPOK", (
        f"Penerima NIK {wife.nik} sekeluarga dengan penerima di baris 4 (NIK {husband.nik}) untuk kelompok lain "
        "('Poktan Sinar Tani'); baris ini ('Poktan Harapan Baru') digabung menjadi satu kepesertaan keluarga, nilai "
        "Rp 23.000.000 (nilai kelompok-kelompoknya dijumlahkan). Periksa apakah keluarga ini memang tercatat di "
        "kelompok-kelompok itu"
    ))]
    assert not [w for w in warnings if "tidak menambah kepesertaan" in w[2]]


@pytest.mark.parametrize("second_group", ["Poktan Sinar Tani", None])
def test_a_farmer_and_his_wife_in_one_group_keep_the_later_value_out(farmers, tmp_path, second_group):  # noqa: F811
    husband = farmers[0]
    wife = MemberFactory(household=husband.household, name="WA ODE ASNA", relation="istri",
                         nik=make_nik(region="740901", birth=datetime.date(1975, 8, 9), female=True, serial=41))
    headers = POKTAN if second_group else [h for h in POKTAN if h != "NAMA KELOMPOK"]
    rows = [[1, "Poktan Sinar Tani", husband.name, husband.nik, "Pupuk", 1, "Sak", "Rp 15.000.000", ""],
            [2, second_group, wife.name, wife.nik, "Pupuk", 1, "Sak", "Rp 8.000.000", ""]]
    if second_group is None:
        rows = [[cell for index, cell in enumerate(row) if index != 1] for row in rows]
    path = write(tmp_path / "poktan.xlsx", headers, rows)

    code, result, warnings, err = imported(path, "pupuk")

    assert code == 0, (result, err)
    assert amounts("pupuk") == {husband.household_id: 15_000_000}
    assert [row for row, _column, reason in warnings if "tidak menambah kepesertaan maupun nilainya" in reason] == [5]
    assert not [w for w in warnings if "kelompok lain" in w[2]]


def test_a_group_total_merged_down_from_a_refused_row_is_said_not_recorded(farmers, tmp_path):  # noqa: F811
    """The KUBE's total is merged down from its first member's row, whose NIK is no NIK: that row is
    refused, so the total is recorded on no family, and the sheet says so (not "recorded on row 4"):
    the operator corrects row 4 and sends the list again. Moving the total to the next member would
    leave it on two families once the corrected list is sent."""
    headers = ["NO", "NAMA KELOMPOK", "JABATAN", "NAMA ANGGOTA", "NIK", "NILAI BANTUAN (Rp)"]
    members = list(zip(["Ketua", "Sekretaris", "Anggota"], farmers[:3]))
    rows = [[n, "KUBE Mawar", role, head.name, head.nik, "Rp. 20.000.000,-" if n == 1 else None]
            for n, (role, head) in enumerate(members, 1)]
    rows[0][4] = "74090112345"  # too short: the row is refused
    path = write(tmp_path / "kube.xlsx", headers, rows, title="DAFTAR PENERIMA BANTUAN KUBE TA. 2024")
    book = load_workbook(path)
    book.active.merge_cells("F4:F6")
    book.save(path)

    code, result, warnings, err = imported(path, "kewirausahaan-sosial", "--skip-invalid")

    assert code == 0 and result["errors"] == 1, (result, err)
    assert amounts("kewirausahaan-sosial") == {farmers[1].household_id: None, farmers[2].household_id: None}
    said = [(row, column, reason) for row, column, reason in warnings if "digabung untuk baris" in reason]
    assert said == [(0, "NILAI BANTUAN (Rp)", (
        "Nilai 'Rp. 20.000.000,-' di kolom NILAI BANTUAN (Rp) digabung untuk baris 4-6: tidak dicatat, karena baris 4 "
        "ditolak (lihat kesalahannya); baris lainnya dicatat tanpa nilai. Perbaiki baris 4, lalu unggah lagi"
    ))]


def test_a_caretakers_row_whose_nama_kk_is_not_of_the_named_family_is_warned(caretaker_and_family, tmp_path):
    """The caretaker's row goes to the family its NO KK names; its NAMA KK names no one of that
    family (the No KK mistyped, or copied from the row above): warned, naming the family's members."""
    grandmother, family = caretaker_and_family
    path = pkh(tmp_path / "pkh.xlsx", "NIK PENGURUS", grandmother, family)
    book = load_workbook(path)
    book.active["E2"] = "MUHAMMAD YUSUF"
    book.save(path)

    code, result, warnings, err = imported(path, "pkh", "--year", "2024")

    assert code == 0, (result, err)
    assert list(Enrollment.objects.values_list("household", "amount")) == [(family.pk, 750_000)]
    assert [(row, column, reason) for row, column, reason in warnings if column == "NAMA KK"] == [(2, "NAMA KK", (
        f"Nama 'MUHAMMAD YUSUF' di kolom NAMA KK tidak cocok dengan anggota keluarga No KK {family.no_kk} "
        "(LA ODE RAHMAT), keluarga yang disebut di kolom NO KK dan dicatat sebagai penerima: periksa No KK-nya"
    ))]


def test_a_caretakers_row_whose_nama_kk_is_the_named_familys_head_is_not_warned(caretaker_and_family, tmp_path):
    grandmother, family = caretaker_and_family
    path = pkh(tmp_path / "pkh.xlsx", "NIK PENGURUS", grandmother, family)

    code, result, warnings, err = imported(path, "pkh", "--year", "2024")

    assert code == 0, (result, err)
    assert [column for _row, column, _reason in warnings] == ["NIK PENGURUS"]
