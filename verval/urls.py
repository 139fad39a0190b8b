from django.urls import path

from . import views

app_name = "verval"

urlpatterns = [
    path("", views.home, name="home"),
    path("kandidat/", views.candidate_list, name="candidates"),
    path("kandidat/buka/", views.cases_open, name="cases_open"),
    path("berkas/", views.batch_list, name="batch_list"),
    path("berkas/pengembalian/", views.returns_import, name="returns_import"),
    path("berkas/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("berkas/<int:pk>/tugaskan/", views.batch_assign, name="batch_assign"),
    path("berkas/<int:pk>/musyawarah/", views.batch_deliberation, name="batch_deliberation"),
    path("berkas/<int:pk>/verifikasi/", views.batch_verify, name="batch_verify"),
    path("berkas/<int:pk>/sahkan/", views.batch_approve, name="batch_approve"),
    path("berkas/<int:pk>/usulan.xlsx", views.batch_proposal, name="batch_proposal"),
    path("berkas/<int:pk>/distribusi/", views.batch_distribute, name="batch_distribute"),
    path("tugas/", views.my_cases, name="my_cases"),
    path("tugas/cetak/", views.my_cases_print, name="my_cases_print"),
    path("tugas/ekspor.xlsx", views.my_cases_export, name="my_cases_export"),
    path("kasus/<int:pk>/", views.case_visit, name="case_visit"),
    path("kasus/<int:pk>/foto/", views.case_photo_upload, name="case_photo_upload"),
    path("foto/<int:pk>/", views.case_photo, name="case_photo"),
]
