from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("masuk/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("kata-sandi/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("kata-sandi/selesai/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
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
