"""A number searched stays out of addresses: the portal's household list and the admin's lists.

Web servers log every address and browsers pass it on as Referer: a NIK or No KK typed in a search
box would be written in both, and copied into every link of the list (pages, sorting, filters,
export, each row's way back). Search forms post; a searched number is kept in the session under a
short token, and addresses carry ``cari=<token>`` instead. A name search stays readable in ``q``.

The portal's household list (``agencies.views``) uses the token helpers. A ModelAdmin whose
``search_fields`` search NIKs or No KKs (families, members, enrollments, conflicts, identity
duplicates, verval cases) takes ``SearchKeptOutOfAddressMixin``: its search box posts
(``templates/admin/search_form.html``), the list is served at ``?cari=<token>``, and its links
(pages, sorting, filters, the export link, each row's ``_changelist_filters``) carry the token; the
list and its export search the number kept under it.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from konut_registry.numbers import identifier_digits

SEARCH_TOKEN = "cari"
SEARCH_VAR = "q"
_SEARCHES = "household_list_searches"
SEARCHES_KEPT = 20


def kept_out_of_addresses(text: str) -> bool:
    """A search by number (a NIK, a No KK, part of one, an ID Keluarga P3KE)."""
    return bool(text) and identifier_digits(text) is not None


def search_token(request, text: str) -> str:
    """The session's token for ``text`` (the same one for the same text; the oldest forgotten)."""
    kept = request.session.get(_SEARCHES, {})
    token = next((token for token, value in kept.items() if value == text), None)
    if token is None:
        token = secrets.token_urlsafe(6)
        kept[token] = text
        for old in list(kept)[:-SEARCHES_KEPT]:
            del kept[old]
        request.session[_SEARCHES] = kept
    return token


def searched_text(request, token: str) -> str | None:
    """The text this session searched under ``token``; None when it does not know the token."""
    return request.session.get(_SEARCHES, {}).get(token)


def address_query(request, data: QueryDict, *, leave_out: tuple[str, ...] = (), keep_empty: bool = False) -> QueryDict:
    """The non-empty parameters of ``data`` (but ``leave_out``; with ``keep_empty`` the empty ones
    too, all but the search) as an address carries them: a number searched as its token."""
    query = QueryDict(mutable=True)
    for name, values in data.lists():
        if name == "csrfmiddlewaretoken" or name in leave_out:
            continue
        if not keep_empty or name == SEARCH_VAR:
            values = [value for value in values if value != ""]
        if values:
            query.setlist(name, values)
    if kept_out_of_addresses(query.get(SEARCH_VAR, "")):
        query[SEARCH_TOKEN] = search_token(request, query.pop(SEARCH_VAR)[-1])
    return query


def searched_filters(request, data: QueryDict) -> QueryDict | None:
    """The parameters of an address with its token replaced by the text searched; None when this
    session does not know the token (another user's, or a session since ended)."""
    query = data.copy()
    token = query.pop(SEARCH_TOKEN, [None])[-1]
    if token is None:
        return query
    text = searched_text(request, token)
    if text is None:
        return None
    query[SEARCH_VAR] = text
    return query


class KeptSearchChangeList(ChangeList):
    """A changelist whose search may be a token of the session (``cari``): it searches the text kept
    under it, and its links carry the token, not the text."""

    def get_filters_params(self, params=None):
        params = super().get_filters_params(params)
        params.pop(SEARCH_TOKEN, None)
        return params

    def get_queryset(self, request, exclude_parameters=None):
        token = request.GET.get(SEARCH_TOKEN)
        if token is not None:
            text = searched_text(request, token)
            if text is None:  # never the whole list for a search the session forgot
                raise IncorrectLookupParameters(token)
            self.query = text
        return super().get_queryset(request, exclude_parameters)


class SearchKeptOutOfAddressMixin:
    """Put first on a ModelAdmin whose ``search_fields`` search NIKs or No KKs."""

    search_kept_out_of_address = True  # the search box posts (templates/admin/search_form.html)

    def get_changelist(self, request, **kwargs):
        return KeptSearchChangeList

    def _changelist_url(self) -> str:
        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=self.admin_site.name)

    def _kept_search_redirect(self, request):
        """Where to go instead of this page: the same page with a number in its address moved into
        the session, or the list (which says why) when the session does not know the token."""
        if kept_out_of_addresses(request.GET.get(SEARCH_VAR, "")):
            query = address_query(request, request.GET, leave_out=(SEARCH_TOKEN,), keep_empty=True)
            return redirect(f"{request.path}?{query.urlencode()}")
        token = request.GET.get(SEARCH_TOKEN)
        if token is not None and searched_text(request, token) is None:
            messages.error(request, _("Pencarian ini tidak tersimpan lagi (sesi berganti). Ketik lagi nomornya di kotak Cari."))
            rest = request.GET.copy()
            rest.pop(SEARCH_TOKEN)
            rest.pop(PAGE_VAR, None)
            return redirect(self._changelist_url() + (f"?{rest.urlencode()}" if rest else ""))
        return None

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and SEARCH_VAR in request.POST and not {"action", "index", "_save"} & set(request.POST):
            # The search box: the list's other parameters come as hidden fields; the old search and
            # the page go (a new search starts on its first page).
            query = address_query(request, request.POST, leave_out=(SEARCH_TOKEN, PAGE_VAR), keep_empty=True)
            return redirect(self._changelist_url() + (f"?{query.urlencode()}" if query else ""))
        if (elsewhere := self._kept_search_redirect(request)) is not None:
            return elsewhere
        return super().changelist_view(request, extra_context)

    def export_action(self, request):
        """django-import-export's export page and file, of the list as searched."""
        if (elsewhere := self._kept_search_redirect(request)) is not None:
            return elsewhere
        return super().export_action(request)
