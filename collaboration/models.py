from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import CouplingStatus, coupling_active_q, visible_to_q

# Flow 10's models live in their sub-package and belong to this app.
from collaboration.agreements.models import (  # noqa: F401
    AgreementConfirmation,
    AgreementDocument,
    AgreementKind,
)

# Flow 7's model lives with its concept; importing it here registers it with the app.
from collaboration.firm_change.models import FirmChange as FirmChange
from collaboration.manual.scanned_forms import private_storage, validate_scanned_form
from firm_portal.choices import display_method
from firm_portal.org_numbers import validate_org_number
from firm_portal.request_data import validate_date_in_range

if TYPE_CHECKING:
    from firm_portal.models import Consultant


# A request its firm still has listed ("Skickade förfrågningar", flow 8):
# waiting for an answer, or expired and not yet handled ("Utgången").
REQUEST_LISTED = Q(status="pending") | Q(status="expired", expiry_handled_at__isnull=True)


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
        _("startdatum"),
        null=True,
        blank=True,
        help_text=_("Tomt: direkt vid godkännande"),
        validators=[validate_date_in_range],
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
    # Expired requests stay on the firm's start page ("Utgången") until the
    # firm sends again or removes it from the list.
    expiry_handled_at = models.DateTimeField(null=True, blank=True)

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
            # "Skickade förfrågningar" on a firm's start page: the oldest ten
            # read in order, not all of a large firm's fetched and sorted.
            models.Index(
                fields=["firm", "created_at", "id"],
                condition=REQUEST_LISTED,
                name="request_listed_by_firm_idx",
            ),
        ]

    def __str__(self) -> str:
        return _("%(firm)s → %(subscription)s (%(status)s)") % {
            "firm": self.firm,
            "subscription": self.subscription,
            "status": self.get_status_display(),
        }


# The coupling rules, each stated once (README: "Rule → where it lives").
# Live: the firm holds its place with the subscription, so no second coupling
# of the same firm may be made (the database constraint below), whether the
# customer has still to accept, the start date is to come, or it is active.
COUPLING_LIVE_STATUSES = [
    CouplingStatus.AWAITING_CUSTOMER,
    CouplingStatus.SCHEDULED,
    CouplingStatus.ACTIVE,
]
# Agreed: approved by the client's sysadmin or accepted by the new customer,
# active now or from a start date to come; it can be changed or ended.
COUPLING_AGREED_STATUSES = [CouplingStatus.ACTIVE, CouplingStatus.SCHEDULED]


class CouplingQuerySet(models.QuerySet["Coupling"]):
    def live(self) -> "CouplingQuerySet":
        """Couplings that block another of the same firm and subscription."""
        return self.filter(status__in=COUPLING_LIVE_STATUSES)

    def agreed(self) -> "CouplingQuerySet":
        """Couplings the client agreed to: active now or scheduled."""
        return self.filter(status__in=COUPLING_AGREED_STATUSES)

    def visible_to(self, consultant: "Consultant") -> "CouplingQuerySet":
        """The couplings of the consultant's firm to the clients they see
        (`clients.models.visible_to_q`), in any status."""
        return self.filter(visible_to_q(consultant, "subscription_id"), firm_id=consultant.firm_id)

    def active(self) -> "CouplingQuerySet":
        """Couplings that give the firm's consultants access today."""
        return self.filter(coupling_active_q())


class Coupling(models.Model):
    """A link between a firm and a subscription ("Sammankoppling")."""

    Status = CouplingStatus
    active_q = staticmethod(coupling_active_q)
    LIVE_STATUSES = COUPLING_LIVE_STATUSES
    AGREED_STATUSES = COUPLING_AGREED_STATUSES

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
    starts_on = models.DateField(_("startdatum"), validators=[validate_date_in_range])
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CouplingQuerySet.as_manager()

    class Meta:
        verbose_name = _("sammankoppling")
        verbose_name_plural = _("sammankopplingar")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "subscription"],
                condition=Q(status__in=COUPLING_LIVE_STATUSES),
                name="coupling_one_live_per_firm_subscription",
            ),
        ]
        indexes = [
            models.Index(
                fields=["starts_on"], condition=Q(status="scheduled"), name="coupling_due_idx"
            ),
            # Counting a firm's clients (start page, "Hantera klienter"): an
            # index-only scan instead of reading every coupling.
            models.Index(
                fields=["firm"],
                condition=Q(status__in=COUPLING_AGREED_STATUSES),
                name="coupling_live_by_firm_idx",
            ),
        ]

    def __str__(self) -> str:
        return _("%(firm)s ↔ %(subscription)s (%(status)s)") % {
            "firm": self.firm,
            "subscription": self.subscription,
            "status": self.get_status_display(),
        }

    get_status_display = display_method("status", Status.choices)


class CustomerAcceptance(models.Model):
    """The new customer's acceptance of the terms ("Skapa nytt samarbete"):
    a single-use, expiring link of its own, e-mailed to the primary
    contact's own address. It never touches the contact's `Invitation` (the
    person's own link): a contact account that this collaboration created
    chooses its password through this link; an account that existed before
    is only asked, and accepts while logged in as itself. The contact
    becomes the subscription's system administrator, with `levels`, only on
    acceptance."""

    coupling = models.OneToOneField(
        Coupling, on_delete=models.CASCADE, related_name="customer_acceptance"
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customer_acceptances",
        verbose_name=_("primärkontakt"),
    )
    # Whether this collaboration made the contact's account (then, and only
    # then, the link may set its first password).
    created_contact = models.BooleanField(default=False)
    # The contact's level per program once accepted: {program code: level}.
    levels = models.JSONField(default=dict)
    # What the firm typed about the contact. Kept here, never on the account,
    # until its owner accepts (then it fills what the account lacks; the
    # mobile stays unconfirmed); cleared when the collaboration is cancelled.
    contact_name = models.CharField(_("namn"), max_length=200, blank=True, db_default="")
    contact_mobile = models.CharField(_("mobilnummer"), max_length=20, blank=True, db_default="")
    contact_personal_number = models.CharField(
        _("personnummer"), max_length=12, blank=True, db_default=""
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    nonce = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("skickad"))
    expires_at = models.DateTimeField(_("går ut"))
    accepted_at = models.DateTimeField(_("godkänd"), null=True, blank=True)

    class Meta:
        verbose_name = _("kundens godkännande")
        verbose_name_plural = _("kundernas godkännanden")

    def __str__(self) -> str:
        state = _("godkänd") if self.accepted_at else _("öppen")
        return _("%(coupling)s (%(state)s)") % {"coupling": self.coupling, "state": state}


class ManualCoupling(models.Model):
    """A coupling support staff perform from a paper form ("Manuell koppling").

    The fee rule is decided when the form is registered: 600 kr when the
    coupling could have been done digitally, 0 kr when it could not. Staff may
    charge another fee only with a written reason. Performing it creates the
    coupling exactly like an approved request, once."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registrerad")
        PERFORMED = "performed", _("Genomförd")
        REFUSED = "refused", _("Nekad")

    class SysadminNamed(models.TextChoices):
        RESPONSIBLE = "responsible", _("Ansvarig konsult")
        CLIENT_PERSON = "client_person", _("En person hos kunden")

    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="manual_couplings",
        verbose_name=_("byrå"),
    )
    org_number = models.CharField(
        _("organisationsnummer"),
        max_length=11,
        validators=[validate_org_number],
        help_text=_("Kundens organisationsnummer enligt blanketten."),
    )
    subscription = models.ForeignKey(
        "clients.Subscription",
        on_delete=models.PROTECT,
        related_name="manual_couplings",
        null=True,
        blank=True,
        verbose_name=_("abonnemang"),
    )
    subscription_number_given = models.PositiveBigIntegerField(
        _("abonnemangsnummer"),
        null=True,
        blank=True,
        help_text=_("Behövs bara när kunden har flera abonnemang."),
    )
    responsible_consultant = models.ForeignKey(
        "firm_portal.Consultant",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ansvarig konsult"),
    )
    form_received_on = models.DateField(_("blankett mottagen"), validators=[validate_date_in_range])
    # Who the form, signed by the client's firmatecknare, names as the
    # subscription's system administrator (README: "Support in Django admin").
    sysadmin_named = models.CharField(
        _("systemadministratör enligt blanketten"),
        max_length=20,
        choices=SysadminNamed.choices,
        default=SysadminNamed.RESPONSIBLE,
        db_default=SysadminNamed.RESPONSIBLE,
    )
    sysadmin_email = models.EmailField(
        _("systemadministratörens e-post"), blank=True, default="", db_default=""
    )
    sysadmin_name = models.CharField(
        _("systemadministratörens namn"), max_length=150, blank=True, default="", db_default=""
    )
    scanned_form = models.FileField(
        _("inskannad blankett"),
        upload_to="manual-couplings/%Y/%m/",
        storage=private_storage,
        validators=[validate_scanned_form],
        blank=True,
        help_text=_("PDF, JPEG eller PNG."),
    )
    comment = models.TextField(_("kommentar"), blank=True)
    computed_fee = models.DecimalField(_("beräknad avgift"), max_digits=8, decimal_places=2)
    fee = models.DecimalField(
        _("avgift"), max_digits=8, decimal_places=2, help_text=_("Kronor exklusive moms.")
    )
    fee_reason = models.CharField(_("skäl för beräknad avgift"), max_length=300)
    fee_override_reason = models.TextField(_("motivering för ändrad avgift"), blank=True)
    fee_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("avgift ändrad av"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registrerad av"),
    )
    registered_at = models.DateTimeField(_("registrerad"), auto_now_add=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("genomförd av"),
    )
    performed_at = models.DateTimeField(_("genomförd"), null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("nekad av"),
    )
    refused_at = models.DateTimeField(_("nekad"), null=True, blank=True)
    refused_reason = models.CharField(_("skäl till nekande"), max_length=300, blank=True)
    coupling = models.OneToOneField(
        Coupling,
        on_delete=models.PROTECT,
        related_name="manual_coupling",
        null=True,
        blank=True,
        verbose_name=_("sammankoppling"),
    )

    class Meta:
        verbose_name = _("manuell koppling")
        verbose_name_plural = _("manuella kopplingar")
        ordering = ["-registered_at", "-pk"]
        permissions = [("perform_manualcoupling", _("Kan genomföra manuella kopplingar"))]
        constraints = [
            # Performed exactly when a coupling was made; the one-to-one
            # coupling then makes a second performance impossible.
            models.CheckConstraint(
                condition=(
                    Q(
                        status="performed",
                        coupling__isnull=False,
                        performed_at__isnull=False,
                        subscription__isnull=False,
                    )
                    | (~Q(status="performed") & Q(coupling__isnull=True))
                ),
                name="manual_coupling_performed_iff_coupled",
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0) & Q(computed_fee__gte=0),
                name="manual_coupling_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(fee=models.F("computed_fee")) | ~Q(fee_override_reason=""),
                name="manual_coupling_override_has_reason",
            ),
            models.UniqueConstraint(
                fields=["firm", "subscription"],
                condition=Q(status="registered"),
                name="manual_coupling_one_open_per_firm_subscription",
            ),
        ]
        indexes = [
            models.Index(fields=["org_number"], name="manual_coupling_org_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.firm} → {self.org_number}"


# Flow 9, "Åtkomstgranskning": its models live with the rest of the sub-package.
from collaboration.access_review.models import (  # noqa: E402, F401
    AccessReview,
    AccessReviewReport,
    AccessReviewRow,
    NamedReviewer,
    RemovalRequest,
)
