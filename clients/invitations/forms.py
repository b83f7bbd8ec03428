"""The bulk invitation form: one row per invitable client. A row is marked
when Namn or Användarens e-post is filled; only marked rows are validated,
and every row keeps what was typed when another row is wrong."""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.bulk_invitations import MAX_ROWS_PER_SEND, NewUserRow
from clients.models import Membership, Subscription
from clients.usernames import USERNAME_RE, base_username, existing_usernames, username_suggest
from firm_portal.emails import NormalizedEmailField
from firm_portal.models import User
from firm_portal.phone import normalize_mobile


class InviteRowForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Namn"), max_length=200, required=False)
    email = NormalizedEmailField(
        label=gettext_lazy("Användarens e-post"), max_length=254, required=False
    )
    username = forms.CharField(label=gettext_lazy("Användarnamn"), max_length=150, required=False)
    mobile = forms.CharField(label=gettext_lazy("Mobilnummer"), max_length=30, required=False)

    @property
    def marked(self) -> bool:
        return bool(
            (self.data.get(self.add_prefix("full_name")) or "").strip()
            or (self.data.get(self.add_prefix("email")) or "").strip()
        )

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if any(not ch.isprintable() for ch in name):
            raise ValidationError(_("Namnet innehåller otillåtna tecken."))
        return name

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip().lower()
        if username and not USERNAME_RE.match(username):
            raise ValidationError(
                _("Användarnamnet får bara innehålla a–z, 0–9, punkt, bindestreck och understreck.")
            )
        return username

    def clean_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["mobile"])

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.marked:
            if not cleaned.get("full_name") and "full_name" not in self.errors:
                self.add_error("full_name", _("Ange namn."))
            if not cleaned.get("email") and "email" not in self.errors:
                self.add_error("email", _("Ange användarens e-post."))
        return cleaned


@dataclass
class InviteRow:
    subscription: Subscription
    form: InviteRowForm


class BulkInviteForm:
    """Rows for `subscriptions`; `is_valid()` checks marked rows, across rows
    (duplicates, the 50-row limit) and against the database."""

    def __init__(self, subscriptions: list[Subscription], data: dict | None = None) -> None:  # type: ignore[type-arg]
        self.rows = [
            InviteRow(subscription, InviteRowForm(data, prefix=f"r{subscription.pk}"))
            for subscription in subscriptions
        ]
        self.bound = data is not None
        self.errors: list[str] = []

    @property
    def marked_rows(self) -> list[InviteRow]:
        return [row for row in self.rows if row.form.marked]

    def is_valid(self) -> bool:
        if not self.bound:
            return False
        marked = self.marked_rows
        if not marked:
            self.errors.append(_("Fyll i namn och e-post på minst en rad."))
            return False
        if len(marked) > MAX_ROWS_PER_SEND:
            self.errors.append(
                _(
                    "Du kan bjuda in högst %(max)s användare per utskick. Du har markerat "
                    "%(count)s – ta bort %(extra)s och skicka resten i nästa utskick."
                )
                % {
                    "max": MAX_ROWS_PER_SEND,
                    "count": len(marked),
                    "extra": len(marked) - MAX_ROWS_PER_SEND,
                }
            )
        for row in marked:
            row.form.is_valid()
        # Rows whose own fields are fine are still checked against the others
        # and the database, so every problem shows at once.
        self._check_across_rows(marked)
        self._check_database([row for row in marked if not row.form.errors])
        return not self.errors and all(not row.form.errors for row in marked)

    def _check_across_rows(self, marked: list[InviteRow]) -> None:
        seen_emails: dict[str, InviteRow] = {}
        seen_usernames: dict[str, InviteRow] = {}
        for row in marked:
            email = row.form.cleaned_data.get("email")
            if email and email in seen_emails:
                row.form.add_error("email", _("Samma e-post finns på en annan rad."))
            if email:
                seen_emails.setdefault(email, row)
            username = row.form.cleaned_data.get("username")
            if username:
                if username in seen_usernames:
                    row.form.add_error("username", _("Samma användarnamn finns på en annan rad."))
                seen_usernames.setdefault(username, row)

    def _check_database(self, marked: list[InviteRow]) -> None:
        emails = [row.form.cleaned_data["email"] for row in marked]
        members = set(
            Membership.objects.filter(
                user__email__in=emails, subscription__in=[row.subscription for row in marked]
            ).values_list("subscription_id", "user__email")
        )
        usernames = [
            row.form.cleaned_data["username"] for row in marked if row.form.cleaned_data["username"]
        ]
        taken = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
        typed = {row.form.cleaned_data["username"] for row in marked}
        in_database = existing_usernames(
            base_username(
                full_name=row.form.cleaned_data["full_name"], email=row.form.cleaned_data["email"]
            )
            for row in marked
        )
        for row in marked:
            data = row.form.cleaned_data
            if (row.subscription.pk, data["email"]) in members:
                row.form.add_error(
                    "email",
                    _("%(email)s är redan användare hos %(client)s.")
                    % {"email": data["email"], "client": row.subscription.client.name},
                )
                continue  # add_error took the e-mail out of cleaned_data
            # Checked the same way whether or not an account exists for the
            # e-mail (an existing account keeps its own username): the form
            # must not tell which addresses have accounts.
            if data["username"] in taken:
                row.form.add_error(
                    "username",
                    _("Användarnamnet %(username)s är upptaget. Förslag: %(suggestion)s")
                    % {
                        "username": data["username"],
                        "suggestion": username_suggest(
                            full_name=data["full_name"],
                            email=data["email"],
                            taken=typed,
                            existing=in_database,
                        ),
                    },
                )
            elif not data["username"]:
                data["username"] = username_suggest(
                    full_name=data["full_name"],
                    email=data["email"],
                    taken=typed,
                    existing=in_database,
                )
                typed.add(data["username"])

    def new_user_rows(self) -> list[NewUserRow]:
        return [
            NewUserRow(
                subscription=row.subscription,
                full_name=row.form.cleaned_data["full_name"],
                email=row.form.cleaned_data["email"],
                username=row.form.cleaned_data["username"],
                mobile=row.form.cleaned_data["mobile"],
            )
            for row in self.marked_rows
        ]
