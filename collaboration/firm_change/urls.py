"""Flow 7, "Byte av byrå", included by collaboration/urls.py into its
`collaboration` namespace (no namespace of its own)."""

from django.urls import path

from collaboration.firm_change import views

urlpatterns = [
    path("klienter/ny/byte-av-byra/", views.new, name="firm_change_new"),
    path("byte-av-byra/", views.changes, name="firm_changes"),
    path("byte-av-byra/<int:change_id>/", views.detail, name="firm_change_detail"),
    path("byte-av-byra/<int:change_id>/godkann/", views.approve, name="firm_change_approve"),
    path("byte-av-byra/<int:change_id>/avboj/", views.refuse, name="firm_change_refuse"),
    path("byte-av-byra/<int:change_id>/avbryt/", views.cancel, name="firm_change_cancel"),
]
