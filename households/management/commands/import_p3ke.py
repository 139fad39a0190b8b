"""``manage.py import_p3ke FILE [FILE ...]``: a P3KE extract (one workbook, or the household and
individual sheets as two files) into the registry, with the same engine as the admin upload."""

from ._import_base import ExtractCommand


class Command(ExtractCommand):
    help = "Impor ekstrak P3KE (lembar keluarga dan/atau individu, rilis 2022 atau 2023)."
    kind = "p3ke"
    year_help = "Tahun data (bawaan: dari berkas; 2023 atau 2022)."
