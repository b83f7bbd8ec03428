import collections
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from firm_portal.choices import display_method
from firm_portal.org_numbers import validate_org_number
from firm_portal.request_data import search_digits, search_number, validate_date_in_range
from firm_portal.timeutils import today_in_stockholm

if TYPE_CHECKING:
    from firm_portal.models import Consultant


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


def visible_to_q(consultant: "Consultant", subscription: str = "pk") -> Q:
    """Which of the firm's clients a consultant sees, the rule's one home:
    all of them for firm admins and client-manager program admins, otherwise
    exactly those assigned to the consultant (DESIGN.md, flow 3) — being a
    coupling's responsible consultant is not enough. `subscription`: the
    path to the subscription's id in the model filtered."""
    if consultant.sees_all_clients:
        return Q()
    return Q(
        Exists(
            ClientAssignment.objects.filter(
                subscription_id=OuterRef(subscription), consultant=consultant
            )
        )
    )


def subscriptions_matching(query: str) -> "models.QuerySet[Subscription, Any]":
    """The client search, its one home: the ids of the subscriptions whose
    client's name contains `query`, or whose client's organisationsnummer
    (from its start, or given whole with or without the dash) or own number
    it gives. A UNION of one subquery per condition: each uses its own index
    (pg_trgm on the name, a prefix index on the organisationsnummer, the
    number's unique index), where one OR over the joined tables would read
    every client and subscription. `query` is stripped and not empty."""
    by_name = Subscription.objects.filter(client__name__icontains=query).values("pk")
    number = search_number(query)
    if number is None:
        return by_name
    others = [
        Subscription.objects.filter(client__org_number__startswith=query).values("pk"),
        Subscription.objects.filter(number=number).values("pk"),
    ]
    digits = search_digits(query)
    if len(digits) == 10:
        org_number = f"{digits[:6]}-{digits[6:]}"
        others.append(Subscription.objects.filter(client__org_number=org_number).values("pk"))
    return by_name.union(*others)


def subscription_matching_q(query: str, subscription: str = "") -> Q:
    """The client search as a filter: what `subscriptions_matching` finds.
    `subscription`: the path to the subscription from the model filtered
    ("subscription__" from a coupling; "" on Subscription itself).

    A text without digits can only match the client's name: then the filter
    is a plain join on the name, so that a list ordered by name (a large
    firm's "Hantera klienter") walks the name index and stops at its page,
    where the UNION's subquery would first collect every matching
    subscription of every firm. `query` is stripped and not empty."""
    if search_number(query) is None:
        return Q(**{f"{subscription}client__name__icontains": query})
    return Q(**{f"{subscription}pk__in": subscriptions_matching(query)})


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def matching(self, query: str) -> "SubscriptionQuerySet":
        """These subscriptions that the client search finds
        (`subscription_matching_q`); all of them for an empty `query`."""
        query = query.strip()
        return self.filter(subscription_matching_q(query)) if query else self


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

    objects = SubscriptionQuerySet.as_manager()

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


# A firm's coupling to a subscription (`collaboration.Coupling`, declared
# above this app) in the states the membership rule below needs: stated here,
# where the rule that gives a consultant access lives, and used by Coupling.
class CouplingStatus(models.TextChoices):
    # Created with a new customer ("Skapa nytt samarbete"): active once the
    # customer accepts the terms through the welcome link.
    AWAITING_CUSTOMER = "awaiting_customer", _("Väntar på kundens godkännande")
    SCHEDULED = "scheduled", _("Schemalagd")
    ACTIVE = "active", _("Aktiv")
    ENDED = "ended", _("Avslutad")


def coupling_active_q(prefix: str = "") -> Q:
    """Active: the coupling gives the firm's consultants access today.
    `prefix`: the path to the coupling from the model filtered."""
    return Q(**{f"{prefix}status": CouplingStatus.ACTIVE})


def live_membership_q(*, coupling_join: bool = False) -> Q:
    """The "live membership" rule, its one home: memberships that grant
    access now — not suspended, not past their end date, and either an active
    client user or an active consultant whose firm's coupling to the
    subscription is active (`coupling_active_q`).

    The coupling is reached through the subscription's `couplings` (the
    reverse side of `collaboration.Coupling.subscription`), so this app names
    no model above it. `coupling_join`: the coupling condition as a plain join
    instead of an EXISTS (cheaper to build and compile inside an outer query);
    pass it to a single `filter()` call so that both conditions hold for the
    same coupling."""
    if coupling_join:
        coupled = Q(subscription__couplings__firm_id=F("consultant__firm_id")) & (
            coupling_active_q("subscription__couplings__")
        )
    else:
        coupled = Q(
            Exists(
                Subscription.objects.filter(
                    coupling_active_q("couplings__"),
                    pk=OuterRef("subscription_id"),
                    couplings__firm_id=OuterRef("consultant__firm_id"),
                )
            )
        )
    return (
        Q(user__is_active=True, suspended_at__isnull=True)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=today_in_stockholm()))
        & (Q(consultant__isnull=True) | (Q(consultant__is_active=True) & coupled))
    )


class MembershipQuerySet(models.QuerySet["Membership"]):
    def live(self) -> "MembershipQuerySet":
        """Memberships that grant access now (`live_membership_q`)."""
        return self.filter(live_membership_q())

    def sysadmins(self) -> "MembershipQuerySet":
        """Live system administrators."""
        return self.live().filter(is_sysadmin=True)


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

    objects = MembershipQuerySet.as_manager()

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


class ProgramLevelQuerySet(models.QuerySet["ProgramLevel"]):
    def seats_used(self) -> "models.QuerySet[ProgramLevel, dict[str, Any]]":
        """Seats used, the rule's one home: a level on a program takes one
        licence seat of that program in the subscription (DESIGN.md, flow 2),
        whatever the member's state. These levels counted per
        `subscription_id` and `program_id`, as `used`: rows of one query, or a
        subquery (`.values("used")`)."""
        return (
            self.values("program_id", subscription_id=F("membership__subscription_id"))
            .annotate(used=Count("id"))
            .order_by()
        )

    def seats_used_by_program(self) -> dict[int, int]:
        """`seats_used` of one subscription's levels, by program id."""
        return {row["program_id"]: row["used"] for row in self.seats_used()}


def seats_used_of(levels: "Iterable[ProgramLevel]") -> collections.Counter[int]:
    """`seats_used` by program id, counted from levels already fetched
    (the permission grid shows them anyway: no query of its own)."""
    return collections.Counter(level.program_id for level in levels)


class ProgramLevel(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="levels")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("behörighet"), max_length=20, choices=Level.choices)

    objects = ProgramLevelQuerySet.as_manager()

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


class Invitation(models.Model):
    """A single-use link that lets a new user set a password.

    The link carries a signed (invitation id, nonce); the nonce changes on
    every resend and is cleared on acceptance, so only the newest link works
    and only once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inbjuden av"),
    )
    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
        blank=True,
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
        blank=True,
    )
    nonce = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("skickad"))
    expires_at = models.DateTimeField(_("går ut"))
    accepted_at = models.DateTimeField(_("accepterad"), null=True, blank=True)
    # Set when the offer it came with is withdrawn ("Återkalla inbjudan"):
    # the link then says so, and sets no password.
    withdrawn_at = models.DateTimeField(_("återkallad"), null=True, blank=True)

    class Meta:
        db_table = (
            "firm_portal_invitation"  # made in firm_portal; moved here without moving the rows
        )
        verbose_name = _("inbjudan")
        verbose_name_plural = _("inbjudningar")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(accepted_at__isnull=True),
                name="invitation_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        state = _("accepterad") if self.accepted_at else _("öppen")
        return f"{self.user.email} ({state})"


class JoinOffer(models.Model):
    """A person *asked* to join a client's subscription (as a client user,
    "Bjud in klientanvändare") or a firm (as a consultant, "Lägg till
    användare"). Nothing about the account changes when it is made: the
    membership or consultant role exists only once the person accepts,
    logged in as themselves ("Inbjudningar" on their start page), or, for an
    account made with the offer, by choosing a password through the
    invitation link that went to their own e-mail address."""

    class Kind(models.TextChoices):
        CLIENT_USER = "client_user", _("Klientanvändare")
        CONSULTANT = "consultant", _("Konsult")

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar på svar")
        ACCEPTED = "accepted", _("Accepterad")
        DECLINED = "declined", _("Avböjd")
        WITHDRAWN = "withdrawn", _("Återkallad")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_offers"
    )
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    # The firm that asks; for a consultant the firm to join as well.
    firm = models.ForeignKey(
        "firm_portal.Firm", on_delete=models.CASCADE, related_name="join_offers"
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="join_offers",
        null=True,
        blank=True,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inbjuden av"),
    )
    # Named system administrator on a manual coupling's paper form: accepting
    # makes the person a sysadmin of the subscription (collaboration/manual/perform.py).
    as_sysadmin = models.BooleanField(_("som systemadministratör"), default=False, db_default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("skickad"))
    decided_at = models.DateTimeField(_("besvarad"), null=True, blank=True)

    class Meta:
        db_table = (
            "firm_portal_joinoffer"  # made in firm_portal; moved here without moving the rows
        )
        verbose_name = _("inbjudan att gå med")
        verbose_name_plural = _("inbjudningar att gå med")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subscription"],
                condition=Q(status="pending", kind="client_user"),
                name="join_offer_one_pending_per_subscription",
            ),
            models.UniqueConstraint(
                fields=["user", "firm"],
                condition=Q(status="pending", kind="consultant"),
                name="join_offer_one_pending_per_firm",
            ),
            models.CheckConstraint(
                condition=Q(kind="client_user", subscription__isnull=False)
                | Q(kind="consultant", subscription__isnull=True),
                name="join_offer_target_matches_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(status="pending"), name="join_offer_pending_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.email} → {self.subscription or self.firm} ({self.get_status_display()})"


class ClientAssignment(models.Model):
    """Which of the firm's clients (subscriptions) a consultant works with."""

    consultant = models.ForeignKey(
        "firm_portal.Consultant", on_delete=models.CASCADE, related_name="assignments"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="assignments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Made in firm_portal; moved here without moving the rows.
        db_table = "firm_portal_clientassignment"
        verbose_name = _("klienttilldelning")
        verbose_name_plural = _("klienttilldelningar")
        constraints = [
            models.UniqueConstraint(
                fields=["consultant", "subscription"], name="assignment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultant} → {self.subscription}"
