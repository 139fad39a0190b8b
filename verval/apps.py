from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VervalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "verval"
    verbose_name = _("Verifikasi dan validasi lapangan (verval)")
