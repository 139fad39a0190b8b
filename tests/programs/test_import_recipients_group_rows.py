"""Group aid lists whose rows are not one recipient each: a farmer leading two kelompok tani in one
list (one enrollment, both groups' values summed), a group's total written once in a cell merged
down over its members' rows (recorded once, on the first row's family), a PKH list naming the
caretaker who collects the aid (NIK PENGURUS) beside the recipient family's No KK, and the
leader's columns as agencies spell them (NIK KTP KETUA, NAMA KETUA KEL.)."""

from __future__ import annotations

import pytest

from programs.models import Enrollment

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
