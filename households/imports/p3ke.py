"""P3KE extracts (2022 and 2023 releases): rows of the household and individual sheets to records.

Pure Python. The sheets may come in one workbook or two files, in either order; each sheet is
recognised by its headers (then by its name), its header row found below any title rows. Every
row is checked (IDs, region, decile, dates, categorical values) and its problems recorded with
sheet, row, column and reason; a row with an error yields no record.
"""

from __future__ import annotations

from collections.abc import Callable

from . import columns as cols
from . import p3ke_fork, sheetfork
from .cells import (
    birth_month_first, check_nik_against, read_choices, read_desa, read_id, read_kk, read_nik, read_recipients, skipped_nik,
)
from .common import (
    HIDDEN_SHEET,
    Context,
    NO_RAW,
    Extract,
    FamilyHeads,
    RowReader,
    TableInfo,
    map_table,
    more_than_one_head,
    no_header_row,
    note_table_end,
    sheet_without_header,
    stated_aid_keys,
)
from .firstrows import FirstRows, pack, refused, slot, unpack
from .issues import WARNING, RowIssue, row_place
from .reader import ReadError, Source, is_blank
from .rowhash import SkippedRow, table_hasher
from .spool import HouseholdSpool, RecordSpool
from .values import desil_cell, parse_date, parse_int, text, yes_no

_HH_CHOICES = (
    "house_ownership", "roof_type", "roof_quality", "wall_type", "wall_quality", "floor_type", "floor_quality",
    "lighting", "electricity_power", "cooking_fuel", "water_source", "toilet", "stunting_risk", "verval_priority",
)
_PERSON_CHOICES = ("sex", "marital_status", "occupation", "work_status", "education", "dukcapil_match")
_MEMBER_CHOICES = ("relation", "stunting_risk", *_PERSON_CHOICES)
_IDENTITY_EXAMPLES = "'ID Keluarga P3KE', 'ID Individu', 'NIK'"


def _unknown_hint(mapped) -> str:
    unknown = [h for h in mapped.unmapped if h]
    return f" Kolom yang tidak dikenali: {', '.join(unknown)}; petakan di Admin, Pemetaan kolom impor." if unknown else ""


def parse_p3ke(sources: list[Source], ctx: Context, *, progress: Callable[[int], None] | None = None) -> Extract:
    """Read every recognised sheet of ``sources`` into one ``Extract``; raise ``ReadError`` when no
    P3KE sheet is found or a sheet lacks a required column.

    One sheet is held in memory at a time: a household sheet is parsed as soon as it is found and
    released before the next sheet is loaded (calamine keeps a whole sheet). Households are parsed
    before members (members are checked against them), so an individual sheet found while a
    household sheet may still follow is released and read again at the end; in the usual order
    (households first) nothing is read twice. Issues come out in the order of reading all sheets
    first, then households, then members.

    With a large enough file, the last sheet (the individual sheet, in the usual order) is read in
    a forked process from the start while this one reads the others (``p3ke_fork``): the same
    records and issues, on two cores."""
    # The household records on disk as they are read, as the member records are (``spool``).
    extract = Extract(kind="p3ke", data_year=ctx.data_year, households=HouseholdSpool())
    remaining = sum(len(source.sheet_names()) for source in sources)
    if not sources:
        raise ReadError("Tidak ada lembar keluarga atau individu P3KE di berkas ini.")
    forked, forked_at = None, None
    last_file_sheets = sources[-1].sheet_names() if sources else []  # none when all its sheets are hidden
    if remaining >= 2 and last_file_sheets and sheetfork.usable(sum(source.path.stat().st_size for source in sources)):
        forked_at = (sources[-1], last_file_sheets[-1])
        forked = p3ke_fork.start(*forked_at, ctx, _members)
        if progress is not None:
            progress = p3ke_fork.WithChildRows(forked, progress)
    try:
        p3ke_fork.share_known(forked, ctx)
        return _parse_sheets(sources, ctx, extract, progress, forked, forked_at, remaining)
    finally:
        if forked is not None:
            forked.close()


def _parse_sheets(sources, ctx, extract, progress, forked, forked_at, remaining) -> Extract:
    # The sheets not read (hidden, no header row, neither households nor individuals): warned about first.
    sheet_warnings: list[tuple[str, int, str, str]] = []
    deferred: list[tuple[Source, str, object]] = []
    missing_columns: list[tuple[int, str]] = []  # (0 households / 1 members, message): raised after the scan
    release_2023 = False
    layouts = ctx.layouts
    family_rows = FamilyFirstRows()

    def check_columns(kind, table):
        mapped = map_table(table, kind, ctx, extract.issues)
        column_index, missing = mapped.index, mapped.missing
        if missing:
            missing_columns.append((
                0 if kind == cols.HOUSEHOLD else 1,
                f"{table.source}, lembar {table.name}: kolom wajib tidak ada: {', '.join(missing)} "
                f"(baris judul kolom: baris {table.header_row}).{_unknown_hint(mapped)}",
            ))
            return None
        return column_index

    def households_read() -> None:
        # Every sheet scanned, the forked individual sheet still being read: the families are final.
        _settle_year(extract, release_2023)
        if ctx.households_read is not None:
            ctx.households_read(extract, ctx.known, progress)

    other_kind = ""  # a sheet that reads as another kind of data, for the refusal
    for source in sources:
        found_here = False
        sheet_warnings.extend((name, 0, "", HIDDEN_SHEET) for name in source.hidden_sheets())
        for sheet_name in source.sheet_names():
            remaining -= 1
            if (source, sheet_name) == forked_at:
                table = p3ke_fork.header(forked, source, sheet_name, ctx)
            else:
                table = layouts.table(source, sheet_name)
            if table is None:
                sheet_warnings.append((sheet_name, 0, "", sheet_without_header(_IDENTITY_EXAMPLES)))
                continue
            kind = cols.classify(sheet_name, table.headers)
            if kind is None:
                sheet_warnings.append((table.name, 0, "", "Lembar ini tidak dikenali sebagai lembar keluarga atau individu; dilewati"))
                if not layouts.map_headers(cols.DTKS, table.headers).missing:
                    other_kind = (
                        f" Lembar {table.name} tampaknya data DTKS atau DTSEN (ada kolom Nomor KK, NIK dan Nama): "
                        "pilih jenis data DTKS atau DTSEN."
                    )
                continue
            if kind != cols.INDIVIDUAL and isinstance(table, p3ke_fork.ForkedTable):
                table = p3ke_fork.read_here(table, ctx)
            found_here = True
            release_2023 = release_2023 or cols.is_release_2023(table.headers)
            column_index = check_columns(kind, table)
            if column_index is None or missing_columns:
                continue  # only the scan goes on, for the messages of the original order
            if kind == cols.HOUSEHOLD:
                _parse_table(kind, table, column_index, ctx, extract, progress, family_rows=family_rows)
            elif deferred or remaining:
                # A household sheet may follow: read it again later (a forked one is still being read).
                deferred.append((source, sheet_name, table if isinstance(table, p3ke_fork.ForkedTable) else None))
            else:
                _parse_table(kind, table, column_index, ctx, extract, progress, households_read)
            del table
        if not found_here:
            raise ReadError(
                no_header_row(
                    source, "P3KE", "P3KE, lembar keluarga atau lembar individu", "ID Keluarga P3KE atau NIK",
                    "'ID Keluarga P3KE', 'Kode Kemdagri', 'NIK'",
                ) + other_kind
            )
    if missing_columns:
        raise ReadError(min(missing_columns, key=lambda item: item[0])[1], details=extract.issues.mapping_summary())
    for source, sheet_name, forked_table in deferred:
        table = forked_table or layouts.table(source, sheet_name)
        _parse_table(cols.INDIVIDUAL, table, layouts.map_headers(cols.INDIVIDUAL, table.headers).index, ctx, extract, progress, households_read)
        del table
    _members_on_two_sheets(extract, layouts)
    if sheet_warnings:
        issues = extract.issues
        issues.warnings[:0] = [RowIssue(*item, level=WARNING) for item in sheet_warnings]
        issues.warning_rows.update((sheet, row) for sheet, row, _, _ in sheet_warnings)
    _settle_year(extract, release_2023)
    return extract


def _members_on_two_sheets(extract: Extract, layouts: cols.Layouts) -> None:
    """With more than one individual sheet (a table split per kecamatan, or a copied sheet "INDIVIDU
    (2)"), the same ID Individu, or the same NIK in one family, on two of them: an error on both
    rows, each naming the other, both records left out, as on one sheet. Each sheet checked its own
    rows while it was read (one may have been read in another process); this reads the kept
    records once more, only for such a file, keeping each ID's first row as one int (its table
    above its row) as the sheet's own check does. A row skipped as unchanged is not among them."""
    tables = [info for info in extract.tables if info.kind == cols.INDIVIDUAL]
    if len(tables) < 2 or not extract.members.count:
        return
    labels: dict[tuple[str, str], str] = {}
    for info in tables:
        for position, field_name in layouts.map_headers(cols.INDIVIDUAL, info.headers).index.items():
            labels.setdefault((info.sheet, field_name), info.headers[position])

    def label(sheet: str, field_name: str) -> str:
        return labels.get((sheet, field_name)) or cols.COLUMN_LABELS[field_name]

    issues, members = extract.issues, extract.members
    first_ids: dict[int | str, int] = {}
    first_niks: dict[int | tuple[str, str], int] = {}
    sheets: dict[int, str] = {}
    told: set[tuple[str, int]] = set()  # (field, entry) of the first rows told "muncul lagi" already
    for part, records in members.parts():
        for record in records:
            sheets[part] = record.sheet
            entry = part << 32 | record.row
            id_individu, nik = record.get("id_individu"), record.get("nik")
            found = []
            if id_individu:
                found.append(("id_individu", f"ID Individu {id_individu} ganda", first_ids.setdefault(slot(id_individu), entry)))
            if nik:
                family = slot(record.household_key)
                key = family * 10**16 + int(nik) if isinstance(family, int) and nik.isdigit() else (record.household_key, nik)
                found.append(("nik", "NIK ganda dalam keluarga yang sama", first_niks.setdefault(key, entry)))
            for field_name, what, seen in found:
                if seen >> 32 == part:
                    continue  # the first row, or a repeat on its own sheet (refused there already)
                sheet, row = sheets[seen >> 32], seen & 0xFFFFFFFF
                issues.error(record.sheet, record.row, label(record.sheet, field_name), f"{what}: sudah ada di {row_place(row, sheet)}")
                members.drop_in(part, record.row)
                if (field_name, seen) not in told:
                    told.add((field_name, seen))
                    issues.error(sheet, row, label(sheet, field_name), f"{what}: muncul lagi di {row_place(record.row, record.sheet)}")
                    members.drop_in(seen >> 32, row)


def _settle_year(extract: Extract, release_2023: bool) -> None:
    """The extract's data year (the batch's, else the layout's) on every household record."""
    if extract.data_year is None:
        extract.data_year = 2023 if release_2023 else 2022
    extract.households.set_all("source_year", extract.data_year)


def _parse_table(
    kind: str, table, column_index: dict[int, str], ctx: Context, extract: Extract, progress, households_read=None,
    family_rows: FamilyFirstRows | None = None,
) -> None:
    data_year = ctx.data_year or cols.release_year(table.headers)
    extract.aid_columns |= stated_aid_keys(table.headers, column_index, data_year)
    if isinstance(table, p3ke_fork.ForkedTable):
        if households_read is not None:
            p3ke_fork.send_refused(table, extract)  # first: the child sets rows aside until they come
            households_read()  # before waiting for the forked process
        _parse_forked(table, column_index, ctx, extract, progress)
        return
    info = TableInfo(table.source, table.name, kind, table.header_row, table.headers)
    extract.tables.append(info)
    reader = RowReader(table, column_index, extract.issues, ctx.aid_values, data_year)
    row_hash = table_hasher(ctx.signature, kind, column_index, cols.is_release_2023(table.headers))
    if kind == cols.HOUSEHOLD:
        info.rows = _households(table, reader, ctx, extract, progress, row_hash, family_rows or FamilyFirstRows())
    else:
        _member_sheet_found(extract)
        info.rows = _members(table, reader, ctx, extract, progress, row_hash)
    note_table_end(table, extract.issues)
    extract.total_rows += info.rows


def _member_sheet_found(extract: Extract) -> None:
    """With an individual sheet, members come from it: the heads read from the household sheet are
    no longer needed (``compare`` uses them only without one); free them first. Its records go to
    a ``RecordSpool``, not a list."""
    if not extract.has_member_sheet:
        extract.households.drop_heads()
        extract.members = RecordSpool()
    extract.has_member_sheet = True


def _parse_forked(table, column_index: dict[int, str], ctx: Context, extract: Extract, progress) -> None:
    """An individual sheet read by the child: its results merged where the sequential reading would
    have produced them, or, when the child failed, the sheet read here."""
    result = p3ke_fork.collect(table, column_index, extract, progress)
    if result is None:
        if progress:
            progress.taken_back()
        _parse_table(cols.INDIVIDUAL, p3ke_fork.read_here(table, ctx), column_index, ctx, extract, progress)
        return
    count, members, skipped, issues, refused_families = result
    extract.refused_member_families.update(refused_families)
    extract.tables.append(TableInfo(table.source, table.name, cols.INDIVIDUAL, table.header_row, table.headers, count))
    _member_sheet_found(extract)
    extract.issues.absorb(issues)
    if extract.members.count:
        extract.members.extend(members)  # another individual sheet came first
    else:
        extract.members = members
    extract.skipped_members.extend(skipped)
    extract.total_rows += count
    if progress:
        progress(0)  # the child's last rows (``p3ke_fork.WithChildRows``)


def _person(
    reader: RowReader, ctx: Context, values: dict, raw: dict, *, nik_key: str, nik_required: bool, choices=_PERSON_CHOICES
) -> None:
    """Fields of a person (the head on the household sheet, a member on the individual sheet);
    ``choices``: the choice fields read first, a person's and any before them, in one pass."""
    read_choices(reader, choices, ctx, values, raw)
    birth, problem = parse_date(reader.get("birth_date"))
    if problem and (birth := birth_month_first(reader, nik_key)) is None:
        reader.error("birth_date", problem)
    elif birth:
        if birth > ctx.today:
            reader.error("birth_date", f"Tanggal lahir {birth:%d/%m/%Y} di masa depan")
        else:
            values["birth_date"] = birth
    info = read_nik(reader, nik_key, ctx, required=nik_required)
    if info is not None:
        values["nik"] = info.value
        check_nik_against(reader, nik_key, info, values)


def _skipped_member(reader: RowReader, stored_rows, digest: int, household_key: str, id_individu: str, first: FirstRows):
    """The ``SkippedRow`` of a member row hashed as a stored member was, in the family its file
    row names as the registry holds it, its ID Individu and NIK not seen yet in this file (a
    repeat goes the usual way, to be refused or warned about); else None. Registers its IDs."""
    pk, household_id, is_head, stored_nik = stored_rows.members[digest]
    if stored_rows.household_key(household_id) != household_key:
        return None
    nik = skipped_nik(reader.get("nik"), stored_nik)
    # Each ID's key in the first-row memory (``firstrows.slot``), computed once.
    id_key = slot(id_individu) if id_individu else None
    nik_key = slot(nik) if nik else None
    if (id_key is not None and id_key in first.ids) or (nik_key is not None and nik_key in first.niks):
        return None
    stored_rows.take(digest)
    row = reader.row
    marker = SkippedRow(household_key, reader.sheet, row, pk, read_recipients(reader), is_head)
    if id_key is not None:
        first.ids[id_key] = row
    if nik_key is not None:
        first.niks[nik_key] = pack(household_key, row)
    return marker


class FamilyFirstRows:
    """The first row of each ID Keluarga P3KE over every household sheet of an import: a table split
    over sheets (one per kecamatan) is one table, and a copied sheet ("KEPALA-KELUARGA (2)") repeats
    its IDs. An entry is the row with its sheet's place in ``sheets`` packed above it (one int, as
    the row alone was: a province's sheet has 700,000 families)."""

    _SHEET = 1 << 32

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.sheets: list[str] = []

    def begin(self, sheet: str) -> int:
        """A household sheet is read: what its rows' entries carry above the row."""
        self.sheets.append(sheet)
        return (len(self.sheets) - 1) * self._SHEET

    def place(self, entry: int, here: int) -> str:
        """Where ``entry`` is, as a message says it on the sheet whose entries carry ``here``."""
        sheet, row = divmod(entry, self._SHEET)
        return row_place(row, None if sheet * self._SHEET == here else self.sheets[sheet])

    def sheet_bits(self, entry: int) -> int:
        """What the entries of ``entry``'s sheet carry above the row."""
        return entry - entry % self._SHEET


def _households(table, reader: RowReader, ctx: Context, extract: Extract, progress, row_hash, family_rows: FamilyFirstRows) -> int:
    count = 0
    first_row = family_rows.rows
    sheet_bits = family_rows.begin(table.name)
    head_nik_rows: dict[str, int] = {}
    households = extract.households
    skipped = extract.skipped_households
    stored_rows = ctx.known
    for row, cells in table.rows:
        count += 1
        if progress and count % 2000 == 0:
            progress(2000)
        reader.load(row, cells)
        digest = row_hash(cells)
        key = read_id(reader, "p3ke_id", "ID Keluarga P3KE", 32)
        if key is None:
            key = ""  # destroyed by Excel: refused (the row has its error), not compared with other rows
        elif not key:
            reader.error("p3ke_id", "ID Keluarga P3KE kosong")
        elif key in first_row:
            # In this sheet or another household sheet: every row of the ID refused, each naming the other.
            first = first_row[key]
            reader.error("p3ke_id", f"ID Keluarga P3KE {key} ganda: sudah ada di {family_rows.place(first, sheet_bits)}")
            earlier = households.pop(key, None) or skipped.pop(key, None)
            if earlier is not None:
                here = family_rows.place(sheet_bits + row, family_rows.sheet_bits(first))
                extract.issues.error(earlier.sheet, earlier.row, reader.label("p3ke_id"), f"ID Keluarga P3KE {key} ganda: muncul lagi di {here}")
            extract.rejected_households[key] = row
            continue
        else:
            first_row[key] = sheet_bits + row
            # Read as its stored record was (and no formula cell): counted unchanged, not checked again.
            if stored_rows is not None and reader.ok:
                pk = stored_rows.unchanged_household(key, digest)
                if pk is not None:
                    skipped[key] = SkippedRow(key, table.name, row, pk, read_recipients(reader))
                    continue
        values: dict = {"p3ke_id": key} if key else {}
        raw: dict = {}
        desa_id = read_desa(reader, ctx)
        if desa_id:
            values["desa_id"] = desa_id
        desil, problem = parse_int(desil_cell(reader.get("desil")), low=1, high=10, label="Desil")
        if problem:
            reader.error("desil", problem)
        elif desil is not None:
            values["desil"] = desil
            values["desil_source"] = "p3ke"
        for key_name, low, high, label in (("persentil", 0, 100, "Persentil"), ("updated_year", 2000, 2100, "Tahun pemutakhiran")):
            number, problem = parse_int(reader.get(key_name), low=low, high=high, label=label)
            if problem:
                reader.error(key_name, problem)
            elif number is not None:
                values[key_name] = number
        name = text(reader.get("head_name"), 150)
        if not name:
            reader.error("head_name", "Nama kepala keluarga kosong")
        else:
            values["head_name"] = name
        address = text(reader.get("address"), 255)
        if address:
            values["address"] = address
        if not is_blank(reader.get("no_kk")):
            kk = read_kk(reader, "no_kk")
            if kk:
                values["no_kk"] = kk
        read_choices(reader, _HH_CHOICES, ctx, values, raw)
        savings, known = yes_no(reader.get("has_savings"))
        if not known:
            raw["has_savings"] = text(reader.get("has_savings"), 60)
            reader.warning("has_savings", f"Nilai '{text(reader.get('has_savings'), 30)}' bukan Ya/Tidak; disimpan apa adanya")
        elif savings is not None:
            values["has_savings"] = savings

        head_values: dict = {"relation": "kepala"}
        head_raw: dict = {}
        if name:
            head_values["name"] = name
        _person(reader, ctx, head_values, head_raw, nik_key="head_nik", nik_required=False)
        if "stunting_risk" in values:
            head_values["stunting_risk"] = values["stunting_risk"]
        head_nik = head_values.get("nik")
        if head_nik:
            values["head_nik"] = head_nik
            if head_nik in head_nik_rows:
                reader.warning(
                    "head_nik",
                    f"NIK kepala keluarga sama dengan keluarga di baris {head_nik_rows[head_nik]}; akan diperiksa sebagai duplikat identitas",
                )
            else:
                head_nik_rows[head_nik] = row
        recipients = read_recipients(reader)
        if not reader.ok:
            if key:
                extract.rejected_households[key] = row
            continue
        # Kept as it is now (on disk), its head with it.
        households.add(key, table.name, row, values, raw or NO_RAW, recipients, digest, head_values, head_raw)
    if progress:
        progress(count % 2000)
    return count


def _members(table, reader: RowReader, ctx: Context, extract: Extract, progress, row_hash, late=None) -> int:
    """The individual sheet's rows to member records (or ``SkippedRow``s, rows hashed as their
    stored member was). ``late`` (a ``p3ke_fork.LateRejections``): the refused families are not
    known yet, they come while the rows are read. A kept record goes to ``extract.members`` (a
    ``spool.RecordSpool``: to disk in chunks) as soon as it is read; one refused by a later
    duplicate of its ID is dropped from it."""
    count = 0
    # The first row of each ID Individu and NIK, and for a NIK its family: the row as it is once
    # kept (a record spooled, or a row skipped as unchanged), its negative while it is not
    # (refused, or still being checked).
    first_rows = FirstRows()
    first_ids, first_niks = first_rows.ids, first_rows.niks
    rejected_ids: set[str] = set()
    members = extract.members
    members.begin(table.name)
    skipped: list[SkippedRow] = []
    dropped: set[int] = set()  # rows of kept (or skipped) records refused by a later duplicate
    stored_rows = ctx.known
    sheet = table.name
    heads = FamilyHeads()  # each family's first head row

    def drop(first: int) -> int | None:
        """The row of a kept record refused now (to tell it "muncul lagi"), once."""
        if first > 0 and first not in dropped:
            dropped.add(first)
            return first
        return None

    for row, cells in table.rows:
        count += 1
        if progress and count % 2000 == 0:
            progress(2000)
        if late is not None and count % p3ke_fork.POLL_ROWS == 0 and late.ready(skipping=bool(skipped)):
            late.apply(reader, extract, dropped, first_rows)
            late = None
        reader.load(row, cells)
        household_key = read_id(reader, "p3ke_id", "ID Keluarga P3KE", 32)
        if household_key is None:
            household_key = ""  # destroyed by Excel: the row has its error
        elif not household_key:
            reader.error("p3ke_id", "ID Keluarga P3KE kosong")
        elif household_key in extract.rejected_households:
            reader.error("p3ke_id", p3ke_fork.family_refused(household_key, extract.rejected_households[household_key]))
        elif late is not None:
            late.note(row, household_key, len(extract.issues.errors), cells)
        id_individu = read_id(reader, "id_individu", "ID Individu", 32)
        id_damaged = id_individu is None
        if id_damaged:
            id_individu = ""
        digest = row_hash(cells)
        if stored_rows is not None and reader.ok and digest in stored_rows.members:
            # Read as its stored member was, its IDs not seen yet: counted unchanged, not checked again.
            marker = _skipped_member(reader, stored_rows, digest, household_key, id_individu, first_rows)
            if marker is not None:
                skipped.append(marker)
                if marker.is_head:
                    heads.other(slot(household_key), row)
                continue
        values: dict = {}
        raw: dict = {}
        id_key = nik_key = None  # the ``slot`` of an ID met here first, to mark the row kept
        if id_individu:
            values["id_individu"] = id_individu
            key = slot(id_individu)
            first = first_ids.get(key)
            if first is not None:
                reader.error("id_individu", f"ID Individu {id_individu} ganda: sudah ada di baris {abs(first)}")
                earlier = drop(first)
                if earlier is not None:
                    extract.issues.error(sheet, earlier, reader.label("id_individu"), f"ID Individu {id_individu} ganda: muncul lagi di baris {row}")
                rejected_ids.add(id_individu)
            else:
                first_ids[key] = -row
                id_key = key
        name = text(reader.get("name"), 150)
        if not name:
            reader.error("name", "Nama kosong")
        else:
            values["name"] = name
        _person(reader, ctx, values, raw, nik_key="nik", nik_required=False, choices=_MEMBER_CHOICES)
        nik = values.get("nik")
        if not nik and not id_individu and not id_damaged and reader.has("nik"):
            reader.error("nik", "NIK dan ID Individu kosong: anggota tidak dapat dicocokkan")
        if nik:
            key = slot(nik)
            seen = first_niks.get(key)
            if seen is not None:
                seen = unpack(seen)
            if seen is not None and seen[0] == household_key:
                reader.error("nik", f"NIK ganda dalam keluarga yang sama: sudah ada di baris {abs(seen[1])}")
                earlier = drop(seen[1])
                if earlier is not None:
                    extract.issues.error(sheet, earlier, reader.label("nik"), f"NIK ganda dalam keluarga yang sama: muncul lagi di baris {row}")
            elif seen is not None:
                reader.warning("nik", f"NIK yang sama ada di keluarga {seen[0]} (baris {abs(seen[1])}); akan diperiksa sebagai duplikat identitas")
            else:
                nik_key, nik_entry = key, pack(household_key, row)
                first_niks[key] = refused(nik_entry)  # while the row is being checked
        recipients = read_recipients(reader)
        if not reader.ok or (id_individu and id_individu in rejected_ids):
            if household_key:
                extract.refused_member_families.add(household_key)
            continue
        members.add(household_key, row, values, raw, recipients, digest)
        if values.get("relation") == "kepala" and household_key:
            other = heads.other(slot(household_key), row)
            if other is not None:
                reader.warning("relation", more_than_one_head(f"Keluarga {household_key}", f"di baris {other}"))
        if id_key is not None:
            first_ids[id_key] = row
        if nik_key is not None:
            first_niks[nik_key] = nik_entry
    if progress:
        progress(count % 2000)
    if late is not None:
        late.apply(reader, extract, dropped, first_rows)
    members.drop(dropped)
    extract.skipped_members.extend(marker for marker in skipped if marker.row not in dropped)
    return count
