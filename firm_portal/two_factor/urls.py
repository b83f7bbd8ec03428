"""Tvåstegsverifiering's pages, included by firm_portal/urls_portal.py (no
namespace of its own, so the names stay)."""

from django.urls import path

from firm_portal.two_factor import views

urlpatterns = [
    path("tvastegsverifiering/", views.overview, name="two_factor"),
    path("tvastegsverifiering/verifiera/", views.verify, name="two_factor_verify"),
    path("tvastegsverifiering/aktivera/", views.setup, name="two_factor_setup"),
    path(
        "tvastegsverifiering/reservkoder/",
        views.recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("tvastegsverifiering/stang-av/", views.disable, name="two_factor_disable"),
]
