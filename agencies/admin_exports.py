"""django-import-export's admin exports, logged: the enrollments' export carries every NIK and
No KK out of the building, like the portal's and verval's files, which are logged too."""

from __future__ import annotations

from django.utils import timezone
from django.utils.text import capfirst

from agencies.models import ExportKind
from agencies.selectors import search_text_kept
from agencies.services import export_log_create
from konut_registry.admin_search import searched_filters


class LoggedExportMixin:
    """Put before django-import-export's ``ExportMixin`` (or ``ImportExportMixin``) on a ModelAdmin:
    every file its export builds, from the export page or an admin action, is logged with the user,
    the model, the list's filters (a full NIK or No KK searched, masked, also when the address has its token) and the number of rows.
    ``get_data_for_export`` is the step every export path of the add-on (4.x) goes through."""

    def get_export_filename(self, request, queryset, file_format):
        """Named after the list in the user's language ("Kepesertaan-2026-12-01.xlsx"), not the
        model's class ("Enrollment-...")."""
        name = "-".join(capfirst(str(self.opts.verbose_name_plural)).split())
        return f"{name}-{timezone.localdate().isoformat()}.{file_format.get_extension()}"

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        # A number searched is in the address as its token (``konut_registry.admin_search``): the log
        # keeps the search, masked, as for a search typed in the address.
        searched = searched_filters(request, request.GET) or request.GET
        filters = {key: search_text_kept(value) for key, value in searched.items()}
        export_log_create(
            user=request.user, kind=ExportKind.ADMIN_EXPORT, filters={"model": self.opts.label_lower, **filters},
            row_count=len(data),
        )
        return data
