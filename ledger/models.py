"""The access ledger ("Behörighetslogg"): append-only events of every change
of access, and the denied attempts counted per window.

Every app records into it (ledger.services), so it is the lowest app and
imports none of them (README, "Layers")."""

from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from firm_portal.choices import display_method


class AccessEventQuerySet(models.QuerySet["AccessEvent"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Access events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Access events are append-only")


class AccessEvent(models.Model):
    """One change of access ("Behörighetslogg"): append-only. The ORM refuses
    updates and deletes, and on PostgreSQL a trigger refuses them too.

    Who did it, to whom, in which firm and subscription are plain ids, not
    foreign keys: every app writes the ledger, so it sits below them all and
    points at none (README, "Layers"). The columns and their indexes are the
    ones the foreign keys had; readers look the names up (collaboration/ledger/)."""

    class Kind(models.TextChoices):
        REQUEST_SENT = "request_sent", _("Förfrågan skickad")
        REQUEST_APPROVED = "request_approved", _("Förfrågan godkänd")
        REQUEST_REJECTED = "request_rejected", _("Förfrågan avböjd")
        REQUEST_WITHDRAWN = "request_withdrawn", _("Förfrågan återkallad")
        REQUEST_EXPIRED = "request_expired", _("Förfrågan utgången")
        COUPLING_ACTIVATED = "coupling_activated", _("Sammankoppling aktiverad")
        COUPLING_ENDED = "coupling_ended", _("Sammankoppling avslutad")
        MANUAL_COUPLING = "manual_coupling", _("Manuell koppling genomförd")
        MEMBER_ADDED = "member_added", _("Användare tillagd")
        MEMBER_REMOVED = "member_removed", _("Användare borttagen")
        MEMBER_SUSPENDED = "member_suspended", _("Åtkomst pausad")
        MEMBER_RESUMED = "member_resumed", _("Åtkomst återupptagen")
        MEMBER_END_DATE = "member_end_date", _("Slutdatum för åtkomst ändrat")
        LEVEL_CHANGED = "level_changed", _("Behörighet ändrad")
        SYSADMIN_CHANGED = "sysadmin_changed", _("Systemadministratör ändrad")
        LICENSES_CHANGED = "licenses_changed", _("Antal licenser ändrat")
        SEATS_CHANGED = "seats_changed", _("Licenser för Klienthanteraren ändrade")
        SEAT_ASSIGNED = "seat_assigned", _("Licens för Klienthanteraren tilldelad")
        ROLE_CHANGED = "role_changed", _("Roll på byrån ändrad")
        ASSIGNMENT_CHANGED = "assignment_changed", _("Klienttilldelning ändrad")
        CONSULTANT_ENDED = "consultant_ended", _("Konsult avslutad")
        ACCESS_DENIED = "access_denied", _("Nekad åtkomst")
        COLLABORATION_CREATED = "collaboration_created", _("Samarbete skapat")
        COLLABORATION_ACCEPTED = "collaboration_accepted", _("Samarbete godkänt av kunden")
        COLLABORATION_CANCELLED = "collaboration_cancelled", _("Samarbete avbrutet")
        PLAN_CHANGED = "plan_changed", _("Variant ändrad")
        RECIPIENT_CHANGED = "recipient_changed", _("Fakturamottagare ändrad")
        INVITATION_WITHDRAWN = "invitation_withdrawn", _("Inbjudan återkallad")

    kind = models.CharField(_("händelse"), max_length=40, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("tidpunkt"), auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(_("utförd av"), null=True, blank=True, db_index=True)
    firm_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subscription_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject_id = models.BigIntegerField(_("gäller"), null=True, blank=True, db_index=True)
    before = models.JSONField(_("före"), null=True, blank=True)
    after = models.JSONField(_("efter"), null=True, blank=True)
    detail = models.CharField(_("beskrivning"), max_length=300, blank=True)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        # Made in collaboration; the table, its rows and its trigger stay.
        db_table = "collaboration_accessevent"
        verbose_name = _("behörighetshändelse")
        verbose_name_plural = _("behörighetslogg")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["firm_id", "-occurred_at"], name="event_firm_idx"),
            models.Index(fields=["subscription_id", "-occurred_at"], name="event_subscription_idx"),
            models.Index(fields=["subject_id", "-occurred_at"], name="event_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Access events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Access events are append-only")

    get_kind_display = display_method("kind", Kind.choices)


class DeniedAttempt(models.Model):
    """Denied requests on existing objects, counted per actor, subscription
    and window (settings.DENIED_ATTEMPTS_WINDOW_SECONDS). The append-only
    ledger gets one "Nekad åtkomst" event per row, written with the window's
    first attempt; the later ones only count here. So whoever repeats a
    request that is refused cannot fill another tenant's ledger: at most one
    event per actor, subscription and window (README, "Security").

    The unique constraint claims the window: two first attempts at once give
    one row and one event. `subscription` is empty for objects outside any
    subscription (another firm's consultant or invoice)."""

    actor_id = models.BigIntegerField(_("utförd av"), null=True, blank=True, db_index=True)
    subscription_id = models.BigIntegerField(_("abonnemang"), null=True, blank=True, db_index=True)
    window_start = models.DateTimeField(_("från"))
    attempts = models.PositiveIntegerField(_("försök"), default=1)
    last_at = models.DateTimeField(_("senaste försök"))
    last_attempt = models.JSONField(_("senast försökt"), default=dict)
    event = models.OneToOneField(
        AccessEvent,
        on_delete=models.PROTECT,
        related_name="denied_attempt",
        verbose_name=_("händelse i behörighetsloggen"),
    )

    class Meta:
        # Made in collaboration; the table and its rows stay.
        db_table = "collaboration_deniedattempt"
        verbose_name = _("nekade försök")
        verbose_name_plural = _("nekade försök")
        ordering = ["-window_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                Coalesce("actor_id", Value(0)),
                Coalesce("subscription_id", Value(0)),
                "window_start",
                name="denied_attempt_one_per_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempts} × {self.window_start:%Y-%m-%d %H:%M}"
