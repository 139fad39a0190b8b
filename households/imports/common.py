"""What the P3KE and DTKS parsers share: the parsing context, the records, the row reader (the
cell checks are in ``cells``).

Pure Python: the context (villages, choice maps) is built from the database by ``context`` and handed
in, so parsing can be tested and benchmarked without a database.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import itemgetter
from types import MappingProxyType

from konut_registry.numbers import thousands

from .columns import (
    AID_PREFIX, AID_YEAR_MARK, BUILTIN, CENTRAL, COLUMN_LABELS, DTKS, DTSEN, RECIPIENTS, REGION_PARTS, Layouts, Mapped,
    aid_header_year, column_label,
)
from .issues import IssueLog, row_place
from .reader import HEADER_SCAN_ROWS, Table, column_letter, is_blank, is_totals, normalize_header
from .rowhash import KnownRows, SkippedRow
from .values import BUILTIN_YES_NO, ChoiceMap, CodeParts, YesNoMap

# Household and Member fields an import fills: the order is the order of comparison in ``compare``.
HOUSEHOLD_FIELDS = (
    "p3ke_id", "no_kk", "head_name", "head_nik", "address", "dusun", "rt", "rw", "desa_id", "desil",
    "desil_source", "desil_date",
    "persentil", "source_year", "updated_year", "verval_priority", "house_ownership", "roof_type",
    "roof_quality", "wall_type", "wall_quality", "floor_type", "floor_quality", "lighting",
    "electricity_power", "cooking_fuel", "water_source", "toilet", "has_savings", "stunting_risk",
)
MEMBER_FIELDS = (
    "nik", "id_individu", "dtks_id", "name", "sex", "birth_date", "birth_place", "mother_name",
    "relation", "marital_status", "occupation", "work_status", "education", "dukcapil_match",
    "stunting_risk",
)

# Model field -> the column label shown in messages.
FIELD_LABELS = {
    "house_ownership": "Kepemilikan Rumah", "roof_type": "Jenis Atap", "roof_quality": "Kualitas Atap",
    "wall_type": "Jenis Dinding", "wall_quality": "Kualitas Dinding", "floor_type": "Jenis Lantai",
    "floor_quality": "Kualitas Lantai", "lighting": "Sumber Penerangan", "cooking_fuel": "Bahan Bakar Memasak",
    "water_source": "Sumber Air Minum", "toilet": "Fasilitas Buang Air Besar", "stunting_risk": "Resiko Stunting",
    "verval_priority": "Prioritas Verval", "sex": "Jenis Kelamin", "relation": "Hubungan dengan Kepala Keluarga",
    "marital_status": "Status Kawin", "occupation": "Pekerjaan", "education": "Pendidikan",
    "dukcapil_match": "Padan Dukcapil", "has_savings": "Memiliki Simpanan", "kecamatan": "Kecamatan",
    "participant": "Peserta",
}


@dataclass
class Context:
    """What parsing needs from the registry and the operator's choices."""

    desa_by_code: dict[str, int]
    # (kecamatan, desa) names -> village id; None when the pair names more than one village.
    desa_by_names: dict[tuple[str, str], int | None]
    choices: dict[str, ChoiceMap]
    # Village id -> its name, for a row whose village name is not the coded village's.
    desa_names: dict[int, str] = field(default_factory=dict)
    # Village id -> its (kecamatan, kabupaten/kota) names, as the registry holds them.
    desa_places: dict[int, tuple[str, str]] = field(default_factory=dict)
    # (kecamatan, desa) names that name more than one village -> those villages' ids.
    desa_by_names_several: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    # Village id -> its kecamatan's BPS code (``7410050``), where the registry holds one.
    desa_bps: dict[int, str] = field(default_factory=dict)
    today: datetime.date = field(default_factory=datetime.date.today)
    data_year: int | None = None
    # The loaded regencies' 4-digit codes (``7409``) and their name for messages; no prefix, no check.
    region_prefixes: tuple[str, ...] = ()
    region_label: str = ""
    # The loaded regencies' names by their 4-digit codes (``{"7409": "Kabupaten Konawe Utara"}``).
    regency_names: dict[str, str] = field(default_factory=dict)
    # The column layouts (built-in and saved mappings) and, once the registry is read, the aid
    # keys programs list (an aid column with another key is reported as unmapped).
    layouts: Layouts = BUILTIN
    # The cells of the aid columns: Ya/Tidak, ticks, and the values Bappeda mapped.
    aid_values: YesNoMap = BUILTIN_YES_NO
    # What, besides a row's cells, decides what it is stored as (``rowhash.signature``), and the
    # registry's stored row hashes: a row hashed as its stored record was is skipped as unchanged.
    signature: bytes = b""
    known: KnownRows | None = None
    # Reads ``known`` from the registry: called once, by ``read_known``, when the parser needs it
    # (the P3KE parser starts its forked reader first, so that the query runs while the child loads).
    load_known: Callable[[], KnownRows] | None = None
    # Called with the extract once its household records are final, while a forked process still
    # reads the individual sheet (``p3ke_fork``): an import writes its new families meanwhile
    # (``write.HouseholdsAhead``), calling the progress (rows read, or None) now and then.
    households_read: Callable[[Extract, KnownRows | None, Callable[[int], None] | None], None] | None = None

    def read_known(self) -> KnownRows | None:
        """The stored row hashes (``known``), read now if not yet."""
        if self.known is None and self.load_known is not None:
            self.known = self.load_known()
        self.load_known = None
        return self.known


_NAME_TUPLES: dict[tuple, tuple] = {}


def packed_values(values: dict) -> tuple[tuple, tuple]:
    """A record's values as ``_Packed`` keeps them: the shared tuple of their names, the tuple of the values."""
    names = tuple(values)
    return _NAME_TUPLES.setdefault(names, names), tuple(values.values())


class _Packed:
    """A record's values kept compact: the field names (one shared tuple per combination, a handful
    over a whole file) and a tuple of the values, instead of a dict per row. ``values`` gives a
    read-only mapping; ``set`` changes one value."""

    __slots__ = ()

    def _pack(self, values) -> None:
        self._names, self._data = packed_values(values)

    @property
    def values(self) -> MappingProxyType:
        return MappingProxyType(dict(zip(self._names, self._data)))

    @values.setter
    def values(self, values) -> None:
        self._pack(values)

    def get(self, name: str, default=None):
        try:
            return self._data[self._names.index(name)]
        except ValueError:
            return default

    def set(self, name: str, value) -> None:
        values = dict(zip(self._names, self._data))
        values[name] = value
        self._pack(values)


class MemberRecord(_Packed):
    __slots__ = ("household_key", "sheet", "row", "_names", "_data", "raw", "recipients", "pk", "row_hash")

    def __init__(self, household_key: str, sheet: str, row: int, values: dict, raw: dict, recipients) -> None:
        self.household_key, self.sheet, self.row = household_key, sheet, row
        self._pack(values)
        self.raw = raw or NO_RAW
        self.recipients = recipients or NO_RECIPIENTS
        self.pk: int | None = None  # the stored member, once matched or written
        self.row_hash: int | None = None  # its file row's ``rowhash``, stored with the record

    @classmethod
    def packed(cls, household_key: str, sheet: str, row: int, names: tuple, data: tuple, raw: dict, recipients, row_hash) -> MemberRecord:
        """A record from the parts another process sent (``_names`` and ``_data`` as they were)."""
        record = cls.__new__(cls)
        record.household_key, record.sheet, record.row = household_key, sheet, row
        record._names, record._data = _NAME_TUPLES.setdefault(names, names), data
        record.raw, record.recipients, record.pk, record.row_hash = raw, recipients, None, row_hash
        return record


class HouseholdRecord(_Packed):
    __slots__ = ("key", "sheet", "row", "_names", "_data", "raw", "recipients", "head", "row_hash")

    def __init__(
        self, key: str, sheet: str, row: int, values: dict, raw: dict, recipients, head: MemberRecord | None = None
    ) -> None:
        self.key, self.sheet, self.row = key, sheet, row
        self._pack(values)
        self.raw = raw
        self.recipients = recipients
        self.head = head
        self.row_hash: int | None = None

    @classmethod
    def packed(
        cls, key: str, sheet: str, row: int, names: tuple, data: tuple, raw: dict, recipients, row_hash, head=None
    ) -> HouseholdRecord:
        """A record from its parts as they were kept (``spool.HouseholdSpool``)."""
        record = cls.__new__(cls)
        record.key, record.sheet, record.row = key, sheet, row
        record._names, record._data = _NAME_TUPLES.setdefault(names, names), data
        record.raw, record.recipients, record.head, record.row_hash = raw, recipients, head, row_hash
        return record


@dataclass
class TableInfo:
    source: str
    sheet: str
    kind: str
    header_row: int
    headers: list[str]
    rows: int = 0


class HouseholdRecords(dict):
    """An extract's household records by family key, in memory (DTKS, DTSEN); a P3KE extract keeps
    them on disk behind the same methods (``spool.HouseholdSpool``)."""

    def recipients(self) -> Iterator[tuple[str, frozenset]]:
        """``(key, programs)`` of each record whose row claims aid."""
        for key, record in self.items():
            if record.recipients:
                yield key, record.recipients

    def desa_ids(self) -> set:
        """The villages of the records."""
        return {record.get("desa_id") for record in self.values()}

    def place(self, key: str) -> tuple[str, int] | None:
        """``(sheet, row)`` of the record of ``key``, None without one."""
        record = self.get(key)
        return None if record is None else (record.sheet, record.row)

    def partition(self, known) -> tuple[list[HouseholdRecord], list[HouseholdRecord]]:
        """The records whose key is not in ``known`` (to create) and those whose key is, in order."""
        new, matched = [], []
        for key, record in self.items():
            (matched if key in known else new).append(record)
        return new, matched


@dataclass
class Extract:
    """A parsed file (or pair of files): records keyed by natural key, plus every issue found."""

    kind: str  # "p3ke", "dtks" or "dtsen" (also the DataSource and EnrollmentSource value)
    households: HouseholdRecords = field(default_factory=HouseholdRecords)
    # A list (DTKS, DTSEN), or for a P3KE individual sheet a ``spool.RecordSpool`` (records on disk).
    members: list[MemberRecord] = field(default_factory=list)
    has_member_sheet: bool = False
    rejected_households: dict[str, int] = field(default_factory=dict)  # key -> row of the bad household
    # The families of member rows refused for their own errors: the file lists someone there whom no
    # record stands for, so none of their members is taken as left out.
    refused_member_families: set[str] = field(default_factory=set)
    # Rows skipped as unchanged since the last import (``rowhash``): households by key, and members.
    skipped_households: dict[str, SkippedRow] = field(default_factory=dict)
    skipped_members: list[SkippedRow] = field(default_factory=list)
    data_year: int | None = None
    issues: IssueLog = field(default_factory=IssueLog)
    tables: list[TableInfo] = field(default_factory=list)
    total_rows: int = 0
    # The aid keys the file's columns state for its data year (``stated_aid_keys``): an aid of the
    # registry from this source the file has a column for, and no Ya in it, is no longer stated.
    aid_columns: set[str] = field(default_factory=set)

    @property
    def skipped_rows(self) -> int:
        """The file's rows skipped as unchanged: a P3KE household row and individual row each; a
        DTKS/DTSEN row is one person, its family built from its rows is no row of its own."""
        if self.kind in (DTKS, DTSEN):
            return len(self.skipped_members)
        return len(self.skipped_households) + len(self.skipped_members)


def stated_aid_keys(headers: list, column_index: dict[int, str], data_year: int | None) -> set[str]:
    """The aid keys (``pkh``) of a table's aid columns that speak of ``data_year``: those whose
    header names no year or that one (``RowReader`` reads another year's as that year's)."""
    return {
        key[len(AID_PREFIX):] for index, key in column_index.items()
        if key.startswith(AID_PREFIX) and aid_header_year(headers[index]) in (None, data_year)
    }


# The columns that place a row: ``RowReader.place_cells`` gives their cells in this order.
PLACE_KEYS = ("region_code", "desa", "kecamatan", "kabupaten")


class RowReader:
    """Reads one row's cells by canonical key and records the row's issues with column labels."""

    __slots__ = (
        "columns", "headers", "log", "sheet", "formulas", "row", "ok", "raw_cells", "_positions",
        "_labels", "_formula_rows", "_multi_columns", "_aid_cells", "_aid_sets",
        "_choice_columns", "desa_ids", "_formula_columns", "aid_values", "_refused", "place_cells",
    )

    def __init__(
        self, table: Table, columns: dict[int, str], log: IssueLog, aid_values: YesNoMap = BUILTIN_YES_NO,
        data_year: int | None = None,
    ):
        self.columns = columns
        self.headers = table.headers
        self.log = log
        self.sheet = table.name
        self.formulas = table.formula_cells
        self.row = 0
        self.raw_cells: list = []
        self.ok = True
        # A plain key's column (the last one); the aid columns (``penerima:...``) are read by
        # ``read_recipients`` from ``_multi_columns``.
        self._positions = {k: i for i, k in columns.items() if not k.startswith("penerima:")}
        # Each aid key's columns, in order: Penerima PKH and Penerima PKH 2023 (HIMBARA) are both
        # read for one key, a Ya in either counts.
        multi: dict[str, list[int]] = {}
        for index, key in columns.items():
            if key.startswith("penerima:"):
                key = self._aid_year(table, index, key, data_year)
                if key is not None:
                    multi.setdefault(key, []).append(index)
        self._multi_columns = list(multi.items())
        # All the aid cells of a row in one C call, and the programs of each combination of them
        # already read without a warning: a handful of combinations repeat over 100,000 rows.
        aid_indexes = [index for _, indexes in self._multi_columns for index in indexes]
        self._aid_cells = itemgetter(*aid_indexes) if len(aid_indexes) > 1 else None
        self._aid_sets: dict[tuple, frozenset] = {}
        self.aid_values = aid_values  # what an aid cell says (``cells.read_recipients``)
        self._formula_rows = {row for row, _ in self.formulas}
        self._refused = table.refused  # filled while the rows are read: almost always empty
        self._formula_columns: set[str] = set()  # the columns whose formulas' saved values were noted
        self._labels: dict[str, str] = {}
        self._choice_columns: dict[tuple[str, ...], list[tuple]] = {}
        # A Kode Kemdagri cell read without error -> its village (``cells.read_desa``).
        self.desa_ids: dict[object, int] = {}
        # A row's Kode Kemdagri, Desa/Kelurahan, Kecamatan and Kabupaten/Kota cells in one C call
        # (None for a column the table lacks): the key of ``desa_ids``.
        place = [self._positions.get(key) for key in PLACE_KEYS]
        parts = [self._positions.get(key) for key in REGION_PARTS]
        if place[0] is None and None not in parts:
            # The code in its four parts (KD_PROV, KD_KAB, KD_KEC, KD_DESA): ``cells.read_desa`` joins them.
            code_parts = itemgetter(*parts)
            rest = place[1:]
            self.place_cells = lambda cells: (
                CodeParts(code_parts(cells)), *(None if index is None else cells[index] for index in rest),
            )
        elif None in place:
            self.place_cells = lambda cells: tuple(None if index is None else cells[index] for index in place)
        else:
            self.place_cells = itemgetter(*place)
        # The error report reuses the refused rows' cells; a sheet name read twice (two files)
        # is ambiguous, and the report then reads the files again.
        if table.name in log.sheet_headers:
            log.sheet_headers[table.name] = None
        else:
            log.sheet_headers[table.name] = (table.source, table.headers)

    def _aid_year(self, table: Table, index: int, key: str, data_year: int | None) -> str | None:
        """An aid column's key with the year its header names (``penerima:pkh@2022``: that year's
        aid, not the file's), None for a year after the file's data year (warned: not read)."""
        year = aid_header_year(table.headers[index])
        if year is None or data_year is None or year == data_year:
            return key
        if year < data_year:
            return f"{key}{AID_YEAR_MARK}{year}"
        self.log.warning(
            table.name, table.header_row, table.headers[index],
            f"Kolom bantuan ini menyebut tahun {year}, setelah tahun data berkas ({data_year}); isinya tidak dihitung "
            "sebagai bantuan. Bila berkas ini memang data tahun itu, unggah lagi dengan tahun data yang benar; bila "
            "bukan, hapus atau perbaiki judul kolomnya.",
        )
        return None

    def aid_columns(self) -> list[tuple[str, list[str]]]:
        """Each aid key ``cells.read_recipients`` reads (``pkh``, ``sembako@2023``) and the headers of its columns."""
        return [(key[len(AID_PREFIX):], [self.headers[index] for index in indexes]) for key, indexes in self._multi_columns]

    def load(self, row: int, cells: list) -> None:
        self.row, self.ok, self.raw_cells = row, True, cells
        # A text cell is data whatever its first character (``=< 900 WATT``). A real formula cell (an
        # ``<f>`` in the sheet) is read by the value Excel saved with it; one saved without a value
        # (a file written by a program that does not compute) holds nothing to read.
        if row in self._formula_rows:
            self._formula_cells(row, cells)
        if self._refused and row in self._refused:
            self.error("", self._refused[row])

    def _formula_cells(self, row: int, cells: list) -> None:
        for index, key in self.columns.items():
            if (row, index) not in self.formulas:
                continue
            if is_blank(cells[index]):
                self.error(
                    key, "Sel berisi rumus Excel tanpa nilai tersimpan; buka dan simpan berkas di Excel, atau salin "
                    "lalu tempel sebagai nilai (Paste Values)",
                )
            elif key not in self._formula_columns:
                self._formula_columns.add(key)  # once a column: an agency may compute a whole column
                self.warning(key, "Kolom ini berisi rumus Excel; nilai yang tersimpan di berkas dipakai (dicatat sekali, di sel rumus pertama)")

    def label(self, key: str) -> str:
        try:
            return self._labels[key]
        except KeyError:
            pass
        for index, name in self.columns.items():
            if name == key:
                label = column_label(self.headers[index])
                break
        else:
            label = FIELD_LABELS.get(key) or COLUMN_LABELS.get(key, key)
        self._labels[key] = label
        return label

    def get(self, key: str):
        """The row's cell of a plain key; None without its column."""
        index = self._positions.get(key)
        return None if index is None else self.raw_cells[index]

    def has(self, key: str) -> bool:
        """Whether the table has a (plain) column for ``key``."""
        return key in self._positions

    def choice_columns(self, field_names: tuple[str, ...], choices: dict) -> list[tuple]:
        """``(field, column index, the map's cache, the map)`` of the choice fields the table has
        a column for, in the order of ``field_names`` (``cells.read_choices``)."""
        try:
            return self._choice_columns[field_names]
        except KeyError:
            pass
        found = [
            (name, self._positions[name], choices[name].cache, choices[name])
            for name in field_names if name in self._positions
        ]
        self._choice_columns[field_names] = found
        return found

    def error(self, key: str, reason: str) -> None:
        self.ok = False
        self.log.error(self.sheet, self.row, self.label(key) if key else "", reason)
        self.log.keep_cells(self.sheet, self.row, self.raw_cells)

    def warning(self, key: str, reason: str) -> None:
        self.log.warning(self.sheet, self.row, self.label(key) if key else "", reason)


def _same_title(header: str, other: str) -> bool:
    """Whether two headers are one title, case, punctuation and spacing aside."""
    one, two = normalize_header(header), normalize_header(other)
    return one.replace(" ", "") == two.replace(" ", "")


def map_table(table: Table, layout: str, ctx: Context, log: IssueLog) -> Mapped:
    """Place a table's headers in ``layout`` and record what nothing placed: every unknown header is
    listed for mapping, an aid column that names no program also warns (its Ya would be lost), and
    so does a column with data but no header, a column whose field an earlier column gives, an
    expected column the sheet lacks (once the sheet has its required ones), and in central data and
    recipient lists an unknown column whose cells are Ya/Tidak (``yes_no_columns``: KIP = YA beside a
    Rutilahu row is an aid the registry would not read)."""
    mapped = ctx.layouts.map_headers(layout, table.headers)
    for position, earlier in mapped.repeated.items():
        header, first = table.headers[position], table.headers[earlier]
        if _same_title(header, first):
            reason = (
                f"Kolom {column_letter(position)} berjudul sama (atau sepadan) dengan kolom {column_letter(earlier)} "
                f"('{first}'); hanya kolom {column_letter(earlier)} yang dibaca. Hapus atau ganti judul salah satunya, "
                "lalu unggah lagi."
            )
        else:
            # Two titles that one mapping (built-in or saved in the admin) places in the same field.
            field_name = mapped.index[earlier]
            label = FIELD_LABELS.get(field_name) or COLUMN_LABELS.get(field_name, field_name)
            reason = (
                f"Kolom {column_letter(position)} ('{header}') dan kolom {column_letter(earlier)} ('{first}') "
                f"sama-sama dipetakan ke {label}; hanya kolom {column_letter(earlier)} yang dibaca. Bila salah satu "
                "pemetaan keliru, ubah di Admin, Pemetaan kolom impor, lalu unggah lagi."
            )
            log.mapped_twice(table.name, (first, header), layout=layout)
        log.warning(table.name, table.header_row, header, reason)
    if not mapped.missing:
        for name in mapped.absent:
            label = FIELD_LABELS.get(name) or COLUMN_LABELS.get(name, name)
            log.warning(
                table.name, table.header_row, "",
                f"Kolom {label} tidak ditemukan; {label} tidak diisi dari lembar ini. Bila kolom itu ada dengan "
                "judul lain, petakan judulnya di Admin, Pemetaan kolom impor.",
            )
    for position in table.unheaded:
        log.warning(
            table.name, table.header_row, "",
            f"Kolom {column_letter(position)} berisi data tetapi tidak berjudul; isinya tidak dibaca. Beri judul kolom, "
            "lalu unggah lagi.",
        )
    for header, reason in mapped.unmapped.items():
        log.unmapped_column(table.name, header, layout=layout, aid=reason == "aid")
        if reason == "quantity":
            log.warning(
                table.name, table.header_row, header,
                f"Kolom '{header}' di samping kolom satuan dibaca sebagai banyaknya barang, bukan nilai bantuan (Rp); "
                "tidak dibaca. Nilai bantuan dibaca dari kolom NILAI (Rp) atau NOMINAL.",
            )
        if reason == "aid":
            log.warning(
                table.name, table.header_row, header,
                "Kolom bantuan ini tidak terpetakan ke program mana pun; isinya belum dihitung sebagai bantuan. "
                "Petakan kolom ini ke program di Admin, Pemetaan kolom impor.",
            )
    if layout in _YES_NO_NAMED:
        # A sheet read in another process comes with those its reader found (``p3ke_fork.header``).
        found = getattr(table, "yes_no_columns", None)
        for header in yes_no_columns(table, mapped, ctx.aid_values) if found is None else found:
            log.warning(
                table.name, table.header_row, header,
                f"Kolom '{header}' berisi Ya/Tidak: bila ini kolom bantuan, petakan di Admin, Pemetaan kolom impor "
                "(kolom ini tidak dibaca; bantuannya belum dihitung).",
            )
    return mapped


# The layouts whose unknown Ya/Tidak columns are named as likely aid columns: an agency's list says a
# family's other aid as the central data do (``yes_no_columns``).
_YES_NO_NAMED = (*CENTRAL, RECIPIENTS)

# The first rows of a table whose cells tell whether an unknown column holds Ya/Tidak, and the share
# of its filled cells (blanks and Kosong aside) that must be Ya/Tidak words.
YES_NO_SAMPLE_ROWS = 200
YES_NO_SHARE = 0.8


def yes_no_columns(table: Table, mapped: Mapped, aid_values: YesNoMap) -> list[str]:
    """The headers no mapping names (``mapped.unmapped``) whose columns' first rows hold mostly
    Ya/Tidak words, for a warning: an aid column under a header nobody mapped (``KARTU LANSIA``, a
    new program) would otherwise be dropped with the other unknown columns, and a dropped aid hides
    a double aid. Numbers and dates are not Ya/Tidak here (an id's 1, a count's 0). The rows looked
    at are put back in front of the table's rows: the table is read as before."""
    positions = [index for index, header in enumerate(table.headers) if mapped.unmapped.get(header) == "unknown"]
    if not positions:
        return []
    first = list(islice(table.rows, YES_NO_SAMPLE_ROWS))
    table.rows = chain(first, table.rows)
    found = []
    for index in positions:
        said = [_says_yes_no(cells[index], aid_values) for _row, cells in first if index < len(cells)]
        yes_no = said.count(True)
        if yes_no and yes_no >= YES_NO_SHARE * (yes_no + said.count(False)):
            found.append(table.headers[index])
    return found


def _says_yes_no(value: object, aid_values: YesNoMap) -> bool | None:
    """True for a Ya/Tidak word, False for another value, None for a blank (or ``Kosong``, ``-``)."""
    if value is None or isinstance(value, bool):
        return None if value is None else True
    if isinstance(value, (int, float, datetime.date)) or str(value).strip().isdigit():
        return False
    flag, known = aid_values(value)
    if known and flag is None:
        return None
    return known


HIDDEN_SHEET = (
    "Lembar ini tersembunyi di Excel; tidak dibaca (lembar tersembunyi biasanya salinan lama atau daftar "
    "bantu). Jika isinya memang harus diimpor, tampilkan lembar ini (Unhide) lalu unggah lagi"
)


def empty_extract_message(extract: Extract) -> str:
    """Why an extract whose sheets have a header and no row under it is refused: an unfinished or
    wrongly saved file, not a region without families (as a full extract it would mark every family
    'not in the newest data')."""
    where = "; ".join(f"{info.source}, {row_place(info.header_row, info.sheet)}" for info in extract.tables)
    return (
        f"Berkas tidak berisi data: tidak ada baris di bawah baris judul kolom ({where}). Isi data di bawah judul "
        "kolom, atau pastikan lembar yang berisi data tidak tersembunyi, lalu unggah lagi."
    )


def more_than_one_head(family: str, other: str) -> str:
    """The warning of a row recorded as head (Kepala Keluarga) of a family that has another head
    (``other``: where). Both are kept with that relation, as the data gives them; the family's head
    stays the one its data names (DTKS: its first head row; P3KE: its household row), and the
    family's page says which (``FamilyHeads``, ``compare``)."""
    return (
        f"{family} memiliki lebih dari satu kepala keluarga: kepala keluarga lain {other}; keduanya dicatat "
        "dengan hubungan Kepala Keluarga, periksa dan perbaiki hubungan keluarganya"
    )


class FamilyHeads:
    """The first row recorded as head of each family of a table (DTKS, DTSEN, a P3KE individual
    sheet), by family key (a P3KE key as its ``firstrows.slot``: a province's sheet has 700,000
    families): a later head row of the family is warned about (``more_than_one_head``)."""

    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: dict = {}

    def other(self, family, at):
        """Where the family's head was read before the head row ``at``, or None (``at`` is its first)."""
        first = self.first.setdefault(family, at)
        return None if first == at else first


def sheet_without_header(examples: str) -> str:
    """The warning of a sheet not read because no row of its top reads as a header row: a cover or
    recap sheet, or a table whose identity headers nothing recognises (its rows would be lost)."""
    return (
        f"Lembar ini tidak dibaca: baris judul kolom tidak ditemukan di {HEADER_SCAN_ROWS} baris pertama (tidak ada "
        f"kolom identitas yang dikenali, mis. {examples}). Jika lembar ini berisi data, perbaiki judul kolomnya atau "
        "petakan di Admin, Pemetaan kolom impor, lalu unggah lagi"
    )


# The titles a refusal quotes of each sheet whose header row was not found, and how long each may be.
_SEEN_TITLES = 12
_SEEN_TITLE_CHARS = 40
_SEEN_SHEETS = 3


def no_header_row(source, kind: str, layout: str, ids: str, examples: str) -> str:
    """The refusal of a file none of whose sheets has a header row this kind of data is read by: the
    titles of the row of each sheet's top most like a header row (shortened), and where a title the
    registry does not know is mapped, in the layout's name (``layout``, as the mapping screen lists it)."""
    seen = [
        f"{row_place(row, sheet)}: {titles(texts)}"
        for sheet, (row, texts) in list(source.unread_headers.items())[:_SEEN_SHEETS]
    ]
    said = f" Judul kolom yang terbaca: {'; '.join(seen)}." if seen else ""
    return (
        f"{source.display_name}: baris judul kolom {kind} tidak ditemukan: tidak ada kolom {ids} yang dikenali di "
        f"{HEADER_SCAN_ROWS} baris pertama (mis. {examples}).{said} Jika berkas menamai kolom {ids} dengan judul lain, "
        f"petakan judul itu di Admin, Pemetaan kolom impor (jenis tabel {layout}), lalu unggah lagi.{hidden_hint(source)}"
    )


def titles(texts: list[str]) -> str:
    """Headers as a refusal quotes them: each shortened, the first few only."""
    shown = ", ".join(
        f"'{text if len(text) <= _SEEN_TITLE_CHARS else text[: _SEEN_TITLE_CHARS - 1] + '…'}'" for text in texts[:_SEEN_TITLES]
    )
    rest = len(texts) - _SEEN_TITLES
    return f"{shown} dan {rest} judul lain" if rest > 0 else shown


def hidden_hint(source) -> str:
    """What a refusal for want of a data sheet adds when ``source`` has hidden sheets (the data may be there)."""
    hidden = source.hidden_sheets()
    if not hidden:
        return ""
    return f" Lembar tersembunyi tidak dibaca: {', '.join(hidden)}; tampilkan (Unhide) bila datanya di sana."


def note_hidden_sheets(source, log: IssueLog) -> None:
    """Warn, per hidden sheet of ``source``, that it was not read."""
    for name in source.hidden_sheets():
        log.warning(name, 0, "", HIDDEN_SHEET)


def note_table_end(table: Table, log: IssueLog) -> None:
    """Warn of each totals, heading or note row passed over inside a table (in the sheet's order),
    where a table ended at a notes, totals or signature row (rows below it were not read), and of
    the rows read that Excel hides."""
    if table.hidden_read:
        log.warning(table.name, 0, "", hidden_rows_read(table.hidden_read))
    passed = [
        (row, f"Baris {'jumlah' if is_totals(note) else 'kaki halaman cetak'} ('{note}') dilewati; baris data di bawahnya tetap dibaca")
        for row, note in table.skipped
    ]
    passed += [
        (row, f"Baris judul atau catatan ('{text}') dilewati: tidak berisi NIK, No KK, ID keluarga maupun nama, jadi "
              "bukan baris data")
        for row, text in table.headings
    ]
    for row, reason in sorted(passed):
        log.warning(table.name, row, "", reason)
    if table.ended is not None:
        row, note = table.ended
        log.warning(table.name, row, "", f"Tabel berakhir di baris catatan/jumlah/tanda tangan ('{note}'); baris di bawahnya tidak dibaca")


# The pieces (a row, or a run of rows) a warning names at most.
_ROWS_SHOWN = 10


def hidden_rows_read(rows: list[int]) -> str:
    """The warning for the rows Excel hides that were read: the office hid them (or filtered them
    out, e.g. the recipients marked MENINGGAL or PINDAH) and may not have seen them sent."""
    pieces: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if pieces and row == pieces[-1][1] + 1:
            pieces[-1] = (pieces[-1][0], row)
        else:
            pieces.append((row, row))
    shown = ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in pieces[:_ROWS_SHOWN])
    rest = sum(last - first + 1 for first, last in pieces[_ROWS_SHOWN:])
    if rest:
        shown += f" dan {thousands(rest)} baris lain"
    return (
        f"{thousands(len(set(rows)))} baris tersembunyi di Excel (disembunyikan, atau disaring dengan Filter) tetap "
        f"dibaca: baris {shown}. Periksa baris itu (mis. keterangan MENINGGAL atau PINDAH); hapus dari berkas bila "
        "tidak termasuk data"
    )


def shared_recipients(found) -> frozenset:
    """The one shared frozenset of these programs: a handful of combinations repeat over 100,000 rows."""
    if not found:
        return NO_RECIPIENTS
    frozen = frozenset(found)
    return _RECIPIENT_SETS.setdefault(frozen, frozen)


NO_RECIPIENTS: frozenset = frozenset()
_RECIPIENT_SETS: dict[frozenset, frozenset] = {}
# The raw values of a record whose every cell was understood (nearly all): one shared, never
# mutated dict instead of an empty dict per record.
NO_RAW: dict = {}
