""" "Återkalla inbjudan": the asking side takes back a pending join offer, a
consultant offer from "Byråns användare" or a client-user offer from "Bjud in
befintliga användare". Only that offer and the invitation link issued with
it stop; another tenant's offer to, or invitation of, the same person stays.
A confirmation page first; a ledger event; outsiders get 404."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from clients.invitations.consultant_services import consultant_invite
from clients.models import Invitation, JoinOffer
from firm_portal.models import User
from ledger.models import AccessEvent
from tests import factories
from tests.clients.bulk_invitation_helpers import make_invitable, post, row

pytestmark = pytest.mark.django_db

EMAIL = "sara@example.se"


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"http://[^/]+(/inbjudan/\S+/)", message.body).group(1)


def mails_to(email: str) -> list:  # type: ignore[type-arg]
    return [m for m in mail.outbox if m.to == [email]]


@pytest.fixture
def other_firm_admin(world):  # type: ignore[no-untyped-def]
    admin = world.other_firm_consultant
    admin.is_firm_admin = True
    admin.save(update_fields=["is_firm_admin"])
    return admin


class TestConsultantOffer:
    @pytest.fixture
    def offer(self, world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            consultant_invite(actor=world.firm_admin, full_name="Sara Ny", email=EMAIL)
        return JoinOffer.objects.get(user__email=EMAIL, firm=world.firm)

    def url(self, offer):  # type: ignore[no-untyped-def]
        return reverse("firm_withdraw_offer", args=[offer.pk])

    def test_asks_first(self, client, world, offer):
        client.force_login(world.firm_admin.user)
        users = client.get(reverse("firm_users")).text
        assert (
            f'<a href="{self.url(offer)}"\n                   class="small"\n'
            f'                   aria-label="Återkalla inbjudan till {EMAIL}">'
            "Återkalla inbjudan</a>" in users
        )
        page = client.get(self.url(offer))
        assert page.status_code == 200
        assert (
            f"Inbjudan till {EMAIL} att gå med i Revisorerna Norr AB återkallas och kan inte "
            "längre tas emot." in page.text
        )
        assert "Ja, återkalla inbjudan" in page.text
        offer.refresh_from_db()
        assert offer.status == JoinOffer.Status.PENDING

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_withdraws_offer_link_and_records_it(self, client, world, offer):
        link = link_in(mails_to(EMAIL)[0])
        client.force_login(world.firm_admin.user)
        response = client.post(self.url(offer), follow=True)
        assert f"Inbjudan till {EMAIL} är återkallad." in response.text
        assert "Inbjudna" not in response.text  # the list is empty now
        offer.refresh_from_db()
        assert offer.status == JoinOffer.Status.WITHDRAWN
        invitation = Invitation.objects.get(user__email=EMAIL)
        assert invitation.withdrawn_at is not None
        event = AccessEvent.objects.get(kind=AccessEvent.Kind.INVITATION_WITHDRAWN)
        assert (event.actor_id, event.firm_id, event.subject_id, event.subscription_id) == (
            world.firm_admin.user.pk,
            world.firm.pk,
            offer.user.pk,
            None,
        )
        assert event.before == {"invited_as": "consultant"}
        # The link says so, and sets no password.
        client.logout()
        page = client.get(link)
        assert page.status_code == 410
        assert "Inbjudan är återkallad" in page.text
        client.post(link, {"new_password1": "Ett-långt-lösen-42", "new_password2": "x"})
        assert not User.objects.get(email=EMAIL).has_usable_password()
        # Twice: nothing left to withdraw.
        client.force_login(world.firm_admin.user)
        assert client.post(self.url(offer)).status_code == 404

    def test_another_firms_invitation_of_the_same_person_stays(
        self, client, world, other_firm_admin, django_capture_on_commit_callbacks
    ):
        # Firm B asked first: its invitation made the account.
        with django_capture_on_commit_callbacks(execute=True):
            consultant_invite(actor=other_firm_admin, full_name="Sara", email=EMAIL)
        theirs = JoinOffer.objects.get(user__email=EMAIL, firm=other_firm_admin.firm)
        their_link = link_in(mails_to(EMAIL)[0])
        consultant_invite(actor=world.firm_admin, full_name="Sara", email=EMAIL)
        ours = JoinOffer.objects.get(user__email=EMAIL, firm=world.firm)
        client.force_login(world.firm_admin.user)
        client.post(self.url(ours))
        ours.refresh_from_db()
        theirs.refresh_from_db()
        assert (ours.status, theirs.status) == (
            JoinOffer.Status.WITHDRAWN,
            JoinOffer.Status.PENDING,
        )
        assert Invitation.objects.get(user__email=EMAIL).withdrawn_at is None
        client.logout()
        assert client.get(their_link).status_code == 200

    def test_invitee_no_longer_sees_it(self, client, world, other_firm_admin):
        person = factories.UserFactory(email=EMAIL)
        consultant_invite(actor=world.firm_admin, full_name="Sara", email=EMAIL)
        consultant_invite(actor=other_firm_admin, full_name="Sara", email=EMAIL)
        ours = JoinOffer.objects.get(user=person, firm=world.firm)
        client.force_login(person)
        home = client.get("/").text
        assert "Revisorerna Norr AB" in home and "Siffror Syd AB" in home
        client.force_login(world.firm_admin.user)
        client.post(self.url(ours))
        client.force_login(person)
        home = client.get("/").text
        assert "Inbjudningar" in home
        assert "Revisorerna Norr AB" not in home
        assert "Siffror Syd AB" in home

    def test_other_firm_gets_404(self, client, world, offer, other_firm_admin):
        client.force_login(other_firm_admin.user)
        assert client.get(self.url(offer)).status_code == 404
        assert client.post(self.url(offer)).status_code == 404
        client.force_login(world.sysadmin)
        assert client.post(self.url(offer)).status_code == 404
        offer.refresh_from_db()
        assert offer.status == JoinOffer.Status.PENDING

    def test_program_admin_is_refused(self, client, world, offer):
        program_admin = factories.ConsultantFactory(firm=world.firm, is_client_manager_admin=True)
        client.force_login(program_admin.user)
        assert client.post(self.url(offer)).status_code == 403
        offer.refresh_from_db()
        assert offer.status == JoinOffer.Status.PENDING

    def test_wrong_method(self, client, world, offer):
        client.force_login(world.firm_admin.user)
        assert client.put(self.url(offer)).status_code == 405


class TestClientUserOffer:
    @pytest.fixture
    def setup(self, client, world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
        alfa, beta = make_invitable(world, ["Alfa AB", "Beta AB"])
        client.force_login(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = post(
                client, row(alfa, "Sara Ny", EMAIL), row(beta, "Per Ny", "per@example.se")
            )
        assert response.status_code == 302
        alfa_offer = JoinOffer.objects.get(subscription=alfa)
        beta_offer = JoinOffer.objects.get(subscription=beta)
        return alfa_offer, beta_offer

    def url(self, offer):  # type: ignore[no-untyped-def]
        return reverse("clients:withdraw_offer", args=[offer.pk])

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_listed_with_a_link_asks_then_withdraws(self, client, world, setup):
        alfa_offer, beta_offer = setup
        link = link_in(mails_to(EMAIL)[0])
        page = client.get(reverse("clients:invite_existing")).text
        assert f'aria-label="Återkalla inbjudan till {EMAIL} (Alfa AB)"' in page
        confirm = client.get(self.url(alfa_offer))
        assert (
            f"Inbjudan till {EMAIL} att gå med i Alfa AB återkallas och kan inte längre tas emot."
            in confirm.text
        )
        response = client.post(self.url(alfa_offer), follow=True)
        assert response.redirect_chain[-1][0] == reverse("clients:invite_existing")
        assert f"Inbjudan till {EMAIL} är återkallad." in response.text
        assert f"Återkalla inbjudan till {EMAIL}" not in response.text
        alfa_offer.refresh_from_db()
        beta_offer.refresh_from_db()
        assert (alfa_offer.status, beta_offer.status) == (
            JoinOffer.Status.WITHDRAWN,
            JoinOffer.Status.PENDING,
        )
        assert Invitation.objects.get(user__email=EMAIL).withdrawn_at is not None
        assert Invitation.objects.get(user__email="per@example.se").withdrawn_at is None
        event = AccessEvent.objects.get(kind=AccessEvent.Kind.INVITATION_WITHDRAWN)
        assert (event.actor_id, event.firm_id, event.subscription_id) == (
            world.firm_admin.user.pk,
            world.firm.pk,
            alfa_offer.subscription_id,
        )
        client.logout()
        assert "Inbjudan är återkallad" in client.get(link).text

    def test_outsiders_get_404(self, client, world, setup):
        alfa_offer, _beta = setup
        for user in (world.other_firm_consultant.user, world.sysadmin, world.client_user):
            client.force_login(user)
            assert client.get(self.url(alfa_offer)).status_code == 404
            assert client.post(self.url(alfa_offer)).status_code == 404
        alfa_offer.refresh_from_db()
        assert alfa_offer.status == JoinOffer.Status.PENDING
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.INVITATION_WITHDRAWN).exists()
