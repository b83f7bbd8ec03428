"""The billable history of changes: licence counts, client-manager seats, plans
(all in force the day they are made, billed pro rata) and invoice recipients
(from the first of the next month). Written by clients.services and
collaboration/changes/services.py; read by the invoicing run."""

from django.conf import settings
from django.db import models
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
