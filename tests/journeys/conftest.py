"""The three end-to-end journeys' world: the people who log in, the P3KE extract Bappeda uploads
(written here with openpyxl, in the 2023 layout), and the registry as it stands after the first
journey, built through the product's own services so that the second and third journeys run on
their own.

The extract (KEPALA-KELUARGA + INDIVIDU), row by row:

| row | ID Keluarga P3KE | head              | desa (kecamatan)        | desil | aid            | note                        |
| 2   | 122300001        | LA ODE SABARA     | Wanggudu Raya (Asera)   | 1     | PKH + SEMBAKO  | conflict: approved          |
| 3   | 122300002        | WA ODE HASNAH     | Wanggudu Raya (Asera)   | 1     | PKH + BPUM     | conflict: BPUM cancelled    |
| 4   | 122300003        | ASRUL LAPOLO      | Padalere (Wiwirano)     | 1     | -              | poverty pocket              |
| 5   | 122300004        | SITTI TOSUKA      | Padalere (Wiwirano)     | 1     | -              | poverty pocket              |
| 6   | 122300005        | RUSLAN MOKOLE     | Padalere (Wiwirano)     | 2     | -              | poverty pocket              |
| 7   | 122300006        | HASAN LAMBULI     | Wanggudu Raya (Asera)   | 3     | -              | decent house, safe water    |
| 8   | 122300007        | YUSUF TAMBURAKA   | Wanggudu Raya (Asera)   | 11    | -              | bad: decile out of range    |
| 9   | 122300008        | NUR LAUMBU        | a village of Konawe     | 1     | -              | bad: outside Konawe Utara   |
| 10  | 122300009        | IRMA SARANANI     | Wanggudu Raya (Asera)   | 2     | -              | bad: NIK typed as a number  |

The desil-1 households (rows 2-5) are distributed to BSPS (Dinas Perumahan dan Permukiman) for
this year.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from agencies.models import Agency, Role
from programs.distribution import households_distribute
from dedup import services as dedup_services
from dedup.models import Conflict
from households.identifiers import make_nik
from households.imports.services import run_file_import
from households.models import Household
from programs.models import Program
from tests.browser import launched_chromium, watch_problems
from tests.factories import UserFactory
from tests.households.conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, write_xlsx

PASSWORD = "rahasia-uji-123"  # UserFactory's password
WANGGUDU_RAYA = {"Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Kode Kemdagri": "7409012006"}
PADALERE = {"Kecamatan": "WIWIRANO", "Desa/Kelurahan": "PADALERE", "Kode Kemdagri": "7409022002"}
KONAWE = {"Kabupaten/Kota": "KONAWE", "Kecamatan": "UNAAHA", "Desa/Kelurahan": "ASAKU", "Kode Kemdagri": "7402012001"}
# A poor village's house: earth floor, bamboo walls, unprotected well, no toilet of its own.
POOR_HOUSE = {
    "Jenis Lantai": "Tanah", "Jenis Dinding": "Bambu", "Sumber Air Minum": "Sumur Tidak Terlindung",
    "Memiliki fasilitas Buang Air Besar": "Lainnya", "Resiko Stunting": "Beresiko Stunting",
}
GOOD_HOUSE = {
    "Jenis Lantai": "Semen", "Kualitas Lantai": "Bagus/Kualitas Tinggi", "Jenis Dinding": "Tembok",
    "Kualitas Dinding": "Bagus/Kualitas Tinggi", "Jenis Atap": "Genteng", "Kualitas Atap": "Bagus/Kualitas Tinggi",
    "Sumber Air Minum": "Ledeng/PAM",
}


# --- the extract ------------------------------------------------------------------------------------


def _nik(serial: int, *, region: str, female: bool = False, birth=datetime.date(1980, 1, 5)) -> str:
    return make_nik(region=region, birth=birth, female=female, serial=serial)


# (id, head, place, desil, aid columns set to "Ya", house, female head)
FAMILIES = [
    ("122300001", "LA ODE SABARA", WANGGUDU_RAYA, 1, ("Penerima PKH", "Penerima SEMBAKO"), POOR_HOUSE, False),
    ("122300002", "WA ODE HASNAH", WANGGUDU_RAYA, 1, ("Penerima PKH", "Penerima BPUM"), {}, True),
    ("122300003", "ASRUL LAPOLO", PADALERE, 1, (), POOR_HOUSE, False),
    ("122300004", "SITTI TOSUKA", PADALERE, 1, (), POOR_HOUSE, True),
    ("122300005", "RUSLAN MOKOLE", PADALERE, 2, (), POOR_HOUSE, False),
    ("122300006", "HASAN LAMBULI", WANGGUDU_RAYA, 3, (), GOOD_HOUSE, False),
    ("122300007", "YUSUF TAMBURAKA", WANGGUDU_RAYA, 11, (), {}, False),
    ("122300008", "NUR LAUMBU", KONAWE, 1, (), {}, False),
    ("122300009", "IRMA SARANANI", WANGGUDU_RAYA, 2, (), {}, True),
]
GOOD = FAMILIES[:6]
DESIL_1 = [f for f in GOOD if f[3] == 1]
POCKET = [f for f in GOOD if f[2] is PADALERE]
DAMAGED_NIK_ROW = 10  # Excel row of IRMA SARANANI, whose NIK went through a number cell


def head_nik(index: int) -> str:
    pid, _name, place, _desil, _aid, _house, female = FAMILIES[index]
    return _nik(300 + index, region=place["Kode Kemdagri"][:6], female=female)


def no_kk(index: int) -> str:
    return f"{FAMILIES[index][2]['Kode Kemdagri'][:6]}0501150{index + 1:03d}"


def build_extract(path):
    """Write the extract; returns the path."""
    households, members = [], []
    for index, (pid, name, place, desil, aid, house, female) in enumerate(FAMILIES):
        region = place["Kode Kemdagri"][:6]
        nik = head_nik(index)
        overrides = {
            **place, **house, "Desil Kesejahteraan": desil, "Nama Kepala Keluarga": name, "NIK Kepala Keluarga": nik,
            "Jenis Kelamin Kepala Keluarga": "Perempuan" if female else "Laki-laki", "No KK": no_kk(index),
            **{column: "Ya" for column in aid},
        }
        if index == DAMAGED_NIK_ROW - 2:
            overrides["NIK Kepala Keluarga"] = float(nik[:15] + "0")  # what Excel does to a number cell
        households.append(household_row(pid, 300 + index, **overrides))
        if index == DAMAGED_NIK_ROW - 2:
            continue
        member_place = {k: v for k, v in place.items() if k != "Kabupaten/Kota"}
        members.append(head_member_row(
            pid, f"9{pid}1", 300 + index, **member_place, **{column: "Ya" for column in aid},
            **{"NIK": nik, "Nama": name, "Desil Kesejahteraan": desil,
               "Jenis Kelamin": "Perempuan" if female else "Laki-laki"},
        ))
        members.append(member_row(
            pid, f"9{pid}2", 0, **member_place,
            **{"NIK": _nik(600 + index, region=region, birth=datetime.date(2019, 5, 17)), "Nama": f"ANAK {name.split()[-1]}",
               "Tanggal Lahir": "2019-05-17", "Desil Kesejahteraan": desil, "Pendidikan": "Tidak/Belum Sekolah",
               "Usia 2023": 4, "Kelompok Usia 2023": "0-6"},
        ))
    # Some extracts carry the family card number; the importer reads it ("No KK").
    headers = HH_2023 + ["No KK"]
    return write_xlsx(path, {"KEPALA-KELUARGA": (headers, households), "INDIVIDU": (IND_2023, members)})


@pytest.fixture
def extract(tmp_path):
    return build_extract(tmp_path / "P3KE Konawe Utara 2023.xlsx")


# --- people -----------------------------------------------------------------------------------------


@pytest.fixture
def people(reference):
    perkim = Agency.objects.get(code="perkim")
    return SimpleNamespace(
        operator=UserFactory(username="rina.bappeda", role=Role.BAPPEDA_OPERATOR, first_name="Rina", last_name="Operator"),
        head=UserFactory(username="kadis.perkim", role=Role.AGENCY_HEAD, agency=perkim, first_name="Kepala", last_name="Disperkim"),
        bupati=UserFactory(username="bupati", role=Role.LEADERSHIP, first_name="Bupati", last_name="Konawe Utara"),
        perkim=perkim,
    )


# --- the registry after journey 1, through the same services the pages call -----------------------


@pytest.fixture
def after_journey_one(people, extract):
    outcome = run_file_import(kind="p3ke", paths=[str(extract)], by=people.operator, skip_invalid=True)
    assert outcome.status == "applied", outcome.message
    conflicts = {c.household.p3ke_id: c for c in Conflict.objects.select_related("household", "enrollment_a__program")}
    approved = conflicts["122300001"]
    dedup_services.conflict_approve(conflict=approved, reason="PKH dan Sembako dirancang untuk digabung.", by=people.operator)
    resolved = conflicts["122300002"]
    pkh = resolved.enrollment_a if resolved.enrollment_a.program.code == "pkh" else resolved.enrollment_b
    dedup_services.conflict_resolve(conflict=resolved, keep=pkh, by=people.operator)
    bsps = Program.objects.get(code="bsps")
    desil_1 = list(Household.objects.filter(desil=1).values_list("pk", flat=True))
    households_distribute(program=bsps, year=timezone.localdate().year, household_ids=desil_1, by=people.operator)
    return SimpleNamespace(bsps=bsps, year=timezone.localdate().year, households={h.p3ke_id: h for h in Household.objects.all()})


# --- the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for the module; each journey gets its own context (fresh cookies)."""
    with launched_chromium() as browser:
        yield browser


class Screen:
    """A page plus what went wrong in it: script errors and content-security-policy refusals."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base = base_url
        self.problems: list[str] = []
        self.refusals: set[str] = set()  # addresses a journey opens to see them refused
        watch_problems(page, self.problems, ignore_urls=self.refusals)

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def goto_refused(self, path: str, status: int):
        """Open an address the user may not see; the browser's own 'failed to load' note is expected."""
        self.refusals.add(self.url(path))
        response = self.page.goto(self.url(path))
        assert response.status == status, (path, response.status)
        return response

    def log_in(self, username: str) -> None:
        page = self.page
        page.goto(self.url("/masuk/"))
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(lambda url: "/masuk/" not in url)

    def messages(self, level: str = "") -> list[str]:
        """The flash messages on the page (portal or admin), optionally of one level."""
        selector = f"ul.messages li{'.' + level if level else ''}, ul.messagelist li{'.' + level if level else ''}"
        return [text.strip() for text in self.page.locator(selector).all_inner_texts()]

    def assert_clean(self) -> None:
        assert self.problems == [], self.problems


@pytest.fixture
def screen(chromium, live_server):
    context = chromium.new_context(accept_downloads=True, locale="id-ID", timezone_id="Asia/Makassar")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Screen(page, live_server.url)
    context.close()
