from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from programs.reference import load_reference


class Command(BaseCommand):
    help = "Memuat data acuan Konawe Utara: 13 kecamatan, 170 desa/kelurahan, 14 OPD, program. Aman dijalankan berulang."

    def handle(self, *args, **options):
        created = load_reference()
        self.stdout.write(
            _("Data acuan dimuat: %(kec)d kecamatan, %(desa)d desa/kelurahan, %(opd)d OPD, %(prog)d program baru.")
            % {"kec": created.kecamatan, "desa": created.desa, "opd": created.agencies, "prog": created.programs}
        )
