"""Flow 4, "Bjud in klientanvändare": the rows a firm sends in bulk (the
form builds them, collaboration/bulk_invitations.py sends them: which
clients a firm may invite to hangs on its couplings)."""

from dataclasses import dataclass

from clients.models import Subscription
from firm_portal.emails import normalize_email

MAX_ROWS_PER_SEND = 50


@dataclass(frozen=True)
class NewUserRow:
    subscription: Subscription
    full_name: str
    email: str
    username: str
    mobile: str = ""

    def __post_init__(self) -> None:
        # The one form of the address (firm_portal.emails), whoever built the
        # row: a look-alike finds the account that exists, never a second one.
        object.__setattr__(self, "email", normalize_email(self.email))
