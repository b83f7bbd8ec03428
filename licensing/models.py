from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
