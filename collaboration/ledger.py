"""The access ledger: one append-only event per change of access.

Services call `ledger_record` inside their transaction, so an event exists
exactly when the change does."""

from collections.abc import Mapping
from typing import Any

from collaboration.models import AccessEvent

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


def _id(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if getattr(value, "is_authenticated", True) is False:
        return None  # AnonymousUser
    return value.pk
