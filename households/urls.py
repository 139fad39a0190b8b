from django.urls import path

from .imports import views

app_name = "households"

urlpatterns = [
    path("", views.batch_list, name="import_list"),
    path("<int:pk>/", views.batch_status, name="import_status"),
    path("<int:pk>/status.json", views.batch_status_json, name="import_status_json"),
    path("<int:pk>/laporan-kesalahan.xlsx", views.batch_error_report, name="import_error_report"),
]
