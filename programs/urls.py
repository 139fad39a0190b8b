from django.urls import include, path

app_name = "programs"

urlpatterns = [
    path("", include("programs.dashboard.urls")),
]
