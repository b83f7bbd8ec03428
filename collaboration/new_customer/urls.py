"""Flow 5, "Skapa nytt samarbete", included by collaboration/urls.py into its
`collaboration` namespace (no namespace of its own)."""

from django.urls import path

from collaboration.new_customer import views

urlpatterns = [
    path("samarbeten/nytt/", views.wizard, name="new_customer"),
    path("samarbeten/nytt/klart/<int:number>/", views.done, name="new_customer_done"),
    path("samarbeten/<int:number>/skicka-igen/", views.resend, name="new_customer_resend"),
    path("samarbeten/<int:number>/avbryt/", views.cancel, name="new_customer_cancel"),
    path("samarbeten/godkann/<str:token>/", views.accept, name="new_customer_accept"),
]
