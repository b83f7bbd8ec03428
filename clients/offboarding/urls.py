""" "Avsluta konsult", included by firm_portal/urls_portal.py (no namespace of
its own, so the names stay)."""

from django.urls import path

from clients.offboarding import views

urlpatterns = [
    path("byra/konsulter/<int:consultant_id>/avsluta/", views.offboard, name="firm_offboard"),
    path(
        "byra/konsulter/<int:consultant_id>/avsluta/rapport.csv",
        views.offboard_csv,
        name="firm_offboard_csv",
    ),
]
