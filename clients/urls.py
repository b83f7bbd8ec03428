from django.urls import path

from clients import invite_views, views

app_name = "clients"

urlpatterns = [
    path("klienter/bjud-in/", invite_views.invite_start, name="invite_start"),
    path("klienter/bjud-in/nya/", invite_views.invite_new, name="invite_new"),
    path(
        "klienter/bjud-in/nya/<int:subscription_id>/anvandarnamn/",
        invite_views.invite_username,
        name="invite_username",
    ),
    path("klienter/bjud-in/resultat/", invite_views.invite_result, name="invite_result"),
    path("klienter/bjud-in/befintliga/", invite_views.invite_existing, name="invite_existing"),
    path(
        "klienter/bjud-in/befintliga/<int:offer_id>/aterkalla/",
        invite_views.withdraw_offer,
        name="withdraw_offer",
    ),
    path("abonnemang/<int:number>/behorigheter/", views.permissions, name="permissions"),
    path(
        "abonnemang/<int:number>/behorigheter/<int:membership_id>/program/<slug:program_code>/",
        views.set_level,
        name="set_level",
    ),
    path(
        "abonnemang/<int:number>/behorigheter/<int:membership_id>/systemadministrator/",
        views.set_sysadmin,
        name="set_sysadmin",
    ),
    path(
        "abonnemang/<int:number>/licenser/<slug:program_code>/",
        views.add_license,
        name="add_license",
    ),
    path("abonnemang/<int:number>/anvandare/", views.users, name="users"),
    path(
        "abonnemang/<int:number>/anvandare/<int:membership_id>/slutdatum/",
        views.set_end_date,
        name="set_end_date",
    ),
    path(
        "abonnemang/<int:number>/anvandare/<int:membership_id>/pausa/",
        views.suspend_member,
        name="suspend_member",
    ),
    path(
        "abonnemang/<int:number>/anvandare/<int:membership_id>/ateruppta/",
        views.resume_member,
        name="resume_member",
    ),
]
