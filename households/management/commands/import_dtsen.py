"""``manage.py import_dtsen FILE``: a DTSEN extract (one row per person, families by No KK, desil 1-10)."""

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = (
        "Impor ekstrak DTSEN (satu baris per orang, keluarga dikelompokkan menurut No KK, desil nasional 1-10). "
        "Kolom atau nilai yang belum dikenal dipetakan di Admin, Pemetaan kolom/nilai impor."
    )
    kind = "dtsen"

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
