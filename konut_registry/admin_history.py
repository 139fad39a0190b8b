"""The admin's change history ("Riwayat"), read-only.

django-simple-history's admin lets anyone who may *view* an object's history POST an old version
back ("revert"), and saves it through ``save_model`` without checking the change permission. Here
that would write past the services: a decided identity duplicate reverted to "open" with its
decision erased, a compatible pair "reverted" into a crash. The history pages of this registry show
who changed what and when; changes are made on the change pages, through the services.

Its views also pass the id from the URL straight to the database: ``.../abc/history/`` was a 500.
"""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin


def _valid_key(field, value) -> bool:
    """``value`` from the URL can be looked up in ``field`` (a number within the bigint range)."""
    try:
        key = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return not isinstance(key, int) or -(2**63) <= key < 2**63


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
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
