from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from clients.catalogue import (
    programs_offered,
    require_plan_includes_all,
    require_program_in_plan,
)
from clients.models import (
    Client,
    Counter,
    Membership,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from firm_portal.admin_readonly import ReadOnlyAdminMixin
from firm_portal.admin_search import OrgNumberSearchMixin


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ("number", "plan", "status", "created_at")
    readonly_fields = ("number", "created_at")
    show_change_link = True


@admin.register(Client)
class ClientAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = ("name", "org_number", "created_at")
    search_fields = (
        "org_number",
        "name",
        "subscriptions__number",
        "subscriptions__memberships__user__email",
    )
    inlines = [SubscriptionInline]
    show_full_result_count = False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user", "consultant")
    fields = ("user", "consultant", "is_sysadmin", "created_at")
    readonly_fields = ("created_at",)
    show_change_link = True


def _check_license(form: forms.ModelForm, plan: str) -> None:  # type: ignore[type-arg]
    """More seats (or a new row) only for a program the plan includes; fewer
    are always fine. The same rule as "Lägg till licens" (clients.catalogue)."""
    program = form.cleaned_data.get("program")
    seats = form.cleaned_data.get("seats") or 0
    before = form.initial.get("seats", 0) if form.instance.pk else 0
    if program is None or seats <= before or form.cleaned_data.get("DELETE"):
        return
    try:
        require_program_in_plan(plan=plan, program=program)
    except ValidationError as error:
        form.add_error("program", error)


class LicenseInlineFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        # Against the subscription as submitted on the same page (its new plan).
        for form in self.forms:
            if form.has_changed() and form.is_valid():
                _check_license(form, self.instance.plan)


def _offered_programs_field(
    db_field: Any, subscription: Subscription | None, kwargs: dict[str, Any]
) -> None:
    """The licence forms offer only what the subscription's plan sells
    (clients.catalogue); a new subscription's plan is checked on saving."""
    if db_field.name == "program" and subscription is not None and subscription.pk:
        kwargs["queryset"] = programs_offered(
            plan=subscription.plan,
            keep=subscription.licenses.values_list("program_id", flat=True),
        )


class LicenseInline(admin.TabularInline):
    model = SubscriptionLicense
    formset = LicenseInlineFormSet
    extra = 0

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # On the request, not on this admin (shared by concurrent requests).
        request.license_subscription = obj  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _offered_programs_field(db_field, getattr(request, "license_subscription", None), kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SubscriptionAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    def clean_plan(self) -> str:
        """Like "Ändra abonnemang": not to a plan without a program the
        subscription has licences of."""
        plan: str = self.cleaned_data["plan"]
        if self.instance.pk is not None and plan != self.instance.plan:
            licensed = self.instance.licenses.filter(seats__gt=0).select_related("program")
            require_plan_includes_all(plan=plan, programs=(row.program for row in licensed))
        return plan


@admin.register(Subscription)
class SubscriptionAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    form = SubscriptionAdminForm
    list_display = ("number", "client", "plan", "status", "created_at")
    list_filter = ("status", "plan")
    list_select_related = ("client",)
    # A member's e-mail finds the subscriptions they belong to.
    search_fields = ("=number", "client__org_number", "client__name", "memberships__user__email")
    raw_id_fields = ("client",)
    readonly_fields = ("number",)
    inlines = [LicenseInline, MembershipInline]
    show_full_result_count = False


class ProgramLevelInline(admin.TabularInline):
    model = ProgramLevel
    extra = 0


@admin.register(Membership)
class MembershipAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
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


class SubscriptionLicenseAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        subscription = cleaned.get("subscription")
        if subscription is not None:
            _check_license(self, subscription.plan)
        return cleaned


@admin.register(SubscriptionLicense)
class SubscriptionLicenseAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    form = SubscriptionLicenseAdminForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        subscription = obj.subscription if obj is not None else None
        request.license_subscription = subscription  # type: ignore[attr-defined]
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _offered_programs_field(db_field, getattr(request, "license_subscription", None), kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
class CounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: abonnemangsnummer must never be reused, so nobody edits this."""

    list_display = ("name", "value")
