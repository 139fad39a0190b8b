"""``manage.py import_dtks FILE``: a DTKS extract (one row per person, families by Nomor KK)."""

from ._import_base import ExtractCommand


class Command(ExtractCommand):
    help = "Impor ekstrak DTKS (satu baris per orang, keluarga dikelompokkan menurut Nomor KK)."
    kind = "dtks"
    unit = "KK"
