"""The project's URLs: each app's pages under its own namespace (``agencies``, ``households``,
``programs``, ``verval``), the admin, the language switch, and the login pages.

The login pages keep Django's own un-namespaced names (``login``, ``logout``, ``password_change``,
``password_change_done``): Django's auth views and the ``LOGIN_URL`` setting look them up by those.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView



class FaviconView(RedirectView):
    """Browsers ask for ``/favicon.ico`` at the root: send them to the static file (its hashed name in
    production, resolved at request time when the manifest exists)."""

    permanent = False
    http_method_names = ["get", "head"]

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.ico")


# The admin's header and title name the covered area: households.admin sets them.
admin.site.index_title = _("Administrasi data")
# The main navigation sits in the header (templates/admin/base_site.html); without the side list of
# models, a change list has the whole width of an office screen.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("masuk/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("kata-sandi/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("kata-sandi/selesai/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("impor/", include("households.urls")),
    path("dasbor/", include("programs.urls")),
    path("verval/", include("verval.urls")),
    path("", include("agencies.urls")),
]
