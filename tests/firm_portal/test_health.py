"""/healthz and /readyz: answered for any Host over plain HTTP without login,
503 naming the failing part, nothing personal, nothing in the ledger."""

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from ledger.models import AccessEvent
from notifications import services as outbox
from notifications.models import OutboxMessage
from tests.notifications.worker_process import database_url

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production_like(settings):  # type: ignore[no-untyped-def]
    """What production refuses to a probe that comes by address over HTTP."""
    settings.ALLOWED_HOSTS = ["portal.example.se"]
    settings.SECURE_SSL_REDIRECT = True
    settings.DEBUG = False


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def readiness_in_a_process_of_its_own(**environment: str) -> tuple[int, dict]:
    """/readyz of the app started with `environment` (DATABASE_URL, REDIS_URL)."""
    script = (
        "from django.test import Client; import sys; "
        "response = Client().get('/readyz'); "
        "sys.stdout.write(f'{response.status_code}\\n'); "
        "sys.stdout.write(response.content.decode())"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_ENV": "test", **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.split("\n", 1)
    return int(status), json.loads(body)


def test_healthz_answers_a_probe_by_address_and_touches_nothing(
    client, production_like, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_readyz_is_ready_when_everything_is(client, production_like):
    response = client.get("/readyz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "outbox": "ok", "redis": "ok"},
    }
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_probes_need_no_login_and_leave_no_ledger_event_or_request_log(client, world, caplog):
    client.force_login(world.client_user)  # logged in or not, the same answer
    events = AccessEvent.objects.count()
    with caplog.at_level("INFO", logger="firm_portal.requests"):
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert AccessEvent.objects.count() == events
    assert not [r for r in caplog.records if r.name == "firm_portal.requests"]


def test_probes_take_get_only(client):
    assert client.post("/readyz").status_code == 405
    assert client.post("/healthz").status_code == 405


def test_readyz_is_503_naming_the_database_when_it_is_down(settings):
    status, body = readiness_in_a_process_of_its_own(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/byraportalen",
        REDIS_URL=settings.REDIS_URL,
    )
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("Unavailable: ")
    assert body["checks"]["migrations"] == "Unavailable: database unreachable"
    assert body["checks"]["redis"] == "ok"


def test_readyz_is_503_naming_redis_when_it_is_down(settings):
    status, body = readiness_in_a_process_of_its_own(
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
    )
    assert status == 503
    assert body["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "outbox": "ok",
        "redis": "Unavailable: Unable to connect to Redis: Connection Error",
    }


def test_readyz_is_503_while_a_migration_is_not_applied(client):
    # As when a new release's web starts before `migrate` has run: the
    # latest migration of an app is not applied yet.
    leaf = max(
        name
        for app, name in MigrationLoader(connection).graph.leaf_nodes()
        if app == "notifications"
    )
    MigrationRecorder.Migration.objects.filter(app="notifications", name=leaf).delete()
    # (rolled back with the test)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "Unavailable: 1 migrations not applied"
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_is_503_when_the_oldest_unsent_message_is_too_old(client, settings):
    settings.READINESS_OUTBOX_MAX_AGE_SECONDS = 600
    message = outbox.outbox_enqueue_email(
        to="kund@example.se",
        template="collaboration-expired",
        context={"recipient": {"full_name": "Kund"}, "client": {"name": "Kund AB"}},
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert client.get("/readyz").status_code == 200  # younger than the limit

    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox_check = response.json()["checks"]["outbox"]
    assert outbox_check.startswith("Unavailable: oldest unsent message is 66")
    assert outbox_check.endswith("s old (limit 600 s)")
    assert b"kund@example.se" not in response.content

    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.SENT)
    assert client.get("/readyz").status_code == 200
