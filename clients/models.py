from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.validators import validate_org_number
from firm_portal.choices import display_method
from firm_portal.request_data import validate_date_in_range


class Client(models.Model):
    """A company, identified by its organisationsnummer (NNNNNN-NNNN)."""

    name = models.CharField(_("namn"), max_length=200)
    org_number = models.CharField(
        _("organisationsnummer"), max_length=11, unique=True, validators=[validate_org_number]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("klient")
        verbose_name_plural = _("klienter")
        ordering = ["name"]
        # "Hantera klienter" is sorted by name. Its searches use two more
        # indexes, PostgreSQL only (clients/migrations/*_perf_indexes.py):
        # pg_trgm on UPPER(name) and a prefix index on org_number.
        indexes = [models.Index(fields=["name"], name="client_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.org_number})"


class Counter(models.Model):
    """Named monotonic counters (abonnemangsnummer are never reused)."""

    name = models.CharField(_("namn"), max_length=50, primary_key=True)
    value = models.PositiveBigIntegerField(_("värde"))

    class Meta:
        verbose_name = _("räknare")
        verbose_name_plural = _("räknare")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Plan(models.TextChoices):
    FAKTURA = "faktura", _("Faktura")
    START = "start", _("Start")
    SMART = "smart", _("Smart")
    PRO = "pro", _("Pro")


class Subscription(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar på kundens godkännande")
        ACTIVE = "active", _("Aktivt")
        ENDED = "ended", _("Avslutat")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="subscriptions")
    number = models.PositiveBigIntegerField(_("abonnemangsnummer"), unique=True, editable=False)
    plan = models.CharField(_("variant"), max_length=20, choices=Plan.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("abonnemang")
        verbose_name_plural = _("abonnemang")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} – {self.client.name}"


class Program(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("namn"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("program")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in a subscription: a client user, or a consultant of a
    coupled firm (then `consultant` is set). A consultant's membership only
    gives access while their firm's coupling is active."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    consultant = models.ForeignKey(
        "firm_portal.Consultant",
        on_delete=models.PROTECT,
        related_name="memberships",
        null=True,
        blank=True,
    )
    is_sysadmin = models.BooleanField(_("systemadministratör"), default=False)
    ends_on = models.DateField(
        _("åtkomst till och med"),
        null=True,
        blank=True,
        validators=[validate_date_in_range],
        help_text=_("Tomt: tills vidare. Efter datumet tas åtkomsten bort automatiskt."),
    )
    suspended_at = models.DateTimeField(_("pausad"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("användare i abonnemang")
        verbose_name_plural = _("användare i abonnemang")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "user"], name="membership_unique_user_per_subscription"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(is_sysadmin=True), name="membership_sysadmin_idx"
            ),
            # "Saknar klientanvändare" in "Hantera klienter".
            models.Index(
                fields=["subscription"],
                condition=Q(consultant__isnull=True),
                name="membership_client_user_idx",
            ),
        ]

    def __str__(self) -> str:
        return _("%(user)s i %(subscription)s") % {
            "user": self.user,
            "subscription": self.subscription,
        }


class Level(models.TextChoices):
    READ = "read", _("Läs")
    REPORTER = "reporter", _("Rapportör")
    APPROVER = "approver", _("Attestansvarig")
    ADMIN = "admin", _("Administratör")


class ProgramLevel(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="levels")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("behörighet"), max_length=20, choices=Level.choices)

    class Meta:
        verbose_name = _("behörighet")
        verbose_name_plural = _("behörigheter")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "program"], name="program_level_one_per_member_program"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.get_level_display()}"

    get_level_display = display_method("level", Level.choices)


class SubscriptionLicense(models.Model):
    """Paid seats of one program in one subscription; each level takes one."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="licenses"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField(_("antal licenser"), default=0)

    class Meta:
        verbose_name = _("licens")
        verbose_name_plural = _("licenser")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "program"], name="license_one_row_per_program"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.seats}"
