""" "Byråns användare" (the firm's "Administrera användare"), included by
firm_portal/urls_portal.py (no namespace of its own, so the names stay)."""

from django.urls import path

from firm_portal.firm_users import views

urlpatterns = [
    path("byra/anvandare/", views.firm_users, name="firm_users"),
    path("byra/licenser/", views.change_seats, name="firm_seats"),
    path("byra/anvandare/ny/", views.add_consultant, name="firm_add_consultant"),
    path(
        "byra/inbjudningar/<int:offer_id>/skicka-igen/",
        views.resend_offer,
        name="firm_resend_offer",
    ),
    path(
        "byra/inbjudningar/<int:offer_id>/aterkalla/",
        views.withdraw_offer,
        name="firm_withdraw_offer",
    ),
    path("byra/konsulter/<int:consultant_id>/inbjudan/", views.reinvite, name="firm_reinvite"),
    path("byra/konsulter/<int:consultant_id>/licens/", views.set_seat, name="firm_set_seat"),
    path("byra/konsulter/<int:consultant_id>/roller/", views.set_roles, name="firm_set_roles"),
    path(
        "byra/konsulter/<int:consultant_id>/klienter/",
        views.assignments,
        name="firm_assignments",
    ),
]
