from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.regions import covered_region

# The area's name comes from KONUT_WILAYAH when a page is drawn (and in the page's language).
admin.site.site_header = lazy(lambda: _("Registri Kemiskinan %(region)s") % {"region": covered_region()[1]}, str)()
admin.site.site_title = lazy(lambda: _("Registri %(region)s") % {"region": covered_region()[1]}, str)()
admin.site.index_title = gettext_lazy("Administrasi data")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("impor/", include("households.urls")),
    path("dasbor/", include("programs.urls")),
    path("", include("agencies.urls")),
]
