"""The dashboard's pages, mounted by ``programs/urls.py`` under the ``programs`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("ekspor/<slug:key>.xlsx", views.export, name="export"),
    path("distribusi/", views.distribute_index, name="distribute_index"),
    path("distribusi/<slug:code>/", views.distribute, name="distribute"),
]
