from django.urls import path

from clients.invitations import views

urlpatterns = [
    path("klienter/bjud-in/", views.invite_start, name="invite_start"),
    path("klienter/bjud-in/nya/", views.invite_new, name="invite_new"),
    path(
        "klienter/bjud-in/nya/<int:subscription_id>/anvandarnamn/",
        views.invite_username,
        name="invite_username",
    ),
    path("klienter/bjud-in/resultat/", views.invite_result, name="invite_result"),
    path("klienter/bjud-in/befintliga/", views.invite_existing, name="invite_existing"),
    path(
        "klienter/bjud-in/befintliga/<int:offer_id>/aterkalla/",
        views.withdraw_offer,
        name="withdraw_offer",
    ),
]
