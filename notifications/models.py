import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
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
    # An e-mail the receiving server refused for good (SMTP 5xx): the address
    # does not take mail. Reminders to it stop, and the sender is told why.
    bounced_at = models.DateTimeField(_("studsade"), null=True, blank=True)

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
            # Which addresses bounced lately (`addresses_bounced`: reminders
            # stop for them): permanent refusals are few, so the index is
            # small however large the outbox grows.
            models.Index(
                Lower("recipient"),
                "bounced_at",
                condition=Q(bounced_at__isnull=False),
                name="outbox_bounced_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient} ({self.get_status_display()})"


class Reminder(models.Model):
    """One reminder about an unanswered item (a collaboration request, a join
    offer, a new customer's welcome), written in the transaction that
    enqueues its messages. The item is named by kind and id, without a
    foreign key, so this bottom app stays below the apps that own the items.

    `round` is when the item was (last) sent: "Skicka igen" starts a new
    round with reminders of its own. `step` is the schedule's step
    ("after:3", "before:2") or "now:<date>" for "Påminn nu"; the unique
    constraint makes each step, and "Påminn nu" once a day, happen once
    however many runs race for it."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("Förfrågan om samarbete")  # to the subscription's sysadmins
        OFFER = "offer", _("Inbjudan")  # a join offer, with its invitation link
        WELCOME = "welcome", _("Välkomstlänk")  # a new customer's, to the primary contact

    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    item_id = models.PositiveBigIntegerField(_("id"))
    round = models.DateTimeField(_("skickad"))
    step = models.CharField(_("steg"), max_length=30)
    recipients = models.PositiveIntegerField(_("mottagare"), default=0)
    created_at = models.DateTimeField(_("påmind"), auto_now_add=True)

    class Meta:
        verbose_name = _("påminnelse")
        verbose_name_plural = _("påminnelser")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "item_id", "round", "step"], name="reminder_once_per_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.item_id} {self.step}"
