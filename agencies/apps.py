from axes import apps as axes_apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "agencies"
    verbose_name = _("OPD dan pengguna")


class LoginThrottleConfig(axes_apps.AppConfig):
    """django-axes (failed logins, locks), under a name the admin shows in Indonesian; installed as
    ``agencies.apps.LoginThrottleConfig`` in place of ``axes``."""

    default = False
    verbose_name = _("Pembatasan masuk")
