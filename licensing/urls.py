from django.urls import include, path

from licensing import views

app_name = "licensing"

urlpatterns = [
    path("byra/fakturor/", views.firm_invoices, name="firm_invoices"),
    path("byra/fakturor/<int:invoice_number>.pdf", views.firm_invoice_pdf, name="firm_invoice_pdf"),
    path(
        "abonnemang/<int:number>/fakturor/",
        views.subscription_invoices,
        name="subscription_invoices",
    ),
    path(
        "abonnemang/<int:number>/fakturor/<int:invoice_number>.pdf",
        views.subscription_invoice_pdf,
        name="subscription_invoice_pdf",
    ),
    path("", include("licensing.reports.urls")),
]
