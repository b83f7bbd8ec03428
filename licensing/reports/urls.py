"""The pages of "Oanvända licenser" (in the `licensing` namespace)."""

from django.urls import path

from licensing.reports import views

urlpatterns = [
    path("byra/oanvanda-licenser/", views.firm_unused_licenses, name="firm_unused_licenses"),
    path(
        "byra/oanvanda-licenser.csv",
        views.firm_unused_licenses_csv,
        name="firm_unused_licenses_csv",
    ),
    path(
        "abonnemang/<int:number>/oanvanda-licenser/",
        views.subscription_unused_licenses,
        name="subscription_unused_licenses",
    ),
    path(
        "abonnemang/<int:number>/oanvanda-licenser.csv",
        views.subscription_unused_licenses_csv,
        name="subscription_unused_licenses_csv",
    ),
]
