"""No personnummer, mobile number, email address, code or secret reaches the
log output, and both are masked where lists and exports show them."""

import logging
import logging.config

import pytest
from django.urls import reverse

from firm_portal.log_redaction import redact
from firm_portal.templatetags.masking import mobile_masked, personnummer_masked
from notifications import services as outbox
from notifications.models import OutboxMessage
from notifications.sms import SmsDeliveryError, locmem
from tests import factories
from tests.two_factor_helpers import app_device, wrong_code

pytestmark = pytest.mark.django_db
PERSONAL_NUMBER = "198501011234"
MOBILE = "+46701234567"


def test_a_flow_leaves_no_personal_data_in_the_logs(
    client, world, log_output, monkeypatch, django_capture_on_commit_callbacks
):
    # A refused SMS whose error quotes the number, as providers do.
    def refuse(self, sms):  # type: ignore[no-untyped-def]
        raise SmsDeliveryError(f"number {sms.to} refused by operator", permanent=True)

    monkeypatch.setattr(locmem.SmsBackend, "send", refuse)
    client.force_login(world.firm_admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("firm_add_consultant"),
            {"full_name": "Ny Konsult", "email": "ny.konsult@norr.se", "mobile": "070-123 45 67"},
        )
        assert response.status_code == 302
        outbox.outbox_enqueue_sms(
            to=MOBILE,
            template="collaboration-request",
            context={
                "firm": world.firm,
                "client": world.subscription.client,
                "url": "http://x/",
                "subscription": world.subscription,
                "request": None,
                "responsible": world.consultant,
            },
        )
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).exists()
    # A wrong code at the second step, and a careless log call elsewhere.
    admin = world.firm_admin.user
    device = app_device(admin)
    guess = wrong_code(device)
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": admin.email, "password": factories.PASSWORD})
    client.post(reverse("two_factor_verify"), {"code": guess})
    logging.getLogger("clients").error(
        "Could not reach %s (%s, pnr %s)", "asa@alfa.se", "070-123 45 67", "19850101-1234"
    )

    text = log_output.getvalue()
    assert "failed (permanent error)" in text
    assert "Two-factor code rejected" in text
    assert "[e-post]" in text and "[telefon]" in text and "[personnummer]" in text
    for secret in (
        MOBILE,
        "70-123 45 67",
        "701234567",
        "19850101-1234",
        "asa@alfa.se",
        "ny.konsult@norr.se",
        admin.email,
        guess,
        device.key,
    ):
        assert secret not in text, secret


def test_redaction_keeps_ordinary_numbers() -> None:
    line = "Outbox message 12345 not sent (attempt 3, next in 120 s); invoice 100001, 2026-11-23"
    assert redact(line) == line


def test_masking_filters() -> None:
    assert personnummer_masked(PERSONAL_NUMBER) == "19850101-****"
    assert personnummer_masked("8501011234") == "850101-****"
    assert personnummer_masked("") == ""
    assert mobile_masked(MOBILE) == "+46 70 *** ** 67"
    assert mobile_masked("070-123 45 67") == "+46 70 *** ** 67"
    assert mobile_masked("") == ""


def test_lists_and_admin_mask_but_support_change_form_shows_in_full(client, admin_client, world):
    user = world.client_user
    user.mobile, user.personal_number = MOBILE, PERSONAL_NUMBER
    user.save(update_fields=["mobile", "personal_number"])
    client.force_login(world.sysadmin)
    page = client.get(reverse("clients:users", args=[world.subscription.number])).text
    assert "+46 70 *** ** 67" in page and "19850101-****" in page
    assert MOBILE not in page and PERSONAL_NUMBER not in page

    changelist = admin_client.get(reverse("admin:firm_portal_user_changelist")).text
    assert "+46 70 *** ** 67" in changelist and "19850101-****" in changelist
    assert MOBILE not in changelist and PERSONAL_NUMBER not in changelist
    change = admin_client.get(reverse("admin:firm_portal_user_change", args=[user.pk])).text
    assert f'value="{MOBILE}"' in change and f'value="{PERSONAL_NUMBER}"' in change


def test_firm_user_list_masks_mobile(client, world):
    consultant_user = world.consultant.user
    consultant_user.mobile = MOBILE
    consultant_user.save(update_fields=["mobile"])
    client.force_login(world.firm_admin.user)
    page = client.get(reverse("firm_users")).text
    assert "+46 70 *** ** 67" in page and MOBILE not in page
