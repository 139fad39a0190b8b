"""The admin's pickers (select2 autocomplete) send what is typed in a POST body, not in the address.

A family or member picker (an enrollment's family and member, a member's family) is searched by NIK
or No KK as often as by name. Django's stock picker asks ``/admin/autocomplete/?term=...`` by GET:
the number typed would be written in the web server's access log and the browser's history, as the
admin lists' search was before it posted (``konut_registry.admin_search``). Here:

- ``PostedAutocompleteSelect`` renders the picker with ``data-ajax--type="POST"``, and its media
  adds ``static/js/autocomplete_post.js`` (a static file: the content security policy allows no
  inline script), which sends the page's CSRF token with select2's POSTs;
- ``PostedAutocompleteJsonView`` answers those POSTs with the stock view's checks (the user must
  be staff, and may view the model the field points to) and refuses a number typed in a GET
  address;
- ``KonutAdminSite`` serves it at the stock URL (``admin:autocomplete``), and
  ``PostedAutocompleteMixin`` gives a ModelAdmin's autocomplete fields the posting picker.
"""

from __future__ import annotations

import copy

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.forms import Media
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _

from konut_registry.admin_search import kept_out_of_addresses

SCRIPT = "js/autocomplete_post.js"


class PostedAutocompleteJsonView(AutocompleteJsonView):
    """The stock picker's answers, asked by POST; a GET may not carry a number in its ``term``."""

    def get(self, request, *args, **kwargs):
        if kept_out_of_addresses(request.GET.get("term", "")) and self._lists_people(request):
            return JsonResponse({"error": _("Nomor tidak dikirim lewat alamat halaman. Muat ulang halaman, lalu ketik lagi.")},
                                status=400)
        return super().get(request, *args, **kwargs)

    def _lists_people(self, request) -> bool:
        """Whether the picker asked lists records searched by NIK or No KK (families, members): a
        village picker is searched by its code, a number that names no one."""
        try:
            _term, model_admin, _field, _to_field = self.process_request(request)
        except (PermissionDenied, Http404):
            return False  # the stock view refuses the request as it would
        return getattr(model_admin, "search_kept_out_of_address", False)

    def post(self, request, *args, **kwargs):
        # The stock view reads its parameters (term, page, the field asked) from ``request.GET``: a
        # copy of the request reads them from the body; the request itself keeps its real address.
        asked = copy.copy(request)
        asked.GET = request.POST
        self.request = asked
        return super().get(asked, *args, **kwargs)


class KonutAdminSite(admin.AdminSite):
    """The project's admin site: Django's, with pickers asked by POST."""

    def autocomplete_view(self, request):
        return PostedAutocompleteJsonView.as_view(admin_site=self)(request)


class _Posted:
    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-ajax--type"] = "POST"
        return attrs

    @property
    def media(self):
        return super().media + Media(js=[SCRIPT])


class PostedAutocompleteSelect(_Posted, AutocompleteSelect):
    pass


class PostedAutocompleteSelectMultiple(_Posted, AutocompleteSelectMultiple):
    pass


class PostedAutocompleteMixin:
    """Put on a ModelAdmin whose ``autocomplete_fields`` pick families or members (searched by NIK
    or No KK): its pickers ask by POST."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = PostedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = PostedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
