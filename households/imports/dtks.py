"""DTKS (Kemensos, SIKS-NG) and DTSEN (BPS) extracts: one row per person, families grouped by No KK.

Pure Python. The household takes its place, address and head from its rows (the row whose
relation is *Kepala Keluarga*, else the first row, with a warning); every row is a member.
``Bansos ...`` and ``PBI JKN`` columns are the aid the person's family already receives. A DTSEN
extract also gives each family its national desil (1-10, with its date when the file has one) and
the living conditions of the house, taken from the head's row (else the first row). A row of the
family that says otherwise (desil 3 on the wife's row, 7 on the head's) gets a warning naming both
values and the row whose value is kept (``FamilyValues``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from . import columns as cols
from .cells import (
    birth_month_first, check_nik_against, neighbourhood, read_choices, read_desa, read_id, read_kk, read_nik, read_recipients,
)
from .common import (
    Context,
    Extract,
    FamilyHeads,
    HouseholdRecord,
    MemberRecord,
    RowReader,
    TableInfo,
    map_table,
    more_than_one_head,
    no_header_row,
    note_hidden_sheets,
    note_table_end,
    sheet_without_header,
    stated_aid_keys,
    titles,
)
from .dtks_resync import FamilyRows, Ungrouped
from .issues import row_place
from .reader import ReadError, Source
from .rowhash import KnownRows, family_chain, table_hasher
from .values import desil_cell, parse_date, parse_int, parse_period, text

_PERSON_CHOICES = ("sex", "relation", "marital_status", "occupation", "work_status", "education", "dukcapil_match")
_HOUSE_CHOICES = (
    "house_ownership", "roof_type", "wall_type", "floor_type", "lighting", "electricity_power", "cooking_fuel",
    "water_source", "toilet",
)


def parse_dtsen(sources: list[Source], ctx: Context, *, progress: Callable[[int], None] | None = None) -> Extract:
    return parse_dtks(sources, ctx, progress=progress, layout=cols.DTSEN)


def parse_dtks(
    sources: list[Source], ctx: Context, *, progress: Callable[[int], None] | None = None, layout: str = cols.DTKS
) -> Extract:
    """Read every data sheet of ``sources`` into one ``Extract``. On a re-sync, the families read
    exactly as their stored records were are skipped as unchanged (``dtks_resync``); when such a
    family has rows apart from each other in the file, the file is read again without skipping."""
    known = ctx.read_known()
    if known is not None:
        try:
            return _parse(sources, ctx, progress, layout, known)
        except Ungrouped:
            pass
    return _parse(sources, ctx, progress, layout, None)


def _parse(sources: list[Source], ctx: Context, progress, layout: str, known: KnownRows | None) -> Extract:
    label = "DTSEN" if layout == cols.DTSEN else "DTKS"
    dtsen = layout == cols.DTSEN
    extract = Extract(kind=layout, data_year=ctx.data_year, has_member_sheet=True)
    layouts = ctx.layouts
    tables = []
    other_kind = ""  # a sheet that reads as P3KE, for the refusal
    without_kk: list[str] = []  # the sheets whose header row has no No KK column, for the refusal
    for source in sources:
        note_hidden_sheets(source, extract.issues)
        for sheet_name in source.sheet_names():
            table = layouts.table(source, sheet_name)
            if table is None:
                extract.issues.warning(sheet_name, 0, "", sheet_without_header("'Nomor KK', 'NIK'"))
                continue
            mapped = map_table(table, layout, ctx, extract.issues)
            index, missing = mapped.index, mapped.missing
            if missing and "no_kk" not in index.values():
                if cols.classify(sheet_name, table.headers) == cols.HOUSEHOLD:
                    other_kind = f" Lembar {table.name} tampaknya lembar keluarga P3KE: pilih jenis data P3KE."
                elif cols.classify(sheet_name, table.headers) == cols.INDIVIDUAL:
                    other_kind = f" Lembar {table.name} tampaknya lembar individu P3KE: pilih jenis data P3KE."
                # A notes or recap sheet, not data; said, in case it is a table whose No KK has another title.
                unknown = [h for h in mapped.unmapped if h]
                seen = f"; judul yang tidak dikenali: {titles(unknown)}" if unknown else ""
                no_kk = (
                    f"tidak ada kolom Nomor KK (baris judul kolom: baris {table.header_row}{seen}). Jika lembar ini "
                    f"berisi data, beri judul kolom Nomor KK atau petakan di Admin, Pemetaan kolom impor (jenis tabel {label})"
                )
                extract.issues.warning(table.name, 0, "", f"Lembar ini tidak dibaca: {no_kk}")
                without_kk.append(f"{table.source}, lembar {table.name}: {no_kk}")
                continue
            if missing:
                unknown = [h for h in mapped.unmapped if h]
                hint = f" Kolom yang tidak dikenali: {', '.join(unknown)}; petakan di Admin, Pemetaan kolom impor." if unknown else ""
                raise ReadError(
                    f"{table.source}, lembar {table.name}: kolom wajib {label} tidak ada: {', '.join(missing)} "
                    f"(baris judul kolom: baris {table.header_row}).{hint}",
                    details=extract.issues.mapping_summary(),
                )
            tables.append((table, index))
        if not tables and without_kk:
            # A header row was found, without a No KK column: that is the reason, with the columns to map.
            raise ReadError(
                f"{'; '.join(without_kk)}.{other_kind}", details=extract.issues.mapping_summary(),
            )
        if not tables:
            raise ReadError(
                no_header_row(source, label, label, "Nomor KK atau NIK", "'Nomor KK', 'NKK', 'NIK', 'Nama'") + other_kind
            )
    if extract.data_year is None:
        extract.data_year = ctx.today.year
    by_kk: dict[str, HouseholdRecord] = {}
    building: dict[str, dict] = {}
    bad_kk: dict[str, int] = {}
    # The first row of each NIK (with its family) and ID DTKS, over every sheet, as (table, row): a
    # table split over sheets is one table, and a copied sheet repeats its people.
    nik_rows: dict[str, tuple[str, int, int]] = {}
    id_rows: dict[str, tuple[int, int]] = {}
    members_by_row: dict[tuple[int, int], MemberRecord] = {}
    chains: dict[str, int] = {}  # each family's chained row hash (``rowhash.family_chain``)
    heads = FamilyHeads()  # each family's first head row, as (table, row)

    def place(table_no: int, row: int, here: int) -> str:
        """A row as a message on the table ``here`` names it (with its sheet when another)."""
        return row_place(row, None if table_no == here else tables[table_no][0].name)

    readers: list[RowReader] = []  # each table's, by table number
    desa_codes: dict[int, str] = {}  # village id -> its code, filled the first time a message names one

    def shown(name: str, value) -> str:
        if name == "desa_id":
            if not desa_codes:
                desa_codes.update((pk, code) for code, pk in ctx.desa_by_code.items())
            return desa_codes.get(value, str(value))
        if value.__class__ is int:
            return str(value)
        if isinstance(value, datetime.date):
            return value.strftime("%d/%m/%Y")
        choice = ctx.choices.get(name)
        return f"'{text(choice.labels.get(value, value) if choice else value, 60)}'"

    def note_differences(differences: list) -> None:
        """Warn each row whose family value is not the one kept (``FamilyValues``)."""
        for (table_no, row), name, value, (kept, by, by_head) in differences:
            reader = readers[table_no]
            key = name if name != "desa_id" else ("region_code" if reader.has("region_code") else "desa")
            label = reader.label(key)
            where = f"{place(*by, table_no)}: {shown(name, kept)}"
            if by_head:
                reason = f"{label} {shown(name, value)} berbeda dengan baris kepala keluarga ({where}); dipakai nilai baris kepala keluarga"
            else:
                reason = f"{label} {shown(name, value)} berbeda dengan baris lain KK yang sama ({where}); dipakai nilai baris yang lebih dulu"
            extract.issues.warning(tables[table_no][0].name, row, label, reason)

    for table_no, (table, index) in enumerate(tables):
        info = TableInfo(table.source, table.name, cols.DTKS, table.header_row, table.headers)
        extract.tables.append(info)
        reader = RowReader(table, index, extract.issues, ctx.aid_values, extract.data_year)
        extract.aid_columns |= stated_aid_keys(table.headers, index, extract.data_year)
        readers.append(reader)
        row_hash = table_hasher(ctx.signature, layout, index, extract.data_year)
        family_rows = FamilyRows(
            table, reader, index, known, extract, row_hash, id_rows, nik_rows, lambda key: key in by_kk or key in bad_kk,
            table_no=table_no,
        )
        for row, cells, digest in family_rows.rows():
            info.rows += 1
            if progress and info.rows % 2000 == 0:
                progress(2000)
            reader.load(row, cells)
            kk = read_kk(reader, "no_kk")
            if kk in extract.skipped_households:
                raise Ungrouped(kk)  # a row of a family skipped as unchanged, apart from its other rows
            if kk:
                chains[kk] = family_chain(chains.get(kk), digest)
            values: dict = {}
            raw: dict = {}
            dtks_id = read_id(reader, "dtks_id", "ID DTKS", 40)
            if dtks_id:
                values["dtks_id"] = dtks_id
                if dtks_id in id_rows:
                    reader.error("dtks_id", f"ID DTKS {dtks_id} ganda: sudah ada di {place(*id_rows[dtks_id], table_no)}")
                else:
                    id_rows[dtks_id] = (table_no, row)
            name = text(reader.get("name"), 150)
            if not name:
                reader.error("name", "Nama kosong")
            else:
                values["name"] = name
            read_choices(reader, _PERSON_CHOICES, ctx, values, raw)
            birth, problem = parse_date(reader.get("birth_date"))
            if problem and (birth := birth_month_first(reader, "nik")) is None:
                reader.error("birth_date", problem)
            elif birth:
                values["birth_date"] = birth
            for field_name, length in (("birth_place", 100), ("mother_name", 150)):
                value = text(reader.get(field_name), length)
                if value:
                    values[field_name] = value
            nik_info = read_nik(reader, "nik", ctx, required=True)
            if nik_info is not None:
                values["nik"] = nik_info.value
                check_nik_against(reader, "nik", nik_info, values)
                seen = nik_rows.get(nik_info.value)
                if seen and seen[0] == kk:
                    reader.error("nik", f"NIK ganda dalam KK yang sama: sudah ada di {place(seen[1], seen[2], table_no)}")
                    earlier = members_by_row.pop(seen[1:], None)
                    if earlier is not None:
                        extract.issues.error(
                            earlier.sheet, earlier.row, reader.label("nik"),
                            f"NIK ganda dalam KK yang sama: muncul lagi di {place(table_no, row, seen[1])}",
                        )
                elif seen:
                    reader.warning(
                        "nik", f"NIK yang sama ada di KK {seen[0]} ({place(seen[1], seen[2], table_no)}); akan diperiksa sebagai duplikat identitas"
                    )
                else:
                    nik_rows[nik_info.value] = (kk, table_no, row)
            desa_id = read_desa(reader, ctx)
            house: dict = {}
            house_raw: dict = {}
            if dtsen:
                _house(reader, ctx, house, house_raw)
            recipients: set = set()
            read_recipients(reader, recipients)
            if not reader.ok:
                if kk:
                    bad_kk.setdefault(kk, row)
                continue
            household = by_kk.get(kk)
            is_head = values.get("relation") == "kepala"
            if household is None:
                household = HouseholdRecord(kk, table.name, row, {}, {}, set())
                by_kk[kk] = household
                building[kk] = FamilyValues(kk)
            family = building[kk]
            hh_values = family.values
            leads = is_head and family.head is None  # a second head's row does not
            given = neighbourhood(reader)
            if desa_id:
                given["desa_id"] = desa_id
            for field_name, length in (("address", 255), ("dusun", 100)):
                value = text(reader.get(field_name), length)
                if value:
                    given[field_name] = value
            given.update(house)
            if differences := family.take(given, (table_no, row), leads):
                note_differences(differences)
            for field_name, value in house_raw.items():
                if field_name not in household.raw or leads:
                    household.raw[field_name] = value
            if is_head or "head_name" not in hh_values:
                other = heads.other(kk, (table_no, row)) if is_head else None
                if other is not None:
                    reader.warning("relation", more_than_one_head(f"KK {kk}", f"di {place(*other, table_no)}"))
                else:
                    hh_values["head_name"] = values.get("name", "")
                    if values.get("nik"):
                        hh_values["head_nik"] = values["nik"]
                    household.head = None  # set below to this member
            if extract.data_year:
                hh_values["source_year"] = extract.data_year
            member = MemberRecord(kk, table.name, row, values, raw, recipients)
            member.row_hash = digest
            members_by_row[(table_no, row)] = member
            if "head_name" in hh_values and hh_values.get("head_name") == values.get("name") and household.head is None:
                household.head = member
        info.rows += family_rows.skipped
        if progress and family_rows.skipped:
            progress(family_rows.skipped)
        note_table_end(table, extract.issues)
        extract.total_rows += info.rows
    for kk, household in by_kk.items():
        family = building.pop(kk)
        if differences := family.finish():
            note_differences(differences)
        household.values = family.values
        household.row_hash = chains[kk]
        if kk in bad_kk:
            extract.rejected_households[kk] = bad_kk[kk]
            continue
        if household.head is not None and household.head.get("relation") != "kepala":
            extract.issues.warning(household.sheet, household.row, "Hubungan Keluarga", f"KK {kk} tanpa kepala keluarga; anggota pertama dipakai sebagai kepala")
        extract.households[kk] = household
    for member in members_by_row.values():
        if member.household_key in extract.rejected_households:
            extract.issues.error(
                member.sheet, member.row, "Nomor KK",
                f"KK {member.household_key} ditolak karena baris lain (baris {extract.rejected_households[member.household_key]}) salah",
            )
            continue
        extract.members.append(member)
    return extract


class FamilyValues:
    """One family's values (village, address, RT/RW, desil, house) while its rows are read. The head's
    row gives them; a value its row leaves empty (or every value, in a family without a head) comes
    from the first row that gives it. ``take`` and ``finish`` return the rows whose values differ from
    the ones kept, as ``((table, row), field, value, (kept, (table, row) it came from, whether that is
    the head's))``: a row read before the head's is compared when the head's comes, or at the end."""

    __slots__ = ("values", "head", "given_by", "waiting")

    def __init__(self, kk: str) -> None:
        self.values: dict = {"no_kk": kk}
        self.head: tuple[int, int] | None = None  # the head's row
        self.given_by: dict | None = None  # field -> the row that gave it, when not the head's
        self.waiting: list | None = None  # (row, its values) read before the head's

    def take(self, given: dict, at: tuple[int, int], head: bool) -> list | tuple:
        values = self.values
        if head:
            values.update(given)
            self.head = at
            if self.given_by:
                for name in given:
                    self.given_by.pop(name, None)
            return self.finish()
        if self.head is not None and values.items() >= given.items():
            return ()  # nearly every row after the head's: the same values, compared in one C call
        for name, value in given.items():
            if name not in values:
                values[name] = value
                if self.given_by is None:
                    self.given_by = {}
                self.given_by[name] = at
        if self.head is None:
            if self.waiting is None:
                self.waiting = []
            self.waiting.append((at, given))
            return []
        return self._differences(at, given)

    def finish(self) -> list | tuple:
        """The differences of the rows read before the head's (all rows, when none came)."""
        waiting, self.waiting = self.waiting, None
        if waiting is None:
            return ()
        found: list = []
        for at, given in waiting:
            found += self._differences(at, given)
        return found

    def _differences(self, at: tuple[int, int], given: dict) -> list:
        found = []
        values, given_by, head = self.values, self.given_by, self.head
        for name, value in given.items():
            kept = values[name]
            if kept != value:
                by = given_by.get(name, head) if given_by else head
                found.append((at, name, value, (kept, by, by == head)))
        return found


def _house(reader, ctx: Context, house: dict, raw: dict) -> None:
    """A DTSEN row's family fields: the desil (1-10) with its source and date, the living conditions."""
    desil, problem = parse_int(desil_cell(reader.get("desil")), low=1, high=10, label="Desil")
    if problem:
        reader.error("desil", problem)
    elif desil is not None:
        house["desil"] = desil
        house["desil_source"] = "dtsen"
        when, problem = parse_period(reader.get("desil_date"))
        if problem:
            reader.warning("desil_date", problem)
        elif when and when > ctx.today:
            # A ranking of a period not begun is a typo (central data describes a year that has
            # begun, ``context.data_year_problem``): taken, it would pass for the newest ranking.
            reader.warning("desil_date", f"Tanggal desil {when:%d/%m/%Y} belum tiba; desil dibaca tanpa tanggal")
        elif when:
            house["desil_date"] = when
    read_choices(reader, _HOUSE_CHOICES, ctx, house, raw)
