"""Login throttling, session lifetimes, ended sessions, password change and
reset."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from firm_portal.offboarding import consultant_offboard
from tests import factories

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")


def fail_login(client, username: str, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "fel"})


def test_hundred_failures_lock_the_account_for_an_hour(client, world, settings):
    email = world.sysadmin.email
    fail_login(client, email, 99)
    assert max(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 99
    response = client.post(LOGIN, {"username": email, "password": factories.PASSWORD})
    assert response.status_code == 302  # 99 failures: still allowed in
    client.logout()
    fail_login(client, email, 1)
    response = client.post(LOGIN, {"username": email, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "För många misslyckade inloggningsförsök" in response.text
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 3600


def test_other_accounts_from_elsewhere_are_not_locked(client, world):
    fail_login(client, world.sysadmin.email, 100)
    other = factories.UserFactory()
    response = client.post(
        LOGIN,
        {"username": other.email, "password": factories.PASSWORD},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302


def test_admin_login_is_throttled_too(client, world):
    staff = factories.UserFactory(is_staff=True)
    for _ in range(100):
        client.post("/admin/login/", {"username": staff.email, "password": "fel"})
    response = client.post(
        "/admin/login/", {"username": staff.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 429


def test_idle_session_ends_after_30_minutes(client, world):
    client.force_login(world.sysadmin)
    assert client.get("/").status_code == 200
    session = client.session
    session["seen_at"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/logga-in/")
    assert client.get("/").status_code == 302  # really logged out


def test_session_ends_12_hours_after_login_even_when_active(client, world):
    client.force_login(world.sysadmin)
    client.get("/")
    session = client.session
    session["started_at"] = int(time.time()) - 12 * 3600 - 1
    session.save()
    assert client.get("/").status_code == 302


def test_deactivated_user_is_logged_out(client, world):
    client.force_login(world.sysadmin)
    world.sysadmin.is_active = False
    world.sysadmin.save(update_fields=["is_active"])
    assert client.get("/").status_code == 302


def test_offboarded_consultant_is_logged_out(client, world):
    client.force_login(world.consultant.user)
    assert client.get("/").status_code == 200
    consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
    response = client.get("/")
    assert response.status_code == 302


def test_password_change_rotates_the_session(client, world):
    client.force_login(world.sysadmin)
    client.get("/")
    before = client.session.session_key
    response = client.post(
        reverse("password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": "Ett-nytt-långt-lösen-7",
            "new_password2": "Ett-nytt-långt-lösen-7",
        },
    )
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.get("/").status_code == 200  # still logged in on the new key


def test_password_reset_by_email_single_use(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": world.sysadmin.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Återställ ditt lösenord till Byråportalen"
    link = re.search(r"http://[^/]+(/losenord/aterstall/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django moves the token into the session
    new = {"new_password1": "Ett-nytt-långt-lösen-7", "new_password2": "Ett-nytt-långt-lösen-7"}
    assert client.post(form_url, new).status_code == 302
    world.sysadmin.refresh_from_db()
    assert world.sysadmin.check_password("Ett-nytt-långt-lösen-7")
    again = client.get(link, follow=True)
    assert "Länken för att återställa lösenordet gäller inte längre" in again.text


def test_password_reset_for_unknown_address_says_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "ingen@example.se"}, follow=True)
    assert "Om adressen hör till ett konto har vi skickat en länk" in response.text
    assert mail.outbox == []


# --- Behind the production TLS proxy -----------------------------------------
# Run under production settings (DJANGO_ENV=production, tests/firm_portal/
# test_settings.py) in a subprocess, on this test run's database and Redis,
# inside one transaction that is rolled back. Requests come from the proxy
# (REMOTE_ADDR 10.0.0.2) with the headers it sets. Static files are served
# unhashed (collectstatic has not run); nothing else is changed.
PROXIED_LOGINS = r"""
import json, sys
import django
from django.conf import settings
django.setup()
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from firm_portal.models import User

def login(forwarded_for, email, password):
    return Client().post(
        "/logga-in/",
        {"username": email, "password": password},
        REMOTE_ADDR="10.0.0.2",
        HTTP_HOST="portal.example.se",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    ).status_code

storages = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages), transaction.atomic():
    hashed = make_password("Rätt-lösen-123")
    for email in ("offer@example.se", "annan@example.se", "tredje@example.se"):
        User.objects.create(email=email, full_name=email, password=hashed)
    results = {}
    for step in json.loads(sys.argv[1]):
        forwarded_for, email, password = step
        results.setdefault(forwarded_for + " " + email, []).append(
            login(forwarded_for, email, password)
        )
    transaction.set_rollback(True)
print(json.dumps(results))
"""


def proxied_logins(steps: list[tuple[str, str, str]], **env: str) -> dict[str, list[int]]:
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    from tests.firm_portal.test_settings import PRODUCTION_ENV, ROOT

    db = connection.settings_dict
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", PROXIED_LOGINS, json.dumps(steps)],
        cwd=ROOT,
        env={
            **clean,
            **PRODUCTION_ENV,
            "DJANGO_SETTINGS_MODULE": "firm_portal.settings",
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_KEY_PREFIX": "proxied-logins-test",
            "AXES_FAILURE_LIMIT": "2",
            "LOG_LEVEL": "ERROR",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


WRONG, RIGHT = "fel-lösen", "Rätt-lösen-123"
ATTACKER, OFFICE = "198.51.100.7", "203.0.113.20"


def test_behind_the_proxy_each_client_address_is_counted_on_its_own(db):
    results = proxied_logins(
        [
            (ATTACKER, "offer@example.se", WRONG),
            (ATTACKER, "offer@example.se", WRONG),
            # Another client behind the same proxy logs in as usual…
            (OFFICE, "annan@example.se", RIGHT),
            # …while the attacker's address is locked for every account, also
            # when it puts a made-up address in front of the one the proxy wrote.
            (ATTACKER, "tredje@example.se", RIGHT),
            (f"{OFFICE}, {ATTACKER}", "tredje@example.se", RIGHT),
            # A lone quote (RFC 7239 quoting) does not hide the proxy's entry.
            (f'", {ATTACKER}', "tredje@example.se", RIGHT),
        ],
        TRUSTED_PROXY_COUNT="1",
    )
    assert results == {
        f"{ATTACKER} offer@example.se": [200, 429],
        f"{OFFICE} annan@example.se": [302],
        f"{ATTACKER} tredje@example.se": [429],
        f"{OFFICE}, {ATTACKER} tredje@example.se": [429],
        f'", {ATTACKER} tredje@example.se': [429],
    }


def test_without_a_proxy_count_the_forwarded_header_is_ignored(db):
    results = proxied_logins(
        [
            (ATTACKER, "offer@example.se", WRONG),
            (ATTACKER, "offer@example.se", WRONG),
            # Claiming another address does not escape the lockout.
            (OFFICE, "annan@example.se", RIGHT),
        ]
    )
    assert results == {
        f"{ATTACKER} offer@example.se": [200, 429],
        f"{OFFICE} annan@example.se": [429],
    }


def test_the_old_proxy_setting_is_refused():
    from tests.firm_portal.test_settings import PRODUCTION_ENV, run_manage

    result = run_manage("check", env={**PRODUCTION_ENV, "AXES_IPWARE_PROXY_COUNT": "1"})
    assert result.returncode != 0
    assert "AXES_IPWARE_PROXY_COUNT is replaced by TRUSTED_PROXY_COUNT" in result.stderr
