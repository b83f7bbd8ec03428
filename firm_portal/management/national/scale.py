"""The national set's sizes (issue 18) and the words its rows are made of."""

from dataclasses import dataclass

from stdnum import luhn

PASSWORD = "bench1234"  # noqa: S105 - documented benchmark password
BIG_FIRM_NAME = "Riksbyrån AB"
LEVELS = ("read", "reporter", "approver", "admin")
PLANS = ("faktura", "start", "smart", "smart", "smart", "pro")
LEDGER_KINDS = (
    "request_sent",
    "request_approved",
    "member_added",
    "level_changed",
    "level_changed",
    "assignment_changed",
    "licenses_changed",
)
OUTBOX_TEMPLATES = ("collaboration-request", "collaboration-approved", "invitation", "join-offer")
TOWNS = ("Umeå", "Luleå", "Sundsvall", "Uppsala", "Örebro", "Göteborg", "Malmö", "Kiruna")
TRADES = ("Bygg", "Bageri", "Konsult", "Fastighet", "Transport", "Handel", "Café", "Verkstad")
NAMES = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Per", "Sara", "Ali")
SURNAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson")


@dataclass(frozen=True)
class NationalScale:
    """The issue's sizes; `fraction` scales every count (at least a few rows).
    `big_firm_full` keeps the largest firm at its full size (3,000 consultants,
    60,000 clients) however small the rest: its pages are the costliest."""

    fraction: float = 1.0
    big_firm_full: bool = False

    def of(self, full: int, least: int = 2) -> int:
        return max(least, round(full * self.fraction))

    @property
    def firms(self) -> int:
        return self.of(5_000, 3)

    @property
    def big_firm_consultants(self) -> int:
        return 3_000 if self.big_firm_full else self.of(3_000, 3)

    @property
    def clients(self) -> int:
        # Room for the big firm's clients and as many again for the others.
        return max(self.of(500_000, 20), 2 * self.big_firm_clients)

    @property
    def subscriptions(self) -> int:
        return max(self.of(600_000, 24), self.clients * 6 // 5)

    @property
    def big_firm_clients(self) -> int:
        return 60_000 if self.big_firm_full else self.of(60_000, 4)

    @property
    def memberships(self) -> int:
        return self.of(2_000_000, 40)

    @property
    def pending_requests(self) -> int:
        return self.of(20_000, 2)

    @property
    def ledger_events(self) -> int:
        return self.of(10_000_000, 20)

    @property
    def outbox_messages(self) -> int:
        return self.of(5_000_000, 20)


def org_number(body: int) -> str:
    digits = f"{body:09d}"
    digits += luhn.calc_check_digit(digits)
    return f"{digits[:6]}-{digits[6:]}"
