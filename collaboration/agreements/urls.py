"""Flow 10, agreements with the coupling, included by collaboration/urls.py
into its `collaboration` namespace (no namespace of its own)."""

from django.urls import path

from collaboration.agreements import views

urlpatterns = [
    path("byra/avtal/", views.firm_agreements, name="firm_agreements"),
    path(
        "byra/avtal/<int:document_id>/pdf/",
        views.firm_agreement_document,
        name="firm_agreement_document",
    ),
    path("byra/avtal/klienter/", views.client_agreements, name="client_agreements"),
    path(
        "byra/avtal/klienter/be-om-bekraftelse/",
        views.ask_for_confirmation,
        name="ask_for_confirmation",
    ),
    path(
        "abonnemang/<int:number>/avtal/",
        views.subscription_agreements,
        name="subscription_agreements",
    ),
    path(
        "avtal/<int:confirmation_id>/pdf/",
        views.confirmation_document,
        name="confirmation_document",
    ),
    path(
        "avtal/<int:confirmation_id>/intyg/",
        views.confirmation_certificate,
        name="confirmation_certificate",
    ),
]
