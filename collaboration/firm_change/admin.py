"""Support's view of "Byte av byrå" (flow 7): read only. Changes are made
by the parties on their pages, each step in the access ledger."""

from django.contrib import admin

from collaboration.models import FirmChange
from firm_portal.admin_readonly import ReadOnlyAdminMixin
from firm_portal.admin_search import OrgNumberSearchMixin


@admin.register(FirmChange)
class FirmChangeAdmin(ReadOnlyAdminMixin, OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = ("subscription", "old_firm", "new_firm", "starts_on", "status", "created_at")
    list_filter = ("status", "starts_on")
    list_select_related = ("subscription__client", "old_firm", "new_firm")
    search_fields = (
        "old_firm__name",
        "new_firm__name",
        "=subscription__number",
        "subscription__client__org_number",
        "subscription__client__name",
    )
    raw_id_fields = (
        "subscription",
        "old_firm",
        "new_firm",
        "old_coupling",
        "new_coupling",
        "responsible_consultant",
        "requested_by",
        "decided_by",
        "cancelled_by",
    )
    show_full_result_count = False
