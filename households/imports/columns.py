"""Column maps: the header spellings of P3KE 2022 and 2023 and of DTKS, to canonical keys.

Pure Python. Headers are matched after ``reader.normalize_header`` (lower case, spaces trimmed and
collapsed, no spaces around '/'). ``Penerima ...`` (P3KE) and ``Bansos ...`` (DTKS) columns map to
``penerima:<key>`` where ``<key>`` is what ``Program.p3ke_column`` lists (``pkh``, ``bpnt``, ...);
``Penerima PKH 2023 (HIMBARA)`` and similar variants map to the same key.
"""

from __future__ import annotations

import re

from .reader import normalize_header

HOUSEHOLD = "keluarga"
INDIVIDUAL = "individu"
DTKS = "dtks"

# Keys shared by both P3KE sheets (they repeat the household's place and decile).
_COMMON = {
    "id keluarga p3ke": "p3ke_id",
    "id keluarga": "p3ke_id",
    "id kel p3ke": "p3ke_id",
    "provinsi": "provinsi",
    "kabupaten/kota": "kabupaten",
    "kabupaten": "kabupaten",
    "kecamatan": "kecamatan",
    "nama kecamatan": "kecamatan",
    "desa/kelurahan": "desa",
    "desa": "desa",
    "kelurahan": "desa",
    "nama desa": "desa",
    "kode kemdagri": "region_code",
    "kode kemendagri": "region_code",
    "kode wilayah": "region_code",
    "kode desa": "region_code",
    "desil kesejahteraan": "desil",
    "desil": "desil",
    "alamat": "address",
    "no kk": "no_kk",
    "nomor kk": "no_kk",
    "no. kk": "no_kk",
    "nokk": "no_kk",
}

HOUSEHOLD_COLUMNS = {
    **_COMMON,
    "kepala keluarga": "head_name",
    "nama kepala keluarga": "head_name",
    "nik": "head_nik",
    "nik kepala keluarga": "head_nik",
    "padan dukcapil": "dukcapil_match",
    "nik kepala keluarga padan kemdagri": "dukcapil_match",
    "nik kepala keluarga padan dukcapil": "dukcapil_match",
    "jenis kelamin": "sex",
    "jenis kelamin kepala keluarga": "sex",
    "tanggal lahir": "birth_date",
    "tanggal lahir kepala keluarga": "birth_date",
    "status kawin kepala keluarga": "marital_status",
    "pekerjaan": "occupation",
    "pekerjaan kepala keluarga": "occupation",
    "status pekerjaan kepala keluarga": "work_status",
    "pendidikan": "education",
    "pendidikan kepala keluarga": "education",
    "kepemilikan rumah": "house_ownership",
    "memiliki simpanan uang/perhiasan/ternak/lainnya": "has_savings",
    "jenis atap": "roof_type",
    "kualitas atap": "roof_quality",
    "jenis dinding": "wall_type",
    "kualitas dinding": "wall_quality",
    "jenis lantai": "floor_type",
    "kualitas lantai": "floor_quality",
    "sumber penerangan": "lighting",
    "daya listrik terpasang": "electricity_power",
    "bahan bakar memasak": "cooking_fuel",
    "sumber air minum": "water_source",
    "memiliki fasilitas buang air besar": "toilet",
    "fasilitas buang air besar": "toilet",
    "resiko stunting": "stunting_risk",
    "risiko stunting": "stunting_risk",
    "dimuktakhirkan tahun": "updated_year",
    "dimutakhirkan tahun": "updated_year",
    "persentil": "persentil",
    "prioritas verval": "verval_priority",
}

INDIVIDUAL_COLUMNS = {
    **_COMMON,
    "id individu": "id_individu",
    "nama": "name",
    "nama anggota keluarga": "name",
    "nik": "nik",
    "padan dukcapil": "dukcapil_match",
    "nik padan kemdagri": "dukcapil_match",
    "jenis kelamin": "sex",
    "hubungan dengan kepala keluarga": "relation",
    "hubungan keluarga": "relation",
    "tanggal lahir": "birth_date",
    "status kawin": "marital_status",
    "pekerjaan": "occupation",
    "status pekerjaan": "work_status",
    "pendidikan": "education",
    "resiko stunting": "stunting_risk",
    "risiko stunting": "stunting_risk",
}

DTKS_COLUMNS = {
    "id dtks": "dtks_id",
    "provinsi": "provinsi",
    "kabupaten/kota": "kabupaten",
    "kecamatan": "kecamatan",
    "desa/kelurahan": "desa",
    "desa": "desa",
    "kelurahan": "desa",
    "kode kemdagri": "region_code",
    "kode wilayah": "region_code",
    "kode desa": "region_code",
    "alamat": "address",
    "dusun": "dusun",
    "rt": "rt",
    "rw": "rw",
    "nomor kk": "no_kk",
    "no kk": "no_kk",
    "nokk": "no_kk",
    "nomor nik": "nik",
    "nik": "nik",
    "nama": "name",
    "tanggal lahir": "birth_date",
    "tempat lahir": "birth_place",
    "jenis kelamin": "sex",
    "nama ibu kandung": "mother_name",
    "hubungan keluarga": "relation",
    "hubungan dengan kepala keluarga": "relation",
    "pekerjaan": "occupation",
    "keterangan padan": "dukcapil_match",
    "status kawin": "marital_status",
}

# Required columns, each a tuple of alternatives (one of them must be present).
HOUSEHOLD_REQUIRED = (("p3ke_id",), ("head_name",), ("region_code", "desa"))
INDIVIDUAL_REQUIRED = (("p3ke_id",), ("name",), ("nik", "id_individu"))
DTKS_REQUIRED = (("no_kk",), ("nik",), ("name",), ("region_code", "desa"))

COLUMN_LABELS = {
    "p3ke_id": "ID Keluarga P3KE",
    "head_name": "Kepala Keluarga / Nama Kepala Keluarga",
    "region_code": "Kode Kemdagri",
    "desa": "Desa/Kelurahan",
    "name": "Nama",
    "nik": "NIK",
    "id_individu": "ID Individu",
    "no_kk": "Nomor KK",
}

_RECIPIENT = re.compile(r"^(?:penerima|bansos)\s+(.+)$")
# DTKS spells some aid differently from the Program.p3ke_column keys.
_RECIPIENT_ALIASES = {"pbi jkn": "pbi", "pbi": "pbi", "pbi-jk": "pbi", "bpnt ppkm": "bpnt_ppkm"}


def recipient_key(header: str) -> str | None:
    """``penerima pkh 2023 (himbara)`` -> ``pkh``; ``bansos bpnt`` -> ``bpnt``; None otherwise."""
    if header in _RECIPIENT_ALIASES:
        return _RECIPIENT_ALIASES[header]
    match = _RECIPIENT.match(header)
    if not match:
        return None
    rest = match.group(1)
    if rest in _RECIPIENT_ALIASES:
        return _RECIPIENT_ALIASES[rest]
    return rest.split()[0].strip("()") or None


def column_map(kind: str) -> dict[str, str]:
    return {HOUSEHOLD: HOUSEHOLD_COLUMNS, INDIVIDUAL: INDIVIDUAL_COLUMNS, DTKS: DTKS_COLUMNS}[kind]


def canonical(kind: str, header: object) -> str | None:
    """The canonical key of one header for this sheet kind, or None when the column is unused."""
    text = normalize_header(header)
    if not text:
        return None
    mapping = column_map(kind)
    if text in mapping:
        return mapping[text]
    if text.startswith("memiliki simpanan") and kind == HOUSEHOLD:
        return "has_savings"
    key = recipient_key(text)
    return f"penerima:{key}" if key else None


def is_known(header: str) -> bool:
    """True when a normalised header belongs to any of the layouts (used to find the header row)."""
    return (
        header in HOUSEHOLD_COLUMNS
        or header in INDIVIDUAL_COLUMNS
        or header in DTKS_COLUMNS
        or recipient_key(header) is not None
        or header.startswith("usia ")
    )


def classify(sheet_name: str, headers: list[str]) -> str | None:
    """Which P3KE sheet this is, by its headers first (files get renamed), then by its name."""
    normalized = {normalize_header(h) for h in headers}
    if "id individu" in normalized:
        return INDIVIDUAL
    if normalized & {"kepala keluarga", "nama kepala keluarga", "nik kepala keluarga"}:
        return HOUSEHOLD
    name = normalize_header(sheet_name).replace("-", " ").replace("_", " ")
    if "individu" in name:
        return INDIVIDUAL
    if "keluarga" in name:
        return HOUSEHOLD
    return None


def is_release_2023(headers: list[str]) -> bool:
    normalized = {normalize_header(h) for h in headers}
    return bool(normalized & {"nik kepala keluarga", "dimuktakhirkan tahun", "usia 2023", "kelompok usia 2023", "persentil"})


def map_headers(kind: str, headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index -> canonical key for the headers we use; and the required keys that are missing
    (as labels the operator recognises). The first occurrence of a key wins, except ``penerima:``
    keys, which may repeat (``Penerima PKH`` and ``Penerima PKH 2023 (HIMBARA)``) and are combined."""
    index: dict[int, str] = {}
    seen: set[str] = set()
    for position, header in enumerate(headers):
        key = canonical(kind, header)
        if key is None or (key in seen and not key.startswith("penerima:")):
            continue
        seen.add(key)
        index[position] = key
    required = {HOUSEHOLD: HOUSEHOLD_REQUIRED, INDIVIDUAL: INDIVIDUAL_REQUIRED, DTKS: DTKS_REQUIRED}[kind]
    missing = [
        " atau ".join(COLUMN_LABELS.get(k, k) for k in alternatives)
        for alternatives in required
        if not any(k in seen for k in alternatives)
    ]
    return index, missing
