"""Login throttling, session lifetimes, ended sessions, password change and
reset."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from clients.offboarding.services import consultant_offboard
from tests import factories

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")


def fail_login(client, username: str, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "fel"})


def test_ten_failures_lock_the_account_for_an_hour_from_every_address(client, world, settings):
    email = world.sysadmin.email
    for number in range(9):  # from nine addresses: the account is counted, not the address
        client.post(
            LOGIN, {"username": email, "password": "fel"}, REMOTE_ADDR=f"10.0.0.{number + 1}"
        )
    assert AccessAttempt.objects.filter(username=email).count() == 9
    response = client.post(LOGIN, {"username": email, "password": factories.PASSWORD})
    assert response.status_code == 302  # 9 failures: still allowed in
    client.logout()
    fail_login(client, email, 1)
    response = client.post(
        LOGIN, {"username": email, "password": factories.PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 429
    assert "För många misslyckade inloggningsförsök" in response.text
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 3600
    assert settings.AXES_ACCOUNT_FAILURE_LIMIT == 10


def test_a_locked_account_does_not_lock_another_account(client, world):
    fail_login(client, world.sysadmin.email, 10)
    other = factories.UserFactory()
    # The same address (nine failures short of its own limit) and another one.
    response = client.post(LOGIN, {"username": other.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    client.logout()
    response = client.post(
        LOGIN, {"username": other.email, "password": factories.PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302


def test_look_alike_forms_count_against_the_same_account(client, world):
    email = world.sysadmin.email
    local, domain = email.split("@")
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in email)
    for typed in (email.upper(), fullwidth, f" {email} ", f"{local}@{domain.upper()}"):
        for _ in range(2):
            client.post(LOGIN, {"username": typed, "password": "fel"}, REMOTE_ADDR="10.0.0.1")
    # Invisible characters are refused by the form and never tried.
    client.post(
        LOGIN, {"username": f"{local}\u200b@{domain}", "password": "fel"}, REMOTE_ADDR="10.0.0.1"
    )
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {email}
    fail_login(client, email, 2)
    response = client.post(
        LOGIN, {"username": email, "password": factories.PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 429


def test_many_accounts_from_one_address_lock_that_address(client, world):
    for number in range(100):
        client.post(LOGIN, {"username": f"gissning{number}@example.se", "password": "fel"})
    other = factories.UserFactory()
    response = client.post(LOGIN, {"username": other.email, "password": factories.PASSWORD})
    assert response.status_code == 429
    response = client.post(
        LOGIN, {"username": other.email, "password": factories.PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302


def test_admin_login_is_throttled_per_account_too(client, world):
    staff = factories.UserFactory(is_staff=True)
    other = factories.UserFactory(is_staff=True)
    for number in range(10):
        client.post(
            "/admin/login/",
            {"username": staff.email.upper(), "password": "fel"},
            REMOTE_ADDR=f"10.0.1.{number + 1}",
        )
    response = client.post(
        "/admin/login/", {"username": staff.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 429
    response = client.post(
        "/admin/login/", {"username": other.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302


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

    from tests.firm_portal.production_env import PRODUCTION_ENV, ROOT

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


def test_behind_the_proxy_an_account_is_locked_from_every_address_and_alone(db):
    results = proxied_logins(
        [
            (ATTACKER, "offer@example.se", WRONG),
            ("198.51.100.8", "OFFER@example.se", WRONG),
            # The account is locked, also for its owner in the office…
            (OFFICE, "offer@example.se", RIGHT),
            # …and no other account is.
            (OFFICE, "annan@example.se", RIGHT),
            (ATTACKER, "tredje@example.se", RIGHT),
        ],
        TRUSTED_PROXY_COUNT="1",
        AXES_FAILURE_LIMIT="5",
        AXES_ACCOUNT_FAILURE_LIMIT="2",
    )
    assert results == {
        f"{ATTACKER} offer@example.se": [200],
        "198.51.100.8 OFFER@example.se": [429],
        f"{OFFICE} offer@example.se": [429],
        f"{OFFICE} annan@example.se": [302],
        f"{ATTACKER} tredje@example.se": [302],
    }


def test_behind_the_proxy_many_accounts_from_one_address_lock_that_address(db):
    guesses = [(ATTACKER, f"gissning{n}@example.se", WRONG) for n in range(5)]
    results = proxied_logins(
        [
            *guesses,
            (ATTACKER, "annan@example.se", RIGHT),
            (OFFICE, "tredje@example.se", RIGHT),
        ],
        TRUSTED_PROXY_COUNT="1",
        AXES_FAILURE_LIMIT="5",
        AXES_ACCOUNT_FAILURE_LIMIT="2",
    )
    assert results[f"{ATTACKER} annan@example.se"] == [429]
    assert results[f"{OFFICE} tredje@example.se"] == [302]


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
    from tests.firm_portal.production_env import PRODUCTION_ENV, run_manage

    result = run_manage("check", env={**PRODUCTION_ENV, "AXES_IPWARE_PROXY_COUNT": "1"})
    assert result.returncode != 0
    assert "AXES_IPWARE_PROXY_COUNT is replaced by TRUSTED_PROXY_COUNT" in result.stderr
