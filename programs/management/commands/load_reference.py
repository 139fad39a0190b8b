from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from households.regions import covered_area, covered_region, is_covered, uncovered_warning
from households.wilayah import RegionCodeError, normalize_region_code, region_names
from programs.reference import load_reference


class Command(BaseCommand):
    # The system checks would say, before loading, what the command says after it (households.W001).
    requires_system_checks = []
    help = (
        "Memuat data acuan: wilayah KONUT_WILAYAH (satu kabupaten/kota, mis. 74.09, atau satu provinsi, mis. 74) "
        "dari daftar Kemendagri, OPD, program dan aturan sasaran bawaan program. Aman dijalankan berulang; tidak "
        "mengubah suntingan setempat."
    )

    def add_arguments(self, parser):
        where = (
            "Kode provinsi atau kabupaten/kota Kemendagri di dalam KONUT_WILAYAH (mis. 74.02 bila KONUT_WILAYAH=74); "
            "bawaan: KONUT_WILAYAH dari pengaturan."
        )
        parser.add_argument("kode", nargs="?", metavar="KODE", help=where)
        parser.add_argument("--wilayah", help=where)

    def handle(self, *args, **options):
        given = [code for code in (options.get("kode"), options.get("wilayah")) if code]
        if len(set(given)) > 1:
            raise CommandError(_("Sebutkan satu kode wilayah saja: %(codes)s.") % {"codes": " dan ".join(given)})
        code = given[0] if given else settings.KONUT_WILAYAH
        try:
            region = region_names(code)[0]
            if given:
                self._check_within_the_area(code, region)
            created = load_reference(wilayah=code)
        except RegionCodeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "Data acuan %(region)s dimuat: %(kab)d kabupaten/kota, %(kec)d kecamatan, %(desa)d desa/kelurahan, "
                "%(opd)d OPD, %(prog)d program baru (%(local)d program daerah, %(national)d program nasional), "
                "%(rules)d aturan sasaran bawaan baru."
            )
            % {
                "region": region, "kab": created.kabupaten, "kec": created.kecamatan, "desa": created.desa,
                "opd": created.agencies, "prog": created.programs, "local": created.local_programs,
                "national": created.national_programs, "rules": created.rules,
            }
        )
        if warning := uncovered_warning():
            self.stdout.write(self.style.WARNING(warning))

    def _check_within_the_area(self, code: str, region: str) -> None:
        """A code given to the command loads part of the covered area (a regency of the province
        ``KONUT_WILAYAH`` names): the titles, the leadership account and the time zone follow the
        setting, so a region outside it would be loaded under another area's name."""
        code = normalize_region_code(code)
        if is_covered(code):
            return
        area = covered_area()
        both = ""
        if code[:2] == area[:2]:
            both = _(" (atau kode provinsinya, %(province)s, untuk mencakup keduanya)") % {"province": code[:2]}
        raise CommandError(_(
            "%(region)s (%(code)s) di luar wilayah KONUT_WILAYAH (%(area)s): judul, akun pimpinan dan zona waktu "
            "mengikuti KONUT_WILAYAH. Untuk memuat %(region)s, atur KONUT_WILAYAH=%(code)s%(both)s, lalu jalankan "
            "load_reference lagi."
        ) % {"region": region, "code": code, "area": covered_region()[0], "both": both})
