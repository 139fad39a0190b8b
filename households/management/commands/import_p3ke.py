"""``manage.py import_p3ke FILE [FILE ...]``: a P3KE extract (one workbook, or the household and
individual sheets as two files) into the registry, with the same engine as the admin upload."""

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Impor ekstrak P3KE (lembar keluarga dan/atau individu, rilis 2022 atau 2023)."
    kind = "p3ke"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="Berkas .xlsx, .xls, .csv atau .txt")
        parser.add_argument("--year", type=int, help="Tahun data (bawaan: dari berkas; 2023 atau 2022).")
        parser.add_argument(
            "--partial", action="store_true",
            help="Bukan ekstrak lengkap: keluarga yang tidak ada di berkas tidak ditandai 'tidak ada di data terbaru'.",
        )
        self.add_common_arguments(parser)

    def handle(self, *args, **options):
        self.run_import(paths=options["files"], options=options, full_extract=not options["partial"], data_year=options["year"])
