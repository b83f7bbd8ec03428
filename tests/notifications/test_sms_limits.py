"""Issue 13: SMS go only to the countries we text (Nordic by default,
SMS_ALLOWED_REGIONS), refused at every field that takes a mobile number, and
a firm's actions send at most SMS_DAILY_LIMIT_PER_FIRM SMS a day: beyond it
the e-mail still goes and the SMS is held for support, and the sender is told."""

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from collaboration.models import Coupling
from firm_portal import sms_allowance
from firm_portal.models import FirmSmsDay, User
from firm_portal.sms_allowance import firm_sms_allowance
from notifications import services
from notifications.models import OutboxMessage
from notifications.sms import locmem
from tests import factories
from tests.clients.bulk_invitation_helpers import NEW, make_invitable, row
from tests.collaboration.new_customer_helpers import install_prices
from tests.collaboration.new_customer_helpers import post as post_step
from tests.conftest import World

pytestmark = pytest.mark.django_db

NORDIC_REFUSAL = (
    "Vi skickar bara sms till mobilnummer i Sverige, Norge, Danmark, Finland och Island – "
    "{number} är från ett annat land. Ange ett annat nummer eller lämna fältet tomt."
)
UK = "+447400123456"
# What templates/sms/collaboration-request.txt needs.
CONTEXT = {"firm": {"name": "Norr"}, "client": {"name": "Alfa AB"}, "subscription": {"number": 1}}
# What happens to a held SMS: support releases it ("Skicka hållna sms");
# nothing sends it the next day (notifications.services.outbox_enqueue_sms).
HELD_ONE = (
    "1 sms hålls inne: byrån har nått gränsen på 0 sms per dygn. E-posten skickas ändå. "
    "Sms:et skickas först när support släpper det, inte automatiskt nästa dag; kontakta "
    "support om det behöver skickas."
)
NORDIC = ["070-123 45 67", "+4740612345", "+4520123456", "+358412345678", "+3546111234"]


def invitable(world: World, count: int) -> list[Any]:
    return make_invitable(world, [f"Kund {n:02d} AB" for n in range(count)])


def invite(client: Client, rows: list[tuple[Any, str, str, str]]) -> Any:
    data = {}
    for subscription, name, email, mobile in rows:
        data.update(row(subscription, name, email, mobile=mobile))
    return client.post(NEW, data)


def sms_by_status() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for status, recipient in OutboxMessage.objects.filter(
        channel=OutboxMessage.Channel.SMS
    ).values_list("status", "recipient"):
        found.setdefault(status, []).append(recipient)
    return {status: sorted(numbers) for status, numbers in found.items()}


class TestCountries:
    def test_bulk_invitation_row_refuses_a_number_outside_the_nordics(
        self, client: Client, world: World
    ) -> None:
        (alfa,) = invitable(world, 1)
        client.force_login(world.firm_admin.user)
        response = invite(client, [(alfa, "Åsa Öberg", "asa@alfa.se", UK)])
        assert response.status_code == 422
        assert NORDIC_REFUSAL.format(number=UK) in response.text
        assert not User.objects.filter(email="asa@alfa.se").exists()
        assert not OutboxMessage.objects.exists() and mail.outbox == []

    @pytest.mark.parametrize("number", NORDIC)
    def test_nordic_numbers_are_taken(self, client: Client, world: World, number: str) -> None:
        (alfa,) = invitable(world, 1)
        client.force_login(world.firm_admin.user)
        response = invite(client, [(alfa, "Åsa Öberg", "asa@alfa.se", number)])
        assert response.status_code == 302
        assert User.objects.get(email="asa@alfa.se").mobile.startswith("+")

    def test_new_customer_contact_mobile(self, client: Client, world: World) -> None:
        install_prices()
        client.force_login(world.consultant.user)
        post_step(client, "plan")
        post_step(client, "licenses")
        response = post_step(client, "customer", contact_mobile=UK)
        assert NORDIC_REFUSAL.format(number=UK) in response.text
        assert client.session["new_customer_wizard"]["step"] == "customer"

    def test_consultant_mobile(self, client: Client, world: World) -> None:
        client.force_login(world.firm_admin.user)
        response = client.post(
            reverse("firm_add_consultant"),
            {"full_name": "Ny Konsult", "email": "ny@norr.se", "mobile": UK},
        )
        assert NORDIC_REFUSAL.format(number=UK) in response.text
        assert not User.objects.filter(email="ny@norr.se").exists()

    def test_support_user_form(self, world: World, rf: RequestFactory) -> None:
        request = rf.get("/admin/")
        request.user = factories.UserFactory(is_staff=True, is_superuser=True)  # type: ignore[assignment]
        user = world.client_user
        form_class = admin.site._registry[User].get_form(request, user)
        # The admin splits the date fields in two inputs.
        data = {
            **forms.model_to_dict(user),
            "date_joined_0": "2025-01-01",
            "date_joined_1": "10:00",
        }
        form = form_class(instance=user, data={**data, "mobile": UK})
        assert form.errors["mobile"] == [NORDIC_REFUSAL.format(number=UK)]
        form = form_class(instance=user, data={**data, "mobile": "070-123 45 67"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["mobile"] == "+46701234567"

    def test_the_countries_come_from_the_setting(
        self, client: Client, world: World, settings: Any
    ) -> None:
        settings.SMS_ALLOWED_REGIONS = frozenset({"SE", "GB"})
        alfa, beta = invitable(world, 2)
        client.force_login(world.firm_admin.user)
        refused = invite(client, [(alfa, "Nils Norsk", "nils@alfa.se", "+4740612345")])
        assert (
            "Vi skickar bara sms till mobilnummer i Sverige och GB – +4740612345 är från ett "
            "annat land." in refused.text
        )
        assert invite(client, [(beta, "Ulla Uk", "ulla@beta.se", UK)]).status_code == 302
        assert User.objects.get(email="ulla@beta.se").mobile == UK

    def test_a_stored_number_outside_the_list_is_never_texted(
        self, settings: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        """A number stored before the list changed fails for good at sending,
        with the reason for support."""
        with django_capture_on_commit_callbacks(execute=True):
            message = services.outbox_enqueue_sms(
                to=UK, template="collaboration-request", context=CONTEXT
            )
        message.refresh_from_db()
        assert locmem.outbox == []
        assert message.status == OutboxMessage.Status.FAILED
        assert "outside SMS_ALLOWED_REGIONS" in message.last_error


class TestDailyLimitPerFirm:
    def test_over_the_limit_the_email_goes_and_the_sms_is_held(
        self,
        client: Client,
        world: World,
        settings: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        settings.SMS_DAILY_LIMIT_PER_FIRM = 3
        subscriptions = invitable(world, 5)
        client.force_login(world.firm_admin.user)
        numbers = [f"+4670123450{n}" for n in range(5)]
        with django_capture_on_commit_callbacks(execute=True):
            response = invite(
                client,
                [
                    (subscription, f"Person {n}", f"p{n}@example.se", numbers[n])
                    for n, subscription in enumerate(subscriptions)
                ],
            )
        assert response.status_code == 302
        assert len(mail.outbox) == 5
        assert sorted(sms.to for sms in locmem.outbox) == numbers[:3]
        assert sms_by_status() == {"sent": numbers[:3], "held": numbers[3:]}
        held = OutboxMessage.objects.filter(status=OutboxMessage.Status.HELD).first()
        assert held is not None
        assert held.last_error == (
            "Byråns gräns på 3 sms per dygn var nådd; e-posten skickades. "
            "Support kan skicka sms:et med ”Skicka hållna sms”."
        )
        assert FirmSmsDay.objects.get(firm=world.firm).sent == 3

        page = client.get(response["Location"]).text
        # One notice for the send, nothing per row: which rows got an SMS
        # would tell which addresses had no account before.
        assert (
            "2 sms hålls inne: byrån har nått gränsen på 3 sms per dygn. E-posten skickas ändå. "
            "Sms:en skickas först när support släpper dem, inte automatiskt nästa dag; "
            "kontakta support om de behöver skickas." in page
        )
        assert page.count("<td>Inbjuden</td>") == 5
        assert "hålls inne)" not in page

        # The sweeper leaves held messages alone.
        assert services.outbox_sweep_overdue(older_than=timedelta(0)) == []

    def test_the_limit_is_per_firm_and_per_day(
        self, world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings.SMS_DAILY_LIMIT_PER_FIRM = 2
        other_firm = world.other_firm_consultant.firm
        with transaction.atomic():
            assert firm_sms_allowance(firm_id=world.firm.pk, wanted=5).granted == 2
            assert firm_sms_allowance(firm_id=world.firm.pk, wanted=1).granted == 0
            assert firm_sms_allowance(firm_id=other_firm.pk, wanted=1).granted == 1
        monkeypatch.setattr(sms_allowance, "today_in_stockholm", lambda: date(2099, 1, 2))
        with transaction.atomic():
            assert firm_sms_allowance(firm_id=world.firm.pk, wanted=5).granted == 2

    def test_a_send_that_rolls_back_gives_its_sms_back(self, world: World, settings: Any) -> None:
        settings.SMS_DAILY_LIMIT_PER_FIRM = 2
        with pytest.raises(RuntimeError), transaction.atomic():
            firm_sms_allowance(firm_id=world.firm.pk, wanted=2)
            raise RuntimeError("the invitation failed")
        with transaction.atomic():
            assert firm_sms_allowance(firm_id=world.firm.pk, wanted=2).granted == 2

    def test_new_customer_welcome_over_the_limit(
        self,
        client: Client,
        world: World,
        settings: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        settings.SMS_DAILY_LIMIT_PER_FIRM = 0
        install_prices()
        client.force_login(world.consultant.user)
        post_step(client, "plan")
        post_step(client, "licenses")
        post_step(client, "customer", contact_mobile="070-111 22 33")
        summary = post_step(client, "payment")
        # Told before "Skapa samarbete", in the same words as after.
        assert HELD_ONE in summary.text
        with django_capture_on_commit_callbacks(execute=True):
            response = post_step(client, "summary", action="create")
        assert response.status_code == 302
        assert [m.to for m in mail.outbox] == [["karin@nyakunden.se"]]
        assert locmem.outbox == []
        assert sms_by_status() == {"held": ["+46701112233"]}
        page = client.get(response["Location"]).text
        assert HELD_ONE in page
        # "Skicka igen" the same: a held SMS, and the sender is told.
        coupling = Coupling.objects.get(status=Coupling.Status.AWAITING_CUSTOMER)
        resent = client.post(
            reverse("collaboration:new_customer_resend", args=[coupling.subscription.number]),
            follow=True,
        )
        assert HELD_ONE in resent.text
        assert sms_by_status() == {"held": ["+46701112233", "+46701112233"]}

    def test_support_sends_held_sms(
        self, client: Client, world: World, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            held = services.outbox_enqueue_sms(
                to="+46701234567",
                template="collaboration-request",
                context=CONTEXT,
                held_reason="Byråns gräns",
            )
            pending = services.outbox_enqueue_sms(
                to="+46701234568", template="collaboration-request", context=CONTEXT
            )
        assert [sms.to for sms in locmem.outbox] == ["+46701234568"]
        support = factories.UserFactory(is_staff=True)
        support.user_permissions.add(
            Permission.objects.get(codename="view_outboxmessage"),
            Permission.objects.get(codename="change_outboxmessage"),
        )
        client.force_login(support)
        changelist = reverse("admin:notifications_outboxmessage_changelist")
        listed = client.get(changelist, {"status__exact": "held"}).text
        assert "Hålls inne" in listed and "Byråns gräns" in listed
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                changelist,
                {"action": "release_held", "_selected_action": [held.pk, pending.pk]},
                follow=True,
            )
        assert "1 hållet sms skickas nu." in response.text
        assert "1 valt meddelande hölls inte inne och lämnades orört." in response.text
        assert [sms.to for sms in locmem.outbox] == ["+46701234568", "+46701234567"]
        held.refresh_from_db()
        assert (held.status, held.last_error) == (OutboxMessage.Status.SENT, "")


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_never_pass_the_limit(world: World, settings: Any) -> None:
    """The day's row is locked while a send claims from it (PostgreSQL)."""
    settings.SMS_DAILY_LIMIT_PER_FIRM = 5
    barrier = threading.Barrier(4)
    granted: list[int] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                granted.append(firm_sms_allowance(firm_id=world.firm.pk, wanted=3).granted)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(granted) == 5
    assert FirmSmsDay.objects.get(firm=world.firm).sent == 5


@pytest.mark.django_db(transaction=True)
def test_support_releasing_held_sms_twice_at_once_releases_each_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The release locks the held rows (PostgreSQL): one click takes each."""
    held = services.outbox_enqueue_sms(
        to="+46701234567", template="collaboration-request", context=CONTEXT, held_reason="gräns"
    )
    barrier = threading.Barrier(2)
    released: list[int] = []
    errors: list[BaseException] = []

    def release() -> None:
        try:
            barrier.wait(timeout=10)
            released.append(services.outbox_release_held(message_ids=[held.pk]))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=release) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(released) == [0, 1]
    held.refresh_from_db()
    assert held.status == OutboxMessage.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_bulk_invitation_claims_its_sms_in_its_own_transaction(world: World, settings: Any) -> None:
    """The view's path to the day's row lock, outside a test transaction."""
    settings.SMS_DAILY_LIMIT_PER_FIRM = 1
    alfa, beta = invitable(world, 2)
    client = Client()
    client.force_login(world.firm_admin.user)
    response = invite(
        client,
        [
            (alfa, "Åsa Öberg", "asa@alfa.se", "070-123 45 67"),
            (beta, "Bo Ek", "bo@beta.se", "070-123 45 68"),
        ],
    )
    assert response.status_code == 302
    assert sms_by_status() == {"sent": ["+46701234567"], "held": ["+46701234568"]}
    assert FirmSmsDay.objects.get(firm=world.firm).sent == 1


@pytest.mark.django_db
def test_the_limit_notice_does_not_tell_which_rows_had_an_account(
    client: Client, world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """An existing account gets no SMS, but its typed number still counts
    against the day's allowance: otherwise the notice would appear or not
    depending on whether the addresses already had accounts."""
    settings.SMS_DAILY_LIMIT_PER_FIRM = 1
    factories.UserFactory(email="finns@example.se")
    subscriptions = invitable(world, 2)
    client.force_login(world.firm_admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(
            client,
            [
                (subscriptions[0], "Finns Redan", "finns@example.se", "+46701234500"),
                (subscriptions[1], "Helt Ny", "ny@example.se", "+46701234501"),
            ],
        )
    assert response.status_code == 302
    assert [sms.to for sms in locmem.outbox] == ["+46701234501"]
    page = client.get(response["Location"]).text
    assert "1 sms hålls inne: byrån har nått gränsen på 1 sms per dygn." in page


@pytest.mark.django_db(transaction=True)
def test_support_releases_held_sms_from_admin_under_a_real_transaction() -> None:
    """ "Skicka hållna sms" in Django admin takes the held rows' lock inside
    its own transaction (tests/lock_coverage.py: the admin action's path to
    the lock must run under real transactions too)."""
    held = services.outbox_enqueue_sms(
        to="+46701234567", template="collaboration-request", context=CONTEXT, held_reason="gräns"
    )
    support = factories.UserFactory(is_staff=True)
    support.user_permissions.add(
        Permission.objects.get(codename="view_outboxmessage"),
        Permission.objects.get(codename="change_outboxmessage"),
    )
    client = Client()
    client.force_login(support)
    response = client.post(
        reverse("admin:notifications_outboxmessage_changelist"),
        {"action": "release_held", "_selected_action": [held.pk]},
        follow=True,
    )
    assert "1 hållet sms skickas nu." in response.text
    held.refresh_from_db()
    assert held.status == OutboxMessage.Status.SENT
    assert [sms.to for sms in locmem.outbox] == ["+46701234567"]
