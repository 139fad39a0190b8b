"""``manage.py import_dtsen FILE``: a DTSEN extract (one row per person, families by No KK, desil 1-10)."""

from ._import_base import ExtractCommand


class Command(ExtractCommand):
    help = (
        "Impor ekstrak DTSEN (satu baris per orang, keluarga dikelompokkan menurut No KK, desil nasional 1-10). "
        "Kolom atau nilai yang belum dikenal dipetakan di Admin, Pemetaan kolom/nilai impor."
    )
    kind = "dtsen"
    unit = "KK"
