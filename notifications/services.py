"""The outbox: messages are written with the change that caused them and
delivered after commit, so a broker outage or a crashed worker delays a
message but never loses it."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 300


def _enqueue_after_commit(message_id: int) -> None:
    from notifications.tasks import send_message

    def publish() -> None:
        try:
            send_message.delay(message_id)
        except Exception:  # broker down: the sweeper enqueues it later
            logger.warning("Could not publish outbox message %s; the sweeper will", message_id)

    transaction.on_commit(publish)


def outbox_enqueue_email(
    *, to: str, template: str, context: dict[str, Any], language: str = "sv"
) -> OutboxMessage:
    """Render `templates/emails/<template>-{subject.txt,body.txt,body.html}`
    and store the message; it is sent after the surrounding transaction commits."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
        body_text = render_to_string(f"emails/{template}-body.txt", context)
        body_html = render_to_string(f"emails/{template}-body.html", context)
    message = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=to,
        template=template,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )
    _enqueue_after_commit(message.pk)
    return message


@dataclass(frozen=True)
class Delivery:
    sent: bool
    retry: bool = False
    error: str = ""


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the message for sending; None if it is sent, failed or being sent
    by someone else right now (a duplicated task)."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.PENDING)
        | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now),
        pk=message_id,
    ).update(
        status=OutboxMessage.Status.SENDING,
        claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return OutboxMessage.objects.get(pk=message_id)


def _send_email(message: OutboxMessage) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.recipient],
        headers={"X-Idempotency-Key": str(message.idempotency_key)},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send()


def outbox_deliver(*, message_id: int) -> Delivery:
    message = _claim(message_id)
    if message is None:
        return Delivery(sent=False)
    try:
        if message.channel == OutboxMessage.Channel.EMAIL:
            _send_email(message)
        else:
            raise NotImplementedError(f"No sender for channel {message.channel}")
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = message.attempts >= MAX_ATTEMPTS or isinstance(exc, NotImplementedError)
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxMessage.Status.FAILED if final else OutboxMessage.Status.PENDING,
            claimed_until=None,
            last_error=error,
        )
        logger.warning("Outbox message %s not sent (attempt %s)", message.pk, message.attempts)
        return Delivery(sent=False, retry=not final, error=error)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return Delivery(sent=True)


def outbox_unsent_ids(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Messages that should have been sent by now: pending ones older than
    `older_than`, and claims whose worker died."""
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(
            Q(status=OutboxMessage.Status.PENDING, created_at__lt=now - older_than)
            | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
