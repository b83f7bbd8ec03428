from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
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
]
