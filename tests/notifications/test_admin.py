"""Support sees every message in Django admin and can send failed ones again."""

import contextlib
import smtplib
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from notifications import services
from notifications.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_outboxmessage_changelist")
REFUSED = smtplib.SMTPRecipientsRefused({"kund@example.se": (550, b"5.1.1 User unknown")})


def enqueue(django_capture_on_commit_callbacks, *, refused: bool = False) -> OutboxMessage:
    refusal = mock.patch.object(services, "_send_email", side_effect=REFUSED)
    with (
        refusal if refused else contextlib.nullcontext(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = services.outbox_enqueue_email(
            to="kund@example.se",
            template="collaboration-expired",
            context={"recipient": {"full_name": "Kund"}, "client": {"name": "Kund AB"}},
        )
    message.refresh_from_db()
    return message


@pytest.fixture
def support(client):  # type: ignore[no-untyped-def]
    user = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_support_sends_failed_messages_again(client, support, django_capture_on_commit_callbacks):
    failed = [enqueue(django_capture_on_commit_callbacks, refused=True) for _ in range(2)]
    assert [m.status for m in failed] == ["failed", "failed"]
    already_sent = enqueue(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            CHANGELIST,
            {
                "action": "retry_failed",
                "_selected_action": [failed[0].pk, failed[1].pk, already_sent.pk],
                "index": "0",
            },
        )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "2 misslyckade meddelanden skickas om.",
        "1 valt meddelande hade inte misslyckats och lämnades orört.",
    ]
    assert sorted(
        OutboxMessage.objects.filter(pk__in=[m.pk for m in failed]).values_list(
            "status", "attempts", "claimed_until"
        )
    ) == [("pending", 0, None), ("pending", 0, None)]
    assert len(callbacks) == 2  # sent after commit, not inside the admin's transaction

    for callback in callbacks:
        callback()
    assert set(
        OutboxMessage.objects.filter(pk__in=[m.pk for m in failed]).values_list(
            "status", "attempts"
        )
    ) == {("sent", 1)}
    assert sorted(m.extra_headers["X-Idempotency-Key"] for m in mail.outbox[1:]) == sorted(
        str(m.idempotency_key) for m in failed
    )
    already_sent.refresh_from_db()
    assert (already_sent.status, already_sent.attempts) == ("sent", 1)


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_retry_under_real_transactions_sends_after_the_commit(client, support):
    """Without the test's own transaction: the action locks the failed rows
    in its transaction, and the workers (eager here) send after the commit."""
    with mock.patch.object(services, "_send_email", side_effect=REFUSED):
        failed = services.outbox_enqueue_email(
            to="kund@example.se",
            template="collaboration-expired",
            context={"recipient": {"full_name": "Kund"}, "client": {"name": "Kund AB"}},
        )
    failed.refresh_from_db()
    assert failed.status == "failed"
    response = client.post(
        CHANGELIST,
        {"action": "retry_failed", "_selected_action": [failed.pk], "index": "0"},
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 1)
    assert [m.to for m in mail.outbox] == [["kund@example.se"]]


def test_retrying_one_message_says_so_in_the_singular(
    client, support, django_capture_on_commit_callbacks
):
    message = enqueue(django_capture_on_commit_callbacks, refused=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST, {"action": "retry_failed", "_selected_action": [message.pk], "index": "0"}
        )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 misslyckat meddelande skickas om."
    ]
    assert len(mail.outbox) == 1


def test_list_shows_what_support_needs(client, support, django_capture_on_commit_callbacks):
    message = enqueue(django_capture_on_commit_callbacks, refused=True)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("kund@example.se", "collaboration-expired", "Misslyckat", "SMTPRecipientsRefused"):
        assert text in page
    assert "Skicka om misslyckade" in page
    detail = client.get(reverse("admin:notifications_outboxmessage_change", args=[message.pk]))
    assert detail.status_code == 200
    assert "5.1.1 User unknown" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_admin_is_read_only_apart_from_the_action(
    client, support, django_capture_on_commit_callbacks
):
    message = enqueue(django_capture_on_commit_callbacks)
    change = reverse("admin:notifications_outboxmessage_change", args=[message.pk])
    assert client.post(change, {"status": "failed"}).status_code == 403
    assert client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403
    delete = reverse("admin:notifications_outboxmessage_delete", args=[message.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


def test_staff_who_may_only_view_cannot_resend(client, django_capture_on_commit_callbacks):
    viewer = factories.UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    message = enqueue(django_capture_on_commit_callbacks, refused=True)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "Skicka om misslyckade" not in response.content.decode()
    client.post(CHANGELIST, {"action": "retry_failed", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED


@pytest.mark.parametrize("rows", [3, 300])
def test_list_query_count_does_not_grow_with_rows(
    client, support, django_assert_max_num_queries, rows
):
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=f"kund{n}@example.se",
            template="collaboration-expired",
            subject="Ämne",
            body_text="text " * 200,
            body_html="<p>html</p>" * 200,
        )
        for n in range(rows)
    )
    with django_assert_max_num_queries(8):
        assert client.get(CHANGELIST).status_code == 200
