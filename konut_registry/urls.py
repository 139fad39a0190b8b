from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Registri Kemiskinan Konawe Utara")
admin.site.site_title = _("Registri Konut")
admin.site.index_title = _("Administrasi data")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("impor/", include("households.urls")),
    path("dasbor/", include("programs.urls")),
    path("", include("agencies.urls")),
]
