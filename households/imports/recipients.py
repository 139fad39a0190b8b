"""Agencies' recipient lists (who received their aid): read, matched to the registry, handed to programs.

Each row is matched to a registry household by NIK (a member's NIK, else a head's NIK), then by
No KK; an unmatched row is a row error. The program and year come from the command's options or
from the row (``PROGRAM``/``BANSOS``, ``TAHUN``/``PERIODE``). Matched rows become enrollments (status
*active* unless a ``STATUS`` column says otherwise, ``NOMINAL`` in rupiah): each valid row is an
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

from .common import Context, RowReader, read_kk, read_nik
from .issues import IssueLog
from .plan import enrollment_counts
from .progress import Progress
from .reader import ReadError, Source, is_blank, normalize_header
from .values import ChoiceMap, norm, parse_date, parse_rupiah, text

COLUMNS = {
    "nik": "nik", "nik ktp": "nik", "nik penerima": "nik", "no nik": "nik", "nomor nik": "nik",
    "nokk": "no_kk", "no kk": "no_kk", "nomor kk": "no_kk", "no. kk": "no_kk", "kk": "no_kk",
    "nama penerima": "name", "nama": "name", "nama kpm": "name",
    "kecamatan": "kecamatan", "desa": "desa", "desa/kelurahan": "desa", "kelurahan": "desa",
    "kode wilayah": "region_code", "kode kemdagri": "region_code",
    "program": "program", "bansos": "program", "kode program": "program", "jenis bansos": "program",
    "nama program": "program",
    "tahun": "year", "periode": "year", "tahap": "period", "tahun anggaran": "year",
    "nominal": "amount", "nilai": "amount", "jumlah": "amount", "nilai bantuan": "amount", "jumlah bantuan": "amount",
    "status": "status", "status penyaluran": "status",
    "tanggal penyaluran": "delivered_on", "tanggal salur": "delivered_on", "tanggal": "delivered_on",
    "keterangan": "note", "catatan": "note",
}
_YEAR = re.compile(r"(20\d{2})")
_STATUS_SYNONYMS = {"tersalur": "active", "sudah disalurkan": "completed", "batal": "cancelled", "usulan": "proposed"}


def _header_key(header: object) -> str | None:
    return COLUMNS.get(normalize_header(header).replace("_", " "))


def _known(header: str) -> bool:
    return header.replace("_", " ") in COLUMNS


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
    ctx = Context(desa_by_code={}, desa_by_names={}, choices={}, region_prefixes=regions.prefixes, region_label=regions.label)
    rows = []  # (sheet, row, nik, kk, program, year, status, amount, delivered, note)
    for source in sources:
        found = False
        for sheet_name in source.sheet_names():
            table = source.table(sheet_name, is_known_header=_known)
            if table is None:
                continue
            index = {}
            for position, header in enumerate(table.headers):
                key = _header_key(header)
                if key and key not in index.values():
                    index[position] = key
            keys = set(index.values())
            if not keys & {"nik", "no_kk"}:
                continue
            found = True
            missing = []
            if fixed_program is None and "program" not in keys:
                missing.append("PROGRAM/BANSOS (atau pilihan --program)")
            if not fixed_year and not keys & {"year", "period"}:
                missing.append("TAHUN/PERIODE (atau pilihan --year)")
            if missing:
                raise ReadError(f"{table.source}, lembar {table.name}: kolom wajib tidak ada: {', '.join(missing)}.")
            reader = RowReader(table, index, log)
            for row, cells in table.rows:
                plan.total_rows += 1
                if progress and plan.total_rows % 2000 == 0:
                    progress(2000)
                reader.load(row, cells)
                rows.append(_row(reader, ctx, programs, statuses, fixed_program, fixed_year))
        if not found:
            raise ReadError(
                f"{source.display_name}: baris judul kolom daftar penerima tidak ditemukan (mis. NIK, NOKK, "
                "NAMA_PENERIMA, NOMINAL)."
            )
    _match(plan, [r for r in rows if r is not None])
    return plan


def _row(reader: RowReader, ctx, programs: _Programs, statuses, fixed_program, fixed_year):
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
    status = EnrollmentStatus.ACTIVE
    if not is_blank(reader.get("status")):
        code, known = statuses(reader.get("status"))
        if not known or not code:
            reader.error("status", f"Status '{text(reader.get('status'), 40)}' tidak dikenal (Aktif, Diusulkan, Selesai, Ditolak, Dibatalkan)")
        else:
            status = code
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
