from django.urls import path

from licensing import report_views, views

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
    path(
        "byra/oanvanda-licenser/",
        report_views.firm_unused_licenses,
        name="firm_unused_licenses",
    ),
    path(
        "byra/oanvanda-licenser.csv",
        report_views.firm_unused_licenses_csv,
        name="firm_unused_licenses_csv",
    ),
    path(
        "abonnemang/<int:number>/oanvanda-licenser/",
        report_views.subscription_unused_licenses,
        name="subscription_unused_licenses",
    ),
    path(
        "abonnemang/<int:number>/oanvanda-licenser.csv",
        report_views.subscription_unused_licenses_csv,
        name="subscription_unused_licenses_csv",
    ),
]
