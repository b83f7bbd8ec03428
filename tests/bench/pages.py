"""What `make bench` measures: the pages, who asks for them, and the pools of
fresh targets the writes need (a request can be sent to a subscription, or
approved, only once). Needs Django set up against the bench database.

Logins are real sessions made with Django's SessionStore for the bench users
of `manage.py seed_large`; the load generator sends the session and CSRF
cookies itself (see bench_settings.py on the Secure flags).
"""

import itertools
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.crypto import get_random_string

from clients.bulk_invitations import MAX_ROWS_PER_SEND
from clients.models import Level, Membership, ProgramLevel, Subscription, live_membership_q
from clients.selectors import subscriptions_administered_by
from collaboration.bulk_invitations import invitable_subscriptions
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.management.large_world import (
    BENCH_ADMIN_EMAIL,
    BENCH_CONSULTANT_EMAIL,
    BENCH_SYSADMIN_EMAIL,
)
from firm_portal.models import Consultant, User
from firm_portal.two_factor import services
from tests.bench.loadgen import Check, PoolExhausted, Request, RequestSource, Response

SEARCH_FRAGMENT = "bygg"
# Enough fresh targets for ~8 s of writes at the rates seen on a 2-core machine.
SEND_POOL = 2000
APPROVE_POOL = 1200
LEVELS = [Level.READ, Level.REPORTER, Level.APPROVER, Level.ADMIN]


@dataclass
class Page:
    key: str
    title: str
    url: str  # as shown in the report
    source: RequestSource
    check: Check
    write: bool = False
    notes: list[str] = field(default_factory=list)
    # Its CPU budget (tests/bench/report.py, BUDGETS): "read", "fragment",
    # "write", "bulk", or "floor" (shown for comparison, held to nothing).
    kind: str = "read"


def session_for(user: User) -> str:
    """A logged-in session, as `django.contrib.auth.login` and the two-factor
    step would leave it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # As the login leaves it: the two-factor state settled (with the code
    # entered, for those who must), so no page pays for working it out.
    state = services.two_factor_state_for(user=user)
    if state in (services.VERIFY, services.SETUP):
        state = services.VERIFIED
    now = int(time.time())
    store[services.STATE_KEY] = state
    store[services.CHECKED_KEY] = now
    # The idle and absolute clocks, as stamp_session_on_login starts them.
    store["started_at"] = store["seen_at"] = now
    store.create()
    return str(store.session_key)


class Browser:
    """Cookie and CSRF headers for one logged-in user (or nobody)."""

    csrf_secret = get_random_string(32, string.ascii_letters + string.digits)

    def __init__(self, session_key: str | None) -> None:
        self.session_key = session_key

    def headers(self, *, post: bool = False, htmx: bool = False) -> dict[str, str]:
        cookies = [f"{settings.CSRF_COOKIE_NAME}={self.csrf_secret}"]
        if self.session_key:
            cookies.append(f"{settings.SESSION_COOKIE_NAME}={self.session_key}")
        headers = {"Cookie": "; ".join(cookies)}
        if post:
            headers["X-CSRFToken"] = self.csrf_secret
        if htmx:
            headers["HX-Request"] = "true"
        return headers

    def get(self, path: str, *, htmx: bool = False) -> RequestSource:
        request = Request("GET", path, self.headers(htmx=htmx))
        return lambda: request

    def post(self, path: str, data: dict[str, str], *, htmx: bool = False) -> Request:
        return Request("POST", path, self.headers(post=True, htmx=htmx), urlencode(data).encode())


def status_is(expected: int) -> Check:
    return lambda response: response.status == expected


def redirects_to(fragment: str, *, exact: bool = False) -> Check:
    def check(response: Response) -> bool:
        location = response.headers.get("location", "")
        return response.status == 302 and (
            location == fragment if exact else location.endswith(fragment)
        )

    return check


def from_pool[T](items: list[T], build: Callable[[T], Request]) -> RequestSource:
    """Each call takes the next item; PoolExhausted when none is left."""
    taken: Iterator[int] = itertools.count()

    def source() -> Request:
        index = next(taken)  # atomic under the GIL
        if index >= len(items):
            raise PoolExhausted
        return build(items[index])

    return source


@dataclass
class Cast:
    admin: Consultant
    consultant: Consultant
    sysadmin: User
    subscription: Subscription  # the sysadmin's, with 20 members


def cast() -> Cast:
    consultants = {
        c.user.email: c
        for c in Consultant.objects.select_related("user", "firm").filter(
            user__email__in=[BENCH_ADMIN_EMAIL, BENCH_CONSULTANT_EMAIL]
        )
    }
    sysadmin = User.objects.get(email=BENCH_SYSADMIN_EMAIL)
    return Cast(
        admin=consultants[BENCH_ADMIN_EMAIL],
        consultant=consultants[BENCH_CONSULTANT_EMAIL],
        sysadmin=sysadmin,
        subscription=subscriptions_administered_by(user=sysadmin).get(),
    )


def build_pages(people: Cast) -> list[Page]:
    anonymous = Browser(None)
    consultant = Browser(session_for(people.consultant.user))
    admin = Browser(session_for(people.admin.user))
    sysadmin = Browser(session_for(people.sysadmin))
    number = people.subscription.number
    ok = status_is(200)

    def get(
        key: str, title: str, browser: Browser, path: str, htmx: bool = False, kind: str = "read"
    ) -> Page:
        return Page(key, title, path, browser.get(path, htmx=htmx), ok, kind=kind)

    return [
        get("floor", "Floor: constant response", anonymous, "/bench/floor/", kind="floor"),
        get("rows50", "Floor: template with 50 rows", anonymous, "/bench/rows50/", kind="floor"),
        get(
            "layout",
            "Floor: the app's layout, empty (konsult)",
            consultant,
            "/bench/layout/",
            kind="floor",
        ),
        get("clients", "Hantera klienter, sida 1 (konsult)", consultant, "/klienter/"),
        get(
            "clients_q",
            "Hantera klienter, sök (konsult)",
            consultant,
            f"/klienter/?q={SEARCH_FRAGMENT}",
        ),
        get(
            "clients_status",
            "Hantera klienter, status aktiv (konsult)",
            consultant,
            "/klienter/?status=active",
        ),
        get("clients_admin", "Hantera klienter, sida 1 (byråadmin, 6 000)", admin, "/klienter/"),
        get(
            "clients_admin_q",
            "Hantera klienter, sök (byråadmin)",
            admin,
            f"/klienter/?q={SEARCH_FRAGMENT}",
        ),
        get("home_sysadmin", "Startsida med att göra-kort (sysadmin)", sysadmin, "/"),
        get("home_admin", "Startsida (byråadmin, 6 000 klienter)", admin, "/"),
        get(
            "collaboration",
            "Byråsamarbete",
            sysadmin,
            f"/abonnemang/{number}/byrasamarbete/",
        ),
        get(
            "permissions",
            "Tilldela behörigheter (20 användare)",
            sysadmin,
            f"/abonnemang/{number}/behorigheter/",
        ),
        get(
            "users",
            "Administrera användare (abonnemang)",
            sysadmin,
            f"/abonnemang/{number}/anvandare/",
        ),
        get(
            "firm_users", "Administrera användare (byrå, 300 konsulter)", admin, "/byra/anvandare/"
        ),
        get(
            "consultant_search",
            "Ny klient: konsultsök (HTMX)",
            consultant,
            "/klienter/ny/konsulter/?consultant_query=an",
            htmx=True,
            kind="fragment",
        ),
        get(
            "ledger",
            "Behörighetslogg för en konsult (byråadmin)",
            admin,
            f"/byra/behorighetslogg/?konsult={people.consultant.pk}",
        ),
        send_request_page(people, consultant),
        approve_page(people),
        set_level_page(people, sysadmin),
        bulk_invite_page(people, admin),
    ]


def send_request_page(people: Cast, consultant: Browser) -> Page:
    """ "Skicka förfrågan" to subscriptions Storbyrån is not coupled to and
    has nothing pending with, each with an active sysadmin."""
    firm_id = people.consultant.firm_id
    targets = list(
        Subscription.objects.exclude(
            couplings__firm_id=firm_id, couplings__status__in=Coupling.AGREED_STATUSES
        )
        .exclude(
            collaboration_requests__firm_id=firm_id,
            collaboration_requests__status=CollaborationRequest.Status.PENDING,
        )
        .exclude(status=Subscription.Status.ENDED)
        .filter(
            Exists(
                Membership.objects.filter(
                    live_membership_q(), subscription_id=OuterRef("pk"), is_sysadmin=True
                )
            )
        )
        .select_related("client")
        .order_by("number")[:SEND_POOL]
    )

    def build(subscription: Subscription) -> Request:
        return consultant.post(
            "/klienter/ny/skicka/",
            {
                "org_number": subscription.client.org_number,
                "subscription_number": str(subscription.number),
                "kind": "existing",
                "consultant_query": "",
                "responsible_consultant": str(people.consultant.pk),
                "start": "direct",
                "start_date": "",
            },
        )

    return Page(
        "send_request",
        "Skicka förfrågan (POST)",
        "POST /klienter/ny/skicka/",
        from_pool(targets, build),
        redirects_to("/", exact=True),
        write=True,
        notes=[f"{len(targets)} fresh target subscriptions"],
        kind="write",
    )


def approve_page(people: Cast) -> Page:
    """ "Jag godkänner" by each request's client sysadmin (their own session)."""
    pending = list(
        CollaborationRequest.objects.filter(
            status=CollaborationRequest.Status.PENDING, expires_at__gt=timezone.now()
        )
        .exclude(subscription=people.subscription)
        .exclude(firm_id=people.admin.firm_id)
        .select_related("subscription")
        .order_by("pk")[: APPROVE_POOL * 2]
    )
    sysadmin_of: dict[int, int] = {}
    for subscription_id, user_id in (
        Membership.objects.filter(
            live_membership_q(),
            is_sysadmin=True,
            consultant__isnull=True,
            subscription_id__in={r.subscription_id for r in pending},
        )
        .order_by("pk")
        .values_list("subscription_id", "user_id")
    ):
        sysadmin_of.setdefault(subscription_id, user_id)
    pending = [r for r in pending if r.subscription_id in sysadmin_of][:APPROVE_POOL]
    users = User.objects.in_bulk({sysadmin_of[r.subscription_id] for r in pending})
    browsers: dict[int, Browser] = {}

    def build(request: CollaborationRequest) -> Request:
        # Logged in just before: a sysadmin approves from the to-do card they
        # have just loaded, so the once-a-minute session touch and two-factor
        # re-check (and their session write) belong to that page, not here.
        user_id = sysadmin_of[request.subscription_id]
        if user_id not in browsers:
            browsers[user_id] = Browser(session_for(users[user_id]))
        browser = browsers[user_id]
        path = f"/abonnemang/{request.subscription.number}/byrasamarbete/{request.pk}/godkann/"
        return browser.post(path, {})

    return Page(
        "approve",
        "Jag godkänner (POST)",
        "POST /abonnemang/<n>/byrasamarbete/<id>/godkann/",
        from_pool(pending, build),
        redirects_to("/behorigheter/"),
        write=True,
        notes=[f"{len(pending)} pending requests of {len(users)} sysadmins"],
        kind="write",
    )


def set_level_page(people: Cast, sysadmin: Browser) -> Page:
    """One cell of "Tilldela behörigheter" (HTMX), cycling through the
    existing levels of the 20-member subscription (no new seats needed)."""
    cells = list(
        ProgramLevel.objects.filter(membership__subscription=people.subscription)
        .order_by("pk")
        .values_list("membership_id", "program__code")
    )
    number = people.subscription.number
    turn = itertools.count()

    def source() -> Request:
        n = next(turn)
        membership_id, code = cells[n % len(cells)]
        level = LEVELS[(n // len(cells)) % len(LEVELS)]
        return sysadmin.post(
            f"/abonnemang/{number}/behorigheter/{membership_id}/program/{code}/",
            {f"level-{membership_id}-{code}": level},
            htmx=True,
        )

    return Page(
        "set_level",
        "Ändra en behörighet (HTMX POST)",
        "POST /abonnemang/<n>/behorigheter/<m>/program/<p>/",
        source,
        lambda response: response.status == 200 and b'role="alert"' not in response.body,
        write=True,
        notes=[f"{len(cells)} cells of one subscription (its row lock serialises them)"],
        # The issue counts one permission cell among the HTMX fragments.
        kind="fragment",
    )


def invite_rows(subscriptions: list[int], first: int, *, usernames: bool) -> dict[str, str]:
    """The posted "Bjud in klientanvändare" form. With JavaScript the username
    column is filled by the HTMX suggestion; without it, it is empty."""
    data: dict[str, str] = {}
    for offset, pk in enumerate(subscriptions):
        n = first + offset
        data[f"r{pk}-full_name"] = f"Inbjuden Användare {n}"
        data[f"r{pk}-email"] = f"inbjuden{n}@inbjudan.bench"
        data[f"r{pk}-username"] = f"inbjuden.anvandare.{n}" if usernames else ""
        data[f"r{pk}-mobile"] = ""
    return data


INVITE_SERIAL = itertools.count(1, MAX_ROWS_PER_SEND)


def invitable_chunks(people: Cast) -> list[list[int]]:
    pks = list(invitable_subscriptions(consultant=people.admin).values_list("pk", flat=True))
    return [
        pks[i : i + MAX_ROWS_PER_SEND]
        for i in range(0, len(pks) - MAX_ROWS_PER_SEND + 1, MAX_ROWS_PER_SEND)
    ]


def bulk_invite_page(people: Cast, admin: Browser) -> Page:
    chunks = invitable_chunks(people)

    def build(chunk: list[int]) -> Request:
        return admin.post(
            "/klienter/bjud-in/nya/", invite_rows(chunk, next(INVITE_SERIAL), usernames=True)
        )

    return Page(
        "bulk_invite",
        "Bjud in 50 klientanvändare (POST)",
        "POST /klienter/bjud-in/nya/",
        from_pool(chunks, build),
        redirects_to("/klienter/bjud-in/resultat/"),
        write=True,
        notes=[f"{len(chunks)} batches of 50 invitable clients"],
        kind="bulk",
    )


def measure_queries(page: Page) -> tuple[int, bool]:
    """Queries of the page's second request (the first warms per-process
    caches), and whether its response passed the page's check."""
    count_once(page)
    return count_once(page)


def count_once(page: Page, client: TestClient | None = None) -> tuple[int, bool]:
    """Queries of one request, and whether its response passed the check.
    A new client loads the middleware anew (WhiteNoise scans the static
    files then); --profile passes one client for all its requests."""
    request = page.source()
    client = client or TestClient(HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as captured:
        response = client.generic(
            request.method,
            request.path,
            data=request.body,
            content_type="application/x-www-form-urlencoded",
            headers=request.headers,
        )
    converted = Response(
        response.status_code,
        {k.lower(): v for k, v in response.headers.items()},
        response.content,
    )
    return len(captured.captured_queries), page.check(converted)


def bulk_invite_queries(people: Cast, *, usernames: bool) -> tuple[int, bool]:
    """Queries of one 50-row bulk invitation, with or without usernames typed."""
    admin = Browser(session_for(people.admin.user))
    chunks = invitable_chunks(people)[-1:]

    def build(chunk: list[int]) -> Request:
        rows = invite_rows(chunk, next(INVITE_SERIAL), usernames=usernames)
        return admin.post("/klienter/bjud-in/nya/", rows)

    page = Page(
        "bulk_invite_variant",
        "",
        "",
        from_pool(chunks, build),
        redirects_to("/klienter/bjud-in/resultat/"),
    )
    return count_once(page) if chunks else (0, False)
