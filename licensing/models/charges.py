"""One-off fees on a firm's next invoice."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
