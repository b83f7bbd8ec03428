import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """An email or SMS, written in the same transaction as the change that
    caused it and delivered by a Celery task after commit."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-post")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar")
        SENDING = "sending", _("Skickas")
        SENT = "sent", _("Skickat")
        FAILED = "failed", _("Misslyckat")
        # Written but never sent on its own (an SMS over the firm's daily
        # limit); support sends it with "Skicka hållna sms".
        HELD = "held", _("Hålls inne")

    channel = models.CharField(_("kanal"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("mottagare"), max_length=254)
    template = models.CharField(_("mall"), max_length=100)
    subject = models.CharField(_("ämne"), max_length=300, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    idempotency_key = models.UUIDField(
        _("idempotensnyckel"), default=uuid.uuid4, unique=True, editable=False
    )
    attempts = models.PositiveIntegerField(_("försök"), default=0)
    last_error = models.TextField(_("senaste fel"), blank=True)
    # While SENDING: the worker's lease; a claim whose worker died is taken
    # over after it. Fencing uses `attempts`, which every claim increments.
    claimed_until = models.DateTimeField(_("reserverat till"), null=True, blank=True)
    # While PENDING after a transient failure: when the retry is due, so the
    # sweeper does not undercut the backoff.
    next_attempt_at = models.DateTimeField(_("nästa försök"), null=True, blank=True)
    # The web request (or task) whose change caused the message: the same id
    # is in every log line of that request (firm_portal/request_context.py).
    # A database default, so code that predates the column can still insert.
    request_id = models.CharField(
        _("begäran-id"), max_length=64, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    sent_at = models.DateTimeField(_("skickad"), null=True, blank=True)
    # Retention (settings.OUTBOX_BODY_RETENTION_DAYS): a sent message's
    # subject and body (personal data) are emptied after the period; who got
    # which template when, and how it went, stay.
    body_purged_at = models.DateTimeField(_("innehåll rensat"), null=True, blank=True)

    class Meta:
        verbose_name = _("meddelande")
        verbose_name_plural = _("meddelanden")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="outbox_unsent_idx",
            ),
            # What retention purges next, oldest first, without reading the
            # rows already purged (most of the table, in time).
            models.Index(
                fields=["sent_at"],
                condition=Q(status="sent", body_purged_at__isnull=True),
                name="outbox_sent_unpurged_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient} ({self.get_status_display()})"
