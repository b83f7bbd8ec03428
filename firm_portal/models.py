from collections.abc import Iterator
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firm_portal.emails import email_key, normalize_email
from firm_portal.org_numbers import validate_org_number


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Log in with the email address or the username; both are stored
        # normalised (firm_portal.emails), so case and look-alike forms do
        # not matter.
        key = email_key(username or "")
        if "@" in key:
            return self.get(email=key)
        return self.get(username=key)

    def by_email(self, email: str) -> "User | None":
        """The account of a typed address, in any of its look-alike forms."""
        return self.filter(email=email_key(email)).first()

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return normalize_email(email or "")

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: firm staff, client users and our support staff.

    Email is the login. What a user may do comes from their consultant role in
    a firm and their memberships in subscriptions, never from this row.
    """

    email = models.EmailField(_("e-post"), unique=True)
    full_name = models.CharField(_("namn"), max_length=200)
    username = models.CharField(
        _("användarnamn"), max_length=150, unique=True, null=True, blank=True
    )
    mobile = models.CharField(_("mobilnummer"), max_length=20, blank=True)
    # Whether the account's owner has confirmed `mobile` ("Mina uppgifter").
    # A number a firm typed stays unconfirmed, and no other tenant's SMS
    # goes to it (README, "Accounts belong to their owners").
    mobile_confirmed = models.BooleanField(
        _("mobilnummer bekräftat"), default=False, db_default=False
    )
    # 12 digits (YYYYMMDDNNNN), checked with stdnum; kept for a later BankID
    # login and shown masked wherever the reader does not need it in full.
    personal_number = models.CharField(_("personnummer"), max_length=12, blank=True)
    is_active = models.BooleanField(_("aktiv"), default=True)
    is_staff = models.BooleanField(_("supportpersonal"), default=False)
    date_joined = models.DateTimeField(_("skapad"), default=timezone.now)
    # Part of the session hash: bumping it ends every session of the user.
    session_version = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every way in stores the one form of the address (firm_portal.emails),
        # so a look-alike can never become a second account.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "email" in update_fields:
            self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_session_auth_hash(self) -> str:
        return f"{super().get_session_auth_hash()}.{self.session_version}"

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        # The same hashes under SECRET_KEY_FALLBACKS, so rotating the key
        # does not log everyone out (Django then re-signs the session).
        for fallback in super().get_session_auth_fallback_hash():
            yield f"{fallback}.{self.session_version}"

    def end_all_sessions(self) -> None:
        User.objects.filter(pk=self.pk).update(session_version=models.F("session_version") + 1)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Firm(models.Model):
    name = models.CharField(_("namn"), max_length=200)
    org_number = models.CharField(
        _("organisationsnummer"), max_length=11, unique=True, validators=[validate_org_number]
    )
    client_manager_seats = models.PositiveIntegerField(
        _("licenser för Klienthanteraren"), default=0
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("byrå")
        verbose_name_plural = _("byråer")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Consultant(models.Model):
    """A user's employment at a firm (one active firm per person)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="consultancies")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="consultants")
    is_firm_admin = models.BooleanField(_("byråadministratör"), default=False)
    is_client_manager_admin = models.BooleanField(
        _("programadministratör (Klienthanteraren)"), default=False
    )
    has_client_manager_seat = models.BooleanField(_("licens för Klienthanteraren"), default=False)
    is_active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("konsult")
        verbose_name_plural = _("konsulter")
        constraints = [
            models.UniqueConstraint(fields=["firm", "user"], name="consultant_unique_per_firm"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_active=True),
                name="consultant_one_active_firm_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.firm.name})"

    @property
    def sees_all_clients(self) -> bool:
        return self.is_firm_admin or self.is_client_manager_admin


class ConsultantOffboarding(models.Model):
    """What "Avsluta konsult" removed, kept for the report and its CSV."""

    consultant = models.OneToOneField(
        Consultant, on_delete=models.PROTECT, related_name="offboarding"
    )
    performed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField(auto_now_add=True)
    report = models.JSONField(default=list)

    class Meta:
        verbose_name = _("avslutad konsult")
        verbose_name_plural = _("avslutade konsulter")

    def __str__(self) -> str:
        return f"{self.consultant} {self.performed_at:%Y-%m-%d}"


class FirmSmsDay(models.Model):
    """How many SMS a firm's actions sent on one day (Europe/Stockholm),
    against settings.SMS_DAILY_LIMIT_PER_FIRM (firm_portal/sms_allowance.py).
    One row per firm and day, locked while a send claims from it."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("dag"))
    sent = models.PositiveIntegerField(_("skickade sms"), default=0)

    class Meta:
        verbose_name = _("sms per byrå och dag")
        verbose_name_plural = _("sms per byrå och dag")
        constraints = [
            models.UniqueConstraint(fields=["firm", "day"], name="firm_sms_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.firm_id} {self.day}: {self.sent}"
