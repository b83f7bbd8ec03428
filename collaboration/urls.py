from django.urls import include, path

from collaboration import views

app_name = "collaboration"

urlpatterns = [
    # Flow 5, "Skapa nytt samarbete" (collaboration/new_customer/).
    path("", include("collaboration.new_customer.urls")),
    # The access ledger, "Behörighetslogg" (collaboration/ledger/).
    path("", include("collaboration.ledger.urls")),
    # Klienthanteraren, "Hantera klienter" (collaboration/client_list/).
    path("", include("collaboration.client_list.urls")),
    # Flow 5, "Samarbeten": view, change and end (collaboration/changes/).
    path("", include("collaboration.changes.urls")),
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
