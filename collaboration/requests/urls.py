"""Flow 1, coupling requests ("Ny klient", "Byråsamarbete"), included by
collaboration/urls.py into its `collaboration` namespace (no namespace of its
own)."""

from django.urls import path

from collaboration.requests import views

urlpatterns = [
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
