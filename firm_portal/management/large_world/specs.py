"""The scale of the large data set, its fixed names and logins, and the plans of
rows the steps fill in before they write them."""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models
from stdnum import luhn

from firm_portal.models import Consultant, User

SEED = 7
PASSWORD = "bench1234"  # noqa: S105 - documented benchmark password
BATCH_SIZE = 2000
REQUEST_TTL = timedelta(days=30)

BIG_FIRM_NAME = "Storbyrån AB"
BENCH_ADMIN_EMAIL = "bench-admin@storbyran.bench"
BENCH_CONSULTANT_EMAIL = "bench-consultant@storbyran.bench"
BENCH_SYSADMIN_EMAIL = "bench-sysadmin@kund.bench"
BENCH_EMAILS = (BENCH_ADMIN_EMAIL, BENCH_CONSULTANT_EMAIL, BENCH_SYSADMIN_EMAIL)


@dataclass(frozen=True)
class Scale:
    clients: int = 10_000
    subscriptions: int = 12_000
    firms: int = 40
    big_firm_consultants: int = 300
    big_firm_clients: int = 6_000
    # Big-firm clients where the firm is sysadmin and the client has no users
    # of its own: what "Bjud in klientanvändare" lists.
    firm_administered: int = 3_000
    other_firm_couplings: int = 3_500
    memberships: int = 30_000
    pending_requests: int = 2_000
    big_firm_pending: int = 400
    bench_consultant_clients: int = 150
    bench_subscription_members: int = 20
    bench_subscription_pending: int = 5
    outbox_messages: int = 100_000
    ledger_events: int = 50_000
    # Of those, events about the bench consultant (their ledger page).
    bench_consultant_events: int = 600


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def org_number_from(body: str) -> str:
    """NNNNNN-NNNN for nine digits plus their Luhn check digit."""
    digits = body + luhn.calc_check_digit(body)
    return f"{digits[:6]}-{digits[6:]}"


def batched_create(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)


@dataclass
class PersonSpec:
    email: str
    full_name: str
    user: User | None = None


@dataclass
class ConsultantSpec:
    person: PersonSpec
    firm: int  # index into LargeWorld.firms
    is_firm_admin: bool = False
    is_client_manager_admin: bool = False
    has_seat: bool = True
    row: Consultant | None = None

    @property
    def sees_all(self) -> bool:
        return self.is_firm_admin or self.is_client_manager_admin


@dataclass
class CouplingSpec:
    firm: int
    subscription: int
    responsible: ConsultantSpec
    status: str
    starts_on: date
    activated_at: datetime | None


@dataclass
class MemberSpec:
    subscription: int  # index into LargeWorld.subscriptions
    person: PersonSpec
    consultant: ConsultantSpec | None = None
    is_sysadmin: bool = False

    @property
    def role(self) -> str:
        if self.is_sysadmin:
            return "sysadmin"
        return "consultant" if self.consultant is not None else "user"


@dataclass
class Summary:
    firms: int = 0
    consultants: int = 0
    users: int = 0
    clients: int = 0
    subscriptions: int = 0
    couplings: int = 0
    memberships: int = 0
    levels: int = 0
    licenses: int = 0
    pending_requests: int = 0
    assignments: int = 0
    outbox_messages: int = 0
    ledger_events: int = 0
    bench_consultant_clients: int = 0
    bench_subscription_number: int = 0
    bench_subscription_client: str = ""
    timings: list[tuple[str, float]] = field(default_factory=list)
