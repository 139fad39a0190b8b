from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from programs.services import default_rules_load


class Command(BaseCommand):
    help = (
        "Memuat aturan sasaran bawaan (BSPS, RS-Rutilahu, SPAM, Sanimas, PKH, pupuk, bibit, nelayan, PIP, "
        "BLT Desa). Aturan yang sudah ada, termasuk yang telah diubah Bappeda, tidak ditimpa."
    )

    def handle(self, *args, **options):
        created = default_rules_load()
        self.stdout.write(_("Aturan sasaran bawaan dimuat: %(n)d aturan baru.") % {"n": created})
