"""The cell checks the P3KE, DTKS and recipient parsers share: NIK, No KK, village, choices and the
aid a row claims, each read from a row (``common.RowReader``) with its problems logged there.

Pure Python, like ``common``.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable

from households.identifiers import (
    IdentifierError,
    clean_digits,
    is_ascii_digits,
    is_plain_nik,
    is_scientific_id,
    neighbourhood_number,
    nik_mismatch_warnings,
    parse_kk,
    parse_nik,
    region_code_plain,
)
from households.wilayah import all_regencies
from konut_registry.numbers import thousands

from .columns import AID_PREFIX, REGION_PART_WIDTHS, REGION_PARTS
from .common import NO_RECIPIENTS, Context, RowReader, shared_recipients
from .reader import is_blank
from .values import (
    AID_VALUE_FIELD, DAY_MONTH_YEAR, CodeParts, excel_text, float_id, id_text, join_code_parts, norm, text,
)


def read_nik(
    reader: RowReader, key: str, ctx: Context, *, required: bool, empty_reason: str = "NIK kosong",
    on_error: Callable[[str, str], None] | None = None,
):
    """A NIK cell: the NikInfo, or None (blank, or an error recorded on the row, or handed to
    ``on_error(key, reason)`` by a caller that decides later what it is)."""
    value = reader.get(key)
    if is_plain_nik(value):
        # Nearly every cell: straight to the checks of the NIK.
        return _nik_info(reader, key, value, False, ctx, on_error)
    value = float_id(excel_text(value))
    if is_blank(value):
        if required:
            reader.error(key, empty_reason)
        else:
            reader.warning(key, empty_reason)
        return None
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if numeric and isinstance(value, float) and value.is_integer() and value < 1e16 and int(value) % 10:
        # 16 digits ending in non-zero cannot have gone through Excel's 15 digits: intact, but fragile.
        value = str(int(value))
        reader.warning(key, "NIK tersimpan sebagai angka, bukan teks; simpan kolom NIK sebagai teks agar tidak rusak")
        numeric = True
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _nik_info(reader, key, value, numeric, ctx, on_error)


def _nik_info(reader: RowReader, key: str, value, numeric: bool, ctx: Context, on_error=None):
    try:
        info = parse_nik(
            value, numeric_cell=numeric, today=ctx.today, home_regions=ctx.region_prefixes, home_label=ctx.region_label
        )
    except IdentifierError as exc:
        (on_error or reader.error)(key, str(exc))
        return None
    for warning in info.warnings:
        reader.warning(key, warning)
    return info


def read_id(reader: RowReader, key: str, label: str, max_length: int) -> str | None:
    """An ID cell (ID Keluarga P3KE, ID Individu, ID DTKS) as text (``values.id_text``: ``'122240001``
    is ``122240001``), ``""`` when blank; None, with an error on the row, when Excel's scientific
    notation destroyed it (``1.22237E+08``)."""
    value = id_text(reader.get(key), max_length)
    if value.isdigit() or not is_scientific_id(value):  # nearly every cell: plain digits
        return value
    reader.error(key, f"{label} rusak oleh Excel (tertulis {value}: format ilmiah, digit hilang); ketik ulang sebagai teks")
    return None


def read_kk(reader: RowReader, key: str, *, on_error: Callable[[str, str], None] | None = None) -> str:
    """A No KK cell as 16 digits, ``""`` when it is not one: the problem is an error on the row, or
    handed to ``on_error(key, reason)`` by a caller that decides later what it is."""
    value = float_id(excel_text(reader.get(key)))
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if numeric and isinstance(value, float) and value.is_integer() and value < 1e16 and int(value) % 10:
        value = str(int(value))
        reader.warning(key, "No KK tersimpan sebagai angka, bukan teks; simpan kolom sebagai teks agar tidak rusak")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    try:
        return parse_kk(value, numeric_cell=numeric)
    except IdentifierError as exc:
        (on_error or reader.error)(key, str(exc))
        return ""


def skipped_nik(cell, stored_nik: str) -> str:
    """The NIK of a row skipped as unchanged, for the duplicate checks of the rows after it: the
    stored one when the cell holds it, else the cell as ``read_nik`` stores a valid one, without
    checking it (its NIK was valid, or blank, when its record was stored)."""
    if stored_nik and cell == stored_nik:
        return stored_nik
    value = float_id(excel_text(cell))
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_digits(value)


def read_desa(reader: RowReader, ctx: Context) -> int | None:
    """The village: by Kode Kemdagri, or by (kecamatan, desa) names when the code is missing. A
    code cell found once, with the row's village, kecamatan and kabupaten names, is looked up in the
    reader's memory of them (a few hundred villages over a whole sheet); one that gives an error is
    checked again each time. A village, kecamatan or kabupaten name that is not the coded village's
    is warned on every such row: the code places the family, and a code copied from the row above
    would otherwise move it without a word."""
    key = reader.place_cells(reader.raw_cells)
    code_cell = key[0]
    try:
        desa_id, notes = reader.desa_ids[key]
    except (KeyError, TypeError):
        if code_cell.__class__ is CodeParts:
            code_cell = _code_from_parts(reader, ctx, code_cell)
            if code_cell is None:
                return None
        if is_blank(code_cell):
            return _desa_by_names(reader, ctx)
        desa_id, notes = _desa_by_code(reader, ctx, code_cell)
        if desa_id is None:
            return None
        notes += _other_place_names(key, desa_id, ctx)
        reader.desa_ids[key] = (desa_id, notes)
    for column, note in notes:
        reader.warning(column, note)
    return desa_id


def _example_code(ctx: Context) -> str:
    """A village code of the loaded area, as an example in a message about a code."""
    return ((ctx.region_prefixes[0] if ctx.region_prefixes else "7409") + "01")[:4] + "012006"


def _code_from_parts(reader: RowReader, ctx: Context, parts: CodeParts) -> str | None:
    """The Kode Kemdagri of a row's code parts (``columns.REGION_PARTS``), "" when all are blank;
    None, with the part's error, when one is not a Kemendagri part (BPS numbers its kecamatan and
    villages otherwise: such a file is placed by its names)."""
    code, bad = join_code_parts(parts, REGION_PART_WIDTHS)
    if bad is None:
        return code
    key = REGION_PARTS[bad]
    shape = " + ".join(f"{reader.label(name)} {width} angka" for name, width in zip(REGION_PARTS, REGION_PART_WIDTHS))
    cell = parts[bad]
    what = f"{reader.label(key)} kosong" if is_blank(cell) else f"{reader.label(key)} '{text(cell)}' bukan bagian Kode Kemdagri"
    example = _example_code(ctx)
    example = " ".join(example[start:end] for start, end in ((0, 2), (2, 4), (4, 6), (6, 10)))
    reader.error(
        key,
        f"{what} (Kode Kemdagri = {shape}, mis. {example}). Bila kode berkas ini kode BPS, petakan kolom nama "
        "Kecamatan dan Desa/Kelurahan, dan kolom kode sebagai tidak dipakai, di Admin, Pemetaan kolom impor",
    )
    return None


def _other_place_names(key: tuple, desa_id: int, ctx: Context) -> tuple[tuple[str, str], ...]:
    """``(column, warning)`` for each of a row's village, kecamatan and kabupaten names that is not
    the coded village's; none when they are, or are blank."""
    _code, desa_cell, kecamatan_cell, kabupaten_cell = key
    notes = []
    if other_name := _other_village_name(desa_cell, desa_id, ctx):
        notes.append(("desa", other_name))
    coded = ctx.desa_names.get(desa_id)
    kecamatan = ctx.desa_places.get(desa_id, ("", ""))[0]
    placed = f"keluarga ditempatkan di {coded} menurut Kode Kemdagri"
    if other_regency := _other_regency(kabupaten_cell, desa_id, ctx, "desa berkode ini", "Kode Kemdagri"):
        notes.append(("kabupaten", other_regency))
    if kecamatan and not is_blank(kecamatan_cell) and place_name(kecamatan_cell) != place_name(kecamatan):
        notes.append(("kecamatan", f"Kecamatan '{text(kecamatan_cell)}' bukan kecamatan desa berkode ini ({coded}, Kecamatan {kecamatan}); {placed}"))
    return tuple(notes)


def _other_regency(cell, desa_id: int, ctx: Context, village: str, by: str) -> str:
    """The warning for a Kabupaten/Kota cell that does not name the regency of the village the row
    is placed in (``village``: how the warning calls it, ``by``: what placed the row); "" when it
    does, or is blank."""
    kabupaten = ctx.desa_places.get(desa_id, ("", ""))[1]
    if not kabupaten or is_blank(cell) or same_regency(text(cell), kabupaten):
        return ""
    coded = ctx.desa_names.get(desa_id)
    return f"Kabupaten/Kota '{text(cell)}' bukan kabupaten/kota {village} ({coded}, {kabupaten}); keluarga ditempatkan di {coded} menurut {by}"


def _other_village_name(name_cell, desa_id: int, ctx: Context) -> str:
    """The warning for a village name that is not the coded village's; "" when it is, or is blank."""
    coded = ctx.desa_names.get(desa_id)
    if is_blank(name_cell) or coded is None or place_name(name_cell) == place_name(coded):
        return ""
    return f"Nama Desa/Kelurahan '{text(name_cell)}' bukan nama desa berkode ini ({coded}); keluarga ditempatkan di {coded} menurut Kode Kemdagri"


def _desa_by_code(reader: RowReader, ctx: Context, code_cell) -> tuple[int | None, tuple[tuple[str, str], ...]]:
    """The village of a whole code, with the ``(column, warning)`` notes of its row; None, with the
    error on the row, when the code places none."""
    if isinstance(code_cell, float) and code_cell.is_integer():
        code_cell = int(code_cell)
    code = region_code_plain(code_cell)
    if len(code) != 10 or not is_ascii_digits(code):
        example = _example_code(ctx)
        hint = ""
        if 0 < len(code) <= REGION_PART_WIDTHS[-1] and is_ascii_digits(code):
            # A village's own number (KD_DESA 1005) mapped as the whole code.
            hint = (
                "; kolom ini tampaknya hanya bagian desa/kelurahan dari kode: petakan kolomnya ke 'Kode Kemdagri: bagian "
                "desa/kelurahan', dan kolom kode provinsi, kabupaten dan kecamatan ke bagiannya, di Admin, Pemetaan kolom impor"
            )
        reader.error("region_code", f"Kode Kemdagri '{text(code_cell)}' tidak sah (harus 10 angka 0-9, mis. {example}){hint}")
        return None, ()
    if ctx.region_prefixes and not code.startswith(ctx.region_prefixes):
        outside = f"di luar wilayah yang dimuat ({ctx.region_label})"
        # BPS numbers regions otherwise (Konawe Utara is 7410 there, Kemendagri's Buton Utara): a
        # code of the area's province whose row's names are a village of the area is BPS's, unless
        # that village's kecamatan has a BPS code the code does not start with.
        bps = any(code[:2] == prefix[:2] for prefix in ctx.region_prefixes)
        desa_id = _named_village(reader, ctx) if bps else None
        if desa_id and not code.startswith(ctx.desa_bps.get(desa_id, "")):
            bps = False
        elif desa_id:
            kecamatan = ctx.desa_places.get(desa_id, ("", ""))[0]
            return desa_id, (("region_code", (
                f"Kode wilayah {code} {outside} tampaknya kode BPS, bukan Kode Kemdagri; keluarga ditempatkan di "
                f"{ctx.desa_names.get(desa_id)} (Kecamatan {kecamatan}) menurut nama Kecamatan dan Desa/Kelurahan"
            )),)
        hint = (
            "; bila ini kode BPS (bukan Kode Kemdagri), isi nama Kecamatan dan Desa/Kelurahan desa di wilayah ini agar "
            "keluarga ditempatkan menurut nama, atau isi Kode Kemdagri"
        ) if bps else ""
        reader.error("region_code", f"Desa dengan kode {code} berada {outside}{hint}")
        return None, ()
    desa_id = ctx.desa_by_code.get(code)
    if desa_id is None:
        count = thousands(len(ctx.desa_by_code))
        reader.error(
            "region_code",
            f"Kode Kemdagri {code} tidak ada di daftar {count} desa/kelurahan yang dimuat ({ctx.region_label})",
        )
    return desa_id, ()


def _named_village(reader: RowReader, ctx: Context) -> int | None:
    """The one village of the area a row's kecamatan and village names (and its Kabupaten/Kota
    cell, when it is filled) place it in, without a word on the row; None when they place it in
    none or in more than one."""
    key = (place_name(reader.get("kecamatan")), place_name(reader.get("desa")))
    if not all(key):
        return None
    desa_id = ctx.desa_by_names.get(key, 0)
    if desa_id is None:
        desa_id = _of_named_regency(reader, ctx, key)
    if not desa_id or _other_regency(reader.get("kabupaten"), desa_id, ctx, "", ""):
        return None
    return desa_id


def _of_named_regency(reader: RowReader, ctx: Context, key: tuple[str, str]) -> int | None:
    """Of the villages of two regencies a (kecamatan, desa) pair names (Sukaraja / Sukaraja, in
    Kabupaten Bogor and Kabupaten Sukabumi), the one of the regency the row's Kabupaten/Kota names."""
    kabupaten = reader.get("kabupaten")
    if is_blank(kabupaten):
        return None
    named = [
        pk for pk in ctx.desa_by_names_several.get(key, ())
        if pk in ctx.desa_places and same_regency(text(kabupaten), ctx.desa_places[pk][1])
    ]
    return named[0] if len(named) == 1 else None


def _desa_by_names(reader: RowReader, ctx: Context) -> int | None:
    kecamatan, desa = place_name(reader.get("kecamatan")), place_name(reader.get("desa"))
    if not desa or not kecamatan:
        if reader.has("region_code") or reader.has("region_code_desa"):
            reader.error("region_code", "Kode Kemdagri kosong; isi Kode Kemdagri, atau nama Kecamatan dan Desa/Kelurahan")
        elif not reader.has("kecamatan" if desa else "desa"):
            # The village is found by its kecamatan's name and its own: a table with one of them only.
            missing = "Kecamatan" if desa else "Desa/Kelurahan"
            reader.error(
                "desa" if desa else "kecamatan",
                f"Desa dicari dengan nama Kecamatan dan Desa/Kelurahan, tetapi tidak ada kolom {missing}; beri kolom "
                f"{missing}, atau petakan judul kolomnya (atau Kode Kemdagri) di Admin, Pemetaan kolom impor",
            )
        else:  # a layout without the code (SIKS-NG): the names are all it has
            missing = "Desa/Kelurahan" if not desa else "Kecamatan"
            reader.error("desa" if not desa else "kecamatan", f"Nama {missing} kosong; isi nama Kecamatan dan Desa/Kelurahan")
        return None
    desa_id = ctx.desa_by_names.get((kecamatan, desa), 0)
    if desa_id is None and (named := _of_named_regency(reader, ctx, (kecamatan, desa))):
        return named
    if not desa_id:
        place = f"Desa '{text(reader.get('desa'))}' di kecamatan '{text(reader.get('kecamatan'))}'"
        if desa_id is None:
            reader.error("desa", f"{place} ada lebih dari satu di wilayah yang dimuat; isi Kode Kemdagri")
        else:
            reader.error("desa", f"{place} tidak ada di wilayah yang dimuat ({ctx.region_label})")
        return None
    if other_regency := _other_regency(reader.get("kabupaten"), desa_id, ctx, "desa ini", "nama Kecamatan dan Desa/Kelurahan"):
        if refusal := _named_elsewhere(reader, desa_id, ctx):
            reader.error("kabupaten", refusal)
            return None
        reader.warning("kabupaten", other_regency)
    return desa_id


def _named_elsewhere(reader: RowReader, desa_id: int, ctx: Context) -> str:
    """The error for a row placed by its names whose Kabupaten/Kota cell names another regency than
    the village's: one the registry does not hold (a neighbour's village of the same names is not
    this one), or a loaded one its No KK or NIK was issued in too (cell and codes agree). "" when
    the cell names no regency the row could be of, or only one its codes do not point to: a slip,
    warned as before (a family of the loaded regency whose NIK was issued elsewhere is imported)."""
    cell = text(reader.get("kabupaten"))
    named = named_regencies(cell)
    kecamatan, kabupaten = ctx.desa_places.get(desa_id, ("", ""))
    placed = f"keluarga tidak ditempatkan di {ctx.desa_names.get(desa_id)} (Kecamatan {kecamatan}, {kabupaten})"
    if named and not any(code in ctx.regency_names for code in named):
        return (
            f"Kabupaten/Kota '{cell}' berada di luar wilayah yang dimuat ({ctx.region_label}); {placed} yang namanya "
            "sama. Bila keluarga ini tinggal di sana, perbaiki Kabupaten/Kota atau isi Kode Kemdagri"
        )
    issued = {clean_digits(id_text(reader.get(key)))[:4] for key in ("no_kk", "nik", "head_nik") if reader.has(key)}
    for code in named:
        if code in issued and code in ctx.regency_names:
            return (
                f"Kabupaten/Kota '{cell}' dan kode wilayah No KK/NIK {code} menunjuk {ctx.regency_names[code]}, yang "
                f"tidak memiliki desa '{text(reader.get('desa'))}' di kecamatan '{text(reader.get('kecamatan'))}'; "
                f"{placed}. Perbaiki Kabupaten/Kota atau isi Kode Kemdagri"
            )
    return ""


@functools.lru_cache(maxsize=1024)
def named_regencies(cell: str) -> tuple[str, ...]:
    """The 4-digit codes of the regencies of Indonesia a Kabupaten/Kota cell names (``same_regency``):
    ``KAB. DEMAK`` names 3321, ``SEMARANG`` both 3322 and 3374."""
    return tuple(code for code, name in all_regencies() if same_regency(cell, name))


# ``Kabupaten Bogor``, ``KAB. BOGOR``, ``Kab Bogor``; ``Kota Bogor`` (``Kotabaru`` is a name).
_REGENCY_KIND = re.compile(r"^(?:(kabupaten|kab)\b\.?\s*|(kota)\b\.?\s*)")
# The regency and the cities of Jakarta are "Administrasi" (``Kota Administrasi Jakarta Pusat``,
# ``KOTA ADM. JAKARTA PUSAT``): offices leave the word out as often as not, and so does the match.
_ADMINISTRATIVE = re.compile(r"^(?:administrasi|adm)\b\.?\s*")


def regency_name(value: object) -> tuple[str, str]:
    """A regency's name as matched: ``("kabupaten" | "kota" | "", the name as place_name reads it)``,
    without "Administrasi" (``_ADMINISTRATIVE``)."""
    value = norm(value)
    match = _REGENCY_KIND.match(value)
    if not match:
        return "", place_name(_ADMINISTRATIVE.sub("", value))
    return ("kabupaten" if match.group(1) else "kota"), place_name(_ADMINISTRATIVE.sub("", value[match.end():]))


@functools.lru_cache(maxsize=4096)
def same_regency(cell: str, name: str) -> bool:
    """Whether a Kabupaten/Kota cell names the regency the registry calls ``name``: ``KABUPATEN
    BOGOR``, ``Kab. Bogor`` and ``Bogor`` name Kabupaten Bogor, ``KOTA BOGOR`` does not; ``KOTA
    WARINGIN BARAT`` names Kabupaten Kotawaringin Barat."""
    kind, core = regency_name(cell)
    registry_kind, registry_core = regency_name(name)
    if not core:
        return False
    if core == registry_core and (not kind or not registry_kind or kind == registry_kind):
        return True
    words = [word for word in _NOT_LETTER.split(_ADMINISTRATIVE.sub("", _REGENCY_KIND.sub("", norm(name)))) if word]
    if (not kind or not registry_kind or kind == registry_kind) and _shortened(core, words):
        return True
    return place_name(cell) == registry_core


def _shortened(token: str, words: list[str]) -> bool:
    """Whether ``token`` is the short form offices write of a name of two or more words: the
    first letters (two or more) of each word in turn, ``konut`` for Konawe Utara, ``busel`` for
    Buton Selatan, ``koltim`` for Kolaka Timur."""
    if len(words) < 2 or " " in token or len(token) < 4:
        return False

    def split(rest: str, index: int) -> bool:
        if index == len(words):
            return not rest
        word = words[index]
        return any(
            rest.startswith(word[:size]) and split(rest[size:], index + 1) for size in range(2, len(word) + 1)
        )

    return split(token, 0)


_PLACE_PREFIX = re.compile(r"^(?:kecamatan\s+|kec\.\s*|kec\s+|kelurahan\s+|kel\.\s*|kel\s+|desa\s+|ds\.\s*|ds\s+)")
_ISLANDS = re.compile(r"\bkep\b\.?")  # Lasolo Kep.: Lasolo Kepulauan
_NOT_LETTER = re.compile(r"[^0-9a-z]+")


# A heading row naming the village of the rows below it: "DESA WANGGUDU RAYA", "Desa : Lasolo",
# "KELURAHAN ASERA KEC. ASERA", "Desa/Kelurahan: Wanggudu Raya, Kecamatan Asera".
_VILLAGE_HEADING = re.compile(
    r"^(?:desa\s*/\s*kel(?:urahan)?|kel(?:urahan)?\s*/\s*desa|desa|kelurahan|kel|ds)\b\.?\s*:?\s*"
    r"(?P<desa>[^\W\d_].*?)(?:\s*[,;/-]?\s*\b(?:kecamatan|kec)\b\.?\s*:?\s*(?P<kecamatan>[^\W\d_].*))?$",
    re.IGNORECASE,
)


def village_heading(heading: str) -> tuple[str, str] | None:
    """``(village, kecamatan)`` as a heading row inside a table names them (the kecamatan "" when
    it names none), or None for a heading that names no village ("DUSUN II", a remark)."""
    match = _VILLAGE_HEADING.match(" ".join(heading.split()))
    if match is None:
        return None
    return match.group("desa").strip(" ,;:-"), (match.group("kecamatan") or "").strip(" ,;:-")


def place_name(value: object) -> str:
    """A kecamatan or village name as matched: ``KEC. ASERA``, ``Kec.Asera`` and ``Desa Wanggudu
    Raya`` read as the names the region list holds, and spaces and hyphens do not count
    (``ALO-ALO`` is Alo Alo, ``WACUPINODO`` Wacu Pinodo, ``LASOLO KEP.`` Lasolo Kepulauan)."""
    return _NOT_LETTER.sub("", _ISLANDS.sub("kepulauan", _PLACE_PREFIX.sub("", norm(value))))


def read_choices(reader: RowReader, field_names: tuple[str, ...], ctx: Context, values: dict, raw: dict) -> None:
    """The choice columns keyed by their field names, in that order: a known value's code into
    ``values``; an unknown one kept as text in ``raw``, with a warning. One call a row, not one a
    column: each column's cell is read by its index and looked up in its map's cache first."""
    cells = reader.raw_cells
    for name, index, cache, choice in reader.choice_columns(field_names, ctx.choices):
        value = cells[index]
        if value is None:
            continue
        try:
            code, known = cache[value]
        except (KeyError, TypeError):
            code, known = choice(value)  # a blank text is ("", True): nothing to keep
        if known:
            if code:
                values[name] = code
            continue
        raw[name] = text(value, 200)
        reader.log.unmapped_value(name, reader.label(name), text(value, 60))
        reader.warning(name, f"Nilai '{text(value, 60)}' tidak dikenal; disimpan apa adanya")


def read_recipients(reader: RowReader, recipients: set | None = None) -> set | frozenset:
    """``Penerima X`` / ``Bansos X`` = Ya adds ``X`` to the row's programs. An unknown value warns on
    its cell and is listed for mapping (``values.AID_VALUE_FIELD``): an aid left out unsaid could
    hide a double aid. Returns the set (a shared empty frozenset when the row receives nothing, to
    keep records small)."""
    cells = reader.raw_cells
    combination = None
    if recipients is None and reader._aid_cells is not None:
        combination = reader._aid_cells(cells)
        try:
            return reader._aid_sets[combination]
        except KeyError:
            pass
        except TypeError:  # a cell of a kind that cannot be a key: read as it is
            combination = None
    found = recipients
    warned = False
    yes_no = reader.aid_values
    for key, indexes in reader._multi_columns:
        for index in indexes:
            value = cells[index]
            if value is None:  # a blank cell: neither Ya nor a value to warn about
                continue
            flag, known = yes_no(value)
            if not known:
                warned = True
                column = reader.headers[index]  # the cell's own column (an aid may have two)
                reader.log.unmapped_value(AID_VALUE_FIELD, column, text(value, 60))
                reader.log.warning(
                    reader.sheet, reader.row, column,
                    f"Nilai '{text(value, 30)}' bukan Ya/Tidak; bantuan di sel ini tidak dihitung. Petakan nilai ini di "
                    "Admin, Pemetaan nilai impor.",
                )
            elif flag:
                if found is None:
                    found = set()
                found.add(key[len(AID_PREFIX):])
    if recipients is not None:
        return found
    found = NO_RECIPIENTS if found is None else shared_recipients(found)
    if combination is not None and not warned and len(reader._aid_sets) < MAX_AID_COMBINATIONS:
        reader._aid_sets[combination] = found
    return found


# The combinations of aid cells a reader remembers (``read_recipients``).
MAX_AID_COMBINATIONS = 4096


def check_nik_against(reader: RowReader, key: str, info, values: dict) -> None:
    """Warn when the stated sex or birth date disagrees with what the NIK encodes. A birth date
    typed month first (a CSV saved on an English Windows, ``1/5/1980``) that read day first
    disagrees, but agrees month first: it is read month first, with a warning."""
    if info is None:
        return
    birth = values.get("birth_date")
    if birth is not None and birth != info.birth_date and (swapped := month_first(reader.get("birth_date"), info.birth_date)):
        values["birth_date"] = swapped
        reader.warning("birth_date", _month_first_note(reader.get("birth_date")))
    sex = values.get("sex")
    female = None if not sex else sex == "P"
    for warning in nik_mismatch_warnings(info, birth_date=values.get("birth_date"), female=female):
        reader.warning(key, warning)


def month_first(cell: object, nik_birth) -> object:
    """The date of a ``d/m/yyyy``-shaped cell (``values.DAY_MONTH_YEAR``, a time after it ignored)
    read month first, when that is the birth date the NIK encodes (its day, month and two-digit
    year); else None."""
    if nik_birth is None or cell.__class__ is not str or not (match := DAY_MONTH_YEAR.match(cell.strip())):
        return None
    month, day, year = (int(group) for group in match.groups())
    if (day, month, year % 100) != (nik_birth.day, nik_birth.month, nik_birth.year % 100):
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def birth_month_first(reader: RowReader, nik_key: str):
    """For a birth date cell that is impossible day first (``12/25/1975``): the date month first
    when the row's NIK encodes it, with a warning; else None."""
    try:
        nik_birth = parse_nik(reader.get(nik_key)).birth_date
    except (IdentifierError, TypeError):
        return None
    swapped = month_first(reader.get("birth_date"), nik_birth)
    if swapped is not None:
        reader.warning("birth_date", _month_first_note(reader.get("birth_date")))
    return swapped


def _month_first_note(cell) -> str:
    return f"Tanggal lahir '{text(cell, 20)}' dibaca sebagai bulan/hari/tahun, sesuai tanggal lahir di NIK"


# An RT or RW cell as offices type it: ``001``, ``RT. 001``, ``RT 01 RW 02``, ``001/002`` (RT/RW in one).
_RT_RW = re.compile(r"^(?:rt\.?\s*)?(\d{1,4})\s*(?:(?:/|\s)\s*(?:rw\.?\s*)?(\d{1,4}))?$", re.IGNORECASE)
_RW = re.compile(r"^(?:rw\.?\s*)?(\d{1,4})$", re.IGNORECASE)


def neighbourhood(reader: RowReader) -> dict[str, str]:
    """The RT and RW of a row: the numbers without the words around them (``RT. 1`` is 001,
    ``neighbourhood_number``), an RT cell that holds both (``001/002``, ``RT 01 RW 02``) split; a
    cell read otherwise is kept as its text when it fits (five characters), else warned and left out.
    A cell is read as an id is (``values.id_text``): the ``1.0`` of a CSV saved from a sheet of
    numbers is the number cell 1 of the sheet itself."""
    found: dict[str, str] = {}
    rt_cell, rw_cell = id_text(reader.get("rt")), id_text(reader.get("rw"))
    if rt_cell:
        match = _RT_RW.match(rt_cell)
        if match:
            found["rt"] = neighbourhood_number(match.group(1))
            if match.group(2):
                found["rw"] = neighbourhood_number(match.group(2))
        else:
            _keep_short(reader, found, "rt", rt_cell)
    if rw_cell:
        match = _RW.match(rw_cell)
        if match:
            found["rw"] = neighbourhood_number(match.group(1))
        else:
            _keep_short(reader, found, "rw", rw_cell)
    return found


def _keep_short(reader: RowReader, found: dict, key: str, value: str) -> None:
    if len(value) <= 5:
        found[key] = value
    else:
        reader.warning(key, f"{key.upper()} '{value[:40]}' tidak dikenali (isi angka, mis. 001); tidak disimpan")
