"""Two-factor authentication (TOTP app + single-use recovery codes) on
django-otp's models.

Required for everyone who can grant access to others (support staff, firm
admins, client-manager program admins, subscription sysadmins: see
`two_factor_required`), optional for everyone else. After the password step
the session is in one of four states, kept in the session so an ordinary
request costs no query:

- ``verified``: a code was entered in this session;
- ``verify``: the user has an app and must enter a code before anything else;
- ``setup``: the user must have two-factor authentication and has none yet;
- ``optional``: neither (rechecked once a minute, so a user made firm admin,
  program admin, sysadmin or staff mid-session is sent to set it up).

Codes and secrets are never logged; django-otp throttles wrong codes per
device (exponential back-off) and verifies under a row lock.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

import django_otp
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.selectors import subscriptions_administered_by
from firm_portal.models import Consultant, User

logger = logging.getLogger(__name__)

STATE_KEY = "two_factor"
CHECKED_KEY = "two_factor_checked_at"
NEW_CODES_KEY = "two_factor_new_codes"
SETUP_DEVICE_KEY = "two_factor_setup_device"  # the device this session's setup shows
VERIFIED, VERIFY, SETUP, OPTIONAL = "verified", "verify", "setup", "optional"
RECHECK_SECONDS = 60
RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Autentiseringsapp"
RECOVERY_DEVICE_NAME = "Reservkoder"


# --- Reads -------------------------------------------------------------------


def two_factor_required(*, user: User) -> bool:
    """Everyone who can grant access to others must use two-factor
    authentication: support staff, firm admins, client-manager program admins
    and the active system administrators of a subscription (client users or
    consultants)."""
    if user.is_staff:
        return True
    grants_in_firm = Consultant.objects.filter(
        Q(is_firm_admin=True) | Q(is_client_manager_admin=True), user=user, is_active=True
    )
    return grants_in_firm.exists() or subscriptions_administered_by(user=user).exists()


def two_factor_app_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def two_factor_recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_state_for(*, user: User) -> str:
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return VERIFY
    return SETUP if two_factor_required(user=user) else OPTIONAL


# --- Writes ------------------------------------------------------------------


def two_factor_setup_begin(*, user: User) -> TOTPDevice:
    """A new, unconfirmed app device with a secret nobody has seen yet. The
    user's other unconfirmed devices go: a secret shown to a setup in another
    session (someone who knows the password, noting it) can never be the one
    the user confirms."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def two_factor_setup_device(*, user: User, device_id: object) -> TOTPDevice | None:
    """The unconfirmed device of a setup, if no later setup has replaced it."""
    if not isinstance(device_id, int):
        return None
    return TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()


def two_factor_recovery_codes_replace(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.select_for_update().get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None
    throttled: bool = False
    used_recovery_code: bool = False


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _is_app_code(code: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) == 6


def _check(*, user: User, device: Device | None, code: str) -> CodeCheck:
    if device is None:
        return CodeCheck(device=None)
    allowed, _info = device.verify_is_allowed()  # type: ignore[attr-defined]
    if not allowed:
        logger.warning("Two-factor code refused while throttled (user id %s)", user.pk)
        return CodeCheck(device=None, throttled=True)
    verified = django_otp.verify_token(user, device.persistent_id, code)
    if verified is None:
        # Never the code itself: only who, and how many wrong codes in a row.
        device.refresh_from_db(fields=["throttling_failure_count"])
        logger.warning(
            "Two-factor code rejected (user id %s, %s wrong in a row)",
            user.pk,
            device.throttling_failure_count,  # type: ignore[attr-defined]
        )
    return CodeCheck(device=verified, used_recovery_code=isinstance(verified, StaticDevice))


def two_factor_code_check(*, user: User, code: str) -> CodeCheck:
    """An app code (6 digits) or a recovery code (single use) of the user."""
    code = _normalise(code)
    if not code or len(code) > 16:
        return CodeCheck(device=None)
    if _is_app_code(code):
        return _check(user=user, device=two_factor_app_device(user=user), code=code)
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return _check(user=user, device=recovery, code=code)


def two_factor_confirm_app(*, user: User, device: TOTPDevice, code: str) -> CodeCheck:
    """Confirm the app being set up with its first code; the user's older app
    devices go and fresh recovery codes are made by the caller."""
    code = _normalise(code)
    if not _is_app_code(code):
        return CodeCheck(device=None)
    check = _check(user=user, device=device, code=code)
    if check.device is not None:
        with transaction.atomic():
            # Replaced by a setup in another session meanwhile: not confirmed.
            if not TOTPDevice.objects.filter(pk=device.pk, user=user, confirmed=False).update(
                confirmed=True
            ):
                return CodeCheck(device=None)
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
    return check


def two_factor_disable(*, user: User) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


# --- The session -------------------------------------------------------------


def session_state_refresh(request: HttpRequest, user: User) -> str:
    state = two_factor_state_for(user=user)
    if request.session.get(STATE_KEY) == VERIFIED and state == VERIFY:
        state = VERIFIED  # verified earlier in this session; keep it
    request.session[STATE_KEY] = state
    request.session[CHECKED_KEY] = int(time.time())
    return state


def session_mark_verified(request: HttpRequest, device: Device) -> None:
    """The second step is done: a new session key (privilege changed) that
    remembers the device, like django_otp.login."""
    request.session.cycle_key()
    request.session[STATE_KEY] = VERIFIED
    request.session[CHECKED_KEY] = int(time.time())
    django_otp.login(request, device)


def session_setup_device(request: HttpRequest, user: User) -> TOTPDevice | None:
    return two_factor_setup_device(user=user, device_id=request.session.get(SETUP_DEVICE_KEY))


def session_setup_begin(request: HttpRequest, user: User) -> TOTPDevice:
    device = two_factor_setup_begin(user=user)
    request.session[SETUP_DEVICE_KEY] = device.pk
    return device


def session_mark_optional(request: HttpRequest) -> None:
    request.session[STATE_KEY] = OPTIONAL
    request.session[CHECKED_KEY] = int(time.time())
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)


def session_is_verified(request: HttpRequest) -> bool:
    return request.session.get(STATE_KEY) == VERIFIED


def on_user_logged_in(sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Every password login starts unverified (a new code is needed)."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(STATE_KEY, None)
        session_state_refresh(request, user)


def totp_secret_for_display(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code (no script, no image URL)."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=str(settings.OTP_TOTP_ISSUER)
    )
