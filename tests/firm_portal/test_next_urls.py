"""Every `next` parameter (firm_portal.http.next_url and Django's own views)
stays on this site: other hosts, scheme-relative and backslash tricks and
`javascript:` fall back to the page's own default."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.collaboration.new_customer_helpers import create, install_prices
from tests.two_factor_helpers import app_code, app_device

pytestmark = pytest.mark.django_db

EVIL = [
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "/\t/evil.example",
]


def password_login(client, user, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("login"), {"username": user.email, "password": factories.PASSWORD, **extra}
    )


@pytest.mark.parametrize("target", EVIL)
def test_the_code_step_stays_on_the_site(client, world, target):
    admin = world.firm_admin.user
    device = app_device(admin)
    password_login(client, admin)
    page = client.get(reverse("two_factor_verify"), {"next": target})
    assert 'name="next" value="/"' in page.text
    response = client.post(reverse("two_factor_verify"), {"code": app_code(device), "next": target})
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", EVIL)
def test_setup_and_recovery_codes_stay_on_the_site(client, world, target):
    user = world.client_user
    client.force_login(user)
    page = client.get(reverse("two_factor_setup"), {"next": target})
    assert 'name="next" value="/"' in page.text
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": app_code(device), "next": target})
    assert response.status_code == 302
    codes = client.get(response["Location"])
    assert 'href="/"' in codes.text
    assert "evil" not in codes.text and "javascript" not in codes.text


@pytest.mark.parametrize("target", EVIL)
def test_login_and_logout_stay_on_the_site(client, world, target):
    response = password_login(client, world.client_user, next=target)
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.post(reverse("logout"), {"next": target})
    assert response["Location"] == reverse("login")


@pytest.mark.parametrize("target", EVIL)
def test_language_switch_stays_on_the_site(client, db, target):
    response = client.post(reverse("set_language"), {"language": "en", "next": target})
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", EVIL)
@pytest.mark.parametrize("action", ["resend", "cancel"])
def test_new_customer_resend_and_cancel_stay_on_the_site(client, world, action, target):
    install_prices()
    subscription = create(world)
    client.force_login(world.consultant.user)
    response = client.post(
        reverse(f"collaboration:new_customer_{action}", args=[subscription.number]),
        {"next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "collaboration:new_customer_done", args=[subscription.number]
    )
