""" "Bjud in klientanvändare": every text says exactly what goes to whom. A
new account gets an e-mail with a set-password link (and an SMS without a
link when a mobile number is typed); an existing account gets an e-mail with
the offer, no link and no SMS; "Bjud in befintliga användare" sends e-mail
only. The result page is the same for both (no probing), in Swedish
plurals."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from clients.models import JoinOffer
from notifications.sms import locmem as sms
from tests.clients.bulk_invitation_helpers import make_invitable, row
from tests.conftest import World

pytestmark = pytest.mark.django_db

NEW_HELP = (
    "Den som inte har något konto får ett mejl med en länk för att välja lösenord, och ett sms "
    "utan länk om du anger mobilnummer. Den som redan har ett konto får ett mejl med inbjudan, "
    "utan länk för lösenord, och tackar ja när hen har loggat in; något sms skickas inte."
)
RESULT_ONE = (
    "1 person har fått ett mejl med inbjudan: en länk för att välja lösenord om hen inte hade "
    "något konto, annars en inbjudan att tacka ja till efter inloggning. Ett sms utan länk har "
    "gått till mobilnumret bara om ett nytt konto skapades. Hen blir användare hos kunden när "
    "hen har tackat ja; till dess finns hen under ”Bjud in befintliga användare”."
)
RESULT_MANY = (
    "2 personer har fått var sitt mejl med inbjudan: en länk för att välja lösenord till den "
    "som inte hade något konto, annars en inbjudan att tacka ja till efter inloggning. Sms utan "
    "länk har gått till mobilnummer bara för nya konton. De blir användare hos kunden när de har "
    "tackat ja; till dess finns de under ”Bjud in befintliga användare”."
)
EXISTING_HELP = (
    "Inbjudna klientanvändare som ännu inte har tackat ja. De markerade får ett nytt mejl, inget "
    "sms: den som bjöds in härifrån och ännu inte har valt lösenord får en ny länk för att välja "
    "lösenord, som ersätter den gamla; övriga får inbjudan igen och tackar ja när de har loggat in."
)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def admin(world: World) -> Client:
    client = Client()
    client.force_login(world.firm_admin.user)
    return client


def test_what_each_row_gets_is_what_the_pages_say(
    world: World, admin: Client, django_capture_on_commit_callbacks
) -> None:
    alfa, beta = make_invitable(world, ["Alfa AB", "Beta AB"])
    assert NEW_HELP in text_of(admin.get(reverse("clients:invite_new")).text)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("clients:invite_new"),
            {
                **row(alfa, "Oskar", world.other_sysadmin.email, mobile="070-111 22 33"),
                **row(beta, "Ny Person", "ny.person@beta.se", mobile="070-444 55 66"),
            },
            follow=True,
        )
    assert RESULT_MANY in text_of(response.text)
    by_recipient = {tuple(message.to): message.body for message in mail.outbox}
    # The existing account: the offer, without a set-password link; no SMS.
    assert "/inbjudan/" not in by_recipient[(world.other_sysadmin.email,)]
    # The new account: the link; the SMS to its own number has no link.
    assert "/inbjudan/" in by_recipient[("ny.person@beta.se",)]
    assert [message.to for message in sms.outbox] == ["+46704445566"]
    assert "http" not in sms.outbox[0].body

    (gamma,) = make_invitable(world, ["Gamma AB"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("clients:invite_new"), row(gamma, "En Till", "en.till@gamma.se"), follow=True
        )
    assert RESULT_ONE in text_of(response.text)


def test_bjud_in_befintliga_anvandare_sends_mail_only(
    world: World, admin: Client, django_capture_on_commit_callbacks
) -> None:
    (alfa,) = make_invitable(world, ["Alfa AB"])
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            reverse("clients:invite_new"),
            row(alfa, "Oskar", world.other_sysadmin.email, mobile="070-111 22 33"),
        )
    mail.outbox.clear()
    page = admin.get(reverse("clients:invite_existing"))
    assert EXISTING_HELP in text_of(page.text)
    offer = JoinOffer.objects.get(user=world.other_sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("clients:invite_existing"), {"offers": [str(offer.pk)]}, follow=True
        )
    assert "Inbjudan har mejlats igen till 1 användare." in response.text
    assert [message.to for message in mail.outbox] == [[world.other_sysadmin.email]]
    assert sms.outbox == []
