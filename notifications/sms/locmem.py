"""Tests: keep sent SMS in `outbox`, like django.core.mail.outbox."""

from notifications.sms import BaseSmsBackend, Sms

outbox: list[Sms] = []


class SmsBackend(BaseSmsBackend):
    def send(self, sms: Sms) -> str:
        outbox.append(sms)
        return f"locmem-{len(outbox)}"
