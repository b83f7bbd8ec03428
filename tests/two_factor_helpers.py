"""Test helpers for two-factor authentication: a confirmed app device, the
code an app would show now, and a test client whose session is verified."""

import time

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from firm_portal.two_factor import services


def app_device(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    """The user's confirmed app device, made when missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=services.APP_DEVICE_NAME, confirmed=True)
    return device


def app_code(device: TOTPDevice) -> str:
    """What the app shows: the current code, or the next one when the current
    time step was already used (a code works once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(app_code(device)) + 500_000) % 1_000_000:06d}"


def verify_session(client: Client, user) -> None:  # type: ignore[no-untyped-def]
    """Mark a force_login session as having passed the code step (users who
    must use two-factor authentication get an app device first)."""
    session = client.session
    state = session.get(services.STATE_KEY)
    if state not in (services.VERIFY, services.SETUP):
        return
    device = app_device(user)
    session[services.STATE_KEY] = services.VERIFIED
    session["otp_device_id"] = device.persistent_id
    session.save()
