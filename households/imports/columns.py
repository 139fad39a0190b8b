"""Column layouts: which header of which kind of file is which field, as data.

Pure Python. The built-in layouts (P3KE 2022/2023 household and individual sheets, DTKS, DTSEN,
recipient lists) are the rows of ``fixtures/import_columns.csv``; ``load_reference`` copies them
into the column mappings Bappeda edits in the admin, and the mappings saved there (``context``
reads them) are laid over the built-in rows for every later file. A mapping to the empty field
says "a known column the registry does not use".

Headers are matched after ``reader.normalize_header`` (lower case, punctuation and spacing as one
space), then, for a header of eight characters or more that matches nothing, by a small-typo
match (``DESA/KELUARAHAN`` is ``Desa/Kelurahan``), worked out once per header text.

Aid columns (``Penerima PKH``, ``Penerima PKH 2023 (HIMBARA)``, ``Keluarga Penerima SEMBAKO
(HIMBARA 2023)``, ``Bansos BPNT``, ``PBI JKN``) map to ``penerima:<key>``, ``<key>`` being what
``Program.p3ke_column`` lists (``pkh``, ``sembako``, ``pbi``, ...) or a program's code
(``Penerima BSPS``), or a name the program goes by (``Penerima PBI JK``, ``Penerima BLT DD``); an aid
column that names no program is an *unmapped column*, reported, never read in silence. In the
central-data layouts (P3KE, DTKS, DTSEN) a header that is only such a program name (``PKH``,
``BPNT``, ``SEMBAKO PPKM``: DTKS and DTSEN extracts head their aid columns so) is that program's aid
column too; a header nothing maps stays unknown (``common.yes_no_columns`` names it when its
cells are Ya/Tidak).

A header of two rows, a label merged across several titles (``reader.GroupedHeader``: "Penerima
Bantuan" over "Penerima PKH", "WILAYAH" over "KECAMATAN"), is placed by the label and title joined,
else by the title alone; under a label that names a person (KEPALA KELUARGA, KRT, ISTRI) the title
is that person's column as the layout spells it ("Nama Kepala Keluarga"), never the row's own
person's ("Nama"). What neither places is listed by the whole text. A recipient list names a family
by its head (PKH, BPNT, RTLH): the NIK and No KK under KEPALA KELUARGA (or KRT) are the row's own ids,
matched to the family as any NIK is, unless a column of the recipient's own gives them (a pupil's
NIK beside the head's), which is then read instead, the head's column warned as not read. Lists of
group aid (kelompok tani, KUBE) name a group by its leader (NAMA KETUA | NIK KETUA, NIK PENGURUS,
KETUA KELOMPOK over NAMA | NIK, NIK KETUA POKTAN, KETUA KUBE, NIK KTP KETUA, NAMA KETUA KEL.:
``leader_field``): the leader is the recipient, unless the row gives a member's own NIK and name,
read instead the same way. A group's
name (NAMA KELOMPOK, NAMA under KELOMPOK TANI) is no person's: the registry keeps no group, so it is
listed as a column not read (though a recipient list tells by it a leader of two groups from a
double recipient: ``names_group_name``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from .reader import GroupedHeader, normalize_header

HOUSEHOLD = "keluarga"
INDIVIDUAL = "individu"
DTKS = "dtks"
DTSEN = "dtsen"
RECIPIENTS = "recipients"
LAYOUTS = (HOUSEHOLD, INDIVIDUAL, DTKS, DTSEN, RECIPIENTS)
# The layouts of central data, whose aid columns say Ya/Tidak per family or person (a recipient list
# names its program in a cell: its ``Bansos`` column is the program, not an aid column).
CENTRAL = (HOUSEHOLD, INDIVIDUAL, DTKS, DTSEN)
BUILTIN_COLUMNS = Path(__file__).resolve().parents[2] / "fixtures" / "import_columns.csv"
BUILTIN_VALUES = BUILTIN_COLUMNS.with_name("import_values.csv")
AID_PREFIX = "penerima:"
# The fields that tell one family or person apart: a header row must hold one of them.
IDENTITY_FIELDS = frozenset({"p3ke_id", "id_individu", "nik", "head_nik", "no_kk", "dtks_id"})
# The fields that name a person: a row with one of them and no id is a person whose ids were left
# out (an error to show), never a heading over the rows (``reader._heading``).
PERSON_FIELDS = frozenset({"name", "head_name", "participant"})
# A Kemendagri village code given as its four parts (``KD_PROV``, ``KD_KAB``, ``KD_KEC``, ``KD_DESA``:
# 2, 2, 2 and 4 digits), read as the whole code (``Kode Kemdagri``) when the file has no column of it.
REGION_PARTS = ("region_code_prov", "region_code_kab", "region_code_kec", "region_code_desa")
REGION_PART_WIDTHS = (2, 2, 2, 4)
# The people a label merged over several columns may name (``reader.GroupedHeader``: "KEPALA
# KELUARGA" over NAMA | NIK), each by the words its label holds, which are also the words the layouts
# spell that person's columns with ("Nama Kepala Keluarga", "Nama KRT"): the titles under such a
# label are that person's, never the row's own person's.
PERSON_ROLES = (
    ("kepala keluarga",),
    ("kepala rumah tangga", "krt"),
    ("istri", "suami", "pasangan"),
    # A group's leader or officer (group aid: kelompok tani, KUBE), whom a list of one row per group
    # names as its recipient (NAMA KETUA | NIK KETUA, KETUA KELOMPOK over NAMA | NIK).
    ("ketua", "pengurus"),
)
# The head of the family (``PERSON_ROLES``' first two), and the fields a recipient list names a family by
# whoever's they are: PKH, BPNT and RTLH lists name the family by its head, so the NIK and No KK under
# KEPALA KELUARGA are the row's own, unless a column of the recipient's own gives them (``map_headers``).
HEAD_ROLES = PERSON_ROLES[:2]
# A group's leader or officer, or a caretaker who collects a family's aid (NIK PENGURUS): the person
# named is not always of the recipient family.
LEADER_ROLE = PERSON_ROLES[3]
FAMILY_IDS = {RECIPIENTS: frozenset({"nik", "no_kk"})}
# The fields a column of the row's own person gives before another person's column (the head's NIK,
# a group leader's NIK and name repeated on each member's row): the other person's is read only when
# the row has no column of its own (``map_headers``).
OWN_FIRST = {RECIPIENTS: frozenset({"nik", "no_kk", "name"})}
# Words of a label that names a group (``reader.GroupedHeader``: KELOMPOK TANI over NAMA | DESA): the
# NAMA under it is the group's name, no person's (``_title_fields``); the registry keeps no group.
GROUP_WORDS = frozenset({"kelompok", "poktan", "gapoktan", "kube", "kub", "pokdakan", "poklahsar", "koperasi"})
# A group leader's column however the group is named (NIK KETUA POKTAN, Nama Ketua Kelompok Tani,
# KETUA KUBE): the words that may follow KETUA or PENGURUS (``leader_field``).
_GROUP_NAME_WORDS = GROUP_WORDS | {
    "tani", "nelayan", "pembudidaya", "ikan", "usaha", "bersama", "ternak", "wanita", "hutan", "uep",
    # KELOMPOK as lists shorten it after KETUA (NAMA KETUA KEL., KETUA KLP): no village there.
    "kel", "klp", "kelp", "kelomp",
}
# Words between NIK and KETUA that say which card the NIK is of (NIK KTP KETUA, NIK E-KTP KETUA).
_CARD_WORDS = frozenset({"ktp", "e", "ektp"})
# Words that say a column holds rupiah (NILAI (Rp), NOMINAL): an amount column without any of them
# (JUMLAH) gives way to one with them, and beside a unit column (SATUAN) counts goods (1 Unit hand
# tractor, 50 kg benih), as group aid lists give them: it is no amount (``map_headers``).
_MONEY_WORDS = frozenset({"rp", "rupiah", "nilai", "nominal", "harga", "besaran", "biaya", "dana", "anggaran"})
_UNIT_HEADERS = frozenset({"satuan", "sat"})
# The NIK and the No KK as offices spell them beyond the layouts' own headers (normalised text): the
# official long form (``Nomor Induk Kependudukan``), the card it is printed on (``NIK/No. KTP``), the
# usual abbreviation (``NKK``), a note of its length (``NIK (16 digit)``), the short form repeated in
# brackets (``Nomor Kartu Keluarga (KK)``), and the head named after the No KK, which is the whole
# family's (``No KK Kepala``). Each is read as ``nik`` or ``no kk`` plus what else the header says, then
# placed as that header is (``id_spelling``): ``NIK Ibu``, ``NIK Kepala Keluarga`` keep their own
# meaning (none on a member's row), a lone ``No`` or ``KK`` is left as it is.
_ID_SPELLINGS = (
    (re.compile(r"\b(?:nomor|nomer|no) induk kependudukan\b"), "nik"),
    (re.compile(r"\b(?:nomor|nomer|no) nik\b"), "nik"),
    (re.compile(r"\bnik (?:e )?ktp\b"), "nik"),
    (re.compile(r"\b(?:nomor|nomer|no) (?:e )?ktp\b"), "nik"),
    (re.compile(r"\b(?:nomor|nomer|no) (?:kartu keluarga|kk)\b|\bn ?kk\b|\bnokk\b"), "no kk"),
    (re.compile(r"\b16 (?:digit|angka)\b"), ""),
    (re.compile(r"\b(nik|no kk)(?: \1)+\b"), r"\1"),
    (re.compile(r"\bno kk kk\b"), "no kk"),
    (re.compile(r"\bno kk (?:kepala keluarga|kepala rumah tangga|kepala|krt)\b"), "no kk"),
)
_TYPO_MIN_LENGTH = 8
_TYPO_SCORE = 90
_IDENTITY_CACHE = 10_000

# Required columns per layout, each a tuple of alternatives (one of them must be present).
REQUIRED = {
    HOUSEHOLD: (("p3ke_id",), ("head_name",), ("region_code", "desa")),
    INDIVIDUAL: (("p3ke_id",), ("name",), ("nik", "id_individu")),
    DTKS: (("no_kk",), ("nik",), ("name",), ("region_code", "desa")),
    DTSEN: (("no_kk",), ("nik",), ("name",), ("region_code", "desa")),
    RECIPIENTS: (("nik", "no_kk"),),
}
# Columns a layout's rows are expected to carry, though a file without them is read: each one
# missing is warned (every record of the sheet is then stored without that value).
EXPECTED = {
    HOUSEHOLD: ("desil",),
    INDIVIDUAL: ("sex", "birth_date", "relation"),
    DTKS: ("sex", "birth_date", "relation"),
    DTSEN: ("sex", "birth_date", "relation", "desil"),
    RECIPIENTS: (),
}
COLUMN_LABELS = {
    "p3ke_id": "ID Keluarga P3KE",
    "head_name": "Kepala Keluarga / Nama Kepala Keluarga",
    "region_code": "Kode Kemdagri",
    "desa": "Desa/Kelurahan",
    "name": "Nama",
    "nik": "NIK",
    "id_individu": "ID Individu",
    "no_kk": "Nomor KK",
    "desil": "Desil Kesejahteraan",
    "birth_date": "Tanggal Lahir",
    "region_code_prov": "Kode Provinsi",
    "region_code_kab": "Kode Kabupaten/Kota",
    "region_code_kec": "Kode Kecamatan",
    "region_code_desa": "Kode Desa",
}

# An aid column whose header names a year (``Penerima PKH 2022``) claims the aid for that year: its
# key then reads ``pkh@2022`` (``programs.claims`` reads the year after the mark).
AID_YEAR_MARK = "@"
# Aid years before this are not a claim's year (no national aid list of the registry is older).
FIRST_AID_YEAR = 2015
_HEADER_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_AID = re.compile(r"^(?:keluarga )?(penerima|bansos|pbi)\b ?(.*)$")
_AID_NOISE = frozenset({"himbara", "tahun", "tahap", "bantuan"})
# Words that name the period an aid was paid in, not another aid: ``BPNT PPKM`` (SIKS-NG's ``BANSOS
# BPNT-PPKM``) is the BPNT of the PPKM months, Program Sembako. Left out when another word remains.
_AID_PERIOD = frozenset({"ppkm"})


def aid_key(header: str) -> str | None:
    """``penerima pkh 2023 himbara`` -> ``pkh``; ``keluarga penerima sembako himbara 2023`` ->
    ``sembako``; ``bansos bpnt ppkm`` -> ``bpnt``; ``bansos ppkm`` -> ``ppkm``; ``pbi jkn`` ->
    ``pbi``; None otherwise."""
    match = _AID.match(header)
    if not match:
        return None
    if match.group(1) == "pbi":
        return "pbi"
    words = [w for w in match.group(2).split() if not w.isdigit() and w not in _AID_NOISE]
    words = [w for w in words if w not in _AID_PERIOD] or words
    return "_".join(words) or None


def id_spelling(header: str) -> str:
    """A normalised header with its NIK or No KK written as the layouts write them (``_ID_SPELLINGS``):
    ``nomor induk kependudukan`` -> ``nik``, ``nik no ktp`` -> ``nik``, ``nkk`` -> ``no kk``, ``no kk
    kepala`` -> ``no kk``, ``nomor induk kependudukan ibu`` -> ``nik ibu``; any other header as it is."""
    for pattern, replacement in _ID_SPELLINGS:
        header = pattern.sub(replacement, header)
    return " ".join(header.split())


def aid_header_year(header: object) -> int | None:
    """The year an aid column's header names (``Penerima PKH 2023 (HIMBARA)``: 2023), from
    ``FIRST_AID_YEAR`` on; None without one."""
    found = [int(year) for year in _HEADER_YEAR.findall(str(header or "")) if int(year) >= FIRST_AID_YEAR]
    return found[0] if found else None


def builtin_rows() -> list[tuple[str, str, str]]:
    """``(layout, header, field)`` of the shipped layouts."""
    with open(BUILTIN_COLUMNS, newline="", encoding="utf-8") as handle:
        return [(row["layout"], row["header"], row["field"]) for row in csv.DictReader(handle)]


def builtin_values() -> list[tuple[str, str, str, str]]:
    """``(kind, field, value, code)`` of the shipped value synonyms (kind empty: every kind)."""
    with open(BUILTIN_VALUES, newline="", encoding="utf-8") as handle:
        return [(row["kind"], row["field"], row["value"], row["code"]) for row in csv.DictReader(handle)]


@dataclass
class Mapped:
    """One table's headers placed: column index -> field, the required columns missing (as labels
    the operator knows), the headers nothing placed (``unmapped``: header -> reason, "unknown", "aid"
    for an aid column naming no program, or "quantity" for a recipient list's JUMLAH beside SATUAN, a
    count of goods), the columns whose field an earlier column already gives (``repeated``: column
    index -> that column's index) and the expected fields no column gives (``EXPECTED``)."""

    index: dict[int, str]
    missing: list[str]
    unmapped: dict[str, str] = field(default_factory=dict)
    repeated: dict[int, int] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)


class Layouts:
    """Every layout's header -> field map: the built-in rows with the saved mappings laid over."""

    def __init__(self, rows, *, aid_keys: frozenset[str] | None = None, aid_spellings: dict[str, str] | None = None):
        self.maps: dict[str, dict[str, str]] = {layout: {} for layout in LAYOUTS}
        for layout, header, target in rows:
            if layout in self.maps and normalize_header(header):
                self.maps[layout][normalize_header(header)] = target
        self.aid_keys = aid_keys
        # A program's names with case, punctuation and spacing ignored -> its key (``context.layouts``).
        self.aid_spellings = aid_spellings or {}
        self._any = {h for mapping in self.maps.values() for h in mapping}
        self._identity = {h for m in self.maps.values() for h, f in m.items() if f in IDENTITY_FIELDS}
        self._choices = {layout: list(mapping) for layout, mapping in self.maps.items()}
        # Each header with its spacing left out (``idkeluarga``, ``nikart``), per layout and for any.
        self._compact = {layout: {h.replace(" ", ""): h for h in mapping} for layout, mapping in self.maps.items()}
        self._any_compact = {h.replace(" ", ""): h for h in sorted(self._any)}
        self._all = sorted(self._any)
        self._identity_list = sorted(self._identity)
        self._cache: dict[tuple[str, str, bool], str | None] = {}
        self._identity_cache: dict[str, bool] = {}
        self._role_cache: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}

    @classmethod
    def builtin(cls) -> Layouts:
        return cls(builtin_rows())

    def field(self, layout: str, header: object, *, typos: bool = True) -> str | None:
        """The field of a header's text in this layout (``""`` for a known unused column), or None;
        ``typos=False``: not by a small-typo match (a label and a title joined, "Kepala Keluarga JK",
        is no typo of "Kepala Keluarga")."""
        text = normalize_header(header)
        if not text:
            return ""
        key = (layout, text, typos)
        try:
            return self._cache[key]
        except KeyError:
            pass
        mapping = self.maps[layout]
        found = mapping.get(text)
        if found is None:
            aid = aid_key(text)
            spaced = self._compact[layout].get(text.replace(" ", ""))
            spelled = id_spelling(text)
            if aid is not None:
                found = AID_PREFIX + aid
            elif spaced is not None:
                found = mapping[spaced]
            elif spelled != text and spelled:
                # The NIK or No KK spelled another way (``Nomor Induk Kependudukan``, ``NKK``): placed
                # as the layout's own spelling is, never by a typo of another header.
                found = self.field(layout, spelled, typos=False)
            elif layout in CENTRAL and (program := self.program_aid(text)) is not None:
                found = AID_PREFIX + program
            elif layout == RECIPIENTS and (leader := leader_field(text)) is not None:
                found = leader
            elif typos and len(text) >= _TYPO_MIN_LENGTH:
                best = process.extractOne(text, self._choices[layout], scorer=fuzz.ratio, score_cutoff=_TYPO_SCORE)
                found = mapping[best[0]] if best else None
        self._cache[key] = found
        return found

    def place(self, layout: str, header: str) -> tuple[str | None, str | None]:
        """Where a table's header goes in this layout: ``(field, None)`` (``""``: a known column not
        read), or ``(None, why)``, why being ``"unknown"``, or ``"aid"`` for an aid column that names
        no program. A header of two rows (``reader.GroupedHeader``) goes by its whole text, else by
        its own title (``_title_fields``); when neither places it, it is unplaced by its whole text."""
        if not isinstance(header, GroupedHeader):
            return self._checked(self.field(layout, header))
        whole = self._checked(self.field(layout, header, typos=False))
        if whole[1] is None:
            return whole
        for target in self._title_fields(layout, header):
            placed = self._checked(target)
            if placed[1] is None:
                return placed
        return whole

    def _checked(self, target: str | None) -> tuple[str | None, str | None]:
        """A header's field as ``place`` gives it: an aid column by the key of the program it names."""
        if target is None:
            return None, "unknown"
        if target.startswith(AID_PREFIX) and self.aid_keys is not None and target[len(AID_PREFIX):] not in self.aid_keys:
            key = self.aid_program_key(target[len(AID_PREFIX):])
            return (None, "aid") if key is None else (AID_PREFIX + key, None)
        return target, None

    def _title_fields(self, layout: str, header: GroupedHeader):
        """The fields a header of two rows may have by its own title: the title's, or under a label
        naming a person (``PERSON_ROLES``) that person's, as the layout spells them ("Kepala
        Keluarga" over "Nama": "Nama Kepala Keluarga"), or the title's when the layout gives that
        field whether or not the person is named ("NIK" and "NIK Kepala Keluarga" on a household
        sheet, whose row is the head), or, under the head's label, a field the layout names the
        family by (``FAMILY_IDS``: a recipient list's NIK and No KK). The row's own person's column
        ("Nama" on an individual sheet) is not that person's; under a label naming a group
        (``GROUP_WORDS``: KELOMPOK TANI over NAMA) a title naming no person is no person's column."""
        title, role = normalize_header(header.title), person_role(header.group)
        if role is None or person_role(title) == role:
            target = self.field(layout, title)
            # Under a group's label, a NAMA is the group's; a KETUA still names its leader.
            if role is not None or target not in PERSON_FIELDS or person_role(title) or not _says_any(header.group, GROUP_WORDS):
                yield target
            return
        for words in role:
            yield self.field(layout, f"{title} {words}", typos=False)
        target = self.field(layout, title)
        if target and (
            target in self._role_fields(layout, role) or (role in HEAD_ROLES and target in FAMILY_IDS.get(layout, ()))
        ):
            yield target

    def _role_fields(self, layout: str, role: tuple[str, ...]) -> frozenset[str]:
        """The fields ``layout`` spells both with a person named and without ("NIK Kepala Keluarga"
        and "NIK"), worked out once per layout and person."""
        key = (layout, role)
        if key not in self._role_cache:
            mapping = self.maps[layout]
            self._role_cache[key] = frozenset(
                target for header, target in mapping.items() for words in role
                if target and header.endswith(f" {words}") and mapping.get(header[: -len(words) - 1]) == target
            )
        return self._role_cache[key]

    def aid_program_key(self, key: str) -> str | None:
        """The programs' aid key an aid column's key (``aid_key``) names: itself when a program lists
        it, else the key of the program spelled so (``bpnt_sembako``, ``blt_dd``); None for none, and
        for every key when the programs are not known (``aid_keys`` None)."""
        if self.aid_keys is None:
            return None
        if key in self.aid_keys:
            return key
        # An aid key is words joined by "_": without them, it is spelled as programs are.
        return self.aid_spellings.get(key.replace("_", ""))

    def program_aid(self, header: str) -> str | None:
        """The aid key of a normalised header that is only a program's name, as a ``Penerima ...``
        header would name it (``pkh``, ``sembako ppkm``, ``blt dd``); None otherwise."""
        key = aid_key(f"penerima {header}")
        return None if key is None else self.aid_program_key(key)

    def is_known(self, header: str) -> bool:
        """True for a normalised header of any layout, its spacing aside, or an identity header as
        ``is_identity`` tolerates it (scores a candidate header row)."""
        return (
            header in self._any or aid_key(header) is not None or header.startswith("usia ")
            or header.replace(" ", "") in self._any_compact or self.is_identity(header)
        )

    def is_identity(self, header: str) -> bool:
        """Whether a normalised header names an identity column (ID Keluarga, ID Individu, NIK, No KK,
        ID DTKS) of some layout, as ``field`` would place it: exactly, with its spacing left out
        (``IDKeluarga``, ``ID_KELUARGA``), or with a small typo (``ID Keluaraga P3KE``, ``NIK Kepala
        Kelurga``). A header that is another known column, or nearer to one, is not. Without it a
        sheet's header row is not found, and the whole sheet is not read."""
        if isinstance(header, GroupedHeader):
            return any(self.place(layout, header)[0] in IDENTITY_FIELDS for layout in LAYOUTS)
        if header in self._identity or leader_field(header) == "nik":
            return True
        if not header or header in self._any:
            return False
        try:
            return self._identity_cache[header]
        except KeyError:
            pass
        spaced = self._any_compact.get(header.replace(" ", ""))
        spelled = id_spelling(header)
        if spaced is not None:
            found = spaced in self._identity
        elif spelled != header:  # the NIK or No KK spelled another way (``field``)
            found = bool(spelled) and self.is_identity(spelled)
        elif len(header) < _TYPO_MIN_LENGTH or not process.extractOne(header, self._identity_list, scorer=fuzz.ratio, score_cutoff=_TYPO_SCORE):
            found = False  # most cells of the rows scanned for a header: no identity header is near
        else:
            found = process.extractOne(header, self._all, scorer=fuzz.ratio, score_cutoff=_TYPO_SCORE)[0] in self._identity
        if len(self._identity_cache) >= _IDENTITY_CACHE:  # the cells of many files' first rows: bounded
            self._identity_cache.clear()
        self._identity_cache[header] = found
        return found

    def is_person(self, header: str) -> bool:
        """Whether a normalised header names a person (``PERSON_FIELDS``) in some layout, as ``field``
        places it (asked once a header of a table's header row; ``field`` keeps its answers)."""
        return any(self.place(layout, header)[0] in PERSON_FIELDS for layout in LAYOUTS)

    def table(self, source, sheet_name: str | None, formulas=None):
        """``source``'s sheet (a ``reader.Source``) with its header row found by these layouts
        (``formulas``: as ``Source.table`` takes them)."""
        return source.table(
            sheet_name, is_known_header=self.is_known, is_identity_header=self.is_identity, formulas=formulas,
            is_name_header=self.is_person,
        )

    def map_headers(self, layout: str, headers: list[str]) -> Mapped:
        """Place a table's headers. The first occurrence of a field wins (a later column giving it
        is ``repeated``), except aid fields, which may repeat (``Penerima PKH`` and ``Penerima PKH
        2023 (HIMBARA)``) and are combined."""
        index: dict[int, str] = {}
        unmapped: dict[str, str] = {}
        first: dict[str, int] = {}
        repeated: dict[int, int] = {}
        units = layout == RECIPIENTS and any(normalize_header(header) in _UNIT_HEADERS for header in headers)
        for position, header in enumerate(headers):
            target, why = self.place(layout, header)
            if target == "amount" and units and not _says_any(header, _MONEY_WORDS):
                target, why = None, "quantity"  # JUMLAH beside SATUAN: a count of goods
            if why is not None:
                unmapped[header] = why
                continue
            if not target:
                continue
            if target in first and not target.startswith(AID_PREFIX):
                earlier_header = headers[first[target]]
                if (
                    target in OWN_FIRST.get(layout, ()) and _names_person(earlier_header) and not _names_person(header)
                ) or (target == "amount" and _says_any(header, _MONEY_WORDS) and not _says_any(earlier_header, _MONEY_WORDS)):
                    # The head's NIK names the family only when the row has no NIK of its own (a
                    # pupil's after the head's), a group leader's NIK and name the recipient only
                    # when the row has no member's (NIK, NAMA ANGGOTA): the row's own is read; and
                    # a JUMLAH is the aid's value only without a column that says rupiah.
                    earlier = first[target]
                    repeated[earlier] = position
                    del index[earlier]
                    first[target], index[position] = position, target
                    continue
                repeated[position] = first[target]
                continue
            first.setdefault(target, position)
            index[position] = target
        parts = [name for name in REGION_PARTS if name in first]
        if "region_code" in first and "region_code_desa" not in first and len(parts) == 3:
            # ``Kode Desa`` beside the other three parts is the village's part (``KODE_DESA`` 2006).
            position = first.pop("region_code")
            index[position] = "region_code_desa"
            first["region_code_desa"] = position
            parts.append("region_code_desa")
        given = set(first)
        if len(parts) == len(REGION_PARTS):
            given.add("region_code")
        missing = []
        for alternatives in REQUIRED[layout]:
            if any(k in given for k in alternatives):
                continue
            label = " atau ".join(COLUMN_LABELS.get(k, k) for k in alternatives)
            if parts and "region_code" in alternatives:
                lacking = ", ".join(COLUMN_LABELS[name] for name in REGION_PARTS if name not in first)
                label += f" (Kode Kemdagri per bagian tidak lengkap; tidak ada: {lacking})"
            missing.append(label)
        absent = [name for name in EXPECTED[layout] if name not in first]
        return Mapped(index, missing, unmapped, repeated, absent)


BUILTIN = Layouts.builtin()


def is_known(header: str) -> bool:
    return BUILTIN.is_known(header)


_INDIVIDUAL_HEADERS = ("id individu",)
_HOUSEHOLD_HEADERS = ("kepala keluarga", "nama kepala keluarga", "nik kepala keluarga")


def _has_header(normalized: set[str], names: tuple[str, ...]) -> bool:
    """Whether one of ``normalized`` is one of ``names``, its spacing aside or with a small typo."""
    compact = {name.replace(" ", "") for name in names}
    return any(
        h in names or h.replace(" ", "") in compact
        or (len(h) >= _TYPO_MIN_LENGTH and process.extractOne(h, names, scorer=fuzz.ratio, score_cutoff=_TYPO_SCORE))
        for h in normalized
    )


def person_role(text: str) -> tuple[str, ...] | None:
    """The person (``PERSON_ROLES``) a header's text names ("Kepala Keluarga", "DATA ISTRI"), or None."""
    padded = f" {normalize_header(text)} "
    return next((role for role in PERSON_ROLES if any(f" {words} " in padded for words in role)), None)


def leader_field(header: str) -> str | None:
    """``nik`` for a normalised header of a group leader's NIK (``nik ketua poktan``, ``nik ktp
    ketua``), ``name`` for one of the leader's name (``nama ketua kube``, ``ketua kelompok tani``,
    ``nama ketua kel``), else None."""
    words = header.split()
    kind = words[0] if words and words[0] in ("nik", "nama") else None
    rest = words[1:] if kind else words
    if kind == "nik":
        while rest and rest[0] in _CARD_WORDS:
            rest = rest[1:]
    if not rest or rest[0] not in ("ketua", "pengurus") or not set(rest[1:]) <= _GROUP_NAME_WORDS:
        return None  # "ketua kelompok nik": KETUA KELOMPOK over NIK, placed by its title
    return "nik" if kind == "nik" else "name"


def _says_any(text: str, words: frozenset[str]) -> bool:
    """Whether a header's text holds one of ``words``: ``_MONEY_WORDS`` for a column of rupiah
    ("NILAI (Rp)", "NOMINAL"), ``GROUP_WORDS`` for one naming a group ("KELOMPOK TANI", "NAMA KUBE")."""
    return bool(set(normalize_header(text).split()) & words)


def names_group_name(header: str) -> bool:
    """Whether a header is a group's name (NAMA KELOMPOK, NAMA POKTAN, KELOMPOK TANI over NAMA):
    words of a group and of its kind only, no person's nor place's (KETUA KELOMPOK, KELOMPOK TANI
    over DESA are not)."""
    words = set(normalize_header(header).split())
    return bool(words & GROUP_WORDS) and words <= _GROUP_NAME_WORDS | {"nama"}


def _names_person(header: str) -> bool:
    """Whether a header is another person's column: under a person's label, or naming one."""
    return person_role(header.group if isinstance(header, GroupedHeader) else header) is not None


def column_label(header: str) -> str:
    """How a row's message names a table's column: a header of two rows by its own title when its
    label only groups the titles under it (WILAYAH over KEC. | DESA/KEL.), by the whole text when
    the label names a person (KEPALA KELUARGA NIK is not the row's own NIK)."""
    if isinstance(header, GroupedHeader) and person_role(header.group) is None:
        return header.title
    return header


def _texts(header: str) -> tuple[str, ...]:
    """A header's text, and a header of two rows' label and title besides ("KEPALA KELUARGA" over
    "NAMA" says a household sheet)."""
    return (header, header.group, header.title) if isinstance(header, GroupedHeader) else (header,)


def classify(sheet_name: str, headers: list[str]) -> str | None:
    """Which P3KE sheet this is, by its headers first (files get renamed), then by its name."""
    normalized = {normalize_header(text) for h in headers for text in _texts(h)} - {""}
    if _has_header(normalized, _INDIVIDUAL_HEADERS):
        return INDIVIDUAL
    if _has_header(normalized, _HOUSEHOLD_HEADERS):
        return HOUSEHOLD
    name = normalize_header(sheet_name)
    if "individu" in name:
        return INDIVIDUAL
    if "keluarga" in name:
        return HOUSEHOLD
    return None


def release_year(headers: list[str]) -> int:
    """The data year of a P3KE sheet by its release (2023's headers, else 2022)."""
    return 2023 if is_release_2023(headers) else 2022


def is_release_2023(headers: list[str]) -> bool:
    normalized = {normalize_header(h) for h in headers}
    return bool(normalized & {"nik kepala keluarga", "dimuktakhirkan tahun", "usia 2023", "kelompok usia 2023", "persentil"})
