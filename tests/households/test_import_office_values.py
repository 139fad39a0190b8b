"""Values as offices type them, in files an office would call valid: dates in words, with two-digit
years or none at all (0000-00-00, as PHP applications write it), ids typed in groups, RT and RW with
their words, village names spelled without the hyphen or the space, desil with its words, and the
headers Dinas Sosial and schools give a recipient list. Each file is built here from those values."""

from __future__ import annotations

import datetime
import json

import pytest

from households.identifiers import make_nik
from households.models import Household, ImportBatch, Member
from programs.models import Enrollment

from ..programs.test_import_recipients import family, run  # noqa: F401 - the registry's two households
from ..programs.test_import_recipients_real import workbook
from .conftest import HH_2023, household_row, nik, write_xlsx
from .realfiles import write_text, write_xls

pytestmark = pytest.mark.django_db

SIKS = ["NOKK", "NIK", "NAMA", "TGL LAHIR", "JENIS KELAMIN", "HUB KELUARGA", "KECAMATAN", "DESA/KELURAHAN", "ALAMAT", "RT", "RW"]


def _kk(serial: int) -> str:
    return f"74090110050800{serial:02d}"


def _grouped(digits: str, separator: str) -> str:
    return separator.join(digits[i : i + 4] for i in range(0, 16, 4))


def test_dates_ids_and_neighbourhoods_as_offices_type_them(reference, tmp_path):
    born = datetime.date(1980, 8, 17)

    def nik(serial, female=False):
        return make_nik(region="740901", birth=born, female=female, serial=serial)

    people = [
        # (No KK, NIK, name, birth date as typed, relation, RT, RW)
        (_kk(81), nik(801), "LA ODE SATU", "17 Agustus 1980", "KEPALA KELUARGA", "RT. 001", "RW. 002"),
        (_kk(81), nik(802, female=True), "WA ODE DUA", "0000-00-00", "ISTRI", "", ""),
        (_grouped(_kk(82), "."), _grouped(nik(803), "."), "LA ODE TIGA", "17-Aug-80", "KEPALA KELUARGA", "001/003", ""),
        (_grouped(_kk(83), "-"), nik(804), "LA ODE EMPAT", "17081980",
         "KEPALA KELUARGA", "RT 04 RW 05", ""),
        (_kk(84), nik(805), "LA ODE LIMA", "1980/08/17", "KEPALA KELUARGA", "7", "8"),
    ]
    rows = [[kk, person, name, born, "LAKI-LAKI" if relation != "ISTRI" else "PEREMPUAN", relation, "ASERA",
             "WANGGUDU RAYA", "DUSUN I", rt, rw] for kk, person, name, born, relation, rt, rw in people]
    path = write_text(tmp_path / "DTKS.txt", SIKS, rows, separator="|")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 4 and summary["members"]["created"] == 5
    assert summary["warnings"] == 0
    assert dict(Member.objects.values_list("name", "birth_date")) == {
        "LA ODE SATU": born, "WA ODE DUA": None, "LA ODE TIGA": born, "LA ODE EMPAT": born, "LA ODE LIMA": born,
    }
    assert Member.objects.get(name="LA ODE TIGA").nik == nik(803)
    places = {kk: (rt, rw) for kk, rt, rw in Household.objects.values_list("no_kk", "rt", "rw")}
    # One form whatever was typed: three digits, as SIKS-NG writes them.
    assert places == {_kk(81): ("001", "002"), _kk(82): ("001", "003"), _kk(83): ("004", "005"), _kk(84): ("007", "008")}


def test_the_same_neighbourhoods_in_an_xls_or_a_text_file_change_nothing(reference, tmp_path):
    # SIKS-NG's text export writes RT 001; the same data saved as .xls holds the number 1, a CSV
    # typed by hand 01 or RT 1, one saved from a sheet of numbers 1.0: the same family each time,
    # no update and no history row.
    born = datetime.date(1980, 8, 17)
    heads = [(_kk(61 + i), make_nik(region="740901", birth=born, female=False, serial=610 + i)) for i in range(3)]

    def rows(*places):
        return [[kk, person, f"KEPALA {kk[-2:]}", "17/08/1980", "LAKI-LAKI", "KEPALA KELUARGA", "ASERA", "WANGGUDU RAYA",
                 "DUSUN I", rt, rw] for (kk, person), (rt, rw) in zip(heads, places)]

    text_rows = rows(("001", "002"), ("010", "003"), ("", "012"))
    code, out, err = run("import_dtks", str(write_text(tmp_path / "DTKS.txt", SIKS, text_rows, separator="|")), "--json")
    assert code == 0, (out, err)
    stored = sorted(Household.objects.values_list("no_kk", "rt", "rw"))
    assert [place for _kk_, *place in stored] == [["001", "002"], ["010", "003"], ["", "012"]]
    history = Household.history.count()

    files = [
        write_xls(tmp_path / "DTKS.xls", {"DTKS": (SIKS, rows((1, 2.0), (10, 3), ("", 12)))}),
        write_text(tmp_path / "DTKS.csv", SIKS, rows(("01", "RW 2"), ("RT. 10", "03"), ("", "0012")), separator=";"),
        write_text(tmp_path / "DTKS2.txt", SIKS, text_rows, separator="|"),
        # A CSV saved from a sheet whose RT and RW were number cells: 1.0, as the .xls's number 1.
        write_text(tmp_path / "DTKS_float.csv", SIKS, rows(("1.0", "2.0"), ("10.0", "3.0"), ("", "12.0")), separator="\t"),
    ]
    for path in files:
        code, out, err = run("import_dtks", str(path), "--json")
        summary = json.loads(out)
        assert code == 0, (out, err)
        assert summary["households"] == {"created": 0, "updated": 0, "unchanged": 3, "absent": 0}, (path.name, summary)
        assert sorted(Household.objects.values_list("no_kk", "rt", "rw")) == stored
        assert Household.history.count() == history


def test_village_names_without_their_hyphen_or_space_place_the_family(reference, tmp_path):
    places = [("LEMBO", "ALO-ALO", "Alo Alo"), ("WIWIRANO", "WACUPINODO", "Wacu Pinodo"),
              ("LASOLO KEP.", "LABENGKI", "Labengki"), ("KEC.ASERA", "Ds. Wanggudu Raya", "Wanggudu Raya")]
    rows = [[_kk(90 + index), nik(900 + index), f"KEPALA {index}", "05/01/1980", "LAKI-LAKI", "KEPALA KELUARGA",
             kecamatan, desa, "DUSUN I", "", ""] for index, (kecamatan, desa, _name) in enumerate(places)]
    path = write_text(tmp_path / "DTKS.txt", SIKS, rows, separator="|")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    placed = dict(Household.objects.values_list("no_kk", "desa__name"))
    assert placed == {_kk(90 + index): name for index, (_k, _d, name) in enumerate(places)}


@pytest.mark.parametrize("desil", [
    "D3", "3 (Miskin)", "3 - Miskin", "Desil 3",
    # as P3KE extracts re-typed by district offices write it
    "Desil-3", "DESIL - 3", "Desil.3", "3. Miskin", "3.Miskin",
])
def test_a_desil_with_its_words_is_its_number(reference, tmp_path, desil):
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100, **{"Desil Kesejahteraan": desil})])})
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    assert Household.objects.get().desil == 3


def test_a_dinsos_list_with_kpm_headers_and_a_nik_that_is_someone_elses(family, tmp_path):  # noqa: F811
    """NIK KPM and NO KK KPM name the recipient; a row whose name or No KK is not its NIK's owner's is
    imported but warned (a mistyped NIK gives the aid to someone else)."""
    household, head, child, other = family
    path = workbook(tmp_path / "kpm.xlsx", {"Sheet1": [
        ["NO", "NIK KPM", "NO KK KPM", "NAMA KPM", "BANSOS", "TAHUN", "NILAI BANSOS"],
        [1, head.nik, household.no_kk, "KEPALA", "PKH", 2024, "Rp 750.000"],
        [2, child.nik, other.no_kk, "NAMA YANG LAIN SAMA SEKALI", "PIP", 2024, "Rp 450.000"],
    ]})
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["unmapped_columns"] == [] and result["enrollments"]["created"] == 2
    assert set(Enrollment.objects.values_list("program__code", "amount")) == {("pkh", 750000), ("pip", 450000)}
    batch_warnings = {w["reason"] for w in ImportBatch.objects.get(pk=result["batch"]).warnings}
    assert any(w.startswith("Nama di berkas 'NAMA YANG LAIN SAMA SEKALI' berbeda") for w in batch_warnings)
    assert any(w.startswith(f"No KK di berkas {other.no_kk} berbeda") for w in batch_warnings)
    assert result["warnings"] == 2


@pytest.mark.parametrize("period, first_day", [("Maret 2025", datetime.date(2025, 3, 1)), ("03/2025", datetime.date(2025, 3, 1)),
                                               ("Triwulan II 2025", datetime.date(2025, 4, 1))])
def test_a_dtsen_desil_dated_by_its_release_period(reference, tmp_path, period, first_day):
    from .test_import_dtsen_mapping import DTSEN, KK, dtsen_rows

    rows = [{**row, "TANGGAL DESIL": period} for row in dtsen_rows(desil=3)]
    path = write_xlsx(tmp_path / "dtsen.xlsx", {"DTSEN": (DTSEN, rows)})
    code, out, err = run("import_dtsen", str(path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["warnings"] == 0, (out, err)
    assert Household.objects.values_list("desil", "desil_date").get(no_kk=KK) == (3, first_day)


def test_short_spellings_of_sex_and_relation(reference, tmp_path):
    rows = [
        [_kk(71), nik(701), "LA ODE SATU", "05/01/1980", "L.", "KK", "ASERA", "WANGGUDU RAYA", "DUSUN I", "", ""],
        [_kk(71), nik(702, female=True), "WA ODE DUA", "05/01/1980", "P.", "ISTERI", "ASERA", "WANGGUDU RAYA", "DUSUN I", "", ""],
    ]
    path = write_text(tmp_path / "DTKS.txt", SIKS, rows, separator="|")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["warnings"] == 0 and summary["unmapped_values"] == []
    assert set(Member.objects.values_list("name", "sex", "relation")) == {
        ("LA ODE SATU", "L", "kepala"), ("WA ODE DUA", "P", "pasangan"),
    }


def test_birth_dates_typed_month_first_are_read_as_the_nik_says(reference, tmp_path):
    """A CSV saved on an English Windows writes dates month first: 1/5/1980 (read day first, 1 May,
    not the NIK's 5 January) and 12/25/1975 (impossible day first). The NIK settles it."""
    first = make_nik(region="740901", birth=datetime.date(1980, 1, 5), female=False, serial=601)
    second = make_nik(region="740901", birth=datetime.date(1975, 12, 25), female=True, serial=602)
    rows = [
        [_kk(61), first, "LA ODE SATU", "1/5/1980", "LAKI-LAKI", "KEPALA KELUARGA", "ASERA", "WANGGUDU RAYA", "DUSUN I", "", ""],
        [_kk(61), second, "WA ODE DUA", "12/25/1975", "PEREMPUAN", "ISTRI", "ASERA", "WANGGUDU RAYA", "DUSUN I", "", ""],
        # Day first and as the NIK says: untouched.
        [_kk(62), nik(603), "LA ODE TIGA", "05/01/1980", "LAKI-LAKI", "KEPALA KELUARGA", "ASERA", "WANGGUDU RAYA", "DUSUN I", "", ""],
    ]
    path = write_text(tmp_path / "DTKS.csv", SIKS, rows, separator=",")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["warnings"] == 2
    assert dict(Member.objects.values_list("name", "birth_date")) == {
        "LA ODE SATU": datetime.date(1980, 1, 5), "WA ODE DUA": datetime.date(1975, 12, 25),
        "LA ODE TIGA": datetime.date(1980, 1, 5),
    }
    reasons = {w["reason"] for w in ImportBatch.objects.get(pk=summary["batch"]).warnings}
    assert "Tanggal lahir '1/5/1980' dibaca sebagai bulan/hari/tahun, sesuai tanggal lahir di NIK" in reasons


def test_a_month_first_birth_date_with_a_time_is_read_as_the_nik_says(reference, tmp_path):
    """Excel on an English Windows may add midnight to a date: 12/25/1975 00:00 is impossible day
    first and, as the NIK encodes 25/12/75, read month first (the time ignored, as day first)."""
    person = make_nik(region="740901", birth=datetime.date(1975, 12, 25), female=True, serial=605)
    rows = [[_kk(63), person, "WA ODE EMPAT", "12/25/1975 00:00", "PEREMPUAN", "KEPALA KELUARGA", "ASERA", "WANGGUDU RAYA",
             "DUSUN I", "", ""]]
    path = write_text(tmp_path / "DTKS.csv", SIKS, rows, separator=",")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["warnings"] == 1
    assert Member.objects.get(nik=person).birth_date == datetime.date(1975, 12, 25)
    reasons = {w["reason"] for w in ImportBatch.objects.get(pk=summary["batch"]).warnings}
    assert "Tanggal lahir '12/25/1975 00:00' dibaca sebagai bulan/hari/tahun, sesuai tanggal lahir di NIK" in reasons


def test_a_p3ke_heads_birth_date_typed_month_first(reference, tmp_path):
    head = make_nik(region="740901", birth=datetime.date(1975, 12, 25), female=False, serial=604)
    row = household_row("122000001", 100, **{"NIK Kepala Keluarga": head, "Tanggal Lahir Kepala Keluarga": "12/25/1975"})
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, [row])})
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["errors"] == 0 and summary["warnings"] == 1, (out, err)
    assert Household.objects.get().head_nik == head
    assert Member.objects.get(nik=head).birth_date == datetime.date(1975, 12, 25)


# The words of Dukcapil's lists (SIAK) as SIKS-NG and village offices write them, with the
# registry's code each is stored as (``households.choices``).
DUKCAPIL_WORDS = [
    ("occupation", "BELUM/TIDAK BEKERJA", "tidak_bekerja"),
    ("occupation", "MENGURUS RUMAH TANGGA", "tidak_bekerja"),
    ("occupation", "PELAJAR/MAHASISWA", "tidak_bekerja"),
    ("occupation", "PENSIUNAN", "pensiunan"),
    ("occupation", "PEGAWAI NEGERI SIPIL", "pns_tni_polri"),
    ("occupation", "TENTARA NASIONAL INDONESIA", "pns_tni_polri"),
    ("occupation", "KEPOLISIAN RI", "pns_tni_polri"),
    ("occupation", "PERDAGANGAN", "pedagang"),
    ("occupation", "PETANI/PEKEBUN", "petani"),
    ("occupation", "PETERNAK", "petani"),
    ("occupation", "BURUH TANI/PERKEBUNAN", "petani"),
    ("occupation", "BURUH PETERNAKAN", "petani"),
    ("occupation", "NELAYAN/PERIKANAN", "nelayan"),
    ("occupation", "BURUH NELAYAN/PERIKANAN", "nelayan"),
    ("occupation", "KARYAWAN SWASTA", "pegawai_swasta"),
    ("occupation", "BURUH HARIAN LEPAS", "pekerja_lepas"),
    ("occupation", "WIRASWASTA", "wiraswasta"),
    ("occupation", "PEDAGANG", "pedagang"),
    ("occupation", "ANGGOTA DPRD KABUPATEN/KOTA", "pejabat_negara"),
    ("occupation", "BUPATI", "pejabat_negara"),
    ("education", "TIDAK/BELUM SEKOLAH", "tidak_sekolah"),
    ("education", "BELUM TAMAT SD/SEDERAJAT", "tidak_tamat_sd"),
    ("education", "TAMAT SD/SEDERAJAT", "tamat_sd"),
    ("education", "SLTP/SEDERAJAT", "tamat_sltp"),
    ("education", "SLTA/SEDERAJAT", "tamat_slta"),
    ("education", "DIPLOMA I/II", "tamat_pt"),
    ("education", "AKADEMI/DIPLOMA III/S. MUDA", "tamat_pt"),
    ("education", "DIPLOMA IV/STRATA I", "tamat_pt"),
    ("education", "STRATA II", "tamat_pt"),
    ("education", "STRATA III", "tamat_pt"),
    ("marital_status", "BELUM KAWIN", "belum_kawin"),
    ("marital_status", "KAWIN", "kawin"),
    ("marital_status", "KAWIN TERCATAT", "kawin"),
    ("marital_status", "KAWIN BELUM TERCATAT", "kawin"),
    ("marital_status", "CERAI HIDUP", "cerai_hidup"),
    ("marital_status", "CERAI TERCATAT", "cerai_hidup"),
    ("marital_status", "CERAI BELUM TERCATAT", "cerai_hidup"),
    ("marital_status", "CERAI MATI", "cerai_mati"),
    ("relation", "SUAMI", "pasangan"),
    ("relation", "ISTRI", "pasangan"),
    ("relation", "ANAK", "anak"),
    ("relation", "MENANTU", "lainnya"),
    ("relation", "CUCU", "lainnya"),
    ("relation", "ORANG TUA", "lainnya"),
    ("relation", "MERTUA", "lainnya"),
    ("relation", "FAMILI LAIN", "lainnya"),
    ("relation", "PEMBANTU", "lainnya"),
    ("relation", "LAINNYA", "lainnya"),
]
SIKS_PERSON = ["NOKK", "NIK", "NAMA", "TGL LAHIR", "JENIS KELAMIN", "HUB KELUARGA", "STATUS KAWIN", "PEKERJAAN",
               "PENDIDIKAN", "KECAMATAN", "DESA/KELURAHAN"]
_WORD_COLUMN = {"relation": "HUB KELUARGA", "marital_status": "STATUS KAWIN", "occupation": "PEKERJAAN", "education": "PENDIDIKAN"}


def test_dukcapil_words_are_known_values(reference, tmp_path):
    """Every SIKS-NG file writes its people's occupation, education, marital status and relation in
    Dukcapil's words: each is stored as its code, none listed as a value to map."""
    rows = []
    for index, (field, word, _code) in enumerate(DUKCAPIL_WORDS):
        kk = f"7409011005{index + 1:06d}"
        person = {"NOKK": kk, "NIK": nik(300 + index), "NAMA": f"ORANG {index}", "TGL LAHIR": "05/01/1980",
                  "JENIS KELAMIN": "LAKI-LAKI", "HUB KELUARGA": "KEPALA KELUARGA", "KECAMATAN": "ASERA",
                  "DESA/KELURAHAN": "WANGGUDU RAYA", _WORD_COLUMN[field]: word}
        if field == "relation":  # in a family with its head
            rows.append({**person, "NIK": nik(700 + index), "NAMA": f"KEPALA {index}", "HUB KELUARGA": "KEPALA KELUARGA"})
        rows.append(person)
    path = write_text(tmp_path / "DTKS.txt", SIKS_PERSON, [[row.get(h, "") for h in SIKS_PERSON] for row in rows], separator="|")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["unmapped_values"] == [], summary["unmapped_values"]
    stored = {name: values for name, *values in Member.objects.values_list("name", "occupation", "education", "marital_status", "relation")}
    fields = ("occupation", "education", "marital_status", "relation")
    found = [(field, word, stored[f"ORANG {index}"][fields.index(field)]) for index, (field, word, _code) in enumerate(DUKCAPIL_WORDS)]
    assert found == [(field, word, code) for field, word, code in DUKCAPIL_WORDS]
