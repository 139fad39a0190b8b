"""Imports place families by the loaded regions: one regency (Konawe Utara) or a whole province."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from households.identifiers import parse_nik, region_code_plain
from households.models import Household, ImportBatch, Member

from .conftest import DTKS, HH_2023, head_member_row, household_row, member_row, nik, write_csv, write_xlsx
from .realfiles import SIKS_DTKS, write_xls
from .test_import_bad_input import refused, registry_state, run

pytestmark = pytest.mark.django_db

SULTRA = "17 kabupaten/kota di Provinsi Sulawesi Tenggara"


def konawe_family(p3ke_id: str, serial: int) -> tuple[dict, list[dict]]:
    """A family of Awuliti (Lambuya, Kabupaten Konawe), whose NIKs Konawe issued (7402...)."""
    place = {"Kabupaten/Kota": "KONAWE", "Kecamatan": "LAMBUYA", "Desa/Kelurahan": "AWULITI", "Kode Kemdagri": "7402012006"}
    head_nik = nik(serial, region="740201")
    household = household_row(p3ke_id, serial, **place, **{"NIK Kepala Keluarga": head_nik})
    members = [
        head_member_row(p3ke_id, f"9{p3ke_id}1", serial, **place, **{"NIK": head_nik}),
        member_row(p3ke_id, f"9{p3ke_id}2", 0, **place, **{"NIK": nik(serial + 1, region="740201", birth=datetime.date(2010, 5, 17))}),
    ]
    return household, members


def test_a_family_of_a_second_regency_imports_when_the_province_is_loaded(province, p3ke_file):
    konawe, konawe_members = konawe_family("122999001", 301)
    konut = household_row("122999002", 302)
    members = konawe_members + [head_member_row("122999002", "91229990021", 302)]
    code, out, err = run("import_p3ke", str(p3ke_file(households=[konawe, konut], members=members, name="sultra.xlsx")))
    assert code == 0, (out, err)

    family = Household.objects.select_related("desa__kecamatan__kabupaten").get(p3ke_id="122999001")
    assert (family.desa.name, family.desa.kecamatan.name, family.desa.kecamatan.kabupaten.name) == (
        "Awuliti", "Lambuya", "Kabupaten Konawe",
    )
    assert Member.objects.filter(household=family).count() == 2
    assert Household.objects.get(p3ke_id="122999002").desa.kecamatan.kabupaten.code == "74.09"
    # Konawe's NIKs are at home in the province: no region warning.
    assert not [w for w in ImportBatch.objects.get().warnings if "Kode wilayah NIK" in w["reason"]]


def test_a_nik_from_another_regency_is_a_warning_naming_the_loaded_regency(reference, p3ke_file):
    household = household_row("122999001", 201, **{"NIK Kepala Keluarga": nik(201, region="740201")})
    code, out, err = run("import_p3ke", str(p3ke_file(households=[household], members=[], name="nik7402.xlsx")))
    assert code == 0, (out, err)
    assert [w["reason"] for w in ImportBatch.objects.get().warnings] == [
        "Kode wilayah NIK 7402 di luar wilayah yang dimuat (Kabupaten Konawe Utara)"
    ]
    assert Household.objects.filter(p3ke_id="122999001").exists()


@pytest.mark.parametrize("cell", ["74.09.01.2006", "7409012006", " 74.09.01.2006 ", "7409012006.0"])
def test_region_code_with_or_without_dots(reference, tmp_path, cell):
    household = household_row("122999001", 201, **{"Kode Kemdagri": cell})
    path = write_csv(tmp_path / "codes.csv", HH_2023, [household])
    code, out, err = run("import_p3ke", str(path))
    assert code == 0, (out, err)
    assert Household.objects.get(p3ke_id="122999001").desa.code == "74.09.01.2006"


@pytest.mark.parametrize("cell, message", [
    ("7409019999", "Kode Kemdagri 7409019999 tidak ada di daftar 170 desa/kelurahan yang dimuat (Kabupaten Konawe Utara)"),
    ("74.02.01.2006", "Desa dengan kode 7402012006 berada di luar wilayah yang dimuat (Kabupaten Konawe Utara)"),
])
def test_unknown_or_outside_code_with_one_regency(reference, p3ke_file, cell, message):
    before = registry_state()
    household = household_row("122999001", 201, **{"Kode Kemdagri": cell})
    code, out, err = run("import_p3ke", str(p3ke_file(households=[household], members=[], name="bad.xlsx")))
    refused(code, out, err, before)
    assert message in out


@pytest.mark.parametrize("cell, message", [
    ("7402019999", f"Kode Kemdagri 7402019999 tidak ada di daftar 2.285 desa/kelurahan yang dimuat ({SULTRA})"),
    ("7301012001", f"Desa dengan kode 7301012001 berada di luar wilayah yang dimuat ({SULTRA})"),
])
def test_unknown_or_outside_code_with_the_province(province, p3ke_file, cell, message):
    before = registry_state()
    household = household_row("122999001", 201, **{"Kode Kemdagri": cell})
    code, out, err = run("import_p3ke", str(p3ke_file(households=[household], members=[], name="bad.xlsx")))
    refused(code, out, err, before)
    assert message in out


def test_a_village_name_that_names_two_villages_needs_the_code(province, p3ke_file):
    before = registry_state()
    place = {"Kode Kemdagri": None, "Kabupaten/Kota": "MUNA", "Kecamatan": "Parigi", "Desa/Kelurahan": "Wakumoro"}
    households = [household_row("122999001", 201, **place)]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="wakumoro.xlsx")))
    refused(code, out, err, before)
    assert "Desa 'Wakumoro' di kecamatan 'Parigi' ada lebih dari satu di wilayah yang dimuat; isi Kode Kemdagri" in out

    households = [household_row("122999001", 201, **{**place, "Kode Kemdagri": "7403252012"})]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="wakumoro2.xlsx")))
    assert code == 0, (out, err)
    assert Household.objects.get(p3ke_id="122999001").desa.kind == "desa"


def test_a_village_name_outside_the_loaded_regency(reference, p3ke_file):
    before = registry_state()
    place = {"Kode Kemdagri": None, "Kecamatan": "Lambuya", "Desa/Kelurahan": "Awuliti"}
    code, out, err = run("import_p3ke", str(p3ke_file(households=[household_row("122999001", 201, **place)], members=[], name="n.xlsx")))
    refused(code, out, err, before)
    assert "Desa 'Awuliti' di kecamatan 'Lambuya' tidak ada di wilayah yang dimuat (Kabupaten Konawe Utara)" in out


def test_parse_nik_checks_the_prefix_only_against_the_regions_given():
    konawe = nik(1, region="740201")
    assert parse_nik(konawe, today=datetime.date(2026, 1, 1)).warnings == []
    assert parse_nik(konawe, home_regions=("7402", "7409"), home_label="Sultra").warnings == []
    assert parse_nik(konawe, home_regions=("7409",), home_label="Kabupaten Konawe Utara").warnings == [
        "Kode wilayah NIK 7402 di luar wilayah yang dimuat (Kabupaten Konawe Utara)"
    ]


@pytest.mark.parametrize("raw", ["74.09.01.2006", "7409012006", 7409012006, "7409012006.0", "'7409012006"])
def test_region_code_plain(raw):
    assert region_code_plain(raw) == "7409012006"


def test_a_village_name_that_is_not_the_coded_village_is_warned_on_its_row(reference, p3ke_file):
    """A code copied down from the row above places the family by the code; the name that disagrees
    is named, so the operator can see which of the two is wrong."""
    households = [
        household_row("122999001", 201, **{"Desa/Kelurahan": "WALALINDU"}),
        household_row("122999002", 202, **{"Desa/Kelurahan": "Desa Wanggudu Raya"}),
    ]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="names.xlsx")))
    assert code == 0, (out, err)
    warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get().warnings]
    assert warnings == [(
        2, "Desa/Kelurahan",
        "Nama Desa/Kelurahan 'WALALINDU' bukan nama desa berkode ini (Wanggudu Raya); keluarga ditempatkan di "
        "Wanggudu Raya menurut Kode Kemdagri",
    )]
    assert set(Household.objects.values_list("desa__name", flat=True)) == {"Wanggudu Raya"}


@pytest.fixture
def west_java_regencies(reference, settings):
    """Kabupaten Bogor, Kabupaten Sukabumi and Kota Tasikmalaya (as part of KONUT_WILAYAH=32 loads
    them): Sukaraja / Sukaraja is a village of both regencies, Tamansari / Tamansari of Kabupaten
    Bogor and of Kota Tasikmalaya."""
    settings.KONUT_WILAYAH = "32"
    for code in ("32.01", "32.02", "32.78"):
        call_command("load_reference", wilayah=code, verbosity=0)


def siks_family(serial: int, kabupaten, kecamatan: str, desa: str) -> list:
    """A one-person family in the SIKS-NG layout (no Kode Kemdagri): its place by names only."""
    return [
        f"{serial}", "JAWA BARAT", kabupaten, kecamatan, desa, "KP. SUKAMAJU", f"320104150510{serial:04d}",
        nik(serial, region="320104"), f"KEPALA {serial}", "05/01/1980", "PRIA", "KEPALA KELUARGA", "TIDAK", "TIDAK", "TIDAK", "TIDAK",
    ]


def test_a_village_pair_of_two_regencies_is_placed_by_the_kabupaten_column(west_java_regencies, tmp_path):
    families = [
        siks_family(1, "KABUPATEN BOGOR", "SUKARAJA", "SUKARAJA"),
        siks_family(2, "Kab. Sukabumi", "Kec. Sukaraja", "Desa Sukaraja"),
        siks_family(3, "Bogor", "TAMANSARI", "TAMANSARI"),
        siks_family(4, "KOTA TASIKMALAYA", "Tamansari", "Tamansari"),
        siks_family(5, "KAB BOGOR", "CIBINONG", "PAKANSARI"),
    ]
    path = write_xls(tmp_path / "dtks.xls", {"DTKS": (SIKS_DTKS, families)})
    code, out, err = run("import_dtks", str(path), "--year", "2024")
    assert code == 0, (out, err)
    placed = dict(Household.objects.values_list("head_name", "desa__code"))
    assert placed == {
        "KEPALA 1": "32.01.04.2007", "KEPALA 2": "32.02.33.2004", "KEPALA 3": "32.01.31.2004",
        "KEPALA 4": "32.78.07.1001", "KEPALA 5": "32.01.01.1007",
    }


@pytest.mark.parametrize("kabupaten", [None, "KOTA BOGOR", "JAWA BARAT"])
def test_a_village_pair_of_two_regencies_without_a_kabupaten_naming_one_needs_the_code(west_java_regencies, tmp_path, kabupaten):
    before = registry_state()
    path = write_xls(tmp_path / "dtks.xls", {"DTKS": (SIKS_DTKS, [siks_family(1, kabupaten, "SUKARAJA", "SUKARAJA")])})
    code, out, err = run("import_dtks", str(path), "--year", "2024")
    refused(code, out, err, before)
    assert "Desa 'SUKARAJA' di kecamatan 'SUKARAJA' ada lebih dari satu di wilayah yang dimuat; isi Kode Kemdagri" in out


def test_a_kabupaten_or_kecamatan_that_is_not_the_coded_villages_is_warned_on_its_row(province, p3ke_file):
    """The code places the family; a Kabupaten/Kota or Kecamatan cell naming another place is said,
    on each such row, as a village name that is not the coded village's is."""
    households = [
        # Asaki is in Lambuya, Kabupaten Konawe: the row says Konawe Utara / Asera.
        household_row("122999001", 201, **{"Kode Kemdagri": "7402012007", "Kabupaten/Kota": "KONAWE UTARA", "Kecamatan": "ASERA", "Desa/Kelurahan": "ASAKI"}),
        household_row("122999002", 202, **{"Kode Kemdagri": "7402012007", "Kabupaten/Kota": "KONAWE UTARA", "Kecamatan": "ASERA", "Desa/Kelurahan": "ASAKI"}),
        # The right places, as offices write them: no warning.
        household_row("122999003", 203, **{"Kode Kemdagri": "7402012007", "Kabupaten/Kota": "KAB. KONAWE", "Kecamatan": "Kec. Lambuya", "Desa/Kelurahan": "Asaki"}),
        household_row("122999004", 204, **{"Kabupaten/Kota": "Kabupaten Konawe Utara"}),
        # By names: Asera / Wanggudu Raya is one village, of Konawe Utara, not Konawe Selatan.
        household_row("122999005", 205, **{"Kode Kemdagri": None, "Kabupaten/Kota": "KONAWE SELATAN"}),
    ]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="places.xlsx")))
    assert code == 0, (out, err)
    warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get().warnings if "Kode wilayah NIK" not in w["reason"]]
    kabupaten = ("Kabupaten/Kota 'KONAWE UTARA' bukan kabupaten/kota desa berkode ini (Asaki, Kabupaten Konawe); "
                 "keluarga ditempatkan di Asaki menurut Kode Kemdagri")
    kecamatan = ("Kecamatan 'ASERA' bukan kecamatan desa berkode ini (Asaki, Kecamatan Lambuya); "
                 "keluarga ditempatkan di Asaki menurut Kode Kemdagri")
    assert warnings == [
        (2, "Kabupaten/Kota", kabupaten), (2, "Kecamatan", kecamatan),
        (3, "Kabupaten/Kota", kabupaten), (3, "Kecamatan", kecamatan),
        (6, "Kabupaten/Kota", "Kabupaten/Kota 'KONAWE SELATAN' bukan kabupaten/kota desa ini (Wanggudu Raya, "
                              "Kabupaten Konawe Utara); keluarga ditempatkan di Wanggudu Raya menurut nama Kecamatan dan Desa/Kelurahan"),
    ]
    placed = dict(Household.objects.values_list("p3ke_id", "desa__code"))
    assert placed == {"122999001": "74.02.01.2007", "122999002": "74.02.01.2007", "122999003": "74.02.01.2007",
                      "122999004": "74.09.01.2006", "122999005": "74.09.01.2006"}


def test_a_regency_written_short_as_offices_do_is_its_regency(province, p3ke_file):
    """KAB. KONUT is Konawe Utara (the first letters of each word), KONSEL is Konawe Selatan: only
    the second is another regency's name, and only it is warned about."""
    households = [
        household_row("122999011", 211, **{"Kabupaten/Kota": "KAB. KONUT"}),
        household_row("122999012", 212, **{"Kabupaten/Kota": "Konut"}),
        household_row("122999013", 213, **{"Kabupaten/Kota": "KONSEL"}),
    ]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="short.xlsx")))
    assert code == 0, (out, err)
    warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get().warnings if "Kode wilayah NIK" not in w["reason"]]
    assert warnings == [(4, "Kabupaten/Kota", "Kabupaten/Kota 'KONSEL' bukan kabupaten/kota desa berkode ini (Wanggudu Raya, "
                                              "Kabupaten Konawe Utara); keluarga ditempatkan di Wanggudu Raya menurut Kode Kemdagri")]


# --- a row placed by names whose Kabupaten/Kota names another regency ---------------------------------


def dtks_person(serial: int, kabupaten, *, region: str, kecamatan="ASERA", desa="WANGGUDU RAYA") -> dict:
    """A one-person DTKS family placed by names (no Kode Kemdagri), its No KK and NIK issued in ``region``."""
    return {
        "ID DTKS": f"D{serial}", "Kabupaten/Kota": kabupaten, "Kecamatan": kecamatan, "Desa/Kelurahan": desa,
        "Nomor KK": f"{region}0101200{serial:03d}", "Nomor NIK": nik(serial, region=region), "Nama": f"KEPALA {serial}",
        "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA",
    }


def import_dtks(tmp_path, rows, *args):
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, rows)})
    return run("import_dtks", str(path), "--year", "2024", "--partial", *args)


def refused_row(tmp_path, row: dict, message: str) -> None:
    """The file of ``row`` is refused, nothing written, with ``message`` on its row."""
    before = registry_state()
    code, out, err = import_dtks(tmp_path, [row])
    refused(code, out, err, before)
    assert message in out


def test_a_row_of_a_regency_not_loaded_is_refused_though_its_village_names_match(reference, tmp_path):
    """A family of Kabupaten Konawe (not loaded) whose kecamatan and village names are those of a
    village of Konawe Utara is not placed there: refused as a coded village outside the area is."""
    refused_row(
        tmp_path, dtks_person(1, "KAB. KONAWE", region="740201"),
        "Kabupaten/Kota 'KAB. KONAWE' berada di luar wilayah yang dimuat (Kabupaten Konawe Utara); keluarga tidak "
        "ditempatkan di Wanggudu Raya (Kecamatan Asera, Kabupaten Konawe Utara) yang namanya sama. Bila keluarga ini "
        "tinggal di sana, perbaiki Kabupaten/Kota atau isi Kode Kemdagri",
    )
    # Whatever the codes of its No KK and NIK say: the cell names a regency the registry does not hold.
    refused_row(
        tmp_path, dtks_person(1, "Kabupaten Konawe", region="740901"),
        "Kabupaten/Kota 'Kabupaten Konawe' berada di luar wilayah yang dimuat",
    )

    # With --skip-invalid the others are imported, not this one.
    code, out, err = import_dtks(tmp_path, [dtks_person(1, "KAB. KONAWE", region="740201"), dtks_person(2, "KONAWE UTARA", region="740901")], "--skip-invalid")
    assert code == 0, (out, err)
    assert list(Household.objects.values_list("head_name", flat=True)) == ["KEPALA 2"]


def test_a_family_of_the_loaded_regency_with_a_no_kk_issued_elsewhere_is_imported(reference, tmp_path):
    """People move: the cell names the loaded regency, the No KK and NIK were issued in Konawe."""
    code, out, err = import_dtks(tmp_path, [dtks_person(1, "KAB. KONAWE UTARA", region="740201"), dtks_person(2, None, region="740201")])
    assert code == 0, (out, err)
    assert set(Household.objects.values_list("desa__code", flat=True)) == {"74.09.01.2006"}


def test_a_row_naming_a_loaded_regency_its_codes_agree_with_is_refused(province, tmp_path):
    """Kabupaten Konawe is loaded, but has no Asera / Wanggudu Raya: the row says Konawe and so does
    its No KK; it is not moved to Konawe Utara's village. With codes of Konawe Utara, the cell is
    taken as a slip (warned, placed by its names), as before."""
    refused_row(
        tmp_path, dtks_person(1, "KONAWE", region="740201"),
        "Kabupaten/Kota 'KONAWE' dan kode wilayah No KK/NIK 7402 menunjuk Kabupaten Konawe, yang tidak memiliki desa "
        "'WANGGUDU RAYA' di kecamatan 'ASERA'; keluarga tidak ditempatkan di Wanggudu Raya (Kecamatan Asera, "
        "Kabupaten Konawe Utara). Perbaiki Kabupaten/Kota atau isi Kode Kemdagri",
    )
    code, out, err = import_dtks(tmp_path, [dtks_person(1, "KONAWE", region="740901")])
    assert code == 0, (out, err)
    assert Household.objects.get().desa.code == "74.09.01.2006"
    assert [w["reason"] for w in ImportBatch.objects.latest("pk").warnings] == [
        "Kabupaten/Kota 'KONAWE' bukan kabupaten/kota desa ini (Wanggudu Raya, Kabupaten Konawe Utara); keluarga "
        "ditempatkan di Wanggudu Raya menurut nama Kecamatan dan Desa/Kelurahan"
    ]
