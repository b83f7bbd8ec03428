from django.contrib import admin

from clients.models import (
    Client,
    Counter,
    Membership,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ("number", "plan", "status", "created_at")
    readonly_fields = ("number", "created_at")
    show_change_link = True


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "org_number", "created_at")
    search_fields = ("org_number", "name", "subscriptions__number")
    inlines = [SubscriptionInline]
    show_full_result_count = False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user", "consultant")
    fields = ("user", "consultant", "is_sysadmin", "created_at")
    readonly_fields = ("created_at",)
    show_change_link = True


class LicenseInline(admin.TabularInline):
    model = SubscriptionLicense
    extra = 0


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("number", "client", "plan", "status", "created_at")
    list_filter = ("status", "plan")
    list_select_related = ("client",)
    search_fields = ("=number", "client__org_number", "client__name")
    raw_id_fields = ("client",)
    readonly_fields = ("number",)
    inlines = [LicenseInline, MembershipInline]
    show_full_result_count = False


class ProgramLevelInline(admin.TabularInline):
    model = ProgramLevel
    extra = 0


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "subscription", "consultant", "is_sysadmin")
    list_filter = ("is_sysadmin",)
    list_select_related = ("user", "subscription__client", "consultant__firm", "consultant__user")
    search_fields = (
        "user__email",
        "user__full_name",
        "=subscription__number",
        "subscription__client__org_number",
        "subscription__client__name",
    )
    raw_id_fields = ("subscription", "user", "consultant")
    inlines = [ProgramLevelInline]
    show_full_result_count = False


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")
    search_fields = ("name", "code")


@admin.register(SubscriptionLicense)
class SubscriptionLicenseAdmin(admin.ModelAdmin):
    list_display = ("subscription", "program", "seats")
    list_select_related = ("subscription__client", "program")
    search_fields = (
        "=subscription__number",
        "subscription__client__org_number",
        "subscription__client__name",
    )
    raw_id_fields = ("subscription",)
    show_full_result_count = False


@admin.register(ProgramLevel)
class ProgramLevelAdmin(admin.ModelAdmin):
    list_display = ("membership", "program", "level")
    list_select_related = ("membership__user", "membership__subscription", "program")
    search_fields = (
        "membership__user__email",
        "membership__user__full_name",
        "=membership__subscription__number",
    )
    raw_id_fields = ("membership",)
    show_full_result_count = False


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    """Read-only: abonnemangsnummer must never be reused, so nobody edits this."""

    list_display = ("name", "value")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
