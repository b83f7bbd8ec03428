"""Reads of the access ledger for its pages: the events with the names of
whoever and whatever they point at.

The ledger keeps plain ids (ledger.models: it sits below every app), so the
names come from subqueries of the same query, not from joins through foreign
keys and not per row: a page of events stays one query."""

from django.db.models import OuterRef, QuerySet, Subquery

from clients.models import Subscription
from firm_portal.models import Firm, User
from ledger.models import AccessEvent


def _one(rows: QuerySet, field: str) -> Subquery:  # type: ignore[type-arg]
    return Subquery(rows.values(field)[:1])


def ledger_events_named(events: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
    """`events` with actor_name, subject_name, firm_name, subscription_number
    and client_name (None where the event names no one)."""
    subscription = Subscription.objects.filter(pk=OuterRef("subscription_id"))
    return events.annotate(
        actor_name=_one(User.objects.filter(pk=OuterRef("actor_id")), "full_name"),
        subject_name=_one(User.objects.filter(pk=OuterRef("subject_id")), "full_name"),
        firm_name=_one(Firm.objects.filter(pk=OuterRef("firm_id")), "name"),
        subscription_number=_one(subscription, "number"),
        client_name=_one(subscription, "client__name"),
    )


def ledger_events_of_subscription_number(
    events: QuerySet[AccessEvent], number: int
) -> QuerySet[AccessEvent]:
    """The events about the subscription with this abonnemangsnummer. The
    number is unique, so its id is one value: the events then come newest
    first straight from the (subscription, time) index, where an IN list
    had them all sorted for each page."""
    return events.filter(subscription_id=_one(Subscription.objects.filter(number=number), "pk"))
