"""Issue 13, the same class as the denied attempts and the SMS limit: anyone,
without logging in, could have "Glömt lösenordet?" e-mail an account again
and again (an outbox row and a message each time). At most
PASSWORD_RESET_EMAILS_PER_HOUR go to one account in an hour; the page says
the same whatever happened."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from firm_portal.forms import password_reset_counter_key
from notifications.models import OutboxMessage
from tests.conftest import World

pytestmark = pytest.mark.django_db
SAME_ANSWER = "Om adressen hör till ett konto har vi skickat en länk"


def test_twenty_requests_send_three_emails(
    client: Client, world: World, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        pages = [
            client.post(reverse("password_reset"), {"email": world.sysadmin.email}, follow=True)
            for _ in range(20)
        ]
    assert all(SAME_ANSWER in page.text for page in pages)
    assert [m.to for m in mail.outbox] == [[world.sysadmin.email]] * 3
    assert OutboxMessage.objects.filter(template="password-reset").count() == 3


def test_per_account_and_renewed_after_the_hour(
    client: Client, world: World, settings: object
) -> None:
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 1  # type: ignore[attr-defined]
    for _ in range(3):
        client.post(reverse("password_reset"), {"email": world.sysadmin.email})
        client.post(reverse("password_reset"), {"email": world.client_user.email})
    sent = OutboxMessage.objects.filter(template="password-reset")
    assert sorted(sent.values_list("recipient", flat=True)) == sorted(
        [world.sysadmin.email, world.client_user.email]
    )
    cache.delete(password_reset_counter_key(world.sysadmin.pk))  # the hour has passed
    client.post(reverse("password_reset"), {"email": world.sysadmin.email})
    assert sent.count() == 3
