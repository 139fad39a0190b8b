"""The print view's table body, built in Python from plain values: 2,000 rows of twelve cells
through the template engine's variable lookups took seconds; joining escaped strings takes a
fraction of that. The template keeps the page around it (header, legend, column heads)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from agencies.templatetags.portal import protect_identifier
from programs.models import EnrollmentStatus


def _address(row: dict) -> str:
    text = row["address"] or ""
    if row["rt"]:
        text += f" RT {row['rt']}"
    if row["rw"]:
        text += f"/RW {row['rw']}"
    return text


def print_rows(rows: list[dict], user, *, several_regencies: bool) -> SafeString:
    """``<tr>`` rows of the print table from ``agencies.selectors.household_print_rows``, numbered
    from 1, every value escaped."""
    conflict = escape(_("Ada"))
    statuses = {value: str(label) for value, label in EnrollmentStatus.choices}
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
