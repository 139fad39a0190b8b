from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dedup"
    verbose_name = _("Satu keluarga satu bantuan")
