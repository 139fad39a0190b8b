"""DTSEN re-ranks every quarter: a family's desil comes with the period of its ranking. A file of an
older quarter imported after a newer one (Triwulan I again after Triwulan II) does not roll the
desil back: the newer ranking and its date stay, and the row says why."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household, ImportBatch, Member

from .conftest import nik, write_xlsx
from .test_import_bad_input import run
from tests.security.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

HEADERS = [
    "Nomor KK", "NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kode Wilayah", "Alamat",
    "Desil Nasional", "Periode Desil", "Jenis Atap", "Bansos PKH",
]
KK = "7409010601250001"
OTHER_KK = "7409010601250002"


def quarter(tmp_path, name, *families):
    """A DTSEN file of one quarter: ``(No KK, head serial, desil, period, roof)`` per family."""
    rows = [
        {"Nomor KK": kk, "NIK": nik(serial), "Nama": f"KEPALA {serial}", "Tanggal Lahir": "05/01/1980",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "Kepala Keluarga", "Kode Wilayah": "7409012006",
         "Alamat": "Lorong 1", "Desil Nasional": desil, "Periode Desil": period, "Jenis Atap": roof, "Bansos PKH": "Ya"}
        for kk, serial, desil, period, roof in families
    ]
    return str(write_xlsx(tmp_path / name, {"DTSEN": (HEADERS, rows)}))


def ranking(kk=KK):
    return Household.objects.values_list("desil", "desil_source", "desil_date").get(no_kk=kk)


def test_an_older_quarter_keeps_the_newer_desil_and_says_so(reference, bappeda_client, tmp_path):
    q1 = quarter(tmp_path, "q1.xlsx", (KK, 801, 2, "Triwulan I 2025", "Asbes/Seng"), (OTHER_KK, 802, 3, "Triwulan I 2025", "Asbes/Seng"))
    q2 = quarter(tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"), (OTHER_KK, 802, 3, "Triwulan II 2025", "Asbes/Seng"))
    assert run("import_dtsen", q1, "--year", "2025")[0] == 0
    assert ranking() == (2, "dtsen", datetime.date(2025, 1, 1))
    # The newer quarter re-ranks the family, as always.
    code, out, err = run("import_dtsen", q2, "--year", "2025", "--json")
    assert code == 0 and json.loads(out)["warnings"] == 0, (out, err)
    assert ranking() == (6, "dtsen", datetime.date(2025, 4, 1))

    # Triwulan I again: its ranking is older than the stored one.
    code, out, err = run("import_dtsen", q1, "--year", "2025", "--partial", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert ranking() == (6, "dtsen", datetime.date(2025, 4, 1))
    assert ranking(OTHER_KK) == (3, "dtsen", datetime.date(2025, 4, 1))
    warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]
    assert warnings == [
        (2, "Tanggal desil", "Peringkat desil di berkas (01/01/2025) lebih lama dari yang tersimpan (01/04/2025); desil tidak diubah"),
        (3, "Tanggal desil", "Peringkat desil di berkas (01/01/2025) lebih lama dari yang tersimpan (01/04/2025); desil tidak diubah"),
    ]
    # The family's other values are the file's, as for any file (the house as that quarter saw it).
    assert Household.objects.get(no_kk=KK).roof_type == "asbes_seng"
    # The portal still lists the family under its newer desil.
    assert "KEPALA 801" in bappeda_client.get("/keluarga/?desil=6").content.decode()
    assert "KEPALA 801" not in bappeda_client.get("/keluarga/?desil=2").content.decode()

    # The same older file once more changes nothing.
    code, out, err = run("import_dtsen", q1, "--year", "2025", "--partial", "--json")
    assert code == 0 and ranking() == (6, "dtsen", datetime.date(2025, 4, 1)), (out, err)
    assert json.loads(out)["households"]["updated"] == 0


def test_an_older_quarter_is_flagged_as_an_older_data_year_is(reference, bappeda_client, tmp_path):
    """A file of an older quarter of the same data year is older than the registry's data: as a full
    extract it marks a family absent only once confirmed; as a partial one it marks none of the
    members it lacks absent (a member it lacks may be newer than the file)."""
    # The last family ranked no later than Triwulan I (the newer quarter did not re-rank it): a full
    # Triwulan I without it marks it absent (one ranked in Triwulan II would be kept, as newer data).
    families = [(f"74090106012501{n:02d}", 900 + n, 3, "Triwulan II 2025" if n < 29 else "Triwulan I 2025", "Asbes/Seng") for n in range(30)]
    q2 = quarter(tmp_path, "q2.xlsx", *families)
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    household = Household.objects.get(no_kk=families[0][0])
    Member.objects.create(household=household, nik=nik(990), name="BAYI BARU", relation="anak", sex="L",
                          birth_date=datetime.date(2025, 3, 1))
    # Triwulan I: the first family ranked otherwise, and the last one not yet in the data.
    q1 = quarter(tmp_path, "q1.xlsx", *[(kk, serial, 2, "Triwulan I 2025", roof) for kk, serial, _d, _p, roof in families[:-1]])
    before = sorted(Household.objects.values_list("no_kk", "desil", "desil_date", "is_absent"))

    code, out, err = run("import_dtsen", q1, "--year", "2025")
    assert code == 2
    assert "1 keluarga akan ditandai tidak ada di data terbaru (dari 30 keluarga saat ini)." in err
    assert "Peringkat desil di berkas ini (01/01/2025) lebih lama dari peringkat terbaru di registri (01/04/2025)." in err
    assert "tidak ada data yang diubah" in err
    assert sorted(Household.objects.values_list("no_kk", "desil", "desil_date", "is_absent")) == before
    # The upload's preview says the same.
    with open(q1, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtsen", "file": handle, "full_extract": "on"})
    preview = reverse("admin:households_importbatch_preview", args=[ImportBatch.objects.latest("pk").pk])
    page = bappeda_client.get(preview).content.decode()
    assert "Peringkat desil di berkas ini (01/01/2025) lebih lama dari peringkat terbaru di registri (01/04/2025)." in page
    assert "Berkas ini data tahun" not in page and 'name="confirm_absent"' in page

    # A family the newest data no longer holds (marked absent), listed still in Triwulan I.
    gone = Household.objects.get(no_kk=families[1][0])
    Household.objects.filter(pk=gone.pk).update(is_absent=True)
    Member.objects.filter(household=gone).update(is_absent=True)

    code, out, err = run("import_dtsen", q1, "--year", "2025", "--partial", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["members"]["absent"] == 0
    assert not Member.objects.get(name="BAYI BARU").is_absent
    # The older file does not bring back what the newer data no longer holds, and says so.
    assert list(Household.objects.filter(is_absent=True).values_list("pk", flat=True)) == [gone.pk]
    assert Member.objects.get(household=gone).is_absent
    kept = "Tidak ada di data terbaru registri; berkas ini lebih lama, jadi tetap ditandai tidak ada"
    assert [w["row"] for w in ImportBatch.objects.get(pk=summary["batch"]).warnings if w["reason"] == kept] == [3, 3]


def test_an_undated_desil_does_not_pass_for_the_dated_ranking(reference, tmp_path):
    """A DTSEN file without the ranking's date re-ranks a family of its data year, but the date
    stored with the old ranking is not the new one's: the family's desil is then undated. A desil
    equal to the dated one leaves the dated ranking as it is; one of an older data year is not taken."""
    q2 = quarter(tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"), (OTHER_KK, 802, 3, "Triwulan II 2025", "Genteng"))
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    assert ranking() == (6, "dtsen", datetime.date(2025, 4, 1))

    older = quarter(tmp_path, "old.xlsx", (KK, 801, 9, "", "Genteng"), (OTHER_KK, 802, 3, "", "Genteng"))
    code, out, err = run("import_dtsen", older, "--year", "2024", "--partial", "--json")
    assert code == 0, (out, err)
    assert ranking() == (6, "dtsen", datetime.date(2025, 4, 1))
    assert [w["reason"] for w in ImportBatch.objects.get(pk=json.loads(out)["batch"]).warnings] == [
        "Data keluarga ini di registri lebih baru (tahun 2025) dari berkas ini (tahun 2024); tidak diubah",
    ] * 2

    undated = quarter(tmp_path, "undated.xlsx", (KK, 801, 4, "", "Genteng"), (OTHER_KK, 802, 3, "", "Genteng"))
    code, out, err = run("import_dtsen", undated, "--year", "2025", "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["warnings"] == 0, summary
    assert ranking() == (4, "dtsen", None)
    assert ranking(OTHER_KK) == (3, "dtsen", datetime.date(2025, 4, 1))
    # The family's history says the same: desil 4, no date.
    latest = Household.objects.get(no_kk=KK).history.first()
    assert (latest.desil, latest.desil_date) == (4, None)

    # The next dated quarter ranks it again, with its date.
    q3 = quarter(tmp_path, "q3.xlsx", (KK, 801, 5, "Triwulan III 2025", "Genteng"), (OTHER_KK, 802, 3, "Triwulan III 2025", "Genteng"))
    assert run("import_dtsen", q3, "--year", "2025")[0] == 0
    assert ranking() == (5, "dtsen", datetime.date(2025, 7, 1))


def test_a_ranking_dated_in_the_future_is_read_without_its_date(reference, tmp_path):
    """A period that has not begun (``Triwulan I 2052`` for 2025) is a typo: the row says so and its
    desil is read as an undated one, as a period that cannot be read is."""
    typo = quarter(tmp_path, "typo.xlsx", (KK, 801, 2, "Triwulan I 2052", "Genteng"), (OTHER_KK, 802, 3, "Triwulan II 2025", "Genteng"))
    code, out, err = run("import_dtsen", typo, "--year", "2025", "--json")
    assert code == 0, (out, err)
    assert ranking() == (2, "dtsen", None)
    assert ranking(OTHER_KK) == (3, "dtsen", datetime.date(2025, 4, 1))
    warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=json.loads(out)["batch"]).warnings]
    assert warnings == [(2, "Periode Desil", "Tanggal desil 01/01/2052 belum tiba; desil dibaca tanpa tanggal")]


def test_one_wrong_stored_ranking_date_does_not_make_every_file_older(reference, tmp_path):
    """The registry's ranking a file is compared with is that of its data, not the single newest
    date: one family dated 2052 (a typo of an earlier import or of an edit), one family ranked a
    quarter ahead of all others or one data year typed 2052 does not make each later file older than the registry (asking for confirmation,
    reviving no family the newer data lists again)."""
    # The last family ranked no later than Triwulan I (the newer quarter did not re-rank it): a full
    # Triwulan I without it marks it absent (one ranked in Triwulan II would be kept, as newer data).
    families = [(f"74090106012501{n:02d}", 900 + n, 3, "Triwulan II 2025" if n < 29 else "Triwulan I 2025", "Asbes/Seng") for n in range(30)]
    assert run("import_dtsen", quarter(tmp_path, "q2.xlsx", *families), "--year", "2025")[0] == 0
    wrong, ahead, gone = (Household.objects.get(no_kk=families[n][0]) for n in (0, 1, 2))
    Household.objects.filter(pk=wrong.pk).update(desil_date=datetime.date(2052, 4, 1))
    Household.objects.filter(pk=ahead.pk).update(desil_date=datetime.date(2025, 10, 1))
    # A data year typed wrong on the family's page ("Tahun data") is the same.
    Household.objects.filter(no_kk=families[3][0]).update(source_year=2052)
    Household.objects.filter(pk=gone.pk).update(is_absent=True)
    Member.objects.filter(household=gone).update(is_absent=True)

    # Triwulan III: every family ranked 4, the last one no longer in the data.
    q3 = quarter(tmp_path, "q3.xlsx", *[(kk, serial, 4, "Triwulan III 2025", roof) for kk, serial, _d, _p, roof in families[:-1]])
    code, out, err = run("import_dtsen", q3, "--year", "2025", "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["households"]["absent"] == 1
    # The family the older data had left out is back, as the newer data lists it.
    assert not Household.objects.get(pk=gone.pk).is_absent and not Member.objects.get(household=gone).is_absent
    # The family dated 2052 takes the quarter's ranking, and the row says why.
    assert ranking(families[0][0]) == (4, "dtsen", datetime.date(2025, 7, 1))
    # The family ranked a quarter ahead keeps it, as any newer ranking is kept.
    assert ranking(families[1][0]) == (3, "dtsen", datetime.date(2025, 10, 1))
    warnings = [(w["row"], w["reason"]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]
    assert warnings == [
        (2, "Tanggal desil tersimpan (01/04/2052) belum tiba; dipakai peringkat di berkas"),
        (3, "Peringkat desil di berkas (01/07/2025) lebih lama dari yang tersimpan (01/10/2025); desil tidak diubah"),
    ]


def test_a_desil_typed_by_hand_is_not_rolled_back_by_the_quarter_it_corrected(reference, bappeda_client, tmp_path):
    """The operator's desil is dated the day it was typed: the quarter it corrected, sent again
    revised, is older and leaves it (its source and date with it), saying it was typed by hand."""
    q2 = quarter(tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"))
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    household = Household.objects.get(no_kk=KK)
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), desil="4"))
    assert response.status_code == 302
    today = timezone.localdate()
    assert ranking() == (4, "manual", today)

    again = quarter(tmp_path, "q2_revised.xlsx", (KK, 801, 6, "Triwulan II 2025", "Asbes/Seng"))
    code, out, err = run("import_dtsen", again, "--year", "2025", "--partial", "--json")
    assert code == 0, (out, err)
    assert ranking() == (4, "manual", today)
    assert Household.objects.get(no_kk=KK).roof_type == "asbes_seng"  # the rest of the row is taken
    warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=json.loads(out)["batch"]).warnings]
    assert (
        2, "Desil",
        f"Desil tersimpan (4) diketik manual oleh bappeda pada {today:%d/%m/%Y}; peringkat di berkas (01/04/2025, desil 6) "
        "tidak lebih baru; desil tidak diubah",
    ) in warnings


def test_an_older_full_quarter_leaves_a_family_only_the_newer_quarter_holds(reference, bappeda_client, tmp_path):
    """Triwulan I again, full, after Triwulan II of the same data year: a family Triwulan II added is
    not missing from the newest data because the older quarter lacks it. A family ranked no later
    than the older file is still marked, once confirmed."""
    added, stale = "7409010601250003", "7409010601250004"
    q2 = quarter(
        tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"), (OTHER_KK, 802, 3, "Triwulan II 2025", "Genteng"),
        (added, 803, 4, "Triwulan II 2025", "Genteng"), (stale, 804, 5, "Triwulan I 2025", "Genteng"),
    )
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    q1 = quarter(tmp_path, "q1.xlsx", (KK, 801, 2, "Triwulan I 2025", "Genteng"), (OTHER_KK, 802, 3, "Triwulan I 2025", "Genteng"))
    kept = (
        "1 keluarga yang tidak ada di berkas ini tidak ditandai tidak ada: data keluarga itu di registri lebih baru "
        "dari berkas ini (tahun 2025, peringkat desil 01/01/2025)."
    )
    # The preview asks to confirm the one family as old as the file, and says which one it keeps.
    with open(q1, "rb") as handle:
        data = {"kind": "dtsen", "file": handle, "full_extract": "on", "data_year": "2025"}
        bappeda_client.post(reverse("admin:households_importbatch_upload"), data)
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[ImportBatch.objects.latest("pk").pk])).content.decode()
    assert "1 keluarga akan ditandai tidak ada di data terbaru" in page and kept in page
    # The command stopping to ask for the confirmation says it too.
    code, out, err = run("import_dtsen", q1, "--year", "2025")
    assert code != 0 and "1 keluarga akan ditandai tidak ada di data terbaru" in err and kept in err, (out, err)

    code, out, err = run("import_dtsen", q1, "--year", "2025", "--confirm-absent", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["households"]["absent"] == 1 and summary["households_kept"] == 1 and kept in summary["message"]
    assert list(Household.objects.filter(is_absent=True).values_list("no_kk", flat=True)) == [stale]
    assert ranking(added) == (4, "dtsen", datetime.date(2025, 4, 1))


def test_a_desil_typed_by_hand_does_not_keep_a_family_the_full_quarter_lacks(reference, tmp_path):
    """An operator corrected a family's desil after Triwulan I; Triwulan I again, full, lacks the
    family (it moved away): the hand entry is no newer data about the family, so it is marked absent
    (once confirmed) like any family the file lacks."""
    moved = "7409010601250004"
    q1 = quarter(
        tmp_path, "q1.xlsx", (KK, 801, 6, "Triwulan I 2025", "Genteng"), (OTHER_KK, 802, 3, "Triwulan I 2025", "Genteng"),
        (moved, 804, 5, "Triwulan I 2025", "Genteng"),
    )
    assert run("import_dtsen", q1, "--year", "2025")[0] == 0
    Household.objects.filter(no_kk=moved).update(desil=4, desil_source="manual", desil_date=datetime.date(2025, 2, 1))
    # A revised Triwulan I (its rows read again, not skipped as unchanged).
    again = quarter(tmp_path, "q1b.xlsx", (KK, 801, 5, "Triwulan I 2025", "Genteng"), (OTHER_KK, 802, 2, "Triwulan I 2025", "Genteng"))
    code, out, err = run("import_dtsen", again, "--year", "2025", "--confirm-absent", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["households"]["absent"] == 1 and not summary.get("households_kept")
    assert list(Household.objects.filter(is_absent=True).values_list("no_kk", flat=True)) == [moved]
