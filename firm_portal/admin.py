from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from firm_portal.admin_search import OrgNumberSearchMixin
from firm_portal.emails import NormalizedEmailField
from firm_portal.models import Consultant, Firm, User
from firm_portal.phone import normalize_mobile
from firm_portal.templatetags.masking import mobile_masked, personnummer_masked


class SupportUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    """The mobile number as every other form takes it: E.164, a country we text."""

    def clean_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["mobile"])


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = SupportUserChangeForm
    # The one form of an address (firm_portal/emails.py), also for support.
    formfield_overrides = {models.EmailField: {"form_class": NormalizedEmailField}}
    ordering = ("email",)
    list_display = (
        "email",
        "full_name",
        "mobile_display",
        "personal_number_display",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name", "mobile")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        # The change form shows them in full; the list masks them.
        (_("Person"), {"fields": ("full_name", "mobile", "personal_number")}),
        (
            _("Behörigheter"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Datum"), {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description=_("mobilnummer"))
    def mobile_display(self, user: User) -> str:
        return mobile_masked(user.mobile)

    @admin.display(description=_("personnummer"))
    def personal_number_display(self, user: User) -> str:
        return personnummer_masked(user.personal_number)

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


class ConsultantInline(admin.TabularInline):
    model = Consultant
    extra = 0
    raw_id_fields = ("user",)
    fields = (
        "user",
        "is_firm_admin",
        "is_client_manager_admin",
        "has_client_manager_seat",
        "is_active",
    )


@admin.register(Firm)
class FirmAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = ("name", "org_number", "client_manager_seats")
    search_fields = ("name", "org_number")
    ordering = ("name", "pk")
    inlines = [ConsultantInline]


@admin.register(Consultant)
class ConsultantAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = (
        "user",
        "firm",
        "is_firm_admin",
        "is_client_manager_admin",
        "has_client_manager_seat",
        "is_active",
    )
    list_filter = (
        "is_active",
        "is_firm_admin",
        "is_client_manager_admin",
        "has_client_manager_seat",
    )
    list_select_related = ("user", "firm")
    search_fields = ("user__email", "user__full_name", "firm__name", "firm__org_number")
    ordering = ("firm__name", "user__full_name", "pk")
    raw_id_fields = ("user", "firm")
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Consultant], search_term: str
    ) -> tuple[QuerySet[Consultant], bool]:
        """The manual coupling's "Ansvarig konsult" search offers active
        consultants only (of the firm chosen, when the form sends it along;
        the form checks the firm again when saved)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (
            request.GET.get("app_label"),
            request.GET.get("model_name"),
            request.GET.get("field_name"),
        ) == ("collaboration", "manualcoupling", "responsible_consultant"):
            results = results.filter(is_active=True, user__is_active=True)
            firm = request.GET.get("firm", "")
            if firm.isdigit():
                results = results.filter(firm_id=int(firm))
        return results, may_have_duplicates
