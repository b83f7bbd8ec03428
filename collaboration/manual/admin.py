"""Django admin for support staff: manual couplings (Flow 6) and the firms'
pending charges (the access ledger's admin: collaboration/ledger/admin.py)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import ValidationError
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from collaboration.manual.perform import PerformOutcome, manual_coupling_perform
from collaboration.manual.scanned_forms import scanned_form_type
from collaboration.manual.services import (
    PERFORM_PERMISSION,
    Registration,
    kronor,
    manual_coupling_apply,
    manual_coupling_check,
    manual_coupling_check_responsible,
    manual_coupling_check_sysadmin,
    manual_coupling_fee_settle,
    manual_coupling_override_note,
)
from collaboration.models import ManualCoupling
from firm_portal.admin_readonly import ReadOnlyAdminMixin
from firm_portal.admin_search import OrgNumberSearchMixin
from firm_portal.org_numbers import normalize_org_number
from licensing.models import FirmCharge


def _admin_link(obj: Model | None, text: object = None) -> SafeString | str:
    if obj is None:
        return "–"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


class _LinkedFile:
    """A stored file as the file input shows it: its name, linked to the
    download view (the storage itself has no URL)."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class ScannedFormInput(forms.ClearableFileInput):
    def __init__(self, *, download_url: str, attrs: dict[str, str]) -> None:
        super().__init__(attrs=attrs)
        self.download_url = download_url

    def is_initial(self, value: Any) -> bool:
        return bool(value and getattr(value, "name", None) and self.download_url)

    def format_value(self, value: Any) -> Any:
        if self.is_initial(value):
            return _LinkedFile(value.name, self.download_url)
        return None


def scanned_form_response(request: HttpRequest, manual: ManualCoupling) -> FileResponse:
    """The scanned form as an attachment, never cached."""
    stored = manual.scanned_form
    stored.open("rb")
    content_type = scanned_form_type(stored) or "application/octet-stream"
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=(stored.name or "").rsplit("/", 1)[-1],
        content_type=content_type,
    )
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response


class ManualCouplingForm(forms.ModelForm):
    """Registers a paper form: the client by organisationsnummer (and
    abonnemangsnummer when it has several), checked by the same rules the
    service applies. The fee is computed; a different one needs a reason."""

    # Longer than the stored NNNNNN-NNNN: 16NNNNNNNNNN and spaces are accepted.
    org_number = forms.CharField(
        label=_("Organisationsnummer"),
        max_length=20,
        help_text=_("Kundens organisationsnummer enligt blanketten."),
    )

    class Meta:
        model = ManualCoupling
        fields = (
            "firm",
            "org_number",
            "subscription_number_given",
            "responsible_consultant",
            "form_received_on",
            "sysadmin_named",
            "sysadmin_email",
            "sysadmin_name",
            "scanned_form",
            "comment",
            "fee",
            "fee_override_reason",
        )
        widgets = {"sysadmin_named": forms.RadioSelect}

    registration: Registration | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "fee" in self.fields:
            self.fields["fee"].required = False
            self.fields["fee"].label = _("Avgift att debitera")
            self.fields["fee"].help_text = _(
                "Lämna tomt för att debitera den beräknade avgiften. En annan avgift kräver "
                "en motivering."
            )
            if self.instance.pk is None or self.instance.fee == self.instance.computed_fee:
                self.initial["fee"] = None
        if "scanned_form" in self.fields:
            field = self.fields["scanned_form"]
            field.widget = ScannedFormInput(
                download_url=(
                    reverse(
                        "admin:collaboration_manualcoupling_scanned_form", args=[self.instance.pk]
                    )
                    if self.instance.pk
                    else ""
                ),
                # Django admin puts a file field in a <fieldset> whose <legend>
                # names the group, not the <input type=file> itself (axe: label).
                attrs={"aria-label": str(field.label), "accept": ".pdf,.jpg,.jpeg,.png"},
            )

    def clean_org_number(self) -> str:
        return normalize_org_number(self.cleaned_data["org_number"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "sysadmin_named" in self.fields:
            try:
                named = manual_coupling_check_sysadmin(
                    named=cleaned.get("sysadmin_named"),
                    email=cleaned.get("sysadmin_email"),
                    name=cleaned.get("sysadmin_name"),
                )
            except ValidationError as error:
                self.add_error(None, error)
            else:
                cleaned["sysadmin_email"], cleaned["sysadmin_name"] = named.email, named.name
        firm = cleaned.get("firm")
        responsible = cleaned.get("responsible_consultant")
        org_number = cleaned.get("org_number")
        if org_number is None:
            try:
                manual_coupling_check_responsible(firm=firm, responsible=responsible)
            except ValidationError as error:
                self.add_error(None, error)
            return cleaned
        try:
            self.registration = manual_coupling_check(
                firm=firm,
                org_number=org_number,
                subscription_number=cleaned.get("subscription_number_given"),
                responsible=responsible,
                exclude_pk=self.instance.pk,
            )
            fee, override_reason = manual_coupling_fee_settle(
                decision=self.registration.decision,
                fee=cleaned.get("fee"),
                override_reason=cleaned.get("fee_override_reason") or "",
            )
        except ValidationError as error:
            self.registration = None
            self.add_error(None, error)
            return cleaned
        cleaned["fee"] = fee
        cleaned["fee_override_reason"] = override_reason
        return cleaned


ADD_FIELDSETS = (
    (
        None,
        {
            "fields": (
                "firm",
                "org_number",
                "subscription_number_given",
                "responsible_consultant",
                "form_received_on",
                "scanned_form",
                "comment",
            )
        },
    ),
    (
        _("Systemadministratör"),
        {
            "description": _(
                "Blanketten, undertecknad av kundens firmatecknare, utser abonnemangets "
                "systemadministratör: byråns ansvariga konsult blir det direkt när kopplingen "
                "genomförs; en person hos kunden får en inbjudan till sin egen e-postadress "
                "och blir systemadministratör när den accepteras."
            ),
            "fields": ("sysadmin_named", "sysadmin_email", "sysadmin_name"),
        },
    ),
    (
        _("Avgift"),
        {
            "description": _(
                "Avgiften beräknas när blanketten registreras: 600 kr om kopplingen hade "
                "kunnat göras digitalt, annars 0 kr."
            ),
            "fields": ("fee", "fee_override_reason"),
        },
    ),
)


@admin.register(ManualCoupling)
class ManualCouplingAdmin(OrgNumberSearchMixin, admin.ModelAdmin):
    form = ManualCouplingForm
    list_display = (
        "label",
        "firm_link",
        "org_number",
        "subscription_link",
        "responsible_consultant",
        "form_received_on",
        "fee_display",
        "status",
        "coupling_link",
    )
    list_display_links = ("label",)
    list_filter = ("status", "form_received_on", "registered_at", "performed_at")
    list_select_related = (
        "firm",
        "subscription__client",
        "responsible_consultant__user",
        "responsible_consultant__firm",
        "coupling",
    )
    search_fields = (
        "org_number",
        "=subscription__number",
        "=subscription_number_given",
        "firm__name",
        "firm__org_number",
        "responsible_consultant__user__email",
    )
    # Chosen by search; "Ansvarig konsult" among the active consultants of
    # the chosen firm (ConsultantAdmin.get_search_results, the script below).
    autocomplete_fields = ("firm", "responsible_consultant")
    # Foreign keys shown read-only link to their own admin pages.
    readonly_fields = (
        "status",
        "subscription",
        "computed_fee_display",
        "fee_reason",
        "fee_overridden_by",
        "coupling",
        "charge_link",
        "registered_by",
        "registered_at",
        "performed_by",
        "performed_at",
        "refused_by",
        "refused_at",
        "refused_reason",
    )
    show_full_result_count = False
    actions = ["perform"]

    class Media:
        js = ("admin/js/jquery.init.js", "collaboration/manual_coupling_autocomplete.js")

    def get_urls(self) -> list[Any]:
        # Not wrapped in admin_view: everyone else gets a 404, not a login page.
        return [
            path(
                "<int:object_id>/blankett/",
                self.scanned_form_download,
                name="collaboration_manualcoupling_scanned_form",
            ),
            *super().get_urls(),
        ]

    def scanned_form_download(
        self, request: HttpRequest, object_id: int
    ) -> HttpResponse | FileResponse:
        """The scanned form, for active staff with the manual-coupling
        permission only; 404 for firms, clients, other staff and anonymous."""
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm(PERFORM_PERMISSION)):
            raise Http404
        manual = ManualCoupling.objects.filter(pk=object_id).first()
        if manual is None or not manual.scanned_form:
            raise Http404
        try:
            return scanned_form_response(request, manual)
        except FileNotFoundError:
            raise Http404 from None

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ADD_FIELDSETS
        return (
            (
                None,
                {
                    "fields": (
                        "status",
                        "firm",
                        "org_number",
                        "subscription_number_given",
                        "subscription",
                        "responsible_consultant",
                        "form_received_on",
                        "scanned_form",
                        "comment",
                    )
                },
            ),
            (
                _("Systemadministratör"),
                {"fields": ("sysadmin_named", "sysadmin_email", "sysadmin_name")},
            ),
            (
                _("Avgift"),
                {
                    "fields": (
                        "computed_fee_display",
                        "fee_reason",
                        "fee",
                        "fee_override_reason",
                        "fee_overridden_by",
                        "charge_link",
                    )
                },
            ),
            (
                _("Historik"),
                {
                    "fields": (
                        "registered_by",
                        "registered_at",
                        "performed_by",
                        "performed_at",
                        "coupling",
                        "refused_by",
                        "refused_at",
                        "refused_reason",
                    )
                },
            ),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ManualCoupling]:
        charges = FirmCharge.objects.filter(manual_coupling_id=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .select_related(
                "firm",
                "subscription__client",
                "responsible_consultant__user",
                "responsible_consultant__firm",
                "coupling",
                "registered_by",
                "performed_by",
                "refused_by",
                "fee_overridden_by",
            )
            .annotate(
                # The charge points here by id (licensing sits below collaboration).
                charge_pk=Subquery(charges.values("pk")[:1]),
                charge_amount=Subquery(charges.values("amount")[:1]),
            )
        )

    # A performed or refused form is history: shown, never changed.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != ManualCoupling.Status.REGISTERED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != ManualCoupling.Status.REGISTERED:
            return False
        return super().has_delete_permission(request, obj)

    def has_perform_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERFORM_PERMISSION)

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        # Bulk deletion would not look at each form's status.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        registration = form.registration
        override_changed = manual_coupling_apply(
            manual=obj,
            registration=registration,
            fee=obj.fee,
            fee_override_reason=obj.fee_override_reason,
            actor=request.user,  # type: ignore[arg-type]
        )
        super().save_model(request, obj, form, change)
        if override_changed:
            self.log_change(request, obj, manual_coupling_override_note(obj))
        self.message_user(
            request,
            gettext("Beräknad avgift %(fee)s. %(reason)s")
            % {"fee": kronor(obj.computed_fee), "reason": obj.fee_reason},
            messages.INFO,
        )

    @admin.action(
        description=_("Genomför koppling"),
        permissions=["perform"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def perform(self, request: HttpRequest, queryset: QuerySet[ManualCoupling]) -> None:
        levels = {
            PerformOutcome.PERFORMED: messages.SUCCESS,
            PerformOutcome.ALREADY_PERFORMED: messages.WARNING,
            PerformOutcome.REFUSED: messages.ERROR,
        }
        for manual_id in queryset.order_by("pk").values_list("pk", flat=True):
            result = manual_coupling_perform(manual_id=manual_id, actor=request.user)  # type: ignore[arg-type]
            self.message_user(request, result.message, levels[result.outcome])
            if result.changed:
                self.log_change(request, result.manual, result.message)

    @admin.display(description=_("nr"), ordering="pk")
    def label(self, obj: ManualCoupling) -> str:
        return f"#{obj.pk}"

    @admin.display(description=_("byrå"), ordering="firm__name")
    def firm_link(self, obj: ManualCoupling) -> SafeString | str:
        return _admin_link(obj.firm)

    @admin.display(description=_("abonnemang"), ordering="subscription__number")
    def subscription_link(self, obj: ManualCoupling) -> SafeString | str:
        return _admin_link(obj.subscription)

    @admin.display(description=_("sammankoppling"))
    def coupling_link(self, obj: ManualCoupling) -> SafeString | str:
        return _admin_link(obj.coupling, obj.coupling and obj.coupling.get_status_display())

    @admin.display(description=_("avgift på faktura"))
    def charge_link(self, obj: ManualCoupling) -> SafeString | str:
        charge_pk = getattr(obj, "charge_pk", None)
        if charge_pk is None:
            return "–"
        url = reverse("admin:licensing_firmcharge_change", args=[charge_pk])
        return format_html('<a href="{}">{}</a>', url, kronor(obj.charge_amount))  # type: ignore[attr-defined]

    @admin.display(description=_("beräknad avgift"))
    def computed_fee_display(self, obj: ManualCoupling) -> str:
        return kronor(obj.computed_fee) if obj.computed_fee is not None else "–"

    @admin.display(description=_("avgift"), ordering="fee")
    def fee_display(self, obj: ManualCoupling) -> str:
        if obj.fee != obj.computed_fee:
            return gettext("%(fee)s (ändrad)") % {"fee": kronor(obj.fee)}
        return kronor(obj.fee)


class InvoicedFilter(admin.SimpleListFilter):
    title = _("fakturerad")
    parameter_name = "fakturerad"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("nej", _("Nej, väntar på nästa faktura")), ("ja", _("Ja"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "nej":
            return queryset.filter(invoiced_at__isnull=True)
        if self.value() == "ja":
            return queryset.filter(invoiced_at__isnull=False)
        return queryset


@admin.register(FirmCharge)
class FirmChargeAdmin(ReadOnlyAdminMixin, OrgNumberSearchMixin, admin.ModelAdmin):
    """One-off fees for the firms' next invoices. Written by services
    (manual couplings) and stamped by invoicing; nobody edits them here."""

    list_display = (
        "created_at",
        "firm_link",
        "amount_display",
        "description",
        "source",
        "invoice_status",
    )
    list_filter = (InvoicedFilter, "source", "created_at")
    list_select_related = ("firm",)
    search_fields = ("firm__name", "firm__org_number", "description")
    fields = (
        "firm",
        "amount_display",
        "description",
        "source",
        "manual_coupling_link",
        "created_at",
        "invoice_status",
    )
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("byrå"), ordering="firm__name")
    def firm_link(self, obj: FirmCharge) -> SafeString | str:
        return _admin_link(obj.firm)

    @admin.display(description=_("belopp"), ordering="amount")
    def amount_display(self, obj: FirmCharge) -> str:
        return kronor(obj.amount)

    @admin.display(description=_("manuell koppling"))
    def manual_coupling_link(self, obj: FirmCharge) -> SafeString | str:
        if obj.manual_coupling_id is None:
            return "–"
        return _admin_link(ManualCoupling.objects.filter(pk=obj.manual_coupling_id).first())

    @admin.display(description=_("fakturerad"), ordering="invoiced_at")
    def invoice_status(self, obj: FirmCharge) -> str:
        if obj.invoiced_at is None:
            return gettext("Väntar på nästa faktura")
        return date_format(localtime(obj.invoiced_at), "j F Y")
