"""The bad query-string values and every page that reads query parameters
(GET_PAGES), for tests/test_bad_input.py and tests/test_fuzz_forms.py, and
the request.GET that notes what a view reads."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from tests.bad_input_forms import (
    DATE_RANGE,
    DIGITS_5000,
    FAR_FUTURE,
    FAR_PAST,
    HTML,
    NUL,
    SEARCH_REFUSED,
    SUPERSCRIPT_DIGITS,
    UNICODE_DIGITS,
)
from tests.conftest import World

QUERY_VALUES = {
    "superscript digits": SUPERSCRIPT_DIGITS,
    "other Unicode digits": UNICODE_DIGITS,
    "NUL": NUL,
    "control characters": "Bo\x07\x1b[2J\x7f Ek",
    "5,000 digits": DIGITS_5000,
    "far past date": FAR_PAST,
    "far future date": FAR_FUTURE,
    "html": HTML,
}


@dataclass(frozen=True)
class Param:
    """How a query parameter answers each of QUERY_VALUES: `refused` maps a
    value to the Swedish message the page shows for it; every other value of
    a search (`searches`) must give the page's empty result, and of any other
    parameter the page as without it (a bad page number is the first page)."""

    refused: dict[str, str]
    searches: bool = False


SEARCH = Param(
    refused={
        "NUL": SEARCH_REFUSED,
        "control characters": SEARCH_REFUSED,
        "5,000 digits": "som mest 100 tecken",
    },
    searches=True,
)
DATE = Param(
    refused={
        **dict.fromkeys(QUERY_VALUES, "Fyll i ett giltigt datum."),
        "far past date": DATE_RANGE,
        "far future date": DATE_RANGE,
    }
)
CHOICE = Param(refused=dict.fromkeys(QUERY_VALUES, "Välj ett giltigt alternativ."))
NUMBER = Param(refused=dict.fromkeys(QUERY_VALUES, "Fyll i ett heltal."))
# A page number, an output format, a checkbox, a prefill or a redirect target.
IGNORED = Param(refused={})

Rule = Callable[[World, dict[str, Any]], dict[str, Any]]
HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class Page:
    """A page that reads query parameters, who fetches it, and what it says
    when a search finds nothing."""

    route: str
    actor: str
    params: dict[str, Param]
    kwargs: Rule = field(default=lambda w, o: {})
    base: dict[str, str] = field(default_factory=dict)  # other parameters sent along
    headers: dict[str, str] = field(default_factory=dict)
    empty: str = ""
    statuses: tuple[int, ...] = (200, 400)  # a redirect target: (302,)


LEDGER = {
    "fran": DATE,
    "till": DATE,
    "typ": CHOICE,
    "konsult": CHOICE,
    "klient": NUMBER,
    "format": IGNORED,
    "sida": IGNORED,
}
SUBSCRIPTION_LEDGER = {
    "fran": DATE,
    "till": DATE,
    "typ": CHOICE,
    "format": IGNORED,
    "sida": IGNORED,
}
CLIENT_LIST = {
    "q": SEARCH,
    "konsult": CHOICE,
    "status": CHOICE,
    "saknar_klientanvandare": IGNORED,
    "sortera": CHOICE,
    "sida": IGNORED,
}


def _number(w: World, o: dict[str, Any]) -> dict[str, Any]:
    return {"number": w.subscription.number}


def _colleague(w: World, o: dict[str, Any]) -> dict[str, Any]:
    return {"consultant_id": w.consultant.pk}


REVIEW_ROWS = {"konsult": CHOICE, "q": SEARCH, "visa": CHOICE, "sida": IGNORED}

GET_PAGES: dict[str, Page] = {
    "Åtkomstgranskning": Page(
        "collaboration:access_review",
        "firm_admin",
        REVIEW_ROWS,
        kwargs=lambda w, o: {"review_id": o["review"].pk},
        empty="Inga rader för urvalet.",
    ),
    "Åtkomstgranskning of a subscription": Page(
        "collaboration:subscription_access_review",
        "sysadmin",
        REVIEW_ROWS,
        kwargs=lambda w, o: {
            "number": w.subscription.number,
            "review_id": o["subscription_review"].pk,
        },
        empty="Inga rader för urvalet.",
    ),
    "Avtal per klient": Page(
        "collaboration:client_agreements",
        "firm_admin",
        {
            "visa": Param(
                refused=dict.fromkeys(QUERY_VALUES, "Välj Utan giltigt avtal eller Alla klienter.")
            ),
            "sida": IGNORED,
        },
    ),
    "start page": Page("home", "firm_admin", {"sida": IGNORED, "forfragningar": IGNORED}),
    "login": Page("login", "anonymous", {"next": IGNORED}),
    "language": Page("set_language", "anonymous", {"next": IGNORED}, statuses=(302,)),
    "two-factor code": Page("two_factor_verify", "firm_admin", {"next": IGNORED}, statuses=(302,)),
    "two-factor setup": Page("two_factor_setup", "firm_admin", {"next": IGNORED}, statuses=(302,)),
    "Hantera klienter": Page(
        "collaboration:client_list",
        "firm_admin",
        CLIENT_LIST,
        empty="Inga klienter matchar sökningen.",
    ),
    "Hantera klienter (HTMX results)": Page(
        "collaboration:client_list",
        "firm_admin",
        CLIENT_LIST,
        headers={**HTMX, "HTTP_HX_TARGET": "client-results"},
        empty="Inga klienter matchar sökningen.",
    ),
    # The link from "Ny klient" names the subscription; anything else starts over there.
    "Byte av byrå": Page(
        "collaboration:firm_change_new",
        "consultant",
        {"org_number": IGNORED, "subscription_number": IGNORED},
        statuses=(302,),
    ),
    "Samarbeten": Page(
        "collaboration:collaborations",
        "firm_admin",
        {"q": SEARCH, "sida": IGNORED},
        empty="Inget samarbete matchar sökningen.",
    ),
    "Samarbeten (HTMX results)": Page(
        "collaboration:collaborations",
        "firm_admin",
        {"q": SEARCH, "sida": IGNORED},
        headers={**HTMX, "HTTP_HX_TARGET": "collaboration-results"},
        empty="Inget samarbete matchar sökningen.",
    ),
    "the consultant's client panel": Page(
        "firm_assignments",
        "firm_admin",
        {"q": SEARCH},
        kwargs=_colleague,
        empty="Inga klienter matchar sökningen.",
    ),
    "the consultant's client panel (HTMX)": Page(
        "firm_assignments",
        "firm_admin",
        {"q": SEARCH},
        kwargs=_colleague,
        headers=HTMX,
        empty="Inga klienter matchar sökningen.",
    ),
    "Byråns användare": Page("firm_users", "firm_admin", {"sida": IGNORED}),
    "responsible consultant search": Page(
        "collaboration:consultant_search",
        "consultant",
        {"consultant_query": SEARCH, "responsible_consultant": IGNORED},
        headers=HTMX,
        empty="Ingen konsult på byrån matchar sökningen.",
    ),
    "firm ledger": Page("collaboration:firm_ledger", "firm_admin", LEDGER),
    "firm ledger CSV": Page(
        "collaboration:firm_ledger", "firm_admin", LEDGER, base={"format": "csv"}
    ),
    "subscription ledger": Page(
        "collaboration:subscription_ledger", "sysadmin", SUBSCRIPTION_LEDGER, kwargs=_number
    ),
    "subscription ledger CSV": Page(
        "collaboration:subscription_ledger",
        "sysadmin",
        SUBSCRIPTION_LEDGER,
        kwargs=_number,
        base={"format": "csv"},
    ),
    "Bjud in klientanvändare": Page("clients:invite_start", "consultant", {"val": IGNORED}),
    "Lägg till nya användare och bjud in": Page(
        "clients:invite_new",
        "consultant",
        {"q": SEARCH},
        empty="Det finns inga klienter att bjuda in användare till",
    ),
    "Skapa nytt samarbete": Page("collaboration:new_customer", "consultant", {"orgnr": IGNORED}),
    "Lägg till licens (the confirmation)": Page(
        "clients:add_license",
        "sysadmin",
        {"medlem": IGNORED, "niva": IGNORED},
        kwargs=lambda w, o: {"number": w.subscription.number, "program_code": "bokforing"},
    ),
    "firm invoices": Page("licensing:firm_invoices", "firm_admin", {"sida": IGNORED}),
    "subscription invoices": Page(
        "licensing:subscription_invoices", "sysadmin", {"sida": IGNORED}, kwargs=_number
    ),
    "firm's unused licences": Page(
        "licensing:firm_unused_licenses", "firm_admin", {"sida": IGNORED}
    ),
    "subscription's unused licences": Page(
        "licensing:subscription_unused_licenses", "sysadmin", {"sida": IGNORED}, kwargs=_number
    ),
}

ROLES = ("anonymous", "firm_admin", "consultant", "sysadmin")


class RecordingQueryDict(QueryDict):
    """request.GET that notes every key a view asks it for."""

    asked: ClassVar[set[str]] = set()

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        self.asked.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def role_client(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        user = getattr(world, role)
        client.force_login(getattr(user, "user", user))
    return client


def page_url(page: Page, world: World, matrix: dict[str, Any]) -> str:
    return reverse(page.route, kwargs=page.kwargs(world, matrix))
