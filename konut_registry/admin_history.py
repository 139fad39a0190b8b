"""The admin's change history ("Riwayat"), read-only.

django-simple-history's admin lets anyone who may *view* an object's history POST an old version
back ("revert"), and saves it through ``save_model`` without checking the change permission. Here
that would write past the services: a decided identity duplicate reverted to "open" with its
decision erased, a compatible pair "reverted" into a crash. The history pages of this registry show
who changed what and when; changes are made on the change pages, through the services.

Its views also pass the id from the URL straight to the database: ``.../abc/history/`` was a 500.

The list of changes shows what a user reads on the change page: a choice's label ("Diusulkan ->
Aktif", not "proposed -> active"), "Ya"/"Tidak" for a yes/no field, a date as the page writes it
(01/07/2025, not 2025-07-01), and an empty cell for an empty value or a missing change reason (not
the text "None"). A change form saved unchanged adds no row.
"""

import datetime

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.utils import formats
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper


def _valid_key(field, value) -> bool:
    """``value`` from the URL can be looked up in ``field`` (a number within the bigint range)."""
    try:
        key = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return not isinstance(key, int) or -(2**63) <= key < 2**63


class _ReadableChanges(HistoricalRecordContextHelper):
    """Old and new values as the user knows them: choice labels, Ya/Tidak, blank for nothing."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if value is None:
            return ""
        field = self.model._meta.get_field(change.field)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return _("Ya") if value else _("Tidak")
        if isinstance(value, datetime.date):  # as the change page shows it (01/07/2025), not 2025-07-01
            return formats.localize(template_localtime(value))
        return value


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    def get_historical_record_context_helper(self, request, historical_record):
        return _ReadableChanges(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        for record in historical_records:
            if record.history_change_reason is None:  # the template would print "None"
                record.history_change_reason = ""

    def save_model(self, request, obj, form, change):
        """A change form saved as it was opened (or a household form whose members alone changed)
        writes nothing: no history row that changes nothing."""
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)

    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        if not _valid_key(self.model._meta.pk, object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        history_pk = self.model.history.model._meta.pk
        if not (_valid_key(self.model._meta.pk, object_id) and _valid_key(history_pk, version_id)):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)
