import logging
import unicodedata
from collections.abc import Callable, Iterator

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from firm_portal.emails import NormalizedEmailField, normalize_email
from firm_portal.models import User
from firm_portal.offers_only import account_ended_by, offers_despite_ending
from firm_portal.phone import normalize_mobile
from notifications.services import outbox_enqueue_email

logger = logging.getLogger(__name__)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label=_("E-post"),
        help_text=_("Eller ditt användarnamn."),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("Fel e-post eller lösenord. Försök igen."),
        "inactive": _("Kontot är inaktiverat."),
    }

    def clean_username(self) -> str:
        typed = self.cleaned_data["username"]
        if "@" in unicodedata.normalize("NFKC", typed):
            return normalize_email(typed)
        return typed.strip().lower()

    # Set when the login is allowed only to answer invitations (OFFERS_ONLY).
    offers_only = False

    def confirm_login_allowed(self, user: User) -> None:  # type: ignore[override]
        super().confirm_login_allowed(user)
        # Only after the right password: nobody else learns the account ended.
        message = ended_account_message(user=user)
        if message:
            if offers_despite_ending(user=user).exists():
                # Ended by one firm, asked by another: in, to answer those only.
                self.offers_only = True
                return
            raise forms.ValidationError(message, code="ended")


def ended_account_message(*, user: User) -> str:
    """Why a person ended with "Avsluta konsult" cannot log in ("" if they can)."""
    firm = account_ended_by(user=user)
    if firm is None:
        return ""
    return _(
        "Ditt konto har avslutats av %(firm)s och kan inte längre användas för att logga in."
    ) % {"firm": firm.name}


class PasswordSetForm(SetPasswordForm):
    """Django's set-password form with the user's own validators."""


# Whether an account is one "Skapa nytt samarbete" made for an address
# (inactive, no password) that its owner has not claimed yet: collaboration
# knows (`collaboration.selectors.unclaimed_contact`) and sits above, so the
# pages hand it to the two password forms below (firm_portal/views.py).
UnclaimedContact = Callable[[User], bool]


class ClaimingSetPasswordForm(SetPasswordForm):
    """The password reset's new password. An unclaimed contact account
    becomes usable with it (its owner proved the address by the link)."""

    unclaimed_contact: UnclaimedContact  # set by the page (firm_portal/views.py)

    def save(self, commit: bool = True) -> User:  # type: ignore[override]
        claims = self.unclaimed_contact(self.user)
        user = super().save(commit=False)
        if claims:
            user.is_active = True
        if commit:
            user.save()
        return user


class MyDetailsForm(forms.Form):
    """ "Mina uppgifter": the owner's own mobile number; saving it confirms it."""

    mobile = forms.CharField(
        label=_("Mobilnummer"),
        max_length=30,
        required=False,
        help_text=_("T.ex. 070-123 45 67. Lämna tomt för att ta bort numret."),
    )

    def clean_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["mobile"])


def password_reset_counter_key(user_id: int) -> str:
    return f"password-reset-emails:{user_id}"


def password_reset_email_allowed(user_id: int) -> bool:
    """Whether one more reset e-mail may go to the account this hour: at most
    PASSWORD_RESET_EMAILS_PER_HOUR, counted in the cache (Redis in
    production, shared by every worker) from the first of them."""
    key = password_reset_counter_key(user_id)
    cache.add(key, 0, timeout=60 * 60)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr: a new hour
        cache.add(key, 1, timeout=60 * 60)
        sent = 1
    return sent <= settings.PASSWORD_RESET_EMAILS_PER_HOUR


def _same_address(typed: str, stored: str) -> bool:
    """Django's reset compares addresses like this (NFKC, case-folded)."""
    return (
        unicodedata.normalize("NFKC", typed).casefold()
        == unicodedata.normalize("NFKC", stored).casefold()
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset (single-use tokens that die when the password
    changes, and with firm_portal.tokens when the user's sessions are ended),
    with the email going through the outbox like every message, and at most
    PASSWORD_RESET_EMAILS_PER_HOUR to one account: the form needs no login,
    so without it anyone could mail an account without end. Nobody whose
    account was ended by their firm gets a link. The page says the same
    either way.

    Unlike Django's, an account nobody has claimed yet (no password) gets a
    link too: the owner of an e-mail address can always claim its account,
    also one a cancelled or expired "Skapa nytt samarbete" made (inactive
    until then). The link goes to the account's own address, which is the
    proof."""

    email = NormalizedEmailField(
        label=_("E-post"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    unclaimed_contact: UnclaimedContact  # set by the page (firm_portal/views.py)

    def get_users(self, email: str) -> Iterator[User]:  # type: ignore[override]
        for user in User._default_manager.filter(email__iexact=email):
            if not _same_address(email, user.email):
                continue
            if not (user.is_active or self.unclaimed_contact(user)):
                continue
            if account_ended_by(user=user) is None or offers_despite_ending(user=user).exists():
                yield user

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, object],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user_id = context["user"].pk  # type: ignore[attr-defined]
        if not password_reset_email_allowed(user_id):
            logger.info("Password reset e-mail to user %s not sent: hourly limit", user_id)
            return
        outbox_enqueue_email(to=to_email, template="password-reset", context=context)
