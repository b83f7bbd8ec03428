from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CollaborationRequest(models.Model):
    """A firm's request ("Förfrågan om samarbete") to couple with a subscription."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar på svar")
        APPROVED = "approved", _("Godkänd")
        REJECTED = "rejected", _("Avböjd")
        WITHDRAWN = "withdrawn", _("Återkallad")
        EXPIRED = "expired", _("Utgången")

    firm = models.ForeignKey(
        "firm_portal.Firm", on_delete=models.PROTECT, related_name="collaboration_requests"
    )
    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="collaboration_requests"
    )
    responsible_consultant = models.ForeignKey(
        "firm_portal.Consultant",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ansvarig konsult"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(
        _("startdatum"), null=True, blank=True, help_text=_("Tomt: direkt vid godkännande")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("går ut"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("förfrågan om samarbete")
        verbose_name_plural = _("förfrågningar om samarbete")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "subscription"],
                condition=Q(status="pending"),
                name="request_one_pending_per_firm_subscription",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subscription"],
                condition=Q(status="pending"),
                name="request_pending_by_sub_idx",
            ),
            models.Index(
                fields=["expires_at"], condition=Q(status="pending"), name="request_expiry_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} → {self.subscription_id} ({self.status})"


class Coupling(models.Model):
    """A link between a firm and a subscription ("Sammankoppling")."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Schemalagd")
        ACTIVE = "active", _("Aktiv")
        ENDED = "ended", _("Avslutad")

    firm = models.ForeignKey("firm_portal.Firm", on_delete=models.PROTECT, related_name="couplings")
    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="couplings"
    )
    request = models.OneToOneField(
        CollaborationRequest,
        on_delete=models.PROTECT,
        related_name="coupling",
        null=True,
        blank=True,
    )
    responsible_consultant = models.ForeignKey(
        "firm_portal.Consultant",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("ansvarig konsult"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    starts_on = models.DateField(_("startdatum"))
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sammankoppling")
        verbose_name_plural = _("sammankopplingar")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "subscription"],
                condition=Q(status__in=["scheduled", "active"]),
                name="coupling_one_live_per_firm_subscription",
            ),
        ]
        indexes = [
            models.Index(
                fields=["starts_on"], condition=Q(status="scheduled"), name="coupling_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} ↔ {self.subscription_id} ({self.status})"
