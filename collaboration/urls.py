from django.urls import path

from collaboration import client_views, ledger_views, views

app_name = "collaboration"

urlpatterns = [
    path("byra/behorighetslogg/", ledger_views.firm_ledger, name="firm_ledger"),
    path(
        "abonnemang/<int:number>/behorighetslogg/",
        ledger_views.subscription_ledger,
        name="subscription_ledger",
    ),
    path("klienter/", client_views.client_list, name="client_list"),
    path("klienter/<int:number>/", client_views.client_detail, name="client_detail"),
    path(
        "klienter/<int:number>/konsulter/",
        client_views.client_add_consultant,
        name="client_add_consultant",
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
