import json

from django.core.management.base import BaseCommand
from django.utils.formats import number_format

from programs.candidates import candidate_counts


class Command(BaseCommand):
    help = (
        "Mencetak jumlah kandidat verval per jenis (inclusion, exclusion, absent_enrolled, incomplete): "
        "angka yang sama dengan dasbor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Cetak sebagai JSON.")

    def handle(self, *args, **options):
        counts = candidate_counts()
        if options["json"]:
            self.stdout.write(json.dumps({item.kind: item.count for item in counts}))
            return
        width = max(len(item.kind) for item in counts)
        for item in counts:
            self.stdout.write(f"{item.kind.ljust(width)}  {number_format(item.count, force_grouping=True):>10}  {item.label}")
