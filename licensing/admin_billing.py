"""Support's billing admin: the price list, reseller agreements, who pays for
each subscription, and the invoices (read-only, with their PDF)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from firm_portal.admin_readonly import ReadOnlyAdminMixin
from firm_portal.admin_search import OrgNumberSearchMixin
from firm_portal.timeutils import today_in_stockholm
from licensing import billing, pdf
from licensing.models import (
    ClientManagerSeatPrice,
    FirmBillingDetails,
    Invoice,
    InvoiceLine,
    PlanPrice,
    ProgramPrice,
    ResellerAgreement,
    SubscriptionBilling,
)

PRICE_COLUMNS = ("list_price", "reseller_price", "valid_from", "valid_to")

postal_code_validator = RegexValidator(
    r"^\d{3} ?\d{2}$", _("Ange postnumret med fem siffror, till exempel 111 22.")
)


class PricePeriodAdmin(admin.ModelAdmin):
    """Prices are edited here. The model's clean() refuses overlapping periods
    for the same plan/program; invoices already issued keep their prices."""

    date_hierarchy = "valid_from"
    save_as = True  # "Spara som ny": the usual way to add the next period


@admin.register(PlanPrice)
class PlanPriceAdmin(PricePeriodAdmin):
    list_display = ("plan", *PRICE_COLUMNS)
    list_filter = ("plan",)


@admin.register(ProgramPrice)
class ProgramPriceAdmin(PricePeriodAdmin):
    list_display = ("plan", "program", *PRICE_COLUMNS)
    list_filter = ("plan", "program")
    list_select_related = ("program",)


@admin.register(ClientManagerSeatPrice)
class ClientManagerSeatPriceAdmin(PricePeriodAdmin):
    list_display = PRICE_COLUMNS


@admin.register(ResellerAgreement)
class ResellerAgreementAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    list_display = ("firm", "reference", "valid_from", "valid_to", "active_today")
    list_select_related = ("firm",)
    search_fields = ("firm__name", "firm__org_number", "reference")
    raw_id_fields = ("firm",)
    show_full_result_count = False

    @admin.display(boolean=True, description=_("aktivt i dag"))
    def active_today(self, obj: ResellerAgreement) -> bool:
        return obj.is_valid_on(today_in_stockholm())


class FirmBillingDetailsForm(forms.ModelForm):
    postal_code = forms.CharField(
        label=_("postnummer"), max_length=6, required=False, validators=[postal_code_validator]
    )

    class Meta:
        model = FirmBillingDetails
        fields = ["firm", "street", "postal_code", "city", "invoice_email", "reference"]


@admin.register(FirmBillingDetails)
class FirmBillingDetailsAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    form = FirmBillingDetailsForm
    list_display = ("firm", "street", "postal_code", "city", "invoice_email")
    list_select_related = ("firm",)
    search_fields = ("firm__name", "firm__org_number")
    raw_id_fields = ("firm",)


class SubscriptionBillingForm(forms.ModelForm):
    postal_code = forms.CharField(
        label=_("postnummer"), max_length=6, required=False, validators=[postal_code_validator]
    )

    class Meta:
        model = SubscriptionBilling
        fields = [
            "subscription",
            "recipient",
            "firm",
            "consolidated",
            "period_months",
            "starts_on",
            "street",
            "postal_code",
            "city",
            "invoice_email",
            "reference",
        ]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("starts_on") and cleaned.get("period_months"):
            try:
                billing.billing_validate(
                    recipient=cleaned.get("recipient", ""),  # type: ignore[arg-type]
                    firm=cleaned.get("firm"),  # type: ignore[arg-type]
                    consolidated=bool(cleaned.get("consolidated")),
                    period_months=int(cleaned["period_months"]),  # type: ignore[call-overload]
                    starts_on=cleaned["starts_on"],  # type: ignore[arg-type]
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(SubscriptionBilling)
class SubscriptionBillingAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    form = SubscriptionBillingForm
    list_display = (
        "subscription",
        "recipient",
        "firm",
        "consolidated",
        "period_months",
        "starts_on",
        "renews_on",
    )
    list_filter = ("recipient", "consolidated", "period_months")
    list_select_related = ("subscription__client", "firm")
    search_fields = (
        "=subscription__number",
        "subscription__client__name",
        "subscription__client__org_number",
        "firm__name",
    )
    raw_id_fields = ("subscription", "firm")
    readonly_fields = ("renews_on",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Through the service, which also sets the renewal date.
        saved = billing.subscription_billing_set(
            subscription=obj.subscription,
            recipient=obj.recipient,
            firm=obj.firm,
            consolidated=obj.consolidated,
            period_months=obj.period_months,
            starts_on=obj.starts_on,
            street=obj.street,
            postal_code=obj.postal_code,
            city=obj.city,
            invoice_email=obj.invoice_email,
            reference=obj.reference,
        )
        obj.pk, obj.renews_on = saved.pk, saved.renews_on


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = (
        "position",
        "customer_name",
        "subscription_number",
        "description",
        "period_start",
        "period_end",
        "days",
        "quantity",
        "unit_price",
        "amount",
        "firm_charge",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, OrgNumberSearchMixin, admin.ModelAdmin):
    """Invoices are issued by the monthly run and never edited; support
    reads them and downloads the PDF the customer got."""

    list_display = (
        "number",
        "month",
        "recipient_name",
        "recipient_org_number",
        "is_consolidated",
        "total_amount",
        "issued_on",
        "due_on",
        "pdf_link",
    )
    list_filter = ("month", "payer_kind", "recipient_kind", "is_consolidated")
    search_fields = ("=number", "=ocr", "recipient_name", "recipient_org_number")
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline]
    show_full_result_count = False
    readonly_fields = (
        "pdf_link",
        "number",
        "ocr",
        "month",
        "is_consolidated",
        "payer_kind",
        "payer_id",
        "recipient_kind",
        "recipient_firm",
        "subscription",
        "recipient_name",
        "recipient_org_number",
        "recipient_address",
        "recipient_email",
        "recipient_reference",
        "issuer",
        "issued_on",
        "due_on",
        "net_amount",
        "vat_rate",
        "vat_amount",
        "total_amount",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Invoice) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:licensing_invoice_pdf", args=[obj.pk]),
            _("Ladda ned PDF"),
        )

    def get_urls(self) -> list[URLPattern]:  # type: ignore[override]
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="licensing_invoice_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return pdf.invoice_pdf_response(get_object_or_404(Invoice, pk=pk))
