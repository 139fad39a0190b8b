"""What a run of an import reports: its status and summary, for the commands, the task and the admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from households.models import ImportBatch

from .plan import members_kept_notice

if TYPE_CHECKING:
    from .plan import ImportPlan

# The outcome of a run, as the commands' exit codes and the admin messages use it. UNCONFIRMED: a
# full extract whose absent marks need a confirmation that was not given (nothing written).
PREVIEWED, APPLIED, REFUSED, UNREADABLE, FAILED = "previewed", "applied", "refused", "unreadable", "failed"
UNCONFIRMED = "unconfirmed"


@dataclass
class ImportOutcome:
    status: str
    summary: dict = field(default_factory=dict)
    message: str = ""
    batch: ImportBatch | None = None
    plan: ImportPlan | None = None

    def as_json(self) -> dict:
        data = {
            "status": self.status,
            "households": self.summary.get("households", _zero_counts()),
            "members": self.summary.get("members", _zero_counts()),
            "errors": self.summary.get("errors", 0),
            "warnings": self.summary.get("warnings", 0),
            "batch": self.batch.pk if self.batch is not None and self.batch.pk else None,
        }
        for key in ("enrollments", "enrollments_planned", "enrollments_existing", "enrollments_updated",
                    "enrollment_changes", "rows", "error_rows", "warning_rows",
                    "data_year", "same_as_batch", "identity_duplicates",
                    "identity_scan_failed", "skipped_rows", "absent_check", "new_identity_duplicates", "aid_no_longer_stated",
                    "members_kept", "conflicts_forecast", "recognised_by_head_nik", "households_newer",
                    "households_kept", "kept_ranking", "regencies_covered", "other_aid", "other_programs",
                    "other_program_rows"):
            if key in self.summary:
                data[key] = self.summary[key]
        # What no mapping placed, always said (an empty list means every column and value was known).
        data["unmapped_columns"] = self.summary.get("unmapped_columns", [])
        data["unmapped_values"] = self.summary.get("unmapped_values", [])
        if self.message:
            data["message"] = self.message
        return data


def _zero_counts() -> dict:
    return {"created": 0, "updated": 0, "unchanged": 0, "absent": 0}


def applied_message(summary: dict) -> str:
    """What an applied import did, in one or two sentences: households and members created,
    updated and marked absent; enrollments created and the one-aid conflicts raised; the rows
    skipped as unchanged since the last import."""
    def n(value) -> str:
        return number_format(value or 0, force_grouping=True)

    households, members = summary.get("households") or {}, summary.get("members") or {}
    enrollments = summary.get("enrollments") or {}
    parts = []
    if any(c.get(k) for c in (households, members) for k in ("created", "updated", "absent")):
        parts.append(
            _(
                "Diimpor: keluarga %(hc)s baru, %(hu)s diubah, %(ha)s ditandai tidak ada di data terbaru; anggota "
                "keluarga %(mc)s baru, %(mu)s diubah, %(ma)s ditandai tidak ada."
            )
            % {
                "hc": n(households.get("created")), "hu": n(households.get("updated")), "ha": n(households.get("absent")),
                "mc": n(members.get("created")), "mu": n(members.get("updated")), "ma": n(members.get("absent")),
            }
        )
    parts.append(recognised_message(summary))
    if enrollments.get("created") or enrollments.get("conflicts"):
        parts.append(
            _("Kepesertaan: %(created)s baru, %(existing)s sudah ada; %(conflicts)s konflik satu bantuan.")
            % {
                "created": n(enrollments.get("created")), "existing": n(enrollments.get("existing")),
                "conflicts": n(enrollments.get("conflicts")),
            }
        )
    if enrollments.get("updated"):
        parts.append(
            _("Kepesertaan yang sudah ada: %(n)s diperbarui dari daftar penerima.") % {"n": n(enrollments["updated"])}
        )
    if enrollments.get("held"):
        parts.append(
            ngettext(
                "%(n)s kepesertaan yang sudah ada tidak diubah karena statusnya; lihat peringatan.",
                "%(n)s kepesertaan yang sudah ada tidak diubah karena statusnya; lihat peringatan.",
                enrollments["held"],
            ) % {"n": n(enrollments["held"])}
        )
    parts = [part for part in parts if part]
    if not parts:
        parts.append(_("Tidak ada perubahan."))
    if summary.get("members_kept"):
        parts.append(members_kept_notice(summary["members_kept"]))
    parts.append(newer_message(summary))
    parts.append(kept_message(summary))
    parts.append(covered_message(summary))
    parts += summary.get("aid_no_longer_stated") or []
    if summary.get("skipped_rows"):
        parts.append(
            ngettext(
                "%(n)s baris tidak berubah sejak impor terakhir dan dilewati.",
                "%(n)s baris tidak berubah sejak impor terakhir dan dilewati.",
                summary["skipped_rows"],
            ) % {"n": n(summary["skipped_rows"])}
        )
    return " ".join(part for part in parts if part)


def family_notes(summary: dict) -> str:
    """What the preview says of the file's families beyond the counts (``recognised_message``,
    ``newer_message``, ``kept_message``, ``covered_message``)."""
    parts = (recognised_message(summary), newer_message(summary), kept_message(summary), covered_message(summary))
    return " ".join(part for part in parts if part)


def newer_message(summary: dict) -> str:
    """How many of the file's families the registry holds from newer data, left as they are
    (``compare.NEWER_FAMILY``), or "": said by the preview and by the import."""
    count = summary.get("households_newer")
    if not count:
        return ""
    return ngettext(
        "%(n)s keluarga di registri lebih baru dari berkas ini: datanya tidak diubah dari berkas ini, hanya kolom "
        "yang kosong diisi (lihat peringatan).",
        "%(n)s keluarga di registri lebih baru dari berkas ini: datanya tidak diubah dari berkas ini, hanya kolom "
        "yang kosong diisi (lihat peringatan).",
        count,
    ) % {"n": number_format(count, force_grouping=True)}


def kept_message(summary: dict) -> str:
    """How many families a full extract lacks and leaves unmarked, as the registry holds them from
    data newer than the file's (``compare._held_newer``), or "": said by the preview and by the import."""
    count = summary.get("households_kept")
    if not count:
        return ""
    # Which newer data: its year, and the desil ranking newer than the file's that kept some.
    newer = [_("tahun %(year)s") % {"year": summary.get("data_year")}]
    if ranking := summary.get("kept_ranking"):
        newer.append(_("peringkat desil %(ranking)s") % {"ranking": ranking})
    return ngettext(
        "%(n)s keluarga yang tidak ada di berkas ini tidak ditandai tidak ada: data keluarga itu di registri lebih "
        "baru dari berkas ini (%(newer)s).",
        "%(n)s keluarga yang tidak ada di berkas ini tidak ditandai tidak ada: data keluarga itu di registri lebih "
        "baru dari berkas ini (%(newer)s).",
        count,
    ) % {"n": number_format(count, force_grouping=True), "newer": ", ".join(newer)}


def covered_message(summary: dict) -> str:
    """Which regencies a file (a full extract or a partial one) covers, when several are loaded and
    it leaves some out (``compare._covered_regencies``), or "": "Berkas ini hanya memuat Kabupaten
    Kolaka: keluarga di 16 kabupaten/kota lain tidak diubah." Said by the preview, the
    confirmation and the import."""
    covered = summary.get("regencies_covered")
    if not covered or not covered["others"]:
        return ""
    return ngettext(
        "Berkas ini hanya memuat %(names)s: keluarga di %(n)s kabupaten/kota lain tidak diubah.",
        "Berkas ini hanya memuat %(names)s: keluarga di %(n)s kabupaten/kota lain tidak diubah.",
        covered["others"],
    ) % {"names": ", ".join(covered["names"]), "n": number_format(covered["others"], force_grouping=True)}


def covered_regencies(summary) -> str | None:
    """The regencies a batch covered, for the lists of batches where several regencies are loaded:
    their names, "every regency", or None when it did not record them (a recipient list, a file not
    read, one imported while a single regency was loaded). Read from the batch's own summary."""
    covered = summary.get("regencies_covered") if isinstance(summary, dict) else None
    if not covered:
        return None
    return ", ".join(covered["names"]) if covered["others"] else _("Semua kabupaten/kota")


def recognised_message(summary: dict) -> str:
    """How many of a DTKS or DTSEN file's families are families the registry held without a No KK
    (``attach``), or "": said by the preview and by the import."""
    count = summary.get("recognised_by_head_nik")
    if not count:
        return ""
    return ngettext(
        "%(n)s keluarga dikenali dari NIK kepala keluarga: keluarga di registri tanpa No KK (dari P3KE) "
        "diperbarui dan mendapat No KK dari berkas, tidak dibuat dua kali.",
        "%(n)s keluarga dikenali dari NIK kepala keluarga: keluarga di registri tanpa No KK (dari P3KE) "
        "diperbarui dan mendapat No KK dari berkas, tidak dibuat dua kali.",
        count,
    ) % {"n": number_format(count, force_grouping=True)}


def other_aid_line(item: dict) -> str:
    """One of a recipient list's other aid columns and what it records (``RecipientPlan.other_aid``):
    "PENERIMA PKH: PKH 2024, 2 baru, 1 sudah ada"."""
    if not item["new"] and not item["existing"]:
        return _("%(columns)s: %(aid)s, tidak ada yang menerima") % item
    line = _("%(columns)s: %(aid)s, %(new)s baru") % item
    if item["existing"]:
        line += _(", %(existing)s sudah ada") % item
    return line


def other_program_line(item: dict) -> str:
    """The rows of a recipient list naming one other program than the chosen one, not recorded
    (``RecipientPlan.other_programs``): "'BPNT' (Program Sembako (BPNT)): baris 3, 7 (lembar Sheet1)"."""
    rows = ", ".join(str(row) for row in item["rows"])
    more = item["count"] - len(item["rows"])
    if more > 0:
        rows += " " + ngettext("dan %(n)s lainnya", "dan %(n)s lainnya", more) % {"n": more}
    program = item["program"] or _("tidak dikenal di registri")
    return _("'%(value)s' (%(program)s): baris %(rows)s (lembar %(sheet)s)") % {
        "value": item["value"], "program": program, "rows": rows, "sheet": item["sheet"],
    }


def other_program_problem_line(problem: dict) -> str:
    """What is wrong on a row of another program, not recorded and so not refusing the list
    (``RecipientPlan.other_programs``): "baris 4, NOKK '740901231113000': No KK harus 16 digit ..."."""
    return _("baris %(row)s, %(column)s '%(value)s': %(reason)s") % problem
