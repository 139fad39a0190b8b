"""``manage.py import_recipients FILE --program CODE --year YYYY``: an agency's list of who received
its aid, as enrollments (program and year may instead come from the file's columns)."""

from ._import_base import FILES_HELP, ImportCommand


class Command(ImportCommand):
    help = "Impor daftar penerima bantuan dari OPD menjadi kepesertaan program."
    kind = "recipients"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help=FILES_HELP)
        parser.add_argument("--program", help="Kode program (mis. pkh, bsps); bawaan: kolom PROGRAM/BANSOS.")
        parser.add_argument("--year", type=int, help="Tahun; bawaan: kolom TAHUN/PERIODE.")
        self.add_common_arguments(parser)

    def handle(self, *args, **options):
        extra = {
            "program": options["program"], "year": options["year"],
            # What a list without a program column is told to do here (the upload page names its field).
            "choose_program": "Pilih program yang diterima seluruh daftar dengan pilihan --program (mis. --program pkh)",
        }
        self.run_import(paths=options["files"], options=options, full_extract=False, data_year=options["year"], extra=extra)
