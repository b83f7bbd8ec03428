"""Flow 8 for the sender, included by collaboration/urls.py into its
`collaboration` namespace (no namespace of its own)."""

from django.urls import path

from collaboration.reminders import views

urlpatterns = [
    path(
        "forfragningar/<int:request_id>/paminn/",
        views.remind_request,
        name="remind_request",
    ),
    path(
        "forfragningar/<int:request_id>/skicka-igen/",
        views.send_request_again,
        name="send_request_again",
    ),
    path(
        "forfragningar/<int:request_id>/ta-bort/",
        views.dismiss_request,
        name="dismiss_request",
    ),
    path("byra/inbjudningar/<int:offer_id>/paminn/", views.remind_offer, name="remind_offer"),
    path("samarbeten/<int:number>/paminn/", views.remind_welcome, name="remind_welcome"),
    path(
        "klienter/inbjudningar/<int:offer_id>/paminn/",
        views.remind_client_offer,
        name="remind_client_offer",
    ),
]
