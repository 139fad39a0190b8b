"""Agencies' recipient lists (who received their aid): read, matched to the registry, handed to programs.

Each row is matched to a registry household by NIK (a member's NIK, else a head's NIK), then by
No KK; an unmatched row is a row error. A NIK or No KK column is all a list needs: the program
and year come from the command's options or the upload form, or from the row (``PROGRAM``/``BANSOS``,
``TAHUN``/``PERIODE``/``TAHAP``, e.g. ``TAHAP 2 2024``); with no year anywhere, the current year.
Matched rows become enrollments (status *active*, ``NOMINAL`` in rupiah). A ``STATUS`` column is
read as the enrollment status only when most of its values are enrollment statuses; otherwise (a
marital status such as KAWIN or JANDA) it is ignored, with a note. Each valid row is an
``AidClaim`` naming its program, recorded by ``programs.services.aid_claims_record``, which hands
the enrollments to the one-aid check as one batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import translation

from households.models import Household, ImportBatch, Member
from households.regions import loaded_regions
from programs.claims import AidClaim, AidProgram, aid_claims_existing, aid_programs
from programs.models import EnrollmentSource, EnrollmentStatus
from programs.services import aid_claims_record

from . import columns as cols
from .cells import read_kk, read_nik
from .common import Context, RowReader, map_table, note_table_end
from .context import layouts as saved_layouts
from .issues import IssueLog
from .plan import enrollment_counts
from .progress import Progress
from .reader import ReadError, Source, is_blank
from .values import ChoiceMap, norm, parse_date, parse_rupiah, text

_YEAR = re.compile(r"(20\d{2})")
_STATUS_SYNONYMS = {"tersalur": "active", "sudah disalurkan": "completed", "batal": "cancelled", "usulan": "proposed"}


@dataclass
class RecipientPlan:
    """The plan of a recipient list (an ``ImportPlan``): one claim per valid row."""

    issues: IssueLog = field(default_factory=IssueLog)
    claims: list[AidClaim] = field(default_factory=list)  # one per valid row, each a distinct enrollment
    total_rows: int = 0
    existing: int = 0
    data_year: int | None = None

    @property
    def has_changes(self) -> bool:
        return len(self.claims) > self.existing

    def apply(self, *, batch: ImportBatch | None, by, progress: Progress) -> dict:
        """Record the matched rows through ``aid_claims_record`` (one transaction, one dedup batch)."""
        result = aid_claims_record(claims=self.claims, year=None, source=EnrollmentSource.IMPORT, batch=batch, by=by)
        return enrollment_counts(result)

    def summary(self) -> dict:
        zero = {"created": 0, "updated": 0, "unchanged": 0, "absent": 0}
        return {
            "households": dict(zero), "members": dict(zero),
            "errors": len(self.issues.errors), "warnings": len(self.issues.warnings),
            "error_rows": len(self.issues.error_rows), "warning_rows": len(self.issues.warning_rows),
            "rows": self.total_rows, "data_year": self.data_year,
            "enrollments_planned": len(self.claims), "enrollments_existing": self.existing,
            **self.issues.mapping_summary(),
        }


class _Programs:
    """Program by code, name or ``Penerima`` column key (``PKH``, ``BPNT``), case-insensitively."""

    def __init__(self):
        self.by_text: dict[str, AidProgram] = {}
        for program in aid_programs():
            self.by_text.setdefault(norm(program.code), program)
            self.by_text.setdefault(norm(program.name), program)
            for key in program.keys:
                self.by_text.setdefault(norm(key), program)

    def get(self, value: object) -> AidProgram | None:
        return self.by_text.get(norm(value))


def parse_recipients(sources: list[Source], *, options: dict, progress: Callable[[int], None] | None = None) -> RecipientPlan:
    """Read, validate and match every row; raise ``ReadError`` when a file has no usable header."""
    plan = RecipientPlan()
    log = plan.issues
    programs = _Programs()
    fixed_program = None
    if options.get("program"):
        fixed_program = programs.get(options["program"])
        if fixed_program is None:
            raise ReadError(f"Program '{options['program']}' tidak dikenal (gunakan kode program, mis. pkh, bsps).")
    fixed_year = options.get("year")
    plan.data_year = fixed_year
    with translation.override(None):
        statuses = ChoiceMap([(c, str(l)) for c, l in EnrollmentStatus.choices], _STATUS_SYNONYMS)
    regions = loaded_regions()
    layouts = saved_layouts()
    ctx = Context(
        desa_by_code={}, desa_by_names={}, choices={}, region_prefixes=regions.prefixes, region_label=regions.label,
        layouts=layouts,
    )
    rows = []  # (sheet, row, nik, kk, program, year, status cell, amount, delivered, note)
    for source in sources:
        found = False
        for sheet_name in source.sheet_names():
            table = layouts.table(source, sheet_name)
            if table is None:
                continue
            index = map_table(table, cols.RECIPIENTS, ctx, log).index
            keys = set(index.values())
            if not keys & {"nik", "no_kk"}:
                continue
            found = True
            if fixed_program is None and "program" not in keys:
                raise ReadError(
                    f"{table.source}, lembar {table.name}: kolom PROGRAM/BANSOS tidak ada; pilih program di formulir "
                    "(atau pilihan --program)."
                )
            year = fixed_year
            if not year and not keys & {"year", "period"}:
                year = ctx.today.year
                log.warning(table.name, 0, "", f"Tahun tidak ada di berkas maupun formulir; dipakai tahun {year}")
            reader = RowReader(table, index, log)
            for row, cells in table.rows:
                plan.total_rows += 1
                if progress and plan.total_rows % 2000 == 0:
                    progress(2000)
                reader.load(row, cells)
                rows.append(_row(reader, ctx, programs, fixed_program, year))
            note_table_end(table, log)
        if not found:
            raise ReadError(
                f"{source.display_name}: baris judul kolom daftar penerima tidak ditemukan (mis. NIK, NOKK, "
                "NAMA_PENERIMA, NOMINAL)."
            )
    _match(plan, _with_status(log, [r for r in rows if r is not None], statuses))
    return plan


def _with_status(log: IssueLog, rows: list[tuple], statuses: ChoiceMap) -> list[tuple]:
    """Rows with their enrollment status: read from the STATUS column when most of its values are
    enrollment statuses (an unknown one is then a row error), else *active*, the column ignored."""
    filled = [r for r in rows if not is_blank(r[6])]
    known = sum(1 for r in filled if statuses(r[6])[0])
    if filled and known * 2 <= len(filled):
        sample = ", ".join(sorted({text(r[6], 20) for r in filled})[:3])
        log.warning(filled[0][0], 0, "STATUS", f"Kolom STATUS bukan status penerimaan (mis. {sample}); diabaikan, semua baris berstatus Aktif")
        return [(*r[:6], EnrollmentStatus.ACTIVE, *r[7:]) for r in rows]
    result = []
    for r in rows:
        if is_blank(r[6]):
            result.append((*r[:6], EnrollmentStatus.ACTIVE, *r[7:]))
            continue
        code, _known = statuses(r[6])
        if not code:
            log.error(r[0], r[1], "STATUS", f"Status '{text(r[6], 40)}' tidak dikenal (Aktif, Diusulkan, Selesai, Ditolak, Dibatalkan)")
            continue
        result.append((*r[:6], code, *r[7:]))
    return result


def _row(reader: RowReader, ctx, programs: _Programs, fixed_program, fixed_year):
    nik = None
    if not is_blank(reader.get("nik")):
        info = read_nik(reader, "nik", ctx, required=True)
        nik = info.value if info else None
    kk = read_kk(reader, "no_kk") if not is_blank(reader.get("no_kk")) else ""
    if is_blank(reader.get("nik")) and is_blank(reader.get("no_kk")):
        reader.error("nik", "NIK dan No KK kosong: penerima tidak dapat dicocokkan")
    program = fixed_program
    if program is None:
        program = programs.get(reader.get("program"))
        if program is None:
            reader.error("program", f"Program '{text(reader.get('program'), 60)}' tidak dikenal")
    year = fixed_year
    if not year:
        found = _YEAR.search(text(reader.get("year")) + " " + text(reader.get("period")))
        if found:
            year = int(found.group(1))
        else:
            reader.error("year", "Tahun/periode kosong atau tidak berisi tahun (mis. 2024)")
    status = reader.get("status")
    amount, problem = parse_rupiah(reader.get("amount"))
    if problem:
        reader.error("amount", problem)
    delivered, problem = parse_date(reader.get("delivered_on"))
    if problem:
        reader.error("delivered_on", problem)
    if not reader.ok:
        return None
    return (reader.sheet, reader.row, nik, kk, program, year, status, amount, delivered, text(reader.get("note"), 500))


def _lookup(model_values, field_name: str, values: set[str]) -> dict:
    found: dict[str, tuple] = {}
    values = sorted(v for v in values if v)
    for start in range(0, len(values), 5000):
        for row in model_values.filter(**{f"{field_name}__in": values[start : start + 5000]}):
            found.setdefault(row[0], row[1:])
    return found


def _match(plan: RecipientPlan, rows: list[tuple]) -> None:
    log = plan.issues
    niks = {r[2] for r in rows}
    kks = {r[3] for r in rows}
    live_members = Member.objects.filter(household__merged_into__isnull=True).order_by("is_absent", "pk")
    live_households = Household.objects.filter(merged_into__isnull=True).order_by("is_absent", "pk")
    member_by_nik = _lookup(live_members.values_list("nik", "pk", "household_id"), "nik", niks)
    household_by_head = _lookup(live_households.values_list("head_nik", "pk"), "head_nik", niks)
    household_by_kk = _lookup(live_households.values_list("no_kk", "pk"), "no_kk", kks)
    seen: dict[tuple, int] = {}
    for sheet, row, nik, kk, program, year, status, amount, delivered, note in rows:
        member_id = household_id = None
        if nik and nik in member_by_nik:
            member_id, household_id = member_by_nik[nik]
        elif nik and nik in household_by_head:
            household_id = household_by_head[nik][0]
        elif kk and kk in household_by_kk:
            household_id = household_by_kk[kk][0]
        if household_id is None:
            shown = ", ".join(x for x in (f"NIK {nik}" if nik else "", f"No KK {kk}" if kk else "") if x)
            log.error(sheet, row, "NIK", f"Penerima tidak ditemukan di registri ({shown})")
            continue
        person = program.person
        if person and member_id is None:
            log.error(sheet, row, "NIK", "Program perorangan: NIK penerima harus NIK anggota keluarga di registri")
            continue
        key = (program.id, year, household_id, member_id if person else None)
        if key in seen:
            log.error(sheet, row, "NIK", f"Penerima ganda untuk program dan tahun yang sama: sudah ada di baris {seen[key]}")
            continue
        seen[key] = row
        plan.claims.append(
            AidClaim(
                household=household_id, member=member_id if person else None, program=program.id, year=year,
                status=status, amount=amount, delivered_on=delivered, note=note,
            )
        )
    plan.existing = aid_claims_existing(claims=plan.claims)
    years = {claim.year for claim in plan.claims}
    if len(years) == 1:
        plan.data_year = next(iter(years))
