"""Flow 8 in the browser: a sent request is reminded by the beat task,
"Påminn nu" (with HTMX; and, in a second test, without JavaScript), then it expires
(time moved by the test), stays listed as "Utgången", and "Skicka igen"
sends a new one."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from collaboration.models import CollaborationRequest
from collaboration.reminders.services import reminders_send_due
from collaboration.requests.services import collaboration_requests_expire
from notifications.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _move_back(request: CollaborationRequest, days: float) -> None:
    """Time moves on: the request was sent, and expires, `days` earlier."""
    request.refresh_from_db()
    CollaborationRequest.objects.filter(pk=request.pk).update(
        created_at=request.created_at - timedelta(days=days),
        expires_at=request.expires_at - timedelta(days=days),
    )


def _reminders() -> int:
    return OutboxMessage.objects.filter(subject__startswith="Påminnelse:").count()


def test_reminders_remind_now_and_expiry(journey, world):
    request = factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )
    _move_back(request, 3.5)
    assert reminders_send_due() == 1  # the beat task, day 3
    assert reminders_send_due() == 0  # and again: nothing more

    j = journey("reminders")
    j.log_in(world.consultant.user.email, factories.PASSWORD)
    row = j.page.locator(f"#sent-request-{request.pk}")
    expect(row).to_contain_text("påmind 1 gång")
    expect(row).to_contain_text("går ut")
    j.snap("reminded once")

    # "Påminn nu" with HTMX: the row answers, the page stays.
    j.click(j.page.get_by_role("button", name="Påminn Bageriet Solsidan AB nu"))
    expect(row).to_contain_text(f"Påminnelse skickad till {world.sysadmin.email}.")
    expect(row).to_contain_text("påmind 2 gånger")
    expect(row).to_contain_text("Påmind i dag")
    assert _reminders() == 2
    j.snap("reminded now")

    # A month later: expired, still listed, and sent again.
    _move_back(request, 28)
    collaboration_requests_expire()
    j.goto("/")
    expect(row).to_contain_text("Utgången")
    expect(row).to_contain_text("gick ut")
    j.snap("expired")
    j.click(j.page.get_by_role("button", name="Skicka förfrågan till Bageriet Solsidan AB igen"))
    expect(
        j.page.get_by_text("Förfrågan till Bageriet Solsidan AB är skickad igen.")
    ).to_be_visible()
    expect(j.page.get_by_text("Utgången")).to_have_count(0)
    new = CollaborationRequest.objects.get(status=CollaborationRequest.Status.PENDING)
    expect(j.page.locator(f"#sent-request-{new.pk}")).to_contain_text("Påminn nu")
    j.snap("sent again")


def test_remind_now_without_javascript(page, live_server, world):
    request = factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )
    context = page.context.browser.new_context(java_script_enabled=False, locale="sv-SE")
    plain = context.new_page()
    client = Client()
    client.force_login(world.consultant.user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    plain.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    plain.goto(live_server.url + "/")
    plain.get_by_role("button", name="Påminn Bageriet Solsidan AB nu").click()
    expect(plain.get_by_text(f"Påminnelse skickad till {world.sysadmin.email}.")).to_be_visible()
    expect(plain.locator(f"#sent-request-{request.pk}")).to_contain_text("Påmind i dag")
    assert _reminders() == 1
    context.close()
