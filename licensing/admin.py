from django.contrib import admin

# The monthly invoicing runs, likewise.
import licensing.billing.admin  # noqa: F401
from firm_portal.admin_search import OrgNumberSearchMixin

# Billing (price list, agreements, payers, invoices) registers itself there.
from licensing import admin_billing  # noqa: F401
from licensing.models import LicenseChange


@admin.register(LicenseChange)
class LicenseChangeAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = ("created_at", "subscription", "program", "delta", "seats_after", "actor")
    list_select_related = ("subscription__client", "program", "actor")
    list_filter = ("program", "created_at")
    search_fields = ("=subscription__number", "subscription__client__org_number", "actor__email")
    readonly_fields = ("subscription", "program", "delta", "seats_after", "actor", "created_at")
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
