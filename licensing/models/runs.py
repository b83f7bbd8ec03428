"""The monthly invoicing run, spread over workers: one row per month and one
per payer, so any number of workers can take the payers (see
licensing/billing/runs.py) and support sees progress and failures."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from licensing.models.invoices import Invoice


class InvoicingRun(models.Model):
    """One month's run. Its payers are planned once and then invoiced in
    chunks; the counts are refreshed after every chunk."""

    month = models.DateField(
        _("månad"), unique=True, help_text=_("Den första dagen i den fakturerade månaden.")
    )
    issued_on = models.DateField(_("fakturadatum"))
    chunk_size = models.PositiveIntegerField(_("betalare per del"))
    chunks = models.PositiveIntegerField(_("delar"), default=0)
    payers_total = models.PositiveIntegerField(_("betalare"), default=0)
    payers_done = models.PositiveIntegerField(_("klara"), default=0)
    payers_failed = models.PositiveIntegerField(_("misslyckade"), default=0)
    created_at = models.DateTimeField(_("startad"), auto_now_add=True)
    finished_at = models.DateTimeField(_("klar"), null=True, blank=True)

    class Meta:
        verbose_name = _("faktureringskörning")
        verbose_name_plural = _("faktureringskörningar")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def payers_pending(self) -> int:
        return self.payers_total - self.payers_done - self.payers_failed


class InvoicingPayer(models.Model):
    """One payer of a run: a firm or a subscription (as on `Invoice`). A
    worker takes a pending payer with FOR UPDATE SKIP LOCKED and settles it
    in the same transaction as its invoice, so a payer is invoiced once
    however many workers run the same chunk."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar")
        INVOICED = "invoiced", _("Fakturerad")
        NOTHING = "nothing", _("Inget att fakturera")
        FAILED = "failed", _("Misslyckades")

    run = models.ForeignKey(InvoicingRun, on_delete=models.CASCADE, related_name="payers")
    position = models.PositiveIntegerField()
    chunk = models.PositiveIntegerField(_("del"))
    payer_kind = models.CharField(_("betalare"), max_length=20, choices=Invoice.PayerKind.choices)
    payer_id = models.PositiveBigIntegerField()
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reason = models.TextField(_("orsak"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    settled_at = models.DateTimeField(_("behandlad"), null=True, blank=True)

    class Meta:
        verbose_name = _("betalare i faktureringskörning")
        verbose_name_plural = _("betalare i faktureringskörning")
        ordering = ["run_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "payer_kind", "payer_id"], name="invoicing_payer_once_per_run"
            ),
            models.CheckConstraint(
                condition=Q(status="invoiced", invoice__isnull=False)
                | (~Q(status="invoiced") & Q(invoice__isnull=True)),
                name="invoicing_payer_invoice_iff_invoiced",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "chunk", "position"], name="invoicing_payer_chunk_idx"),
            models.Index(fields=["run", "status"], name="invoicing_payer_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.payer_kind} {self.payer_id}"
