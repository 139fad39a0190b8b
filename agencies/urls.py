from django.urls import path

from . import views

app_name = "agencies"

urlpatterns = [
    path("", views.home, name="home"),
    # The agency portal. The list's GET parameters are a contract the dashboard links to.
    path("keluarga/", views.household_list, name="household_list"),
    path("keluarga/ekspor/", views.household_export, name="household_export"),
    path("keluarga/cetak/", views.household_print, name="household_print"),
    path("keluarga/distribusi/", views.household_distribute, name="household_distribute"),
    path("keluarga/<int:pk>/", views.household_detail, name="household_detail"),
    path("kepesertaan/<int:pk>/terima/", views.enrollment_accept, name="enrollment_accept"),
    path("kepesertaan/<int:pk>/tolak/", views.enrollment_reject, name="enrollment_reject"),
    path("kepesertaan/<int:pk>/salurkan/", views.enrollment_deliver, name="enrollment_deliver"),
    path("kepesertaan/<int:pk>/selesai/", views.enrollment_complete, name="enrollment_complete"),
]
