"""SMS backends, chosen by settings.SMS_BACKEND like Django's email backends.

A backend sends one text message or raises SmsDeliveryError, saying whether
trying again later can help. The outbox (notifications.services) decides
what happens next; backends never retry on their own.
"""

from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.utils.module_loading import import_string

BACKENDS = {
    "file": "notifications.sms.file.SmsBackend",
    "console": "notifications.sms.console.SmsBackend",
    "locmem": "notifications.sms.locmem.SmsBackend",
    "46elks": "notifications.sms.elks46.SmsBackend",
}


def sms_region_allowed(number: phonenumbers.PhoneNumber) -> bool:
    """Whether we text numbers of this country (settings.SMS_ALLOWED_REGIONS,
    the Nordic countries unless configured otherwise)."""
    return phonenumbers.region_code_for_number(number) in settings.SMS_ALLOWED_REGIONS


class SmsDeliveryError(Exception):
    """The message was not accepted. `permanent`: the same request will never
    succeed (bad number, refused credentials); otherwise try again later."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str
    sender: str
    idempotency_key: str


class BaseSmsBackend:
    def send(self, sms: Sms) -> str:
        """Send `sms`; return the provider's id for it (or "")."""
        raise NotImplementedError


def get_sms_backend() -> BaseSmsBackend:
    path = BACKENDS.get(settings.SMS_BACKEND, settings.SMS_BACKEND)
    backend_class = import_string(path)
    return backend_class()
