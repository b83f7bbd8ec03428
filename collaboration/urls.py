from django.urls import include, path

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
    # Flow 7, "Byte av byrå" (collaboration/firm_change/).
    path("", include("collaboration.firm_change.urls")),
    # Flow 9, "Åtkomstgranskning" (collaboration/access_review/).
    path("", include("collaboration.access_review.urls")),
    # Flow 10, agreements with the coupling (collaboration/agreements/).
    path("", include("collaboration.agreements.urls")),
    # Flow 8, reminders: "Påminn nu", "Skicka igen" (collaboration/reminders/).
    path("", include("collaboration.reminders.urls")),
    # Flow 1, coupling requests: "Ny klient", "Byråsamarbete" (collaboration/requests/).
    path("", include("collaboration.requests.urls")),
]
