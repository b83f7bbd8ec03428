"""The outbox: messages are written with the change that caused them and
delivered after commit, so a broker outage or a crashed worker delays a
message but never loses it.

Delivery is at least once. A message is claimed in the database before it
is sent and marked sent afterwards; if the worker dies between the two, the
claim runs out (settings.OUTBOX_CLAIM_SECONDS), the sweeper enqueues it again
and the message can go out twice. The idempotency key travels with it
(X-Idempotency-Key, and a Message-ID derived from it, which mailbox providers
use to fold duplicates) so a receiver can tell.
"""

import logging
import random
import smtplib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

import phonenumbers
from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation

from firm_portal.metrics import OUTBOX_MESSAGES_FAILED
from firm_portal.request_context import current_request_id
from notifications.models import OutboxMessage
from notifications.sms import Sms, SmsDeliveryError, get_sms_backend, sms_region_allowed

logger = logging.getLogger(__name__)

# Claims (send attempts) per message before it is failed for good.
MAX_ATTEMPTS = 8
# The Celery tasks that deliver (notifications/tasks.py), by name.
SEND_MESSAGE = "notifications.send_message"
SEND_MESSAGES = "notifications.send_messages"


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with full jitter: up to 10 s, 20 s, 40 s … capped at 1 h."""
    return random.uniform(0, min(3600, 10 * 2**retries))  # noqa: S311 - jitter, not crypto


# Inside `outbox_batch()` messages are collected and written with one INSERT.
_batch: ContextVar[list[OutboxMessage] | None] = ContextVar("outbox_batch", default=None)


@contextmanager
def outbox_batch() -> Iterator[None]:
    """Write every message enqueued inside the block with one INSERT at its
    end (still inside the caller's transaction), e.g. for bulk invitations."""
    token = _batch.set([])
    try:
        yield
        messages = _batch.get() or []
    finally:
        _batch.reset(token)
    if messages:
        OutboxMessage.objects.bulk_create(messages)
        to_send = [m.pk for m in messages if m.status == OutboxMessage.Status.PENDING]
        if to_send:
            _enqueue_after_commit(to_send)


def _store(message: OutboxMessage) -> OutboxMessage:
    message.request_id = current_request_id()
    pending = _batch.get()
    if pending is not None:
        pending.append(message)
        return message
    message.save()
    if message.status == OutboxMessage.Status.PENDING:
        _enqueue_after_commit([message.pk])
    return message


def _enqueue_after_commit(message_ids: list[int]) -> None:
    transaction.on_commit(lambda: outbox_publish(message_ids=message_ids))


def outbox_publish(*, message_ids: list[int]) -> None:
    """Hand messages to the workers: one task for a single message, one task
    per OUTBOX_BATCH_SIZE for more (a batch is sent over one mail connection,
    which is what lets one worker drain hundreds of messages a second). A
    broker outage is logged, not raised: the sweeper enqueues them later.
    The tasks are looked up by name (notifications/tasks.py, registered when
    the app is ready): the tasks call these services, not the other way."""
    if len(message_ids) == 1:
        try:
            current_app.tasks[SEND_MESSAGE].delay(message_ids[0])
        except Exception as error:  # broker down: the sweeper enqueues it later
            logger.warning(
                "Could not publish outbox message %s (%s); the sweeper will",
                message_ids[0],
                error,
            )
        return
    size = settings.OUTBOX_BATCH_SIZE
    for start in range(0, len(message_ids), size):
        chunk = message_ids[start : start + size]
        try:
            current_app.tasks[SEND_MESSAGES].delay(chunk)
        except Exception as error:  # broker down: the sweeper enqueues them later
            logger.warning(
                "Could not publish outbox messages %s (%s); the sweeper will",
                ", ".join(map(str, chunk)),
                error,
            )


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
    return _store(
        OutboxMessage(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=to,
            template=template,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
        )
    )


def _require_e164(number: str) -> phonenumbers.PhoneNumber:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if (
        parsed is None
        or not phonenumbers.is_valid_number(parsed)
        or phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number
    ):
        raise ValueError(f"Not a phone number in E.164 form (+46701234567): {number!r}")
    return parsed


def outbox_enqueue_sms(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str = "sv",
    held_reason: str = "",
) -> OutboxMessage:
    """Render `templates/sms/<template>.txt` for `to`, a number in E.164 form
    (ValueError otherwise), and store it; it is sent after commit. With a
    `held_reason` it is stored as held instead (the firm's SMS limit,
    firm_portal/sms_allowance.py) and goes only when support releases it."""
    _require_e164(to)
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        body = render_to_string(f"sms/{template}.txt", context).strip()
    message = OutboxMessage(
        channel=OutboxMessage.Channel.SMS, recipient=to, template=template, body_text=body
    )
    if held_reason:
        message.status = OutboxMessage.Status.HELD
        message.last_error = held_reason
    return _store(message)


def outbox_release_held(*, message_ids: list[int]) -> int:
    """Support's "Skicka hållna sms": held messages among `message_ids` go
    out now (after commit); others are left alone. Returns how many."""
    with transaction.atomic():
        released = list(
            OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxMessage.Status.HELD)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=released).update(
            status=OutboxMessage.Status.PENDING, last_error="", next_attempt_at=None
        )
        if released:
            _enqueue_after_commit(released)
    return len(released)


@dataclass(frozen=True)
class Delivery:
    sent: bool
    # Seconds until the next attempt after a transient failure; None when
    # there is nothing to retry (sent, failed for good, or not ours).
    retry_in: float | None = None
    error: str = ""

    @property
    def retry(self) -> bool:
        return self.retry_in is not None


_SENT_SQL = (
    "UPDATE {table} SET status = %s, sent_at = %s, claimed_until = NULL, "
    "next_attempt_at = NULL, last_error = '' WHERE id = %s AND status <> %s"
)
_CLAIM_SQL = (
    "UPDATE {table} SET status = %s, claimed_until = %s, attempts = attempts + 1 "
    "WHERE id = %s AND (status = %s OR (status = %s AND claimed_until < %s "
    "AND attempts < %s)) RETURNING {columns}"
)


def _sent_params(message_id: int) -> list[Any]:
    return [
        OutboxMessage.Status.SENT,
        timezone.now(),
        message_id,
        OutboxMessage.Status.SENT,
    ]


def _mark_sent(message_id: int) -> None:
    """Unconditional on the claim: the message did go out, whoever holds it now."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SENT_SQL.format(table=OutboxMessage._meta.db_table), _sent_params(message_id)
        )


@lru_cache(maxsize=2)
def _claim_sql(table: str, columns: tuple[str, ...]) -> str:
    return _CLAIM_SQL.format(table=table, columns=", ".join(columns))


def _claim(message_id: int, *, sent_before: int | None = None) -> OutboxMessage | None:
    """Take the message for sending; None if it is sent, failed or being sent
    by someone else right now (a duplicated task). Each claim increments
    `attempts`, which therefore identifies the claim (a fencing token).

    Raw SQL, one round trip: UPDATE … RETURNING (the ORM's update() and get()
    are two), and with `sent_before` (the message a batch sent just before)
    that one is recorded as sent in the same statement on PostgreSQL. The
    conditions are those of
    Q(status=PENDING) | Q(status=SENDING, claimed_until__lt=now, attempts__lt=MAX_ATTEMPTS).
    """
    now = timezone.now()
    table = OutboxMessage._meta.db_table
    fields = OutboxMessage._meta.concrete_fields
    sql = _claim_sql(table, tuple(str(f.column) for f in fields))
    params: list[Any] = [
        OutboxMessage.Status.SENDING,
        now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS),
        message_id,
        OutboxMessage.Status.PENDING,
        OutboxMessage.Status.SENDING,
        now,
        MAX_ATTEMPTS,
    ]
    if sent_before is not None and connection.vendor != "postgresql":
        _mark_sent(sent_before)
    elif sent_before is not None:
        sql = f"WITH sent AS ({_SENT_SQL.format(table=table)}) {sql}"
        params = _sent_params(sent_before) + params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = [_from_db(field, value) for field, value in zip(fields, row, strict=True)]
    return OutboxMessage.from_db(connection.alias, [f.attname for f in fields], values)


def _from_db(field: Any, value: Any) -> Any:
    """What the ORM makes of a database value (a UUID string on SQLite, say)."""
    from_db_value = getattr(field, "from_db_value", None)
    return value if from_db_value is None else from_db_value(value, None, connection)


def _message_id_header(message: OutboxMessage) -> str:
    return f"<{message.idempotency_key}@{_message_id_domain(settings.DEFAULT_FROM_EMAIL)}>"


@lru_cache(maxsize=4)
def _message_id_domain(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2] or "byraportalen"


def _send_email(message: OutboxMessage, mail: BaseEmailBackend | None = None) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.recipient],
        headers={
            "X-Idempotency-Key": str(message.idempotency_key),
            # The same Message-ID on a resend lets mailboxes fold the duplicate.
            "Message-ID": _message_id_header(message),
        },
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    if mail is None:
        email.send()
    else:
        mail.send_messages([email])


def _send_sms(message: OutboxMessage) -> None:
    number = _require_e164(message.recipient)
    if not sms_region_allowed(number):
        # Forms refuse such numbers; one stored before the allow-list changed
        # fails here for good, with the reason for support.
        raise SmsDeliveryError(
            f"Not sent: the number is from {phonenumbers.region_code_for_number(number)}, "
            f"outside SMS_ALLOWED_REGIONS",
            permanent=True,
        )
    provider_id = get_sms_backend().send(
        Sms(
            to=message.recipient,
            body=message.body_text,
            sender=settings.SMS_FROM,
            idempotency_key=str(message.idempotency_key),
        )
    )
    logger.info("Outbox SMS %s accepted by the provider as %r", message.pk, provider_id)


def is_permanent_error(error: BaseException) -> bool:
    """Whether sending again can never succeed: the recipient or the message
    is refused (SMTP 5xx, HTTP 4xx, a malformed address or number). Anything
    else — refused connections, timeouts, SMTP 4xx, HTTP 5xx and 429, and
    errors we do not know — is worth another attempt."""
    if isinstance(error, SmsDeliveryError):
        return error.permanent
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # 4xx here is greylisting or a full mailbox: it may pass later.
        return any(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    if isinstance(error, smtplib.SMTPNotSupportedError):  # the server lacks STARTTLS, say
        return True
    if isinstance(error, OSError):  # refused, reset, timed out, TLS (some are ValueErrors too)
        return False
    return isinstance(error, ValueError | NotImplementedError)


def is_bounce(error: BaseException) -> bool:
    """Whether the receiving server refused the recipient's address for good
    (SMTP 5xx for the recipient, "550 User unknown"): the address takes no
    mail, so reminders to it stop (collaboration/reminders/) and the sender
    is told. Other permanent errors (spam, a refused sender, no STARTTLS) are
    ours or the message's, not the address's."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in error.recipients.values()
    )


def _send(message: OutboxMessage, mail: BaseEmailBackend | None = None) -> None:
    if message.channel == OutboxMessage.Channel.EMAIL:
        if mail is None:
            _send_email(message)
        else:
            _send_email(message, mail)
    elif message.channel == OutboxMessage.Channel.SMS:
        _send_sms(message)
    else:
        raise NotImplementedError(f"No sender for channel {message.channel}")


def _record_failure(message: OutboxMessage, error: Exception) -> Delivery:
    text = f"{type(error).__name__}: {error}"[:2000]
    permanent = is_permanent_error(error)
    final = permanent or message.attempts >= MAX_ATTEMPTS
    retry_in = None if final else backoff_seconds(message.attempts - 1)
    bounced = message.channel == OutboxMessage.Channel.EMAIL and is_bounce(error)
    recorded = OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxMessage.Status.SENDING, attempts=message.attempts
    ).update(
        status=OutboxMessage.Status.FAILED if final else OutboxMessage.Status.PENDING,
        claimed_until=None,
        next_attempt_at=None if retry_in is None else timezone.now() + timedelta(seconds=retry_in),
        last_error=text,
        bounced_at=timezone.now() if bounced else None,
    )
    if not recorded:
        # Our claim ran out and another worker took the message over; its
        # outcome is the one that counts.
        logger.warning("Outbox message %s failed after losing its claim: %s", message.pk, text)
        return Delivery(sent=False, error=text)
    if final:
        OUTBOX_MESSAGES_FAILED.labels(channel=message.channel).inc()
        reason = "permanent error" if permanent else f"gave up after {message.attempts} attempts"
        logger.error("Outbox message %s failed (%s): %s", message.pk, reason, text)
    else:
        logger.warning(
            "Outbox message %s not sent (attempt %s, next in %.0f s): %s",
            message.pk,
            message.attempts,
            retry_in,
            text,
        )
    return Delivery(sent=False, retry_in=retry_in, error=text)


def outbox_deliver(*, message_id: int) -> Delivery:
    """Send the message once: claim it, send it, record the outcome. Safe to
    call any number of times, from any number of workers at once."""
    return _deliver(message_id, _send)


def outbox_deliver_many(*, message_ids: Iterable[int]) -> list[Delivery]:
    """`outbox_deliver` for each message, in order, over one mail connection
    (opened for the first message and again after an error). Each message is
    claimed, sent and recorded on its own, so a worker killed halfway leaves
    one message in flight, as with single deliveries, and the rest pending.
    A sent message is recorded in the statement that claims the next one."""
    mail = mailers.default
    # A backend's send_messages() that has to open the connection closes it
    # again, so it is opened here to serve the batch (the file backend,
    # notifications.mail.file, writes a file per message whatever is open).
    is_open = False
    deliveries: list[Delivery] = []
    sent_before: int | None = None
    try:
        for message_id in message_ids:
            try:
                message = _claim(message_id, sent_before=sent_before)
            except Exception:
                if sent_before is not None:
                    _mark_sent(sent_before)
                raise
            sent_before = None
            if message is None:
                deliveries.append(Delivery(sent=False))
                continue
            try:
                if not is_open:
                    mail.open()  # a refused connection is this message's failure
                    is_open = True
                _send(message, mail)
            except Exception as error:
                deliveries.append(_record_failure(message, error))
                mail.close()  # a connection that failed once is not reused
                is_open = False
                continue
            sent_before = message.pk
            deliveries.append(Delivery(sent=True))
        if sent_before is not None:
            _mark_sent(sent_before)
    finally:
        mail.close()
    return deliveries


def _deliver(message_id: int, send: Callable[[OutboxMessage], None]) -> Delivery:
    message = _claim(message_id)
    if message is None:
        return Delivery(sent=False)
    try:
        send(message)
    except Exception as error:
        return _record_failure(message, error)
    _mark_sent(message.pk)
    return Delivery(sent=True)


def outbox_sweep_overdue(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Messages that should have been sent by now: pending ones due more than
    `older_than` ago (broker down at commit, a lost retry), and claims whose
    worker died. They are marked due now, so the next sweep picks the next
    ones instead of enqueueing the same messages again. A message whose
    worker died on every attempt (one that crashes it, say) is failed."""
    now = timezone.now()
    with transaction.atomic():
        # Per channel, for the failure counter (counted once committed).
        abandoned = {
            channel: OutboxMessage.objects.filter(
                channel=channel,
                status=OutboxMessage.Status.SENDING,
                claimed_until__lt=now,
                attempts__gte=MAX_ATTEMPTS,
            ).update(
                status=OutboxMessage.Status.FAILED,
                claimed_until=None,
                last_error=(
                    f"Gave up: the worker stopped (killed or timed out) during attempt "
                    f"{MAX_ATTEMPTS} of {MAX_ATTEMPTS}, which may have gone out."
                ),
            )
            for channel in OutboxMessage.Channel
        }
        if total := sum(abandoned.values()):
            logger.error("%s outbox messages failed: their workers died", total)
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .alias(due_at=Coalesce("next_attempt_at", "created_at"))
            .filter(
                Q(status=OutboxMessage.Status.PENDING, due_at__lt=now - older_than)
                | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now)
            )
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.PENDING).update(
            next_attempt_at=now
        )
    for channel, failed in abandoned.items():
        OUTBOX_MESSAGES_FAILED.labels(channel=channel.value).inc(failed)
    return ids


def outbox_retry_failed(*, message_ids: Iterable[int]) -> int:
    """Give failed messages a fresh set of attempts and send them after
    commit; messages that have not failed are left alone. Returns how many."""
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update()
            .filter(pk__in=list(message_ids), status=OutboxMessage.Status.FAILED)
            .values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=OutboxMessage.Status.PENDING,
            attempts=0,
            claimed_until=None,
            next_attempt_at=None,
        )
        for message_id in ids:
            _enqueue_after_commit([message_id])
    return len(ids)


def outbox_bodies_purge(*, older_than: timedelta, batch_size: int, max_batches: int) -> int:
    """Retention: empty the subject and body of messages sent more than
    `older_than` ago, `batch_size` rows a transaction and at most
    `max_batches` transactions a call (the next call goes on). Who got which
    template, when and after how many attempts stays. Pending, sending,
    held and failed messages are never touched. Safe to run twice at once:
    each batch takes its rows with SKIP LOCKED. Returns how many were purged."""
    cutoff = timezone.now() - older_than
    purged = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            ids = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(
                    status=OutboxMessage.Status.SENT,
                    body_purged_at__isnull=True,
                    sent_at__lt=cutoff,
                )
                .order_by("sent_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            purged += OutboxMessage.objects.filter(
                pk__in=ids, status=OutboxMessage.Status.SENT
            ).update(subject="", body_text="", body_html="", body_purged_at=timezone.now())
        if len(ids) < batch_size:
            break
    return purged
