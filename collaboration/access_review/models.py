"""Åtkomstgranskning (DESIGN.md, flow 9): a review of every consultant ×
client access, its rows and decisions, the removals asked of clients'
sysadmins, the reviewer named per consultant, and the kept report.

A completed review is evidence, like the access ledger: the review, its rows
and its report refuse to be changed or deleted once it is completed (the
ORM's save, update and delete; the removal requests it caused are answered
later by the client and are not part of it). Memberships are referred to by a
plain id: removing one is the point of a review."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firm_portal.choices import display_method
from firm_portal.request_data import validate_date_in_range

LOCKED = "A completed access review cannot be changed"


class AccessReviewQuerySet(models.QuerySet["AccessReview"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(status=AccessReview.Status.COMPLETED).exists():
            raise PermissionError(LOCKED)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status=AccessReview.Status.COMPLETED).exists():
            raise PermissionError(LOCKED)
        return super().delete()

    def open(self) -> "AccessReviewQuerySet":
        return self.filter(status=AccessReview.Status.OPEN)


class AccessReview(models.Model):
    """One review: a firm's (`firm`) or a subscription's, run by its
    sysadmins (`subscription`)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Pågår")
        APPLYING = "applying", _("Besluten genomförs")
        COMPLETED = "completed", _("Slutförd")

    firm = models.ForeignKey(
        "firm_portal.Firm", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    subscription = models.ForeignKey(
        "clients.Subscription",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("startad av"),
    )
    started_at = models.DateTimeField(_("startad"), auto_now_add=True)
    due_on = models.DateField(_("klar senast"), validators=[validate_date_in_range])
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    rows_total = models.PositiveIntegerField(_("rader"), default=0)
    rows_applied = models.PositiveIntegerField(_("genomförda rader"), default=0)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("slutförd av"),
    )
    completed_at = models.DateTimeField(_("slutförd"), null=True, blank=True)
    reminded_on = models.DateField(_("senast påmind"), null=True, blank=True)

    objects = AccessReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("åtkomstgranskning")
        verbose_name_plural = _("åtkomstgranskningar")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(firm__isnull=False, subscription__isnull=True)
                | Q(firm__isnull=True, subscription__isnull=False),
                name="access_review_firm_or_subscription",
            ),
            # One review under way per firm and per subscription.
            models.UniqueConstraint(
                fields=["firm"],
                condition=~Q(status="completed") & Q(firm__isnull=False),
                name="access_review_one_open_per_firm",
            ),
            models.UniqueConstraint(
                fields=["subscription"],
                condition=~Q(status="completed") & Q(subscription__isnull=False),
                name="access_review_one_open_per_subscription",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.started_at:%Y-%m-%d} ({self.get_status_display()})"

    get_status_display = display_method("status", Status.choices)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_stored_status", None) == self.Status.COMPLETED:
            raise PermissionError(LOCKED)
        super().save(*args, **kwargs)
        self._stored_status: str = self.status

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if (
            self.pk
            and AccessReview.objects.filter(pk=self.pk, status=self.Status.COMPLETED).exists()
        ):
            raise PermissionError(LOCKED)
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> "AccessReview":
        instance = super().from_db(*args, **kwargs)
        instance._stored_status = instance.__dict__.get("status", "")
        return instance

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Decision(models.TextChoices):
    KEEP = "keep", _("Behåll")
    REMOVE = "remove", _("Ta bort")
    RESTRICT = "restrict", _("Begränsa")


class Outcome(models.TextChoices):
    UNCHANGED = "unchanged", _("Oförändrad")
    APPLIED = "applied", _("Genomförd")
    REQUESTED = "requested", _("Begärd hos kunden")
    FAILED = "failed", _("Kunde inte genomföras")
    GONE = "gone", _("Åtkomsten fanns inte längre")


class AccessReviewRowQuerySet(models.QuerySet["AccessReviewRow"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(review__status=AccessReview.Status.COMPLETED).exists():
            raise PermissionError(LOCKED)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(review__status=AccessReview.Status.COMPLETED).exists():
            raise PermissionError(LOCKED)
        return super().delete()


class AccessReviewRow(models.Model):
    """One consultant's access to one subscription as it was when the review
    started (levels per program code, the sysadmin flag, end date, pause,
    when and by whom it was given, the consultant's last login), and what
    was decided about it and what came of that."""

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="rows")
    membership_id = models.PositiveBigIntegerField()
    firm = models.ForeignKey("firm_portal.Firm", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="+"
    )
    consultant = models.ForeignKey(
        "firm_portal.Consultant", on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        "firm_portal.Consultant",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("granskare"),
    )
    levels = models.JSONField(_("behörigheter"), default=dict)
    is_sysadmin = models.BooleanField(_("systemadministratör"), default=False)
    ends_on = models.DateField(_("åtkomst till och med"), null=True, blank=True)
    suspended = models.BooleanField(_("pausad"), default=False)
    granted_at = models.DateTimeField(_("given"), null=True, blank=True)
    granted_by = models.CharField(_("given av"), max_length=200, blank=True)
    last_login = models.DateTimeField(_("senaste inloggning"), null=True, blank=True)
    decision = models.CharField(_("beslut"), max_length=20, choices=Decision.choices, blank=True)
    restrict_levels = models.JSONField(_("begränsade behörigheter"), null=True, blank=True)
    restrict_ends_on = models.DateField(_("nytt slutdatum"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("beslutad av"),
    )
    decided_at = models.DateTimeField(_("beslutad"), null=True, blank=True)
    outcome = models.CharField(_("resultat"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_detail = models.CharField(_("resultat i text"), max_length=300, blank=True)
    applied_at = models.DateTimeField(_("genomförd"), null=True, blank=True)

    objects = AccessReviewRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("granskningsrad")
        verbose_name_plural = _("granskningsrader")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["review", "consultant"], name="review_row_consultant_idx"),
            models.Index(fields=["review", "subscription"], name="review_row_subscription_idx"),
            models.Index(fields=["review", "reviewer"], name="review_row_reviewer_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.review_id})"

    get_decision_display = display_method("decision", Decision.choices)
    get_outcome_display = display_method("outcome", Outcome.choices)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if AccessReview.objects.filter(
            pk=self.review_id, status=AccessReview.Status.COMPLETED
        ).exists():
            raise PermissionError(LOCKED)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if AccessReview.objects.filter(
            pk=self.review_id, status=AccessReview.Status.COMPLETED
        ).exists():
            raise PermissionError(LOCKED)
        return super().delete(*args, **kwargs)


class AccessReviewReportQuerySet(models.QuerySet["AccessReviewReport"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError(LOCKED)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(LOCKED)


class AccessReviewReport(models.Model):
    """The report made when the review was completed, kept as it was
    downloaded then (PDF and CSV): append-only."""

    review = models.OneToOneField(AccessReview, on_delete=models.PROTECT, related_name="report")
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    pdf = models.BinaryField(_("PDF"))
    csv = models.BinaryField(_("CSV"))
    pdf_sha256 = models.CharField(_("PDF:ens SHA-256"), max_length=64)

    objects = AccessReviewReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("granskningsrapport")
        verbose_name_plural = _("granskningsrapporter")

    def __str__(self) -> str:
        return f"#{self.review_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError(LOCKED)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(LOCKED)


class RemovalRequest(models.Model):
    """A firm's decision about its consultant's access to a subscription
    where the firm is no sysadmin: asked of the subscription's sysadmins as
    a to-do card ("Ta bort", or "Begränsa" with lower levels or an end date)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar på kunden")
        DONE = "done", _("Genomförd av kunden")
        DECLINED = "declined", _("Avböjd av kunden")
        GONE = "gone", _("Åtkomsten fanns inte längre")

    row = models.OneToOneField(
        AccessReviewRow, on_delete=models.PROTECT, related_name="removal_request"
    )
    firm = models.ForeignKey("firm_portal.Firm", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    membership_id = models.PositiveBigIntegerField()
    decision = models.CharField(_("begärt"), max_length=20, choices=Decision.choices)
    levels = models.JSONField(_("begärda behörigheter"), null=True, blank=True)
    ends_on = models.DateField(_("begärt slutdatum"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("begärd"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("besvarad"), null=True, blank=True)

    class Meta:
        verbose_name = _("begäran om ändrad åtkomst")
        verbose_name_plural = _("begäranden om ändrad åtkomst")
        indexes = [
            models.Index(
                fields=["subscription"],
                condition=Q(status="pending"),
                name="removal_request_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    get_status_display = display_method("status", Status.choices)
    get_decision_display = display_method("decision", Decision.choices)


class NamedReviewer(models.Model):
    """The reviewer a firm names for one of its consultants (otherwise the
    firm's admins review them)."""

    consultant = models.OneToOneField(
        "firm_portal.Consultant", on_delete=models.CASCADE, related_name="+"
    )
    reviewer = models.ForeignKey(
        "firm_portal.Consultant", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("namngiven granskare")
        verbose_name_plural = _("namngivna granskare")

    def __str__(self) -> str:
        return f"{self.consultant_id} → {self.reviewer_id}"
