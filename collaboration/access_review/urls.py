""" "Åtkomstgranskning" (flow 9), included by collaboration/urls.py into its
`collaboration` namespace: the firm's reviews under /byra/, a
subscription's own under /abonnemang/<number>/."""

from django.urls import path

from collaboration.access_review import views

FIRM = "byra/atkomstgranskning/<int:review_id>/"
SUBSCRIPTION = "abonnemang/<int:number>/atkomstgranskning/"

urlpatterns = [
    path("byra/atkomstgranskning/", views.reviews, name="access_reviews"),
    path(FIRM, views.review, name="access_review"),
    path(f"{FIRM}rader/<int:row_id>/", views.row_decide, name="access_review_row"),
    path(f"{FIRM}alla/", views.bulk, name="access_review_bulk"),
    path(f"{FIRM}granskare/", views.reviewer, name="access_review_reviewer"),
    path(f"{FIRM}slutfor/", views.complete, name="access_review_complete"),
    path(f"{FIRM}rapport.pdf", views.report_pdf, name="access_review_pdf"),
    path(f"{FIRM}rapport.csv", views.report_csv, name="access_review_csv"),
    path(SUBSCRIPTION, views.subscription_reviews, name="subscription_access_reviews"),
    path(
        f"{SUBSCRIPTION}<int:review_id>/",
        views.subscription_review,
        name="subscription_access_review",
    ),
    path(
        f"{SUBSCRIPTION}<int:review_id>/rader/<int:row_id>/",
        views.subscription_row_decide,
        name="subscription_access_review_row",
    ),
    path(
        f"{SUBSCRIPTION}<int:review_id>/slutfor/",
        views.subscription_complete,
        name="subscription_access_review_complete",
    ),
    path(
        f"{SUBSCRIPTION}<int:review_id>/rapport.pdf",
        views.subscription_report_pdf,
        name="subscription_access_review_pdf",
    ),
    path(
        f"{SUBSCRIPTION}<int:review_id>/rapport.csv",
        views.subscription_report_csv,
        name="subscription_access_review_csv",
    ),
    path(
        "abonnemang/<int:number>/atkomstbegaran/<int:removal_id>/",
        views.removal_answer,
        name="access_removal_answer",
    ),
]
