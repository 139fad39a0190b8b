"""``manage.py import_dtks FILE``: a DTKS extract (one row per person, families by Nomor KK)."""

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Impor ekstrak DTKS (satu baris per orang, keluarga dikelompokkan menurut Nomor KK)."
    kind = "dtks"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="Berkas .xlsx, .xls, .csv atau .txt")
        parser.add_argument("--year", type=int, help="Tahun data (bawaan: tahun ini).")
        parser.add_argument(
            "--partial", action="store_true",
            help="Bukan ekstrak lengkap: KK yang tidak ada di berkas tidak ditandai 'tidak ada di data terbaru'.",
        )
        self.add_common_arguments(parser)

    def handle(self, *args, **options):
        self.run_import(paths=options["files"], options=options, full_extract=not options["partial"], data_year=options["year"])
