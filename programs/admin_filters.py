"""List filters by program data that other apps' admins use: which OPD runs the program of a row.

Which agency runs a program is programs' knowledge (``Program.agency``); an admin of rows that
reach programs through their enrollments (the dedup app's conflicts) filters by OPD through this
filter, and so needs to know nothing about agencies.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from households.admin_regions import on_any
from konut_registry.admin_filters import is_database_id


class ProgramAgencyFilter(admin.SimpleListFilter):
    """Rows whose program, on any of ``program_fields``, is run by the chosen OPD."""

    title = _("OPD")
    parameter_name = "opd"
    program_fields: tuple[str, ...] = ("program",)

    @classmethod
    def on(cls, *program_fields: str) -> type[ProgramAgencyFilter]:
        """This filter over the programs at these lookup paths (e.g. both enrollments of a conflict)."""
        return type(cls.__name__, (cls,), {"program_fields": program_fields})

    def lookups(self, request, model_admin):
        return list(Agency.objects.filter(is_coordinator=False).order_by("order", "name").values_list("id", "short_name"))

    def queryset(self, request, queryset):
        if not is_database_id(self.value()):
            return queryset
        return queryset.filter(on_any(self.program_fields, "agency_id", self.value()))
