"""The filtered household list as an xlsx file for field verification.

One row per household, exactly the rows of the list page with the same filters, and like it with a
Kabupaten/kota column only when more than one regency is loaded (a province). The workbook is
written by ``households.xlsx.write_xlsx`` (constant memory: the sheet XML streamed row by row) into a
temporary file that is then streamed to the browser; households are read in chunks. ID columns are
text, so Excel keeps all 16 digits. A family in several programs has one value per program in the
Program, Status, planned amount, delivery day and delivered amount cells (and the year's, when the
years differ), joined by "; " in the same order; with one program each cell holds its one number or
date. Such text an Excel sum skips: "Nilai Tercatat (Rp)" holds each family's recorded value as a
number, the aid planned or given as the list's "nilai tercatat" counts it, so that the column's sum
is the list's total. Every export is logged (who, which filters, how many rows).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agencies.models import ExportKind, User
from agencies.selectors import open_conflict_exists
from agencies.services import export_log_create
from agencies.templatetags.portal import protect_identifier
from households.models import Household, Member
from households.xlsx import write_xlsx
from konut_registry.chunks import chunked
from konut_registry.numbers import thousands
from programs.models import ONE_AID_STATUSES, Enrollment, EnrollmentStatus, Program, has_deliveries

CHUNK = 2000


def export_headers(*, several_regencies: bool) -> list[str]:
    """The column heads; the regency's after the kecamatan's when several regencies are loaded."""
    return [
        pgettext("row number", "No"),
        _("ID Keluarga P3KE"),
        _("No KK"),
        _("NIK Kepala Keluarga"),
        _("Nama Kepala Keluarga"),
        _("Alamat"),
        _("Dusun"),
        _("RT"),
        _("RW"),
        _("Desa/Kelurahan"),
        _("Kode Kemendagri"),
        _("Kecamatan"),
        *([_("Kabupaten/kota")] if several_regencies else []),
        _("Desil"),
        _("Jumlah Anggota"),
        _("Program"),
        _("Tahun"),
        _("Status"),
        _("Nilai Rencana (Rp)"),
        _("Tanggal Penyaluran"),
        _("Nilai Tersalurkan (Rp)"),
        _("Nilai Tercatat (Rp)"),
        _("Konflik Satu Bantuan"),
        _("Hasil Verifikasi Lapangan"),
        _("Catatan"),
    ]


# 0-based indexes of identifier columns written as text (all before the optional regency column).
TEXT_COLUMNS = (1, 2, 3, 10)
WIDTHS = (6, 16, 20, 20, 28, 28, 12, 6, 6, 22, 16, 16, 7, 9, 34, 8, 14, 16, 16, 16, 16, 12, 24, 30)
REGENCY_COLUMN, REGENCY_WIDTH = 12, 24


def export_amount_columns(*, several_regencies: bool) -> tuple[int, ...]:
    """The index of "Nilai Tercatat (Rp)", the one column an Excel sum adds up."""
    return (export_headers(several_regencies=several_regencies).index(_("Nilai Tercatat (Rp)")),)


def export_widths(*, several_regencies: bool) -> tuple[int, ...]:
    if not several_regencies:
        return WIDTHS
    return WIDTHS[:REGENCY_COLUMN] + (REGENCY_WIDTH,) + WIDTHS[REGENCY_COLUMN:]


def with_member_count(queryset: QuerySet[Household]) -> QuerySet[Household]:
    members = (
        Member.objects.filter(household=OuterRef("pk")).order_by().values("household").annotate(n=Count("pk")).values("n")
    )
    return queryset.annotate(member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0))


# Household columns read for the export, as plain tuples: building model instances for tens of
# thousands of rows costs more than writing them.
_HOUSEHOLD_COLUMNS = (
    "pk", "p3ke_id", "no_kk", "head_nik", "head_name", "address", "dusun", "rt", "rw",
    "desa__name", "desa__code_plain", "desa__kecamatan__name", "desil", "member_count", "has_open_conflict",
)


def _joined(values: list[str]) -> str:
    return "; ".join(values)


def _per_enrollment(values: list, shown) -> object:
    """One cell with a value per listed enrollment, in the order of the Program and Status cells.
    With one enrollment the value itself (a number stays a number, a day a date cell); with several,
    each written by ``shown`` and an empty one as "–", so that the n-th value is the n-th program's."""
    if len(values) == 1:
        return values[0]
    if not any(value is not None for value in values):
        return None
    return _joined(["–" if value is None else shown(value) for value in values])


def _day(value) -> str:
    return value.strftime("%d/%m/%Y")


def export_rows(
    queryset: QuerySet[Household], *, condition, user: User, several_regencies: bool
) -> Iterator[list]:
    """The xlsx rows of the filtered households, in the list's order, read ``CHUNK`` at a time: one
    query for the households (a server-side cursor on PostgreSQL) and one per chunk for their
    enrollments, whatever the number of rows. With ``several_regencies`` the household query also
    reads the regency's name (one more join in the same query), written after the kecamatan."""
    programs = dict(Program.objects.values_list("pk", "name"))
    status_labels = {value: str(label) for value, label in EnrollmentStatus.choices}
    conflict_mark = _("Ada")
    rows = (
        with_member_count(queryset)
        .annotate(has_open_conflict=open_conflict_exists())
        .values_list(*_HOUSEHOLD_COLUMNS, *(["desa__kecamatan__kabupaten__name"] if several_regencies else []))
    )
    number = 0
    for chunk in chunked(rows.iterator(chunk_size=CHUNK), CHUNK):
        enrollments: dict[int, list] = {}
        for household_id, program_id, year, status, delivered_on, amount, stages in (
            Enrollment.objects.filter(condition, household_id__in=[row[0] for row in chunk])
            .order_by("household_id", "-year", "program__name", "id")
            .values_list("household_id", "program_id", "year", "status", "delivered_on", "amount", "stages")
        ):
            enrollments.setdefault(household_id, []).append((program_id, year, status, delivered_on, amount, has_deliveries(delivered_on, stages)))
        for (pk, p3ke_id, no_kk, head_nik, head_name, address, dusun, rt, rw, desa, desa_code, kecamatan, desil,
             member_count, has_open_conflict, *regency) in chunk:
            number += 1
            listed = enrollments.get(pk, [])
            years = {e[1] for e in listed}
            # An enrollment's amount is its planned value until a delivery is recorded, then what
            # was delivered (``agencies.services.enrollment_mark_delivered``): two columns, so that
            # a plan never reads as aid handed over.
            planned = [None if e[5] else e[4] for e in listed]
            delivered = [e[4] if e[5] else None for e in listed]
            recorded = [e[4] for e in listed if e[2] in ONE_AID_STATUSES and e[4] is not None]
            yield [
                number,
                p3ke_id or "",
                protect_identifier(no_kk, user),
                protect_identifier(head_nik, user),
                head_name,
                address or None,
                dusun or None,
                rt or None,
                rw or None,
                desa,
                desa_code,
                kecamatan,
                *regency,  # the regency's name, or nothing with one regency
                desil,
                member_count,
                _joined([programs[e[0]] for e in listed]) or None,
                (years.pop() if len(years) == 1 else _joined([str(e[1]) for e in listed])) or None,
                _joined([status_labels[e[2]] for e in listed]) or None,
                _per_enrollment(planned, thousands),
                _per_enrollment([e[3] for e in listed], _day),
                _per_enrollment(delivered, thousands),
                sum(recorded) if recorded else None,
                conflict_mark if has_open_conflict else None,
                None,
                None,
            ]


def export_filename(agency, places: list[str]) -> str:
    """The file's name: its agency, the places the list was filtered to (``places``, broadest
    first), and when it was written."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    scope = slugify(agency.code) if agency is not None else "semua-opd"
    place = "".join(f"-{slugify(name)}" for name in places)
    return f"keluarga-sasaran-{scope}{place}-{stamp}.xlsx"


def household_list_xlsx_response(
    *, queryset: QuerySet[Household], condition, user: User, agency, filters: dict, several_regencies: bool,
    places: list[str],
):
    """Write the workbook to a temporary file, log the export, and stream the file.

    ``several_regencies`` is the list filter's own decision (``HouseholdFilter.several_regencies``),
    so the file has the Kabupaten/kota column exactly when the list page shows it."""
    target = tempfile.TemporaryFile(prefix="konut-export-", suffix=".xlsx")
    try:
        count = write_xlsx(
            target,
            sheet_title=_("Keluarga sasaran"),
            headers=export_headers(several_regencies=several_regencies),
            rows=export_rows(queryset, condition=condition, user=user, several_regencies=several_regencies),
            text_columns=TEXT_COLUMNS,
            amount_columns=export_amount_columns(several_regencies=several_regencies),
            widths=export_widths(several_regencies=several_regencies),
        )
        export_log_create(user=user, kind=ExportKind.HOUSEHOLD_LIST_XLSX, agency=agency, filters=filters, row_count=count)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return FileResponse(
        target,
        as_attachment=True,
        filename=export_filename(agency, places),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
