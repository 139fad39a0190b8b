"""DTKS extracts (Kemensos, SIKS-NG): one row per person, families grouped by Nomor KK.

Pure Python. The household takes its place, address and head from its rows (the row whose
relation is *Kepala Keluarga*, else the first row, with a warning); every row is a member.
``Bansos ...`` and ``PBI JKN`` columns are the aid the person's family already receives.
"""

from __future__ import annotations

from collections.abc import Callable

from . import columns as cols
from .common import (
    Context,
    Extract,
    HouseholdRecord,
    MemberRecord,
    RowReader,
    TableInfo,
    check_nik_against,
    read_choice,
    read_desa,
    read_kk,
    read_nik,
    read_recipients,
)
from .reader import ReadError, Source
from .values import parse_date, text

_PERSON_CHOICES = ("sex", "relation", "marital_status", "occupation", "dukcapil_match")


def parse_dtks(sources: list[Source], ctx: Context, *, progress: Callable[[int], None] | None = None) -> Extract:
    extract = Extract(kind="dtks", data_year=ctx.data_year, has_member_sheet=True)
    tables = []
    for source in sources:
        for sheet_name in source.sheet_names():
            table = source.table(sheet_name, is_known_header=cols.is_known)
            if table is None:
                continue
            index, missing = cols.map_headers(cols.DTKS, table.headers)
            if missing and "nomor kk" not in table.normalized_headers and "no kk" not in table.normalized_headers:
                continue  # a notes sheet, not data
            if missing:
                raise ReadError(
                    f"{table.source}, lembar {table.name}: kolom wajib DTKS tidak ada: {', '.join(missing)} "
                    f"(baris judul kolom: baris {table.header_row})."
                )
            tables.append((table, index))
        if not tables:
            raise ReadError(
                f"{source.display_name}: baris judul kolom DTKS tidak ditemukan (dicari di 30 baris pertama; "
                "mis. 'Nomor KK', 'Nomor NIK', 'Nama')."
            )
    if extract.data_year is None:
        extract.data_year = ctx.today.year
    by_kk: dict[str, HouseholdRecord] = {}
    bad_kk: dict[str, int] = {}
    nik_rows: dict[str, tuple[str, int]] = {}
    id_rows: dict[str, int] = {}
    members_by_row: dict[tuple[str, int], MemberRecord] = {}
    for table, index in tables:
        info = TableInfo(table.source, table.name, cols.DTKS, table.header_row, table.headers)
        extract.tables.append(info)
        reader = RowReader(table, index, extract.issues)
        for row, cells in table.rows:
            info.rows += 1
            if progress and info.rows % 2000 == 0:
                progress(2000)
            reader.load(row, cells)
            kk = read_kk(reader, "no_kk")
            values: dict = {}
            raw: dict = {}
            dtks_id = text(reader.get("dtks_id"), 40)
            if dtks_id:
                values["dtks_id"] = dtks_id
                if dtks_id in id_rows:
                    reader.error("dtks_id", f"ID DTKS {dtks_id} ganda: sudah ada di baris {id_rows[dtks_id]}")
                else:
                    id_rows[dtks_id] = row
            name = text(reader.get("name"), 150)
            if not name:
                reader.error("name", "Nama kosong")
            else:
                values["name"] = name
            for field_name in _PERSON_CHOICES:
                read_choice(reader, field_name, field_name, ctx, values, raw)
            birth, problem = parse_date(reader.get("birth_date"))
            if problem:
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
                    reader.error("nik", f"NIK ganda dalam KK yang sama: sudah ada di baris {seen[1]}")
                    earlier = members_by_row.pop((table.name, seen[1]), None)
                    if earlier is not None:
                        extract.issues.error(earlier.sheet, earlier.row, reader.label("nik"), f"NIK ganda dalam KK yang sama: muncul lagi di baris {row}")
                elif seen:
                    reader.warning("nik", f"NIK yang sama ada di KK {seen[0]} (baris {seen[1]}); akan diperiksa sebagai duplikat identitas")
                else:
                    nik_rows[nik_info.value] = (kk, row)
            desa_id = read_desa(reader, ctx)
            recipients: set = set()
            read_recipients(reader, recipients)
            if not reader.ok:
                if kk:
                    bad_kk.setdefault(kk, row)
                continue
            household = by_kk.get(kk)
            is_head = values.get("relation") == "kepala"
            if household is None:
                household = HouseholdRecord(kk, table.name, row, {"no_kk": kk}, {}, set())
                by_kk[kk] = household
            hh_values = household.values
            if desa_id and ("desa_id" not in hh_values or is_head):
                hh_values["desa_id"] = desa_id
            for field_name, length in (("address", 255), ("dusun", 100), ("rt", 5), ("rw", 5)):
                value = text(reader.get(field_name), length)
                if value and (field_name not in hh_values or is_head):
                    hh_values[field_name] = value
            if is_head or "head_name" not in hh_values:
                if is_head and household.head is not None and household.head.values.get("relation") == "kepala":
                    reader.warning("relation", f"KK {kk} memiliki lebih dari satu kepala keluarga")
                else:
                    hh_values["head_name"] = values.get("name", "")
                    if values.get("nik"):
                        hh_values["head_nik"] = values["nik"]
                    household.head = None  # set below to this member
            if extract.data_year:
                hh_values["source_year"] = extract.data_year
            member = MemberRecord(kk, table.name, row, values, raw, recipients)
            members_by_row[(table.name, row)] = member
            if "head_name" in hh_values and hh_values.get("head_name") == values.get("name") and household.head is None:
                household.head = member
        extract.total_rows += info.rows
    for kk, household in by_kk.items():
        if kk in bad_kk:
            extract.rejected_households[kk] = bad_kk[kk]
            continue
        if household.head is not None and household.head.values.get("relation") != "kepala":
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
