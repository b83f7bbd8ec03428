"""Login throttling (django-axes): failed logins are counted per account and
per client address, each against its own limit.

- The account is the normalised, lower-cased e-mail (or username) that was
  typed (firm_portal.emails.email_key), so "A@Example.se", its fullwidth form
  and an address with a zero-width space count against the same account.
  django-axes on its own reads the POST field named after USERNAME_FIELD
  ("email"), which neither our login form nor Django admin's posts: every
  failure was stored without a username, so all accounts shared one bucket.
- AXES_ACCOUNT_FAILURE_LIMIT failures against one account lock that account
  (from every address) for AXES_COOLOFF_TIME; other accounts are untouched.
- AXES_FAILURE_LIMIT failures from one client address (firm_portal.
  client_address), whatever the accounts, lock that address.

django-axes compares one number with one limit, so get_failures returns the
account's count scaled to the address limit: the account bucket reaches
AXES_FAILURE_LIMIT exactly when it reaches AXES_ACCOUNT_FAILURE_LIMIT.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

from firm_portal.emails import email_key


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account a login attempt was for."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    if not isinstance(raw, str) or not raw.strip():
        return None
    return email_key(raw)[:255]


class AccountAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        address_limit = get_failure_limit(request, credentials)
        account_limit = settings.AXES_ACCOUNT_FAILURE_LIMIT
        parameters = get_lockout_parameters(request, credentials)
        username = login_username(request, credentials)
        worst = 0
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            if parameter == "username" and username is None:
                continue  # no account typed: only the address counts
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if parameter == "username":
                failures = failures * address_limit // account_limit
            worst = max(worst, failures)
        return worst
