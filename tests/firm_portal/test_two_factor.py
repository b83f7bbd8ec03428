"""Tvåstegsverifiering: required for everyone who can grant access (support
staff, firm admins, program admins, sysadmins), optional for others; the code
step after the password, recovery codes, throttling, Django admin, and nothing
secret in the logs."""

import logging
import re
import time
from base64 import b32decode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Membership
from firm_portal.two_factor import services
from tests import factories
from tests.two_factor_helpers import app_code, app_device, wrong_code

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")
VERIFY = reverse("two_factor_verify")
SETUP = reverse("two_factor_setup")
CODES = reverse("two_factor_recovery_codes")
OVERVIEW = reverse("two_factor")


def password_login(client, user, path: str = LOGIN):  # type: ignore[no-untyped-def]
    response = client.post(path, {"username": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.text
    return response


def recovery_codes_for(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


class TestRequiredSetup:
    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_firm_admin_without_app_must_set_it_up_before_any_page(self, client, world):
        admin = world.firm_admin.user
        password_login(client, admin)
        response = client.get(reverse("firm_users"))
        assert response.status_code == 302
        assert response["Location"] == f"{SETUP}?next=%2Fbyra%2Fanvandare%2F"
        page = client.get(response["Location"])
        assert "Din roll kräver tvåstegsverifiering" in page.text
        assert "<svg" in page.text and 'class="segno"' in page.text
        device = TOTPDevice.objects.get(user=admin, confirmed=False)
        secret = services.totp_secret_for_display(device)
        assert secret in page.text
        assert '<label for="id_code">Verifieringskod</label>' in page.text
        assert "Engångskod från din app" in page.text
        assert ">Verifiera</button>" in page.text

        wrong = client.post(SETUP, {"code": wrong_code(device), "next": "/byra/anvandare/"})
        assert wrong.status_code == 422
        assert "Koden stämmer inte. Försök igen." in wrong.text
        assert TOTPDevice.objects.get(pk=device.pk).confirmed is False

        device.refresh_from_db()
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.save()
        done = client.post(SETUP, {"code": app_code(device), "next": "/byra/anvandare/"})
        assert done.status_code == 302
        assert done["Location"] == f"{CODES}?next=%2Fbyra%2Fanvandare%2F"
        assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
        shown = client.get(done["Location"])
        codes = recovery_codes_for(admin)
        assert len(codes) == 10
        for code in codes:
            assert f"{code[:4]}-{code[4:]}" in shown.text
        assert "De visas bara den här gången" in shown.text
        assert 'href="/byra/anvandare/"' in shown.text
        # Shown once: the next visit goes to the overview without codes.
        again = client.get(CODES)
        assert again.status_code == 302 and again["Location"] == OVERVIEW
        assert client.get(reverse("firm_users")).status_code == 200

    def test_support_staff_are_sent_to_setup_from_django_admin(self, client, db):
        staff = factories.UserFactory(is_staff=True, is_superuser=True)
        password_login(client, staff, "/admin/login/")
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith(SETUP)

    @pytest.mark.parametrize("role", ["client_user", "consultant", "no_seat_consultant"])
    def test_optional_for_those_who_grant_no_access(self, client, world, role):
        user = getattr(world, role)
        password_login(client, getattr(user, "user", user))
        assert client.get("/").status_code == 200
        page = client.get(OVERVIEW)
        assert "Tvåstegsverifiering är av." in page.text
        assert "Slå på tvåstegsverifiering" in page.text

    @pytest.mark.parametrize(
        "role",
        [
            "firm admin",
            "program admin",
            "client sysadmin",
            "consultant sysadmin",
            "sysadmin of another client",
        ],
    )
    def test_required_for_everyone_who_grants_access(self, client, world, role):
        if role == "program admin":
            user = factories.ConsultantFactory(firm=world.firm, is_client_manager_admin=True).user
        elif role == "consultant sysadmin":
            factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
            Membership.objects.create(
                subscription=world.subscription,
                user=world.consultant.user,
                consultant=world.consultant,
                is_sysadmin=True,
            )
            user = world.consultant.user
        else:
            user = {
                "firm admin": world.firm_admin.user,
                "client sysadmin": world.sysadmin,
                "sysadmin of another client": world.other_sysadmin,
            }[role]
        password_login(client, user)
        response = client.get("/")
        assert response.status_code == 302 and response["Location"] == f"{SETUP}?next=%2F"
        page = client.get(response["Location"])
        assert "Din roll kräver tvåstegsverifiering. Slå på den innan du fortsätter." in page.text

    def test_not_required_once_the_access_to_grant_has_ended(self, world):
        world.sysadmin_membership.suspended_at = timezone.now()
        world.sysadmin_membership.save(update_fields=["suspended_at"])
        inactive_admin = factories.ConsultantFactory(firm=world.firm, user__full_name="Före Detta")
        inactive_admin.is_firm_admin = True
        inactive_admin.is_active = False
        inactive_admin.save(update_fields=["is_firm_admin", "is_active"])
        for user in (world.sysadmin, inactive_admin.user):
            assert services.two_factor_required(user=user) is False

    def test_user_made_sysadmin_mid_session_must_set_it_up(self, client, world):
        membership = Membership.objects.get(user=world.client_user)
        password_login(client, world.client_user)
        assert client.get("/").status_code == 200
        membership.is_sysadmin = True
        membership.save(update_fields=["is_sysadmin"])
        session = client.session
        session[services.CHECKED_KEY] -= services.RECHECK_SECONDS + 1
        session.save()
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith(SETUP)

    def test_user_made_firm_admin_mid_session_must_set_it_up(self, client, world):
        password_login(client, world.consultant.user)
        assert client.get("/").status_code == 200
        world.consultant.is_firm_admin = True
        world.consultant.save(update_fields=["is_firm_admin"])
        assert client.get("/").status_code == 200  # rechecked once a minute
        session = client.session
        session[services.CHECKED_KEY] -= services.RECHECK_SECONDS + 1
        session.save()
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith(SETUP)


def secret_shown(page) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text)
    assert match is not None, page.text
    return match.group(1)


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """What an app given `secret` shows now (or `steps_ahead` periods later)."""
    key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + totp.step * steps_ahead
    return f"{totp.token():06d}"


class TestSetupSecretBelongsToOneSetup:
    """Someone who knows the password opens the setup page and notes the
    secret without confirming; the real user sets up their app afterwards."""

    def test_a_secret_noted_in_another_session_does_not_pass_the_code_step(self, world):
        admin = world.firm_admin.user
        intruder, owner = Client(), Client()
        password_login(intruder, admin)
        noted = secret_shown(intruder.get(SETUP))

        password_login(owner, admin)
        page = owner.get(SETUP)
        own = secret_shown(page)
        assert secret_shown(owner.get(SETUP)) == own  # a reload shows the same
        done = owner.post(SETUP, {"code": code_for(own)})
        assert done.status_code == 302 and done["Location"].startswith(CODES)
        assert TOTPDevice.objects.filter(user=admin).count() == 1

        again = Client()
        password_login(again, admin)
        refused = again.post(VERIFY, {"code": code_for(noted, steps_ahead=1)})
        assert refused.status_code == 422
        assert "Koden stämmer inte. Försök igen." in refused.text
        assert again.get("/").status_code == 302
        # The intruder's own setup page no longer confirms anything either.
        late = intruder.post(SETUP, {"code": code_for(noted, steps_ahead=1)})
        assert late.status_code == 302 and late["Location"].startswith(VERIFY)
        assert TOTPDevice.objects.filter(user=admin).count() == 1

    def test_a_setup_replaced_in_another_window_says_so(self, world):
        user = world.client_user
        first, second = Client(), Client()
        first.force_login(user)
        second.force_login(user)
        old = secret_shown(first.get(SETUP))
        new = secret_shown(second.get(SETUP))
        assert old != new
        response = first.post(SETUP, {"code": code_for(old)})
        assert response.status_code == 422
        assert (
            "Inställningen har startats om, kanske i ett annat fönster. Skanna den nya "
            "QR-koden nedan och skriv in koden som appen visar."
        ) in response.text
        fresh = secret_shown(response)
        assert fresh not in (old, new)
        assert first.post(SETUP, {"code": code_for(fresh)}).status_code == 302
        assert TOTPDevice.objects.get(user=user).confirmed
        # The other window's secret was replaced: it confirms nothing.
        assert second.post(SETUP, {"code": code_for(new)})["Location"] == OVERVIEW
        assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [
            True
        ]


class TestSetupFinishedInAnotherSession:
    def test_the_waiting_session_lands_on_the_code_step(self, world):
        """Setup page open in one session, setup done in another: the first
        goes to the code step (and then where it wanted), not round and round
        between the setup page and the overview."""
        admin = world.firm_admin.user
        waiting, other = Client(), Client()
        password_login(waiting, admin)
        assert waiting.get(SETUP).status_code == 200
        password_login(other, admin)
        own = secret_shown(other.get(SETUP))
        assert other.post(SETUP, {"code": code_for(own)}).status_code == 302

        page = waiting.get(f"{SETUP}?next=/klienter/", follow=True)
        assert page.redirect_chain[-1][0].startswith(VERIFY)
        assert len(page.redirect_chain) == 1
        assert page.status_code == 200
        assert (
            "Tvåstegsverifiering har slagits på i ett annat fönster eller på en annan enhet. "
            "Ange koden från appen för att fortsätta."
        ) in page.text
        # Any other page goes to the code step too, in one redirect.
        home = waiting.get("/", follow=True)
        assert [url.split("?")[0] for url, _ in home.redirect_chain] == [VERIFY]
        done = waiting.post(page.redirect_chain[-1][0], {"code": code_for(own, steps_ahead=1)})
        assert done.status_code == 302 and done["Location"] == "/klienter/"
        assert waiting.get("/").status_code == 200

    def test_a_posted_code_from_the_stale_page_goes_to_the_code_step(self, world):
        admin = world.firm_admin.user
        waiting, other = Client(), Client()
        password_login(waiting, admin)
        stale = secret_shown(waiting.get(SETUP))
        password_login(other, admin)
        own = secret_shown(other.get(SETUP))
        other.post(SETUP, {"code": code_for(own)})
        response = waiting.post(SETUP, {"code": code_for(stale)})
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
        assert waiting.get(response["Location"]).status_code == 200


class TestCodeStep:
    @pytest.fixture
    def admin(self, world):  # type: ignore[no-untyped-def]
        user = world.firm_admin.user
        app_device(user)
        services.two_factor_recovery_codes_replace(user=user)
        return user

    def test_password_alone_is_not_enough(self, client, admin):
        password_login(client, admin)
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"] == f"{VERIFY}?next=%2F"
        assert client.get(SETUP).status_code == 302  # nor can a second app be added
        htmx = client.get(reverse("firm_users"), HTTP_HX_REQUEST="true")
        assert htmx.headers["HX-Redirect"].startswith(VERIFY)
        page = client.get(VERIFY)
        assert '<label for="id_code">Verifieringskod</label>' in page.text
        assert 'autocomplete="one-time-code"' in page.text

    def test_right_code_verifies_and_rotates_the_session(self, client, admin):
        password_login(client, admin)
        before = client.session.session_key
        response = client.post(VERIFY, {"code": app_code(app_device(admin)), "next": "/byra/"})
        assert response.status_code == 302
        assert response["Location"] == "/byra/"
        assert client.session.session_key != before
        assert client.session[services.STATE_KEY] == services.VERIFIED
        assert client.get("/").status_code == 200

    def test_foreign_next_is_ignored(self, client, admin):
        password_login(client, admin)
        code = app_code(app_device(admin))
        response = client.post(VERIFY, {"code": code, "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_wrong_code_then_throttled(self, client, admin):
        password_login(client, admin)
        device = app_device(admin)
        wrong = client.post(VERIFY, {"code": wrong_code(device)})
        assert wrong.status_code == 422
        assert "Koden stämmer inte. Försök igen." in wrong.text
        # Back-off: even the right code is refused straight after a wrong one.
        throttled = client.post(VERIFY, {"code": app_code(device)})
        assert throttled.status_code == 422
        assert "För många felaktiga koder i rad. Vänta en stund och försök igen." in throttled.text
        assert client.get("/").status_code == 302

    def test_an_app_code_works_once(self, client, admin):
        device = app_device(admin)
        code = app_code(device)
        password_login(client, admin)
        assert client.post(VERIFY, {"code": code}).status_code == 302
        client.post(reverse("logout"))
        password_login(client, admin)
        replay = client.post(VERIFY, {"code": code})
        assert replay.status_code == 422

    def test_recovery_code_works_once(self, client, admin):
        code = recovery_codes_for(admin)[0]
        password_login(client, admin)
        response = client.post(VERIFY, {"code": f" {code[:4]}-{code[4:].upper()} "}, follow=True)
        assert response.status_code == 200
        assert "Du loggade in med en reservkod" in response.text
        assert "du har 9 kvar" in response.text
        assert code not in recovery_codes_for(admin)
        client.post(reverse("logout"))
        password_login(client, admin)
        assert client.post(VERIFY, {"code": code}).status_code == 422

    def test_django_admin_needs_the_code_too(self, client, db):
        staff = factories.UserFactory(is_staff=True, is_superuser=True)
        app_device(staff)
        password_login(client, staff, "/admin/login/")
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
        assert client.post(VERIFY, {"code": app_code(app_device(staff))}).status_code == 302
        assert client.get("/admin/").status_code == 200

    def test_logout_is_open_during_the_code_step(self, client, admin):
        password_login(client, admin)
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert client.get("/")["Location"].startswith(LOGIN)

    def test_failed_codes_never_reach_the_logs(self, client, admin, caplog):
        device = app_device(admin)
        recovery = recovery_codes_for(admin)[0]
        guess = wrong_code(device)
        password_login(client, admin)
        with caplog.at_level(logging.DEBUG):
            client.post(VERIFY, {"code": guess})
            client.post(VERIFY, {"code": recovery[::-1]})
            client.post(VERIFY, {"code": app_code(device)})
        text = "\n".join(
            f"{record.getMessage()} {record.args!r}" for record in caplog.records
        ).lower()
        assert "two-factor code rejected" in text or "refused while throttled" in text
        for secret in (guess, recovery, recovery[::-1], device.key, admin.email):
            assert secret.lower() not in text


class TestOptional:
    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_turn_on_and_off_again(self, client, world):
        user = world.client_user
        client.force_login(user)
        page = client.get(SETUP)
        assert page.status_code == 200
        assert "Din roll kräver" not in page.text
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        assert client.post(SETUP, {"code": app_code(device)}).status_code == 302
        overview = client.get(OVERVIEW)
        assert "Tvåstegsverifiering är på sedan" in overview.text
        assert "Du har 10 oanvända reservkoder kvar." in overview.text

        # The next login asks for a code.
        client.post(reverse("logout"))
        password_login(client, user)
        assert client.get("/")["Location"].startswith(VERIFY)
        client.post(VERIFY, {"code": app_code(device)})

        refused = client.post(reverse("two_factor_disable"), {"code": "000000"})
        assert refused.status_code == 422
        assert TOTPDevice.objects.filter(user=user).exists()
        device.refresh_from_db()
        device.throttling_failure_count = 0
        device.save()
        done = client.post(reverse("two_factor_disable"), {"code": recovery_codes_for(user)[0]})
        assert done.status_code == 302
        assert not TOTPDevice.objects.filter(user=user).exists()
        assert not StaticDevice.objects.filter(user=user).exists()
        assert "Tvåstegsverifiering är avstängd." in client.get(OVERVIEW).text
        client.post(reverse("logout"))
        password_login(client, user)
        assert client.get("/").status_code == 200

    def test_firm_admin_cannot_turn_it_off(self, client, world):
        admin = world.firm_admin.user
        client.force_login(admin)
        device = app_device(admin)
        assert "kan inte stängas av" in client.get(OVERVIEW).text
        response = client.post(
            reverse("two_factor_disable"), {"code": app_code(device)}, follow=True
        )
        assert "Tvåstegsverifiering krävs för din roll och kan inte stängas av." in response.text
        assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_new_recovery_codes_replace_the_old(self, client, world):
        admin = world.firm_admin.user
        client.force_login(admin)
        old = services.two_factor_recovery_codes_replace(user=admin)
        response = client.post(CODES, follow=True)
        assert "Nya reservkoder är skapade. De gamla gäller inte längre." in response.text
        new = recovery_codes_for(admin)
        assert len(new) == 10 and not set(new) & set(old)
        shown = re.findall(r"<code>([a-z2-7]{4})-([a-z2-7]{4})</code>", response.text)
        assert sorted(a + b for a, b in shown) == sorted(new)

    def test_recovery_codes_need_a_verified_session(self, client, world):
        user = world.client_user
        client.force_login(user)  # optional user without an app
        response = client.post(CODES, follow=True)
        assert "Slå på tvåstegsverifiering först." in response.text
        assert not StaticDevice.objects.filter(user=user).exists()


class TestMethodsAndAnonymous:
    @pytest.mark.parametrize(
        ("name", "method"),
        [("two_factor_disable", "get"), ("two_factor", "post")],
    )
    def test_wrong_method(self, client, world, name, method):
        client.force_login(world.client_user)
        assert getattr(client, method)(reverse(name)).status_code == 405

    @pytest.mark.parametrize("name", ["two_factor", "two_factor_verify", "two_factor_setup"])
    def test_anonymous_goes_to_login(self, client, db, name):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
