"""The print view's and the list's table bodies, built in Python: 2,000 rows of twelve cells
through the template engine's variable lookups took seconds, and a list page of 200 rows with
their enrollments a quarter of a second; joining escaped strings takes a fraction of that. The
templates keep the page around them (header, legend, column heads, pagination)."""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from agencies.selectors import HISTORY_FIELDS
from agencies.templatetags.portal import format_rupiah, protect_identifier, protect_identifiers_in_text
from households.choices import AbsentReason
from programs.models import Enrollment, EnrollmentStatus, Program


def _address(row: dict) -> str:
    text = row["address"] or ""
    if row["rt"]:
        text += f" RT {row['rt']}"
    if row["rw"]:
        text += f"/RW {row['rw']}"
    return text


def _statuses() -> dict[str, str]:
    """Enrollment status labels in the active language (``get_status_display`` hashes every
    choice's lazy label on each call: a tenth of a second for a page of 200 rows)."""
    return {value: str(label) for value, label in EnrollmentStatus.choices}


def _enrollments_cell(enrollments, statuses: dict[str, str], none: str) -> str:
    if not enrollments:
        return none
    return "".join(
        f'<div class="enr"><span class="prog" title="{escape(e.program.name)}">{escape(e.program.name)}</span>'
        f' · {e.year} · <span class="badge status-{escape(e.status)}">{escape(statuses.get(e.status, e.status))}</span></div>'
        for e in enrollments
    )


def list_rows(households, user, *, back: str, may_distribute: bool, several_regencies: bool) -> SafeString:
    """``<tr>`` rows of the portal list from households of ``agencies.selectors.household_list_rows``;
    each head's name links to the detail page with ``back`` (the list's own path) to return to.
    Every value escaped."""
    statuses = _statuses()
    back_query = "?kembali=" + escape(quote(back))
    # Translated outside the f-strings below: makemessages does not look inside them.
    absent, none = escape(_("tidak ada di data terbaru")), escape(_("belum ada bantuan"))
    head_deceased = escape(_("kepala keluarga meninggal (verval)"))
    conflict_title, conflict_badge = escape(_("Ada konflik satu bantuan yang terbuka")), escape(_("Konflik"))
    absent = f' <span class="badge muted">{absent}</span>'
    head_deceased = f' <span class="badge muted">{head_deceased}</span>'
    # Why a verval found the family gone (``Household.absent_reason``); none known, the data left it out.
    absent_for = {value: f' <span class="badge muted">{escape(label)}</span>' for value, label in AbsentReason.choices}
    none = f'<span class="muted">{none}</span>'
    conflict = f'<span class="badge conflict" title="{conflict_title}">{conflict_badge}</span>'
    lines = []
    for household in households:
        name = escape(household.head_name)
        desa = household.desa
        cells = ['<tr class="has-conflict">' if household.has_open_conflict else "<tr>"]
        if may_distribute:
            label = _("Pilih %(name)s") % {"name": name}
            cells.append(
                f'<td class="check"><input type="checkbox" name="household" value="{household.pk}"'
                f' form="distribute-form" aria-label="{label}"></td>'
            )
        cells += [
            f'<td><a href="{reverse("agencies:household_detail", args=[household.pk])}{back_query}">{name}</a>',
            (head_deceased if household.head_deceased else absent_for.get(household.absent_reason, absent))
            if household.is_absent else "", "</td>",
            f'<td class="mono">{escape(protect_identifier(household.head_nik, user))}<br>'
            f'<span class="muted">{escape(protect_identifier(household.no_kk, user))}</span></td>',
            f"<td>{escape(desa.name)}</td><td>{escape(desa.kecamatan.name)}</td>",
        ]
        if several_regencies:
            cells.append(f"<td>{escape(desa.kecamatan.kabupaten.name)}</td>")
        cells += [
            f'<td class="num">{"–" if household.desil is None else household.desil}</td>',
            f"<td>{_enrollments_cell(household.listed_enrollments, statuses, none)}</td>",
            f"<td>{conflict if household.has_open_conflict else ''}</td></tr>",
        ]
        lines.append("".join(cells))
    return mark_safe("\n".join(lines))  # every value above is escaped


def print_rows(rows: list[dict], user, *, several_regencies: bool) -> SafeString:
    """``<tr>`` rows of the print table from ``agencies.selectors.household_print_rows``, numbered
    from 1, every value escaped."""
    conflict = escape(_("Ada"))
    statuses = _statuses()
    lines = []
    for number, row in enumerate(rows, start=1):
        enrollments = "; ".join(f"{program} {year} ({statuses.get(status, status)})" for program, year, status in row["enrollments"])
        cells = [
            "<td>", str(number), "</td><td>", escape(row["head_name"]),
            '</td><td class="mono">', escape(protect_identifier(row["head_nik"], user)),
            '</td><td class="mono">', escape(protect_identifier(row["no_kk"], user)),
            "</td><td>", escape(_address(row)), "</td><td>", escape(row["desa__name"]),
            "</td><td>", escape(row["desa__kecamatan__name"]),
        ]
        if several_regencies:
            cells += ["</td><td>", escape(row["desa__kecamatan__kabupaten__name"])]
        cells += [
            "</td><td>", "–" if row["desil"] is None else str(row["desil"]),
            "</td><td>", escape(enrollments), "</td><td>", conflict if row["has_open_conflict"] else "",
            '</td><td class="blank"></td>',
        ]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return mark_safe("\n".join(lines))  # every value above is escaped


def history_changes(records: list, user) -> list:
    """The history records of ``agencies.selectors.enrollment_history``, each with ``changes``:
    ``(field, old, new)`` as the page shows them (Rp 750.000, 20/11/2026, a status's label) for
    every field a change ("~") altered; empty for a creation or a save that altered none. A reason
    quoting a NIK or No KK shows it as ``user`` sees those numbers (masked for most roles)."""
    changed = []
    for record in records:
        previous = record.previous if record.history_type == "~" else None
        names = [name for name in HISTORY_FIELDS if previous is not None and previous[name] != getattr(record, name)]
        changed.append((record, previous, names))
    program_ids = {
        value for record, previous, names in changed if "program_id" in names
        for value in (previous["program_id"], record.program_id)
    }
    programs = dict(Program.objects.filter(pk__in=program_ids).values_list("pk", "name")) if program_ids else {}
    statuses = {value: str(label) for value, label in EnrollmentStatus.choices}

    def shown(name: str, value) -> str:
        if value is None or value == "":
            return "–"
        if name == "amount":
            return format_rupiah(value)
        if name == "status":
            return statuses.get(value, value)
        if name == "program_id":
            return programs.get(value, f"#{value}")
        if name in ("member_id", "household_id"):
            return f"#{value}"
        if name == "status_reason":
            return protect_identifiers_in_text(value, user)
        if isinstance(value, datetime.date):
            return value.strftime("%d/%m/%Y")
        return str(value)

    for record, previous, names in changed:
        record.changes = [
            (capfirst(Enrollment._meta.get_field(name.removesuffix("_id")).verbose_name),
             shown(name, previous[name]), shown(name, getattr(record, name)))
            for name in names
        ]
    return records
