"""Issued invoices and their lines."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from licensing.models.changes import FirmCharge
from licensing.models.payers import Recipient


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
    once to öre (see licensing/billing/__init__.py). Lines of a Samlingsfaktura carry
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
