"""The access ledger: one append-only event per change of access.

Services call `ledger_record` inside their transaction, so an event exists
exactly when the change does. Denied attempts are the exception to "one
event each": `ledger_record_denied` counts them and writes one event per
actor, subscription and window."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ledger.models import AccessEvent, DeniedAttempt

Kind = AccessEvent.Kind


def ledger_record(
    *,
    kind: str,
    actor: Any = None,
    firm: Any = None,
    subscription: Any = None,
    subject: Any = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    detail: str = "",
) -> AccessEvent:
    """Record one event. Model instances or ids are accepted for the
    references; `actor` None means the system (a periodic task)."""
    event = ledger_event(
        kind=kind,
        actor=actor,
        firm=firm,
        subscription=subscription,
        subject=subject,
        before=before,
        after=after,
        detail=detail,
    )
    event.save()
    return event


def ledger_record_all(events: list[AccessEvent]) -> list[AccessEvent]:
    """Record several events made with `ledger_event` in one INSERT."""
    return AccessEvent.objects.bulk_create(events)


def ledger_event(
    *,
    kind: str,
    actor: Any = None,
    firm: Any = None,
    subscription: Any = None,
    subject: Any = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    detail: str = "",
) -> AccessEvent:
    """An unsaved event, for `ledger_record_all`."""
    return AccessEvent(
        kind=kind,
        actor_id=_id(actor),
        firm_id=_id(firm),
        subscription_id=_id(subscription),
        subject_id=_id(subject),
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        detail=detail[:300],
    )


def ledger_record_denied(
    *, actor: Any, subscription: Any = None, attempt: Mapping[str, object]
) -> None:
    """A failed authorization attempt on an existing object. Every attempt
    is counted (`DeniedAttempt.attempts`); only the first of its window
    writes a ledger event, so a refused request repeated in a loop leaves one
    event, not one per request, in the ledger the subscription's
    administrators read. `attempt` describes what was tried (the event keeps
    the first, the counter the latest)."""
    now = timezone.now()
    window = settings.DENIED_ATTEMPTS_WINDOW_SECONDS
    key = {
        "actor_id": _id(actor),
        "subscription_id": _id(subscription),
        "window_start": datetime.fromtimestamp(now.timestamp() // window * window, tz=UTC),
    }
    details = dict(attempt)
    if _denied_count(key, now, details):
        return
    try:
        with transaction.atomic():
            event = ledger_record(
                kind=Kind.ACCESS_DENIED,
                actor=key["actor_id"],
                subscription=key["subscription_id"],
                after=details,
            )
            DeniedAttempt.objects.create(**key, last_at=now, last_attempt=details, event=event)
    except IntegrityError:
        # Another request claimed this window a moment ago: count with it.
        _denied_count(key, now, details)


def _denied_count(key: dict[str, Any], now: datetime, details: dict[str, object]) -> bool:
    """Count one more attempt in the window's row; False when there is none yet."""
    return bool(
        DeniedAttempt.objects.filter(**key).update(
            attempts=F("attempts") + 1, last_at=now, last_attempt=details
        )
    )


def _id(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if getattr(value, "is_authenticated", True) is False:
        return None  # AnonymousUser
    return value.pk
