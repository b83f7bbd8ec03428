"""One request id from the click to the e-mail: in the response, every log
line, the Celery tasks the request causes and the outbox rows it writes;
production logs are JSON lines with no personal data."""

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from firm_portal.log_format import logging_config
from firm_portal.log_redaction import redact
from firm_portal.request_context import current_request_id
from notifications import services, tasks
from notifications.models import OutboxMessage
from tests.notifications.worker_thread import running_worker, status_of, wait_for

REQUEST_ID = "req-7f3a9c2e1b4d4e0f"
NEW_CONSULTANT = {"full_name": "Sara Ny", "email": "sara.ny@byran.se"}


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The production logging configuration, writing to a buffer."""
    logging.config.dictConfig(logging_config(json_lines=True, level="INFO"))
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        logging.config.dictConfig(settings.LOGGING)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


@pytest.mark.django_db
def test_the_request_id_comes_back_and_is_on_the_outbox_rows_the_request_wrote(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.firm_admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("firm_add_consultant"), NEW_CONSULTANT, HTTP_X_REQUEST_ID=REQUEST_ID
        )
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] == REQUEST_ID
    message = OutboxMessage.objects.get(recipient="sara.ny@byran.se")
    assert message.request_id == REQUEST_ID
    assert current_request_id() == ""  # nothing left bound after the request


@pytest.mark.django_db
def test_an_implausible_request_id_is_replaced_by_a_new_one(client):
    for given in ["", "short", "has spaces in it", "<script>alert(1)</script>", "x" * 65]:
        returned = client.get(reverse("login"), HTTP_X_REQUEST_ID=given).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", returned), given
    first = client.get(reverse("login")).headers["X-Request-ID"]
    assert client.get(reverse("login")).headers["X-Request-ID"] != first


@pytest.mark.django_db
def test_production_logs_are_json_lines_with_ids_and_without_personal_data(client, world, json_log):
    client.force_login(world.consultant.user)
    client.get(reverse("home") + "?q=anna@norr.se", HTTP_X_REQUEST_ID=REQUEST_ID)
    logging.getLogger("firm_portal.test").warning(
        "Could not reach %s (%s, %s)", "anna@norr.se", "19850101-1234", "+46 70 123 45 67"
    )
    try:
        raise ValueError("refused: anna@norr.se")
    except ValueError:
        logging.getLogger("firm_portal.test").exception("Failed")

    logged = lines(json_log)
    [request_line] = [line for line in logged if line["logger"] == "firm_portal.requests"]
    warning, failure = [line for line in logged if line["logger"] == "firm_portal.test"]
    assert request_line == {
        "time": request_line["time"],
        "level": "INFO",
        "logger": "firm_portal.requests",
        # The path, never the query string (it holds what was searched for).
        "message": request_line["message"],
        "request_id": REQUEST_ID,
        "user_id": world.consultant.user.pk,
    }
    assert re.fullmatch(r"GET / 200 \d+ ms", request_line["message"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", request_line["time"])
    assert warning["message"] == "Could not reach [e-post] ([personnummer], [telefon])"
    assert (warning["level"], warning["request_id"], warning["user_id"]) == ("WARNING", None, None)
    assert "anna@norr.se" not in failure["exception"]
    assert "ValueError: refused: [e-post]" in failure["exception"]


def test_a_celery_timing_is_not_taken_for_personal_data():
    # Workers log every task's duration; before, these read "0.[telefon]s".
    assert redact("succeeded in 0.0123456789s: True") == "succeeded in 0.0123456789s: True"
    assert redact("succeeded in 0.01234567s: True") == "succeeded in 0.01234567s: True"
    assert redact("ring 070-123 45 67 eller 0701234567") == "ring [telefon] eller [personnummer]"


def test_development_logs_are_readable_text():
    config = logging_config(json_lines=False, level="INFO")
    assert config["handlers"]["console"]["formatter"] == "text"
    assert settings.LOG_JSON is False  # the tests run with DJANGO_ENV=test
    record = logging.LogRecord("firm_portal.x", logging.INFO, __file__, 1, "Hej", None, None)
    record.request_id = REQUEST_ID
    text = logging.Formatter(config["formatters"]["text"]["format"]).format(record)
    assert text.endswith(f" INFO firm_portal.x [{REQUEST_ID}] Hej")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_request_id_travels_into_the_worker_tasks_the_request_caused(client, world):
    seen: list[str] = []
    deliver = services.outbox_deliver

    def deliver_and_note(**kwargs):  # type: ignore[no-untyped-def]
        seen.append(current_request_id())
        return deliver(**kwargs)

    client.force_login(world.firm_admin.user)
    with (
        mock.patch.object(services, "outbox_deliver", side_effect=deliver_and_note),
        running_worker(),
    ):
        response = client.post(
            reverse("firm_add_consultant"), NEW_CONSULTANT, HTTP_X_REQUEST_ID=REQUEST_ID
        )
        assert response.status_code == 302
        message = OutboxMessage.objects.get(recipient="sara.ny@byran.se")
        assert wait_for(lambda: status_of(message) == "sent")
    assert seen == [REQUEST_ID]
    assert message.request_id == REQUEST_ID
    assert [m.to for m in mail.outbox] == [["sara.ny@byran.se"]]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_that_no_request_caused_uses_its_own_task_id():
    seen: list[str] = []
    sweep = services.outbox_sweep_overdue

    def sweep_and_note(**kwargs):  # type: ignore[no-untyped-def]
        seen.append(current_request_id())
        return sweep(**kwargs)

    with (
        mock.patch.object(services, "outbox_sweep_overdue", side_effect=sweep_and_note),
        running_worker(),
    ):
        result = tasks.sweep_outbox.delay()
        assert wait_for(lambda: len(seen) == 1)
    assert seen == [result.id]
