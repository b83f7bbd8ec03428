from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from clients.models import Plan
from firm_portal.request_data import validate_date_in_range


class LicenseChange(models.Model):
    """A billable change of a subscription's licence count, kept so invoicing
    can charge it (pro rata) and support can see who did what."""

    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="license_changes"
    )
    program = models.ForeignKey("clients.Program", on_delete=models.PROTECT, related_name="+")
    delta = models.IntegerField(_("förändring"))
    seats_after = models.PositiveIntegerField(_("antal efter"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("tidpunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("licensändring")
        verbose_name_plural = _("licensändringar")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.program} {self.delta:+d}"


class ClientManagerSeatChange(models.Model):
    """A billable change of a firm's client-manager seats ("Lägg till licenser")."""

    firm = models.ForeignKey(
        "firm_portal.Firm", on_delete=models.PROTECT, related_name="seat_changes"
    )
    delta = models.IntegerField(_("förändring"))
    seats_after = models.PositiveIntegerField(_("antal efter"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("tidpunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("ändring av licenser för Klienthanteraren")
        verbose_name_plural = _("ändringar av licenser för Klienthanteraren")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.firm_id} {self.delta:+d}"


class FirmCharge(models.Model):
    """A one-off fee on the firm's next invoice, such as a manual coupling.

    Invoicing picks the rows with no `invoiced_at` and stamps them; a manual
    coupling can be charged at most once (the unique id below)."""

    class Source(models.TextChoices):
        MANUAL_COUPLING = "manual_coupling", _("Manuell koppling")

    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="charges",
        verbose_name=_("byrå"),
    )
    amount = models.DecimalField(
        _("belopp"), max_digits=10, decimal_places=2, help_text=_("Kronor exklusive moms.")
    )
    description = models.CharField(_("beskrivning"), max_length=200)
    source = models.CharField(_("källa"), max_length=40, choices=Source.choices)
    # The manual coupling charged (collaboration.ManualCoupling), by id: billing
    # sits below collaboration and points at none of its models (README,
    # "Layers"). Unique: a manual coupling is charged at most once.
    manual_coupling_id = models.BigIntegerField(
        _("manuell koppling"), null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    invoiced_at = models.DateTimeField(_("fakturerad"), null=True, blank=True)

    class Meta:
        verbose_name = _("avgift")
        verbose_name_plural = _("avgifter")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="firm_charge_amount_positive"),
            models.CheckConstraint(
                condition=~Q(source="manual_coupling") | Q(manual_coupling_id__isnull=False),
                name="firm_charge_manual_coupling_has_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["firm", "created_at"],
                condition=Q(invoiced_at__isnull=True),
                name="firm_charge_uninvoiced_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount} kr)"


# --- Billing: price list, who pays, invoices ---------------------------------
# Services in licensing/billing.py; the rules (days, pro rata, rounding) are
# documented there. Amounts are kronor excluding VAT, two decimals (öre).


def _overlapping_periods[M: models.Model](
    queryset: models.QuerySet[M], *, valid_from: date, valid_to: date | None
) -> models.QuerySet[M]:
    """Rows of `queryset` whose [valid_from, valid_to] (inclusive, open-ended
    when valid_to is empty) meets the given period."""
    overlapping = queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    return overlapping


class PricePeriod(models.Model):
    """A monthly price with a validity period. A new price is a new row (end
    the old one the day before): invoices copy unit prices as numbers, so no
    change here rewrites an issued invoice. Periods of the same key
    (`period_key`) must not overlap; `clean()` says so in admin and, on
    PostgreSQL, an exclusion constraint (migration 0005) makes sure."""

    period_key: tuple[str, ...] = ()

    list_price = models.DecimalField(
        _("listpris"), max_digits=10, decimal_places=2, help_text=_("Kronor per månad exkl. moms.")
    )
    reseller_price = models.DecimalField(
        _("återförsäljarpris"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Kronor per månad exkl. moms, för byråer med återförsäljaravtal."),
    )
    valid_from = models.DateField(_("gäller från och med"), validators=[validate_date_in_range])
    valid_to = models.DateField(
        _("gäller till och med"),
        null=True,
        blank=True,
        help_text=_("Tomt: tills vidare."),
        validators=[validate_date_in_range],
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="%(class)s_period_ends_after_start",
                violation_error_message=_("Slutdatumet kan inte vara före startdatumet."),
            ),
            models.CheckConstraint(
                condition=Q(list_price__gte=0) & Q(reseller_price__gte=0),
                name="%(class)s_prices_not_negative",
                violation_error_message=_("Priser kan inte vara negativa."),
            ),
            models.CheckConstraint(
                condition=Q(reseller_price__lte=models.F("list_price")),
                name="%(class)s_reseller_not_above_list",
                violation_error_message=_("Återförsäljarpriset kan inte vara högre än listpriset."),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        key = {name: getattr(self, name) for name in self.period_key}
        if self.valid_from is None or any(value in (None, "") for value in key.values()):
            return  # the field errors already say what is missing
        others = type(self)._default_manager.filter(**key).exclude(pk=self.pk)
        clash = (
            _overlapping_periods(others, valid_from=self.valid_from, valid_to=self.valid_to)
            .order_by("valid_from")
            .first()
        )
        if clash is not None:
            until = clash.valid_to.isoformat() if clash.valid_to else _("tills vidare")
            raise ValidationError(
                _(
                    "Perioden överlappar ett annat pris för samma sak (%(start)s – %(end)s). "
                    "Avsluta det andra priset dagen före, eller ändra datumen."
                )
                % {"start": clash.valid_from.isoformat(), "end": until},
                code="overlap",
            )

    def price(self, *, reseller: bool) -> Decimal:
        return self.reseller_price if reseller else self.list_price


class PlanPrice(PricePeriod):
    """The monthly base price of a subscription on a plan ("Grundavgift")."""

    period_key = ("plan",)

    plan = models.CharField(_("variant"), max_length=20, choices=Plan.choices)

    class Meta(PricePeriod.Meta):
        verbose_name = _("grundavgift")
        verbose_name_plural = _("grundavgifter")
        ordering = ["plan", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_plan_display()} {self.valid_from}"


class ProgramPrice(PricePeriod):
    """The monthly price of one licence of a program on a plan."""

    period_key = ("plan", "program_id")

    plan = models.CharField(_("variant"), max_length=20, choices=Plan.choices)
    program = models.ForeignKey(
        "clients.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )

    class Meta(PricePeriod.Meta):
        verbose_name = _("licenspris")
        verbose_name_plural = _("licenspriser")
        ordering = ["plan", "program__sort_order", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_plan_display()} {self.program_id} {self.valid_from}"


class ClientManagerSeatPrice(PricePeriod):
    """The monthly price of one client-manager seat (a firm's "licens för
    Klienthanteraren")."""

    class Meta(PricePeriod.Meta):
        verbose_name = _("pris för licens i Klienthanteraren")
        verbose_name_plural = _("priser för licenser i Klienthanteraren")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"Klienthanteraren {self.valid_from}"


class ResellerAgreement(models.Model):
    """ "Återförsäljaravtal": lets a firm take its customers' invoices on a
    Samlingsfaktura at reseller prices, on the days it is valid."""

    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="reseller_agreements",
        verbose_name=_("byrå"),
    )
    reference = models.CharField(_("avtalsnummer"), max_length=50, blank=True)
    valid_from = models.DateField(_("gäller från och med"), validators=[validate_date_in_range])
    valid_to = models.DateField(
        _("gäller till och med"),
        null=True,
        blank=True,
        help_text=_("Tomt: tills vidare."),
        validators=[validate_date_in_range],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("återförsäljaravtal")
        verbose_name_plural = _("återförsäljaravtal")
        ordering = ["firm", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="reseller_agreement_ends_after_start",
                violation_error_message=_("Slutdatumet kan inte vara före startdatumet."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} {self.valid_from}–{self.valid_to or ''}"

    def clean(self) -> None:
        super().clean()
        if self.firm_id is None or self.valid_from is None:
            return
        others = ResellerAgreement.objects.filter(firm_id=self.firm_id).exclude(pk=self.pk)
        if _overlapping_periods(
            others, valid_from=self.valid_from, valid_to=self.valid_to
        ).exists():
            raise ValidationError(
                _("Byrån har redan ett återförsäljaravtal som gäller under en del av perioden."),
                code="overlap",
            )

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class PostalAddress(models.Model):
    """Where invoices go: a postal address and an email for the PDF."""

    street = models.CharField(_("utdelningsadress"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=6, blank=True)
    city = models.CharField(_("ort"), max_length=100, blank=True)
    invoice_email = models.EmailField(_("e-post för fakturor"), blank=True)
    reference = models.CharField(_("er referens"), max_length=100, blank=True)

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.street, city_line) if line]


class FirmBillingDetails(PostalAddress):
    """The firm's invoice address (for its own invoice and Samlingsfaktura)."""

    firm = models.OneToOneField(
        "firm_portal.Firm",
        on_delete=models.CASCADE,
        related_name="billing_details",
        verbose_name=_("byrå"),
    )

    class Meta:
        verbose_name = _("faktureringsuppgifter för byrå")
        verbose_name_plural = _("faktureringsuppgifter för byråer")

    def __str__(self) -> str:
        return str(self.firm)


class Recipient(models.TextChoices):
    CLIENT = "client", _("Kunden")
    FIRM = "firm", _("Byrån")


class AgreementPeriod(models.IntegerChoices):
    THREE_MONTHS = 3, _("3 månader")
    TWELVE_MONTHS = 12, _("12 månader")


class SubscriptionBilling(PostalAddress):
    """Who pays for a subscription ("Fakturamottagare"), how ("Samlingsfaktura")
    and for how long ("Avtalsperiod"). A subscription without a row is billed
    to the client at list prices. Set through `billing.subscription_billing_set`,
    which checks the reseller-agreement rule. The address fields are the
    client's invoice address (the firm's is `FirmBillingDetails`)."""

    subscription = models.OneToOneField(
        "clients.Subscription",
        on_delete=models.PROTECT,
        related_name="billing",
        verbose_name=_("abonnemang"),
    )
    recipient = models.CharField(
        _("fakturamottagare"), max_length=10, choices=Recipient.choices, default=Recipient.CLIENT
    )
    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="paid_subscriptions",
        null=True,
        blank=True,
        verbose_name=_("betalande byrå"),
    )
    consolidated = models.BooleanField(
        _("samlingsfaktura"),
        default=False,
        help_text=_("Byrån får abonnemanget på sin samlingsfaktura, till återförsäljarpris."),
    )
    period_months = models.PositiveSmallIntegerField(
        _("avtalsperiod"), choices=AgreementPeriod.choices, default=AgreementPeriod.TWELVE_MONTHS
    )
    starts_on = models.DateField(_("avtalet gäller från"), validators=[validate_date_in_range])
    renews_on = models.DateField(_("förnyas"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("betalare för abonnemang")
        verbose_name_plural = _("betalare för abonnemang")
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient="client", firm__isnull=True)
                | Q(recipient="firm", firm__isnull=False),
                name="billing_firm_iff_firm_pays",
                violation_error_message=_("Välj byrån när byrån är fakturamottagare."),
            ),
            models.CheckConstraint(
                condition=Q(consolidated=False) | Q(recipient="firm"),
                name="billing_consolidated_needs_firm",
                violation_error_message=_("Samlingsfaktura går bara till en byrå."),
            ),
            models.CheckConstraint(
                condition=Q(period_months__in=[3, 12]), name="billing_period_3_or_12"
            ),
            models.CheckConstraint(
                condition=Q(renews_on__gt=models.F("starts_on")), name="billing_renews_after_start"
            ),
        ]
        indexes = [
            models.Index(
                fields=["firm"], condition=Q(consolidated=True), name="billing_consolidated_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.get_recipient_display()}"


class Invoice(models.Model):
    """One payer's invoice for one month. Immutable once issued: the
    recipient, our own details and every line's unit price are copied in,
    so later changes to prices, names or addresses never alter it.

    Payers: a firm (`payer_kind=firm`, payer_id = firm id) gets one invoice a
    month with its client-manager seats, its fees and, with Samlingsfaktura,
    every subscription it pays for; any other subscription gets its own
    invoice (`payer_kind=subscription`, payer_id = subscription id),
    addressed to the client or, without Samlingsfaktura, to the paying firm.
    The unique constraint on (payer_kind, payer_id, month) makes the monthly
    run idempotent."""

    class PayerKind(models.TextChoices):
        FIRM = "firm", _("Byrå")
        SUBSCRIPTION = "subscription", _("Abonnemang")

    number = models.PositiveBigIntegerField(_("fakturanummer"), unique=True)
    ocr = models.CharField(_("OCR-nummer"), max_length=25, unique=True)
    payer_kind = models.CharField(_("betalare"), max_length=20, choices=PayerKind.choices)
    payer_id = models.PositiveBigIntegerField()
    month = models.DateField(_("månad"), help_text=_("Den första dagen i den fakturerade månaden."))
    is_consolidated = models.BooleanField(_("samlingsfaktura"), default=False)
    recipient_kind = models.CharField(
        _("fakturamottagare"), max_length=10, choices=Recipient.choices
    )
    recipient_firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name=_("byrå"),
    )
    subscription = models.ForeignKey(
        "clients.Subscription",
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name=_("abonnemang"),
    )
    recipient_name = models.CharField(_("namn"), max_length=200)
    recipient_org_number = models.CharField(_("organisationsnummer"), max_length=11)
    recipient_address = models.JSONField(_("adress"), default=list)
    recipient_email = models.CharField(_("e-post"), max_length=254, blank=True)
    recipient_reference = models.CharField(_("er referens"), max_length=100, blank=True)
    issuer = models.JSONField(_("avsändare"), default=dict)
    issued_on = models.DateField(_("fakturadatum"))
    due_on = models.DateField(_("förfallodatum"))
    net_amount = models.DecimalField(_("summa exkl. moms"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("momssats"), max_digits=4, decimal_places=2)
    vat_amount = models.DecimalField(_("moms"), max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(_("att betala"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("faktura")
        verbose_name_plural = _("fakturor")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer_kind", "payer_id", "month"], name="invoice_one_per_payer_and_month"
            ),
            models.CheckConstraint(
                condition=Q(payer_kind="firm", payer_id=models.F("recipient_firm"))
                | Q(payer_kind="subscription", payer_id=models.F("subscription")),
                name="invoice_payer_matches_its_row",
            ),
            models.CheckConstraint(
                condition=Q(recipient_kind="client", recipient_firm__isnull=True)
                | Q(recipient_kind="firm", recipient_firm__isnull=False),
                name="invoice_recipient_firm_iff_firm",
            ),
            # Compared in whole öre: SQLite stores decimals as floating
            # point, where 198.39 + 49.60 is not 247.99. Each amount has two
            # decimals, so ×100 and rounded it is an exact integer on both
            # databases (PostgreSQL's numeric is exact anyway).
            models.CheckConstraint(
                condition=Exact(
                    Round(models.F("total_amount") * 100),
                    Round(models.F("net_amount") * 100) + Round(models.F("vat_amount") * 100),
                ),
                name="invoice_total_is_net_plus_vat_in_ore",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("issued_on")), name="invoice_due_after_issue"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient_firm", "-number"], name="invoice_firm_idx"),
            models.Index(fields=["subscription", "-number"], name="invoice_subscription_idx"),
            models.Index(fields=["month"], name="invoice_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.recipient_name}"

    @property
    def payment_days(self) -> int:
        return (self.due_on - self.issued_on).days


class InvoiceLine(models.Model):
    """One line: quantity × unit price × days / days in the month, rounded
    once to öre (see licensing/billing.py). Lines of a Samlingsfaktura carry
    the customer they belong to, copied so the invoice never changes."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("Grundavgift")
        LICENSE = "license", _("Licens")
        SEAT = "seat", _("Licens för Klienthanteraren")
        FEE = "fee", _("Avgift")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    subscription = models.ForeignKey(
        "clients.Subscription",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("abonnemang"),
    )
    customer_name = models.CharField(_("kund"), max_length=200, blank=True)
    customer_org_number = models.CharField(
        _("kundens organisationsnummer"), max_length=11, blank=True
    )
    subscription_number = models.PositiveBigIntegerField(
        _("abonnemangsnummer"), null=True, blank=True
    )
    customer_plan = models.CharField(_("variant"), max_length=50, blank=True)
    description = models.CharField(_("beskrivning"), max_length=300)
    quantity = models.IntegerField(_("antal"))
    is_change = models.BooleanField(
        _("ändring under månaden"), default=False, help_text=_("Antalet är en ökning/minskning.")
    )
    unit_price = models.DecimalField(_("à-pris"), max_digits=10, decimal_places=2)
    period_start = models.DateField(_("från och med"), null=True, blank=True)
    period_end = models.DateField(_("till och med"), null=True, blank=True)
    days = models.PositiveSmallIntegerField(_("dagar"), null=True, blank=True)
    days_in_month = models.PositiveSmallIntegerField(_("dagar i månaden"), null=True, blank=True)
    amount = models.DecimalField(_("belopp"), max_digits=12, decimal_places=2)
    firm_charge = models.OneToOneField(
        FirmCharge,
        on_delete=models.PROTECT,
        related_name="invoice_line",
        null=True,
        blank=True,
        verbose_name=_("avgift"),
    )

    class Meta:
        verbose_name = _("fakturarad")
        verbose_name_plural = _("fakturarader")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="invoice_line_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(days__isnull=True) | Q(days__lte=models.F("days_in_month")),
                name="invoice_line_days_within_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"

    @property
    def is_pro_rata(self) -> bool:
        return self.days is not None and self.days != self.days_in_month


# --- Changes made on "Samarbeten" (collaboration/changes/services.py) --------


class PlanChange(models.Model):
    """A change of a subscription's plan ("Variant"). It is in force from the
    day it is made: invoicing prices each day by the plan held at the end of
    that day, like licence changes (see licensing/billing.py)."""

    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="plan_changes"
    )
    plan_before = models.CharField(_("variant före"), max_length=20, choices=Plan.choices)
    plan_after = models.CharField(_("variant efter"), max_length=20, choices=Plan.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("tidpunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("variantändring")
        verbose_name_plural = _("variantändringar")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_at"], name="plan_change_created_idx")]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.plan_before} → {self.plan_after}"


class BillingChange(models.Model):
    """A change of who pays ("Fakturamottagare"), in force from `effective_on`
    (the first of a month). `SubscriptionBilling` holds the newest choice at
    once; invoicing a month that ends before `effective_on` uses the values
    before the change (the earliest such change per subscription)."""

    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="billing_changes"
    )
    effective_on = models.DateField(_("gäller från och med"))
    recipient_before = models.CharField(max_length=10, choices=Recipient.choices)
    firm_before = models.ForeignKey(
        "firm_portal.Firm", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    consolidated_before = models.BooleanField(default=False)
    recipient_after = models.CharField(max_length=10, choices=Recipient.choices)
    firm_after = models.ForeignKey(
        "firm_portal.Firm", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    consolidated_after = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("tidpunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("ändring av fakturamottagare")
        verbose_name_plural = _("ändringar av fakturamottagare")
        ordering = ["effective_on", "created_at", "pk"]
        indexes = [
            models.Index(fields=["effective_on"], name="billing_change_effective_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.recipient_before} → {self.recipient_after}"
