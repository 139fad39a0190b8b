"""Who may open the portal's and the dashboard's pages: checked on the server for every view."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from agencies.selectors import has_portal_role


def portal_user_required(view):
    """Logged in (else the login page) and holding a role households are shown to (else 403):
    Bappeda, leadership, an agency's head or operator. A field officer or an account without a role
    sees no household and no enrollment; the 403 tells them where to go instead."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not has_portal_role(user):
            if user.is_field_officer:
                raise PermissionDenied(_("Halaman ini tidak tersedia untuk petugas verval; buka Tugas verval Anda."))
            raise PermissionDenied(_("Akun Anda belum memiliki peran atau OPD. Hubungi Bappeda."))
        return view(request, *args, **kwargs)

    return wrapper


def writer_required(view):
    """Write actions: read-only roles (leadership) get 403."""

    @portal_user_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.can_write:
            raise PermissionDenied(_("Peran Anda hanya dapat melihat data."))
        return view(request, *args, **kwargs)

    return wrapper
