"""A desil typed by hand on the family's page (source ``Input manual``, dated the day it was typed)
against the central data that comes after it. A DTSEN file ranked after that day replaces it (the
national ranking came later) and the row says so; a file ranked on or before it, or a file without a
ranking date of no later data year (P3KE, an undated DTSEN), keeps it, and the row says the stored
desil was typed by hand, by whom and when. A desil cleared by hand is no ranking: the next file fills it."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household, ImportBatch

from .conftest import HH_2023, household_row, write_xlsx
from .test_import_bad_input import run
from .test_import_desil_quarters import KK, quarter, ranking
from tests.security.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

TYPED_ON = datetime.date(2025, 8, 15)


def type_desil(client, monkeypatch, desil, kk=KK, on=None):
    """The operator types ``desil`` (or clears it: ``""``) on the family's page, on the day ``on`` (today if None)."""
    household = Household.objects.filter(no_kk=kk).first() or Household.objects.get(p3ke_id=kk)
    url = reverse("admin:households_household_change", args=[household.pk])
    form = admin_form_data(client.get(url), desil=str(desil))
    with monkeypatch.context() as patched:
        if on is not None:
            patched.setattr(timezone, "localdate", lambda *args, **kwargs: on)
        response = client.post(url, form)
    assert response.status_code == 302


def warnings_of(out):
    return [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=json.loads(out)["batch"]).warnings]


def imported(path, year, *options, kk=KK):
    """The family's ranking and the file's warnings once the DTSEN file at ``path`` is imported."""
    code, out, err = run("import_dtsen", path, "--year", year, "--json", *options)
    assert code == 0, (out, err)
    return ranking(kk), warnings_of(out)


def history(kk=KK):
    return list(Household.objects.get(no_kk=kk).history.order_by("history_id").values_list("desil", "desil_source", "desil_date"))


def test_a_later_ranking_replaces_the_desil_typed_by_hand_an_earlier_one_keeps_it(reference, bappeda_client, monkeypatch, tmp_path):
    families = [(f"74090106012501{n:02d}", 900 + n) for n in range(30)]
    q2 = quarter(tmp_path, "q2.xlsx", *[(kk, serial, 6, "Triwulan II 2025", "Genteng") for kk, serial in families])
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    first, second, gone = families[0][0], families[1][0], families[-1][0]
    type_desil(bappeda_client, monkeypatch, 3, kk=first, on=TYPED_ON)
    type_desil(bappeda_client, monkeypatch, 3, kk=second, on=TYPED_ON)
    assert ranking(first) == (3, "manual", TYPED_ON)

    # Triwulan III was ranked before the operator typed 3: the hand desil stays, and the row says
    # it was typed by hand (not a "stored ranking"). The days desils were typed by hand are no
    # ranking of the registry's data: the file is not older than it, and marks absent the family
    # it no longer lists without asking.
    q3 = quarter(tmp_path, "q3.xlsx", *[(kk, serial, 5, "Triwulan III 2025", "Asbes/Seng") for kk, serial in families[:-1]])
    code, out, err = run("import_dtsen", q3, "--year", "2025", "--json")
    assert code == 0, (out, err)
    assert ranking(first) == ranking(second) == (3, "manual", TYPED_ON)
    assert ranking(families[2][0]) == (5, "dtsen", datetime.date(2025, 7, 1))
    assert Household.objects.get(no_kk=first).roof_type == "asbes_seng"  # the rest of the row is taken
    assert Household.objects.get(no_kk=gone).is_absent
    kept = (
        "Desil tersimpan (3) diketik manual oleh bappeda pada 15/08/2025; peringkat di berkas (01/07/2025, desil 5) "
        "tidak lebih baru; desil tidak diubah"
    )
    assert warnings_of(out) == [(2, "Desil", kept), (3, "Desil", kept)]

    # Triwulan IV was ranked after it: the national ranking came later and replaces it.
    q4 = quarter(tmp_path, "q4.xlsx", (first, 900, 6, "Triwulan IV 2025", "Asbes/Seng"))
    code, out, err = run("import_dtsen", q4, "--year", "2025", "--partial", "--json")
    assert code == 0, (out, err)
    assert ranking(first) == (6, "dtsen", datetime.date(2025, 10, 1))
    assert warnings_of(out) == [(
        2, "Desil",
        "Desil 3 yang diketik manual oleh bappeda pada 15/08/2025 diganti dengan peringkat di berkas (01/10/2025, desil 6)",
    )]
    assert history(first)[-3:] == [
        (3, "manual", TYPED_ON), (3, "manual", TYPED_ON), (6, "dtsen", datetime.date(2025, 10, 1)),
    ]

    # From then on it is the national ranking: the same file again changes nothing and says nothing.
    code, out, err = run("import_dtsen", q4, "--year", "2025", "--partial", "--json")
    assert code == 0 and warnings_of(out) == [], (out, err)
    assert json.loads(out)["households"]["updated"] == 0


def test_a_desil_cleared_by_hand_is_filled_by_the_next_file(reference, bappeda_client, monkeypatch, tmp_path):
    q2 = quarter(tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"))
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    type_desil(bappeda_client, monkeypatch, "", on=TYPED_ON)
    assert ranking() == (None, "manual", TYPED_ON)

    # Triwulan III was ranked before the desil was cleared: the family is ranked all the same.
    q3 = quarter(tmp_path, "q3.xlsx", (KK, 801, 5, "Triwulan III 2025", "Genteng"))
    assert imported(q3, "2025", "--partial") == ((5, "dtsen", datetime.date(2025, 7, 1)), [(
        2, "Desil", "Desil dikosongkan manual oleh bappeda pada 15/08/2025; diisi dengan peringkat di berkas (01/07/2025, desil 5)",
    )])
    assert history()[-2:] == [(None, "manual", TYPED_ON), (5, "dtsen", datetime.date(2025, 7, 1))]


def test_a_file_without_ranking_date_keeps_the_hand_desil_unless_of_a_later_data_year(reference, bappeda_client, monkeypatch, tmp_path):
    q2 = quarter(tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"))
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    type_desil(bappeda_client, monkeypatch, 3, on=TYPED_ON)

    # Undated, of the year it was typed in: whether ranked before or after it is not known.
    undated = quarter(tmp_path, "undated.xlsx", (KK, 801, 5, "", "Genteng"))
    assert imported(undated, "2025", "--partial") == ((3, "manual", TYPED_ON), [(
        2, "Desil",
        "Desil tersimpan (3) diketik manual oleh bappeda pada 15/08/2025; desil di berkas (5, data tahun 2025, tanpa "
        "tanggal peringkat) tidak lebih baru; desil tidak diubah",
    )])
    # The same desil: nothing to say.
    same = quarter(tmp_path, "same.xlsx", (KK, 801, 3, "", "Genteng"))
    assert imported(same, "2025", "--partial") == ((3, "manual", TYPED_ON), [])

    # Of a later data year: its desil came after the one typed.
    assert imported(undated, "2026", "--partial") == ((5, "dtsen", None), [(
        2, "Desil",
        "Desil 3 yang diketik manual oleh bappeda pada 15/08/2025 diganti dengan desil di berkas (5, data tahun 2026, "
        "tanpa tanggal peringkat)",
    )])


def test_a_p3ke_file_keeps_the_hand_desil_and_fills_a_cleared_one(reference, bappeda_client, monkeypatch, tmp_path):
    def sync(name, desil, *options):
        """The family's ranking and the file's warnings once a P3KE file gives it ``desil``."""
        rows = [household_row("122000001", 100, **{"Desil Kesejahteraan": desil})]
        path = str(write_xlsx(tmp_path / name, {"KEPALA-KELUARGA": (HH_2023, rows)}))
        code, out, err = run("import_p3ke", path, "--year", "2023", "--json", *options)
        assert code == 0, (out, err)
        found = Household.objects.values_list("desil", "desil_source", "desil_date").get(p3ke_id="122000001")
        return found, warnings_of(out)

    sync("first.xlsx", 1)
    type_desil(bappeda_client, monkeypatch, 3, kk="122000001", on=TYPED_ON)
    assert sync("second.xlsx", 2, "--partial") == ((3, "manual", TYPED_ON), [(
        2, "Desil",
        "Desil tersimpan (3) diketik manual oleh bappeda pada 15/08/2025; desil di berkas (2, data tahun 2023, tanpa "
        "tanggal peringkat) tidak lebih baru; desil tidak diubah",
    )])

    type_desil(bappeda_client, monkeypatch, "", kk="122000001", on=TYPED_ON)
    assert sync("third.xlsx", 4, "--partial") == ((4, "p3ke", None), [(
        2, "Desil",
        "Desil dikosongkan manual oleh bappeda pada 15/08/2025; diisi dengan desil di berkas (4, data tahun 2023, "
        "tanpa tanggal peringkat)",
    )])


def test_a_file_of_an_older_data_year_fills_a_cleared_desil_with_its_ranking(reference, bappeda_client, monkeypatch, tmp_path):
    """A family whose data is of a later year than the file's takes only what it lacks from it: a
    desil cleared by hand is filled with the row's ranking whole, not passed off as the operator's."""
    later = quarter(tmp_path, "2026.xlsx", (KK, 801, 6, "", "Genteng"))
    assert run("import_dtsen", later, "--year", "2026")[0] == 0
    type_desil(bappeda_client, monkeypatch, "", on=TYPED_ON)

    older = quarter(tmp_path, "2025.xlsx", (KK, 801, 5, "Triwulan III 2025", "Asbes/Seng"))
    code, out, err = run("import_dtsen", older, "--year", "2025", "--partial", "--json")
    assert code == 0, (out, err)
    assert ranking() == (5, "dtsen", datetime.date(2025, 7, 1))
    assert Household.objects.get(no_kk=KK).roof_type == "genteng"
    assert warnings_of(out) == [(
        2, "", "Data keluarga ini di registri lebih baru (tahun 2026) dari berkas ini (tahun 2025); tidak diubah; hanya "
        "kolom yang kosong di registri diisi: Desil, Sumber desil, Tanggal desil",
    )]


def _household_history_reads(path, year, *options) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        code, out, err = run("import_dtsen", path, "--year", year, "--json", *options)
    assert code == 0, (out, err)
    return sum(1 for q in queries.captured_queries
               if "SELECT" in q["sql"] and 'FROM "households_historicalhousehold"' in q["sql"])  # PostgreSQL: DECLARE ... SELECT


def test_who_typed_a_desil_is_read_only_for_a_row_with_a_desil(reference, bappeda_client, monkeypatch, tmp_path):
    """A row without a desil leaves the hand desil as it is and says nothing of it: the history of
    who typed it is not read for it, only for a row whose desil is weighed against it."""
    q2 = quarter(tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"))
    assert run("import_dtsen", q2, "--year", "2025")[0] == 0
    type_desil(bappeda_client, monkeypatch, 3, on=TYPED_ON)

    blank = quarter(tmp_path, "blank.xlsx", (KK, 801, "", "", "Asbes/Seng"))
    assert _household_history_reads(blank, "2025", "--partial") == 0
    assert ranking() == (3, "manual", TYPED_ON)
    assert Household.objects.get(no_kk=KK).roof_type == "asbes_seng"

    ranked = quarter(tmp_path, "ranked.xlsx", (KK, 801, 5, "Triwulan III 2025", "Genteng"))
    assert _household_history_reads(ranked, "2025", "--partial") == 1
    assert ranking() == (3, "manual", TYPED_ON)
