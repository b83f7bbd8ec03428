"""Flow 10: a firm's agreements (PuB-avtal, uppdragsavtal) and their
confirmation by a client's system administrator. Imported into
collaboration/models.py, so they belong to the `collaboration` app.

A document is never changed: a new version is a new row, and a confirmation
keeps its own copy of what was confirmed (kind, title, version, SHA-256, who
and from which account), so nothing done later changes what was confirmed
under an older version."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from collaboration.agreements.documents import private_storage, validate_agreement_pdf
from firm_portal.choices import display_method


class AgreementKind(models.TextChoices):
    PUB = "pub", _("PuB-avtal")
    ENGAGEMENT = "engagement", _("Uppdragsavtal")


class AgreementDocument(models.Model):
    """One version of one of the firm's agreement templates (a PDF)."""

    Kind = AgreementKind

    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="agreement_documents",
        verbose_name=_("byrå"),
    )
    kind = models.CharField(_("typ av avtal"), max_length=20, choices=AgreementKind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("titel"), max_length=200)
    document = models.FileField(
        _("avtal (PDF)"),
        upload_to="agreements/%Y/%m/",
        storage=private_storage,
        validators=[validate_agreement_pdf],
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("storlek (byte)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uppladdat av"),
    )
    uploaded_at = models.DateTimeField(_("uppladdat"), auto_now_add=True)

    class Meta:
        verbose_name = _("avtal")
        verbose_name_plural = _("avtal")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "kind", "version"], name="agreement_one_version_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return _("%(title)s, version %(version)s") % {"title": self.title, "version": self.version}

    get_kind_display = display_method("kind", AgreementKind.choices)


class AgreementConfirmationQuerySet(models.QuerySet["AgreementConfirmation"]):
    def open(self) -> "AgreementConfirmationQuerySet":
        """Asks still to be answered: pending, and either on their own (the
        client's to-do card) or carried by a request still pending."""
        return self.filter(
            Q(request__isnull=True) | Q(request__status="pending"),
            status=AgreementConfirmation.Status.PENDING,
        )

    def confirmed(self) -> "AgreementConfirmationQuerySet":
        return self.filter(status=AgreementConfirmation.Status.CONFIRMED)


class AgreementConfirmation(models.Model):
    """One agreement version sent to one subscription for confirmation,
    with a coupling request ("Ny klient"), with a new customer ("Skapa nytt
    samarbete") or on its own (the client's to-do card), and its confirmation.
    kind, title, version and sha256 are copied from the document when sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar på bekräftelse")
        CONFIRMED = "confirmed", _("Bekräftat")

    firm = models.ForeignKey(
        "firm_portal.Firm", on_delete=models.PROTECT, related_name="+", verbose_name=_("byrå")
    )
    subscription = models.ForeignKey(
        "clients.Subscription",
        on_delete=models.PROTECT,
        related_name="agreement_confirmations",
        verbose_name=_("abonnemang"),
    )
    document = models.ForeignKey(
        AgreementDocument,
        on_delete=models.PROTECT,
        related_name="confirmations",
        verbose_name=_("avtal"),
    )
    request = models.ForeignKey(
        "collaboration.CollaborationRequest",
        on_delete=models.PROTECT,
        related_name="agreement_confirmations",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("typ av avtal"), max_length=20, choices=AgreementKind.choices)
    title = models.CharField(_("titel"), max_length=200)
    version = models.PositiveIntegerField(_("version"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("skickat"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bekräftat"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("bekräftat av"),
    )
    # The account it was confirmed from, as it was then (a name or an
    # e-mail address may change later; the certificate must not).
    confirmed_by_name = models.CharField(_("namn"), max_length=200, blank=True)
    confirmed_by_email = models.EmailField(_("konto (e-post)"), blank=True)
    # Reminders of an open ask on the to-do card (AGREEMENT_REMINDER_DAYS).
    reminders_sent = models.PositiveSmallIntegerField(_("påminnelser"), default=0)
    last_reminded_at = models.DateTimeField(_("senast påmind"), null=True, blank=True)

    objects = AgreementConfirmationQuerySet.as_manager()

    class Meta:
        verbose_name = _("bekräftelse av avtal")
        verbose_name_plural = _("bekräftelser av avtal")
        constraints = [
            # One open ask per document and subscription on the to-do card,
            # and one per document in each request.
            models.UniqueConstraint(
                fields=["subscription", "document"],
                condition=Q(status="pending", request__isnull=True),
                name="agreement_ask_one_pending_per_document",
            ),
            models.UniqueConstraint(
                fields=["request", "document"],
                condition=Q(status="pending"),
                name="agreement_ask_one_per_request_document",
            ),
            models.CheckConstraint(
                condition=Q(status="pending")
                | Q(confirmed_at__isnull=False, confirmed_by__isnull=False),
                name="agreement_confirmation_confirmed_has_who_and_when",
            ),
        ]
        indexes = [
            models.Index(fields=["firm", "subscription", "kind"], name="agreement_conf_status_idx"),
        ]

    def __str__(self) -> str:
        return _("%(title)s v%(version)s (%(status)s)") % {
            "title": self.title,
            "version": self.version,
            "status": self.get_status_display(),
        }

    get_kind_display = display_method("kind", AgreementKind.choices)
    get_status_display = display_method("status", Status.choices)
