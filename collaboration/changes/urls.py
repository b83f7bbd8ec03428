"""Flow 5, "Samarbeten": view, change and end a collaboration, included by
collaboration/urls.py into its `collaboration` namespace (no namespace of its
own)."""

from django.urls import path

from collaboration.changes import views

urlpatterns = [
    path("byra/samarbeten/", views.collaborations, name="collaborations"),
    path(
        "klienter/<int:number>/samarbete/",
        views.collaboration_detail,
        name="collaboration_detail",
    ),
    path(
        "klienter/<int:number>/samarbete/licenser/",
        views.collaboration_licenses,
        name="collaboration_licenses",
    ),
    path(
        "klienter/<int:number>/samarbete/variant/",
        views.collaboration_plan,
        name="collaboration_plan",
    ),
    path(
        "klienter/<int:number>/samarbete/fakturamottagare/",
        views.collaboration_recipient,
        name="collaboration_recipient",
    ),
    path(
        "klienter/<int:number>/samarbete/avsluta/",
        views.collaboration_end,
        name="collaboration_end",
    ),
    path(
        "abonnemang/<int:number>/andra/",
        views.subscription_change,
        name="subscription_change",
    ),
    path(
        "abonnemang/<int:number>/andra/licenser/",
        views.subscription_licenses,
        name="subscription_licenses",
    ),
    path(
        "abonnemang/<int:number>/andra/variant/",
        views.subscription_plan,
        name="subscription_plan",
    ),
    path(
        "abonnemang/<int:number>/andra/fakturamottagare/",
        views.subscription_recipient,
        name="subscription_recipient",
    ),
    path(
        "abonnemang/<int:number>/byrasamarbete/<int:coupling_id>/avsluta/",
        views.subscription_end_coupling,
        name="subscription_end_coupling",
    ),
]
