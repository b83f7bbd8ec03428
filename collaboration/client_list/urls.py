"""Klienthanteraren, "Hantera klienter", included by collaboration/urls.py
into its `collaboration` namespace (no namespace of its own)."""

from django.urls import path

from collaboration.client_list import views

urlpatterns = [
    path("klienter/", views.client_list, name="client_list"),
    path("klienter/<int:number>/", views.client_detail, name="client_detail"),
    path(
        "klienter/<int:number>/konsulter/",
        views.client_add_consultant,
        name="client_add_consultant",
    ),
]
