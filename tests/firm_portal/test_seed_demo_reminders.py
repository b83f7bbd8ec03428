"""Flow 8 in the demo: one request with reminders already sent, seen on its
firm's start page, the reminders in the outbox."""

import pytest

from collaboration.models import CollaborationRequest
from notifications.models import OutboxMessage, Reminder
from tests.firm_portal.demo_helpers import logged_in, seed

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_request_reminded_twice(empty_database_after_migrate):
    seed()
    request = CollaborationRequest.objects.get(
        firm__name__startswith="Siffror", subscription__client__name="Bageriet Solsidan AB"
    )
    assert sorted(
        Reminder.objects.filter(kind="request", item_id=request.pk).values_list("step", flat=True)
    ) == ["after:10", "after:3"]
    assert (
        OutboxMessage.objects.filter(
            template="collaboration-request", subject__startswith="Påminnelse:"
        ).count()
        == 2 * Reminder.objects.get(item_id=request.pk, step="after:3").recipients
    )
    page = logged_in("karin@gbg.demo").get("/").text
    assert "påmind 2 gånger" in page
