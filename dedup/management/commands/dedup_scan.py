"""``manage.py dedup_scan [--json]``: re-check the whole registry against the one-aid rule and look
for identity duplicates. Idempotent: a second run reports nothing new."""

import json
import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dedup.models import ConflictRule, IdentityKind
from dedup.services import conflicts_scan, identity_scan


class Command(BaseCommand):
    help = "Memeriksa ulang seluruh registri: konflik satu bantuan dan duplikat identitas. Aman dijalankan berulang."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="cetak hasil sebagai JSON")
        parser.add_argument("--no-identity", action="store_true", help="lewati pencarian duplikat identitas")

    def handle(self, *args, **options):
        started = time.perf_counter()
        conflicts = conflicts_scan()
        conflict_seconds = time.perf_counter() - started
        identities = None
        identity_seconds = 0.0
        if not options["no_identity"]:
            started = time.perf_counter()
            identities = identity_scan()
            identity_seconds = time.perf_counter() - started

        if options["json"]:
            report = {
                "conflicts": {**conflicts.as_dict(), "seconds": round(conflict_seconds, 3)},
                "identity": (
                    {**identities.as_dict(), "seconds": round(identity_seconds, 3)} if identities is not None else None
                ),
            }
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return

        self.stdout.write(
            ngettext(
                "Konflik satu bantuan: %(new)d baru, %(reopened)d dibuka kembali, %(existing)d sudah ada, "
                "%(closed)d ditutup otomatis; %(open)d terbuka (%(seconds).1f detik).",
                "Konflik satu bantuan: %(new)d baru, %(reopened)d dibuka kembali, %(existing)d sudah ada, "
                "%(closed)d ditutup otomatis; %(open)d terbuka (%(seconds).1f detik).",
                conflicts.new,
            )
            % {
                "new": conflicts.new, "reopened": conflicts.reopened, "existing": conflicts.existing_open,
                "closed": conflicts.closed, "open": conflicts.open_total, "seconds": conflict_seconds,
            }
        )
        for rule, label in ConflictRule.choices:
            self.stdout.write(f"  {label}: {conflicts.open_by_rule.get(rule, 0)}")
        if identities is not None:
            self.stdout.write(
                ngettext(
                    "Duplikat identitas: %(new)d baru, %(closed)d ditutup otomatis, %(reopened)d dibuka kembali; "
                    "%(open)d terbuka (%(seconds).1f detik).",
                    "Duplikat identitas: %(new)d baru, %(closed)d ditutup otomatis, %(reopened)d dibuka kembali; "
                    "%(open)d terbuka (%(seconds).1f detik).",
                    identities.new,
                )
                % {
                    "new": identities.new, "closed": identities.closed, "reopened": identities.reopened,
                    "open": identities.open_total, "seconds": identity_seconds,
                }
            )
            for kind, label in IdentityKind.choices:
                self.stdout.write(
                    "  " + _("%(kind)s: %(n)d baru") % {"kind": label, "n": identities.by_kind.get(kind, 0)}
                )
