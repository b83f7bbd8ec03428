"""/metrics: only for the scraper (token or address), and each metric the
runbook alerts on is there and moves when its event happens."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications import services as outbox
from notifications.models import OutboxMessage
from notifications.sms import SmsDeliveryError, locmem

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-tests-0123456789"

# Every metric of our own (README, "Runbook"), as the scrape names its samples.
OUR_METRICS = [
    "byraportalen_http_requests_total",
    "byraportalen_http_request_duration_seconds_count",
    "byraportalen_http_request_db_queries_count",
    "byraportalen_outbox_backlog_messages",
    "byraportalen_outbox_oldest_unsent_age_seconds",
    "byraportalen_outbox_messages_failed_total",
    "byraportalen_login_failures_total",
    "byraportalen_login_lockouts_total",
    "byraportalen_invoicing_runs_total",
    "byraportalen_invoicing_payers_failed_total",
    "byraportalen_invoicing_run_payers",
    "byraportalen_invoicing_run_payers_done",
    "byraportalen_reminders_sent_total",
]


@pytest.fixture(autouse=True)
def _scraper(settings):  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16", "192.0.2.7"]


def scrape(client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_not_public(client, settings):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.1").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.20.9.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    # A forwarded address is not the scraper's: only the connecting one counts.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.20.0.1").status_code == 404
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_a_scrape_has_every_metric(client):
    client.get(reverse("login"))  # a request of any view, for the request metrics
    samples = {name for name, _labels in scrape(client)}
    assert [name for name in OUR_METRICS if name not in samples] == []


def test_requests_are_counted_by_view_status_time_and_queries(client, world):
    client.force_login(world.consultant.user)
    before = scrape(client)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    client.get("/finns-inte/")
    after = scrape(client)
    labels = {"view": "home", "method": "GET", "status": "200"}
    assert value(after, "byraportalen_http_requests_total", **labels) == (
        value(before, "byraportalen_http_requests_total", **labels) + 1
    )
    assert value(
        after, "byraportalen_http_requests_total", view="<unresolved>", method="GET", status="404"
    ) == (
        value(
            before,
            "byraportalen_http_requests_total",
            view="<unresolved>",
            method="GET",
            status="404",
        )
        + 1
    )
    queries = "byraportalen_http_request_db_queries_sum"
    assert value(after, queries, view="home") - value(before, queries, view="home") >= 1
    seconds = "byraportalen_http_request_duration_seconds_count"
    assert value(after, seconds, view="home") == value(before, seconds, view="home") + 1


def test_login_failures_and_lockouts_are_counted(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    before = scrape(client)
    for _ in range(3):
        client.post(reverse("login"), {"username": world.sysadmin.email, "password": "fel"})
    after = scrape(client)
    failures = "byraportalen_login_failures_total"
    lockouts = "byraportalen_login_lockouts_total"
    assert value(after, failures) == value(before, failures) + 3
    # The second failure locks the username out; the third meets the lockout.
    assert value(after, lockouts) == value(before, lockouts) + 2


def test_outbox_backlog_and_failures(client, monkeypatch, django_capture_on_commit_callbacks):
    def refuse(self, sms):  # type: ignore[no-untyped-def]
        raise SmsDeliveryError("refused by operator", permanent=True)

    monkeypatch.setattr(locmem.SmsBackend, "send", refuse)
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_enqueue_sms(
            to="+46701234567", template="invitation-client-user", context={"url": "u"}
        )
    waiting = [
        outbox.outbox_enqueue_email(
            to="kund@example.se",
            template="collaboration-expired",
            context={"recipient": {"full_name": "Kund"}, "client": {"name": "Kund AB"}},
        )
        for _ in range(2)
    ]
    OutboxMessage.objects.filter(pk=waiting[0].pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    after = scrape(client)
    failed = "byraportalen_outbox_messages_failed_total"
    assert value(after, failed, channel="sms") == value(before, failed, channel="sms") + 1
    assert value(after, failed, channel="email") == value(before, failed, channel="email")
    assert value(after, "byraportalen_outbox_backlog_messages") == 2
    assert 600 <= value(after, "byraportalen_outbox_oldest_unsent_age_seconds") < 700


def test_the_reminder_counter_is_scraped(client):
    from firm_portal.metrics import REMINDERS_SENT

    before = value(scrape(client), "byraportalen_reminders_sent_total")
    REMINDERS_SENT.inc()
    assert value(scrape(client), "byraportalen_reminders_sent_total") == before + 1


def test_a_message_whose_worker_died_on_every_attempt_counts_as_failed(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        message = outbox.outbox_enqueue_email(
            to="kund@example.se",
            template="collaboration-expired",
            context={"recipient": {"full_name": "Kund"}, "client": {"name": "Kund AB"}},
        )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENDING,
        attempts=outbox.MAX_ATTEMPTS,
        claimed_until=timezone.now() - timedelta(seconds=1),
    )
    failed = "byraportalen_outbox_messages_failed_total"
    before = scrape(client)
    outbox.outbox_sweep_overdue(older_than=timedelta(minutes=1))
    after = scrape(client)
    assert value(after, failed, channel="email") == value(before, failed, channel="email") + 1
    assert value(after, failed, channel="sms") == value(before, failed, channel="sms")
