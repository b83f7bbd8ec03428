"""Flow 1 views: happy path, wrong method, outsiders, forbidden, bad input, HTMX."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from collaboration.models import CollaborationRequest, Coupling
from firm_portal.timeutils import today_in_stockholm
from tests import factories
from tests.collaboration.send_request_helpers import SEND, login, send_data

pytestmark = pytest.mark.django_db

NEW = reverse("collaboration:new_client")
SEARCH = reverse("collaboration:consultant_search")
HTMX = {"HTTP_HX_REQUEST": "true"}


def section(html: str, start: str) -> str:
    """The element starting at `start`, up to its first closing </div>."""
    begin = html.index(start)
    return html[begin : html.index("</div>", begin)]


class TestNewClient:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(NEW)
        assert response.status_code == 302
        assert response["Location"].startswith("/logga-in/")

    def test_form(self, client, world):
        response = login(client, world.consultant.user).get(NEW)
        assert response.status_code == 200
        assert "Organisationsnummer" in response.text
        assert "Fortsätt" in response.text

    def test_wrong_method(self, client, world):
        assert login(client, world.consultant.user).put(NEW).status_code == 405

    def test_without_seat_explains_and_names_firm_admin(self, client, world):
        response = login(client, world.no_seat_consultant.user).get(NEW)
        assert response.status_code == 403
        assert "Du behöver en licens för Klienthanteraren" in response.text
        assert "Anna Admin" in response.text

    def test_client_user_is_not_a_consultant(self, client, world):
        response = login(client, world.sysadmin).get(NEW)
        assert response.status_code == 403
        assert "Ditt konto hör inte till någon byrå" in response.text

    def test_invalid_org_number_message_next_to_field(self, client, world):
        response = login(client, world.consultant.user).post(NEW, {"org_number": "556036-0794"})
        assert response.status_code == 200
        assert (
            "Organisationsnumret 556036-0794 är inte giltigt. Kontrollera siffrorna."
            in response.text
        )

    def test_found_shows_step_two(self, client, world):
        org = world.subscription.client.org_number.replace("-", "")
        response = login(client, world.consultant.user).post(NEW, {"org_number": org})
        assert "Sammankoppling med befintligt abonnemang" in response.text
        assert "Skicka förfrågan" in response.text
        assert str(world.subscription.number) in response.text
        assert "Erik Konsult" in response.text

    def test_htmx_returns_only_the_wizard(self, client, world):
        response = login(client, world.consultant.user).post(
            NEW, {"org_number": world.subscription.client.org_number}, **HTMX
        )
        assert response.text.lstrip().startswith('<div id="wizard">')
        assert "<html" not in response.text

    def test_several_subscriptions_ask_for_number(self, client, world):
        factories.SubscriptionFactory(client=world.subscription.client)
        response = login(client, world.consultant.user).post(
            NEW, {"org_number": world.subscription.client.org_number}
        )
        assert "Ange abonnemangsnumret" in response.text
        assert 'name="subscription_number"' in response.text

    def test_no_sysadmin_explains_manual_coupling_and_offers_no_send(self, client, world):
        world.subscription.memberships.update(is_sysadmin=False)
        response = login(client, world.consultant.user).post(
            NEW, {"org_number": world.subscription.client.org_number}
        )
        assert "blanketten för manuell koppling" in response.text
        assert "Skicka förfrågan" not in response.text


class TestConsultantSearch:
    def test_live_search_fragment_only_own_firm(self, client, world):
        factories.ConsultantFactory(firm=world.firm, user__full_name="Eva Ek")
        response = login(client, world.consultant.user).get(
            SEARCH, {"consultant_query": "ek"}, **HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="consultant-results"')
        assert "Eva Ek" in response.text
        assert "Olle Annanbyrå" not in response.text
        assert "Anna Admin" not in response.text

    def test_search_without_javascript_keeps_input(self, client, world):
        response = login(client, world.consultant.user).post(
            SEND, send_data(world, action="search", consultant_query="anna", start="date")
        )
        assert response.status_code == 200
        results = section(response.text, '<div id="consultant-results"')
        assert "Anna Admin" in results
        assert "Erik Konsult" not in results
        assert re.search(r'<input[^>]*value="date"[^>]*checked', response.text)
        assert not CollaborationRequest.objects.exists()


class TestSendRequest:
    def test_sends_and_confirms(self, client, world, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = login(client, world.consultant.user).post(
                SEND, send_data(world), follow=True
            )
        assert response.redirect_chain == [("/", 302)]
        assert "Förfrågan om samarbete är skickad till Bageriet Solsidan AB." in response.text
        request = CollaborationRequest.objects.get()
        assert request.requested_by == world.consultant.user
        assert request.start_date is None
        assert [m.to for m in mail.outbox] == [[world.sysadmin.email]]
        assert "Bageriet Solsidan AB" in response.text  # in "Skickade förfrågningar"

    def test_htmx_send_redirects_client_side(self, client, world):
        response = login(client, world.consultant.user).post(SEND, send_data(world), **HTMX)
        assert response.status_code == 200
        assert response["HX-Redirect"] == "/"

    def test_missing_consultant_and_past_date(self, client, world):
        yesterday = (today_in_stockholm() - timedelta(days=1)).isoformat()
        response = login(client, world.consultant.user).post(
            SEND,
            send_data(world, responsible_consultant="", start="date", start_date=yesterday),
        )
        assert response.status_code == 422
        assert "Välj ansvarig konsult." in response.text
        assert "Startdatumet kan inte ligga i det förflutna." in response.text
        assert not CollaborationRequest.objects.exists()

    def test_the_cost_preview_stays_when_the_form_comes_back_with_an_error(self, client, world):
        """Issue 14: without JavaScript, step 2 answered with an error (or with
        the results of "Sök") lost "Vad samarbetet kostar"."""
        for data in (
            send_data(world, start="date", start_date=""),
            send_data(world, action="search", consultant_query="anna"),
        ):
            response = login(client, world.consultant.user).post(SEND, data)
            text = response.text
            assert "Vad samarbetet kostar byrån" in text
            # Not the client's plan or prices: they are not the firm's to see.
            assert "Grundavgift, variant Smart" not in text
        assert not CollaborationRequest.objects.exists()

    def test_date_required_when_chosen(self, client, world):
        response = login(client, world.consultant.user).post(
            SEND, send_data(world, start="date", start_date="")
        )
        assert "Ange ett startdatum." in response.text

    def test_scheduled_start(self, client, world):
        start = today_in_stockholm() + timedelta(days=10)
        login(client, world.consultant.user).post(
            SEND, send_data(world, start="date", start_date=start.isoformat())
        )
        assert CollaborationRequest.objects.get().start_date == start

    def test_other_firms_consultant_cannot_be_responsible(self, client, world):
        response = login(client, world.consultant.user).post(
            SEND, send_data(world, responsible_consultant=world.other_firm_consultant.pk)
        )
        assert response.status_code == 422
        assert "Välj en ansvarig konsult från din byrå." in response.text
        assert not CollaborationRequest.objects.exists()

    def test_already_pending_is_said(self, client, world):
        login(client, world.consultant.user).post(SEND, send_data(world))
        response = client.post(SEND, send_data(world))
        assert "redan en förfrågan till Bageriet Solsidan AB som väntar på svar" in response.text
        assert CollaborationRequest.objects.count() == 1

    def test_tampered_org_number_starts_over(self, client, world):
        response = login(client, world.consultant.user).post(
            SEND, send_data(world, org_number="abc"), follow=True
        )
        assert "Börja om med organisationsnumret." in response.text
        assert not CollaborationRequest.objects.exists()

    def test_get_not_allowed(self, client, world):
        assert login(client, world.consultant.user).get(SEND).status_code == 405

    def test_without_seat_refused(self, client, world):
        response = login(client, world.no_seat_consultant.user).post(SEND, send_data(world))
        assert response.status_code == 403
        assert not CollaborationRequest.objects.exists()


@pytest.fixture
def pending(world):  # type: ignore[no-untyped-def]
    return factories.CollaborationRequestFactory(
        firm=world.firm,
        subscription=world.subscription,
        responsible_consultant=world.consultant,
        requested_by=world.firm_admin.user,
    )


class TestFirmCollaboration:
    def url(self, world):  # type: ignore[no-untyped-def]
        return reverse("collaboration:firm_collaboration", args=[world.subscription.number])

    def test_sysadmin_sees_request(self, client, world, pending):
        response = login(client, world.sysadmin).get(self.url(world))
        assert response.status_code == 200
        assert "Revisorerna Norr AB" in response.text
        assert "Erik Konsult" in response.text
        assert "Jag godkänner" in response.text
        assert "Avböj" in response.text

    @pytest.mark.parametrize("who", ["client_user", "other_sysadmin", "consultant"])
    def test_non_sysadmins_get_404(self, client, world, pending, who):
        user = getattr(world, who)
        user = getattr(user, "user", user)
        assert login(client, user).get(self.url(world)).status_code == 404


class TestDecisions:
    def approve_url(self, world, pending):  # type: ignore[no-untyped-def]
        return reverse(
            "collaboration:approve_request", args=[world.subscription.number, pending.pk]
        )

    def test_approve_leads_to_permissions(self, client, world, pending):
        response = login(client, world.sysadmin).post(self.approve_url(world, pending))
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "clients:permissions", args=[world.subscription.number]
        )
        assert Coupling.objects.get().status == Coupling.Status.ACTIVE

    def test_approve_twice_says_already_handled(self, client, world, pending):
        login(client, world.sysadmin).post(self.approve_url(world, pending))
        response = client.post(self.approve_url(world, pending), follow=True)
        assert "Förfrågan är redan hanterad: godkänd av Lisa Sysadmin" in response.text
        assert Coupling.objects.count() == 1

    def test_get_not_allowed(self, client, world, pending):
        assert (
            login(client, world.sysadmin).get(self.approve_url(world, pending)).status_code == 405
        )

    def test_sysadmin_of_other_subscription_gets_404(self, client, world, pending):
        response = login(client, world.other_sysadmin).post(self.approve_url(world, pending))
        assert response.status_code == 404
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.PENDING

    def test_request_of_other_subscription_is_404(self, client, world):
        foreign = factories.CollaborationRequestFactory(subscription=world.other_subscription)
        url = reverse("collaboration:approve_request", args=[world.subscription.number, foreign.pk])
        assert login(client, world.sysadmin).post(url).status_code == 404
        assert not Coupling.objects.exists()

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_reject(self, client, world, pending):
        url = reverse("collaboration:reject_request", args=[world.subscription.number, pending.pk])
        response = login(client, world.sysadmin).post(url, follow=True)
        assert "Förfrågan från Revisorerna Norr AB är avböjd." in response.text
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.REJECTED


class TestWithdraw:
    def test_firm_withdraws(self, client, world, pending):
        url = reverse("collaboration:withdraw_request", args=[pending.pk])
        response = login(client, world.consultant.user).post(url, follow=True)
        assert "Förfrågan är återkallad." in response.text
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.WITHDRAWN

    def test_other_firm_gets_404(self, client, world, pending):
        url = reverse("collaboration:withdraw_request", args=[pending.pk])
        assert login(client, world.other_firm_consultant.user).post(url).status_code == 404
        assert client.get(url).status_code == 404
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.PENDING

    def test_start_page_links_to_a_confirmation_not_a_button(self, client, world, pending):
        """Issue 14 item 12: "Återkalla" asks first, like the other
        destructive actions; the start page holds no form that withdraws."""
        url = reverse("collaboration:withdraw_request", args=[pending.pk])
        home = login(client, world.consultant.user).get("/").text
        assert (
            f'<a href="{url}" aria-label="Återkalla förfrågan till Bageriet Solsidan AB">'
            "Återkalla</a>" in home
        )
        assert f'action="{url}"' not in home
        page = client.get(url)
        assert page.status_code == 200
        assert "<h1>Återkalla förfrågan</h1>" in page.text
        assert (
            "Förfrågan om samarbete med Bageriet Solsidan AB återkallas och kan inte längre "
            "godkännas." in page.text
        )
        assert f'<form method="post" action="{url}">' in page.text
        assert "Ja, återkalla förfrågan" in page.text
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.PENDING  # asking changed nothing

    def test_confirmation_of_a_request_no_longer_pending(self, client, world, pending):
        url = reverse("collaboration:withdraw_request", args=[pending.pk])
        login(client, world.consultant.user).post(url)
        page = client.get(url)
        assert "Förfrågan väntar inte längre på svar och kan inte återkallas." in page.text
        assert "Ja, återkalla förfrågan" not in page.text

    def test_wrong_method(self, client, world, pending):
        url = reverse("collaboration:withdraw_request", args=[pending.pk])
        assert login(client, world.consultant.user).put(url).status_code == 405


def test_htmx_send_for_already_coupled_returns_only_the_wizard(client, world):
    factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
    response = login(client, world.consultant.user).post(SEND, send_data(world), **HTMX)
    assert response.text.lstrip().startswith('<div id="wizard">')
    assert "Er byrå är redan sammankopplad med Bageriet Solsidan AB" in response.text


def test_expired_request_is_no_longer_a_card(client, world, pending):
    from django.utils import timezone

    CollaborationRequest.objects.filter(pk=pending.pk).update(expires_at=timezone.now())
    response = login(client, world.sysadmin).get(
        reverse("collaboration:firm_collaboration", args=[world.subscription.number])
    )
    assert "Jag godkänner" not in response.text
    assert "Inga förfrågningar väntar på svar." in response.text


@pytest.mark.parametrize("size", [3, 30])
def test_firm_collaboration_query_count_constant(client, world, django_assert_num_queries, size):
    for _ in range(size):
        factories.CollaborationRequestFactory(subscription=world.subscription)
        factories.CouplingFactory(subscription=world.subscription)
    login(client, world.sysadmin)
    # user, consultant (nav), subscription (with its payer), pending requests,
    # couplings; Flow 5's terms and cost: licences, payer changes, price list
    # (plans and programs); flow 7's open "Byte av byrå"; Flow 10: the pending
    # requests' agreements
    with django_assert_num_queries(11):
        response = client.get(
            reverse("collaboration:firm_collaboration", args=[world.subscription.number])
        )
    assert response.status_code == 200


def test_htmx_post_needs_the_csrf_token_from_the_body(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.consultant.user)
    page = client.get(NEW)
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page.text).group(1)
    data = {"org_number": world.subscription.client.org_number}
    assert client.post(NEW, data, **HTMX).status_code == 403
    assert client.post(NEW, data, HTTP_X_CSRFTOKEN=token, **HTMX).status_code == 200


def test_pages_carry_a_content_security_policy(client, world):
    response = login(client, world.consultant.user).get(NEW)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_two_requests_each_say_whose_they_are(client, world, pending):
    """Issue 14, item 11: with two firms' requests, each cost box names its
    firm, each button's accessible name does, and no id repeats."""
    import re

    second = factories.CollaborationRequestFactory(
        firm=world.other_firm_consultant.firm,
        subscription=world.subscription,
        responsible_consultant=world.other_firm_consultant,
        requested_by=world.other_firm_consultant.user,
    )
    response = login(client, world.sysadmin).get(
        reverse("collaboration:firm_collaboration", args=[world.subscription.number])
    )
    page = response.text
    headings = [" ".join(h.split()) for h in re.findall(r"<h4[^>]*>(.*?)</h4>", page, flags=re.S)]
    assert headings == [
        "Vad samarbetet med Revisorerna Norr AB kostar",
        "Vad samarbetet med Siffror Syd AB kostar",
    ]
    assert 'aria-label="Jag godkänner – Revisorerna Norr AB"' in page
    assert 'aria-label="Jag godkänner – Siffror Syd AB"' in page
    assert 'aria-label="Avböj – Siffror Syd AB"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert f'id="request-{second.pk}-cost-heading"' in page
