from django.urls import include, path

from collaboration import (
    client_views,
    collaboration_views,
    views,
)

app_name = "collaboration"

urlpatterns = [
    # Flow 5, "Skapa nytt samarbete" (collaboration/new_customer/).
    path("", include("collaboration.new_customer.urls")),
    # The access ledger, "Behörighetslogg" (collaboration/ledger/).
    path("", include("collaboration.ledger.urls")),
    path("klienter/", client_views.client_list, name="client_list"),
    path("klienter/<int:number>/", client_views.client_detail, name="client_detail"),
    path(
        "klienter/<int:number>/konsulter/",
        client_views.client_add_consultant,
        name="client_add_consultant",
    ),
    # Flow 5, "Samarbeten": view, change and end (collaboration/collaboration_views.py).
    path("byra/samarbeten/", collaboration_views.collaborations, name="collaborations"),
    path(
        "klienter/<int:number>/samarbete/",
        collaboration_views.collaboration_detail,
        name="collaboration_detail",
    ),
    path(
        "klienter/<int:number>/samarbete/licenser/",
        collaboration_views.collaboration_licenses,
        name="collaboration_licenses",
    ),
    path(
        "klienter/<int:number>/samarbete/variant/",
        collaboration_views.collaboration_plan,
        name="collaboration_plan",
    ),
    path(
        "klienter/<int:number>/samarbete/fakturamottagare/",
        collaboration_views.collaboration_recipient,
        name="collaboration_recipient",
    ),
    path(
        "klienter/<int:number>/samarbete/avsluta/",
        collaboration_views.collaboration_end,
        name="collaboration_end",
    ),
    path(
        "abonnemang/<int:number>/andra/",
        collaboration_views.subscription_change,
        name="subscription_change",
    ),
    path(
        "abonnemang/<int:number>/andra/licenser/",
        collaboration_views.subscription_licenses,
        name="subscription_licenses",
    ),
    path(
        "abonnemang/<int:number>/andra/variant/",
        collaboration_views.subscription_plan,
        name="subscription_plan",
    ),
    path(
        "abonnemang/<int:number>/andra/fakturamottagare/",
        collaboration_views.subscription_recipient,
        name="subscription_recipient",
    ),
    path(
        "abonnemang/<int:number>/byrasamarbete/<int:coupling_id>/avsluta/",
        collaboration_views.subscription_end_coupling,
        name="subscription_end_coupling",
    ),
    path("klienter/ny/", views.new_client, name="new_client"),
    path("klienter/ny/konsulter/", views.consultant_search, name="consultant_search"),
    path("klienter/ny/skicka/", views.send_request, name="send_request"),
    path(
        "forfragningar/<int:request_id>/aterkalla/",
        views.withdraw_request,
        name="withdraw_request",
    ),
    path(
        "abonnemang/<int:number>/byrasamarbete/",
        views.firm_collaboration,
        name="firm_collaboration",
    ),
    path(
        "abonnemang/<int:number>/byrasamarbete/<int:request_id>/godkann/",
        views.approve_request,
        name="approve_request",
    ),
    path(
        "abonnemang/<int:number>/byrasamarbete/<int:request_id>/avboj/",
        views.reject_request,
        name="reject_request",
    ),
]
