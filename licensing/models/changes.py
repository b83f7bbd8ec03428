"""What changes during a month and is billed for it: licence, seat, plan and
payer changes, and the firm's fees."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Plan
from licensing.models.payers import Recipient


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


# --- Changes made on "Samarbeten" (collaboration/changes/services.py) --------


class PlanChange(models.Model):
    """A change of a subscription's plan ("Variant"). It is in force from the
    day it is made: invoicing prices each day by the plan held at the end of
    that day, like licence changes (see licensing/billing/__init__.py)."""

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
