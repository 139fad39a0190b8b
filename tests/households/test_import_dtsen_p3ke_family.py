"""A DTSEN (or DTKS) family the registry already holds from P3KE is not created twice.

A P3KE extract carries no No KK: its families are held under their ID Keluarga P3KE, with no_kk "".
A DTSEN extract is keyed by No KK. Its family whose No KK the registry does not hold, and whose
head's NIK one family without a No KK holds, is that family: it takes the file's No KK and is updated
from the file, rather than coming in a second time as an identity duplicate for Bappeda to merge."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from dedup.identity import find_identity_matches
from dedup.models import IdentityKind, IdentityMatch
from households.imports.batches import batch_create
from households.imports.services import import_preview
from households.models import Household, ImportBatch, Member

from .conftest import DTKS, HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

DTSEN = [
    "Nomor KK", "NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kode Wilayah", "Alamat",
    "Desil Nasional", "Periode Desil", "Jenis Atap",
]
KK = "7409010601250001"
OTHER_KK = "7409010601250002"
WIFE = nik(201, female=True, birth=datetime.date(1985, 3, 2))
CHILD = nik(202, birth=datetime.date(2010, 5, 17))
GRANDMOTHER = nik(203, female=True, birth=datetime.date(1940, 7, 1))
BABY = nik(204, female=True, birth=datetime.date(2024, 9, 9))


def p3ke_file(tmp_path, name="p3ke.xlsx", *, child_elsewhere=False, head_twice=False):
    """Family 122000001 (head ``nik(100)``, wife, child, grandmother) and family 122000002
    (head ``nik(101)``, another name); with ``head_twice``, family 122000002 is headed by ``nik(100)`` too."""
    other = {"Nama Kepala Keluarga": "HASNAH TOSUKA"}
    second_head = 100 if head_twice else 101
    households = [household_row("122000001", 100), household_row("122000002", second_head, **other)]
    members = [
        head_member_row("122000001", "91220000011", 100),
        member_row(
            "122000001", "91220000012", 201, relation="Istri", female=True, birth=datetime.date(1985, 3, 2), Nama="WA ODE",
        ),
        member_row("122000001", "91220000013", 202, Nama="LA ODE"),
        member_row(
            "122000001", "91220000014", 203, relation="Famili Lain", female=True, birth=datetime.date(1940, 7, 1), Nama="WA NENE",
        ),
        head_member_row("122000002", "91220000021", second_head, Nama="HASNAH TOSUKA"),
    ]
    return str(write_xlsx(tmp_path / name, {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)}))


def person(kk, number, name, relation, born, sex="Laki-laki"):
    return {
        "Nomor KK": kk, "NIK": number, "Nama": name, "Tanggal Lahir": born, "Jenis Kelamin": sex,
        "Hubungan Keluarga": relation, "Kode Wilayah": "7409012006", "Alamat": "Lorong Melati",
        "Desil Nasional": 2, "Periode Desil": "Triwulan I 2026", "Jenis Atap": "Genteng",
    }


def dtsen_file(tmp_path, rows, name="dtsen.xlsx"):
    return str(write_xlsx(tmp_path / name, {"DTSEN": (DTSEN, rows)}))


def the_family():
    """Head ``nik(100)``, wife (her full name), child (the grandmother died); a baby born since P3KE."""
    return [
        person(KK, nik(100), "KEPALA 100", "Kepala Keluarga", "05/01/1980"),
        person(KK, WIFE, "WA ODE SITI", "Istri", "02/03/1985", "Perempuan"),
        person(KK, CHILD, "LA ODE", "Anak", "17/05/2010"),
        person(KK, BABY, "WA BUNGA", "Anak", "09/09/2024", "Perempuan"),
    ]


def dtsen_import(path, *args):
    code, out, err = run("import_dtsen", path, "--partial", "--year", "2026", "--json", *args)
    assert code == 0, (out, err)
    return json.loads(out)


def holders(number):
    return list(Household.objects.filter(members__nik=number).distinct())


def test_a_dtsen_family_held_from_p3ke_takes_its_no_kk_and_is_not_created_twice(reference, tmp_path):
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    assert family.no_kk == ""
    path = dtsen_file(tmp_path, the_family())

    summary = dtsen_import(path)
    assert summary["households"] == {"created": 0, "updated": 1, "unchanged": 0, "absent": 0}
    assert summary["members"] == {"created": 1, "updated": 1, "unchanged": 2, "absent": 1}
    assert "1 keluarga dikenali dari NIK kepala keluarga" in summary["message"]
    assert summary["identity_duplicates"] == 0 and find_identity_matches() == []

    # One household holds both keys, its DTSEN values and its members matched by NIK.
    assert Household.objects.count() == 2
    assert holders(nik(100)) == [family]
    family.refresh_from_db()
    assert (family.p3ke_id, family.no_kk, family.desil, family.desil_source) == ("122000001", KK, 2, "dtsen")
    assert family.roof_type == "genteng"
    present = dict(family.members.filter(is_absent=False).values_list("nik", "id_individu"))
    assert present == {nik(100): "91220000011", WIFE: "91220000012", CHILD: "91220000013", BABY: None}
    assert family.members.get(nik=WIFE).name == "WA ODE SITI"
    assert family.members.get(nik=GRANDMOTHER).is_absent  # not on the family's card any more
    # Its history says which batch gave it its No KK, and why.
    batch = ImportBatch.objects.get(pk=summary["batch"])
    latest = family.history.first()
    assert latest.no_kk == KK
    assert latest.history_change_reason == f"Impor batch #{batch.pk}: dikenali dari NIK kepala keluarga, No KK dari berkas"
    assert "1 keluarga dikenali dari NIK kepala keluarga" in batch.message

    # The same DTSEN file again changes nothing, its rows skipped as unchanged.
    again = dtsen_import(path)
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 0}
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 4, "absent": 0}
    assert again["skipped_rows"] == 4 and "dikenali" not in again["message"]

    # A later P3KE re-sync still finds the family by its P3KE ID.
    code, out, err = run("import_p3ke", p3ke_file(tmp_path), "--partial", "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 0
    assert Household.objects.count() == 2 and holders(nik(100)) == [family]
    family.refresh_from_db()
    assert (family.p3ke_id, family.no_kk) == ("122000001", KK)


def test_the_preview_says_how_many_families_it_recognised(reference, bappeda_client, tmp_path):
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    path = dtsen_file(tmp_path, [*the_family(), person(OTHER_KK, nik(300), "LA BAKRI", "Kepala Keluarga", "05/01/1980")])
    batch = batch_create(kind="dtsen", files=[("dtsen.xlsx", path)], full_extract=False, data_year=2026)
    outcome = import_preview(batch=batch)
    assert outcome.summary["households"]["created"] == 1 and outcome.summary["households"]["updated"] == 1
    assert outcome.summary["recognised_by_head_nik"] == 1
    page = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
    assert "1 keluarga dikenali dari NIK kepala keluarga" in page
    assert Household.objects.count() == 2 and Household.objects.filter(no_kk="").count() == 2  # nothing written

    code, out, err = run("import_dtsen", path, "--partial", "--year", "2026", "--dry-run")
    assert code == 0 and "1 keluarga dikenali dari NIK kepala keluarga" in out, (out, err)


def test_a_family_whose_file_marks_no_head_is_recognised_by_its_members_niks(reference, tmp_path):
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    rows = [
        person(KK, WIFE, "WA ODE", "Lainnya", "02/03/1985", "Perempuan"),
        person(KK, CHILD, "LA ODE", "Lainnya", "17/05/2010"),
    ]
    summary = dtsen_import(dtsen_file(tmp_path, rows))
    assert summary["households"]["created"] == 0 and summary["households"]["updated"] == 1
    assert Household.objects.get(p3ke_id="122000001").no_kk == KK
    assert holders(WIFE) == holders(CHILD) == [Household.objects.get(no_kk=KK)]


def test_a_dtks_family_held_from_p3ke_is_recognised_too(reference, tmp_path):
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    row = {
        "ID DTKS": "D100", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": KK, "Nomor NIK": nik(100),
        "Nama": "KEPALA 100", "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA",
    }
    path = str(write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, [row])}))
    code, out, err = run("import_dtks", path, "--partial", "--year", "2024", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["households"]["created"] == 0 and summary["recognised_by_head_nik"] == 1, (out, err)
    assert holders(nik(100)) == [Household.objects.get(p3ke_id="122000001", no_kk=KK)]


def test_a_head_held_by_two_families_is_created_and_flagged_as_before(reference, tmp_path):
    assert run("import_p3ke", p3ke_file(tmp_path, head_twice=True))[0] == 0
    summary = dtsen_import(dtsen_file(tmp_path, the_family()))
    assert summary["households"]["created"] == 1 and "dikenali" not in summary["message"]
    new = Household.objects.get(no_kk=KK)
    assert new.p3ke_id is None and len(holders(nik(100))) == 3
    assert Household.objects.filter(no_kk="").count() == 2
    flagged = IdentityMatch.objects.filter(kind=IdentityKind.SAME_NIK)
    assert {pk for match in flagged for pk in (match.household_a_id, match.household_b_id)} >= {
        new.pk, *Household.objects.filter(p3ke_id__isnull=False).values_list("pk", flat=True),
    }


def test_a_son_in_a_kk_of_his_own_leaves_his_parents_family(reference, tmp_path):
    """Pecah KK: the file shows the parents under their KK and the son heading a KK of his own. The
    parents' P3KE family is recognised by its head; the son, no longer on its card, is marked absent
    from it, and his own family is created: no family held twice."""
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    rows = [
        *[row for row in the_family() if row["NIK"] != CHILD],
        person(OTHER_KK, CHILD, "LA ODE", "Kepala Keluarga", "17/05/2010"),
    ]
    summary = dtsen_import(dtsen_file(tmp_path, rows))
    assert summary["households"] == {"created": 1, "updated": 1, "unchanged": 0, "absent": 0}
    assert "1 keluarga dikenali dari NIK kepala keluarga" in summary["message"]
    parents = Household.objects.get(p3ke_id="122000001")
    assert parents.no_kk == KK and Household.objects.filter(no_kk=KK).count() == 1
    present = set(parents.members.filter(is_absent=False).values_list("nik", flat=True))
    assert present == {nik(100), WIFE, BABY}
    assert parents.members.get(nik=CHILD).is_absent
    son = Household.objects.get(no_kk=OTHER_KK)
    assert list(son.members.filter(is_absent=False).values_list("nik", flat=True)) == [CHILD]


def test_a_headless_family_the_file_splits_is_created_and_flagged_as_before(reference, tmp_path):
    """Without a head in the file, a family is recognised by its members' NIKs: when the file puts
    them in two families, the P3KE family is neither."""
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    rows = [
        person(KK, WIFE, "WA ODE", "Lainnya", "02/03/1985", "Perempuan"),
        person(OTHER_KK, CHILD, "LA ODE", "Lainnya", "17/05/2010"),
    ]
    summary = dtsen_import(dtsen_file(tmp_path, rows))
    assert summary["households"]["created"] == 2 and "dikenali" not in summary["message"]
    p3ke_family = Household.objects.get(p3ke_id="122000001")
    assert p3ke_family.no_kk == "" and Member.objects.filter(household=p3ke_family, is_absent=False).count() == 4
    flagged = {
        frozenset((match.household_a_id, match.household_b_id))
        for match in IdentityMatch.objects.filter(kind=IdentityKind.SAME_NIK)
    }
    assert frozenset((p3ke_family.pk, Household.objects.get(no_kk=KK).pk)) in flagged
    assert frozenset((p3ke_family.pk, Household.objects.get(no_kk=OTHER_KK).pk)) in flagged


def test_a_son_heading_his_own_new_family_is_not_his_parents_family(reference, tmp_path):
    """Pecah KK: the file lists only the son's new family, the son its head. His parents' P3KE
    family holds him as a child, not as its head: it is not recognised as his family (it would take
    his No KK and its other members would be marked absent from it); his family is created and the
    person in two families flagged."""
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    summary = dtsen_import(dtsen_file(tmp_path, [person(OTHER_KK, CHILD, "LA ODE", "Kepala Keluarga", "17/05/2010")]))
    assert summary["households"] == {"created": 1, "updated": 0, "unchanged": 0, "absent": 0}
    assert "dikenali" not in summary["message"]
    parents = Household.objects.get(p3ke_id="122000001")
    assert parents.no_kk == "" and parents.members.filter(is_absent=False).count() == 4
    son = Household.objects.get(no_kk=OTHER_KK)
    assert son.p3ke_id is None and list(son.members.values_list("nik", flat=True)) == [CHILD]
    flagged = {
        frozenset((match.household_a_id, match.household_b_id))
        for match in IdentityMatch.objects.filter(kind=IdentityKind.SAME_NIK)
    }
    assert frozenset((parents.pk, son.pk)) in flagged


def test_an_older_p3ke_file_leaves_a_family_the_newer_dtsen_file_updated(reference, tmp_path):
    """The family holds both keys once DTSEN recognised it: P3KE 2023 uploaded again after DTSEN 2026
    leaves its newer data as it is (address, roof, members, data year), says so on the row and in the
    summary, and uploading either file again changes nothing."""
    p3ke = p3ke_file(tmp_path)
    assert run("import_p3ke", p3ke)[0] == 0
    dtsen = dtsen_file(tmp_path, the_family())
    dtsen_import(dtsen)
    family = Household.objects.get(p3ke_id="122000001")

    def state():
        family.refresh_from_db()
        present = set(family.members.filter(is_absent=False).values_list("nik", flat=True))
        return family.source_year, family.address, family.roof_type, family.members.get(nik=WIFE).name, present

    newer = state()
    assert newer == (2026, "Lorong Melati", "genteng", "WA ODE SITI", {nik(100), WIFE, CHILD, BABY})
    history = family.history.count()

    code, out, err = run("import_p3ke", p3ke, "--partial", "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert state() == newer and family.history.count() == history
    assert summary["households"]["updated"] == 0 and summary["members"]["updated"] == 0
    assert summary["members"]["absent"] == 0
    assert summary["households_newer"] == 1
    batch = ImportBatch.objects.get(pk=summary["batch"])
    warned = [w["reason"] for w in batch.warnings if (w["sheet"], w["row"]) == ("KEPALA-KELUARGA", 2)]
    assert warned == [
        "Data keluarga ini di registri lebih baru (tahun 2026) dari berkas ini (tahun 2023); tidak diubah",
    ], batch.warnings
    assert "1 keluarga di registri lebih baru dari berkas ini" in summary["message"]

    for path, command in ((dtsen, "import_dtsen"), (p3ke, "import_p3ke"), (dtsen, "import_dtsen")):
        args = ("--year", "2026") if command == "import_dtsen" else ()
        code, out, err = run(command, path, "--partial", "--json", *args)
        assert code == 0, (out, err)
        again = json.loads(out)
        assert "Tidak ada perubahan" in again["message"], again
        assert state() == newer
        if command == "import_dtsen":  # the newer file's rows are still those the family was stored from
            assert again["skipped_rows"] == 4, again


def test_an_older_file_fills_what_the_newer_data_left_blank(reference, tmp_path):
    """A value no newer file gave (the registry's cell is empty) is taken from the older file, with
    the family's data year and the rest of its data left as they are."""
    p3ke = p3ke_file(tmp_path)
    assert run("import_p3ke", p3ke)[0] == 0
    dtsen_import(dtsen_file(tmp_path, the_family()))
    Household.objects.filter(p3ke_id="122000001").update(persentil=None)

    code, out, err = run("import_p3ke", p3ke, "--partial", "--json")
    assert code == 0, (out, err)
    family = Household.objects.get(p3ke_id="122000001")
    assert (family.persentil, family.source_year, family.roof_type) == (5, 2026, "genteng")
    assert json.loads(out)["households"]["updated"] == 1


def test_an_older_file_adds_no_member_to_a_family_the_newer_file_updated(reference, tmp_path):
    """A person the older file lists in the family and the registry does not hold there is not added:
    the newer data is the family as it is now."""
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    dtsen_import(dtsen_file(tmp_path, the_family()))
    households = [household_row("122000001", 100), household_row("122000002", 101, **{"Nama Kepala Keluarga": "HASNAH TOSUKA"})]
    members = [
        head_member_row("122000001", "91220000011", 100),
        member_row("122000001", "91220000015", 205, Nama="LA COUSIN"),
        head_member_row("122000002", "91220000021", 101, Nama="HASNAH TOSUKA"),
    ]
    path = str(write_xlsx(tmp_path / "p3ke_cousin.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)}))

    code, out, err = run("import_p3ke", path, "--partial", "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["members"]["created"] == 0
    family = Household.objects.get(p3ke_id="122000001")
    assert set(family.members.filter(is_absent=False).values_list("nik", flat=True)) == {nik(100), WIFE, CHILD, BABY}
    assert not Member.objects.filter(name="LA COUSIN").exists()


def test_an_older_file_moves_no_member_out_of_a_newer_family_into_a_new_one(reference, tmp_path):
    """The older file lists the child (by his ID Individu) under a family the registry does not hold
    yet: the new family is created from the file, and the child stays in the family the newer data
    placed him in (the import does not fail, nor move him)."""
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    dtsen_import(dtsen_file(tmp_path, the_family()))
    households = [household_row("122000001", 100), household_row("122000009", 202, **{"Nama Kepala Keluarga": "LA ODE"})]
    members = [
        head_member_row("122000001", "91220000011", 100),
        head_member_row("122000009", "91220000013", 202, Nama="LA ODE"),
    ]
    path = str(write_xlsx(tmp_path / "p3ke_son.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)}))

    code, out, err = run("import_p3ke", path, "--partial", "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["status"] == "applied"
    family = Household.objects.get(p3ke_id="122000001")
    assert set(family.members.filter(is_absent=False).values_list("nik", flat=True)) == {nik(100), WIFE, CHILD, BABY}
    assert Member.objects.get(id_individu="91220000013").household == family
