"""The admin's app config: Django's admin, served by the project's site
(``konut_registry.admin_autocomplete.KonutAdminSite``)."""

from django.contrib.admin.apps import AdminConfig


class KonutAdminConfig(AdminConfig):
    default_site = "konut_registry.admin_autocomplete.KonutAdminSite"
