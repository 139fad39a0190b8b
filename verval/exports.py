"""The verval workbooks: an officer's field list, and an approved batch's proposal file for
submission upward. Both are written by ``households.xlsx.write_xlsx`` with NIK, No KK and region
codes as text cells (Excel keeps all 16 digits), formula-like text neutralised, and every download
logged in the export log (the proposal also as a ``ProposalExport``, which remembers its cases).
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agencies.models import ExportKind
from agencies.services import export_log_create
from agencies.templatetags.portal import protect_identifier, protect_identifiers_in_text
from households.models import LIVING_CONDITION_FIELDS, Household
from households.xlsx import write_xlsx
from verval.models import VervalCase, proposal_type, ProposalType
from verval.selectors import families_continuing
from verval.services import proposal_export_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _labels(name: str) -> dict:
    return dict(Household._meta.get_field(name).choices)


def _stream(filename: str, *, title: str, headers, rows, text_columns, widths=None):
    target = tempfile.TemporaryFile(prefix="konut-verval-", suffix=".xlsx")
    try:
        count = write_xlsx(target, sheet_title=title, headers=headers, rows=rows, text_columns=text_columns, widths=widths)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return count, FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX)


def _date(value) -> str | None:
    return value.strftime("%d/%m/%Y") if value else None


def _members(household: Household, user) -> str:
    """The present members as the officer checks them at the door: name, relation, NIK (masked as
    on the officer's pages)."""
    return "; ".join(
        f"{m.name} ({m.get_relation_display() or '-'}, {protect_identifier(m.nik, user) or '-'})"
        for m in household.present_members
    )


def member_changes_text(case: VervalCase) -> str:
    """What the visit recorded of the family's members, as the batch page shows it: each member
    found gone with what became of them, then the names of the members to add."""
    found = case.member_findings()
    parts = [f"{c.name}: {c.get_change_display()}" for c in found.gone]
    if found.added:
        parts.append(f"{_('Anggota baru')}: {', '.join(c.name for c in found.added)}")
    return "; ".join(parts)


def field_list_response(*, cases: list[VervalCase], user):
    """An officer's cases for the field: who, where, why, and the columns the visit fills in (empty
    until it is recorded: the list is printed again after the visits, and for the finished cases)."""
    headers = [
        pgettext("row number", "No"), _("NIK Kepala Keluarga"), _("No KK"), _("Nama Kepala Keluarga"), _("Alamat"),
        _("Desa/Kelurahan"), _("Kecamatan"), _("Desil"), _("Jenis kandidat"), _("Alasan"), _("Berkas"),
        _("Anggota keluarga"), _("Keberadaan"), _("Perubahan anggota"), _("Kesimpulan"), _("Catatan"),
    ]
    rows = (
        [
            number, protect_identifier(case.household.head_nik, user), protect_identifier(case.household.no_kk, user),
            case.household.head_name, case.household.address or None, case.household.desa.name,
            case.household.desa.kecamatan.name, case.household.desil, case.get_kind_display(),
            protect_identifiers_in_text(case.reason, user),
            case.batch.title, _members(case.household, user) or None, case.get_presence_display() or None,
            member_changes_text(case) or None, case.get_verdict_display() or None,
            protect_identifiers_in_text(case.note, user) or None,
        ]
        for number, case in enumerate(cases, start=1)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    count, response = _stream(
        f"verval-{slugify(user.username)}-{stamp}.xlsx", title=_("Daftar kunjungan"), headers=headers, rows=rows,
        text_columns=(1, 2), widths=(6, 20, 20, 28, 28, 20, 16, 7, 24, 40, 30, 60, 16, 40, 16, 30),
    )
    export_log_create(user=user, kind=ExportKind.VERVAL_FIELD_LIST, agency=user.agency, row_count=count)
    return response


PROPOSAL_TYPE_LABELS = dict(ProposalType.choices)


def _ministry_language():
    """The proposal file goes to the ministry (SIKS-NG): always in the registry's language, whatever
    the language of who downloads it."""
    return translation.override(settings.LANGUAGE_CODE)


def proposal_headers() -> list[str]:
    with _ministry_language():
        return [
            pgettext("row number", "No"), _("NIK"), _("No KK"), _("Nama Kepala Keluarga"), _("Nama Anggota"),
            _("Kode Provinsi"), _("Kode Kabupaten/Kota"), _("Kode Kecamatan"), _("Kode Desa/Kelurahan"),
            _("Desa/Kelurahan"), _("Jenis Usulan"), _("Alasan"), _("Keberadaan"), _("Kesimpulan"),
            _("Variabel Terverifikasi"), _("Perubahan Anggota"), _("Anggota Baru"), _("Petugas"), _("Tanggal Kunjungan"),
            _("Tanggal Musyawarah Desa"),
            _("Tanggal Verifikasi Dinas Sosial"), _("Tanggal Pengesahan"),
        ]


def _verified_variables(case: VervalCase) -> str:
    parts = []
    for name in LIVING_CONDITION_FIELDS:
        value = getattr(case, name)
        if value:
            label = Household._meta.get_field(name).verbose_name
            parts.append(f"{capfirst(label)}: {_labels(name).get(value, value)}")
    return "; ".join(parts)


def _member_changes(case: VervalCase) -> tuple[str, str]:
    """The members the visit found gone (name and NIK, by which the ministry knows them: what became
    of them) and those it found missing (name, NIK, relation, sex, birth date)."""
    found = case.member_findings()
    gone = "; ".join(f"{c.name} ({_('NIK')} {c.nik or '-'}): {c.get_change_display()}" for c in found.gone)
    added = "; ".join(
        f"{c.name} ({_('NIK')} {c.nik or '-'}, {c.get_relation_display() or '-'}, {c.get_sex_display() or '-'}, "
        f"{_date(c.birth_date) or '-'})"
        for c in found.added
    )
    return gone, added


def proposal_rows(batch, cases: list[VervalCase]):
    """The file's rows; whether each family whose head died carries on is read for all the cases at
    once, on the record it is kept on now (as the batch page shows it)."""
    continuing = families_continuing(cases)
    for number, case in enumerate(cases, start=1):
        with _ministry_language():  # closed before each yield: the caller's language is the user's
            row = _proposal_row(batch, case, number, continues=continuing[case.pk])
        yield row


def _proposal_row(batch, case: VervalCase, number: int, *, continues: bool) -> list:
    household = case.household
    code = household.desa.code.split(".")
    members = "; ".join(m.name for m in household.members.all() if not m.is_absent)
    officer = case.officer.get_full_name() or case.officer.username if case.officer else ""
    return [
        number, household.head_nik, household.no_kk, household.head_name, members or None,
        code[0], ".".join(code[:2]), ".".join(code[:3]), household.desa.code, household.desa.name,
        str(PROPOSAL_TYPE_LABELS[proposal_type(case, continues=continues)]), f"{case.reason}. {case.note}".strip(". ") or None,
        case.get_presence_display(), case.get_verdict_display(), _verified_variables(case) or None,
        *(text or None for text in _member_changes(case)), officer,
        _date(case.visited_on), _date(batch.deliberation_date),
        _date(timezone.localtime(batch.verified_at)) if batch.verified_at else None,
        _date(timezone.localtime(batch.approved_at)) if batch.approved_at else None,
    ]


def proposal_response(*, batch, by):
    """The approved batch's proposals: one row per case, NIK and codes as text; remembered as sent."""
    cases = list(
        batch.cases.select_related("household__desa", "officer").prefetch_related("household__members", "member_changes")
        .order_by("id")
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"usulan-verval-{batch.pk}-{stamp}.xlsx"
    with _ministry_language():
        title = _("Usulan verval")
    count, response = _stream(
        filename, title=title, headers=proposal_headers(), rows=proposal_rows(batch, cases),
        text_columns=(1, 2, 5, 6, 7, 8),
        widths=(6, 20, 20, 28, 40, 8, 10, 12, 16, 20, 16, 50, 14, 14, 50, 40, 50, 22, 14, 14, 14, 14),
    )
    proposal_export_record(batch=batch, cases=cases, by=by, filename=filename)
    return response
