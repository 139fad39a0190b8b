from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from households.wilayah import RegionCodeError, region_names
from programs.reference import load_reference


class Command(BaseCommand):
    help = (
        "Memuat data acuan: wilayah KONUT_WILAYAH (satu kabupaten/kota, mis. 74.09, atau satu provinsi, mis. 74) "
        "dari daftar Kemendagri, OPD, program dan aturan sasaran bawaan program. Aman dijalankan berulang; tidak "
        "mengubah suntingan setempat."
    )

    def add_arguments(self, parser):
        where = "Kode provinsi atau kabupaten/kota Kemendagri (mis. 74 atau 74.09); bawaan: KONUT_WILAYAH dari pengaturan."
        parser.add_argument("kode", nargs="?", metavar="KODE", help=where)
        parser.add_argument("--wilayah", help=where)

    def handle(self, *args, **options):
        given = [code for code in (options.get("kode"), options.get("wilayah")) if code]
        if len(set(given)) > 1:
            raise CommandError(_("Sebutkan satu kode wilayah saja: %(codes)s.") % {"codes": " dan ".join(given)})
        code = given[0] if given else settings.KONUT_WILAYAH
        try:
            region = region_names(code)[0]
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
