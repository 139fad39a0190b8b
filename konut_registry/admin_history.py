"""The admin's change history ("Riwayat"), read-only.

django-simple-history's admin lets anyone who may *view* an object's history POST an old version
back ("revert"), and saves it through ``save_model`` without checking the change permission. Here
that would write past the services: a decided identity duplicate reverted to "open" with its
decision erased, a compatible pair "reverted" into a crash. The history pages of this registry show
who changed what and when; changes are made on the change pages, through the services.
"""

from django.http import HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_form_view(request, object_id, version_id, extra_context)
