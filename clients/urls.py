from django.urls import include, path

from clients import views

app_name = "clients"

urlpatterns = [
    # "Bjud in klientanvändare" (clients/invitations/).
    path("", include("clients.invitations.urls")),
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
