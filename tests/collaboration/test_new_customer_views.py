"""Flow 5 views: the wizard step by step (messages, back/forward, nothing
written before "Skapa samarbete"), the result page, resend/cancel and the
customer's acceptance link."""

import random
import re
import string
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Client, ClientAssignment, Subscription
from collaboration.models import Coupling, CustomerAcceptance
from firm_portal.models import User
from ledger.models import AccessEvent
from notifications.models import OutboxMessage
from tests import factories
from tests.collaboration.new_customer_helpers import (
    ORG,
    STEP_DATA,
    WIZARD,
    create,
    errors,
    post,
    reseller_agreement,
    token_of,
    walk_to,
    welcome,
)
from tests.two_factor_helpers import app_code

pytestmark = pytest.mark.django_db


def resume(client):  # type: ignore[no-untyped-def]
    """ "Fortsätt där du slutade": the page again, where the wizard is."""
    return client.post(WIZARD, {"action": "resume"})


def nothing_written() -> bool:
    return (
        not Client.objects.filter(org_number=ORG).exists()
        and not Coupling.objects.filter(status="awaiting_customer").exists()
        and not OutboxMessage.objects.exists()
        and not User.objects.filter(email="karin@nyakunden.se").exists()
    )


@pytest.fixture
def firm_client(client, world, prices):  # type: ignore[no-untyped-def]
    client.force_login(world.consultant.user)
    return client


class TestWizardAccess:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(WIZARD)
        assert response.status_code == 302
        assert response["Location"].startswith("/logga-in/")

    def test_without_seat_gets_the_no_seat_page(self, client, world):
        client.force_login(world.no_seat_consultant.user)
        response = client.get(WIZARD)
        assert response.status_code == 403
        assert "Du behöver en licens för Klienthanteraren" in response.text

    def test_client_user_is_not_a_consultant(self, client, world):
        client.force_login(world.sysadmin)
        assert client.get(WIZARD).status_code == 403

    def test_wrong_method(self, firm_client):
        assert firm_client.put(WIZARD).status_code == 405


class TestSteps:
    def test_plan_step_shows_plans_programs_and_list_prices(self, firm_client):
        response = firm_client.get(WIZARD)
        assert response.status_code == 200
        text = response.text
        assert "Steg 1 av 5" in text
        for label in ("Faktura", "Start", "Smart", "Pro"):
            assert f"<strong>{label}</strong>" in text
        assert "grundavgift 300,00 kr/mån" in text
        assert "Bokföring: 150,00 kr per licens" in text
        assert "återförsäljarpris" not in text

    def test_reseller_prices_shown_with_an_agreement(self, firm_client, world):
        reseller_agreement(world.firm)
        text = firm_client.get(WIZARD).text
        assert "återförsäljarpris 240,00 kr/mån" in text
        assert "återförsäljarpris 120,00 kr" in text

    def test_plan_required(self, firm_client):
        response = post(firm_client, "plan", plan="")
        assert errors(response.text) == ["Välj en variant."]
        assert "Steg 1 av 5" in response.text

    def test_licenses_step_lists_the_plans_programs(self, firm_client):
        response = post(firm_client, "plan", plan="faktura")
        assert "Steg 2 av 5" in response.text
        assert 'name="seats_fakturering"' in response.text
        assert 'name="seats_bokforing"' not in response.text  # not in Faktura
        assert "Behörighet i Fakturering" in response.text

    @pytest.mark.parametrize(
        ("data", "messages"),
        [
            ({"seats_bokforing": "0", "seats_fakturering": ""}, []),
            ({"seats_bokforing": "101"}, ["Ange ett antal mellan 0 och 100."]),
            ({"seats_bokforing": "-1"}, ["Ange ett antal mellan 0 och 100."]),
            ({"seats_bokforing": "två"}, ["Ange ett antal mellan 0 och 100."]),
            ({"role_bokforing": "read"}, ["Välj Rapportör, Attestansvarig eller Administratör."]),
            ({"role_bokforing": ""}, ["Välj behörighet för Bokföring."]),
        ],
    )
    def test_licenses_validation(self, firm_client, data, messages):
        walk_to(firm_client, "licenses")
        response = post(firm_client, "licenses", **data)
        assert "Steg 2 av 5" in response.text
        assert errors(response.text) == messages
        if not messages:
            assert "Välj minst en licens. Primärkontakten använder en av dem." in response.text

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("org_number", "", "Ange ett organisationsnummer."),
            (
                "org_number",
                "556036-0794",
                "Organisationsnumret 556036-0794 är inte giltigt. Kontrollera siffrorna.",
            ),
            ("name", "", "Ange kundens företagsnamn."),
            ("postal_code", "9032", "Ange postnumret med 5 siffror, t.ex. 123 45."),
            ("email", "faktura@", "Ange en giltig e-postadress."),
            ("contact_name", "", "Ange primärkontaktens namn."),
            ("contact_email", "", "Ange primärkontaktens e-postadress."),
            ("contact_mobile", "12345", "12345 är inte ett giltigt mobilnummer."),
            ("contact_mobile", "08-123 456 78", "08-123 456 78 är inte ett mobilnummer."),
            (
                "contact_personal_number",
                "811228-9875",
                "Personnumret 811228-9875 är inte giltigt. Kontrollera siffrorna.",
            ),
            (
                "contact_personal_number",
                "8112",
                "Personnumret ska ha 10 eller 12 siffror, till exempel 19811228-9874.",
            ),
        ],
    )
    def test_customer_validation(self, firm_client, field, value, message):
        walk_to(firm_client, "customer")
        response = post(firm_client, "customer", **{field: value})
        assert "Steg 3 av 5" in response.text
        assert errors(response.text) == [message]
        assert nothing_written()

    def test_existing_customer_switches_to_ny_klient(self, firm_client, world):
        walk_to(firm_client, "customer")
        org = world.subscription.client.org_number
        response = post(firm_client, "customer", org_number=org)
        assert "Steg 3 av 5" in response.text
        assert "Bageriet Solsidan AB har redan ett abonnemang hos oss." in response.text
        assert "kunden är fortsatt fakturamottagare och ingen avgift tillkommer" in response.text
        assert f'action="{reverse("collaboration:new_client")}"' in response.text
        assert f'name="org_number" value="{org}"' in response.text
        assert "Fortsätt med Ny klient" in response.text
        # The button leads into "Ny klient" with the subscription found.
        followed = firm_client.post(reverse("collaboration:new_client"), {"org_number": org})
        assert "Sammankoppling med befintligt abonnemang" in followed.text

    @pytest.mark.parametrize(
        ("data", "field_message"),
        [
            ({"recipient": ""}, "Välj vem som ska få fakturan."),
            ({"period_months": "6"}, "Avtalsperioden är 3 eller 12 månader."),
            (
                {"recipient": "firm", "invoice": "consolidated"},
                "Revisorerna Norr AB har inget aktivt återförsäljaravtal. Samlingsfaktura kräver "
                "ett återförsäljaravtal; välj en vanlig faktura eller kontakta oss för att teckna "
                "avtal.",
            ),
        ],
    )
    def test_payment_validation(self, firm_client, data, field_message):
        walk_to(firm_client, "payment")
        response = post(firm_client, "payment", **data)
        assert "Steg 4 av 5" in response.text
        assert errors(response.text) == [field_message]

    def test_consolidated_only_offered_with_agreement(self, firm_client, world):
        walk_to(firm_client, "payment")
        text = resume(firm_client).text
        assert 'value="consolidated"' not in text
        assert "Samlingsfaktura kräver ett återförsäljaravtal, och det har er byrå inte." in text
        assert "Kostnad per månad: 680,00 kr exkl. moms." in text
        reseller_agreement(world.firm)
        text = resume(firm_client).text
        assert 'value="consolidated"' in text
        assert "Med Samlingsfaktura: 544,00 kr exkl. moms." in text

    def test_summary_with_monthly_and_period_cost(self, firm_client, world):
        reseller_agreement(world.firm)
        walk_to(firm_client, "payment")
        response = post(
            firm_client, "payment", recipient="firm", invoice="consolidated", period_months="3"
        )
        text = response.text
        assert "Steg 5 av 5" in text
        assert "Kostnad per månad exkl. moms, återförsäljarpris" in text
        assert "544,00 kr" in text
        assert "Kostnad för avtalsperioden (3 månader)" in text
        assert "1\xa0632,00 kr" in text
        assert "Byrån" in text and "Samlingsfaktura" in text
        assert "Skapa samarbete" in text
        assert nothing_written()

    def test_back_and_forward_keep_input(self, firm_client):
        walk_to(firm_client, "payment")
        # Back from payment with a half-filled form: what was typed stays.
        back = post(firm_client, "payment", action="back", recipient="firm", period_months="3")
        assert "Steg 3 av 5" in back.text
        assert 'value="Nya Kunden AB"' in back.text
        assert 'value="5560360793"' in back.text
        back = post(firm_client, "customer", action="back", name="Nytt Namn AB")
        assert "Steg 2 av 5" in back.text
        assert re.search(r'name="seats_bokforing" value="2"', back.text)
        back = post(firm_client, "licenses", action="back")
        assert "Steg 1 av 5" in back.text
        assert re.search(r'value="smart"[^>]*checked', back.text)
        forward = post(firm_client, "plan")
        forward = post(firm_client, "licenses")
        assert 'value="Nytt Namn AB"' in forward.text
        forward = post(firm_client, "customer", name="Nytt Namn AB")
        assert re.search(r'value="firm"[^>]*checked', forward.text)
        assert re.search(r'value="3"[^>]*checked', forward.text)
        assert nothing_written()

    def test_invalid_input_is_kept_when_going_back(self, firm_client):
        walk_to(firm_client, "customer")
        post(firm_client, "customer", phase="org")  # the organisationsnummer first
        post(firm_client, "customer", action="back", contact_email="karin@")
        response = post(firm_client, "licenses")
        assert 'value="karin@"' in response.text
        assert errors(response.text) == []  # shown again unvalidated

    def test_htmx_swaps_only_the_step(self, firm_client):
        response = post(firm_client, "plan", htmx=True)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="wizard">')
        assert "<html" not in response.text
        assert "Steg 2 av 5" in response.text

    def test_prefilled_from_ny_klient(self, firm_client):
        firm_client.get(WIZARD + "?orgnr=5560360793")
        walk_to(firm_client, "customer")
        text = resume(firm_client).text
        assert 'value="556036-0793"' in text

    def test_ny_klient_not_found_offers_skapa_ny_klient(self, firm_client):
        response = firm_client.post(reverse("collaboration:new_client"), {"org_number": ORG})
        assert "Skapa ny klient" in response.text
        assert f"{WIZARD}?orgnr=556036-0793" in response.text

    def test_start_page_has_entry_point(self, firm_client):
        assert f'href="{WIZARD}"' in firm_client.get("/").text

    def test_reset(self, firm_client):
        walk_to(firm_client, "customer")
        response = firm_client.post(WIZARD, {"action": "reset"})
        assert response.status_code == 302
        assert "Steg 1 av 5" in firm_client.get(WIZARD).text

    def test_wizard_state_is_in_the_session_only(self, firm_client):
        walk_to(firm_client, "payment")
        post(firm_client, "payment")
        session = Session.objects.get()
        assert session.get_decoded()["new_customer_wizard"]["step"] == "summary"
        assert nothing_written()


class TestCreate:
    def test_create_writes_and_redirects_to_the_result(self, firm_client, world):
        walk_to(firm_client, "payment")
        post(firm_client, "payment")
        response = post(firm_client, "summary", action="create")
        subscription = Subscription.objects.get(client__org_number=ORG)
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "collaboration:new_customer_done", kwargs={"number": subscription.number}
        )
        page = firm_client.get(response["Location"])
        assert "Samarbetet med Nya Kunden AB är skapat." in page.text
        assert "Väntar på kundens godkännande" in page.text
        assert "Bokföring: 2 licenser" in page.text
        assert "Skicka igen" in page.text and "Avbryt" in page.text
        contact = User.objects.get(email="karin@nyakunden.se")
        # Typed, not yet consented to: on the acceptance, not the account.
        assert (contact.mobile, contact.personal_number) == ("", "")
        acceptance = CustomerAcceptance.objects.get(contact=contact)
        assert (acceptance.contact_mobile, acceptance.contact_personal_number) == (
            "+46701234567",
            "198112289874",
        )
        assert OutboxMessage.objects.filter(recipient="+46701234567", channel="sms").count() == 1
        assert OutboxMessage.objects.filter(recipient=contact.email).count() == 1
        # The wizard is empty again.
        assert "Steg 1 av 5" in firm_client.get(WIZARD).text

    def test_double_submit_creates_one(self, firm_client, world):
        walk_to(firm_client, "payment")
        post(firm_client, "payment")
        stale = dict(firm_client.session.items())
        post(firm_client, "summary", action="create")
        # A second click that still carries the filled-in wizard.
        session = firm_client.session
        session.update(stale)
        session.save()
        response = post(firm_client, "summary", action="create")
        assert response.status_code == 200
        assert "556036-0793 har redan ett abonnemang hos oss. Samarbetet skapades inte" in (
            response.text
        )
        assert Subscription.objects.filter(client__org_number=ORG).count() == 1
        assert OutboxMessage.objects.filter(channel="email").count() == 1

    def test_create_via_htmx_redirects_the_page(self, firm_client):
        walk_to(firm_client, "payment")
        post(firm_client, "payment")
        response = post(firm_client, "summary", action="create", htmx=True)
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith("/samarbeten/nytt/klart/")

    def test_agreement_ended_before_create_goes_back_to_payment(self, firm_client, world):
        agreement = reseller_agreement(world.firm)
        walk_to(firm_client, "payment")
        post(firm_client, "payment", recipient="firm", invoice="consolidated")
        agreement.delete()
        response = post(firm_client, "summary", action="create")
        assert "Steg 4 av 5" in response.text
        assert "Revisorerna Norr AB har inget aktivt återförsäljaravtal." in response.text
        assert nothing_written()


def waiting(world):  # type: ignore[no-untyped-def]
    subscription = create(world)
    return subscription, reverse(
        "collaboration:new_customer_done", kwargs={"number": subscription.number}
    )


class TestWaiting:
    def url(self, name: str, subscription: Subscription) -> str:
        return reverse(f"collaboration:new_customer_{name}", kwargs={"number": subscription.number})

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_resend(self, firm_client, world):
        subscription, done = waiting(world)
        old = token_of(welcome())
        response = firm_client.post(self.url("resend", subscription))
        assert response.status_code == 302 and response["Location"] == done
        page = firm_client.get(done).text
        assert (
            "Välkomstmejlet till Nya Kunden AB är skickat igen till karin@nyakunden.se. "
            "Den tidigare länken gäller inte längre."
        ) in page
        assert OutboxMessage.objects.filter(template="new-customer-welcome").count() == 2
        assert (
            firm_client.get(reverse("collaboration:new_customer_accept", args=[old])).status_code
            == 410
        )

    def test_resend_returns_to_next(self, firm_client, world):
        subscription, _done = waiting(world)
        response = firm_client.post(self.url("resend", subscription), {"next": WIZARD})
        assert response["Location"] == WIZARD
        response = firm_client.post(self.url("resend", subscription), {"next": "//evil.example"})
        assert response["Location"] != "//evil.example"

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_cancel(self, firm_client, world):
        subscription, done = waiting(world)
        response = firm_client.post(self.url("cancel", subscription))
        assert response.status_code == 302
        page = firm_client.get(done).text
        assert "Samarbetet med Nya Kunden AB är avbrutet." in page
        assert "Avslutad" in page
        assert Subscription.objects.get(pk=subscription.pk).status == "ended"
        again = firm_client.post(self.url("cancel", subscription))
        assert again.status_code == 404

    @pytest.mark.parametrize("name", ["resend", "cancel"])
    def test_wrong_method(self, firm_client, world, name):
        subscription, _done = waiting(world)
        assert firm_client.get(self.url(name, subscription)).status_code == 405

    @pytest.mark.parametrize("name", ["resend", "cancel"])
    def test_outsiders_get_404(self, client, world, prices, name):
        subscription, _done = waiting(world)
        for outsider in (world.other_firm_consultant.user, world.sysadmin):
            client.force_login(outsider)
            assert client.post(self.url(name, subscription)).status_code == 404
        assert Subscription.objects.get(pk=subscription.pk).status == "pending"
        assert OutboxMessage.objects.count() == 1
        assert AccessEvent.objects.filter(kind="access_denied").exists()

    def test_consultant_not_assigned_gets_404(self, client, world, prices):
        subscription, done = waiting(world)
        other = factories.ConsultantFactory(firm=world.firm)
        client.force_login(other.user)
        assert client.post(self.url("cancel", subscription)).status_code == 404
        assert client.get(done).status_code == 404
        client.force_login(world.firm_admin.user)  # admins see all the firm's clients
        assert client.get(done).status_code == 200

    def test_responsible_consultant_no_longer_assigned_sees_it_nowhere(self, firm_client, world):
        # Which clients a consultant sees (`visible_to_q`): exactly the
        # assigned ones, as on the start page and "Samarbeten"; being the
        # coupling's responsible consultant is not enough.
        subscription, done = waiting(world)
        ClientAssignment.objects.filter(consultant=world.consultant).delete()
        assert firm_client.get(done).status_code == 404
        assert firm_client.post(self.url("resend", subscription)).status_code == 404
        wizard = firm_client.get(WIZARD).text
        assert "Nya Kunden AB" not in wizard
        assert Coupling.objects.get(subscription=subscription).responsible_consultant == (
            world.consultant
        )
        assert OutboxMessage.objects.filter(template="new-customer-welcome").count() == 1

    def test_done_page_for_outsider_is_404(self, client, world, prices):
        _subscription, done = waiting(world)
        client.force_login(world.other_firm_consultant.user)
        assert client.get(done).status_code == 404


def accept_url(token: str) -> str:
    return reverse("collaboration:new_customer_accept", args=[token])


ACCEPT = {
    "new_password1": "Fjällstuga-2025",
    "new_password2": "Fjällstuga-2025",
    "accept_terms": "on",
}


class TestAcceptPage:
    def test_shows_terms_and_accepts(self, client, world, prices):
        subscription = create(world)
        url = accept_url(token_of(welcome()))
        page = client.get(url)
        assert page.status_code == 200
        text = page.text
        assert (
            "Erik Konsult på Revisorerna Norr AB har skapat ett abonnemang för Nya Kunden AB"
            in text
        )
        assert "Smart" in text
        assert "Bokföring: 2 licenser" in text and "din behörighet: Administratör" in text
        assert "Nya Kunden AB betalar" in text
        assert "12 månader från i dag, förnyas automatiskt" in text
        assert "Jag godkänner villkoren" in text
        response = client.post(url, ACCEPT)
        assert response.status_code == 302 and response["Location"] == "/"
        # Now a sysadmin, who grants access: an app first (two-factor).
        setup = client.get("/", follow=True)
        assert setup.redirect_chain == [(f"{reverse('two_factor_setup')}?next=%2F", 302)]
        assert (
            "Välkommen! Villkoren är godkända och samarbetet med Revisorerna Norr AB är igång "
            "för Nya Kunden AB."
        ) in setup.text
        assert "Din roll kräver tvåstegsverifiering." in setup.text
        assert setup.wsgi_request.user.email == "karin@nyakunden.se"
        device = TOTPDevice.objects.get(user__email="karin@nyakunden.se", confirmed=False)
        client.post(reverse("two_factor_setup"), {"code": app_code(device)})
        assert "Dina abonnemang" in client.get("/").text
        assert Subscription.objects.get(pk=subscription.pk).status == "active"

    def test_terms_must_be_accepted(self, client, world, prices):
        create(world)
        url = accept_url(token_of(welcome()))
        response = client.post(url, {**ACCEPT, "accept_terms": ""})
        assert response.status_code == 200
        assert errors(response.text) == ["Kryssa i att du godkänner villkoren för att fortsätta."]
        assert Subscription.objects.get(client__org_number=ORG).status == "pending"

    def test_passwords_must_match(self, client, world, prices):
        create(world)
        response = client.post(
            accept_url(token_of(welcome())), {**ACCEPT, "new_password2": "Annat-2025-lösen"}
        )
        assert response.status_code == 200
        assert "De två lösenordsfälten stämmer inte överens." in response.text
        assert Subscription.objects.get(client__org_number=ORG).status == "pending"

    def test_used_link(self, client, world, prices):
        create(world)
        url = accept_url(token_of(welcome()))
        client.post(url, ACCEPT)
        client.logout()
        response = client.get(url)
        assert response.status_code == 410
        assert "Länken är redan använd" in response.text

    def test_expired_link(self, client, world, prices):
        create(world)
        CustomerAcceptance.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
        response = client.get(accept_url(token_of(welcome())))
        assert response.status_code == 410
        assert "Länken har gått ut" in response.text
        assert "Be Revisorerna Norr AB att skicka välkomstmejlet igen." in response.text

    def test_cancelled_link(self, client, world, prices):
        create(world)
        url = accept_url(token_of(welcome()))
        new_customer_cancel(world)
        response = client.get(url)
        assert response.status_code == 410
        assert "Samarbetet är avbrutet" in response.text

    def test_invalid_link(self, client, world, prices):
        response = client.get(accept_url("nonsense"))
        assert response.status_code == 404
        assert "Länken gäller inte" in response.text

    def test_wrong_user(self, client, world, prices):
        create(world)
        url = accept_url(token_of(welcome()))
        client.force_login(world.sysadmin)
        response = client.post(url, ACCEPT)
        assert response.status_code == 403
        assert "Länken är till någon annan" in response.text
        assert Subscription.objects.get(client__org_number=ORG).status == "pending"

    def test_existing_account_logs_in_first(self, client, world, prices):
        subscription = create(world, customer={"contact_email": world.client_user.email})
        url = accept_url(token_of(welcome(world.client_user.email)))
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/logga-in/?next=")
        client.force_login(world.client_user)
        page = client.get(url)
        assert 'name="new_password1"' not in page.text
        response = client.post(url, {"accept_terms": "on"})
        assert response.status_code == 302
        assert Subscription.objects.get(pk=subscription.pk).status == "active"

    def test_wrong_method(self, client, world, prices):
        create(world)
        assert client.put(accept_url(token_of(welcome()))).status_code == 405


def new_customer_cancel(world) -> None:  # type: ignore[no-untyped-def]
    from collaboration.new_customer import services

    coupling = Coupling.objects.get(status="awaiting_customer")
    services.new_customer_cancel(consultant=world.consultant, coupling=coupling)


class TestQueryCounts:
    @pytest.mark.parametrize("rows", [3, 30])
    def test_wizard_pages(self, firm_client, world, rows, django_assert_num_queries):
        for n in range(rows):
            create(
                world,
                customer={
                    "org_number": factories.org_number(n, "5569"),
                    "contact_email": f"kontakt{n}@example.se",
                },
            )
        # The waiting list is one query (each with its acceptance joined), and
        # two for the state of its welcome links (flow 8: their reminders and
        # bounced addresses), however many.
        with django_assert_num_queries(10):
            firm_client.get(WIZARD)
        walk_to(firm_client, "payment")
        # 14: one of them the firm's SMS count for today (a mobile is typed,
        # and the summary says whether its SMS will be held), two the state
        # of the waiting list's welcome links (flow 8).
        with django_assert_num_queries(14):
            post(firm_client, "payment")  # to the summary
        number = Subscription.objects.filter(status="pending").first().number  # type: ignore[union-attr]
        # 8: two of them the waiting list's welcome links (flow 8).
        with django_assert_num_queries(8):
            firm_client.get(reverse("collaboration:new_customer_done", kwargs={"number": number}))


class TestSessionStaysSmall:
    """Issue 13: four POSTs once made an 8.8 MB session that every later
    request decoded. Only the fields of each step are kept, each bounded."""

    @staticmethod
    def noise(length: int) -> str:
        # Random letters: the session is compressed, and "xxxx…" would hide its size.
        return "".join(random.choices(string.ascii_letters + string.digits, k=length))

    def stored_session_size(self) -> int:
        return len(Session.objects.get().session_data)

    def test_huge_unknown_and_known_fields_leave_the_session_small(self, firm_client):
        steps = ("plan", "licenses", "customer", "payment")
        known = {step: dict(STEP_DATA[step]) for step in steps}
        # Every known field 50,000 characters long (the forms refuse them), plus
        # 150 unknown fields of 10,000: up to 2 MB per POST (Django's limit is 2.5).
        for step, fields in known.items():
            unknown = {f"junk_{n}": self.noise(10_000) for n in range(150)}
            huge = {name: self.noise(50_000) for name in fields}
            response = post(firm_client, step, **unknown, **huge)
            assert response.status_code == 200
        size = self.stored_session_size()
        assert size < 12_000, size
        data = firm_client.session["new_customer_wizard"]["data"]
        for step, values in data.items():
            assert not any(key.startswith("junk_") for key in values), step
            assert all(len(value) <= 300 for value in values.values()), step

    def test_a_too_long_value_is_refused_with_its_real_length(self, firm_client):
        walk_to(firm_client, "customer")
        response = post(firm_client, "customer", name="Å" * 5000)
        assert "Säkerställ att detta värde har som mest 200 tecken (den har 5000)." in response.text
        stored = firm_client.session["new_customer_wizard"]["data"]["customer"]["name"]
        assert stored == "Å" * 300

    def test_the_steps_keep_what_was_typed(self, firm_client):
        walk_to(firm_client, "payment")
        post(firm_client, "payment", junk="x")
        data = firm_client.session["new_customer_wizard"]["data"]
        assert data["plan"] == {"plan": "smart"}
        assert data["customer"]["contact_email"] == "Karin@Nyakunden.se"
        assert set(data["licenses"]) <= {
            f"{kind}_{code}"
            for kind in ("seats", "role")
            for code in ("bokforing", "fakturering", "kvitto-resa", "lon", "tid", "arkivplats")
        }
        assert "junk" not in data["payment"]


class TestCustomerStepAsksTheOrgNumberFirst:
    """Issue 14: an existing customer (Visma scenario 1) was recognised only
    after all eight customer fields were filled in."""

    def test_the_step_opens_with_the_org_number_alone(self, firm_client):
        walk_to(firm_client, "customer")
        text = resume(firm_client).text
        assert "Steg 3 av 5" in text
        assert 'name="org_number"' in text
        assert 'name="phase" value="org"' in text
        assert 'name="name"' not in text and 'name="contact_email"' not in text

    def test_an_existing_customer_is_recognised_from_the_org_number_alone(self, firm_client, world):
        walk_to(firm_client, "customer")
        org = world.subscription.client.org_number
        response = firm_client.post(
            WIZARD, {"step": "customer", "phase": "org", "action": "next", "org_number": org}
        )
        assert "Steg 3 av 5" in response.text
        assert errors(response.text) == []
        assert "Bageriet Solsidan AB har redan ett abonnemang hos oss." in response.text
        assert "Fortsätt med Ny klient" in response.text
        assert 'name="name"' not in response.text
        assert nothing_written()

    def test_a_new_customer_goes_on_to_the_other_fields(self, firm_client):
        walk_to(firm_client, "customer")
        response = firm_client.post(
            WIZARD,
            {"step": "customer", "phase": "org", "action": "next", "org_number": "5560360793"},
        )
        assert "Steg 3 av 5" in response.text
        assert errors(response.text) == []
        assert "556036-0793 har inget abonnemang hos oss: en ny kund." in response.text
        assert 'name="org_number" value="556036-0793"' in response.text
        assert 'name="name"' in response.text and 'name="phase"' not in response.text
        # The rest of the step, then on to "Betalning".
        assert "Steg 4 av 5" in post(firm_client, "customer").text

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("", "Ange ett organisationsnummer."),
            (
                "556036-0794",
                "Organisationsnumret 556036-0794 är inte giltigt. Kontrollera siffrorna.",
            ),
        ],
    )
    def test_a_bad_org_number_is_refused_at_the_field(self, firm_client, value, message):
        walk_to(firm_client, "customer")
        response = firm_client.post(
            WIZARD, {"step": "customer", "phase": "org", "action": "next", "org_number": value}
        )
        assert errors(response.text) == [message]
        assert 'name="phase" value="org"' in response.text

    def test_what_was_typed_later_is_kept_when_the_number_is_checked_again(self, firm_client):
        walk_to(firm_client, "payment")  # the whole step was filled in
        firm_client.post(WIZARD, {"action": "reset"})
        walk_to(firm_client, "payment")
        back = post(firm_client, "payment", action="back")
        assert 'value="Nya Kunden AB"' in back.text  # checked once: the whole form

    def test_changing_to_an_existing_customers_number_later_is_caught(self, firm_client, world):
        walk_to(firm_client, "customer")
        post(firm_client, "customer", phase="org")
        org = world.subscription.client.org_number
        response = post(firm_client, "customer", org_number=org)
        assert "Bageriet Solsidan AB har redan ett abonnemang hos oss." in response.text
        assert 'name="phase" value="org"' in response.text
        assert "Steg 3 av 5" in response.text


class TestSamlingsfakturaNeedsTheFirmAsPayer:
    """Issue 14: Samlingsfaktura with "Kunden" as payer was silently ignored."""

    def test_refused_at_the_field(self, firm_client, world):
        reseller_agreement(world.firm)
        walk_to(firm_client, "payment")
        response = post(firm_client, "payment", recipient="client", invoice="consolidated")
        assert "Steg 4 av 5" in response.text
        assert errors(response.text) == [
            "Samlingsfaktura går bara till byrån. Välj byrån som fakturamottagare."
        ]
        invoice = re.search(r'<fieldset class="([^"]*)">\s*<legend>Fakturering', response.text)
        assert invoice is not None and "has-error" in invoice.group(1)  # at the field
        assert firm_client.session["new_customer_wizard"]["step"] == "payment"

    def test_the_firm_as_payer_is_accepted(self, firm_client, world):
        reseller_agreement(world.firm)
        walk_to(firm_client, "payment")
        response = post(firm_client, "payment", recipient="firm", invoice="consolidated")
        assert "Steg 5 av 5" in response.text


class TestAbandonedWizard:
    """Issue 14: an abandoned wizard reopened mid-way without a word."""

    def test_opening_it_again_asks_to_continue_or_start_over(self, firm_client):
        walk_to(firm_client, "payment")
        text = firm_client.get(WIZARD).text
        assert "Du har ett påbörjat samarbete" in text
        assert "Du slutade vid steg 4 av 5: Betalning." in text
        assert "Kunden: Nya Kunden AB, 5560360793." in text
        assert "Fortsätt där du slutade" in text and "Börja om" in text
        assert "Steg 4 av 5" not in text

    def test_continue_where_you_left_off(self, firm_client):
        walk_to(firm_client, "payment")
        firm_client.get(WIZARD)
        text = resume(firm_client).text
        assert "Steg 4 av 5" in text
        assert 'value="client"' in text

    def test_start_over(self, firm_client):
        walk_to(firm_client, "payment")
        response = firm_client.post(WIZARD, {"action": "reset"})
        assert response["Location"] == WIZARD
        text = firm_client.get(WIZARD).text
        assert "Steg 1 av 5" in text and "Du har ett påbörjat samarbete" not in text

    def test_a_fresh_wizard_asks_nothing(self, firm_client):
        assert "Du har ett påbörjat samarbete" not in firm_client.get(WIZARD).text
        assert "Du har ett påbörjat samarbete" not in firm_client.get(WIZARD).text

    def test_from_ny_klient_start_over_keeps_the_new_org_number(self, firm_client):
        walk_to(firm_client, "payment")
        text = firm_client.get(WIZARD + "?orgnr=556036-0794").text  # invalid: dropped
        assert "Börja om med" not in text
        text = firm_client.get(WIZARD + "?orgnr=556141-7071").text
        assert "Börja om med 556141-7071" in text
        response = firm_client.post(WIZARD, {"action": "reset", "orgnr": "556141-7071"})
        assert response["Location"] == WIZARD + "?orgnr=556141-7071"
        firm_client.get(response["Location"])
        walk_to(firm_client, "customer")
        text = resume(firm_client).text
        # Checked in "Ny klient" already: the whole step, the number filled in.
        assert 'name="org_number" value="556141-7071"' in text
        assert 'name="name"' in text


def test_the_current_step_is_marked(firm_client):
    walk_to(firm_client, "customer")
    text = resume(firm_client).text
    steps = re.search(r'<ol class="wizard-steps".*?</ol>', text, re.S)
    assert steps is not None
    items = [
        (attributes.strip(), title)
        for attributes, title in re.findall(r"<li([^>]*)>\s*([^<]+?)\s*</li>", steps.group(0))
    ]
    assert items == [
        ('class="done"', "Variant"),
        ('class="done"', "Licenser"),
        ('aria-current="step"', "Kunden"),
        ("", "Betalning"),
        ("", "Sammanfattning"),
    ]
