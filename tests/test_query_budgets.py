"""Query budgets for the pages `make bench` measures: each is requested in a
small world (3 rows) and again after the world has grown (60 clients, 20
members, 30 pending requests …), and must send the same number of queries,
at most BUDGET (the bulk invitation of 50 users: at most BULK_BUDGET).

The first request of each test is a warm-up, so per-process caches do not
count against the small world.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import (
    ClientAssignment,
    Invitation,
    JoinOffer,
    Level,
    ProgramLevel,
    Subscription,
)
from collaboration.models import CollaborationRequest
from firm_portal.models import Consultant
from tests import factories
from tests.clients.bulk_invitation_helpers import make_invitable

pytestmark = pytest.mark.django_db

BUDGET = 12
BULK_BUDGET = 40
WRITE_BUDGET = 26  # "Bekräfta och lägg till licens": a licence and a level
LIST = reverse("collaboration:client_list")


def queries_of(request: Callable[[], object], status: int = 200) -> list[str]:
    """The SQL of everything `request` sent to the database; the response
    must have `status` (a page, not a redirect to a login or code step)."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    answered = getattr(response, "status_code", None)
    assert answered == status, f"status {answered}, expected {status}"
    return [query["sql"] for query in captured.captured_queries]


class QueryCountGrows(AssertionError):
    """More queries in the large world than in the small one (an N+1)."""


class QueryBudgetExceeded(AssertionError):
    """A constant number of queries, but more than the page's budget."""


def assert_constant(small: list[str], large: list[str], budget: int = BUDGET) -> None:
    listing = "\n".join(f"{n:3d}. {sql[:160]}" for n, sql in enumerate(large, start=1))
    if len(large) != len(small):
        raise QueryCountGrows(
            f"{len(small)} queries in the small world, {len(large)} in the large one:\n{listing}"
        )
    if len(large) > budget:
        raise QueryBudgetExceeded(f"{len(large)} queries, budget {budget}:\n{listing}")


def add_firm_clients(world, count):  # type: ignore[no-untyped-def]
    """Clients of firm A assigned to Erik and Anna; every third without
    client users, the others with a sysadmin of their own."""
    subscriptions: list[Subscription] = []
    for _ in range(count):
        subscription = factories.CouplingFactory(firm=world.firm).subscription
        for consultant in (world.consultant, world.firm_admin):
            ClientAssignment.objects.create(consultant=consultant, subscription=subscription)
        if len(subscriptions) % 3:
            factories.MembershipFactory(subscription=subscription, is_sysadmin=True)
        subscriptions.append(subscription)
    return subscriptions


def add_pending_requests(subscription, count):  # type: ignore[no-untyped-def]
    return [factories.CollaborationRequestFactory(subscription=subscription) for _ in range(count)]


def coupled_consultant(subscription):  # type: ignore[no-untyped-def]
    """The responsible consultant of a new firm coupled to `subscription`."""
    consultant = factories.ConsultantFactory()
    factories.CouplingFactory(
        firm=consultant.firm, subscription=subscription, responsible_consultant=consultant
    )
    return consultant


def add_members(subscription, count):  # type: ignore[no-untyped-def]
    """Client users with a level each, and consultants of coupled firms."""
    members = []
    for n in range(count):
        if n % 4 == 3:
            consultant = coupled_consultant(subscription)
            membership = factories.MembershipFactory(
                subscription=subscription, user=consultant.user, consultant=consultant
            )
        else:
            membership = factories.MembershipFactory(subscription=subscription)
        factories.give_level(membership, "bokforing", Level.READ)
        members.append(membership)
    return members


@pytest.fixture
def licensed(world):  # type: ignore[no-untyped-def]
    """Seats to spare in Bageriet for every level the tests give."""
    for code in ("bokforing", "fakturering"):
        factories.LicenseFactory(
            subscription=world.subscription, program=factories.program(code), seats=100
        )
    return world


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# -- Hantera klienter ------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "Kund"}, {"status": "active"}],
    ids=["page-1", "search", "status-filter"],
)
def test_client_list(world, params):  # type: ignore[no-untyped-def]
    add_firm_clients(world, 3)
    client = logged_in(world.consultant.user)
    client.get(LIST, params)
    small = queries_of(lambda: client.get(LIST, params))
    add_firm_clients(world, 57)
    large = queries_of(lambda: client.get(LIST, params))
    assert_constant(small, large)


# -- Start page with to-do cards --------------------------------------------


def test_sysadmin_start_page(world):  # type: ignore[no-untyped-def]
    add_pending_requests(world.subscription, 3)
    membership = factories.MembershipFactory(user=world.sysadmin)
    factories.give_level(membership, "bokforing", Level.REPORTER)
    client = logged_in(world.sysadmin)
    client.get("/")
    small = queries_of(lambda: client.get("/"))
    for _ in range(9):
        subscription = factories.SubscriptionFactory()
        factories.MembershipFactory(
            subscription=subscription, user=world.sysadmin, is_sysadmin=True
        )
        add_pending_requests(subscription, 3)
        membership = factories.MembershipFactory(user=world.sysadmin)
        factories.give_level(membership, "bokforing", Level.REPORTER)
    large = queries_of(lambda: client.get("/"))
    assert_constant(small, large)


# -- Byråsamarbete -----------------------------------------------------------


def test_firm_collaboration(world):  # type: ignore[no-untyped-def]
    url = reverse("collaboration:firm_collaboration", args=[world.subscription.number])
    add_pending_requests(world.subscription, 3)
    client = logged_in(world.sysadmin)
    client.get(url)
    small = queries_of(lambda: client.get(url))
    add_pending_requests(world.subscription, 27)
    for _ in range(10):
        coupled_consultant(world.subscription)
    large = queries_of(lambda: client.get(url))
    assert_constant(small, large)


# -- Tilldela behörigheter and Administrera användare -------------------------


@pytest.mark.parametrize("name", ["clients:permissions", "clients:users"])
def test_subscription_member_pages(licensed, name):  # type: ignore[no-untyped-def]
    world = licensed
    url = reverse(name, args=[world.subscription.number])
    add_members(world.subscription, 1)
    client = logged_in(world.sysadmin)
    client.get(url)
    small = queries_of(lambda: client.get(url))
    add_members(world.subscription, 17)
    large = queries_of(lambda: client.get(url))
    assert_constant(small, large)


def add_consultants(world, count: int) -> None:  # type: ignore[no-untyped-def]
    """Consultants of firm A named An…, some invited, some with clients."""
    subscriptions = add_firm_clients(world, 2)
    for n in range(count):
        consultant = factories.ConsultantFactory(
            firm=world.firm, user__full_name=f"Anders Konsult {n:02d}"
        )
        if n % 3 == 0:
            now = timezone.now()
            Invitation.objects.create(
                user=consultant.user,
                invited_by=world.firm_admin.user,
                firm=world.firm,
                nonce="x",
                sent_at=now,
                expires_at=now + timedelta(days=14),
            )
        for subscription in subscriptions[: n % 3]:
            ClientAssignment.objects.create(consultant=consultant, subscription=subscription)


def test_firm_users(world):  # type: ignore[no-untyped-def]
    url = reverse("firm_users")
    add_consultants(world, 1)
    client = logged_in(world.firm_admin.user)
    client.get(url)
    small = queries_of(lambda: client.get(url))
    add_consultants(world, 57)
    large = queries_of(lambda: client.get(url))
    assert_constant(small, large)


def test_consultant_search(world):  # type: ignore[no-untyped-def]
    url = reverse("collaboration:consultant_search")
    params = {"consultant_query": "an"}
    add_consultants(world, 1)
    client = logged_in(world.consultant.user)
    client.get(url, params, headers={"HX-Request": "true"})
    small = queries_of(lambda: client.get(url, params, headers={"HX-Request": "true"}))
    add_consultants(world, 57)
    large = queries_of(lambda: client.get(url, params, headers={"HX-Request": "true"}))
    assert_constant(small, large)


# -- Writes -------------------------------------------------------------------


def request_target():  # type: ignore[no-untyped-def]
    """A subscription firm A may ask for: one active sysadmin, not coupled."""
    membership = factories.MembershipFactory(is_sysadmin=True)
    return membership.subscription


def send(client: Client, consultant: Consultant, subscription: Subscription):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("collaboration:send_request"),
        {
            "org_number": subscription.client.org_number,
            "subscription_number": subscription.number,
            "kind": "existing",
            "consultant_query": "",
            "responsible_consultant": consultant.pk,
            "start": "direct",
            "start_date": "",
        },
    )


def test_send_request(world):  # type: ignore[no-untyped-def]
    client = logged_in(world.consultant.user)
    targets = [request_target() for _ in range(3)]
    assert send(client, world.consultant, targets[0])["Location"] == "/"
    small = queries_of(lambda: send(client, world.consultant, targets[1]), status=302)
    add_firm_clients(world, 60)
    for _ in range(30):
        factories.CollaborationRequestFactory(
            firm=world.firm, responsible_consultant=world.consultant
        )
    add_consultants(world, 30)
    large = queries_of(lambda: send(client, world.consultant, targets[2]), status=302)
    # Flow 10: one query more, the firm's current agreements to attach.
    assert_constant(small, large, budget=BUDGET + 1)
    assert CollaborationRequest.objects.filter(subscription__in=targets).count() == 3


def approve(client: Client, request: CollaborationRequest):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("collaboration:approve_request", args=[request.subscription.number, request.pk])
    )


def test_approve_request(licensed):  # type: ignore[no-untyped-def]
    world = licensed
    pending = add_pending_requests(world.subscription, 3)
    client = logged_in(world.sysadmin)
    assert approve(client, pending[0]).status_code == 302
    small = queries_of(lambda: approve(client, pending[1]), status=302)
    add_members(world.subscription, 18)
    pending += add_pending_requests(world.subscription, 27)
    large = queries_of(lambda: approve(client, pending[2]), status=302)
    # One over: the subscription row is locked first (the lock order shared
    # with "Byte av byrå" and "Avsluta samarbete", so they never deadlock).
    assert_constant(small, large, budget=BUDGET + 1)
    assert (
        CollaborationRequest.objects.filter(
            pk__in=[r.pk for r in pending[:3]], status=CollaborationRequest.Status.APPROVED
        ).count()
        == 3
    )


def test_set_level(licensed):  # type: ignore[no-untyped-def]
    """An HTMX cell: changing a level the member already has."""
    world = licensed
    membership = world.sysadmin_membership
    url = reverse(
        "clients:set_level", args=[world.subscription.number, membership.pk, "fakturering"]
    )
    client = logged_in(world.sysadmin)
    headers = {"HX-Request": "true"}

    def set_to(level: str):  # type: ignore[no-untyped-def]
        return client.post(url, {f"level-{membership.pk}-fakturering": level}, headers=headers)

    set_to(Level.READ)
    small = queries_of(lambda: set_to(Level.REPORTER))
    add_members(world.subscription, 18)
    large = queries_of(lambda: set_to(Level.APPROVER))
    assert_constant(small, large)
    assert ProgramLevel.objects.get(membership=membership).level == Level.APPROVER


def test_add_license(licensed):  # type: ignore[no-untyped-def]
    """ "Lägg till licens" from a member's cell: the confirmation (price and
    payer), then "Bekräfta och lägg till licens" (the licence and the level
    chosen), each the same number of queries in a larger subscription."""
    world = licensed
    client = logged_in(world.sysadmin)
    headers = {"HX-Request": "true"}
    url = reverse("clients:add_license", args=[world.subscription.number, "bokforing"])
    price = "100.00"  # the seeded price list's Bokföring on Smart, read below

    def members(count):  # type: ignore[no-untyped-def]
        return [factories.MembershipFactory(subscription=world.subscription) for _ in range(count)]

    def confirmation(member):  # type: ignore[no-untyped-def]
        query = {"medlem": member.pk, "niva": Level.READ}
        return client.get(url, query, headers=headers)

    def confirm(member):  # type: ignore[no-untyped-def]
        data = {"medlem": member.pk, "niva": Level.READ, "pris": price, "bekrafta": "1"}
        return client.post(url, data, headers=headers)

    first, second, third, fourth = members(4)
    page = confirmation(first).content.decode()
    price = page.split('name="pris" value="')[1].split('"')[0]
    confirm(first)
    small_page = queries_of(lambda: confirmation(second))
    small_write = queries_of(lambda: confirm(second))
    add_members(world.subscription, 18)
    assert_constant(small_page, queries_of(lambda: confirmation(third)))
    # 26 (measured): the price checked again (4), then in savepoints two row
    # locks, the seats, the level, two ledger events and the billable change.
    assert_constant(small_write, queries_of(lambda: confirm(third)), budget=WRITE_BUDGET)
    assert ProgramLevel.objects.filter(membership__in=[first, second, third]).count() == 3
    assert not ProgramLevel.objects.filter(membership=fourth).exists()


# -- Bjud in klientanvändare ----------------------------------------------------


def invite(client: Client, subscriptions: list[Subscription], *, start: int, usernames: bool):  # type: ignore[no-untyped-def]
    """The posted form: with JavaScript the usernames are already suggested
    (HTMX fills them in); without it they are empty and the server suggests."""
    data = {}
    for n, subscription in enumerate(subscriptions, start=start):
        prefix = f"r{subscription.pk}"
        data[f"{prefix}-full_name"] = f"Person {n}"
        data[f"{prefix}-email"] = f"person{n}@example.se"
        data[f"{prefix}-username"] = f"person.{n}" if usernames else ""
        data[f"{prefix}-mobile"] = ""
    return client.post(reverse("clients:invite_new"), data)


@pytest.mark.parametrize("usernames", [True, False], ids=["usernames-typed", "usernames-empty"])
def test_bulk_invitation_of_50(world, usernames):  # type: ignore[no-untyped-def]
    client = logged_in(world.firm_admin.user)
    first = invite(
        client,
        make_invitable(world, [f"Kund {n} AB" for n in range(3)]),
        start=0,
        usernames=usernames,
    )
    assert first.status_code == 302
    three = make_invitable(world, [f"Kund {n} AB" for n in range(3, 6)])
    small = queries_of(lambda: invite(client, three, start=100, usernames=usernames), status=302)
    fifty = make_invitable(world, [f"Kund {n} AB" for n in range(6, 56)])
    large = queries_of(lambda: invite(client, fifty, start=200, usernames=usernames), status=302)
    assert JoinOffer.objects.filter(user__email__startswith="person").count() == 56
    assert_constant(small, large, budget=BULK_BUDGET)
