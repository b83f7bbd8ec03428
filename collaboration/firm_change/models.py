"""Flow 7, "Byte av byrå": a firm's request to take a subscription over from
the firm coupled today, on a date. Imported by collaboration/models.py (the
app's models module); foreign keys are strings so this module imports no
other model module of the app."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firm_portal.choices import display_method
from firm_portal.request_data import validate_date_in_range


class FirmChangeStatus(models.TextChoices):
    PENDING = "pending", _("Väntar på kundens svar")
    APPROVED = "approved", _("Godkänt, väntar på datumet")
    DONE = "done", _("Genomfört")
    REFUSED = "refused", _("Avböjt")
    CANCELLED = "cancelled", _("Avbrutet")
    EXPIRED = "expired", _("Utgånget")


# Open: a change that may still happen. At most one per subscription (the
# constraint below): two firms asking to take over at once get one winner.
FIRM_CHANGE_OPEN_STATUSES = [FirmChangeStatus.PENDING, FirmChangeStatus.APPROVED]


class FirmChangeQuerySet(models.QuerySet["FirmChange"]):
    def open(self) -> "FirmChangeQuerySet":
        """Changes that may still happen: waiting for an answer or for the date."""
        return self.filter(status__in=FIRM_CHANGE_OPEN_STATUSES)


class FirmChange(models.Model):
    """ "Byte av byrå": `new_firm` takes `subscription` over from `old_firm`.

    `starts_on` is the day the change happens (None: "Direkt vid
    godkännande"). On that day one transaction ends the old coupling, lets
    the old firm's consultants go, activates the new firm's coupling
    (`new_coupling`) and moves the invoice from the old firm to the new one
    from `billing_from` (the first month the old firm holds no day of)."""

    Status = FirmChangeStatus
    OPEN_STATUSES = FIRM_CHANGE_OPEN_STATUSES

    subscription = models.ForeignKey(
        "clients.Subscription", on_delete=models.PROTECT, related_name="firm_changes"
    )
    new_firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="firm_changes_in",
        verbose_name=_("ny byrå"),
    )
    old_firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="firm_changes_out",
        verbose_name=_("nuvarande byrå"),
    )
    old_coupling = models.ForeignKey(
        "collaboration.Coupling", on_delete=models.PROTECT, related_name="firm_changes_out"
    )
    new_coupling = models.OneToOneField(
        "collaboration.Coupling",
        on_delete=models.PROTECT,
        related_name="firm_change_in",
        null=True,
        blank=True,
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
    starts_on = models.DateField(
        _("datum för bytet"),
        null=True,
        blank=True,
        help_text=_("Tomt: direkt vid godkännande"),
        validators=[validate_date_in_range],
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FirmChangeStatus.choices,
        default=FirmChangeStatus.PENDING,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("går ut"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Who may decide when it was sent: the client's own sysadmins, or (when
    # the client has none) the sysadmins of the firm being replaced.
    decided_by_old_firm = models.BooleanField(default=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    done_at = models.DateTimeField(null=True, blank=True)
    billing_from = models.DateField(_("ny fakturamottagare från"), null=True, blank=True)

    objects = FirmChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("byte av byrå")
        verbose_name_plural = _("byten av byrå")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(status__in=FIRM_CHANGE_OPEN_STATUSES),
                name="firm_change_one_open_per_subscription",
            ),
            models.CheckConstraint(
                condition=~Q(new_firm=models.F("old_firm")),
                name="firm_change_two_firms",
            ),
            models.CheckConstraint(
                condition=Q(status="done", new_coupling__isnull=False, done_at__isnull=False)
                | (~Q(status="done") & Q(new_coupling__isnull=True)),
                name="firm_change_done_iff_coupled",
            ),
        ]
        indexes = [
            models.Index(
                fields=["starts_on"], condition=Q(status="approved"), name="firm_change_due_idx"
            ),
            models.Index(fields=["new_firm", "-created_at"], name="firm_change_new_firm_idx"),
            models.Index(fields=["old_firm", "-created_at"], name="firm_change_old_firm_idx"),
        ]

    def __str__(self) -> str:
        return _("%(old)s → %(new)s, %(subscription)s (%(status)s)") % {
            "old": self.old_firm,
            "new": self.new_firm,
            "subscription": self.subscription,
            "status": self.get_status_display(),
        }

    get_status_display = display_method("status", FirmChangeStatus.choices)
