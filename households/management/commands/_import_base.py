"""What the import commands share: options, the terminal progress bar, output, exit codes.

Exit codes: 0 applied or previewed, 1 refused because of row errors (or failed half-way, in which
case nothing was written), 2 the file cannot be read, or a full extract would mark many families (or,
being older than the registry's data, any family) absent and ``--confirm-absent`` was not given.
"""

from __future__ import annotations

import json
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from households.imports.outcome import (
    APPLIED, FAILED, PREVIEWED, REFUSED, UNCONFIRMED, UNREADABLE, other_aid_line, other_program_line,
    other_program_problem_line,
)
from households.imports.plan import absent_warning
from households.imports.progress import Progress
from households.imports.services import run_file_import
from households.models import ImportKind, ImportStatus
from konut_registry.numbers import thousands

EXIT_CODES = {APPLIED: 0, PREVIEWED: 0, REFUSED: 1, FAILED: 1, UNREADABLE: 2, UNCONFIRMED: 2}
FILES_HELP = "Berkas .xlsx, .xlsm, .xls, .csv atau .txt"
_PHASES = {
    "read": "Membaca", "compare": "Membandingkan", "write": "Menulis", "aids": "Kepesertaan",
    "identity": "Duplikat identitas",
}


class TerminalProgress(Progress):
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, stream):
        self.stream = stream
        self.enabled = hasattr(stream, "isatty") and stream.isatty()
        self.name, self.total, self.done, self.last = "", 0, 0, 0.0

    def phase(self, name: str, total: int = 0) -> None:
        self._draw(force=True)
        if self.enabled and self.name:
            self.stream.write("\n")
        self.name, self.total, self.done = _PHASES.get(name, name), total, 0
        self._draw(force=True)

    def advance(self, count: int) -> None:
        self.done += count
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled or not self.name:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * 30)
            self.stream.write(f"\r{self.name:<14} [{bar:<30}] {thousands(self.done):>8}/{thousands(self.total)}")
        else:
            self.stream.write(f"\r{self.name:<14} {thousands(self.done):>8} baris")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.name:
            self._draw(force=True)
            self.stream.write("\n")


class ImportCommand(BaseCommand):
    kind = ""

    def add_common_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Pratinjau saja: tidak ada yang ditulis.")
        parser.add_argument("--json", action="store_true", help="Cetak ringkasan sebagai satu objek JSON di stdout.")
        parser.add_argument("--skip-invalid", action="store_true", help="Impor baris valid saja, lewati baris yang salah.")
        parser.add_argument("--user", help="Nama pengguna yang dicatat sebagai pengimpor.")
        parser.add_argument("--error-report", metavar="PATH", help="Simpan laporan kesalahan dan peringatan (.xlsx) ke berkas ini.")
        if self.kind != ImportKind.RECIPIENTS:
            parser.add_argument(
                "--confirm-absent", action="store_true",
                help=(
                    "Tetap terapkan ekstrak lengkap yang akan menandai lebih dari 5%% keluarga, atau (berkas lebih lama "
                    "dari data registri) keluarga mana pun, 'tidak ada di data terbaru'."
                ),
            )

    def run_import(self, *, paths, options, full_extract=True, data_year=None, extra=None) -> None:
        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"Pengguna '{options['user']}' tidak ada.", returncode=2)
        progress = TerminalProgress(sys.stderr)
        outcome = run_file_import(
            kind=self.kind, paths=paths, by=user, dry_run=options["dry_run"], skip_invalid=options["skip_invalid"],
            full_extract=full_extract, data_year=data_year, options=extra or {}, progress=progress,
            error_report=options.get("error_report"), scan_identities=True,
            confirm_absent=bool(options.get("confirm_absent")),
        )
        progress.close()
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            self._print(outcome, options)
        code = EXIT_CODES[outcome.status]
        if outcome.status == UNCONFIRMED:
            raise CommandError(
                outcome.message + " Jalankan lagi dengan --confirm-absent untuk tetap menandainya, atau dengan --partial "
                "untuk mengimpor tanpa menandai keluarga yang tidak ada di berkas.",
                returncode=code,
            )
        if code:
            # A refusal ends with its reason, whatever note the run had (printed above it).
            said = _refusal(outcome, dry_run=options["dry_run"]) if outcome.status == REFUSED else outcome.message
            raise CommandError(said or _refusal(outcome, dry_run=options["dry_run"]), returncode=code)

    def _print(self, outcome, options) -> None:
        data = outcome.as_json()
        if outcome.status == UNREADABLE:
            return
        title = "Pratinjau (tidak ada yang ditulis)" if options["dry_run"] else "Hasil impor"
        self.stdout.write(f"{title}: {_status_word(outcome.status)}" + (f", batch #{data['batch']}" if data["batch"] else ""))
        for label, key in (("Keluarga", "households"), ("Anggota", "members")):
            c = data[key]
            self.stdout.write(
                f"  {label}: baru {c['created']}, diubah {c['updated']}, tetap {c['unchanged']}, tidak ada di data baru {c['absent']}"
            )
        if "enrollments" in data:
            e = data["enrollments"]
            self.stdout.write(f"  Kepesertaan: baru {e['created']}, sudah ada {e['existing']}, konflik satu bantuan {e['conflicts']}")
            self._print_updates("Kepesertaan yang sudah ada diperbarui", e.get("updated"), e.get("updated_changes"))
        elif data.get("enrollments_planned"):
            existing = data.get("enrollments_existing")
            self.stdout.write(
                f"  Kepesertaan di berkas: {data['enrollments_planned']}" + (f", sudah ada {existing}" if existing else "")
            )
            self._print_updates(
                "Kepesertaan yang sudah ada akan diperbarui", data.get("enrollments_updated"), data.get("enrollment_changes")
            )
            self._print_forecast(data.get("conflicts_forecast"))
        self._print_other(data, applied="enrollments" in data)
        if "identity_duplicates" in data:
            self.stdout.write(f"  Duplikat identitas terbuka (perlu ditinjau): {data['identity_duplicates']}")
        self.stdout.write(f"  Kesalahan: {data['errors']}, peringatan: {data['warnings']}")
        if options["dry_run"] and "absent_check" in data:
            self.stdout.write("  Perlu konfirmasi (--confirm-absent): " + absent_warning(data["absent_check"]))
        self._print_unmapped(data)
        if outcome.plan is not None:
            issues = outcome.plan.issues
            for kind, found in (("kesalahan", issues.errors), ("peringatan", issues.warnings)):
                if found:
                    self.stdout.write(f"  {kind.capitalize()}:")
                for issue in found[:20]:
                    # Row 0 is the whole sheet (a sheet not read, a column): no "baris 0", no empty column.
                    where = issue.sheet + (f" baris {issue.row}" if issue.row else "") + (f", {issue.column}" if issue.column else "")
                    self.stdout.write(f"  - {where}: {issue.reason}")
                if len(found) > 20:
                    self.stdout.write(f"  ... dan {len(found) - 20} {kind} lain")
        if outcome.message:
            self.stdout.write(outcome.message)

    def _print_updates(self, title: str, count: int | None, changes: list[str] | None) -> None:
        """A recipient list's changes to enrollments already held (status from/to, amount)."""
        if not count:
            return
        self.stdout.write(f"  {title}: {count}")
        for change in changes or []:
            self.stdout.write(f"    - {change}")

    def _print_other(self, data: dict, *, applied: bool) -> None:
        """A recipient list's other aid columns and what they record, and its rows naming another
        program than the chosen one, not recorded."""
        if data.get("other_aid"):
            self.stdout.write(
                "  Kolom bantuan lain di daftar, " + ("dicatat" if applied else "akan dicatat")
                + " sebagai kepesertaan program itu:"
            )
            for item in data["other_aid"]:
                self.stdout.write(f"    - {other_aid_line(item)}")
        if data.get("other_programs"):
            self.stdout.write(f"  Baris program lain, tidak dicatat: {data['other_program_rows']}")
            for item in data["other_programs"]:
                self.stdout.write(f"    - {other_program_line(item)}")
                for problem in item.get("problems", ()):
                    self.stdout.write(f"      {other_program_problem_line(problem)}")

    def _print_forecast(self, forecast: dict | None) -> None:
        """The one-aid conflicts a recipient list would raise, and the first of its families they concern."""
        if not forecast:
            return
        self.stdout.write("  " + ngettext(
            "Konflik satu bantuan yang akan muncul: %(n)s, pada %(families)s keluarga di daftar yang akan menerima "
            "lebih dari satu bantuan tahun itu:",
            "Konflik satu bantuan yang akan muncul: %(n)s, pada %(families)s keluarga di daftar yang akan menerima "
            "lebih dari satu bantuan tahun itu:",
            forecast["count"],
        ) % {"n": thousands(forecast["count"]), "families": thousands(forecast["families"])})
        for family in forecast["named"]:
            self.stdout.write(f"    - {family}")
        if forecast["more"]:
            self.stdout.write("    " + ngettext("dan %(n)s keluarga lain", "dan %(n)s keluarga lain", forecast["more"]) % {
                "n": thousands(forecast["more"]),
            })

    def _print_unmapped(self, data: dict) -> None:
        """The columns and values no mapping placed: not read (an aid column's aid included) until
        they are mapped in the admin."""
        for column in data["unmapped_columns"]:
            what = "kolom bantuan" if column["aid"] else "kolom"
            self.stdout.write(f"  Tidak dikenali, tidak dibaca: {what} '{column['column']}' (lembar {column['sheet']})")
        for value in data["unmapped_values"][:20]:
            self.stdout.write(
                f"  Nilai tidak dikenali: '{value['value']}' di kolom {value['column']} ({value['rows']} baris)"
            )
        if data["unmapped_columns"] or data["unmapped_values"]:
            self.stdout.write("  Petakan di Admin, Pemetaan kolom impor / Pemetaan nilai impor.")


class ExtractCommand(ImportCommand):
    """A central-government extract (P3KE, DTKS, DTSEN): files, the data year, and whether the file is
    the whole extract (then what it leaves out is marked absent)."""

    year_help = "Tahun data (bawaan: tahun ini)."
    # What a full extract marks absent when it leaves it out ("keluarga", or "KK" for files by No KK).
    unit = "keluarga"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help=FILES_HELP)
        parser.add_argument("--year", type=int, help=self.year_help)
        parser.add_argument(
            "--partial", action="store_true",
            help=f"Bukan ekstrak lengkap: {self.unit} yang tidak ada di berkas tidak ditandai 'tidak ada di data terbaru'.",
        )
        self.add_common_arguments(parser)

    def handle(self, *args, **options):
        self.run_import(paths=options["files"], options=options, full_extract=not options["partial"], data_year=options["year"])


def _status_word(status: str) -> str:
    """An outcome's status as the batch pages name it ("pratinjau siap", "ditolak karena ada kesalahan");
    a full extract waiting for ``--confirm-absent`` "perlu konfirmasi" (no batch status of its own)."""
    label = "perlu konfirmasi" if status == UNCONFIRMED else str(ImportStatus(status).label)
    return label[:1].lower() + label[1:]


def _refusal(outcome, *, dry_run: bool) -> str:
    errors, rows = outcome.summary.get("errors", 0), outcome.summary.get("error_rows")
    found = f"{errors} kesalahan" + (f" di {rows} baris" if rows else "")
    if dry_run:
        return f"Pratinjau: impor berkas ini akan ditolak karena {found}. Tidak ada data yang diubah."
    return f"Impor ditolak: {found}. Tidak ada data yang diubah."
