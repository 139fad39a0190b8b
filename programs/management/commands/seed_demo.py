from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from programs.demo import DEMO_PASSWORD, ensure_demo_users, seed_demo


class Command(BaseCommand):
    help = "Membuat registri contoh (sintetis, deterministik) beserta pengguna demo. Aman dijalankan berulang."

    def add_arguments(self, parser):
        parser.add_argument("--families", type=int, default=3000, help="jumlah keluarga (bawaan 3000)")
        parser.add_argument("--seed", type=int, default=2023, help="benih acak; benih lain = keluarga lain")
        parser.add_argument("--year", type=int, default=2024, help="tahun kepesertaan contoh")
        parser.add_argument("--no-users", action="store_true", help="tanpa pengguna demo")

    def handle(self, *args, families, seed, year, no_users, **options):
        counts = seed_demo(families=families, seed=seed, year=year, users=False)
        if counts.households:
            self.stdout.write(
                _("Registri contoh dibuat: %(hh)d keluarga, %(m)d anggota, %(e)d kepesertaan, %(c)d konflik satu bantuan.")
                % {"hh": counts.households, "m": counts.members, "e": counts.enrollments, "c": counts.conflicts}
            )
        else:
            self.stdout.write(_("Registri contoh untuk benih ini sudah ada; tidak ada yang ditambahkan."))
        if no_users:
            return
        if not getattr(settings, "DEMO_USERS_ENABLED", False):
            self.stdout.write(_("Pengguna demo hanya dibuat pada pengaturan pengembangan."))
            return
        users = ensure_demo_users()
        self.stdout.write(_("Pengguna demo (kata sandi: %(pw)s):") % {"pw": DEMO_PASSWORD})
        for username, role, agency in users:
            self.stdout.write(f"  {username:<24} {role:<22} {agency}")
