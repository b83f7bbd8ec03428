"""The access ledger's pages, included by collaboration/urls.py into its
`collaboration` namespace (no namespace of its own)."""

from django.urls import path

from collaboration.ledger import views

urlpatterns = [
    path("byra/behorighetslogg/", views.firm_ledger, name="firm_ledger"),
    path(
        "abonnemang/<int:number>/behorighetslogg/",
        views.subscription_ledger,
        name="subscription_ledger",
    ),
]
