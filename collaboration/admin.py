from django.contrib import admin

import collaboration.ledger.admin  # registers the access ledger's admins
import collaboration.manual.admin  # noqa: F401  (registers the support staff's admins)
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.admin_search import OrgNumberSearchMixin


@admin.register(CollaborationRequest)
class CollaborationRequestAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = (
        "firm",
        "subscription",
        "responsible_consultant",
        "status",
        "start_date",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "created_at")
    list_select_related = ("firm", "subscription__client", "responsible_consultant__user")
    search_fields = (
        "firm__name",
        "firm__org_number",
        "=subscription__number",
        "subscription__client__org_number",
        "subscription__client__name",
        "requested_by__email",
        "responsible_consultant__user__email",
    )
    raw_id_fields = ("firm", "subscription", "responsible_consultant", "requested_by", "decided_by")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Coupling)
class CouplingAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = ("firm", "subscription", "status", "starts_on", "activated_at", "ended_at")
    list_filter = ("status", "starts_on")
    list_select_related = ("firm", "subscription__client")
    search_fields = (
        "firm__name",
        "firm__org_number",
        "=subscription__number",
        "subscription__client__org_number",
        "subscription__client__name",
    )
    raw_id_fields = ("firm", "subscription", "request", "responsible_consultant")
    show_full_result_count = False
