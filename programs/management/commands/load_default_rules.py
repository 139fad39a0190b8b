from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from programs.targeting import load_default_rules


class Command(BaseCommand):
    help = (
        "Memuat aturan sasaran bawaan (BSPS, RS-Rutilahu, SPAM, Sanimas, PKH, pupuk, bibit, nelayan, PIP, "
        "BLT Desa). Aturan yang sudah ada, termasuk yang telah diubah Bappeda, tidak ditimpa."
    )

    def handle(self, *args, **options):
        created = load_default_rules()
        self.stdout.write(_("Aturan sasaran bawaan dimuat: %(n)d aturan baru.") % {"n": created})
