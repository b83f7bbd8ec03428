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
